"""The online exchange between two registries (issue 13, "Figures"), side by side with what one would otherwise use.

    python scripts/bench_exchange.py --messages 10000 [--concurrency 4] [--pg URL] [--keep DIR]

Two real `flowpop serve` processes on loopback, each with its own registry (SQLite files, or databases of their
own with --pg: ``<db>_a0``, ``<db>_a``, ``<db>_b``, dropped and made anew), own area (A: 三明 3504, B: 南昌 3601),
Ed25519 key and the other registered as its peer (as tests/registry/exchange/nodes.py sets them up). The courier
runs as `flowpop serve` runs it (FLOWPOP_EXCHANGE_INTERVAL as set, else its default). Measured:

1. **end to end**: A's township operator sends --messages 协查 (assist requests) to B's township over the SDK
   (--concurrency clients); they leave A's outbox, reach B's inbox; B's operator replies to each; the replies and
   the answered states travel back. Messages per second from the first send to the last answer shown in A, and
   p50/p99 from commit (the message's created_at in A) to the other side's inbox (its receive in B's history), and
   the same for the replies coming back. **Baseline**: the same messages sent and answered within one registry
   (A0, whose own area holds both townships: nothing leaves).
2. **delivery** vs a plain HTTP POST of the same JSON records (no signature, no outbox) to a bare receiver
   (stdlib http.server, one SQLite insert and commit each), with the same concurrency: messages per second and
   p50/p99 from send to the receiver's commit.
3. **catch-up**: B stopped while A sends --messages more (they queue in A's outbox), then started: the time from B
   answering again to the last of them in B's inbox (the courier backs off while B is down).
4. **outbox cost**: p50 of registering one outflow (a person with a stay in B's area: its 通报 goes to the outbox,
   written in the same transaction) in A, vs the same registration in A0 (the 通报 stays in the own inbox).

Prints the figures and the ratios (ours / baseline). On demand only; not part of the suite.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import log, prepare_pg  # noqa: E402

import flowpop  # noqa: E402
from flowpop.registry.store.db import normalize_url  # noqa: E402
from flowpop.rules import idnumber  # noqa: E402
from flowpop.rules.divisions_source import national_counties  # noqa: E402
from flowpop.types import Role  # noqa: E402

TOWNSHIP_A, VILLAGE_A1 = "350404001000", "350404001001"  # 三元区 test township (A's)
TOWNSHIP_D, VILLAGE_D1 = "360102001000", "360102001001"  # 东湖区 test township (B's)
LOCAL = [
    (TOWNSHIP_A, "测试街道甲", "township"),
    (VILLAGE_A1, "甲一社区", "village"),
    (TOWNSHIP_D, "测试街道丁", "township"),
    (VILLAGE_D1, "丁一社区", "village"),
]


def division_rows() -> list[Any]:
    rows: list[Any] = [
        {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code,
         "valid_from": r.valid_from, "valid_to": r.valid_to}
        for r in national_counties() if r.code[:2] in ("35", "36")
    ]
    return rows + [{"code": c, "name": n, "level": lv, "is_demo": True} for c, n, lv in LOCAL]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(check: Callable[[], Any], what: str, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting ({seconds:.0f} s): {what}")
        time.sleep(0.05)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Node:
    """One registry served by `flowpop serve` in a process of its own (its own settings file: its own area)."""

    name: str
    db: str
    folder: Path
    home: str | None
    port: int = field(default_factory=free_port)
    admin_token: str = ""
    public_key: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        settings = self.folder / "settings.toml"
        settings.write_text(f"[exchange]\nhome = ['{self.home}']\n" if self.home else "", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWPOP_") or k == "FLOWPOP_EXCHANGE_INTERVAL"}
        env.update(FLOWPOP_SETTINGS=str(settings), FLOWPOP_LANG="en")
        return env

    def prepare(self) -> None:
        with flowpop.Client(db=self.db) as c:
            c.divisions.import_rows(division_rows())
            c.users.create(username=f"{self.name}_admin", role="admin", jurisdiction_code=None)
            self.admin_token = c.tokens.create(username=f"{self.name}_admin", name="bench").token
            if self.home:
                self.public_key = c.exchange.create_key().public_key

    def token_for(self, role: Role, jurisdiction: str) -> str:
        with flowpop.Client(url=self.url, token=self.admin_token) as c:
            name = f"{self.name}_{role[:8]}_{jurisdiction}"
            c.users.create(username=name, role=role, jurisdiction_code=jurisdiction)
            return c.tokens.create(username=name, name="bench").token

    def start(self) -> float:
        """Start serving; answers the moment it answers /healthz."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flowpop", "serve", "--db", self.db, "--port", str(self.port)],
            env=self.env(), stdout=subprocess.DEVNULL, stderr=(self.folder / "serve.log").open("ab"),
        )

        def up() -> bool:
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                if self.proc is not None and self.proc.poll() is not None:
                    raise SystemExit((self.folder / "serve.log").read_text()) from None
                return False

        until(up, f"{self.name} serving", 60)
        return time.perf_counter()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    def sql(self, query: str, **params: Any) -> list[Any]:
        engine = create_engine(normalize_url(self.db), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(query), params).all())
        finally:
            engine.dispose()

    def count(self, query: str, **params: Any) -> int:
        return int(self.sql(query, **params)[0][0])


