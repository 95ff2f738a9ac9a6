"""The console on a large registry (issue 15): how long the dashboard's data takes, how long a key waits while
it loads, and what the console costs while idle.

    python scripts/bench_console.py --size 100000 [--db console.db --reuse] [--pg URL] [--runs 3]

Builds a demo registry (``flowpop.demo.build``; SQLite file, or PostgreSQL with --pg, dropped and made anew
unless --reuse), then, in one process, runs the console headless (Textual's ``run_test``, 120×40) on it,
opening on the dashboard, --runs times after one warm-up run:

- dashboard data: from the dashboard's first frame until every panel (inbox, overdue, inspection, quality,
  rates with co-management) shows its figures;
- slowest key: while those load, the longest wait of the console's event loop (a probe asks to run every
  5 ms; a key waits as long as the loop is busy) and the slowest of a few keys pressed meanwhile (tab, and
  going to the inbox and back): from the key reaching the console until the focus has moved or the area's
  screen is up;
- idle CPU: the process's CPU time over 3 s once everything has loaded, as a share of one core.

On a shared machine the wall times grow with the load of the others (the load average is printed); the
process's CPU time for the dashboard's data is printed too, with its ratio to the plain SQL's.

The plain baseline (same run): the dashboard's main figures as bare SQL on a driver connection — the main
rates (scripts/bench_rates.py's plain SQL: 登记率, 7日未注销率, 共管率, by county), the records per county
(quality's denominator) and the inbox's open counts. The dashboard computes much more (every rate, every
quality check, the overdue list): the ratio says what the whole dashboard costs against its bare main
figures. On demand only; not part of the suite.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import build, log, prepare_pg  # noqa: E402
from bench_rates import plain  # noqa: E402

import flowpop  # noqa: E402
from flowpop.registry.store.db import normalize_url  # noqa: E402
from flowpop_tui.app import FlowpopApp  # noqa: E402

PANELS = ("#dash-inbox", "#dash-overdue", "#dash-inspect", "#dash-quality", "#dash-rates")
PROBE = 0.005


def quarter() -> str:
    day = dt.date.today()
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def bare(db: str) -> tuple[float, float]:
    """Seconds (wall, CPU of this process) for the dashboard's main figures as plain SQL."""
    engine = create_engine(normalize_url(db) if "://" in db else f"sqlite:///{db}")
    with engine.connect() as conn:
        start, cpu = time.perf_counter(), time.process_time()
        plain(conn, quarter(), "", 6)
        conn.execute(text("SELECT substr(coalesce(residence_code, household_code), 1, 6), count(*) FROM persons "
                          "GROUP BY 1")).all()
        conn.execute(text("SELECT kind, count(*) FROM messages WHERE NOT external AND status IN "
                          "('new', 'read', 'matched', 'unmatched', 'needs_review', 'answered') GROUP BY kind")).all()
        took = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    return took


def loading(app: Any) -> bool:
    """Some panel still says it is loading (its first line, or the rates panel's co-management border)."""
    from flowpop_tui.i18n import t

    waiting = t("loading")
    screen = app.screen
    for selector in PANELS:
        found = screen.query(selector)
        if not found:
            return True
        panel = found.first()
        shown = str(panel.render()) if not hasattr(panel, "option_count") else (
            str(panel.get_option_at_index(0).prompt) if panel.option_count else waiting)
        if waiting in shown:
            return True
    rates = screen.query_one("#dash-rates")
    return not rates.border_subtitle


KEYS = ("tab", "i", "g", "tab")  # pressed while the dashboard loads: focus moves, to the inbox and back


async def answered(app: Any, key: str) -> float:
    """Seconds from a key reaching the console until what it does shows: the focus moved (tab), the area's
    screen is up (i, g). Sent as the terminal driver sends it (not ``pilot.press``, which also waits for
    every widget to be idle)."""
    from textual import events

    focused, screen = app.focused, app.screen
    event = events.Key(key, None)
    event.set_sender(app)
    before = time.perf_counter()
    app._driver.send_message(event)
    while time.perf_counter() - before < 30:
        if (app.focused is not focused) if key == "tab" else (app.screen is not screen and app.screen.is_mounted):
            break
        await asyncio.sleep(0.001)
    return time.perf_counter() - before


