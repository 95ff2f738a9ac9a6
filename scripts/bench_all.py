"""Every figure of issues #2–#6 in one run (issue #7), on SQLite and on PostgreSQL, with plain SQL beside.

    python scripts/bench_all.py --size 1000000 [--pg postgresql://postgres@127.0.0.1:5432/flowpop_bench]
                                [--import-rows 1000000] [--skip-sqlite] [--console-runs 3]
                                [--sqlite registry.db --reuse]   # time registries built before

For each store: build the demo registry (--size persons), then time through the SDK, as users and scripts
meet them: look-ups and searches, deep pages, the console's start (scripts/bench.py); rates, quality, the
inbox, houses, a bulk change and its revert (scripts/bench_ops.py); a legacy import of --import-rows rows.

Where a figure rests on raw database speed, the same work is also done as plain SQL: the read statements
the registry sent for it are recorded and replayed on a bare driver connection (no HTTP, no models), and
for the import, `sqlite-utils insert --csv` (SQLite) or COPY into an unindexed table (PostgreSQL) on the
same file. The ratio ours / plain is what the registry adds. The PostgreSQL database named by --pg is
dropped and created anew (unless --reuse). Progress goes to stderr; the tables to stdout.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench  # noqa: E402
import bench_ops  # noqa: E402

import flowpop  # noqa: E402
from flowpop.registry.store.db import make_engine  # noqa: E402

COUNTY = bench_ops.COUNTY


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Recorder:
    """The read statements every engine in this process sends while it is active."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if not many and statement.lstrip()[:6].upper() in ("SELECT", "WITH R"):
            self.statements.append((statement, parameters))

    def __enter__(self) -> Recorder:
        event.listen(Engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._seen)


def replay(db: str, statements: list[tuple[str, Any]]) -> float:
    """The statements on a bare driver connection (the store's own settings), every row fetched."""
    engine = make_engine(db)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        seconds = time.perf_counter() - started
        raw.rollback()
        return seconds
    finally:
        raw.close()
        engine.dispose()


def against_sql(db: str, name: str, work: Callable[[], Any], runs: int = 5) -> list[str]:
    """Median of `runs` timed calls through the SDK, and the same reads as plain SQL."""
    work()  # warm caches
    with Recorder() as rec:
        work()
    ours = statistics.median(_timed(work) for _ in range(runs))
    plain = statistics.median(replay(db, rec.statements) for _ in range(runs))
    log(f"  {name}: ours {ours * 1000:.1f} ms, plain SQL {plain * 1000:.1f} ms ({len(rec.statements)} statements)")
    return [name, _ms(ours), _ms(plain), f"{ours / plain:.1f}" if plain else "n/a", str(len(rec.statements))]


def _timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def plain_sql_figures(db: str) -> list[list[str]]:
    log("the same reads as plain SQL …")
    numbers, names = bench.samples(db, 20)
    out = []
    with flowpop.Client(db=db) as c:
        first = c.persons.list(division=COUNTY, limit=1).first_page().data[0]
        house = c.houses.list(division=COUNTY, use="rented", limit=1)[0]
        q = bench_ops.quarter(dt.date.today())
        out.append(against_sql(db, "lookup by full ID number", lambda: c.persons.list(q=numbers[0], limit=50).first_page()))
        out.append(against_sql(db, "name prefix (2 characters)", lambda: c.persons.list(q=names[0][0][:2], limit=50).first_page()))
        out.append(against_sql(db, "county list, first page", lambda: c.persons.list(division=COUNTY, limit=50).first_page()))
        out.append(against_sql(db, "person with stays and history", lambda: c.persons.get(first.id)))
        out.append(against_sql(db, "house view", lambda: c.houses.get(house.code)))
        out.append(against_sql(db, "late declarations of a county", lambda: c.houses.late_declarations(division=COUNTY), 3))
        out.append(against_sql(db, "all rates of a county", lambda: c.reports.rates(q, level="township", division=COUNTY), 3))
        out.append(against_sql(db, "all rates, every county", lambda: c.reports.rates(q, level="county"), 3))
        out.append(against_sql(db, "all quality checks", lambda: c.reports.quality(), 1))
    return out


def plain_import(db_url: str | None, csv_path: Path, workdir: Path) -> tuple[str, str]:
    """The same file loaded the plainest way: sqlite-utils (SQLite) or COPY into a table with no index."""
    if db_url is None:
        return "", ""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP TABLE IF EXISTS plain_import")
        with csv_path.open(encoding="gb18030", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            conn.execute("CREATE TABLE plain_import (" + ", ".join(f'"{h}" text' for h in header) + ")")
            with conn.cursor().copy("COPY plain_import FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(row)
        conn.execute("DROP TABLE plain_import")
    return "COPY into a table with no index, same rows", f"{time.perf_counter() - started:.2f} s"


def fresh_pg(url: str) -> str:
    """Drop and create the database named in the URL; returns the URL."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres".replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def run_store(label: str, db: str, args: argparse.Namespace, workdir: Path) -> None:
    print(f"\n## {label}: {args.size} persons\n", flush=True)
    rows: list[Any] = [] if args.reuse else [bench.build(db, args.size, replace="://" not in db)]
    rows += bench.searches(db, args.lookups)
    rows += bench.console(db, args.console_runs)
    print(tabulate([r.cells() for r in rows], headers=["search and console (ms)", "n", "p50", "p95", "max", "target",
                                                        "", "note"], disable_numparse=True), flush=True)
    bench_ops.ROWS.clear()
    with flowpop.Client(db=db) as c:
        bench_ops.bench_reports(c)
        bench_ops.bench_houses(c, db)
        bench_ops.bench_inbox(c, db)
        bench_ops.bench_bulk(c, db, args.bulk_records)
    if args.import_rows:
        target = None
        if "://" in db:
            target = fresh_pg(args.pg + "_import")
        bench_ops.bench_import(args.import_rows, workdir, target_db=target, plain=plain_import)
    print()
    print(tabulate(bench_ops.ROWS, headers=["operation", "measured", "target", "verdict"], disable_numparse=True),
          flush=True)
    print()
    print(tabulate(plain_sql_figures(db), headers=["same work", "ours", "plain SQL", "ratio", "statements"],
                   disable_numparse=True), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--pg", help="a PostgreSQL database URL to run on as well (dropped and created anew)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--sqlite", help="a SQLite registry file to use (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="time the registries as they are, build nothing")
    parser.add_argument("--import-rows", type=int, default=1_000_000, help="0 to skip the import")
    parser.add_argument("--bulk-records", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--console-runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="flowpop-bench-all-") as tmp:
        workdir = Path(tmp)
        if not args.skip_sqlite:
            run_store("SQLite (embedded)", args.sqlite or str(workdir / "registry.db"), args, workdir)
        if args.pg:
            run_store("PostgreSQL", args.pg if args.reuse else fresh_pg(args.pg), args, workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