def received_at(node: Node) -> dict[str, dt.datetime]:
    """uid → when it entered this registry's inbox (its receive entry in the history)."""
    rows = node.sql("SELECT m.uid, h.at FROM history h JOIN messages m ON m.id = h.entity_id "
                    "WHERE h.entity = 'message' AND h.action = 'receive'")
    return {uid: _when(at) for uid, at in rows}


def created_at(node: Node, uids: set[str]) -> dict[str, dt.datetime]:
    rows = node.sql("SELECT uid, created_at FROM messages")
    return {uid: _when(at) for uid, at in rows if uid in uids}


def _when(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def latencies(sent: dict[str, dt.datetime], arrived: dict[str, dt.datetime]) -> list[float]:
    return [(arrived[u] - sent[u]).total_seconds() * 1000 for u in sent if u in arrived]


def in_parallel(items: list[Any], work: Callable[[flowpop.Client, Any], Any], url: str, token: str,
                concurrency: int) -> list[Any]:
    """``work(client, item)`` for each item on ``concurrency`` threads, one SDK client each."""
    local = threading.local()
    opened: list[flowpop.Client] = []
    lock = threading.Lock()

    def run(item: Any) -> Any:
        if not hasattr(local, "client"):
            local.client = flowpop.Client(url=url, token=token, max_retries=3)
            with lock:
                opened.append(local.client)
        return work(local.client, item)

    try:
        with cf.ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(run, items))
    finally:
        for c in opened:
            c.close()


SUBJECT: Any = {"name": "李四", "id_number": idnumber.make("350404", dt.date(1990, 5, 6), 12)}


def send_requests(node: Node, token: str, n: int, concurrency: int) -> list[str]:
    def send(c: flowpop.Client, i: int) -> str:
        return c.inbox.send(kind="assist_request", addressee_code=TOWNSHIP_D, items={"在住": None},
                            subject=SUBJECT, text=f"bench {i}").uid

    return in_parallel(list(range(n)), send, node.url, token, concurrency)


def reply_all(node: Node, token: str, uids: set[str], concurrency: int) -> int:
    """The addressee's operator replies to each request of ``uids`` in its inbox."""
    with flowpop.Client(url=node.url, token=token) as c:
        todo = [(m.id, m.version) for m in c.inbox.list(kind="assist_request", limit=500) if m.uid in uids]

    def reply(c: flowpop.Client, item: tuple[int, int]) -> None:
        c.inbox.act(item[0], "reply", version=item[1], facts={"在住": "属实"}, text="在住")

    in_parallel(todo, reply, node.url, token, concurrency)
    return len(todo)


