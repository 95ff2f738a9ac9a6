"""The catalog checker (tests/citus/catalog.py) on a small synthetic schema: a good layout passes, each bad one
is flagged. PostgreSQL only; each case builds its tables in a scratch schema inside a transaction rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from flowpop.registry.store import distribution
from flowpop.registry.store.db import normalize_url
from flowpop.registry.store.distribution import Placement
from tests.citus import catalog

PG_URL = os.environ.get("FLOWPOP_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="reads a PostgreSQL catalog")

LAYOUT = {
    "areas": Placement("reference", "the tree"),
    "people": Placement("distributed", "the register", "the person's county", "county"),
    "visits": Placement("distributed", "a person's visits", "the person's county", "county"),
    "notes": Placement("distributed", "a case's table", "its county", "county"),
    # an index distributed by another column, in a colocation group of its own (as id_numbers)
    "numbers": Placement("distributed", "the number index", "the person's county", "id_number", "id_number"),
    "log": Placement("local", "bookkeeping"),
}

GOOD = """
CREATE TABLE areas (code varchar(15) COLLATE "C" PRIMARY KEY, name text);
CREATE TABLE log (id bigserial PRIMARY KEY, area varchar(15) COLLATE "C" REFERENCES areas (code), note text);
CREATE TABLE people (
    county char(6) COLLATE "C" NOT NULL, id bigint NOT NULL, area varchar(15) COLLATE "C" REFERENCES areas (code),
    id_number varchar(18), PRIMARY KEY (county, id));
CREATE UNIQUE INDEX ux_people_number ON people (county, id_number) WHERE id_number IS NOT NULL;
CREATE TABLE visits (
    county char(6) COLLATE "C" NOT NULL, id bigint NOT NULL, person_id bigint NOT NULL, PRIMARY KEY (county, id),
    FOREIGN KEY (county, person_id) REFERENCES people (county, id));
CREATE TABLE notes (county char(6) COLLATE "C" NOT NULL, id bigint NOT NULL, UNIQUE (id, county));
CREATE TABLE numbers (id_number varchar(18) COLLATE "C" NOT NULL, county varchar(6) COLLATE "C" NOT NULL,
    person_id bigint NOT NULL, PRIMARY KEY (id_number, person_id));
