"""kill -9 in the middle of long operations: a chunked bulk apply resumes and finishes exactly once; an
all-or-nothing apply, a legacy import and an inbox batch import leave the registry unchanged or completely
changed, never half, and running them again completes them exactly once.

The operation runs in tests/fault_worker.py, a process of its own using the embedded SDK on the same
registry. The worker counts the steps the operation sends the store (each write statement and each commit)
and holds still just before the K-th, where the test kills it. K is drawn at random over the operation's
steps (log-uniformly: as often early as deep), so the kill lands at a different moment each run: between
two writes, or with every write sent and the commit not yet. Which moment it hits changes nothing in what
is asserted: were it to come after the operation finished, the same assertions hold.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

import flowpop
from flowpop.registry.files import imports
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import PG_URL

WORKER = Path(__file__).with_name("fault_worker.py")
PEOPLE = 2000
CHUNK = 200
FILE_ROWS = 3000
MESSAGES = 2000
WAIT = 180  # seconds a worker may take to reach its pause or finish (a generous bound, never an assertion on speed)


# ------------------------------------------------------------------------------------------ helpers


def _number(i: int) -> str:
    return idnumber.make("360102", dt.date(1980, 1, 1) + dt.timedelta(days=i // 400), (i % 400) * 2)


def legacy_csv(start: int, n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因"])
    for i in range(start, start + n):
        writer.writerow(["王秀英", _number(i), "女", "初婚", tree.COUNTY_DONGHU, tree.VILLAGE_A1, "2026-02-01", "务工"])
    return out.getvalue().encode("utf-8")


def batch_jsonl(n: int) -> str:
    lines = [json.dumps({"format": "flowpop.message/1", "uid": f"fault-{i:05d}", "kind": "assist_request",
                         "sender_code": "510104000000", "addressee_code": tree.TOWNSHIP_A,
                         "subject": {"name": f"外来{i}号", "id_number": _number(10_000 + i)},
                         "items": {"verify": ["现居住地址"]}, "text": "请协助核实"}, ensure_ascii=False)
             for i in range(n)]
    return "\n".join(lines) + "\n"


def people(client: flowpop.Client, n: int) -> list[int]:
    """n persons in village A1 (one legacy import by the local administrator), all at version 1."""
    result = client.persons.import_file(legacy_csv(0, n), filename="people.csv")
    assert (result.applied, result.inserted) == (True, n)
    ids = [p.id for p in client.persons.list(division=tree.VILLAGE_A1, limit=500)]
    assert len(ids) == n
    return ids


@dataclass
class Store:
    """Read-only look at the rows, for exact counts the API does not offer."""

    engine: Engine

    def scalar(self, stmt: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(stmt).scalar_one()

    def rows(self, stmt: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).all())


@pytest.fixture
def store(db_url: str) -> Any:
    engine = make_engine(db_url)
    yield Store(engine)
    engine.dispose()


@dataclass
class Kill:
    pause_at: int
    where: str  # where the worker held when killed, or "after it finished"
    result: dict[str, Any] | None

    @property
    def inside(self) -> bool:
        return self.result is None


def _worker_url(db_url: str) -> str:
    # named, so that the test can wait for the server to end the killed client's session
    if not PG_URL:
        return db_url
    return db_url + ("&" if "?" in db_url else "?") + "application_name=fault_worker"


def kill_during(op: str, db_url: str, work: Path, arg: str, pause_range: tuple[int, int]) -> Kill:
    """Run the operation in a worker and kill -9 it where it holds (see the module's docstring)."""
    low, high = pause_range
    pause_at = round(math.exp(random.uniform(math.log(low), math.log(high))))  # as often early as deep
    markers = work / f"markers-{op}-{time.monotonic_ns()}"
    markers.mkdir(parents=True)
    command = [sys.executable, str(WORKER), op, _worker_url(db_url), str(markers), arg, "--pause-at", str(pause_at)]
    with (markers / "stderr").open("wb") as err:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + WAIT
        while not (markers / "paused").exists() and not (markers / "done").exists() and proc.poll() is None:
            assert time.monotonic() < deadline, "the worker neither paused nor finished"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = markers / "done"
    if proc.returncode != -signal.SIGKILL and not done.exists():
        raise AssertionError(f"the worker failed before the kill:\n{(markers / 'stderr').read_text()[-3000:]}")
    settle(db_url)
    landed = "after" if done.exists() else "inside"
    where = (markers / "paused").read_text() if landed == "inside" else "after it finished"
    print(f"kill -9 during {op} (K={pause_at}): {where}")  # shown with pytest -s
    return Kill(pause_at, where, json.loads(done.read_text()) if done.exists() else None)


def settle(db_url: str) -> None:
    """PostgreSQL ends a killed client's session (rolling its transaction back) once it notices; wait for that."""
    if not PG_URL:
        return
    engine = make_engine(db_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                         "AND application_name = 'fault_worker'")).scalar_one()
            if not left:
                return
            assert time.monotonic() < deadline, "the killed worker's session did not end"
            time.sleep(0.05)
    finally:
        engine.dispose()


