"""Figures against the targets of issue #2: demo build time, search latency, console start-up.

    python scripts/bench.py [--size 100000] [--db PATH] [--keep] [--reuse]

Builds a demo registry with ``flowpop.demo.build.build`` (SQLite file unless --db is a URL),
then times the embedded SDK (``flowpop.Client(db=...)``) and the console's start in a fresh process.
Each query is warmed up once; p50/p95/max are over repeated runs. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from tabulate import tabulate

import flowpop
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine

COUNTY = "350404000000"  # 三元区


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Row:
    what: str
    samples_ms: list[float] = field(default_factory=list)
    target_ms: float | None = None
    stat: str = "p95"  # which figure the target applies to
    note: str = ""

    def figure(self, name: str) -> float | None:
        if not self.samples_ms:
            return None
        xs = sorted(self.samples_ms)
        if name == "p50":
            return statistics.median(xs)
        if name == "p95":
            return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
        return xs[-1]

    def cells(self) -> list[Any]:
        def fmt(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.1f}" if v < 1000 else f"{v / 1000:.2f} s"

        value = self.figure(self.stat)
        ok = "n/a" if value is None or self.target_ms is None else ("ok" if value <= self.target_ms else "MISSED")
        target = "" if self.target_ms is None else f"{self.stat} ≤ {fmt(self.target_ms)}"
        return [self.what, len(self.samples_ms), fmt(self.figure("p50")), fmt(self.figure("p95")),
                fmt(self.figure("max")), target, ok, self.note]


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


# ------------------------------------------------------------------ build


def build(db: str, size: int, replace: bool) -> Row:
    from flowpop.demo.build import build as demo_build

    last: dict[str, Any] = {"stage": "", "at": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != last["stage"] or done == total or now - last["at"] > 2:
            log(f"  {stage:<10} {done:>8}/{total}")
            last.update(stage=stage, at=now)

    log(f"building the demo registry ({size} persons) in {db} …")
    start, cpu = time.perf_counter(), _cpu()
    summary = demo_build(db, size, replace=replace, progress=progress)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    log(f"  done in {seconds:.1f} s: {summary.persons} persons, {summary.stays} stays, {summary.history} history rows, "
        f"{summary.houses} houses, {summary.divisions} divisions")
    # issue #2's target is for 100k persons; larger builds are reported without one
    return Row(f"demo --size {size}", [seconds * 1000], target_ms=30_000 if size <= 100_000 else None, stat="max",
               note=f"CPU {cpu:.1f} s, load {os.getloadavg()[0]:.1f}")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------ searches


def samples(db: str, n: int, seed: int = 1) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Random full ID numbers and (name, pinyin, initials) of real rows, read straight from the store."""
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            top = conn.execute(select(func.max(t.Person.id))).scalar_one() or 0
            rng = random.Random(seed)
            ids = rng.sample(range(1, top + 1), min(n, top))
            rows = conn.execute(select(t.Person.id_number, t.Person.name, t.Person.name_pinyin, t.Person.name_initials)
                                .where(t.Person.id.in_(ids))).all()
    finally:
        engine.dispose()
    numbers = [r.id_number for r in rows if len(r.id_number) == 18]
    return numbers, [(r.name, r.name_pinyin, r.name_initials) for r in rows]


def searches(db: str, lookups: int) -> list[Row]:
    numbers, names = samples(db, lookups)
    rows: list[Row] = []
    with flowpop.Client(db=db) as client:
        def first(**kw: Any) -> Any:
            return client.persons.list(limit=50, **kw).first_page()

        log(f"timing ID-number lookups ({len(numbers)}) …")
        it = iter(numbers * 2)
        found = 0

        def lookup() -> None:
            nonlocal found
            found += len(first(q=next(it)).data)

        rows.append(Row("lookup by full ID number", timed(lookup, len(numbers) - 1), 5, "p50",
                        note=f"{found} hits"))

        log("timing name searches …")
        picks = names[:200]
        rows.append(Row("name prefix, Chinese (e.g. 王秀)", _each(first, [n[:2] for n, _, _ in picks]), 50))
        rows.append(Row("name prefix, surname only (e.g. 王)", _each(first, [n[:1] for n, _, _ in picks]), 50))
        rows.append(Row("full pinyin prefix (e.g. zhangs)",
                        _each(first, [_pinyin_prefix(n, p) for n, p, _ in picks]), 50))
        rows.append(Row("initials (e.g. zs)", _each(first, [i[:2] for _, _, i in picks]), 50))

        log("timing filtered lists …")
        filters: list[tuple[str, dict[str, Any]]] = [
            ("county", {"division": COUNTY}),
            ("county+active", {"division": COUNTY, "status": "active"}),
            ("county+married_female", {"division": COUNTY, "category": "married_female"}),
            ("county+inflow", {"division": COUNTY, "direction": "inflow"}),
            ("county+outflow", {"division": COUNTY, "direction": "outflow"}),
            ("county+inflow+active+married_female",
             {"division": COUNTY, "direction": "inflow", "status": "active", "category": "married_female"}),
            ("key targets", {"key_target": True}),
        ]
        for label, kw in filters:
            for sort in ("-id", "name"):
                rows += _list_rows(client, f"list {label}, sort {sort}", {**kw, "sort": sort})
    return rows


