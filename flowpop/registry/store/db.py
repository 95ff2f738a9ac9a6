"""Engine, sessions and migrations for the store (SQLite file by default, PostgreSQL at scale)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from flowpop.config import need

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (tests/registry/store/test_migrations.py keeps this honest):
# opening an up-to-date registry then needs no Alembic at all.
SCHEMA_HEAD = "0018"
# How long a statement waits for a lock another writer holds (SQLite's busy timeout, PostgreSQL's
# lock_timeout) before the request answers 503 with Retry-After: short enough for an HTTP request, so
# that a long import makes others retry instead of hanging and failing. FLOWPOP_LOCK_WAIT overrides it.
LOCK_WAIT = 5.0


def lock_wait() -> float:
    """Seconds a statement waits for a lock (FLOWPOP_LOCK_WAIT, else LOCK_WAIT)."""
    try:
        return max(0.001, float(os.environ.get("FLOWPOP_LOCK_WAIT", LOCK_WAIT)))
    except ValueError:
        return LOCK_WAIT


# PostgreSQL error codes (SQLSTATE) the service tells apart. They are read from the driver's error
# (psycopg's Error.sqlstate) instead of its classes, so that nothing imports psycopg until a
# PostgreSQL URL is opened: an embedded SQLite registry never loads it.
PG_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout passed
PG_SERIALIZATION_FAILURE = "40001"
PG_DEADLOCK_DETECTED = "40P01"
PG_NUMERIC_VALUE_OUT_OF_RANGE = "22003"
PG_BUSY = frozenset({PG_LOCK_NOT_AVAILABLE, PG_SERIALIZATION_FAILURE, PG_DEADLOCK_DETECTED})


def sqlstate(orig: BaseException | None) -> str | None:
    """The SQLSTATE of a PostgreSQL driver error; None for anything else (SQLite's errors have none)."""
    code = getattr(orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def normalize_url(db: str | Path) -> str:
    """A plain path means a SQLite file; ``postgresql://`` uses psycopg 3."""
    text = str(db)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def make_engine(db: str | Path, **kwargs: object) -> Engine:
    url = normalize_url(db)
    wait = lock_wait()
    # a request also waits this long for a free connection, then answers 503 like a busy store
    kwargs = {"pool_timeout": wait, **kwargs}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": wait}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()
            # pysqlite's own transaction handling would emit a deferred BEGIN: we do it below
            dbapi_conn.isolation_level = None

        # Take the write lock at BEGIN so concurrent writers queue instead of failing mid-transaction.
        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

        return engine
    if url.startswith("postgresql+psycopg"):
        need("psycopg")  # the postgresql extra
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)

    @event.listens_for(engine, "connect")
    def _lock_timeout(dbapi_conn: Any, _record: Any) -> None:
        # a session setting, outside any transaction (SET inside one would end with its rollback)
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        dbapi_conn.execute(f"SET lock_timeout = {int(wait * 1000)}")
        dbapi_conn.autocommit = autocommit

    return engine


def sessions(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Write sessions take SQLite's write lock at BEGIN (BEGIN IMMEDIATE)."""
    bind = engine.execution_options(write=True) if write else engine
    return sessionmaker(bind, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(db: str | Path) -> None:
    """Bring the schema to the newest revision (creates the file if needed)."""
    url = normalize_url(db)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        if current_revision(engine) == SCHEMA_HEAD:
            return
        from alembic import command

        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
