"""The Citus rules read from a plain PostgreSQL catalog (issue #17), against the declared layout.

``violations(conn, schema)`` lists what a migrated database would have to change before
``create_distributed_table``/``create_reference_table`` could take it as declared in
flowpop/registry/store/distribution.py:

- ``undeclared`` / ``missing``: a table the layout does not place / a declared table the database lacks
- ``no_county``: a distributed table without its distribution column (``county``; ``Placement.column`` names
  another, as the ID-number index's ``id_number``, in a colocation group of its own)
- ``generated_county``: ``county`` is a generated column (Citus distributes by a plain column only)
- ``county_nullable``: ``county`` may be NULL (rows without scope go to the bucket county instead)
- ``county_type`` / ``county_collation``: the distributed tables' ``county`` columns differ in type or collation
  (colocation needs one type and one collation)
- ``unique_without_county``: a primary key, unique constraint or unique index of a distributed table without
  its distribution column among its plain key columns
- ``fk_not_through_county``: a foreign key between distributed tables that does not pair their distribution
  columns, or between two colocation groups
- ``fk_to_distributed``: a foreign key from a reference or local table to a distributed one
- ``fk_to_local``: a foreign key from a distributed or reference table to a local one
- ``fk_collation``: a foreign key pairing columns of different collations

``county_guard(conn, schema)`` holds the last rule at run time on a test database: a trigger on each distributed
table refuses an UPDATE that changes ``county``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from flowpop.registry.store import distribution
from flowpop.registry.store.distribution import COUNTY, Placement


@dataclass(frozen=True, order=True)
class Violation:
    kind: str
    table: str
    detail: str


@dataclass(frozen=True)
class _Column:
    name: str
    type: str
    nullable: bool
    generated: bool
    collation: str | None


_TABLES = """
SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""
_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.attgenerated <> '',
       CASE WHEN a.attcollation = 0 THEN NULL
            WHEN co.collname = 'default' THEN 'default:' || (SELECT datcollate FROM pg_database
                                                           WHERE datname = current_database())
            ELSE co.collname END
FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE a.attrelid = ANY(:oids) AND a.attnum > 0 AND NOT a.attisdropped
"""
_UNIQUE = """
SELECT i.indrelid, ic.relname, i.indisprimary, i.indkey::int2[], i.indnkeyatts
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(:oids) AND i.indisunique
"""
_FOREIGN = """
SELECT conname, conrelid, confrelid, conkey, confkey FROM pg_constraint
WHERE contype = 'f' AND conrelid = ANY(:oids)
"""


def violations(conn: Any, schema: str = "public", layout: Mapping[str, Placement] | None = None) -> list[Violation]:
    """Every violation of the Citus rules in ``schema`` of the database ``conn`` (a SQLAlchemy connection)."""
    layout = distribution.LAYOUT if layout is None else layout
    found: list[Violation] = []
    tables = {int(oid): str(name) for oid, name in conn.execute(text(_TABLES), {"schema": schema})}
    oids = list(tables)
    by_name = {name: oid for oid, name in tables.items()}
    columns: dict[int, dict[str, _Column]] = {oid: {} for oid in oids}
    attnums: dict[int, dict[int, str]] = {oid: {} for oid in oids}
    for rel, name, type_, nullable, generated, coll in conn.execute(text(_COLUMNS), {"oids": oids}):
        col = _Column(name, type_, bool(nullable), bool(generated), coll)
        columns[rel][name] = col
    # attnum lookups for index and constraint keys
    for rel, num, name in conn.execute(text(
            "SELECT attrelid, attnum, attname FROM pg_attribute WHERE attrelid = ANY(:oids) AND attnum > 0"),
            {"oids": oids}):
        attnums[rel][num] = name

    def kind_of(table: str) -> str | None:
        p = layout.get(table)
        return p.kind if p else None

    def column_of(table: str) -> str:  # the distribution column (``county`` but for the ID-number index)
        p = layout.get(table)
        return p.column if p else COUNTY

    def group_of(table: str) -> str | None:
        p = layout.get(table)
        return p.colocation if p else None

    for name in sorted(by_name):
        if name in distribution.IGNORED:
            continue
        if name not in layout:
            found.append(Violation("undeclared", name, "not placed in the layout"))
    for name in sorted(set(layout) - set(by_name)):
        found.append(Violation("missing", name, "declared but not in the database"))

    county_shape: dict[tuple[str, str | None], list[str]] = {}
    for name in sorted(by_name):
        if kind_of(name) != "distributed":
            continue
        key = column_of(name)
        county = columns[by_name[name]].get(key)
        if county is None:
            found.append(Violation("no_county", name, f"no {key} column"))
            continue
        if county.generated:
            found.append(Violation("generated_county", name, f"{key} is generated, not written by the registry"))
        if county.nullable:
            found.append(Violation("county_nullable", name, f"{key} may be NULL"))
        if key == COUNTY:  # the county group shares one type and collation; a group of its own has nothing to match
            county_shape.setdefault((county.type, county.collation), []).append(name)
    if len(county_shape) > 1:
        types = {t for t, _ in county_shape}
        colls = {c for _, c in county_shape}
        common = max(county_shape, key=lambda k: (len(county_shape[k]), k[0], k[1] or ""))
        for (type_, coll), names in sorted(county_shape.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            if (type_, coll) == common:
                continue
            for name in names:
                if len(types) > 1 and type_ != common[0]:
                    found.append(Violation("county_type", name, f"{COUNTY} is {type_}, most are {common[0]}"))
                if len(colls) > 1 and coll != common[1]:
                    found.append(Violation("county_collation", name,
                                           f"{COUNTY} collation {coll}, most are {common[1]}"))

    for rel, index, primary, keys, nkeys in conn.execute(text(_UNIQUE), {"oids": oids}):
        table = tables[rel]
        if kind_of(table) != "distributed":
            continue
        plain = [attnums[rel].get(k) for k in list(keys)[:nkeys] if k > 0]
        if column_of(table) not in plain:
            what = "primary key" if primary else "unique"
            cols = ", ".join(str(c) for c in plain) or "an expression"
            found.append(Violation("unique_without_county", table, f"{what} {index} ({cols})"))

    for con, rel, frel, keys, fkeys in conn.execute(text(_FOREIGN), {"oids": oids}):
        table = tables[rel]
        target = tables.get(frel, f"oid {frel}")
        src, dst = kind_of(table), kind_of(target)
        pairs = [(attnums[rel].get(k), attnums.get(frel, {}).get(f)) for k, f in zip(keys, fkeys, strict=True)]
        shown = f"{con}: {table}({', '.join(str(a) for a, _ in pairs)}) → {target}({', '.join(str(b) for _, b in pairs)})"
        if src == "distributed" and dst == "distributed":
            if (column_of(table), column_of(target)) not in pairs or group_of(table) != group_of(target):
                found.append(Violation("fk_not_through_county", table, shown))
        elif dst == "distributed":
            found.append(Violation("fk_to_distributed", table, f"{src or 'undeclared'} table: {shown}"))
        elif dst == "local" and src in ("distributed", "reference"):
            found.append(Violation("fk_to_local", table, f"{src} table: {shown}"))
        for a, b in pairs:
            ca = columns[rel].get(a) if a else None
            cb = columns.get(frel, {}).get(b) if b else None
            if ca and cb and ca.collation != cb.collation:
                found.append(Violation("fk_collation", table,
                                       f"{con}: {table}.{a} {ca.collation} vs {target}.{b} {cb.collation}"))
    return sorted(found)


def county_guard(conn: Any, schema: str = "public", layout: Mapping[str, Placement] | None = None) -> list[str]:
    """Installs on each distributed table of ``schema`` that has its distribution column (``county``; the ID-number
    index's ``id_number``) a trigger refusing an UPDATE that changes it (Citus cannot move a row between shards that
    way); returns the tables guarded. For test databases."""
    layout = distribution.LAYOUT if layout is None else layout
    rows = conn.execute(text("SELECT table_name, column_name FROM information_schema.columns "
                             "WHERE table_schema = :schema"), {"schema": schema})
    guarded = sorted((str(name), str(column)) for name, column in rows
                     if (p := layout.get(str(name))) is not None and p.kind == "distributed" and p.column == column)
    for column in sorted({column for _, column in guarded}):
        conn.execute(text(
            f"CREATE OR REPLACE FUNCTION {schema}.citus_guard_{column}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.{column} IS DISTINCT FROM OLD.{column} THEN "
            f"RAISE EXCEPTION 'citus: % changed the {column} of a row', TG_TABLE_NAME; END IF; RETURN NEW; END $$"))
    for name, column in guarded:
        conn.execute(text(f'DROP TRIGGER IF EXISTS citus_county_guard ON {schema}."{name}"'))
        conn.execute(text(f'CREATE TRIGGER citus_county_guard BEFORE UPDATE OF {column} ON {schema}."{name}" '
                          f"FOR EACH ROW EXECUTE FUNCTION {schema}.citus_guard_{column}()"))
    return [name for name, _ in guarded]
