"""psycopg is loaded only when a PostgreSQL URL is opened: an embedded SQLite registry never imports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
import flowpop
client = flowpop.Client(db=sys.argv[1])
client.me()
next(iter(client.persons.list()), None)
loaded = sorted(m for m in sys.modules if m == "psycopg" or m.startswith("psycopg."))
print(",".join(loaded))
"""


def test_an_embedded_sqlite_query_does_not_import_psycopg(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "registry.db")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_the_store_errors_are_told_apart_by_sqlstate() -> None:
    # the codes problems.py answers 503 / 422 on are psycopg's own classes' codes
    import psycopg.errors as pg

    from flowpop.registry.store import db

    assert db.sqlstate(pg.LockNotAvailable("x")) in db.PG_BUSY
    assert db.sqlstate(pg.SerializationFailure("x")) in db.PG_BUSY
    assert db.sqlstate(pg.DeadlockDetected("x")) in db.PG_BUSY
    assert db.sqlstate(pg.NumericValueOutOfRange("x")) == db.PG_NUMERIC_VALUE_OUT_OF_RANGE
    assert db.sqlstate(pg.UniqueViolation("x")) not in db.PG_BUSY
    assert db.sqlstate(ValueError("x")) is None
