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


# the registry's code, as the plugin tells it: a function whose file lies in the flowpop package
FROM_FLOWPOP = '''
from pathlib import Path
import flowpop

def _flowpop_function(source):
    namespace = {}
    exec(compile(source, str(Path(flowpop.__file__).parent / "citus_sample.py"), "exec"), namespace)
    return namespace["send"]

send_from_flowpop = _flowpop_function("def send(conn, sql):\\n    conn.execute(sql)\\n")

def test_registry_sends_a_bad_join():
    with connect() as conn:
        send_from_flowpop(conn, text("SELECT s.id FROM stays s JOIN persons p ON p.id = s.person_id"))

def test_registry_inserts_without_county():
    with connect() as conn:
        send_from_flowpop(conn, text("INSERT INTO stays (id, person_id) VALUES (1, 2)"))
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_a_run_on_postgresql_fails_when_the_registry_breaks_a_rule(tmp_path: Path, workers: list[str]) -> None:
    """Every test passes, but statements sent by flowpop's code break the rules: the run fails at its end and lists
    them (without --citus-report too); the tests' own bad SQL alone (the sample above) passes."""
    (tmp_path / "test_sample.py").write_text(SAMPLE.split("def send_bad_join")[0] + FROM_FLOWPOP, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.citus.plugin", "--rootdir", str(tmp_path), "-c", os.devnull,
         *workers, str(tmp_path / "test_sample.py")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert "2 statements sent by flowpop break the Citus rules" in run.stdout
    assert "join: stays s with persons p without county equality" in run.stdout
    assert "insert_without_county: INSERT INTO stays (id, person_id)" in run.stdout
    assert "sent by flowpop.citus_sample:send" in run.stdout
