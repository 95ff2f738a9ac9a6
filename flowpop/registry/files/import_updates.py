"""Rows of a legacy import whose ID number is already stored. The stored persons and open stays are read
a chunk at a time before the chunk is checked, so that a row repeating them is recognised cheaply
(``import_rows.same_as_stored``) and costs no full check, no write and no history; a changed one writes
only the fields that differ (in one statement per set of changed columns, not one per row)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from flowpop.registry.files.import_rows import PERSON_FIELDS, STAY_FIELDS, Context, Row, Stored, lookup_key
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import Conflict
from flowpop.registry.kernel.history import entry as history_entry
from flowpop.registry.kernel.validation import category
from flowpop.registry.people import sides
from flowpop.registry.store import bulk_insert
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks, one_of, piece
from flowpop.rules.names import name_keys
from flowpop.types import ImportProblem, ImportResult

Lookup = Callable[[Session, list[str]], dict[str, dict[str, Any]]]  # ID numbers → the stored records they update

STAY_DEFAULTS: dict[str, Any] = {k: None for k in (*STAY_FIELDS, "household_address", "returned_on", "end_reason",
                                                 "declare_due_on", "employer_code")}
_STAY_KEYS = ("id", "person_id", "version", "status", "household_code", *STAY_FIELDS, *sides.SIDES.values())
_STAY_COLUMNS = [getattr(t.Stay, k) for k in _STAY_KEYS]
ENDED_WITH_PERSON = frozenset(("deregistered", "archived"))  # stay statuses set by deregister and archive


def open_stays(session: Session, person_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The open stay of each person, read 900 persons at a time."""
    found: dict[int, dict[str, Any]] = {}
    dialect = session.get_bind().dialect.name
    for part in in_chunks(person_ids, piece(dialect)):
        # the status is tested here: as a condition, SQLite (no statistics) would walk every open stay instead
        stmt = select(*_STAY_COLUMNS).where(one_of(dialect, t.Stay.person_id, part)).order_by(t.Stay.id)
        for row in session.connection().execute(stmt):
            if row.status == "open" and row.person_id not in found:
                found[row.person_id] = dict(zip(_STAY_KEYS, row, strict=True))
    return found


