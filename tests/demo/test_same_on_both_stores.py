"""The same demo (size, seed, day) is the same registry on SQLite and on PostgreSQL: the same people in the
same states and the same rates and quality counts. The build draws its random numbers row by row over what it
reads back, so every such read has an order of its own (PostgreSQL returns rows in the order they sit in the
table, which an UPDATE changes; SQLite in rowid order). Runs only with FLOWPOP_TEST_DATABASE_URL set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import flowpop
from flowpop.demo.build import build
from tests.conftest import PG_URL, empty_registry

pytestmark = pytest.mark.skipif(not PG_URL, reason="compares a SQLite demo with a PostgreSQL one")

SIZE = 400
SEED = 11
TODAY = "2026-12-05"
OPERATOR = "sanyuan_op1"  # a township operator of the demo (the console's snapshots use this one)


def figures(db: str) -> dict[str, Any]:
    """What the console's dashboard shows and who is in which state, as the registry answers it."""
    with flowpop.Client(db=db, max_retries=0) as admin:
        token = admin.tokens.create(username=OPERATOR, name="same-on-both").token
        people = sorted(
            (p.id_number, p.status, p.residence_code) for p in admin.persons.list(reveal=True, limit=500)
        )
    with flowpop.Client(db=db, token=token, max_retries=0) as c:
        rates = {}
        for quarter in ("2026Q3", "2026Q4"):
            for level in ("township", "village"):
                report = c.reports.rates(quarter, level=level)
                for row in [report.total, *report.rows]:
                    rates[quarter, level, row.division_code] = [
                        (r.key, r.numerator, r.denominator) for r in row.rates
                    ]
        quality = c.reports.quality().model_dump(exclude={"seconds"})
    return {"people": people, "rates": rates, "quality": quality}


def test_the_same_demo_reads_the_same_on_sqlite_and_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)
    sqlite_db = str(tmp_path / "demo.db")
    build(sqlite_db, SIZE, seed=SEED)
    on_sqlite = figures(sqlite_db)
    with empty_registry(tmp_path, "same_") as pg_db:
        assert pg_db.startswith("postgresql")
        build(pg_db, SIZE, seed=SEED)
        on_pg = figures(pg_db)
    assert on_pg["people"] == on_sqlite["people"]
    assert on_pg["rates"] == on_sqlite["rates"]
    assert on_pg["quality"] == on_sqlite["quality"]