def _pinyin_prefix(name: str, pinyin: str) -> str:
    """Surname in full plus the given name's first letter: 张三 → zhangs."""
    from flowpop.rules.names import name_keys

    surname = name_keys(name[0])[0]
    return pinyin[: len(surname) + 1]


def _each(first: Callable[..., Any], queries: list[str]) -> list[float]:
    first(q=queries[0])
    out = []
    for q in queries:
        start = time.perf_counter()
        first(q=q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _list_rows(client: flowpop.Client, label: str, kw: dict[str, Any], runs: int = 20, depth: int = 50) -> list[Row]:
    pager = client.persons.list(limit=50, **kw)
    first = Row(f"{label}: first page", timed(lambda: client.persons.list(limit=50, **kw).first_page(), runs), 30)
    cursor = pager.first_page().next_cursor
    pages = 1
    while cursor and pages < depth:
        page = pager.page(cursor)
        cursor, pages = page.next_cursor, pages + 1
    if not cursor:
        return [first, Row(f"{label}: page {depth + 1}", [], 30, note=f"only {pages} pages")]
    deep = Row(f"{label}: page {depth + 1}", timed(lambda: pager.page(cursor), runs), 30)
    return [first, deep]


# ------------------------------------------------------------------ console


CONSOLE_CHILD = textwrap.dedent("""
    import asyncio, json, sys, time
    started = float(sys.argv[1])
    db = sys.argv[2]
    import flowpop_tui.app as tui_app

    def headless(factory):
        app = tui_app.FlowpopApp(factory)
        marks = {}

        async def main():
            async with app.run_test(size=(100, 30)) as pilot:
                deadline = time.time() + 60
                while time.time() < deadline:
                    screen = app.screen
                    if "screen" not in marks and screen.is_mounted and screen.focused is not None:
                        marks["screen"] = time.time() - started
                    tables = screen.query("DataTable")
                    if app.client is not None and tables and tables.first().row_count > 0:
                        marks["results"] = time.time() - started
                        break
                    await pilot.pause(0.005)

        asyncio.run(main())
        print("BENCH " + json.dumps(marks), flush=True)

    tui_app.run = headless
    from flowpop_cli.main import main
    sys.argv = ["flowpop", "--db", db, "console"]
    main()
""")


def console(db: str, runs: int) -> list[Row]:
    try:
        import flowpop_tui.app as tui_app
    except ImportError:
        return [Row("console ready", [], 1500, "max", note="n/a: no flowpop_tui.app")]
    if not hasattr(tui_app, "FlowpopApp") or not hasattr(tui_app, "run"):
        return [Row("console ready", [], 1500, "max", note="n/a: flowpop_tui.app has no FlowpopApp/run")]
    if runs <= 0:
        return []
    log(f"timing the console's start ({runs} fresh processes) …")
    screen: list[float] = []
    results: list[float] = []
    env = {**os.environ, "FLOWPOP_LANG": "zh"}
    for _ in range(runs + 1):  # the first one warms the OS file cache
        started = time.time()
        proc = subprocess.run([sys.executable, "-c", CONSOLE_CHILD, repr(started), db], capture_output=True,
                              text=True, timeout=120, env=env)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH ")), None)
        if proc.returncode != 0 or line is None:
            return [Row("console ready", [], 1500, "max", note=f"n/a: {(proc.stderr or proc.stdout)[-200:]!r}")]
        marks = json.loads(line.removeprefix("BENCH "))
        if "screen" in marks:
            screen.append(marks["screen"] * 1000)
        if "results" in marks:
            results.append(marks["results"] * 1000)
    return [Row("console: first screen ready for input", screen[1:], 1500, "max"),
            Row("console: first results shown", results[1:], 1500, "max")]


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--db", help="SQLite path or database URL (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the registry file afterwards")
    parser.add_argument("--reuse", action="store_true", help="time an existing registry, do not build")
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--console-runs", type=int, default=5)
    args = parser.parse_args(argv)
    tmpdir = None
    db = args.db
    if db is None:
        tmpdir = tempfile.mkdtemp(prefix="flowpop-bench-")
        db = str(Path(tmpdir) / "bench.db")
    is_file = "://" not in db
    rows: list[Row] = []
    try:
        if not args.reuse:
            rows.append(build(db, args.size, replace=is_file))
        rows += searches(db, args.lookups)
        rows += console(db, args.console_runs)
    finally:
        if tmpdir and not args.keep:
            shutil.rmtree(tmpdir, ignore_errors=True)
        elif is_file:
            log(f"registry kept: {db}")
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    print(f"registry: {db if not tmpdir else 'temporary SQLite file'}, {args.size} persons")
    print(tabulate([r.cells() for r in rows],
                   headers=["measure (ms)", "n", "p50", "p95", "max", "target", "", "note"], disable_numparse=True))
    missed = [r.what for r in rows if r.cells()[6] == "MISSED"]
    if missed:
        print(f"\n{len(missed)} figure(s) missed the target.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
