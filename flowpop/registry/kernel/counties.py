"""The county a distributed row lives in (issue #17; the layout: flowpop/registry/store/distribution.py), in the
statements: what keeps a query on one county's shard when the registry runs on Citus.

- A join or a correlated subquery between two distributed tables equates their ``county`` (``same_county``): a
  person's stays, services, certificates and changeset items carry the person's county, so the condition changes
  nothing on one database and lets Citus join on one node. Tables that cannot share a county (messages live in
  their addressee's) are read in two steps instead.
- A filter by a place whose rows carry that place's county (a message's addressee, a house's division, an
  inspection item's village, a person's current residence) adds the counties the place covers (``in_counties``),
  so the shards outside it are never asked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, true

from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.registry.store.distribution import COUNTY, COUNTY_LENGTH


def county(source: Any) -> Any:
    """The ``county`` column of a distributed table: an ORM class or alias, a Table or a subquery."""
    columns = getattr(source, "c", None) if not hasattr(source, "__mapper__") else None
    return getattr(columns if columns is not None else source, COUNTY)


def same_county(a: Any, b: Any) -> ColumnElement[bool]:
    """``a.county = b.county``: two distributed tables (ORM classes, aliases, Tables or subqueries) on one shard."""
    return county(a) == county(b)


def person_stays(stay: Any = t.Stay, person: Any = t.Person) -> ColumnElement[bool]:
    """The join of persons to their stays (``stays.person_id = persons.id``) on the person's shard."""
    return and_(person.id == stay.person_id, same_county(person, stay))


def covered(reg: Registry, prefix: str) -> tuple[str, ...] | None:
    """The counties a division prefix covers, sorted: None for no prefix (the whole country); a county or finer:
    its own; a city or province: the 6-digit prefixes of the divisions under it (every place a record points at
    is a division here or a finer code of a county here, area.place_fault)."""
    if not prefix:
        return None
    if len(prefix) >= COUNTY_LENGTH:
        return (prefix[:COUNTY_LENGTH],)
    nodes = reg.divisions.nodes
    cached = getattr(reg, "_counties", None)
    if cached is None or cached[0] is not nodes:
        cached = (nodes, tuple(sorted({code[:COUNTY_LENGTH] for code in nodes})))
        reg._counties = cached  # type: ignore[attr-defined]  # kept with the division nodes it was derived from
    return tuple(c for c in cached[1] if c.startswith(prefix))


def in_counties(reg: Registry, source: Any, prefix: str) -> ColumnElement[bool]:
    """SQL: the ``county`` of ``source`` (as ``county`` takes it) is one of the counties ``prefix`` covers (always
    true without a prefix)."""
    found = covered(reg, prefix)
    if found is None:
        return true()
    column = county(source)
    return column == found[0] if len(found) == 1 else column.in_(found)