def registrations(node: Node, token: str, n: int, first: int) -> list[float]:
    """Milliseconds of each of n outflow registrations by A's township operator (one untimed first)."""
    times = []
    with flowpop.Client(url=node.url, token=token) as c:
        for i in range(n + 1):
            fields = {"id_number": idnumber.make("350404", dt.date(1980, 1, 1) + dt.timedelta(days=first + i), 2),
                      "name": "王秀英", "household_code": TOWNSHIP_A, "marital_status": "first_marriage",
                      "stay": {"residence_code": VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"}}
            start = time.perf_counter()
            c.persons.create(**fields)  # type: ignore[arg-type]  # the fields are built as a plain dict; create() types each keyword
            if i:
                times.append((time.perf_counter() - start) * 1000)
    return times


RECEIVER = r"""
import json, sqlite3, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
db = sqlite3.connect(sys.argv[1], check_same_thread=False, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE IF NOT EXISTS inbox (uid TEXT PRIMARY KEY, record TEXT, received_at REAL)")
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each answer waits out a delayed ACK (40 ms)
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        rec = json.loads(body)
        with lock:
            db.execute("BEGIN")
            db.execute("INSERT OR IGNORE INTO inbox VALUES (?, ?, ?)", (rec["uid"], body.decode(), time.time()))
            db.execute("COMMIT")
        out = b'{"inserted": 1}'
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()
"""


def plain_post(records: list[dict[str, Any]], folder: Path, concurrency: int) -> tuple[float, list[float]]:
    """The same JSON records POSTed one each to a bare receiver: (seconds for all, ms each send → commit)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER, str(folder / "plain.db"), str(port)])
    try:
        until(lambda: _answers(f"http://127.0.0.1:{port}"), "the plain receiver", 30)
        local = threading.local()

        def post(rec: dict[str, Any]) -> float:
            if not hasattr(local, "http"):
                local.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
            start = time.perf_counter()
            local.http.post("/", json=rec).raise_for_status()
            return (time.perf_counter() - start) * 1000

        start = time.perf_counter()
        with cf.ThreadPoolExecutor(concurrency) as pool:
            times = list(pool.map(post, records))
        return time.perf_counter() - start, times
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        httpx.post(url, json={"uid": "probe"}, timeout=1)
        return True
    except httpx.HTTPError:
        return False


@dataclass
class Figures:
    rows: list[list[Any]] = field(default_factory=list)

    def add(self, figure: str, ours: float, baseline: float | None, unit: str, what: str) -> None:
        ratio = ours / baseline if baseline else None
        self.rows.append([figure, ours, baseline, ratio, unit, what])
        log(f"  {figure}: {ours:.1f} {unit} (baseline {baseline if baseline is None else f'{baseline:.1f}'})")


@dataclass
class Stores:
    a0: str
    a: str
    b: str


def stores(args: argparse.Namespace, folder: Path) -> Stores:
    if not args.pg:
        return Stores(*(str(folder / name / "registry.db") for name in ("A0", "A", "B")))
    urls = []
    for suffix in ("a0", "a", "b"):
        url = f"{args.pg}_{suffix}"
        prepare_pg(url, reuse=False)
        urls.append(url)
    return Stores(*urls)


def run(args: argparse.Namespace, folder: Path) -> Figures:
    n, conc = args.messages, args.concurrency
    where = stores(args, folder)
    a0 = Node("A0", where.a0, folder / "A0", None)  # own area derived: both townships are held here
    a = Node("A", where.a, folder / "A", "3504")
    b = Node("B", where.b, folder / "B", "3601")
    nodes = [a0, a, b]
    figures = Figures()
    try:
        for node in nodes:
            node.folder.mkdir(parents=True, exist_ok=True)
            node.prepare()
        for node, other in ((a, b), (b, a)):
            with flowpop.Client(db=node.db) as c:
                c.exchange.add_peer(other.name, url=other.url, key=other.public_key, serves=[other.home or ""])
        for node in nodes:
            node.start()

        # 1. the baseline end to end: sent and answered within one registry
        log(f"A0 (nothing leaves): {n} 协查 sent and answered …")
        a0_op, a0_d = a0.token_for("township_operator", TOWNSHIP_A), a0.token_for("township_operator", TOWNSHIP_D)
        start = time.perf_counter()
        uids = send_requests(a0, a0_op, n, conc)
        replied = reply_all(a0, a0_d, set(uids), conc)
        local_seconds = time.perf_counter() - start
        assert replied == n, (replied, n)

        # 1. the exchange end to end
        log(f"A → B: {n} 协查 sent, delivered, answered, the answers back …")
        a_op, b_op = a.token_for("township_operator", TOWNSHIP_A), b.token_for("township_operator", TOWNSHIP_D)
        received_before = b.count("SELECT count(*) FROM history WHERE entity = 'message' AND action = 'receive'")
        start = time.perf_counter()
        uids = send_requests(a, a_op, n, conc)
        sent_seconds = time.perf_counter() - start
        until(lambda: b.count("SELECT count(*) FROM history WHERE entity = 'message' AND action = 'receive'")
              >= received_before + n, f"{n} requests in B's inbox", 60 + n / 5)
        delivered_seconds = time.perf_counter() - start
        replied = reply_all(b, b_op, set(uids), conc)
        assert replied == n, (replied, n)
        until(lambda: a.count("SELECT count(*) FROM messages WHERE kind = 'assist_request' AND external = :t "
                              "AND status = 'answered'", t=True) >= n, "every request answered in A", 60 + n / 5)
        until(lambda: a.count("SELECT count(*) FROM history WHERE entity = 'message' AND action = 'receive'") >= n,
              "every reply in A's inbox", 60 + n / 5)
        end_seconds = time.perf_counter() - start
        figures.add("end to end: sent, delivered, answered, back", n / end_seconds, n / local_seconds, "msg/s",
                    "baseline: the same sent and answered within one registry")
        figures.add("  … wall time", end_seconds, local_seconds, "s", "")
        figures.add("  … send (SDK, commit in A)", n / sent_seconds, None, "msg/s", "")
        to_b = latencies(created_at(a, set(uids)), received_at(b))
        replies = {r[0]: r[1] for r in b.sql("SELECT uid, in_reply_to FROM messages WHERE in_reply_to IS NOT NULL")}
        back = latencies(created_at(b, set(replies)), received_at(a))

        # 2. a plain POST of the same records
        log(f"plain POST of the same {n} records …")
        payloads = [p if isinstance(p, dict) else json.loads(p) for (p,) in
                    a.sql("SELECT payload FROM exchange_outbox WHERE what = 'record' ORDER BY id LIMIT :n", n=n)]
        records = [p["record"] for p in payloads]
        plain_seconds, plain_ms = plain_post(records, folder, conc)
        figures.add("delivery: send until the last in B's inbox", n / delivered_seconds, n / plain_seconds, "msg/s",
                    "baseline: plain HTTP POST of the same JSON, one insert each")
        figures.add("commit → B's inbox p50", statistics.median(to_b), statistics.median(plain_ms), "ms",
                    "baseline: POST → receiver's commit")
        figures.add("commit → B's inbox p99", pct(to_b, 0.99), pct(plain_ms, 0.99), "ms", "")
        figures.add("reply commit → A's inbox p50", statistics.median(back), statistics.median(plain_ms), "ms", "")
        figures.add("reply commit → A's inbox p99", pct(back, 0.99), pct(plain_ms, 0.99), "ms", "")

        # 3. catch-up after B was down
        log(f"B down while {n} more queue in A …")
        b.stop()
        down = time.perf_counter()
        received_before = b.count("SELECT count(*) FROM history WHERE entity = 'message' AND action = 'receive'")
        send_requests(a, a_op, n, conc)
        queued = a.count("SELECT count(*) FROM exchange_outbox WHERE status = 'pending' AND what = 'record'")
        assert queued >= n, queued
        log(f"  {queued} queued; B was down {time.perf_counter() - down:.0f} s; starting B")
        back_up = b.start()
        until(lambda: b.count("SELECT count(*) FROM history WHERE entity = 'message' AND action = 'receive'")
              >= received_before + n, f"the {n} queued in B's inbox", 600 + n / 5)
        catch_up = time.perf_counter() - back_up
        figures.add(f"catch-up: B back until all {n} in its inbox", catch_up, plain_seconds, "s",
                    "baseline: the plain POST of as many")

        # 4. the outbox's cost on one registration
        log(f"outbox cost: {args.registrations} registrations of an outflow in A0 and A …")
        until(lambda: not a.count("SELECT count(*) FROM exchange_outbox WHERE status = 'pending'"),
              "A's outbox empty", 120)
        before, after = [], []
        for turn in range(-(-args.registrations // 10)):  # in turns: the machine's moods fall on both alike
            before += registrations(a0, a0_op, 10, turn * 11)
            after += registrations(a, a_op, 10, turn * 11)
        figures.add("one outflow registration p50", statistics.median(after), statistics.median(before), "ms",
                    "with its 通报 in the outbox vs staying in the own inbox")
        figures.add("one outflow registration p99", pct(after, 0.99), pct(before, 0.99), "ms", "")
    finally:
        for node in nodes:
            node.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4, help="SDK clients sending/replying at once")
    parser.add_argument("--registrations", type=int, default=200, help="timed registrations each side")
    parser.add_argument("--pg", help="PostgreSQL URL: <its database>_a0, _a, _b are dropped and made anew")
    parser.add_argument("--keep", help="a folder to keep the registries and server logs in (else a temporary one)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill stops the servers too (finally blocks run)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_exchange_"))
    folder.mkdir(parents=True, exist_ok=True)
    interval = os.environ.get("FLOWPOP_EXCHANGE_INTERVAL") or "default"
    try:
        figures = run(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{'PostgreSQL' if args.pg else 'SQLite'}, {args.messages} messages, concurrency {args.concurrency}, "
          f"courier interval {interval}; load {os.getloadavg()[0]:.2f}")
    print(tabulate(figures.rows, ["figure", "ours", "baseline", "ratio", "unit", "baseline is"], floatfmt=".1f"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