def history_per_person(store: Store, changeset_id: str) -> Counter[int]:
    rows = store.rows(select(t.HistoryEntry.person_id).where(t.HistoryEntry.changeset_id == changeset_id))
    return Counter(r[0] for r in rows)


def persons_state(client: flowpop.Client) -> dict[int, tuple[int, str | None]]:
    return {p.id: (p.version, p.note) for p in client.persons.list(division=tree.VILLAGE_A1, limit=500)}


# ------------------------------------------------------------------------------------------ bulk apply


def test_kill_during_chunked_apply_then_resume(client: flowpop.Client, db_url: str, store: Store, tmp_path: Path) -> None:
    ids = people(client, PEOPLE)
    cs = client.changesets.plan(operation="set", selection={"ids": ids}, values={"note": "清查核对"}, reason="批量备注",
                                chunk_size=CHUNK)
    assert (cs.total, cs.failing) == (PEOPLE, 0)
    # steps: a write and a commit to start, then 4 writes and a commit a chunk; hold after the first chunk
    kill = kill_during("apply", db_url, tmp_path, cs.id, (8, 2 + 5 * PEOPLE // CHUNK))
    # after the kill: whole chunks applied, each record of them changed once, the rest untouched
    seen = client.changesets.get(cs.id)
    state = persons_state(client)
    changed = {pid for pid, (version, note) in state.items() if (version, note) == (2, "清查核对")}
    untouched = {pid for pid, (version, note) in state.items() if (version, note) == (1, None)}
    assert changed | untouched == set(ids), "a record is neither changed once nor untouched"
    assert len(changed) == seen.applied and seen.applied % CHUNK == 0
    assert set(history_per_person(store, cs.id)) == changed
    assert set(history_per_person(store, cs.id).values()) <= {1}
    if kill.inside:  # held after the first chunk: some applied, the changeset still applying
        assert seen.status == "applying" and 0 < seen.applied <= PEOPLE, kill
    # apply again: it resumes where the kill left it and finishes exactly once
    if seen.status != "applied":
        done = client.changesets.apply(cs.id)
        assert (done.status, done.applied, done.failing) == ("applied", PEOPLE, 0)
    assert set(persons_state(client).values()) == {(2, "清查核对")}
    assert history_per_person(store, cs.id) == Counter({pid: 1 for pid in ids})
    with pytest.raises(flowpop.ConflictError):
        client.changesets.apply(cs.id)


def test_kill_during_all_or_nothing_apply(client: flowpop.Client, db_url: str, store: Store, tmp_path: Path) -> None:
    ids = people(client, PEOPLE)
    cs = client.changesets.plan(operation="set", selection={"ids": ids}, values={"note": "统一备注"}, reason="全部或全不")
    kill = kill_during("apply", db_url, tmp_path, cs.id, (2, 7))  # 6 writes, 1 commit
    seen = client.changesets.get(cs.id)
    state = persons_state(client)
    if kill.inside:
        assert seen.status == "planned", kill
    if seen.status == "planned":  # nothing at all happened
        assert set(state.values()) == {(1, None)} and seen.applied == 0
        assert history_per_person(store, cs.id) == Counter()
        done = client.changesets.apply(cs.id)
        assert (done.status, done.applied) == ("applied", PEOPLE)
    else:  # it had committed before the kill: everything happened
        assert (seen.status, seen.applied) == ("applied", PEOPLE)
    assert set(persons_state(client).values()) == {(2, "统一备注")}
    assert history_per_person(store, cs.id) == Counter({pid: 1 for pid in ids})
    with pytest.raises(flowpop.ConflictError):
        client.changesets.apply(cs.id)


# ------------------------------------------------------------------------------------------ files in


def test_kill_during_legacy_import(client: flowpop.Client, db_url: str, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(legacy_csv(0, FILE_ROWS))
    kill = kill_during("import", db_url, tmp_path, str(path), (2, 8))
    count = store.scalar(select(func.count()).select_from(t.Person))
    stays = store.scalar(select(func.count()).select_from(t.Stay))
    imported = store.scalar(select(func.count()).where(t.HistoryEntry.action == "import"))
    # the import commits whole chunks (imports.CHUNK rows, each with its person, stay and history row): a kill
    # leaves a number of whole chunks, never part of one
    assert count == stays == imported and (count % imports.CHUNK == 0 or count == FILE_ROWS), kill
    # the same file again: what is there already is unchanged, the rest comes in, nobody twice
    again = client.persons.import_file(path.read_bytes(), filename="legacy.csv")
    assert again.applied and (again.inserted + again.unchanged, again.updated) == (FILE_ROWS, 0)
    assert again.inserted == FILE_ROWS - count
    assert store.scalar(select(func.count()).select_from(t.Person)) == FILE_ROWS
    assert store.scalar(select(func.count(func.distinct(t.Person.id_number)))) == FILE_ROWS
    assert store.scalar(select(func.count()).select_from(t.Stay)) == FILE_ROWS
    assert store.scalar(select(func.count()).where(t.HistoryEntry.action == "import")) == FILE_ROWS
    assert client.persons.list(division=tree.VILLAGE_A1, with_total=True).first_page().total == FILE_ROWS


def test_kill_during_inbox_batch_import(client: flowpop.Client, db_url: str, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text(batch_jsonl(MESSAGES), encoding="utf-8")
    # a write or two for each message, two more, 1 commit
    kill = kill_during("batch", db_url, tmp_path, str(path), (2, 2 * MESSAGES + 3))
    messages = store.scalar(select(func.count()).where(t.Message.uid.like("fault-%")))
    received = store.scalar(select(func.count()).where(t.HistoryEntry.entity == "message"))
    assert (messages, received) in {(0, 0), (MESSAGES, MESSAGES)}, kill
    if kill.inside:
        assert messages == 0, kill
    again = client.exchange.import_batch(path.read_text(encoding="utf-8"))
    assert (again.inserted, again.skipped, again.rejected) == (MESSAGES - messages, messages, [])
    third = client.exchange.import_batch(path.read_text(encoding="utf-8"))
    assert (third.inserted, third.skipped) == (0, MESSAGES)
    assert store.scalar(select(func.count()).where(t.Message.uid.like("fault-%"))) == MESSAGES
    assert store.scalar(select(func.count(func.distinct(t.Message.uid)))) == MESSAGES
    assert store.scalar(select(func.count()).where(t.HistoryEntry.entity == "message")) == MESSAGES
    inbox = list(client.inbox.list(q="外来1", status="all", limit=500))
    assert {m.subject["name"] for m in inbox} == {f"外来{i}号" for i in range(MESSAGES) if str(i).startswith("1")}
