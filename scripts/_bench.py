"""What the benchmarks share: a log line on stderr, timing a call over runs, building the demo registry they
measure and a fresh PostgreSQL database for it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text

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
