"""Placing the tables on a Citus cluster (issue #17): ``create_reference_table`` / ``create_distributed_table``
generated from the declared layout (distribution.LAYOUT), sent only when the ``citus`` extension is installed.

The migration step that calls ``distribute`` (migrations/versions, "citus: distribute") does nothing on SQLite and
on plain PostgreSQL. On a Citus coordinator it places, in one transaction with the rest of the upgrade:

1. the reference tables, those a foreign key points at first (``users`` before ``tokens``);
2. the distributed tables, one colocation group at a time: the group's first table in the layout (``persons``)
   starts it (``colocate_with => 'none'``, so no other table with a column of the same type joins by accident) and
   the others follow it (``colocate_with => 'persons'``), each by its distribution column.

Local tables stay on the coordinator as plain tables. A declared table the database does not have yet, or one
already placed (``pg_dist_partition``), is skipped, so ``distribute`` can be called again by a later migration that
adds a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text

from flowpop.registry.store import distribution
from flowpop.registry.store.distribution import Placement
from flowpop.registry.store.tables import Base

_HAS_CITUS = "SELECT 1 FROM pg_extension WHERE extname = 'citus'"
# the tables of the current schema Citus already manages (distributed or reference)
_PLACED = """
SELECT c.relname FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
WHERE c.relnamespace = current_schema()::regnamespace
"""
_PRESENT = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""


def column_of(placement: Placement) -> str:
    """The distribution column of a distributed table (``county`` unless the placement names another)."""
    return placement.column


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _dependency_order(names: Iterable[str]) -> list[str]:
    """``names`` with every table after the tables its foreign keys point at (the store's metadata order), tables
    the metadata does not know last, by name."""
    known = [t.name for t in Base.metadata.sorted_tables]
    wanted = set(names)
    return [n for n in known if n in wanted] + sorted(wanted - set(known))


def statements(present: Iterable[str], placed: Iterable[str] = (),
               layout: Mapping[str, Placement] | None = None) -> list[str]:
    """The calls that place the tables of ``present`` not yet ``placed``, in the order they must be sent."""
    layout = distribution.LAYOUT if layout is None else layout
    present, placed = set(present), set(placed)
    out: list[str] = []
    reference = [n for n, p in layout.items() if p.kind == "reference"]
    for name in _dependency_order(reference):
        if name in present and name not in placed:
            out.append(f"SELECT create_reference_table({_quoted(name)})")
    groups: dict[str, list[str]] = {}
    for name, p in layout.items():
        if p.kind == "distributed":
            groups.setdefault(p.colocation or name, []).append(name)
    for members in groups.values():
        anchor, rest = members[0], members[1:]
        ordered = [anchor, *_dependency_order(rest)]
        for name in ordered:
            if name not in present or name in placed:
                continue
            colocate = "none" if name == anchor else anchor
            out.append(f"SELECT create_distributed_table({_quoted(name)}, {_quoted(column_of(layout[name]))}, "
                       f"colocate_with => {_quoted(colocate)})")
    return out


def has_citus(conn: Any) -> bool:
    """Whether the database of ``conn`` (a SQLAlchemy connection) has the citus extension installed."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text(_HAS_CITUS)).first() is not None


def placed(conn: Any) -> set[str]:
    """The tables of the current schema Citus already manages (a Citus database only)."""
    return {str(n) for (n,) in conn.execute(text(_PLACED))}


def distribute(conn: Any) -> list[str]:
    """On a Citus coordinator, places every declared table of the current schema not placed yet; returns the
    statements sent (none on SQLite or plain PostgreSQL)."""
    if not has_citus(conn):
        return []
    present = {str(n) for (n,) in conn.execute(text(_PRESENT))}
    sent = statements(present, placed(conn))
    for stmt in sent:
        conn.execute(text(stmt))
    return sent
