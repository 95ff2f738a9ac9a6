"""The person's county (issue #17): which shard a person and everything that belongs to them live on, and moving
them to another.

The rule (``person_county``): the county of the residence of the person's current or most recent stay; a person
with no stay, the county of the household. It changes only when a stay in another county is registered or the
residence moves to another county (a transfer, an edit, a bulk move); ending a stay does not move the person. Their
stays (all of them), services, certificates, reminders, changeset items and the history rows about them carry the
same county (store/distribution.py).

A move never updates ``county`` (Citus refuses an UPDATE of the distribution column): ``move_person`` deletes the
person's rows and inserts them again in the new county, same ids, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import id_numbers
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks
from flowpop.registry.store.distribution import shard_county

# what belongs to a person and lives in the person's county; the first three hold a foreign key to persons
COLOCATED: tuple[type[t.Base], ...] = (t.Stay, t.ServiceRecord, t.Certificate, t.Reminder, t.ChangesetItem,
                                       t.HistoryEntry)


def person_county(residence_code: str | None, household_code: str | None) -> str:
    """The person's county from the residence of their current (or most recent) stay, else their household."""
    return shard_county(residence_code) if residence_code else shard_county(household_code)


def move_person(session: Session, person_id: int, county: str) -> bool:
    """Move a person and every row of theirs not in ``county`` to it: read them, delete the children then the
    person, insert the person then the children with the new county, same ids (never an UPDATE of county).
    In the caller's transaction; ORM objects of those rows in the session are expired. False if nothing moved."""
    session.flush()
    P = t.Person.__table__
    person = session.execute(select(P).where(P.c.id == person_id)).mappings().one_or_none()
    if person is None:
        return False
    tables: list[Table] = [model.__table__ for model in COLOCATED]
    moving = person["county"] != county

    def which(table: Table) -> Any:  # all the rows when the person moves (the foreign keys hold), else the strays
        mine = table.c.person_id == person_id
        return mine if moving else and_(mine, table.c.county != county)

    children = {table.name: [dict(r) for r in session.execute(select(table).where(which(table))).mappings()]
                for table in tables}
    if not moving and not any(children.values()):
        return False
    for table in tables:
        if children[table.name]:
            session.execute(delete(table).where(which(table)))
    if moving:
        session.execute(delete(P).where(P.c.id == person_id))
        session.execute(insert(P), [{**person, "county": county}])
        id_numbers.move(session, person_id, person["id_number"], county)  # its row stays on the number's shard
    for table in tables:
        if children[table.name]:
            session.execute(insert(table), [{**row, "county": county} for row in children[table.name]])
    _expire(session, person_id)
    return True


def hand_over(session: Session, stays: dict[int, int], updated_at: dt.datetime, step: int = 1) -> None:
    """Stays that change person (a merge, or its revert; ``stays``: stay id → new person id): each is deleted and
    inserted again with its new person, in that person's county, same id, its version stepped by ``step`` (never an
    UPDATE of county; the foreign key (county, person_id) holds throughout)."""
    if not stays:
        return
    session.flush()
    S = t.Stay.__table__
    owners = sorted(set(stays.values()))
    counties: dict[int, str] = {}
    for part in in_chunks(owners):
        counties.update((pid, county) for pid, county in
                        session.execute(select(t.Person.id, t.Person.county).where(t.Person.id.in_(part))))
    for part in in_chunks(sorted(stays)):
        rows = [dict(r) for r in session.execute(select(S).where(S.c.id.in_(part))).mappings()]
        session.execute(delete(S).where(S.c.id.in_(part)))
        session.execute(insert(S), [{**r, "person_id": stays[r["id"]], "county": counties[stays[r["id"]]],
                                     "version": r["version"] + step, "updated_at": updated_at} for r in rows])
    for obj in list(session.identity_map.values()):
        if isinstance(obj, t.Stay) and obj.id in stays:
            session.expire(obj)


