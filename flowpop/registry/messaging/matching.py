"""Matching (配对) a message's subject to local records: by ID number, else by name and birth date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import id_numbers
from flowpop.registry.kernel.auth import code_range
from flowpop.registry.kernel.divisions import DivisionCache
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import IN_LIMIT, in_chunks
from flowpop.rules import idnumber
from flowpop.rules.divisions_source import prefix_of
from flowpop.rules.names import clean_name, name_keys

AUTO = 90  # a unique candidate at or above this score is matched on arrival
LIMIT = 5


def scope_prefix(code: str) -> str:
    """Records a place may match against: those whose residence or household lies in its county."""
    return prefix_of(code)[:6]


def _in_scope(prefix: str) -> Any:
    return or_(code_range(t.Person.residence_code, prefix), code_range(t.Person.household_code, prefix))


# a name and birth date shared by a record whose ID number differs from the message's valid one: another person
# as likely as the same one (a namesake born the same day, or a number mistyped on one side) — shown for a person
# to decide, below AUTO so never matched on arrival (issue 13: it used to score 90 and match)
OTHER_ID = {"name_birth_date": (60, "other_id_number"), "pinyin_birth_date": (50, "other_id_number_pinyin")}


def differences(subject: dict[str, Any], person: t.Person) -> list[dict[str, str | None]]:
    """Where a local record differs from a message's subject, in the fields both give: ID number (masked), name,
    sex, birth date (as years; the inbox never shows birth dates), household place."""
    out: list[dict[str, str | None]] = []
    raw = str(subject.get("id_number") or "")
    said = idnumber.normalize(raw) if raw else ""
    if said and person.id_number not in idnumber.forms(idnumber.check(said).number):
        out.append({"field": "id_number", "message": idnumber.mask(said), "local": idnumber.mask(person.id_number)})
    name = clean_name(subject.get("name") or "")
    if name and name != person.name:
        out.append({"field": "name", "message": name, "local": person.name})
    sex = subject.get("sex")
    if sex and sex != person.sex:
        out.append({"field": "sex", "message": str(sex), "local": person.sex})
    born = parse_date(subject.get("birth_date"))
    if born and born != person.birth_date:
        out.append({"field": "birth_date", "message": str(born.year), "local": str(person.birth_date.year)})
    household = str(subject.get("household_code") or "")
    if household and person.household_code and household[:6] != person.household_code[:6]:
        out.append({"field": "household_code", "message": household, "local": person.household_code})
    return out


def _id_differs(number: str, valid: bool, person: t.Person) -> bool:
    """The message carries a valid ID number, and this record holds another."""
    return valid and bool(number) and person.id_number not in idnumber.forms(number)


def candidates(session: Session, divisions: DivisionCache, subject: dict[str, Any], scope: str, *,
               by_name: bool = True) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}

    def add(rows: list[t.Person], score: int, reason: str) -> None:
        for p in rows:
            if p.id not in found or found[p.id]["score"] < score:
                active_bonus = 2 if p.status == "active" else 0
                found[p.id] = {
                    "person_id": p.id, "name": p.name, "id_number": idnumber.mask(p.id_number) or "",
                    "birth_date": p.birth_date.isoformat(), "residence_name": divisions.name(p.residence_code),
                    "score": score + active_bonus, "reason": reason, "differences": differences(subject, p),
                }

    raw_id = subject.get("id_number")
    number, valid = "", False
    if raw_id:
        check = idnumber.check(raw_id)
        number, valid = check.number, check.ok
        # the ID-number index names the records (one shard per number on a distributed store), read by (county, id)
        rows = list(session.execute(select(t.Person).where(id_numbers.holding(session, number),
                                                           _in_scope(scope)).limit(LIMIT)).scalars())
        add(rows, 98, "id_number")
    name = clean_name(subject.get("name") or "")
    born = parse_date(subject.get("birth_date"))
    if name and born and by_name:
        pinyin, _ = name_keys(name)
        rows = list(session.execute(
            select(t.Person).where(
                t.Person.birth_date == born, or_(t.Person.name == name, t.Person.name_pinyin == pinyin), _in_scope(scope)
            ).limit(LIMIT)
        ).scalars())
        for p in rows:
            basis = "name_birth_date" if p.name == name else "pinyin_birth_date"
            score = 90 if p.name == name else 70
            if _id_differs(number, valid, p):
                score, basis = OTHER_ID[basis]
            add([p], score, basis)
    ranked = sorted(found.values(), key=lambda c: (-c["score"], c["person_id"]))
    return ranked[:LIMIT]


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def best(ranked: list[dict[str, Any]]) -> tuple[int | None, int | None]:
    """The person to match automatically, when one candidate clearly leads — never one whose ID number differs
    from the message's."""
    if ranked and ranked[0]["reason"] in {reason for _, reason in OTHER_ID.values()}:
        return None, ranked[0]["score"]
    if not ranked or ranked[0]["score"] < AUTO:
        return None, ranked[0]["score"] if ranked else None
    if len(ranked) > 1 and ranked[1]["score"] >= ranked[0]["score"] - 1:
        return None, ranked[0]["score"]
    return ranked[0]["person_id"], ranked[0]["score"]


def apply(session: Session, divisions: DivisionCache, row: t.Message) -> None:
    """Match one arriving message (fills candidates; matched_person_id when clear). A transfer raised here
    is matched on the sending side, by the moving person's ID number only: a name and birth date there
    would show the receiving side other people of the sender's county."""
    transfer = row.kind == "transfer"
    scope = scope_prefix(row.sender_code) if transfer else scope_prefix(row.addressee_code)
    ranked = candidates(session, divisions, row.subject or {}, scope, by_name=not transfer)
    row.candidates = ranked
    row.matched_person_id, row.match_score = best(ranked)




def apply_many(session: Session, divisions: DivisionCache, rows: list[t.Message]) -> None:
    """Match many arriving messages (an exchange batch): ID numbers looked up in bulk, names and birth dates one
    by one, always among the addressee's records, whatever sender a batch line claims."""
    numbers: dict[str, str] = {}
    for row in rows:
        raw = (row.subject or {}).get("id_number")
        if raw:
            numbers[row.uid] = idnumber.check(raw).number
    found: dict[str, list[t.Person]] = {}
    given = {form: number for number in set(numbers.values()) for form in idnumber.forms(number)}
    holders = id_numbers.holders(session, given)
    for part in in_chunks(holders, IN_LIMIT // 2):  # (county, id): two values bound per record at most
        for person in session.execute(select(t.Person).where(id_numbers.among(session, part))).scalars():
            found.setdefault(given[person.id_number], []).append(person)
    for row in rows:
        scope = scope_prefix(row.addressee_code)
        people = [p for p in found.get(numbers.get(row.uid, ""), [])
                  if (p.residence_code or "").startswith(scope) or p.household_code.startswith(scope)]
        if people:
            ranked = sorted(({"person_id": p.id, "name": p.name, "id_number": idnumber.mask(p.id_number) or "",
                              "birth_date": p.birth_date.isoformat(), "residence_name": divisions.name(p.residence_code),
                              "score": 98 + (2 if p.status == "active" else 0), "reason": "id_number",
                              "differences": differences(row.subject or {}, p)} for p in people),
                            key=lambda c: (-c["score"], c["person_id"]))[:LIMIT]  # type: ignore[operator]  # score is always an int here
        else:
            ranked = candidates(session, divisions, row.subject or {}, scope)
        row.candidates = ranked
        row.matched_person_id, row.match_score = best(ranked)
