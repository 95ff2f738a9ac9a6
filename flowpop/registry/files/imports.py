"""Importing legacy person lists (CSV in UTF-8 or GB18030, XLSX, XLS, ODS): normalise, validate every row
with the registry's own rules, report each bad row (line, column, value, reason), then insert or update by
ID number.

**Chunked commits with a batch row (our choice for "never half-done, never blocking").** The good rows are
written a chunk (``CHUNK`` rows) per transaction, and each chunk's transaction also brings the import's row
in ``import_batches`` up to date (``import_batches.Batch.note``: counts and ``last_line``). So another writer
waits at most one chunk's write for the store's lock (SQLite's lock is the whole store's), and a killed
import leaves whole chunks only: the batch row says how far it got (``last_line``), reads ``interrupted``,
and importing the same file again resumes it, the rows already stored being recognised as unchanged at
re-import speed. (A staging table with a final swap would hold the lock for the whole swap.)
Without ``skip_bad`` every row is checked first and nothing is written if one is bad; the rows are then
checked again as they are written, since the store may have moved meanwhile.

Each chunk of rows is read with the stored records of its ID numbers (``import_updates``): a row that
repeats its record is recognised without a check and costs no write; a chunk with nothing to write takes no
write lock. A known ID number with another name, sex or birth date is a conflict, refused with its reason
unless the caller accepts identity changes (then history records them). A large file is checked by worker
processes (``import_workers``) while this process writes what they have passed."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from flowpop.registry.files import import_batches
from flowpop.registry.files.import_rows import (
    PERSON_FIELDS,
    Checked,
    Context,
    Row,
    check_chunk,
    check_id,
    problem,
)
from flowpop.registry.files.import_updates import IMPORT_CONFLICT, Reader, Repeats, Updates
from flowpop.registry.files.import_workers import checked_in_helpers
from flowpop.registry.kernel import area, id_numbers
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.errors import Conflict
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.people import moves, sides
from flowpop.registry.people.moves import person_county
from flowpop.registry.people.persons import HELD_ELSEWHERE
from flowpop.registry.store import bulk_insert
from flowpop.registry.store import tables as t
from flowpop.registry.store.bulk_insert import allocate_ids, insert_tuples
from flowpop.registry.store.chunks import in_chunks, piece
from flowpop.rules import idnumber, legacy
from flowpop.types import ImportProblem, ImportResult

CHUNK = 2500  # rows per write transaction: what another writer may wait on
CHUNK_ATTEMPTS = 3  # a chunk whose records someone else changed meanwhile is read and written again
PARALLEL_ROWS = 20_000  # from this many rows, worker processes check them
BULK_ROWS = 50_000  # from this many rows (and at least half the persons stored), stored ID numbers are read up front
Progress = Callable[[str, int, int], None]


@dataclass
class Options:
    dry_run: bool = False
    skip_bad: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    accept_identity_changes: bool = False  # apply a known ID number's new name, sex or birth date
    batch_id: str | None = None  # the caller's id for the import's batch (to follow its progress)


def import_persons(reg: Registry, actor: Actor, data: Any, options: Options, progress: Progress | None = None) -> ImportResult:
    """Check every row, then write the good ones a chunk per transaction (see the module's docstring). Without
    ``skip_bad`` every row is checked before anything is written: one bad row and nothing is, and the counts
    say what the import would have done."""
    actor.require("write")
    actor.require("bulk")
    result = _blank(options.dry_run)
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
                  actor=actor, day=today(), columns=sorted(columns.items()), own=area.own_area(reg))
    expected = legacy.count_rows(data, options.filename)
    batch = import_batches.Batch.start(reg, actor, options.batch_id, "persons", options.filename, expected,
                                       {"dry_run": options.dry_run, "skip_bad": options.skip_bad,
                                        "accept_identity_changes": options.accept_identity_changes})
    result.batch_id = batch.id
    try:
        with bulk_insert.no_gc():
            if options.dry_run or not options.skip_bad:
                _check_all(reg, actor, ctx, table, result, expected, options, batch, progress)
                result.rejected = len({p.line for p in result.problems})
                if options.dry_run or result.problems or not (result.inserted or result.updated or result.unchanged):
                    batch.finish("done" if options.dry_run else "refused", result)
                    return result
                if not (result.inserted or result.updated):  # every row repeats the store: nothing to write
                    result.applied = True
                    batch.finish("done", result)
                    return result
                # every row passed: now write them (checked again, as the store may have moved meanwhile)
                result = _blank(False)
                result.batch_id = batch.id
                table = legacy.read_table(data, options.filename)
                next(table, None)
            _write_all(reg, actor, ctx, table, result, expected, options, batch, progress)
        result.rejected = len({p.line for p in result.problems})
        result.applied = bool(result.inserted or result.updated or result.unchanged)
        batch.finish("done", result)
    except BaseException:
        batch.finish("failed", result)
        raise
    return result


def _blank(dry_run: bool) -> ImportResult:
    return ImportResult(total=0, inserted=0, updated=0, unchanged=0, duplicates=0, rejected=0, problems=[],
                        dry_run=dry_run, applied=False)


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
    if parallel:
        # stored numbers too: comparing a row with its record costs this process as much as reading the
        # records does (an unchanged 100k-row file: 5.4 s with helpers, 6.2-7.3 s without)
        yield from checked_in_helpers(ctx, chunks, workers)
        return
    for chunk, stored in chunks:
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
                    if row.notes:  # rare; a pydantic attribute set costs µs, per row
                        result.warnings += row.notes
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


def _rows(reg: Registry, actor: Actor, ctx: Context, table: Iterator[list[Any]], result: ImportResult,
          expected: int) -> Iterator[list[Row]]:
    """The good rows of the file, chunk by chunk, each chunk's stored records read in a short read
    transaction of its own (no snapshot held from one chunk to the next)."""
    reader = Reader()
    repeats = Repeats(ctx, reader, lambda session, numbers: _existing(session, actor, numbers)[0])
    with reg.reading() as look:
        reader.session = look
        yield from _good_rows(_checked(ctx, table, expected, repeats), result)


def _check_all(reg: Registry, actor: Actor, ctx: Context, table: Iterator[list[Any]], result: ImportResult,
               expected: int, options: Options, batch: import_batches.Batch, progress: Progress | None) -> None:
    """Every row checked and compared with the store, nothing written: the counts of what the import would do."""
    now = t.utcnow()
    for chunk in _rows(reg, actor, ctx, table, result, expected):
        result.unchanged += sum(1 for r in chunk if r.same)
        rows = [r for r in chunk if not r.same]
        if rows:
            with reg.reading() as look:
                existing, held = _existing(look, actor, [r.number for r in rows])
                rows = _refuse_held(result, rows, held)
                result.inserted += sum(1 for r in rows if r.number not in existing)
                Updates(look, actor, now, accept_identity=options.accept_identity_changes, own=ctx.own).compare(
                    [r for r in rows if r.number in existing], existing, result, [])
                look.rollback()
        _report(progress, "check", result.total, expected)
        batch.tick("check", result)


def _write_all(reg: Registry, actor: Actor, ctx: Context, table: Iterator[list[Any]], result: ImportResult,
               expected: int, options: Options, batch: import_batches.Batch, progress: Progress | None) -> None:
    writer = _Writer(reg, actor, result, batch, options.accept_identity_changes)
    writer.learn_stored(expected)
    for chunk in _rows(reg, actor, ctx, table, result, expected):
        writer.write(chunk)
        _report(progress, "import", result.total, expected)
    if writer.wrote and reg.engine.dialect.name == "postgresql":
        # a large load: fresh statistics, or the planner would scan whole tables where an index serves
        # (the look-ups of the next import of the same file among them)
        with reg.writing() as session:
            session.execute(text("ANALYZE persons, stays, history, id_numbers"))


class _Writer:
    """Stores checked rows a chunk per transaction: new ID numbers inserted in bulk (person, open stay,
    history), known ones updated, and the batch's row brought up to date in the same transaction.

    A chunk is first compared with the store in a read transaction: one that only repeats what is stored
    (or whose rows are all refused) takes no write lock at all. Otherwise the chunk is read again and
    written in one write transaction, which is all another writer can wait on (SQLite's lock is the whole
    store's). A record changed by someone else between that read and the write (PostgreSQL, where the read
    takes no lock) makes the chunk's transaction roll back and the chunk is done again."""

    def __init__(self, reg: Registry, actor: Actor, result: ImportResult, batch: import_batches.Batch,
                 accept_identity: bool) -> None:
        self.reg, self.actor, self.result, self.batch = reg, actor, result, batch
        self.accept_identity = accept_identity
        self.now = t.utcnow()
        self.wrote = False
        # Every ID number stored, when learnt up front (a large import into a registry not much bigger than
        # it): a number not in it is new without a look-up. Numbers others store meanwhile are caught up
        # under each chunk's write lock (persons with an id above ``high``). On PostgreSQL, where there is
        # no such lock and ids are taken from a sequence, a number someone creates while a chunk is being
        # written can be missed, as two concurrent creates of one number can (no unique index backs it).
        self.known: set[str] | None = None
        self.high = 0

    def learn_stored(self, expected: int) -> None:
        if expected < BULK_ROWS:
            return
        with self.reg.reading() as session:
            stored = int(session.execute(select(func.count()).select_from(t.Person)).scalar_one())
            if expected < stored // 2:
                return
            self.known = set()
            self._catch_up(session)

    def _catch_up(self, session: Session) -> None:
        assert self.known is not None
        for pid, number in session.execute(select(t.Person.id, t.Person.id_number).where(t.Person.id > self.high)):
            self.known.add(number)
            self.high = max(self.high, pid)

    def _is_known(self, number: str) -> bool:
        """Whether the (checked) number is stored, in its 18-digit form or, for someone born in the 1900s,
        its legacy 15-digit one (``idnumber.forms``, whose check of the check character a checked number
        has passed)."""
        known = self.known
        assert known is not None
        if number in known:
            return True
        if len(number) == 18 and number[6:8] == "19":
            return number[:6] + number[8:17] in known
        return len(number) != 18 and any(form in known for form in idnumber.forms(number))

    def write(self, chunk: list[Row]) -> None:
        result = self.result
        repeated = sum(1 for r in chunk if r.same)
        result.unchanged += repeated
        rows = [r for r in chunk if not r.same] if repeated else chunk
        if rows and (self.known is None or all(self._is_known(r.number) for r in rows)):
            probe = _blank(False)
            with self.reg.reading() as look:
                plan = self._plan(look, rows, probe, [])
                look.rollback()
            if not (plan.fresh or plan.updates.persons or plan.updates.stays or plan.updates.new_stays):
                _merge(result, probe)  # nothing to write: no lock taken
                rows = []
        if rows:
            self._write_chunk(rows)
        self.batch.tick("import", result, line=chunk[-1].line if chunk else None)

    def _plan(self, session: Session, rows: list[Row], probe: ImportResult, history_rows: list[dict[str, Any]]) -> _Plan:
        numbers = [r.number for r in rows]
        if self.known is not None:
            numbers = [n for n in numbers if self._is_known(n)]
        existing, held = _existing(session, self.actor, numbers) if numbers else ({}, set())
        rows = _refuse_held(probe, rows, held)
        updates = Updates(session, self.actor, self.now, accept_identity=self.accept_identity,
                          own=area.own_area(self.reg))
        updates.compare([r for r in rows if r.number in existing], existing, probe, history_rows)
        return _Plan([r for r in rows if r.number not in existing], updates)

    def _write_chunk(self, rows: list[Row]) -> None:
        for attempt in range(CHUNK_ATTEMPTS):
            probe = _blank(False)
            history_rows: list[dict[str, Any]] = []
            try:
                with self.reg.writing() as session:
                    if self.known is not None:
                        self._catch_up(session)
                    plan = self._plan(session, rows, probe, history_rows)
                    entries = self._insert(session, plan.fresh, probe) if plan.fresh else []
                    plan.updates.write()
                    _insert(session, t.HistoryEntry, history_rows)
                    insert_tuples(session.connection(), t.HistoryEntry.__table__, _HISTORY_KEYS, entries)
                    moves.settle(session, plan.updates.moved)  # a stay in another county moves the person
                    self.batch.note(session, "import", self.result, rows[-1].line, plus=probe)
            except Conflict as exc:
                if exc.code != IMPORT_CONFLICT or attempt == CHUNK_ATTEMPTS - 1:
                    raise
                continue
            self.batch.committed()
            _merge(self.result, probe)
            self.wrote = True
            return

    def _insert(self, session: Session, rows: list[Row], probe: ImportResult) -> list[tuple[Any, ...]]:
        """New records (person, open stay) as tuples straight to the driver (``insert_tuples``): building and
        encoding a dictionary per record cost more than the store's own work. Returns their history rows
        (``_HISTORY_KEYS``), for the caller to write after those of the chunk's updates."""
        conn = session.connection()
        enc = bulk_insert.Encoding(conn)
        date, as_json = enc.date, enc.json
        now, username, user_id = enc.datetime(self.now), self.actor.username, self.actor.user_id
        reason = f"legacy import {self.batch.id}"
        ids = allocate_ids(session, t.Person, len(rows))
        owners = [i for i, r in enumerate(rows) if r.stay]
        stay_ids = dict(zip(owners, allocate_ids(session, t.Stay, len(owners)), strict=True))
        side, own = sides.registering_side, area.own_area(self.reg)
        # the side by (residence, household): a file names few pairs, and the caller and own area are the chunk's
        sides_of: dict[tuple[str | None, str | None], str | None] = {}
        persons, stays, entries, numbers = [], [], [], []
        for i, (pid, r) in enumerate(zip(ids, rows, strict=True)):
            p, stay, sid = r.person, r.stay, stay_ids.get(i)
            arrived = stay.get("arrived_on")
            county = person_county(stay.get("residence_code") if sid is not None else None, p["household_code"])
            persons.append((
                pid, p["id_number"], p["id_rev"], p["name"], p["name_pinyin"], p["name_initials"], p["sex"],
                date(p["birth_date"]), p.get("ethnicity"), p.get("education"), p.get("hukou_type"),
                p.get("marital_status"), p["category"], p.get("phone"), p["household_code"],
                p.get("household_address"), p.get("note"), "active", stay.get("residence_code"),
                None if arrived is None else date(arrived), sid, as_json(r.warnings) if r.warnings else "[]", 1,
                now, now, username, county))
            numbers.append((p["id_number"], county, pid))
            if sid is not None:
                g = stay.get
                left, expected = g("left_home_on"), g("expected_return_on")
                pair = (g("residence_code"), g("household_code"))
                try:
                    registered = sides_of[pair]
                except KeyError:
                    registered = sides_of[pair] = side(self.actor, *pair, own)
                stays.append((
                    sid, pid, g("household_code"), g("residence_code"), g("residence_address"), g("grid_code"),
                    g("house_code"), g("room"), g("reason") or "other", None if left is None else date(left),
                    None if arrived is None else date(arrived), None if expected is None else date(expected),
                    g("occupation"), g("employer"), "open", 1, now, now, username,
                    now if registered == "inflow" else None, now if registered == "outflow" else None, county))
            entries.append((now, "person", pid, pid, "import", user_id, username, reason,
                            f'{{"line":[null,{r.line}]}}', p["household_code"], county))
        insert_tuples(conn, t.Person.__table__, _PERSON_KEYS, persons)
        insert_tuples(conn, t.Stay.__table__, _STAY_KEYS, stays)
        id_numbers.add_rows(conn, numbers)
        if self.known is not None:
            self.known.update(r.person["id_number"] for r in rows)
            self.high = max(self.high, ids[-1])
        probe.inserted += len(persons)
        return entries


# the columns of the records a new row makes, in the order ``_Writer._insert`` builds them
_PERSON_KEYS = ("id", "id_number", "id_rev", "name", "name_pinyin", "name_initials", "sex", "birth_date", "ethnicity",
                "education", "hukou_type", "marital_status", "category", "phone", "household_code",
                "household_address", "note", "status", "residence_code", "arrived_on", "current_stay_id", "warnings",
                "version", "created_at", "updated_at", "created_by", "county")
_STAY_KEYS = ("id", "person_id", "household_code", "residence_code", "residence_address", "grid_code", "house_code",
              "room", "reason", "left_home_on", "arrived_on", "expected_return_on", "occupation", "employer", "status",
              "version", "created_at", "updated_at", "created_by", *sides.SIDES.values(), "county")
_HISTORY_KEYS = ("at", "entity", "entity_id", "person_id", "action", "user_id", "username", "reason", "changes",
                 "scope_code", "county")


class _Plan:
    __slots__ = ("fresh", "updates")

    def __init__(self, fresh: list[Row], updates: Updates) -> None:
        self.fresh, self.updates = fresh, updates


def _merge(into: ImportResult, part: ImportResult) -> None:
    into.inserted += part.inserted
    into.updated += part.updated
    into.unchanged += part.unchanged
    into.problems += part.problems


def _existing(session: Session, actor: Actor, numbers: list[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The stored record each number updates (an active one in the caller's area, else an ended one there),
    and the numbers held by an active record outside it only: refused, as create refuses them. Records
    outside the area are never updated; a number held there only by ended ones is new here, as for create.
    A record may hold the number in its legacy 15-digit form (idnumber.forms)."""
    cols = [t.Person.id, t.Person.id_number, t.Person.version, t.Person.status, t.Person.current_stay_id,
            t.Person.county, t.Person.residence_code, t.Person.sex, t.Person.birth_date, *[getattr(t.Person, f) for f in PERSON_FIELDS if f != "name"], t.Person.name]
    rows: list[dict[str, Any]] = []
    keys = [c.key for c in cols]
    given = {form: number for number in numbers for form in _forms(number)}
    # the index first (one shard per number on a distributed store), then the records it names, by (county, id)
    holders = id_numbers.holders(session.connection(), list(given))  # ordered by person: so are the rows
    for part in in_chunks(holders, piece(session.get_bind().dialect.name) // 2):  # (county, id): two values a record
        stmt = select(*cols).where(id_numbers.among(session, part)).order_by(t.Person.id)
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


def _forms(number: str) -> list[str]:
    """``idnumber.forms``, with its check of the check character done the fast way (``check_id``)."""
    if len(number) == 18 and number[6:8] == "19":
        return [number, number[:6] + number[8:17]] if check_id(number, _FAR_FUTURE).ok else [number]
    return idnumber.forms(number)


_FAR_FUTURE = dt.date(9999, 12, 31)


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