def _expire(session: Session, person_id: int) -> None:
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, t.Person) and obj.id == person_id) or (
                isinstance(obj, COLOCATED) and getattr(obj, "person_id", None) == person_id):
            session.expire(obj)


def _counties(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """For persons ``ids``: (the county they are in, the county the rule says), from plain reads of persons and
    stays (no join: on a distributed store each is one query per shard)."""
    P, S = t.Person, t.Stay
    persons = session.execute(select(P.id, P.county, P.current_stay_id, P.household_code).where(P.id.in_(ids))).all()
    stays: dict[int, list[tuple[int, str]]] = {}
    for sid, pid, place in session.execute(select(S.id, S.person_id, S.residence_code).where(S.person_id.in_(ids))):
        stays.setdefault(pid, []).append((sid, place))
    out = {}
    for pid, have, current, household in persons:
        own = dict(stays.get(pid, ()))
        residence: str | None = own[current] if current in own else (own[max(own)] if own else None)
        out[pid] = (have, person_county(residence, household))
    return out


def misplaced(session: Session, person_ids: Iterable[int]) -> list[tuple[int, str]]:
    """Those of ``person_ids`` whose person or any row of theirs is not in the rule's county: (id, county)."""
    wrong: dict[int, str] = {}
    for ids in in_chunks(sorted(set(person_ids)), 5000):
        counties = _counties(session, ids)
        wrong.update((pid, want) for pid, (have, want) in counties.items() if have != want)
        for model in COLOCATED:
            table = model.__table__
            rows = session.execute(select(table.c.person_id, table.c.county).where(table.c.person_id.in_(ids))
                                   .distinct()).all()
            wrong.update((pid, counties[pid][1]) for pid, county in rows
                         if pid in counties and county != counties[pid][1])
    return sorted(wrong.items())


def settle(session: Session, person_ids: Iterable[int]) -> int:
    """After a change that may move people (a residence or household edited, a bulk move or merge, an import):
    move each of ``person_ids`` whose rows are not in the rule's county. How many moved."""
    session.flush()
    return sum(move_person(session, pid, county) for pid, county in misplaced(session, person_ids))


def follow(session: Session, person: t.Person) -> None:
    """One person after a change that may move them (``settle`` for one, the object refreshed)."""
    if settle(session, [person.id]):
        session.refresh(person)


def problems(session: Session) -> list[str]:
    """Every row of the 11 distributed tables whose ``county`` is not what store/distribution.py's rules say,
    described (empty: all in place). Plain reads, grouped, no join: usable on a large store and by the catalog
    test."""
    out: list[str] = []
    P = t.Person
    ids = list(session.execute(select(P.id)).scalars())
    counties: dict[int, str] = {}
    for part in in_chunks(ids, 5000):
        for pid, (have, want) in _counties(session, part).items():
            counties[pid] = want
            if have != want:
                out.append(f"persons {pid}: county {have}, the rule says {want}")
    for model in COLOCATED:
        table = model.__table__
        rows = session.execute(select(table.c.person_id, table.c.county, func.count())
                               .where(table.c.person_id.is_not(None)).group_by(table.c.person_id, table.c.county))
        out += [f"{table.name} of person {pid}: {n} in {county}, the person's county is {counties.get(pid)}"
                for pid, county, n in rows if counties.get(pid) != county]
    for table, column in ((t.HistoryEntry.__table__, "scope_code"), (t.Message.__table__, "addressee_code"),
                          (t.House.__table__, "division_code"), (t.Declaration.__table__, "house_code"),
                          (t.CampaignItem.__table__, "village_code")):
        code = table.c[column]
        stmt = select(code, table.c.county, func.count()).group_by(code, table.c.county)
        if table.name == "history":
            stmt = stmt.where(table.c.person_id.is_(None))
        out += [f"{table.name} with {column} {value}: {n} in {county}, shard_county says {shard_county(value)}"
                for value, county, n in session.execute(stmt) if county != shard_county(value)]
    return out
