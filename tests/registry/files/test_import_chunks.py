"""Issue 16, item 3: the legacy import writes a chunk per transaction, with its batch row in the same
transaction. Every rejected row is still reported with its reason; an unchanged re-import writes nothing;
another writer gets in between chunks; a killed import leaves whole chunks only and the same file resumes it;
its progress is visible over HTTP while it runs."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

import flowpop
from flowpop.registry.files import import_batches, imports
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import normalize_url
from tests import tree
from tests.conftest import PG_URL, new_id_number

HEADER = ["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因", "联系电话"]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def chunked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A few hundred rows take the paths of a million: chunks of 100, helper processes checking, stored ID
    numbers read up front."""
    monkeypatch.setattr(imports, "CHUNK", 100)
    monkeypatch.setattr(imports, "PARALLEL_ROWS", 100)
    monkeypatch.setattr(imports, "BULK_ROWS", 100)


def _rows(n: int, prefix: str = "导入") -> list[list[str]]:
    villages = (tree.VILLAGE_A1, tree.VILLAGE_A2)
    return [[f"{prefix}{i}", new_id_number(region="360102"), "女", "初婚", "360102", villages[i % 2], "2021-05-01",
             "务工", f"139{i:08d}"] for i in range(n)]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def _scalar(db_url: str, sql: str) -> Any:
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def _after_each_chunk(monkeypatch: pytest.MonkeyPatch, then: Callable[[int], None]) -> None:
    """Calls ``then(chunks written so far)`` after each chunk's transaction has committed."""
    real = imports._Writer._write_chunk
    written = [0]

    def write_chunk(self: Any, rows: list[Any]) -> None:
        real(self, rows)
        written[0] += 1
        then(written[0])

    monkeypatch.setattr(imports._Writer, "_write_chunk", write_chunk)


def test_every_bad_row_is_reported_with_its_reason_and_the_good_ones_written(client: flowpop.Client, db_url: str,
                                                                             chunked: None) -> None:
    rows = _rows(450)
    rows[10][1] = rows[10][1][:-1] + ("0" if rows[10][1][-1] != "0" else "1")  # a wrong check character
    rows[120][4] = "999999"  # no such household place
    rows[230][6] = "2099-01-01"  # arrival in the future
    rows[340][2] = "男"  # sex the ID number contradicts
    rows.append([*rows[5][:8], "13600000000"])  # line 452: the number of line 7 with another phone
    rows.append(list(rows[6]))  # line 453: line 8 again, the same in every cell: a duplicate, ignored
    history = _scalar(db_url, "SELECT count(*) FROM history")

    result = client.persons.import_file(_csv(rows), filename="big.csv", skip_bad=True)

    by_line = {(p.line, p.column): p for p in result.problems}
    assert set(by_line) == {(12, "id_number"), (122, "household_code"), (232, "arrived_on"), (342, "sex"),
                            (452, "id_number")}
    assert all(p.reason and p.reason_en for p in result.problems)
    assert "第 7 行" in by_line[(452, "id_number")].reason
    assert (result.applied, result.total, result.inserted, result.rejected, result.duplicates) == (True, 452, 446, 5, 1)
    assert _scalar(db_url, "SELECT count(*) FROM persons WHERE name LIKE '导入%'") == 446
    assert _scalar(db_url, "SELECT count(*) FROM history") == history + 446  # one per person inserted
    # every person inserted has its open stay: no chunk half written
    assert _scalar(db_url, "SELECT count(*) FROM persons WHERE name LIKE '导入%' AND current_stay_id IS NULL") == 0
    batch = client.persons.import_status(result.batch_id or "")
    assert (batch.status, batch.stage, batch.done, batch.inserted, batch.rejected) == ("done", "import", 452, 446, 5)


def test_without_skip_bad_one_bad_row_writes_nothing(client: flowpop.Client, db_url: str, chunked: None) -> None:
    rows = _rows(350)
    rows[300][4] = "999999"  # in the fourth chunk: the first three must not have been written
    result = client.persons.import_file(_csv(rows), filename="big.csv")
    assert (result.applied, result.rejected, [p.line for p in result.problems]) == (False, 1, [302])
    assert result.inserted == 349  # what the import would have done
    assert _scalar(db_url, "SELECT count(*) FROM persons WHERE name LIKE '导入%'") == 0
    assert client.persons.import_status(result.batch_id or "").status == "refused"


def test_an_unchanged_reimport_writes_nothing(client: flowpop.Client, db_url: str, chunked: None) -> None:
    data = _csv(_rows(350))
    first = client.persons.import_file(data, filename="big.csv")
    assert first.inserted == 350
    history = _scalar(db_url, "SELECT count(*) FROM history")
    batches = _scalar(db_url, "SELECT count(*) FROM import_batches")
    versions = _scalar(db_url, "SELECT sum(version) FROM persons")

    again = client.persons.import_file(data, filename="big.csv")

    assert (again.applied, again.inserted, again.updated, again.unchanged, again.problems) == (True, 0, 0, 350, [])
    assert _scalar(db_url, "SELECT count(*) FROM history") == history
    assert _scalar(db_url, "SELECT sum(version) FROM persons") == versions
    assert _scalar(db_url, "SELECT count(*) FROM import_batches") == batches  # not even its batch row
    assert client.persons.import_status(again.batch_id or "").unchanged == 350  # its progress, from memory


