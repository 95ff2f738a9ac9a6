"""The registry: one store, its division tree and settings; what the API routes call into."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from flowpop.registry.kernel.divisions import DivisionCache
from flowpop.registry.store.db import make_engine, normalize_url, sessions
from flowpop.rules import beijing


def today() -> dt.date:
    """The registry's 'today': the Beijing day, whatever the server's time zone (a server kept in UTC would say
    'yesterday' until 08:00 Beijing time); FLOWPOP_TODAY pins it (demo snapshots, tests of deadlines)."""
    pinned = os.environ.get("FLOWPOP_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.datetime.now(beijing.TZ).date()


class Registry:
    def __init__(self, db: str | Path) -> None:
        self.url = normalize_url(db)
        self.engine = make_engine(self.url)
        self._read = sessions(self.engine)
        self._write = sessions(self.engine, write=True)
        self.divisions = DivisionCache(self.engine)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One transaction per operation: commit at the end, roll back on any error."""
        with self._write() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()
