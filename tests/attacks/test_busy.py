"""Issue 11, item 12: a long writer (a big import) must not make others fail. A request that finds the
store busy answers 503 with Retry-After (which the SDK retries) after a short wait, never 500; and an
unchanged re-import writes nothing at all, a changed one only what changed."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import threading
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import create_engine, func, select

import flowpop
from flowpop.registry.files import imports
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import normalize_url
from tests import tree
from tests.conftest import PG_URL, new_id_number, person_fields
from tests.locks import write_lock_held

CJK = re.compile(r"[\u4e00-\u9fff]")
HEADER = ["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因", "联系电话"]


@pytest.fixture(autouse=True)
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-second lock wait, set before the registry's engines are made, so the test waits little."""
    monkeypatch.setenv("FLOWPOP_LOCK_WAIT", "1")


class Gate(httpx.HTTPTransport):
    """The real transport; after the first 503 it tells the test and holds that answer until the lock
    is let go, so the SDK's retry is sure to come after the release."""

    def __init__(self) -> None:
        super().__init__()
        self.busy_seen = threading.Event()
        self.released = threading.Event()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        if response.status_code == 503 and not self.busy_seen.is_set():
            self.busy_seen.set()
            self.released.wait(60)
        return response


def _token(client: flowpop.Client) -> str:
    client.users.create(username="busy_op", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    return client.tokens.create(username="busy_op", name="busy test").token


def _through_a_busy_store(db_url: str, server: str, secret: str, call: Callable[[flowpop.Client], object]) -> object:
    """``call`` with the SDK's retries while the store is busy: its first attempt meets the lock, its retry
    comes after the lock is let go."""
    gate = Gate()
    done: list[object] = []
    with write_lock_held(db_url) as release, flowpop.Client(url=server, token=secret, max_retries=3,
                                                            transport=gate) as sdk:
        worker = threading.Thread(target=lambda: done.append(call(sdk)))
        worker.start()
        assert gate.busy_seen.wait(60), "the SDK's first attempt did not meet the busy store"
        release()
        gate.released.set()
        worker.join(60)
    assert gate.statuses[0] == 503 and 200 <= gate.statuses[-1] < 300, gate.statuses
    return done[0]


def test_a_write_meeting_a_busy_store_answers_503_and_the_sdk_retries_it(client: flowpop.Client, db_url: str,
                                                                         server: str) -> None:
    secret = _token(client)
    operations = httpx.get(server + "/openapi.json").json()["paths"]
    assert "503" in operations["/v1/persons"]["post"]["responses"]
    number = new_id_number()
    with write_lock_held(db_url):
        r = httpx.post(server + "/v1/persons", json=person_fields(id_number=number),
                       headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["Retry-After"]) >= 1
    body = r.json()
    assert body["code"] == "store_busy" and CJK.search(body["message"]) and body["message_en"]
    assert not list(client.persons.list(q=number))  # nothing written

    # the SDK retries: a create (it carries an Idempotency-Key), and an edit too, since a busy store
    # wrote nothing
    created = _through_a_busy_store(db_url, server, secret, lambda sdk: sdk.persons.create(
        **person_fields(id_number=number, name="李重试")))
    edited = _through_a_busy_store(db_url, server, secret, lambda sdk: sdk.persons.update(
        created.id, version=created.version, phone="13912345678"))
    assert [p.name for p in client.persons.list(q=number)] == ["李重试"]
    assert (edited.version, edited.phone) == (2, "13912345678")


def _rows(n: int) -> list[list[str]]:
    villages = (tree.VILLAGE_A1, tree.VILLAGE_A2)
    return [[f"张{'一二三四五六七八九十'[i % 10]}{i}", new_id_number(region="360102"), "女", "初婚", "360102",
             villages[i % 2], "2021-05-01", "务工", f"139{i:08d}"] for i in range(n)]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    w.writerows(rows)
    return out.getvalue().encode("gb18030")


def _count(db_url: str, model: type) -> int:
    engine = create_engine(normalize_url(db_url))
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(model)).scalar_one())
    engine.dispose()
    return n