def current_stays(session: Session, persons: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The stay each stored person's row is compared with: its open stay, else the stay that ended with the
    person (deregistered or archived: ``stays.follow_person`` keeps it as the current one, and the person's
    residence and arrival, which an export writes, are still its). A closed stay (moved on) is nobody's."""
    found = open_stays(session, [p["id"] for p in persons])
    ended = [p["current_stay_id"] for p in persons if p["id"] not in found and p.get("current_stay_id")]
    dialect = session.get_bind().dialect.name
    for part in in_chunks(ended, piece(dialect)):
        stmt = select(*_STAY_COLUMNS).where(one_of(dialect, t.Stay.id, part))
        for row in session.connection().execute(stmt):
            if row.status in ENDED_WITH_PERSON:
                found[row.person_id] = dict(zip(_STAY_KEYS, row, strict=True))
    return found


class Reader:
    """Where an import reads stored records: a read session until the import writes (no lock taken, no
    snapshot kept from one chunk to the next), then the import's own write transaction."""

    def __init__(self) -> None:
        self.session: Session | None = None
        self.writing = False

    @contextmanager
    def reading(self) -> Iterator[Session]:
        assert self.session is not None
        try:
            yield self.session
        finally:
            if not self.writing:
                self.session.rollback()


class Repeats:
    """Reads, for each chunk of raw rows and before any check, the stored records their ID numbers would
    update, so that the check (``check_chunk``) can recognise the rows that repeat them. It stops once a
    chunk is mostly new numbers (a first import), where it would find nothing."""

    def __init__(self, ctx: Context, reader: Reader, lookup: Lookup) -> None:
        self.ctx, self.reader, self.lookup = ctx, reader, lookup
        self.active = True
        self.column = max((i for i, key in ctx.columns if key == "id_number"), default=None)

    def stored(self, chunk: list[tuple[int, list[Any]]]) -> Stored:
        col = self.column
        if not self.active or not chunk or col is None:
            return {}
        numbers = {lookup_key(raw[col]) for _, raw in chunk if col < len(raw) and raw[col] not in (None, "")}
        with self.reader.reading() as session:
            persons = self.lookup(session, sorted(numbers))
            stays = current_stays(session, list(persons.values()))
        self.active = 2 * len(persons) >= len(chunk)
        return {number: (person, stays.get(person["id"])) for number, person in persons.items()}


IMPORT_CONFLICT = "import_conflict"
IDENTITY_CONFLICT = "identity_conflict"
# who a known ID number names: a row saying otherwise is a conflict, applied only when asked (accept_identity)
IDENTITY = {
    "name": ("该身份证号码已登记的姓名为「{stored}」，与本行不同；确认是同一人改名后，可用 --accept-identity-changes 导入",
             "this ID number is registered under the name {stored}, not this row's; if the person was renamed, "
             "import with --accept-identity-changes"),
    "sex": ("该身份证号码已登记的性别与本行不同；确认后可用 --accept-identity-changes 导入",
            "this ID number is registered with another sex; import with --accept-identity-changes to change it"),
    "birth_date": ("该身份证号码已登记的出生日期与本行不同；确认后可用 --accept-identity-changes 导入",
                   "this ID number is registered with another birth date; import with --accept-identity-changes "
                   "to change it"),
}
NOT_ACTIVE = ("人员不在册（已注销或退档），不能登记新的流动记录；请先恢复该人员",
              "the person is not active (deregistered or archived): no new stay can be registered; restore them first")


class Updates:
    """The writes a chunk of stored rows needs, gathered first and then sent grouped by changed columns.

    A row naming a known ID number with another name, sex or birth date is refused as a conflict (reported,
    nothing written) unless ``accept_identity``; then the change is written and history records it. A row
    that would open a stay for a person who is no longer active is refused as ``stays.create`` refuses it."""

    def __init__(self, session: Session, actor: Actor, now: dt.datetime, *, accept_identity: bool = False,
                 own: tuple[str, ...] = ()) -> None:
        self.session, self.actor, self.now, self.own = session, actor, now, own  # own: the own area (sides)
        self.accept_identity = accept_identity
        self.persons: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        self.stays: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        self.new_stays: list[dict[str, Any]] = []
        # persons whose residence or household changed: they may move county (people.moves.settle, after write)
        self.moved: set[int] = set()

    def compare(self, rows: list[Row], existing: dict[str, dict[str, Any]], result: ImportResult,
                history: list[dict[str, Any]]) -> None:
        """Each row against its stored record: unchanged ones only counted, changed ones queued with history."""
        stays = current_stays(self.session, [existing[r.number] for r in rows if r.stay])
        for r in rows:
            current = existing[r.number]
            changes: dict[str, list[Any]] = {}
            person: dict[str, Any] = {}
            identity = [k for k in IDENTITY if r.person.get(k) not in (None, "") and current.get(k) is not None
                        and current[k] != r.person[k]]
            if identity and not self.accept_identity:
                result.problems += [ImportProblem(
                    line=r.line, column=k, value=str(r.person[k])[:100], code=IDENTITY_CONFLICT,
                    reason=IDENTITY[k][0].format(stored=current["name"]),
                    reason_en=IDENTITY[k][1].format(stored=current["name"])) for k in identity]
                continue
            for k, v in r.person.items():
                if (k in PERSON_FIELDS or k in identity) and v not in (None, "") and current.get(k) != v:
                    person[k] = v
                    changes[k] = [_json(current.get(k)), _json(v)]
            if "name" in person:
                person["name_pinyin"], person["name_initials"] = name_keys(person["name"])
            if "marital_status" in person or "sex" in person:
                person["category"] = category(r.person["sex"], r.person.get("marital_status",
                                                                            current.get("marital_status")))
            if person:
                person.update(version=current["version"] + 1, updated_at=self.now)
            if r.stay and not self._stay(r, current, stays.get(current["id"]), person, changes):
                result.problems.append(ImportProblem(line=r.line, column="residence_code",
                                                     value=str(r.stay.get("residence_code") or "")[:100],
                                                     code="person_not_active", reason=NOT_ACTIVE[0],
                                                     reason_en=NOT_ACTIVE[1]))
                continue
            if not changes:
                result.unchanged += 1
                continue
            if person:
                self.persons[tuple(sorted(person))].append({**person, "_id": current["id"], "_version": current["version"]})
            result.updated += 1
            reason = f"legacy import, line {r.line}"
            if identity:
                reason += "; identity change accepted (" + ", ".join(identity) + ")"
            history.append(history_entry(self.actor, entity="person", entity_id=current["id"], person_id=current["id"],
                                         action="import", changes=changes, reason=reason,
                                         scope_code=r.person.get("household_code"), at=self.now,
                                         county=current["county"]))
            if "household_code" in person or "residence_code" in person:
                self.moved.add(current["id"])

    def _stay(self, r: Row, current: dict[str, Any], stay: dict[str, Any] | None, person: dict[str, Any],
              changes: dict[str, list[Any]]) -> bool:
        """A new open stay when there is none, else the fields that differ; the person's copy of its
        residence and arrival follows (``person`` gets them, without a version bump of its own). A row
        repeating the stay that ended with a deregistered or archived person changes nothing; one that
        differs from it would open a new stay, which ``stays.create`` refuses for a person who is not
        active: so does the import (False: the row is refused, nothing queued)."""
        if stay is not None and stay["status"] != "open":
            if not any(k in STAY_FIELDS and v is not None and stay[k] != v for k, v in r.stay.items()):
                return True
            stay = None
        if stay is None and current["status"] != "active":
            return False
        if stay is None:
            values = {**STAY_DEFAULTS, **r.stay, "reason": r.stay.get("reason") or "other"}
            self.new_stays.append({**values, "person_id": current["id"], "county": current["county"], "status": "open",
                                   "version": 1,
                                   "created_at": self.now, "updated_at": self.now,
                                   "created_by": self.actor.username,
                                   **sides.side_columns(self.actor, values.get("residence_code"),
                                                        values.get("household_code"), self.now, self.own)})
            changes.update({f"stay.{k}": [None, _json(v)] for k, v in values.items() if k in STAY_FIELDS and v is not None})
            person.update(residence_code=values["residence_code"], arrived_on=values["arrived_on"])
            return True
        delta = {k: v for k, v in r.stay.items() if k in STAY_FIELDS and v is not None and stay[k] != v}
        # the other side's stay of the same flow: this import is the importer's side's registration of it
        side = sides.joinable(self.actor, stay, r.stay.get("residence_code"), r.stay.get("household_code"),
                              self.own)
        if side is not None:
            delta[sides.SIDES[side]] = self.now
        if not delta:
            return True
        self.stays[tuple(sorted(delta))].append({**delta, "version": stay["version"] + 1, "updated_at": self.now,
                                                 "_id": stay["id"], "_version": stay["version"]})
        changes.update({f"stay.{k}": [_json(stay[k]), _json(v)] for k, v in delta.items()})
        if "residence_code" in delta or "arrived_on" in delta:
            person.update(residence_code=r.stay.get("residence_code", stay["residence_code"]),
                          arrived_on=r.stay.get("arrived_on", stay["arrived_on"]))
        return True

    def write(self) -> None:
        if self.new_stays:
            ids = bulk_insert.allocate_ids(self.session, t.Stay, len(self.new_stays))
            owner = {}
            for sid, row in zip(ids, self.new_stays, strict=True):
                row["id"] = sid
                owner[row["person_id"]] = sid
            bulk_insert.insert_rows(self.session.connection(), t.Stay.__table__, self.new_stays)
            for rows in self.persons.values():
                for row in rows:
                    if row["_id"] in owner:
                        row["current_stay_id"] = owner[row["_id"]]
            self.persons = _regroup(self.persons)
        for table, groups in ((t.Person.__table__, self.persons), (t.Stay.__table__, self.stays)):
            # compare-and-set: a record edited by someone else since it was read fails the whole import
            stmt = update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
            for rows in groups.values():
                if self.session.connection().execute(stmt, rows).rowcount != len(rows):
                    raise Conflict(IMPORT_CONFLICT, "导入期间有记录被他人修改，这一部分未写入；请重新导入（已写入的行会识别为无变化）",
                                   "a record was changed by someone else during the import; this part was not "
                                   "written: import again (the rows already written are recognised as unchanged)")
        self.persons.clear()
        self.stays.clear()
        self.new_stays = []


def _regroup(groups: dict[tuple[str, ...], list[dict[str, Any]]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    out: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for rows in groups.values():
        for row in rows:
            out[tuple(sorted(row))].append(row)
    return out


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