async def one_run(db: str) -> dict[str, float]:
    app = FlowpopApp(lambda: flowpop.AsyncClient(db=db, max_retries=0))
    lags: list[float] = []
    keys: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(PROBE)
            lags.append(loop.time() - before - PROBE)

    async with app.run_test(size=(120, 40)) as pilot:
        started, cpu_started = time.perf_counter(), time.process_time()
        task = asyncio.create_task(probe())
        pressed = 0
        while loading(app):
            if time.perf_counter() - started > 120:
                raise SystemExit("the dashboard did not load within 120 s")
            if pressed < len(KEYS) and time.perf_counter() - started > 0.3 * (pressed + 1):
                keys.append(await answered(app, KEYS[pressed]))
                pressed += 1
            await asyncio.sleep(0.01)
        data, data_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        stop.set()
        await task
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(3)
        idle = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return {"data": data, "data_cpu": data_cpu, "lag": max(lags, default=0.0), "key": max(keys, default=0.0), "idle": idle}


def first_frame(db: str, timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from starting ``flowpop console`` in a terminal (a pseudo-terminal of 120×40, Chinese) until it
    has painted the dashboard's frame (the title and the panels, their figures still loading), and until the
    rates panel's co-management line (the last figures to come) is on the screen: what the user sees."""
    from flowpop_tui.i18n import t

    title, last = t("title").encode(), "共管".encode()
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console, as typed
        os.environ.update(TERM="xterm-256color", FLOWPOP_LANG="zh")
        os.execv(sys.executable, [sys.executable, "-m", "flowpop", "--db", db, "console"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen, frame, data = b"", 0.0, 0.0
    try:
        while time.perf_counter() - start < timeout and not data:
            if select.select([fd], [], [], 0.02)[0]:
                seen += os.read(fd, 1 << 16)
                now = time.perf_counter() - start
                if not frame and title in seen:
                    frame = now
                if frame and last in seen:
                    data = now
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    if not data:
        raise SystemExit("the console did not show its dashboard within the time allowed")
    return frame, data


def floor() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def measure(db: str, runs: int) -> list[list[Any]]:
    painted = [first_frame(db) for _ in range(runs + 1)][1:]
    frames = [f for f, _ in painted]
    shown = [d for _, d in painted]
    floors = [floor() for _ in range(runs)]
    results = [asyncio.run(one_run(db)) for _ in range(runs + 1)][1:]
    plains = [bare(db) for _ in range(runs + 1)][1:]
    base = statistics.median(p[0] for p in plains)
    base_cpu = statistics.median(p[1] for p in plains)
    data = [r["data"] for r in results]
    cpu = [r["data_cpu"] for r in results]
    log(f"dashboard data {[f'{x:.2f}' for x in data]} s; plain {[f'{x[0]:.3f}' for x in plains]} s")
    log(f"loop lag {[round(r['lag'], 3) for r in results]} s; keys {[round(r['key'], 3) for r in results]} s")
    log(f"in a terminal: first frame {[f'{x:.2f}' for x in frames]} s, figures {[f'{x:.2f}' for x in shown]} s; "
        f"python -c pass {[f'{x:.3f}' for x in floors]} s")
    return [
        ["first useful frame (s)", statistics.median(frames), max(frames), statistics.median(floors),
         statistics.median(frames) / statistics.median(floors), "≤ 1.0"],
        ["start until the figures show (s)", statistics.median(shown), max(shown), "", "", ""],
        ["dashboard data (s)", statistics.median(data), max(data), base, statistics.median(data) / base, "≤ 2"],
        ["dashboard data: CPU (s)", statistics.median(cpu), max(cpu), base_cpu, statistics.median(cpu) / base_cpu, ""],
        ["slowest key: loop busy (s)", statistics.median(r["lag"] for r in results),
         max(r["lag"] for r in results), "", "", "≤ 0.1"],
        ["slowest key: answered (s)", statistics.median(r["key"] for r in results),
         max(r["key"] for r in results), "", "", "≤ 0.1"],
        ["idle CPU (share of a core)", statistics.median(r["idle"] for r in results),
         max(r["idle"] for r in results), "", "", "≈ 0"],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--db", default="bench_console.db", help="SQLite file (default: %(default)s)")
    parser.add_argument("--pg", help="on PostgreSQL instead: this database is dropped and made anew")
    parser.add_argument("--reuse", action="store_true", help="time the registry built before")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    db = args.pg or args.db
    if args.pg:
        prepare_pg(args.pg, args.reuse)
    build(db, args.size, args.reuse)
    rows = measure(db, args.runs)
    log(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(tabulate(rows, headers=["figure", "median", "max", "plain SQL (s)", "ratio", "target"], floatfmt=".3f"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