@pytest.fixture
def large_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A few hundred rows take the large-file path: helper processes check them, and (SQLite) the
    indexes may be rebuilt at the end, as for 50,000 rows."""
    monkeypatch.setattr(imports, "PARALLEL_ROWS", 100)
    monkeypatch.setattr(imports, "BULK_ROWS", 100)
    monkeypatch.setattr(imports, "CHUNK", 100)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def test_an_unchanged_reimport_writes_nothing_and_waits_for_no_lock(client: flowpop.Client, db_url: str,
                                                                    large_path: None, as_user) -> None:
    rows = _rows(400)
    first = client.persons.import_file(_csv(rows), filename="big.csv")
    assert first.applied and first.inserted == len(rows), first.problems
    history = _count(db_url, t.HistoryEntry)
    watcher = sqlite3.connect(db_url, isolation_level=None) if not PG_URL else None
    seen = watcher.execute("PRAGMA data_version").fetchone() if watcher else None
    # the same people in other words: another date form, the place by name, full-width digits
    for row in rows[::7]:
        row[1], row[4], row[6] = _fullwidth(row[1]), "江西省南昌市东湖区", "2021.5.1"

    # it needs no write lock at all: another writer may hold it meanwhile
    with write_lock_held(db_url):
        again = client.persons.import_file(_csv(rows), filename="big.csv")

    assert (again.applied, again.inserted, again.updated, again.unchanged) == (True, 0, 0, len(rows))
    assert not again.problems
    assert _count(db_url, t.HistoryEntry) == history
    if watcher is not None:  # SQLite: no other connection committed anything (no index rebuilt, no row)
        assert watcher.execute("PRAGMA data_version").fetchone() == seen
        watcher.close()
    assert {p.version for p in client.persons.list(division=tree.TOWNSHIP_A)} == {1}
    # unchanged is no pass for a caller whose area holds none of these people: every row is refused
    with as_user("county_admin", tree.COUNTY_SHAXIAN) as other:
        outside = other.persons.import_file(_csv(rows), filename="big.csv")
    assert (outside.applied, outside.unchanged, outside.rejected) == (False, 0, len(rows))


def test_a_changed_reimport_writes_only_what_changed(client: flowpop.Client, db_url: str, large_path: None) -> None:
    rows = _rows(300)
    client.persons.import_file(_csv(rows), filename="big.csv")
    by_number = {p.id_number: p for p in client.persons.list(division=tree.TOWNSHIP_A, reveal=True)}
    phone, moved, ended = rows[120], rows[150], rows[250]  # the first chunk (100 rows) is unchanged
    # one person's stay ends before the re-import: the file registers them again
    gone = client.persons.get(by_number[ended[1]].id)
    client.stays.close(gone.stays[0].id, version=gone.stays[0].version, reason="moved on")
    history = _count(db_url, t.HistoryEntry)
    stays = _count(db_url, t.Stay)
    old_phone, phone[8] = phone[8], "13700000000"
    moved[5] = tree.VILLAGE_B1 if moved[5] != tree.VILLAGE_B1 else tree.VILLAGE_A1
    before_village = by_number[moved[1]].residence_code
    # still checked, though stored as they are: a sex the ID number contradicts, and a later line with
    # the same ID number and another phone
    rows[200][2] = "男"
    rows.append([*rows[30][:8], "13600000000"])

    again = client.persons.import_file(_csv(rows), filename="big.csv", skip_bad=True)

    assert {(p.line, p.column) for p in again.problems} == {(202, "sex"), (len(rows) + 1, "id_number")}
    assert (again.applied, again.inserted, again.updated, again.unchanged) == (True, 0, 3, len(rows) - 5)
    assert _count(db_url, t.HistoryEntry) == history + 3
    assert _count(db_url, t.Stay) == stays + 1
    after = {p.id_number: p for p in client.persons.list(division=tree.COUNTY_SANYUAN, reveal=True)}
    assert {n for n, p in after.items() if p.version != by_number[n].version} == {phone[1]}
    assert after[phone[1]].phone == "13700000000" and after[phone[1]].version == 2
    assert after[moved[1]].residence_code == moved[5]
    assert str(after[ended[1]].arrived_on) == "2021-05-01" and after[ended[1]].residence_code == ended[5]
    moved_history = client.persons.history(after[moved[1]].id)[0]
    assert moved_history.action == "import"
    assert moved_history.changes["stay.residence_code"] == [before_village, moved[5]]
    assert client.persons.history(after[phone[1]].id)[0].changes == {"phone": [old_phone, "13700000000"]}


def test_an_import_never_overwrites_a_record_edited_after_it_was_read(client: flowpop.Client,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Compare-and-set on the version read: a record someone edits between the import's read and its write
    (simulated here by the read handing back the version before) fails the import whole, writing nothing."""
    p = client.persons.create(**person_fields(name="三元甲"))
    number = client.persons.get(p.id, reveal=True).id_number
    real = imports._existing

    def read_before_an_edit(*args: object) -> tuple[dict[str, dict[str, object]], set[str]]:
        found, held = real(*args)  # type: ignore[arg-type]
        for row in found.values():
            row["version"] = int(row["version"]) - 1  # type: ignore[call-overload]
        return found, held

    monkeypatch.setattr(imports, "_existing", read_before_an_edit)
    out = io.StringIO()
    csv.writer(out).writerows([["姓名", "身份证号", "户籍地", "现居住地", "流入日期"],
                               ["三元乙", number, "360102", tree.VILLAGE_A1, "2026-03-01"]])
    with pytest.raises(flowpop.ConflictError) as refused:  # (another name: accepted, else a conflict row)
        client.persons.import_file(out.getvalue().encode(), filename="x.csv", accept_identity_changes=True)
    assert refused.value.code == "import_conflict"
    after = client.persons.get(p.id)
    assert (after.name, after.version) == ("三元甲", p.version)
