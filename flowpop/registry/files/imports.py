"""Importing legacy person lists (CSV in UTF-8 or GB18030, XLSX): normalise, validate every row
with the registry's own rules, report each bad row (line, column, value, reason), then insert or
update by ID number in one transaction — nothing is imported partially unless asked to skip bad rows.

Each chunk of rows is read with the stored records of its ID numbers (``import_updates``): a row that
repeats its record is recognised without a check and costs no write. A large file is checked by worker
processes (``import_rows``) while this process writes what they have passed, and its indexes are built
once at the end instead of row by row."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from flowpop.registry.files.import_rows import (
    PERSON_FIELDS,
    Checked,
    Context,
    Row,
    check_chunk,
    problem,
)
from flowpop.registry.files.import_updates import STAY_DEFAULTS, Reader, Repeats, Updates
from flowpop.registry.files.import_workers import checked_in_helpers
from flowpop.registry.kernel import history
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.people import sides
from flowpop.registry.people.persons import HELD_ELSEWHERE
from flowpop.registry.store import bulk_insert
from flowpop.registry.store import tables as t
from flowpop.registry.store.bulk_insert import allocate_ids
from flowpop.registry.store.chunks import in_chunks
from flowpop.rules import idnumber, legacy
from flowpop.types import ImportProblem, ImportResult

CHUNK = 5000
HISTORY_BATCH = 20_000
PARALLEL_ROWS = 20_000  # from this many rows, worker processes check them
BULK_ROWS = 50_000  # from this many rows (and at least half the persons stored), indexes are built at the end
from flowpop.registry.people import sides
# rows already stored are still found by their ID number, their open stays by person
KEPT_INDEXES = ("ix_persons_id_number", "ix_stays_person_id")
Progress = Callable[[str, int, int], None]


@dataclass
class Options:
    dry_run: bool = False
    skip_bad: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    filename: str = ""


class _Refused(Exception):
    """Bad rows without --skip-bad: the transaction rolls back, the counts say what would have happened."""


def import_persons(reg: Registry, actor: Actor, data: bytes, options: Options, progress: Progress | None = None) -> ImportResult:
    """Good rows are written as they come; if any row is bad and bad rows are not to be skipped, the one
    transaction rolls back, so the counts still say what the import would have done."""
    actor.require("write")
    actor.require("bulk")
    result = ImportResult(total=0, inserted=0, updated=0, unchanged=0, duplicates=0, rejected=0, problems=[],
                          dry_run=options.dry_run, applied=False)
    table = legacy.read_table(data, options.filename)
    header = next(table, None)
    if header is None:
        return result
    columns = legacy.header_map([str(h or "") for h in header], options.mapping)
    missing = [k for k in ("id_number", "name", "household_code") if k not in columns.values()]
    if missing:
        result.rejected = 1
        result.problems = [problem(1, k, "", "缺少必需的列", "a required column is missing") for k in missing]
        return result
    nodes = reg.divisions.nodes
    ctx = Context(levels={code: n.level for code, n in nodes.items()},
                  by_name={n.full_name: n.code for n in nodes.values()},
                  actor=actor, day=today(), columns=sorted(columns.items()))
    expected = legacy.count_rows(data, options.filename)
    reader = Reader()
    repeats = Repeats(ctx, reader, lambda session, numbers: _existing(session, actor, numbers)[0])
    good = _good_rows(_checked(ctx, table, expected, repeats), result)
    with bulk_insert.no_gc():
        if options.dry_run:
            with reg.reading() as session:
                reader.session = session
                for chunk in good:
                    _refuse_held(result, chunk, _existing(session, actor, [r.number for r in chunk])[1])
                    _report(progress, "check", result.total, expected)
        else:
            try:
                with reg.reading() as look, reg.writing() as session:
                    reader.session = look
                    _store(session, reader, actor, good, result, expected, progress)
                    if (result.problems and not options.skip_bad) or not (result.inserted or result.updated
                                                                          or result.unchanged):
                        raise _Refused
                result.applied = True
            except _Refused:
                pass
    result.rejected = len({p.line for p in result.problems})
    return result


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress:
        progress(stage, done, max(done, total))


def _raw_chunks(table: Iterator[list[Any]]) -> Iterator[list[tuple[int, list[Any]]]]:
    chunk: list[tuple[int, list[Any]]] = []
    for line, raw in enumerate(table, start=2):
        chunk.append((line, raw))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _checked(ctx: Context, table: Iterator[list[Any]], expected: int, repeats: Repeats) -> Iterator[list[Checked]]:
    """Checked chunks in file order, each with the stored records of its ID numbers (rows that repeat them
    need no check): here for a small file, else by worker processes, a few chunks ahead."""
    chunks = ((chunk, repeats.stored(chunk)) for chunk in _raw_chunks(table))
    workers = min(2, os.cpu_count() or 1)
    # one core, or no interpreter to start (an embedding host): check here
    parallel = expected >= PARALLEL_ROWS and workers >= 2 and bool(sys.executable)
    for chunk, stored in chunks:
        # A chunk of mostly stored numbers is checked here: its repeats cost little, and helpers would only
        # add their start-up and the pickling of the records. From the first chunk of mostly new numbers,
        # helper processes check the rest.
        if parallel and 2 * len(stored) < len(chunk):
            yield from checked_in_helpers(ctx, itertools.chain([(chunk, stored)], chunks), workers)
            return
        yield check_chunk(ctx, chunk, stored)


def _good_rows(chunks: Iterator[list[Checked]], result: ImportResult) -> Iterator[list[Row]]:
    """The rows to store, chunk by chunk; problems, and lines repeating an earlier one, are counted."""
    seen: dict[str, tuple[int, bytes]] = {}
    total = 0
    for checked in chunks:
        good: list[Row] = []
        for row, problems in checked:
            total += 1
            if row is not None:
                earlier = seen.get(row.number)
                if earlier is None:
                    seen[row.number] = (row.line, row.digest)
                    good.append(row)
                    continue
                if earlier[1] == row.digest:
                    result.duplicates += 1
                    continue
                problems = [problem(row.line, "id_number", row.number,
                                    f"与第 {earlier[0]} 行身份证号相同但内容不同", f"same ID number as line {earlier[0]} "
                                    "with different details")]
            result.problems += problems
        result.total = total
        yield good


def _store(session: Session, reader: Reader, actor: Actor, chunks: Iterator[list[Row]], result: ImportResult,
           expected: int, progress: Progress | None) -> None:
    writer = _Writer(session, reader, actor, result, expected)
    with contextlib.ExitStack() as deferred:
        writer.deferrable = lambda: deferred.enter_context(bulk_insert.indexes_deferred(
            session.connection(), ("persons", "stays", "history"), keep=KEPT_INDEXES,
            report=lambda n, total: _report(progress, "indexes", n, total)))
        for chunk in chunks:
            writer.write(chunk)
            _report(progress, "import", result.total, expected)
        writer.finish()
        if writer.known is not None and session.get_bind().dialect.name == "postgresql":
            # a large load: fresh statistics, or the planner would scan whole tables where an index serves
            # (the look-ups of the next import of the same file among them)
            session.execute(text("ANALYZE persons, stays, history"))


class _Writer:
    """Stores checked rows: new ID numbers inserted in bulk (person, open stay, history), known ones updated.

    Until a chunk has something to write, chunks are compared with the store in a read session (``reader``),
    so that re-importing a file of unchanged rows never takes the write lock (SQLite's is the whole store's).
    The first chunk with a new or changed row starts the write transaction and is read again in it; from
    there on every chunk is read and written under the lock, and the whole import commits or rolls back."""

    def __init__(self, session: Session, reader: Reader, actor: Actor, result: ImportResult, expected: int) -> None:
        self.session, self.reader, self.actor, self.result = session, reader, actor, result
        self.expected = expected
        self.writing = False
        self.now = t.utcnow()
        self.known: set[str] | None = None  # every ID number already stored, when loaded up front
        self.history: list[dict[str, Any]] = []
        self.deferrable: Callable[[], object] | None = None  # drops the indexes, to build them once at the end
        self.defer_indexes: Callable[[], object] | None = None  # the same, once a large import writes (SQLite)

    def _only_repeats(self, chunk: list[Row]) -> bool:
        """Whether the chunk only repeats what is stored, read without the write lock (its rows are then
        counted here); otherwise nothing is counted, and the caller writes the chunk."""
        with self.reader.reading() as look:
            existing, held = _existing(look, self.actor, [r.number for r in chunk])
            if any(r.number not in existing and r.number not in held for r in chunk):
                return False
            probe = self.result.model_copy(update={"unchanged": 0, "updated": 0})
            Updates(look, self.actor, self.now).compare([r for r in chunk if r.number in existing], existing, probe, [])
            if probe.updated:
                return False
        _refuse_held(self.result, chunk, held)
        self.result.unchanged += probe.unchanged
        return True

    def _start(self) -> None:
        self.writing = self.reader.writing = True
        self.reader.session = self.session
        if self.bulk(self.expected):
            self.defer_indexes = self.deferrable

    def bulk(self, expected: int) -> bool:
        """A large import into a registry not much bigger than it learns the stored ID numbers up front
        instead of looking each chunk up (on PostgreSQL, statistics taken before the import would have
        the planner read the whole growing table for each look-up); on SQLite it also defers the indexes."""
        if expected < BULK_ROWS:
            return False
        stored = int(self.session.execute(select(func.count()).select_from(t.Person)).scalar_one())
        if expected < stored // 2:
            return False
        self.known = set(self.session.execute(select(t.Person.id_number)).scalars())
        return self.session.get_bind().dialect.name == "sqlite"

    def write(self, chunk: list[Row]) -> None:
        repeated = sum(1 for r in chunk if r.same)
        if repeated:
            self.result.unchanged += repeated
            chunk = [r for r in chunk if not r.same]
            if not chunk:
                return
        if not self.writing:
            if self._only_repeats(chunk):
                return
            self._start()
        numbers = [r.number for r in chunk]
        if self.known is not None:
            numbers = [n for n in numbers if any(form in self.known for form in idnumber.forms(n))]
        existing, held = _existing(self.session, self.actor, numbers) if numbers else ({}, set())
        chunk = _refuse_held(self.result, chunk, held)
        fresh = [r for r in chunk if r.number not in existing]
        if fresh:
            # only once a chunk is mostly new: rebuilding every index costs more than re-importing known rows
            if self.defer_indexes is not None and 2 * len(fresh) >= len(chunk):
                self.defer_indexes()
                self.defer_indexes = None
            self._insert(fresh)
        stored = [r for r in chunk if r.number in existing]
        if stored:
            updates = Updates(self.session, self.actor, self.now)
            updates.compare(stored, existing, self.result, self.history)
            updates.write()
        if len(self.history) >= HISTORY_BATCH:
            self.finish()

    def _insert(self, rows: list[Row]) -> None:
        session, now, username = self.session, self.now, self.actor.username
        ids = allocate_ids(session, t.Person, len(rows))
        owners = [i for i, r in enumerate(rows) if r.stay]
        stay_ids = dict(zip(owners, allocate_ids(session, t.Stay, len(owners)), strict=True))
        persons, stays = [], []
        for i, (pid, r) in enumerate(zip(ids, rows, strict=True)):
            p, stay, sid = r.person, r.stay, stay_ids.get(i)
            persons.append({
                "id": pid, "id_number": p["id_number"], "id_rev": p["id_rev"], "name": p["name"],
                "name_pinyin": p["name_pinyin"], "name_initials": p["name_initials"], "sex": p["sex"],
                "birth_date": p["birth_date"], "ethnicity": p.get("ethnicity"), "education": p.get("education"),
                "hukou_type": p.get("hukou_type"), "marital_status": p.get("marital_status"),
                "category": p["category"], "phone": p.get("phone"), "household_code": p["household_code"],
                "household_address": p.get("household_address"), "note": p.get("note"), "status": "active",
                "residence_code": stay.get("residence_code"), "arrived_on": stay.get("arrived_on"),
                "current_stay_id": sid, "warnings": r.warnings, "version": 1, "created_at": now, "updated_at": now,
                "created_by": username,
            })
            if sid is not None:
                stays.append({**STAY_DEFAULTS, **stay, "reason": stay.get("reason") or "other", "id": sid,
                              "person_id": pid, "status": "open", "version": 1, "created_at": now, "updated_at": now,
                              "created_by": username,
                              **sides.side_columns(self.actor, stay.get("residence_code"),
                                                   stay.get("household_code"), now)})
            self.history.append(history.entry(self.actor, entity="person", entity_id=pid, person_id=pid, action="import",
                                              changes={"line": [None, r.line]}, reason="legacy import",
                                              scope_code=p["household_code"], at=now))
        _insert(session, t.Person, persons)
        _insert(session, t.Stay, stays)
        self.result.inserted += len(persons)

    def finish(self) -> None:
        if self.history:
            _insert(self.session, t.HistoryEntry, self.history)
            self.history = []


def _existing(session: Session, actor: Actor, numbers: list[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The stored record each number updates (an active one in the caller's area, else an ended one there),
    and the numbers held by an active record outside it only: refused, as create refuses them. Records
    outside the area are never updated; a number held there only by ended ones is new here, as for create.
    A record may hold the number in its legacy 15-digit form (idnumber.forms)."""
    cols = [t.Person.id, t.Person.id_number, t.Person.version, t.Person.status, t.Person.current_stay_id,
            t.Person.residence_code, *[getattr(t.Person, f) for f in PERSON_FIELDS if f != "name"], t.Person.name]
    rows: list[dict[str, Any]] = []
    keys = [c.key for c in cols]
    given = {form: number for number in numbers for form in idnumber.forms(number)}
    forms = list(given)
    for part in in_chunks(forms):
        stmt = select(*cols).where(t.Person.id_number.in_(part)).order_by(t.Person.id)
        rows += [dict(zip(keys, row, strict=True)) for row in session.connection().execute(stmt)]
    ours = _in_area(session, actor, rows)
    found: dict[str, dict[str, Any]] = {}
    held: set[str] = set()
    for row in rows:
        number = given[row["id_number"]]
        if row["id"] not in ours:
            if row["status"] == "active":
                held.add(number)
            continue
        current = found.get(number)
        if current is None or (current["status"] != "active" and row["status"] == "active"):
            found[number] = row
    held -= {n for n, row in found.items() if row["status"] == "active"}
    return {n: row for n, row in found.items() if n not in held}, held


def _in_area(session: Session, actor: Actor, rows: list[dict[str, Any]]) -> set[int]:
    """Ids of the records the caller may change: household or residence in its area, or a past stay there
    (as ``persons.sees``)."""
    if not actor.prefix:
        return {row["id"] for row in rows}
    ours = {row["id"] for row in rows if actor.covers(row["household_code"]) or actor.covers(row["residence_code"])}
    rest = [row["id"] for row in rows if row["id"] not in ours]
    for part in in_chunks(rest):
        ours.update(session.execute(select(t.Stay.person_id).where(
            t.Stay.person_id.in_(part), code_range(t.Stay.residence_code, actor.prefix))).scalars())
    return ours


def _refuse_held(result: ImportResult, chunk: list[Row], held: set[str]) -> list[Row]:
    """Rows whose number is held outside the caller's area are refused with create's code and words."""
    if not held:
        return chunk
    code, zh, en = HELD_ELSEWHERE
    result.problems += [ImportProblem(line=r.line, column="id_number", value=r.number, reason=zh, reason_en=en, code=code)
                        for r in chunk if r.number in held]
    return [r for r in chunk if r.number not in held]


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    bulk_insert.insert_rows(session.connection(), table.__table__, rows)