def test_each_chunk_commits_so_another_writer_gets_in_between(client: flowpop.Client, db_url: str,
                                                              monkeypatch: pytest.MonkeyPatch, chunked: None) -> None:
    monkeypatch.setenv("FLOWPOP_LOCK_WAIT", "1")
    p = client.persons.create(name="别人", id_number=new_id_number(), household_code="360102000000")
    seen: list[tuple[int, int, int]] = []
    other = flowpop.Client(db=db_url, max_retries=0)

    def between(chunks: int) -> None:
        if chunks == 2:
            # another writer, while the import is half way: it waits for no import transaction
            version = other.persons.get(p.id).version
            other.persons.update(p.id, version=version, phone="13900000000", change_reason="in between")
            # and another connection already sees the chunks committed so far, with their batch row
            seen.append((_scalar(db_url, "SELECT count(*) FROM persons WHERE name LIKE '导入%'"),
                         _scalar(db_url, "SELECT last_line FROM import_batches"),
                         _scalar(db_url, "SELECT count(*) FROM stays WHERE person_id IN "
                                         "(SELECT id FROM persons WHERE name LIKE '导入%')")))

    _after_each_chunk(monkeypatch, between)
    with other:
        result = client.persons.import_file(_csv(_rows(450)), filename="big.csv")
    assert result.inserted == 450
    assert seen == [(200, 201, 200)]
    assert client.persons.get(p.id).phone == "13900000000"


def test_progress_in_rows_is_visible_over_http_while_the_import_runs(client: flowpop.Client, db_url: str,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    chunked: None) -> None:
    seen: list[flowpop.types.ImportBatchStatus] = []
    batch = "progress-test-1"

    def look(chunks: int) -> None:
        if chunks == 3:  # another client asks the registry over HTTP, as `flowpop import` does
            with flowpop.Client(db=db_url, max_retries=0) as other:
                seen.append(other.persons.import_status(batch))

    _after_each_chunk(monkeypatch, look)
    result = client.persons.import_file(_csv(_rows(450)), filename="big.csv", batch=batch)
    assert result.batch_id == batch
    [during] = seen
    assert (during.status, during.stage, during.total, during.inserted, during.last_line) == ("running", "import", 450,
                                                                                              300, 301)
    assert 300 <= during.done < 450
    with pytest.raises(flowpop.ConflictError) as taken:  # a batch id names one import
        client.persons.import_file(_csv(_rows(1)), filename="x.csv", batch=batch)
    assert taken.value.code == "import_batch_exists"
    with pytest.raises(flowpop.NotFoundError):
        client.persons.import_status("no-such-batch")


CHILD = """
import sys, time
from flowpop.registry.files import imports
from flowpop.registry.kernel.auth import local_admin
from flowpop.registry.kernel.registry import Registry

imports.CHUNK = 50
real = imports._Writer._write_chunk

def write_chunk(self, rows):
    real(self, rows)
    time.sleep(0.1)  # room for the test to kill it between chunks as well as inside one

imports._Writer._write_chunk = write_chunk
with open(sys.argv[2], "rb") as fh:
    data = fh.read()
imports.import_persons(Registry(sys.argv[1]), local_admin(), data,
                       imports.Options(skip_bad=True, filename="big.csv", batch_id=sys.argv[3]))
"""


def test_a_killed_import_leaves_whole_chunks_and_the_same_file_resumes_it(client: flowpop.Client, db_url: str,
                                                                          tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(3000)
    path = tmp_path / "big.csv"
    path.write_bytes(_csv(rows))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(path), "killed-import-1"], env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            try:
                if _scalar(db_url, "SELECT last_line FROM import_batches WHERE id = 'killed-import-1'") > 300:
                    break
            except Exception:  # noqa: BLE001 - no row yet
                pass
            time.sleep(0.02)
        assert child.poll() is None, "the import ended before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(30)

    stored = _scalar(db_url, "SELECT count(*) FROM persons WHERE name LIKE '导入%'")
    last_line = _scalar(db_url, "SELECT last_line FROM import_batches WHERE id = 'killed-import-1'")
    # whole chunks only, exactly the rows up to the line the batch row names, each with its stay and history
    assert stored == last_line - 1 and stored % 50 == 0 and 300 <= stored < 3000
    assert _scalar(db_url, "SELECT count(*) FROM stays WHERE person_id IN "
                           "(SELECT id FROM persons WHERE name LIKE '导入%')") == stored
    assert _scalar(db_url, "SELECT count(*) FROM history WHERE person_id IN "
                           "(SELECT id FROM persons WHERE name LIKE '导入%')") == stored
    monkeypatch.setattr(import_batches, "STALE", 0.0)
    killed = client.persons.import_status("killed-import-1")
    assert (killed.status, killed.inserted, killed.last_line) == ("interrupted", stored, last_line)

    resumed = client.persons.import_file(path.read_bytes(), filename="big.csv", skip_bad=True)
    assert (resumed.unchanged, resumed.inserted, resumed.problems) == (stored, 3000 - stored, [])
    assert _scalar(db_url, "SELECT count(*) FROM persons WHERE name LIKE '导入%'") == 3000
    numbers = {r[1] for r in rows}
    engine = create_engine(normalize_url(db_url))
    with engine.connect() as conn:
        held = conn.execute(select(t.Person.id_number, func.count()).where(t.Person.name.like("导入%"))
                            .group_by(t.Person.id_number)).all()
    engine.dispose()
    assert {n for n, _ in held} == numbers and {c for _, c in held} == {1}  # none twice


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock is the whole store's; PostgreSQL locks rows")
def test_sqlite_write_lock_is_free_between_chunks(client: flowpop.Client, db_url: str,
                                                  monkeypatch: pytest.MonkeyPatch, chunked: None) -> None:
    import sqlite3

    free: list[bool] = []

    def between(chunks: int) -> None:
        conn = sqlite3.connect(db_url, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # fails at once if the import held the lock across chunks
            conn.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:
            free.append(False)
        finally:
            conn.close()

    _after_each_chunk(monkeypatch, between)
    client.persons.import_file(_csv(_rows(350)), filename="big.csv")
    assert free == [True] * 4