"""


@pytest.fixture
def conn() -> Iterator[Connection]:
    engine = create_engine(normalize_url(PG_URL or ""))
    with engine.connect() as c:
        c.begin()
        try:
            yield c
        finally:
            c.rollback()
    engine.dispose()


def build(conn: Connection, *statements: str) -> str:
    schema = "citus_chk_" + uuid.uuid4().hex[:10]
    conn.execute(text(f"CREATE SCHEMA {schema}"))
    conn.execute(text(f"SET LOCAL search_path TO {schema}"))
    for sql in (GOOD, *statements):
        for stmt in sql.split(";"):
            if stmt.strip():
                conn.execute(text(stmt))
    return schema


def flagged(conn: Connection, *statements: str, layout: dict[str, Placement] = LAYOUT) -> set[tuple[str, str]]:
    schema = build(conn, *statements)
    return {(v.kind, v.table) for v in catalog.violations(conn, schema, layout)}


def test_a_good_schema_passes(conn: Connection) -> None:
    assert flagged(conn) == set()


@pytest.mark.parametrize(("change", "expected"), [
    pytest.param("DROP TABLE notes; CREATE TABLE notes (id bigint NOT NULL)",
                 {("no_county", "notes")}, id="no county column"),
    pytest.param("DROP TABLE notes; CREATE TABLE notes (area varchar(15) COLLATE \"C\" NOT NULL, county char(6) "
                 "COLLATE \"C\" GENERATED ALWAYS AS (left(area, 6)) STORED NOT NULL, id bigint, "
                 "PRIMARY KEY (county, id))",
                 {("generated_county", "notes")}, id="generated county"),
    pytest.param("ALTER TABLE notes ALTER county DROP NOT NULL",
                 {("county_nullable", "notes")}, id="nullable county"),
    pytest.param("ALTER TABLE notes ADD PRIMARY KEY (id)",
                 {("unique_without_county", "notes")}, id="primary key without county"),
    pytest.param("CREATE UNIQUE INDEX ux_people_area ON people (area, id)",
                 {("unique_without_county", "people")}, id="unique index without county"),
    pytest.param("CREATE UNIQUE INDEX ux_people_lower ON people (lower(id_number))",
                 {("unique_without_county", "people")}, id="unique expression index"),
    pytest.param("ALTER TABLE visits ADD COLUMN home char(6) COLLATE \"C\"; "
                 "ALTER TABLE visits ADD FOREIGN KEY (home, person_id) REFERENCES people (county, id)",
                 {("fk_not_through_county", "visits")}, id="foreign key between distributed tables not through county"),
    pytest.param("ALTER TABLE areas ADD COLUMN c char(6) COLLATE \"C\", ADD COLUMN pid bigint; "
                 "ALTER TABLE areas ADD FOREIGN KEY (c, pid) REFERENCES people (county, id)",
                 {("fk_to_distributed", "areas")}, id="foreign key from a reference table to a distributed one"),
    pytest.param("ALTER TABLE log ADD COLUMN c char(6) COLLATE \"C\", ADD COLUMN pid bigint; "
                 "ALTER TABLE log ADD FOREIGN KEY (c, pid) REFERENCES people (county, id)",
                 {("fk_to_distributed", "log")}, id="foreign key from a local table to a distributed one"),
    pytest.param("ALTER TABLE people ADD COLUMN log_id bigint REFERENCES log (id)",
                 {("fk_to_local", "people")}, id="foreign key from a distributed table to a local one"),
    pytest.param("DROP TABLE notes; CREATE TABLE notes (county varchar(6) COLLATE \"C\" NOT NULL, id bigint)",
                 {("county_type", "notes")}, id="county of another type"),
    pytest.param("DROP TABLE notes; CREATE TABLE notes (county char(6) COLLATE \"POSIX\" NOT NULL, id bigint)",
                 {("county_collation", "notes")}, id="county of another collation"),
    pytest.param("ALTER TABLE log ADD COLUMN home varchar(15) COLLATE \"POSIX\" REFERENCES areas (code)",
                 {("fk_collation", "log")}, id="foreign key across collations"),
    pytest.param("ALTER TABLE numbers DROP CONSTRAINT numbers_pkey; ALTER TABLE numbers ADD PRIMARY KEY (county, person_id)",
                 {("unique_without_county", "numbers")}, id="a key without the table's own distribution column"),
    pytest.param("ALTER TABLE numbers DROP CONSTRAINT numbers_pkey; ALTER TABLE numbers ALTER id_number DROP NOT NULL",
                 {("county_nullable", "numbers")}, id="nullable distribution column of its own"),
    pytest.param("ALTER TABLE numbers ADD FOREIGN KEY (county, person_id) REFERENCES people (county, id)",
                 {("fk_not_through_county", "numbers")}, id="foreign key across colocation groups"),
    pytest.param("CREATE TABLE extra (id int)", {("undeclared", "extra")}, id="undeclared table"),
    pytest.param("DROP TABLE notes", {("missing", "notes")}, id="declared table missing"),
])
def test_each_bad_schema_is_flagged(conn: Connection, change: str, expected: set[tuple[str, str]]) -> None:
    assert flagged(conn, change) == expected


def test_the_layout_decides_what_is_checked(conn: Connection) -> None:
    # the same tables with people declared a reference table: still good (a distributed table may point at one);
    # with areas declared distributed: areas lacks its county, and the keys pointing at it are refused
    layout = {**LAYOUT, "people": Placement("reference", "small after all")}
    assert flagged(conn, layout=layout) == set()
    layout = {**LAYOUT, "areas": Placement("distributed", "sharded", "its county", "county")}
    assert flagged(conn, layout=layout) == {
        ("no_county", "areas"), ("unique_without_county", "areas"),
        ("fk_to_distributed", "log"), ("fk_not_through_county", "people")}


def test_the_county_guard_refuses_an_update_of_county(conn: Connection) -> None:
    schema = build(conn)
    assert catalog.county_guard(conn, schema, LAYOUT) == ["notes", "numbers", "people", "visits"]
    conn.execute(text("INSERT INTO people (county, id) VALUES ('360102', 1)"))
    conn.execute(text("UPDATE people SET area = NULL, county = '360102' WHERE id = 1"))  # unchanged: allowed
    conn.execute(text("SAVEPOINT before_move"))
    with pytest.raises(DBAPIError, match="changed the county"):
        conn.execute(text("UPDATE people SET county = '350402' WHERE id = 1"))
    conn.execute(text("ROLLBACK TO SAVEPOINT before_move"))
    assert conn.execute(text("SELECT county FROM people")).scalar_one() == "360102"


def test_the_guard_of_a_table_distributed_by_another_column(conn: Connection) -> None:
    # the number index: its county follows the person (an UPDATE), its number never changes in place
    schema = build(conn)
    catalog.county_guard(conn, schema, LAYOUT)
    conn.execute(text("INSERT INTO numbers (id_number, county, person_id) VALUES ('350404199001010011', '360102', 1)"))
    conn.execute(text("UPDATE numbers SET county = '350402' WHERE person_id = 1"))
    conn.execute(text("SAVEPOINT before_renumber"))
    with pytest.raises(DBAPIError, match="changed the id_number"):
        conn.execute(text("UPDATE numbers SET id_number = '350404199001010022' WHERE person_id = 1"))
    conn.execute(text("ROLLBACK TO SAVEPOINT before_renumber"))
    assert conn.execute(text("SELECT id_number, county FROM numbers")).one() == ("350404199001010011", "350402")


def test_a_registry_migrated_to_head_breaks_no_rule(db_url: str) -> None:
    # issue #17: the test template is migrated to head (county columns, keys through the county, the ID-number index)
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.connect() as c:
            assert catalog.violations(c) == []
    finally:
        engine.dispose()


def test_every_test_registry_guards_the_distribution_columns(db_url: str) -> None:
    # tests/conftest.py installs county_guard on the template, so the whole suite on PostgreSQL runs with it
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.begin() as c:
            guarded = {str(name) for (name,) in c.execute(text(
                "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'citus_county_guard'"))}
            assert guarded == set(distribution.distributed())
            c.execute(text("INSERT INTO history (county, at, entity, entity_id, action, username, changes, scope_code) "
                           "VALUES ('360102', now(), 'person', 1, 'test', 'test', '{}', '360102001001')"))
            with pytest.raises(DBAPIError, match="changed the county"):
                c.execute(text("UPDATE history SET county = '350402'"))
    finally:
        engine.dispose()
