"""What the benchmarks share: a log line on stderr, timing a call over runs, building the demo registry they
measure and a fresh PostgreSQL database for it."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text
from tabulate import tabulate

from flowpop.registry.store.db import normalize_url


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of each of `runs` calls after one untimed call, and the last answer."""
    fn()  # warm: the first call pays for imports, the division tree and the page cache
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def build(db: str, size: int, reuse: bool) -> None:
    from flowpop.demo.build import build as demo_build

    if reuse:
        return
    log(f"building the demo registry ({size} persons) in {db} …")
    start = time.perf_counter()
    demo_build(db, size, replace=True, progress=lambda stage, done, total: None)
    log(f"built in {time.perf_counter() - start:.1f} s")


def prepare_pg(url: str, reuse: bool) -> None:
    """Drop and create the database `url` names (unless reusing it)."""
    if reuse:
        return
    from sqlalchemy.engine import make_url

    target = make_url(normalize_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


HEADERS = ["figure", "persons", "stays", "ours median ms", "ours max ms", "plain SQL median ms", "ratio"]


def compare_main(argv: list[str] | None, doc: str, *, db: str, size: int, runs: int,
                 measure: Callable[[str, int], list[list[Any]]]) -> int:
    """The command line of a benchmark that builds a demo registry (SQLite, and PostgreSQL with --pg) and prints
    ``measure``'s rows — ours beside plain SQL — as one table per store."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--size", type=int, default=size)
    parser.add_argument("--db", default=db, help="SQLite file (default: %(default)s)")
    parser.add_argument("--pg", help="also on PostgreSQL: this database is dropped and made anew")
    parser.add_argument("--reuse", action="store_true", help="time the registries built before")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--runs", type=int, default=runs)
    args = parser.parse_args(argv)
    for store, url in (("SQLite", None if args.skip_sqlite else args.db), ("PostgreSQL", args.pg)):
        if not url:
            continue
        if store == "PostgreSQL":
            prepare_pg(url, args.reuse)
        build(url, args.size, args.reuse)
        rows = measure(url, args.runs)
        print(f"\n{store}")
        print(tabulate(rows, HEADERS, floatfmt=".1f"))
    return 0
