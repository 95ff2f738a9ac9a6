"""The partial indexes declared in tables.py (tables.partial_index) are created as the migrations create them, and
declaring them imports no SQL dialect: the condition is handed over only when an index is created, so an
embedded SQLite query never imports the PostgreSQL dialect (issue #16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from flowpop.registry.store import id_sql
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import migrate, normalize_url

PARTIAL = {"ix_persons_household_house_code", id_sql.CHECK_FAILED_INDEX}


def definitions(conn: Connection) -> dict[str, str]:
    """Every index of persons as the database states it."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' AND sql IS NOT NULL"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'persons' AND schemaname = current_schema()"
    return {name: sql for name, sql in conn.execute(text(query))}


def test_indexes_created_from_the_tables_are_the_migrations(db_url: str) -> None:
    """As the demo builds a registry: each index of persons dropped and created again from tables.py."""
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.begin() as conn:
            migrated = definitions(conn)
            assert set(migrated) >= PARTIAL
            assert all(" WHERE " in migrated[name] for name in PARTIAL)
            for index in t.Person.__table__.indexes:
                index.drop(conn)
                index.create(conn)
            assert definitions(conn) == migrated
    finally:
        engine.dispose()


PROBE = """
import sys
import flowpop
client = flowpop.Client(db=sys.argv[1])
next(iter(client.persons.list()), None)
print("sqlalchemy.dialects.postgresql" in sys.modules)
"""


def test_an_embedded_sqlite_query_imports_no_postgresql_dialect(tmp_path: Path) -> None:
    """Nor do the modules of a one-row query on a registry made before (the SQLite dialect is the store's;
    PostgreSQL's, ~0.1 s to import, is not needed; Alembic imports it when it migrates)."""
    registry = str(tmp_path / "registry.db")
    migrate(registry)
    out = subprocess.run([sys.executable, "-c", PROBE, registry],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
