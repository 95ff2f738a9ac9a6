"""``pytest --citus-report=FILE`` (tests/citus/plugin.py) records what a test run sends to PostgreSQL, with its
violations, the test and the sending function, in one process or across pytest-xdist workers. PostgreSQL only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PG_URL = os.environ.get("FLOWPOP_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="records statements sent to PostgreSQL")
ROOT = Path(__file__).resolve().parents[2]

SAMPLE = '''
import os
from sqlalchemy import create_engine, text
from flowpop.registry.store.db import normalize_url

def connect():
    engine = create_engine(normalize_url(os.environ["FLOWPOP_TEST_DATABASE_URL"]))
    conn = engine.connect()
    conn.execute(text("CREATE TEMP TABLE persons (id int, county text)"))
    conn.execute(text("CREATE TEMP TABLE stays (id int, person_id int, county text)"))
    return conn

def send_bad_join(conn):
    conn.execute(text("SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id"))

def test_bad():
    with connect() as conn:
        send_bad_join(conn)

def test_good():
    with connect() as conn:
        conn.execute(text("SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id AND s.county = p.county"))

def test_bad_again():
    with connect() as conn:
        send_bad_join(conn)
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_the_report_names_each_violating_statement_and_its_senders(tmp_path: Path, workers: list[str]) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.citus.plugin", f"--citus-report={report}",
         "--rootdir", str(tmp_path), "-c", os.devnull, *workers, str(tmp_path / "test_sample.py")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["violating_statements"] == 1 and data["statements_by_kind"] == {"join": 1}
    bad, *rest = data["statements"]
    assert bad["sql"] == "SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id"
    assert [v["kind"] for v in bad["violations"]] == ["join"]
    assert bad["executions"] == 2 and bad["test_count"] == 2
    assert bad["senders"] == {"test_sample:send_bad_join": 2}
    assert bad["tests"] == ["test_sample.py::test_bad", "test_sample.py::test_bad_again"]
    good = [s for s in rest if "s.county = p.county" in s["sql"]]
    assert len(good) == 1 and good[0]["violations"] == []
