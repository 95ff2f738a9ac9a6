"""The inventory of today's violations of the Citus rules (issue #17), as Markdown tables for docs/citus-inventory.md.

    PYTHONPATH=. .venv/bin/python -m tests.citus.inventory --pg postgresql://postgres@127.0.0.1:5432/flowpop_test \\
        --report /tmp/citus_report.json

``--pg``: a PostgreSQL server; a scratch database is created, migrated to head, read by the catalog checker
(tests/citus/catalog.py) and dropped. ``--report``: a JSON report of ``pytest --citus-report=FILE``; its statements
are checked again with the current statement checker, so the inventory follows the checker.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import flowpop
from flowpop.registry.store.db import normalize_url
from tests.citus import catalog
from tests.citus.plugin import COLUMNS, registry_code
from tests.citus.statements import check, normalize


def catalog_violations(server: str) -> list[catalog.Violation]:
    base = normalize_url(server)
    name = "citus_inventory_" + uuid.uuid4().hex[:8]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        with flowpop.Client(db=url):
            pass  # opening a registry migrates it to head
        engine = create_engine(url)
        with engine.connect() as conn:
            found = catalog.violations(conn)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return found


def catalog_markdown(found: list[catalog.Violation]) -> str:
    kinds = Counter(v.kind for v in found)
    lines = [f"{len(found)} catalog violations.", "", "| kind | count | tables |", "|---|---|---|"]
    for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        tables = Counter(v.table for v in found if v.kind == kind)
        shown = ", ".join(f"{t}" + (f" ×{c}" if c > 1 else "") for t, c in sorted(tables.items()))
        lines.append(f"| `{kind}` | {n} | {shown} |")
    lines += ["", "| table | kind | detail |", "|---|---|---|"]
    lines += [f"| {v.table} | `{v.kind}` | {v.detail} |" for v in sorted(found, key=lambda v: (v.table, v.kind))]
    return "\n".join(lines)


def renormalized(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's statements under the current ``normalize`` (shapes it now folds together are merged)."""
    merged: dict[str, dict[str, Any]] = {}
    for s in report["statements"]:
        key = normalize(s["sql"])
        into = merged.setdefault(key, {"sql": key, "executions": 0, "senders": Counter()})
        into["executions"] += s["executions"]
        into["senders"].update(s["senders"])
    return list(merged.values())


def statements_markdown(report: dict[str, Any]) -> str:
    rows = []
    statements = renormalized(report)
    exempt = 0
    for s in statements:
        violations = check(s["sql"], columns=COLUMNS)
        if violations and not any(registry_code(sender) for sender in s["senders"]):
            exempt += 1  # a test's own SQL, or a migration that runs before the tables are distributed
        elif violations:
            main = max(s["senders"].items(), key=lambda kv: (kv[1], kv[0]))[0]
            rows.append((s, violations, main))
    kinds: Counter[str] = Counter()
    for _, violations, _ in rows:
        kinds.update({v.kind for v in violations})
    lines = [f"{len(statements)} distinct statements checked, {len(rows)} violating (sent by the registry's code; "
             f"{exempt} more by tests' own SQL or migrations before the Citus step, which the plugin lets pass).", "",
             "| kind | statements |", "|---|---|"]
    lines += [f"| `{k}` | {n} |" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]

    inserts: dict[str, set[str]] = defaultdict(set)
    insert_count: Counter[str] = Counter()
    for s, violations, _ in rows:
        for v in violations:
            if v.kind == "insert_without_county":
                insert_count[v.tables[0]] += 1
                inserts[v.tables[0]] |= set(s["senders"])
    lines += ["", "Inserts without `county`, by table (the sending functions are where the flush happened):", "",
              "| table | statements | sent from |", "|---|---|---|"]
    for table, n in sorted(insert_count.items(), key=lambda kv: (-kv[1], kv[0])):
        senders = sorted(inserts[table])
        shown = ", ".join(f"`{x}`" for x in senders[:6]) + (f" … (+{len(senders) - 6})" if len(senders) > 6 else "")
        lines.append(f"| {table} | {n} | {shown} |")

    clusters: dict[str, list[tuple[dict[str, Any], list[Any]]]] = defaultdict(list)
    for s, violations, main in rows:
        rest = [v for v in violations if v.kind != "insert_without_county"]
        if rest:
            clusters[main.split(":")[0]].append((s, rest))
    total = sum(len(v) for v in clusters.values())
    lines += ["", f"Joins, correlations and county updates: {total} statements, by module and function "
              "(the function that sent each most often):", "",
              "| module | statements | functions (statements) | tables | kinds |", "|---|---|---|---|---|"]
    for module, items in sorted(clusters.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        functions: Counter[str] = Counter()
        tables: Counter[str] = Counter()
        kinds_here: Counter[str] = Counter()
        for s, violations in items:
            main = max(s["senders"].items(), key=lambda kv: (kv[1], kv[0]))[0]
            functions[main.split(":")[1]] += 1
            for v in violations:
                tables["×".join(v.tables)] += 1
                kinds_here[v.kind] += 1
        lines.append(
            f"| `{module}` | {len(items)} | " + ", ".join(f"{f} ({n})" for f, n in functions.most_common())
            + " | " + ", ".join(f"{t} ({n})" for t, n in tables.most_common())
            + " | " + ", ".join(f"{k} ({n})" for k, n in kinds_here.most_common()) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL server URL (a scratch database is made and dropped)")
    parser.add_argument("--report", type=Path, help="JSON from pytest --citus-report=FILE")
    args = parser.parse_args()
    if args.pg:
        print("## Catalog\n")
        print(catalog_markdown(catalog_violations(args.pg)))
        print()
    if args.report:
        print("## Statements\n")
        print(statements_markdown(json.loads(args.report.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
