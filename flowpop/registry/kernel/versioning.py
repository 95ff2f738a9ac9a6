"""Compare-and-set on a record's ``version``: the one way a record is changed after it is read. A write
against a version that is no longer the stored one changes nothing and answers 409 with the stored version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.registry.kernel.errors import VersionConflict
from flowpop.registry.store.distribution import COUNTY
from flowpop.registry.store.tables import Base, utcnow


def compare_and_set(session: Session, row: Base, version: int, values: dict[str, Any], *, entity: str) -> None:
    """``UPDATE <row's table> SET values, version = version + 1 WHERE id = row.id AND version = version`` (and
    ``county = row.county`` on a distributed table, issue #17).

    A table with ``updated_at`` gets the time too. On success ``row`` is expired (read again when next used).
    When no row matched, the transaction is rolled back and :class:`VersionConflict` names the version now
    stored (``entity`` names the record in its message)."""
    table: Any = type(row)
    row_id = row.id  # type: ignore[attr-defined]  # every versioned table has an id; Base declares none
    stamp = {"updated_at": utcnow()} if "updated_at" in table.__table__.c else {}
    where = [table.id == row_id, table.version == version]
    if COUNTY in table.__table__.c:  # a distributed table: on Citus the row's shard alone, not every shard's
        where.append(table.__table__.c[COUNTY] == getattr(row, COUNTY))
    result = session.execute(
        update(table).where(*where)
        .values(**values, **stamp, version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult, typed as Result
        session.rollback()
        current = session.execute(select(table.version).where(table.id == row_id)).scalar_one()
        raise VersionConflict(entity, current, version)
    session.expire(row)


def expect_version(row: Base, version: int, *, entity: str) -> None:
    """The check before a write's work: a caller who read an older version is refused at once, with the stored
    one (``compare_and_set`` still guards the write against a change made in between)."""
    stored: int = row.version  # type: ignore[attr-defined]  # every versioned table has a version; Base declares none
    if stored != version:
        raise VersionConflict(entity, stored, version)
