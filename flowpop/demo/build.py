"""A realistic demo registry: 三明市 with demo townships, villages, grids and houses, and persons
flowing in, out and between its counties, with their stays, history and landlords' declarations.

``build(db, size)`` is what ``flowpop demo`` calls. Demo places are marked ``is_demo`` and their names
carry "（演示）"; a few percent of the persons carry deliberate data errors for the quality checks
(counted per kind in the summary). Rows go in with bulk inserts in one transaction, generated while
the previous chunk is written: 100k persons take about 20 s of CPU on SQLite.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, SQLColumnExpression, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from flowpop.demo import ops as demo_ops
from flowpop.demo.people import Chunk, PeopleGenerator, make_plan
from flowpop.demo.places import CITY, Places, build_places
from flowpop.registry.kernel import divisions, id_numbers
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.store import bulk_insert
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine, migrate, normalize_url
from flowpop.registry.store.distribution import shard_county

Progress = Callable[[str, int, int], None]
CHUNK = 5000
SANYUAN = "350404000000"


class DemoRefused(ValueError):
    """The target registry holds data that a demo build would mix with or wipe."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en

    def localized(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass
class DemoSummary:
    db: str
    seed: int
    divisions: int = 0
    demo_divisions: int = 0
    persons: int = 0
    stays: int = 0
    history: int = 0
    houses: int = 0
    declarations: int = 0  # landlords' tenant declarations
    # as seen from 三明市: household elsewhere / household in 三明 living elsewhere / both in 三明
    inflow: int = 0
    outflow: int = 0
    local: int = 0
    cross_county: int = 0  # of the local ones: household and residence in different 三明 counties
    statuses: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    key_targets: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    operations: dict[str, int] = field(default_factory=dict)  # employers, permits, messages, campaigns …
    seconds: float = 0.0


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _person_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("persons"):
                return 0
            return int(conn.execute(select(func.count()).select_from(t.Person)).scalar_one())
    finally:
        engine.dispose()


def _prepare(url: str, replace: bool) -> None:
    path = _sqlite_path(url)
    if replace and path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if (path is None or path.exists()) and (count := _person_count(url)):
        if replace:
            raise DemoRefused(f"PostgreSQL 数据库中已有 {count} 名人员，演示数据不会清空它；请换用空数据库",
                              f"the PostgreSQL database already holds {count} persons; a demo build never wipes it: "
                              "use an empty database")
        raise DemoRefused(f"登记库中已有 {count} 名人员；如需重建演示库请加 --replace",
                          f"the registry already holds {count} persons; use --replace to rebuild the demo")


def _load_divisions(conn: Connection, places: Places) -> int:
    with Session(bind=conn) as session:
        divisions.load(session, places.rows)
        session.flush()
        return int(session.execute(select(func.count()).select_from(t.Division)).scalar_one())


def _users(conn: Connection, places: Places) -> list[str]:
    sanyuan = places.sanming["350404"]
    (t1, _), (t2, _) = sanyuan.townships[:2]
    wanted = [
        ("sanyuan_admin", "三元区管理员（演示）", "county_admin", SANYUAN),
        ("sanyuan_op1", "三元区乡镇信息员一（演示）", "township_operator", t1),
        ("sanyuan_op2", "三元区乡镇信息员二（演示）", "township_operator", t2),
        ("sanyuan_assist", "三元区村居协管员（演示）", "village_assistant", sanyuan.villages[0].code),
        ("sanming_viewer", "三明市查看员（演示）", "city_viewer", CITY),
        ("sanming_auditor", "三明市审计员（演示）", "auditor", CITY),
    ]
    existing = set(conn.execute(select(t.User.username)).scalars())
    made = []
    for username, display, role, code in wanted:
        if username in existing:
            continue
        user_id = conn.execute(
            insert(t.User).values(username=username, display_name=display, role=role, jurisdiction_code=code,
                                  disabled=False).returning(t.User.id)
        ).scalar_one()
        conn.execute(insert(t.HistoryEntry).values(
            entity="user", entity_id=user_id, person_id=None, action="create", user_id=None, username="demo",
            changes={"username": [None, username], "role": [None, role], "jurisdiction_code": [None, code]},
            scope_code=code, county=shard_county(code)))
        made.append(username)
    return made


def _next_id(conn: Connection, column: SQLColumnExpression[int]) -> int:
    return int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1


def _insert(conn: Connection, table: type[t.Base], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        bulk_insert.insert_sqlite(conn, table.__table__, rows)
    else:
        conn.execute(insert(table), rows)


def _write(conn: Connection, chunk: Chunk) -> None:
    _insert(conn, t.Person, chunk.persons)
    id_numbers.add_rows(conn, [(p["id_number"], p["county"], p["id"]) for p in chunk.persons])
    _insert(conn, t.Stay, chunk.stays)
    _insert(conn, t.HistoryEntry, chunk.history)
    _insert(conn, t.Declaration, chunk.declarations)


def _bulk_mode(conn: Connection) -> None:
    """SQLite: a rollback journal for this one big transaction (WAL would write every page twice), a big cache."""
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.driver_connection
    assert raw is not None  # an open connection has its driver's
    raw.commit()  # out of the transaction begun above, to switch the journal mode
    # a demo file that a crash leaves half-written is simply built again: no fsync
    for pragma in ("journal_mode=DELETE", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY"):
        raw.execute(f"PRAGMA {pragma}")
    raw.execute("BEGIN IMMEDIATE")


def _persons(conn: Connection, people: PeopleGenerator, size: int, report: Progress) -> None:
    """Generate chunk k+1 while chunk k is written: sqlite3 lets go of the GIL inside SQLite."""
    report("persons", 0, size)
    indexes = [i for table in (t.Person, t.Stay, t.HistoryEntry) for i in table.__table__.indexes]
    for index in indexes:  # building them once at the end beats keeping them sorted row by row
        index.drop(conn, checkfirst=True)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-writer") as writer:
        pending: Future[None] | None = None
        for start in range(0, size, CHUNK):
            chunk = Chunk()
            for number in range(start, min(size, start + CHUNK)):
                people.person(number, chunk)
            people.tally.stays += len(chunk.stays)
            people.tally.history += len(chunk.history)
            people.tally.declarations += len(chunk.declarations)
            if pending is not None:
                pending.result()
                report("persons", start, size)
            pending = writer.submit(_write, conn, chunk)
        if pending is not None:
            pending.result()
    report("persons", size, size)
    report("indexes", 0, len(indexes))
    for n, index in enumerate(indexes, 1):
        index.create(conn, checkfirst=True)
        report("indexes", n, len(indexes))


def _finish(url: str) -> None:
    """Sequences past the ids we chose (PostgreSQL), planner statistics, a small WAL file (SQLite)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                for table in ("persons", "stays"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))
            conn.execute(text("ANALYZE"))
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def build(db: str, size: int = 20000, *, seed: int = 7, replace: bool = False,
          progress: Progress | None = None) -> DemoSummary:
    """Build a demo registry of ``size`` persons in ``db`` (SQLite path or database URL)."""
    started = time.perf_counter()
    with bulk_insert.no_gc():
        summary = _build(db, size, seed, replace, progress or (lambda stage, done, total: None))
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _build(db: str, size: int, seed: int, replace: bool, report: Progress) -> DemoSummary:
    url = normalize_url(db)
    _prepare(url, replace)
    migrate(url)
    rng = random.Random(seed)
    places = build_places(rng, size)
    summary = DemoSummary(db=db, seed=seed, demo_divisions=places.demo_count)
    engine = make_engine(url)
    try:
        with engine.execution_options(write=True).begin() as conn:
            _bulk_mode(conn)
            report("divisions", 0, len(places.rows))
            summary.divisions = _load_divisions(conn, places)
            report("divisions", len(places.rows), len(places.rows))
            summary.users = _users(conn, places)
            people = PeopleGenerator(rng, places, make_plan(rng, size), today=today(),
                                     first_person_id=_next_id(conn, t.Person.id), first_stay_id=_next_id(conn, t.Stay.id))
            houses = people.houses(size)
            _insert(conn, t.House, houses)
            summary.houses = len(houses)
            _persons(conn, people, size, report)
    finally:
        engine.dispose()
    report("analyze", 0, 1)
    _finish(url)
    report("analyze", 1, 1)
    registry = Registry(url)
    try:
        summary.operations = demo_ops.add(registry, seed, report)
        with registry.reading() as session:  # inspections deregistered some: count statuses as they are now
            statuses = dict(session.execute(select(t.Person.status, func.count()).group_by(t.Person.status)).all())
    finally:
        registry.close()
    tally = people.tally
    summary.persons, summary.stays, summary.history = tally.persons, tally.stays, tally.history
    summary.declarations = tally.declarations
    summary.inflow, summary.outflow = tally.directions["inflow"], tally.directions["outflow"]
    summary.local, summary.cross_county = tally.directions["local"], tally.directions["cross_county"]
    summary.statuses = {k: int(v) for k, v in sorted(statuses.items())}
    summary.categories = dict(sorted(tally.categories.items()))
    summary.key_targets = tally.key_targets
    summary.errors = dict(sorted(tally.errors.items()))
    return summary
