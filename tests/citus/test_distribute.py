"""The Citus step (store/citus.py, migration "citus: distribute"): the calls it would send for the declared layout,
in order; nothing on plain PostgreSQL; and the whole migration run against a stand-in coordinator.

No Citus can be installed here, so the stand-in is a schema on plain PostgreSQL placed before pg_catalog in the
search path: a ``pg_extension`` that lists citus, a ``pg_dist_partition`` and the two functions, which refuse what
Citus refuses when a table is placed (a missing distribution column, a unique key without it, a foreign key to a
table not placed yet, colocation with a table not distributed) and record each call."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from flowpop.registry.store import citus, distribution
from flowpop.registry.store.db import SCHEMA_HEAD, current_revision, migrate, normalize_url
from flowpop.registry.store.distribution import COUNTY, GROUP, LAYOUT
from flowpop.registry.store.tables import Base

PG_URL = os.environ.get("FLOWPOP_TEST_DATABASE_URL")
on_postgresql = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")

_CALL = re.compile(r"SELECT (create_reference_table|create_distributed_table)\('(\w+)'(?:, '(\w+)', "
                   r"colocate_with => '(\w+)')?\)")


def parsed(statements: list[str]) -> list[tuple[str, ...]]:
    """Each statement as (function, table[, column, colocate_with]); a statement of another shape fails."""
    out = []
    for stmt in statements:
        m = _CALL.fullmatch(stmt)
        assert m, stmt
        out.append(tuple(g for g in m.groups() if g is not None))
    return out


def test_the_calls_for_the_layout() -> None:
    calls = parsed(citus.statements(Base.metadata.tables))
    kinds = {name: p.kind for name, p in LAYOUT.items()}
    named = [c[1] for c in calls]
    assert sorted(named) == sorted(n for n, k in kinds.items() if k != "local"), "each placed table once, no local"
    reference = [c for c in calls if c[0] == "create_reference_table"]
    assert {c[1] for c in reference} == {n for n, k in kinds.items() if k == "reference"}
    assert calls[:len(reference)] == reference, "reference tables first"
    assert named.index("users") < named.index("tokens"), "tokens has a foreign key to users"
    distributed = calls[len(reference):]
    assert distributed[0] == ("create_distributed_table", "persons", COUNTY, "none")
    group = [c for c in distributed if LAYOUT[c[1]].colocation == GROUP]
    assert {c[1] for c in group} == {n for n, p in LAYOUT.items() if p.kind == "distributed" and p.colocation == GROUP}
    assert all(c[2:] == (COUNTY, "persons") for c in group[1:]), group
    others = [c for c in distributed if LAYOUT[c[1]].colocation != GROUP]
    for c in others:  # a group of its own (the ID-number index): started afresh, by its own column
        assert c[2:] == (citus.column_of(LAYOUT[c[1]]), "none"), c


def test_the_id_number_index_is_distributed_by_the_number() -> None:
    if "id_numbers" not in LAYOUT:
        pytest.skip("the ID-number index is not declared yet")
    calls = parsed(citus.statements(Base.metadata.tables))
    assert ("create_distributed_table", "id_numbers", "id_number", "none") in calls


def test_absent_and_placed_tables_are_skipped() -> None:
    present = set(Base.metadata.tables) - {"campaign_items", "employers"}
    named = [c[1] for c in parsed(citus.statements(present, placed={"divisions", "persons"}))]
    assert not {"campaign_items", "employers", "divisions", "persons"} & set(named)
    assert "stays" in named and "users" in named
    # stays still colocates with persons, placed by an earlier run
    assert "SELECT create_distributed_table('stays', 'county', colocate_with => 'persons')" in \
        citus.statements(present, placed={"persons"})


def test_a_new_colocation_group_starts_with_its_first_table() -> None:
    layout = {
        "areas": distribution.Placement("reference", "r"),
        "a": distribution.Placement("distributed", "r", "x", "g1"),
        "b": distribution.Placement("distributed", "r", "x", "g2"),
        "c": distribution.Placement("distributed", "r", "x", "g1"),
        "log": distribution.Placement("local", "r"),
    }
    assert parsed(citus.statements(layout, layout=layout)) == [
        ("create_reference_table", "areas"),
        ("create_distributed_table", "a", COUNTY, "none"),
        ("create_distributed_table", "c", COUNTY, "a"),
        ("create_distributed_table", "b", COUNTY, "none"),
    ]


def test_sqlite_gets_nothing() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert not citus.has_citus(conn)
        assert citus.distribute(conn) == []


@on_postgresql
def test_plain_postgresql_gets_nothing(db_url: str) -> None:
    # the test registry went through the step (it is at head) and nothing was placed: no Citus here
    engine = create_engine(normalize_url(db_url), poolclass=NullPool)
    try:
        assert current_revision(engine) == SCHEMA_HEAD
        with engine.begin() as conn:
            assert not citus.has_citus(conn)
            assert citus.distribute(conn) == []
            assert conn.execute(text("SELECT to_regclass('pg_dist_partition')")).scalar() is None
    finally:
        engine.dispose()


STAND_IN = """
CREATE SCHEMA citus_fake;
CREATE VIEW citus_fake.pg_extension AS SELECT 'citus'::name AS extname;
CREATE TABLE citus_fake.pg_dist_partition (logicalrelid regclass PRIMARY KEY, partmethod "char", colocate text);
CREATE TABLE citus_fake.calls (n serial PRIMARY KEY, call text NOT NULL);
CREATE FUNCTION citus_fake.foreign_keys_placed(rel regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE target text;
BEGIN
  SELECT c.confrelid::regclass::text INTO target FROM pg_catalog.pg_constraint c
  WHERE c.conrelid = rel AND c.contype = 'f' AND c.confrelid <> rel
    AND c.confrelid NOT IN (SELECT logicalrelid FROM citus_fake.pg_dist_partition);
  IF target IS NOT NULL THEN
    RAISE EXCEPTION '% has a foreign key to %, which is not placed', rel, target;
  END IF;
END $$;
CREATE FUNCTION citus_fake.create_reference_table(table_name regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM citus_fake.foreign_keys_placed(table_name);
  INSERT INTO citus_fake.pg_dist_partition VALUES (table_name, 'n', NULL);
  INSERT INTO citus_fake.calls (call) VALUES (format('create_reference_table:%s', table_name));
END $$;
CREATE FUNCTION citus_fake.create_distributed_table(table_name regclass, distribution_column text,
                                                    colocate_with text DEFAULT 'default')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE col int2; bad text;
BEGIN
  SELECT attnum INTO col FROM pg_catalog.pg_attribute
  WHERE attrelid = table_name AND attname = distribution_column AND NOT attisdropped;
  IF col IS NULL THEN
    RAISE EXCEPTION 'column "%" of relation "%" does not exist', distribution_column, table_name;
  END IF;
  SELECT ic.relname INTO bad FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  WHERE i.indrelid = table_name AND i.indisunique AND NOT col = ANY(i.indkey::int2[]);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'cannot create constraint %: unique keys must include the partition column %', bad,
      distribution_column;
  END IF;
  IF colocate_with NOT IN ('default', 'none') AND NOT EXISTS (
      SELECT 1 FROM citus_fake.pg_dist_partition WHERE logicalrelid = colocate_with::regclass AND partmethod = 'h')
  THEN
    RAISE EXCEPTION 'cannot colocate with %: not a distributed table', colocate_with;
  END IF;
  PERFORM citus_fake.foreign_keys_placed(table_name);
  INSERT INTO citus_fake.pg_dist_partition VALUES (table_name, 'h', colocate_with);
  INSERT INTO citus_fake.calls (call)
  VALUES (format('create_distributed_table:%s:%s:%s', table_name, distribution_column, colocate_with));
END $$;
"""


@pytest.fixture
def stand_in_coordinator() -> Iterator[str]:
    """A new database with the stand-in Citus, and a URL whose search path finds it before pg_catalog."""
    name = "citus_fake_" + uuid.uuid4().hex[:10]
    admin = create_engine(normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(PG_URL or "")).set(database=name)
    try:
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute(STAND_IN)  # psycopg's own execute: no placeholders to read in the functions' bodies
        engine.dispose()
        yield url.update_query_dict({"options": "-csearch_path=public,citus_fake,pg_catalog"}).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@on_postgresql
def test_the_migration_places_every_table_on_a_coordinator(stand_in_coordinator: str) -> None:
    migrate(stand_in_coordinator)  # every revision, the Citus step last, in one transaction
    engine = create_engine(stand_in_coordinator, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            recorded = [str(c) for (c,) in conn.execute(text("SELECT call FROM citus_fake.calls ORDER BY n"))]
            assert citus.has_citus(conn)
            assert citus.distribute(conn) == [], "a second run sends nothing"
    finally:
        engine.dispose()
    expected = [":".join(c) for c in parsed(citus.statements(Base.metadata.tables))]
    assert recorded == expected
    assert "create_distributed_table:persons:county:none" in recorded
