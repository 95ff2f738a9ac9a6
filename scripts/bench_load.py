"""Load test (issue #7 item 2): `flowpop serve` with several workers on a real socket, many concurrent
SDK clients mixing searches, edits and inbox actions. Prints throughput, p50/p99 latency, errors and
lost updates, on SQLite and (with --pg URL) PostgreSQL.

    python scripts/bench_load.py --size 20000 --workers 4 --clients 16 --seconds 30 [--pg postgresql://...]

Lost updates: every edit increments a counter kept in a person's note through a versioned update,
retrying on 409; at the end each counter must equal the number of increments that succeeded.
The traffic goes only to 127.0.0.1 and stops by itself (bounded by --seconds and --max-requests).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import flowpop
from flowpop.demo.build import build

SAMPLE_PERSONS = 40  # the edit targets: few, so that clients collide and versions matter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(db: str, size: int) -> tuple[str, list[int], list[str], str]:
    """Build a demo registry; create a county admin with a token; pick edit targets and search terms."""
    print(f"building a {size}-person demo registry …", file=sys.stderr)
    build(db, size, seed=3, replace=True)
    with flowpop.Client(db=db) as admin:
        county = "350404000000"
        admin.users.create(username="load_admin", role="county_admin", jurisdiction_code=county)
        token = admin.tokens.create(username="load_admin", name="load test").token
        people = [p for p in admin.persons.list(division=county, status="active", limit=200)][:SAMPLE_PERSONS]
        for p in people:
            admin.persons.update(p.id, version=p.version, note="0")
        names = sorted({p.name[:1] for p in people})
        township = next((d.code for d in admin.divisions.list(parent=county, level="township")), county)
    return token, [p.id for p in people], names, township


def serve(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FLOWPOP_DB": db}
    cmd = [sys.executable, "-m", "uvicorn", "flowpop_cli.asgi:create", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def client_loop(url: str, token: str, targets: list[int], names: list[str], township: str, stop: float,
                max_requests: int, lat: dict[str, list[float]], errors: Counter[str], increments: Counter[int],
                lock: threading.Lock, seed: int) -> None:
    rnd = random.Random(seed)
    done = 0
    with flowpop.Client(url=url, token=token, max_retries=2, timeout=30) as c:
        while time.time() < stop and done < max_requests:
            kind = rnd.choices(["search", "pinyin", "page", "edit", "inbox"], weights=[3, 2, 2, 2, 1])[0]
            started = time.perf_counter()
            try:
                if kind == "search":
                    c.persons.list(q=rnd.choice(names), limit=20).first_page()
                elif kind == "pinyin":
                    c.persons.list(q=rnd.choice("zwlhcy") + rnd.choice("sxylmq"), limit=20).first_page()
                elif kind == "page":
                    c.persons.list(division=township, status="active", limit=50).first_page()
                elif kind == "inbox":
                    c.inbox.summary()
                    c.inbox.list(limit=20).first_page()
                else:
                    pid = rnd.choice(targets)
                    for _ in range(20):
                        p = c.persons.get(pid)
                        try:
                            c.persons.update(pid, version=p.version, note=str(int(p.note or "0") + 1))
                            with lock:
                                increments[pid] += 1
                            break
                        except flowpop.VersionConflictError:
                            with lock:
                                errors["409 (retried)"] += 1
                    else:
                        with lock:
                            errors["edit gave up after 20 conflicts"] += 1
            except flowpop.APIStatusError as exc:
                with lock:
                    errors[f"{exc.status_code} {exc.code}"] += 1
            except flowpop.APIConnectionError as exc:
                with lock:
                    errors[type(exc).__name__] += 1
            elapsed = time.perf_counter() - started
            with lock:
                lat[kind].append(elapsed)
            done += 1


def run(db: str, label: str, args: argparse.Namespace) -> None:
    token, targets, names, township = prepare(db, args.size)
    port = free_port()
    proc = serve(db, port, args.workers)
    url = f"http://127.0.0.1:{port}"
    lat: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    increments: Counter[int] = Counter()
    lock = threading.Lock()
    stop = time.time() + args.seconds
    threads = [threading.Thread(target=client_loop, args=(url, token, targets, names, township, stop,
                                                           args.max_requests, lat, errors, increments, lock, i))
               for i in range(args.clients)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - started
    try:
        with flowpop.Client(url=url, token=token) as c:
            lost = sum(1 for pid in targets if int(c.persons.get(pid).note or "0") != increments[pid])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    everything = [x for xs in lat.values() for x in xs]
    print(f"\n== {label}: {args.workers} workers, {args.clients} clients, {wall:.1f} s")
    print(f"requests {len(everything)}  throughput {len(everything) / wall:.0f} req/s")
    print(f"{'kind':8} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, xs in sorted(lat.items()):
        xs = sorted(xs)
        p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
        print(f"{kind:8} {len(xs):6} {statistics.median(xs) * 1000:8.1f} {p99 * 1000:8.1f}")
    hard = {k: v for k, v in errors.items() if "retried" not in k}
    print(f"version conflicts retried: {errors.get('409 (retried)', 0)}")
    print(f"errors: {sum(hard.values())} {dict(hard) if hard else ''}")
    print(f"lost updates: {lost} of {len(targets)} counters ({sum(increments.values())} increments)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=20000, help="per client")
    parser.add_argument("--pg", help="also run on this PostgreSQL database (it must be empty)")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        run(str(Path(tmp) / "load.db"), "SQLite", args)
    if args.pg:
        run(args.pg, "PostgreSQL", args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
