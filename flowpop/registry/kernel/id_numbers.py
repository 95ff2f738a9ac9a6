"""The ID-number index (``id_numbers``, issue #17): each record's ID number → (county, person).

On a distributed PostgreSQL ``persons`` is sharded by county, so "who holds this number" asked of ``persons``
would visit every shard. ``id_numbers`` is sharded by the number itself (store/distribution.py): a look-up is one
shard, and the records found are then read by (county, id), one shard each. Uniqueness (create, edit, restore),
duplicate detection (imports, the quality checks) and message matching ask here.

Every record is in it whatever its status, under its number as stored: a legacy 15-digit number stays 15 digits,
so a look-up asks each form of the number (``idnumber.forms``). It is written in the transaction that writes the
person: a create or an import inserts its row, a change of number deletes and inserts it (the number is the
distribution column and is never updated), a move to another county updates its county.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from flowpop.registry.store import tables as t
from flowpop.registry.store.bulk_insert import insert_tuples
from flowpop.registry.store.chunks import in_chunks, one_of
from flowpop.rules import idnumber

TABLE = t.IdNumber.__table__
KEYS = ("id_number", "county", "person_id")  # the order of a row given to ``add_rows``


class Holder(NamedTuple):
    id_number: str  # as the record stores it
    county: str
    person_id: int


def add(session: Session, person_id: int, number: str, county: str) -> None:
    """The row of a record just inserted (in the same transaction)."""
    session.execute(insert(TABLE).values(id_number=number, county=county, person_id=person_id))


def add_rows(conn: Connection, rows: list[tuple[str, str, int]]) -> None:
    """The rows of records inserted in bulk, each (id_number, county, person_id), straight to the driver."""
    insert_tuples(conn, TABLE, KEYS, rows)


def renumber(session: Session, person_id: int, old: str, new: str, county: str) -> None:
    """A record's number changed (an edit, the 15→18-digit upgrade, its revert): its row moves to the new number's
    shard, a delete and an insert (Citus refuses an UPDATE of the distribution column)."""
    if old == new:
        return
    session.execute(delete(TABLE).where(TABLE.c.id_number == old, TABLE.c.person_id == person_id))
    add(session, person_id, new, county)


def renumber_many(session: Session, rows: list[tuple[int, str, str, str]]) -> None:
    """``renumber`` for many records: each (person_id, old, new, county)."""
    rows = [r for r in rows if r[1] != r[2]]
    if not rows:
        return
    session.execute(delete(TABLE).where(TABLE.c.id_number == bindparam("old"), TABLE.c.person_id == bindparam("pid")),
                    [{"old": old, "pid": pid} for pid, old, _, _ in rows])
    session.execute(insert(TABLE), [{"id_number": new, "county": county, "person_id": pid}
                                     for pid, _, new, county in rows])


def move(session: Session, person_id: int, number: str, county: str) -> None:
    """A record moved to another county (people/moves.py): its row stays on the number's shard, with the new county."""
    session.execute(update(TABLE).where(TABLE.c.id_number == number, TABLE.c.person_id == person_id)
                    .values(county=county))


def holders(session: Session | Connection, numbers: Collection[str]) -> list[Holder]:
    """The records holding any of ``numbers`` exactly (as stored), ordered by person."""
    found: list[Holder] = []
    stmt = select(TABLE.c.id_number, TABLE.c.county, TABLE.c.person_id)
    wanted = sorted(set(numbers))  # in order: SQLite probes its index page by page
    # at most IN_LIMIT numbers a statement (on PostgreSQL one array parameter, ``one_of``): given 3,000 of 1M,
    # PostgreSQL's default costs (random_page_cost 4) prefer reading the whole table (70 ms) to 3,000 look-ups (5 ms)
    dialect = _dialect(session)
    for part in in_chunks(wanted):
        found += map(Holder._make, session.execute(stmt.where(one_of(dialect, TABLE.c.id_number, part))).all())
    found.sort(key=attrgetter("person_id"))
    return found


def holders_of(session: Session | Connection, number: str) -> list[Holder]:
    """The records holding ``number`` in either of its forms (18 digits, or the legacy 15 it upgrades)."""
    return holders(session, idnumber.forms(number))


def among(session: Session | Connection, found: Iterable[Holder]) -> ColumnElement[bool]:
    """A condition on ``persons`` selecting these records by (county, id): on a distributed store only their
    counties' shards are read. SQLite gets the ids alone: it would walk the (county, status) index over whole
    counties instead of looking each id up (it keeps no statistics to tell), and one database has no shards."""
    found = list(found)
    if not found:
        return false()
    dialect = _dialect(session)
    ids = one_of(dialect, t.Person.id, sorted({h.person_id for h in found}))
    if dialect == "sqlite":
        return ids
    return and_(one_of(dialect, t.Person.county, sorted({h.county for h in found})), ids)


def holding(session: Session | Connection, number: str) -> ColumnElement[bool]:
    """A condition on ``persons``: the records holding ``number`` in either of its forms."""
    return among(session, holders_of(session, number))


def _dialect(session: Session | Connection) -> str:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name


def repeated() -> Any:
    """The numbers held by more than one record (exactly as stored): grouped on the index's own shards."""
    return select(TABLE.c.id_number).group_by(TABLE.c.id_number).having(func.count() > 1)


def problems(session: Session | Connection) -> list[str]:
    """Where the index and ``persons`` disagree, described (empty: every record has exactly its row, with its
    number as stored and its county, and no row names a record that does not hold it). Two plain reads."""
    P = t.Person
    stored = {(number, county, pid) for pid, number, county in session.execute(select(P.id, P.id_number, P.county))}
    indexed = {(number, county, pid) for number, county, pid in session.execute(select(*(TABLE.c[k] for k in KEYS)))}
    return ([f"person {pid} ({county}) has no index row for its number {idnumber.mask(number)}"
             for number, county, pid in sorted(stored - indexed, key=lambda r: r[2])]
            + [f"index row {idnumber.mask(number)} → ({county}, {pid}) matches no record"
               for number, county, pid in sorted(indexed - stored, key=lambda r: r[2])])
