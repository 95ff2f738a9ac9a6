"""PostgreSQL's keys through the county (issue #17): the 11 distributed tables' primary, unique and foreign keys
include ``county``, as Citus requires of a table distributed by it (store/distribution.py)

- primary keys ``(county, id)`` on the 11 tables (``id`` keeps its sequence and stays the ORM's identity);
- unique ``(county, code)`` on houses, ``(county, uid)`` on messages, ``(county, stay_id)`` on declarations, in place
  of the single-column ones;
- foreign keys ``(county, person_id) → persons (county, id)`` from stays, services and certificates, in place of
  ``person_id → persons (id)``.

A plain index on each column that lost its own key (``id`` on the 11 tables, ``houses.code``, ``messages.uid``,
``declarations.stay_id``) keeps a look-up by it alone an index read, as the registry's statements still do.

PostgreSQL only: SQLite keeps its single-column keys (tables.py declares those), and this step does nothing there.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# as of this revision (frozen here, not read from the layout, which may grow)
TABLES = ("persons", "stays", "history", "services", "certificates", "reminders", "changeset_items", "messages",
          "houses", "declarations", "campaign_items")
UNIQUE = {"houses": "code", "messages": "uid", "declarations": "stay_id"}
PERSON_CHILDREN = ("stays", "services", "certificates")


def _fk_names(table: str, columns: list[str]) -> list[str]:
    return [str(fk["name"]) for fk in sa.inspect(op.get_bind()).get_foreign_keys(table)
            if fk["referred_table"] == "persons" and fk["constrained_columns"] == columns]


def _unique_names(table: str, columns: list[str]) -> list[str]:
    return [str(uc["name"]) for uc in sa.inspect(op.get_bind()).get_unique_constraints(table)
            if uc["column_names"] == columns]


def _pk_name(table: str) -> str:
    return str(sa.inspect(op.get_bind()).get_pk_constraint(table)["name"])


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in PERSON_CHILDREN:  # they hang on persons' primary key, which changes
        for name in _fk_names(table, ["person_id"]):
            op.drop_constraint(name, table, type_="foreignkey")
    for table in TABLES:
        op.drop_constraint(_pk_name(table), table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, ["county", "id"])
        op.create_index(f"ix_{table}_id", table, ["id"])
    for table, column in UNIQUE.items():
        for name in _unique_names(table, [column]):
            op.drop_constraint(name, table, type_="unique")
        op.create_unique_constraint(f"{table}_county_{column}_key", table, ["county", column])
        op.create_index(f"ix_{table}_{column}", table, [column])
    for table in PERSON_CHILDREN:
        op.create_foreign_key(f"{table}_county_person_id_fkey", table, "persons",
                              ["county", "person_id"], ["county", "id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in PERSON_CHILDREN:
        for name in _fk_names(table, ["county", "person_id"]):
            op.drop_constraint(name, table, type_="foreignkey")
    for table, column in UNIQUE.items():
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        for name in _unique_names(table, ["county", column]):
            op.drop_constraint(name, table, type_="unique")
        op.create_unique_constraint(f"{table}_{column}_key", table, [column])
    for table in TABLES:
        op.drop_index(f"ix_{table}_id", table_name=table)
        op.drop_constraint(_pk_name(table), table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, ["id"])
    for table in PERSON_CHILDREN:
        op.create_foreign_key(f"{table}_person_id_fkey", table, "persons", ["person_id"], ["id"])
