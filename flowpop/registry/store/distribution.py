"""Where each table would live on a distributed PostgreSQL (Citus, issue #17): the declared layout, in one place.

The registry writes the plain ``county`` column (migration 0014) on every insert: ``shard_county`` here for rows
decided by a code, people/moves.py for a person and their rows (and for moving them). The layout is what
tests/citus reads: the catalog checker
(tests/citus/catalog.py) compares a migrated database against it, and the statement checker
(tests/citus/statements.py) refuses joins and correlations between distributed tables without county equality.

- **distributed**: sharded by the 6-digit county code in a plain column ``county`` (NOT NULL, never updated, part of
  every primary, unique and foreign key). All distributed tables are in one colocation group, so any join with
  county equality runs on one node; ``Placement.county_of`` says which county a row belongs to. One exception: the
  ID-number index ``id_numbers`` is sharded by ``id_number`` (``Placement.column``) in a group of its own, and is
  never joined: a look-up there names (county, person), read from ``persons`` next.
- **reference**: small, shared, read everywhere: replicated to every node (a foreign key from a distributed table to
  one is allowed; none from it to a distributed table).
- **local**: kept on the coordinator only: the server's own bookkeeping, never joined with a distributed table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import case, func, literal

COUNTY = "county"  # the distribution column of every distributed table
COUNTY_LENGTH = 6  # the first six digits of a 12-digit division code
BUCKET = "000000"  # the county of a row without scope (no person, no division): one shard, like any county
GROUP = "county"  # the one colocation group

Kind = Literal["distributed", "reference", "local"]


def shard_county(code: str | None) -> str:
    """A row's shard key (not ``kernel.divisions.county_of``, a place's 12-digit county code): the first six digits
    of a division code, else BUCKET; a row's ``county`` when it is decided by a code (a message's addressee, a
    house's division, a history row's scope). The migration that added the column (0014) says the same in SQL."""
    return code[:COUNTY_LENGTH] if code and len(code) >= COUNTY_LENGTH else BUCKET


def county_sql(code: Any) -> Any:
    """``shard_county`` as a SQL expression over a code column (an INSERT … SELECT gives ``county`` with it)."""
    return case((func.length(code) >= COUNTY_LENGTH, func.substr(code, 1, COUNTY_LENGTH)), else_=literal(BUCKET))


@dataclass(frozen=True)
class Placement:
    kind: Kind
    reason: str
    county_of: str | None = None  # distributed only: which county the row's ``county`` is
    colocation: str | None = None  # distributed only
    column: str = COUNTY  # distributed only: the distribution column


def _person(reason: str) -> Placement:
    return Placement("distributed", reason, "the person's county (where they live, else their household's)", GROUP)


def _distributed(county_of: str, reason: str) -> Placement:
    return Placement("distributed", reason, county_of, GROUP)


def _reference(reason: str) -> Placement:
    return Placement("reference", reason)


def _local(reason: str) -> Placement:
    return Placement("local", reason)


LAYOUT: dict[str, Placement] = {
    # the people and what belongs to a person: colocated by the person's county
    "persons": _person("the register itself; nearly all work is one county's"),
    "stays": _person("read and written with their person (current stay, transfers, co-management)"),
    "history": Placement(
        "distributed", "append-only, read per person or per division; the bulk of the rows",
        f"the person's county for an entry about a person, else its scope's county, else {BUCKET}", GROUP),
    "services": _person("a person's service records, shown and counted with the person"),
    "certificates": _person("a person's certificates, checked with the person"),
    "reminders": _person("notices to a person, listed with the person"),
    "changeset_items": _person("one person's planned change: applied with an UPDATE joined to persons/stays"),
    # the ID-number index: "who holds this number" is one shard; the records it names are then read by county
    "id_numbers": Placement(
        "distributed", "uniqueness, duplicates and matching look numbers up here (kernel/id_numbers.py)",
        "the person's county (a copy, updated when the person moves; not the distribution column)", "id_number",
        "id_number"),
    # the exchange: an inbox is one shard
    "messages": _distributed("the addressee's county", "an inbox is one county's; the outbox view is the rare cross-shard read"),
    # places: by the county of their division
    "houses": _distributed("the county of the house's division", "many per county (a fifth of persons); read with its residents"),
    "declarations": _distributed("the county of the house declared", "a landlord's declarations, read with the house"),
    "campaign_items": _distributed(
        "the person's county for a stay item, the house's county for a house item",
        "the door-to-door list: as large as the stays in scope, recorded with the stay or house"),
    # small, shared, read everywhere
    "divisions": _reference("the division tree: read by every scope check, a few hundred thousand rows at most"),
    "users": _reference("accounts: read by every request's authorisation and joined to the access log"),
    "tokens": _reference("read by every request's authentication"),
    "employers": _reference("looked up by credit code from any county's stays and joined to them; few, rarely written"),
    "campaigns": _reference("one row per inspection of a jurisdiction, read by every county's rates"),
    "campaign_assignments": _reference("who inspects which division: a few rows per campaign"),
    "changesets": _reference("one row per bulk change, read while applying its items on every shard"),
    "calendar_years": _reference("the holiday notices: a row a year, read for every deadline"),
    # the server's own bookkeeping, on the coordinator
    "access_log": _local("the reveal/export log: written per request, read by auditors, never joined to the register"),
    "idempotency_keys": _local("the API's replay store: per request, never joined"),
    "period_closes": _local("a closed month's frozen figures: one row a month, read alone"),
    "import_batches": _local("a legacy import's progress: one row per import, read alone"),
    "exchange_identity": _local("this registry's key pair: one row"),
    "exchange_peers": _local("the peers: a few rows, read by the exchange"),
    "exchange_outbox": _local("envelopes waiting for delivery: worked by the coordinator's sender"),
    "exchange_mirror": _local("the version last sent back per received message: read by the exchange"),
}

# tables that are not the registry's own (Alembic's bookkeeping)
IGNORED = frozenset({"alembic_version"})


def placement(table: str) -> Placement | None:
    return LAYOUT.get(table)


def distributed() -> frozenset[str]:
    return frozenset(name for name, p in LAYOUT.items() if p.kind == "distributed")


def undeclared(tables: Iterable[str]) -> list[str]:
    """The tables among ``tables`` that the layout does not place (a new table must be declared here)."""
    return sorted(set(tables) - set(LAYOUT) - IGNORED)
