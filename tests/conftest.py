"""Fixtures: a real registry (SQLite file, or PostgreSQL when FLOWPOP_TEST_DATABASE_URL is set),
embedded clients, clients for users of each role, and a real server on a socket."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import flowpop
from flowpop.registry.store.db import normalize_url
from flowpop.rules import idnumber
from tests import tree
from tests.citus import catalog

# --citus-report=FILE: the statements sent to PostgreSQL checked against the Citus rules (issue #17)
pytest_plugins = ["tests.citus.plugin"]

PG_URL = os.environ.get("FLOWPOP_TEST_DATABASE_URL")
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_inherited_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI fits its tables to COLUMNS when set, and pytest-xdist's workers set COLUMNS=80: every test starts
    without it, as a pipe does; a test of the width passes its own (tests/cli/test_table_width.py)."""
    monkeypatch.delenv("COLUMNS", raising=False)


def _pg_schema_url(schema: str) -> str:
    """The test database with its search path set to one schema (for tests that build their own)."""
    base = normalize_url(PG_URL or "")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _pg_database_url(name: str) -> str:
    """The test server's URL with another database name."""
    from sqlalchemy.engine import make_url

    return make_url(normalize_url(PG_URL or "")).set(database=name).render_as_string(hide_password=False)


def _pg_admin() -> Any:
    return create_engine(normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated registry with the test tree; each test gets a copy of it.

    SQLite: a file copied per test. PostgreSQL: a template database cloned per test
    (CREATE DATABASE … TEMPLATE, tens of milliseconds instead of migrating each time)."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("template") / "registry.db"
        with flowpop.Client(db=str(path)) as c:
            c.divisions.import_rows(tree.rows())
        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield str(path)
        return
    name = f"flowpop_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_database_url(name)
    with flowpop.Client(db=url) as c:
        c.divisions.import_rows(tree.rows())
    # issue #17: in every test on PostgreSQL no UPDATE changes a row's distribution column (Citus refuses it)
    engine = create_engine(normalize_url(url), poolclass=NullPool)
    with engine.begin() as conn:
        catalog.county_guard(conn)
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def empty_registry(folder: Path, prefix: str) -> Iterator[str]:
    """A place for a registry a test builds itself (e.g. a demo): a file in ``folder`` (SQLite), or a fresh
    schema of the test database (PostgreSQL, named ``prefix`` + a random part), dropped afterwards."""
    if not PG_URL:
        yield str(folder / "registry.db")
        return
    schema = prefix + uuid.uuid4().hex[:10]
    engine = create_engine(normalize_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@contextlib.contextmanager
def registry_copy(template_db: str, folder: Path, prefix: str = "t_") -> Iterator[str]:
    """A fresh copy of the template registry: a file in ``folder`` (SQLite), or a database cloned from the
    template and dropped afterwards (PostgreSQL, named ``prefix`` + a random part)."""
    if not PG_URL:
        target = folder / "registry.db"
        shutil.copy(template_db, target)
        yield str(target)
        return
    name = prefix + uuid.uuid4().hex[:12]
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    try:
        yield _pg_database_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db_url(tmp_path: Path, template_db: str) -> Iterator[str]:
    """A registry of its own for each test, copied from the template."""
    with registry_copy(template_db, tmp_path) as url:
        yield url


@pytest.fixture
def client(db_url: str) -> Iterator[flowpop.Client]:
    """The local administrator of an embedded registry."""
    with flowpop.Client(db=db_url, max_retries=0) as c:
        yield c


def new_id_number(born: dt.date = dt.date(1990, 5, 6), *, sex: str = "F", region: str = "360102") -> str:
    n = next(_serial) % 499
    order = n * 2 + (1 if sex == "M" else 0)
    return idnumber.make(region, born.replace(day=1 + next(_serial) % 28), order)


def person_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id_number": new_id_number(sex=overrides.pop("sex", "F"), region=overrides.pop("region", "360102")),
        "name": "王秀英",
        "household_code": tree.COUNTY_DONGHU,
        "marital_status": "first_marriage",
        "stay": {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01"},
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_person(client: flowpop.Client) -> Callable[..., flowpop.types.PersonDetail]:
    def make(**overrides: Any) -> flowpop.types.PersonDetail:
        return client.persons.create(**person_fields(**overrides))

    return make


@pytest.fixture
def as_user(client: flowpop.Client, db_url: str) -> Iterator[Callable[[str, str | None], flowpop.Client]]:
    """as_user(role, jurisdiction) → an embedded client acting with that user's token."""
    opened: list[flowpop.Client] = []

    def make(role: str, jurisdiction: str | None) -> flowpop.Client:
        name = f"{role[:10]}_{next(_serial)}"
        client.users.create(username=name, role=role, jurisdiction_code=jurisdiction)
        secret = client.tokens.create(username=name, name="test").token
        c = flowpop.Client(db=db_url, token=secret, max_retries=0)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


@pytest.fixture
def townships(as_user: Callable[[str, str | None], flowpop.Client]) -> tuple[flowpop.Client, flowpop.Client]:
    """Operators of township A (三明三元区) and township D (南昌东湖区), two different counties."""
    return as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(db: str, log_level: str = "warning") -> Iterator[str]:
    """`flowpop serve`'s app (tokens required) on a real socket, in a thread."""
    from flowpop.registry.api import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.02)
    assert srv.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    """`flowpop serve`'s app on a real socket; tokens required."""
    with serving(db_url) as url:
        yield url
