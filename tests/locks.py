"""A writer that holds the store, for tests of what others see while it does (the API's 503 and Retry-After,
the SDK's retries). Shared by tests/attacks and tests/sdk."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator

from sqlalchemy import create_engine, text

from flowpop.registry.store.db import normalize_url
from tests.conftest import PG_URL


@contextlib.contextmanager
def write_lock_held(db_url: str) -> Iterator[Callable[[], None]]:
    """Another connection holds what writers need: SQLite's write lock (BEGIN IMMEDIATE on the same file),
    or on PostgreSQL a lock on the persons table that every insert or update of a person waits for.
    Yields the function that lets go."""
    if not PG_URL:
        holder = sqlite3.connect(db_url, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                holder.execute("ROLLBACK")
                released = True

        try:
            yield release
        finally:
            release()
            holder.close()
        return
    engine = create_engine(normalize_url(db_url))
    conn = engine.connect()
    tx = conn.begin()
    conn.execute(text("LOCK TABLE persons IN EXCLUSIVE MODE"))
    try:
        yield lambda: tx.is_active and tx.rollback()  # type: ignore[func-returns-value]
    finally:
        if tx.is_active:
            tx.rollback()
        conn.close()
        engine.dispose()
