"""the plain ``county`` column of the 11 distributed tables (issue #17, store/distribution.py)

``county`` (6 characters, collation "C" on PostgreSQL) says which shard a row would live on; the registry writes it
on every insert and never updates it (a person moving county is deleted and inserted again: people/moves.py).
Existing rows are filled here, set-based, by the rules of store/distribution.py:

- persons: the county of the residence of the current stay, else of the most recent stay (highest id), else of
  the household code;
- stays, services, certificates, reminders, changeset_items: their person's county;
- history: the person's county for a row about a person, else the county of its scope code, else "000000";
- messages: the addressee's county; houses: their division's; declarations: their house's; campaign_items:
  their village's.

Then NOT NULL, with no default left, so an insert that forgets the column fails. SQLite cannot add a NOT NULL column
without a default, nor drop a default without copying the table (which would fail for ``persons``, referenced by
foreign keys that are enforced during the migration): it adds the column with a default, fills every row, and then
removes the default from the table's definition in place, as SQLite documents for changes that do not touch the
stored rows (https://www.sqlite.org/lang_altertable.html#otheralter). Every row is rewritten by the fill, so none
relies on the default that goes.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("persons", "stays", "history", "services", "certificates", "reminders", "changeset_items", "messages",
          "houses", "declarations", "campaign_items")
BUCKET = "000000"


def county_of(column: str) -> str:
    """distribution.shard_county in SQL: the first six characters of a code, else the bucket."""
    return f"CASE WHEN length({column}) >= 6 THEN substr({column}, 1, 6) ELSE '{BUCKET}' END"


def _fill() -> None:
    op.execute(
        "UPDATE persons SET county = COALESCE("
        " (SELECT substr(s.residence_code, 1, 6) FROM stays s WHERE s.id = persons.current_stay_id),"
        " (SELECT substr(s.residence_code, 1, 6) FROM stays s WHERE s.person_id = persons.id ORDER BY s.id DESC LIMIT 1),"
        f" {county_of('persons.household_code')})")
    for table in ("stays", "services", "certificates", "reminders", "changeset_items"):
        op.execute(f"UPDATE {table} SET county = COALESCE("
                   f"(SELECT p.county FROM persons p WHERE p.id = {table}.person_id), '{BUCKET}')")
    op.execute("UPDATE history SET county = COALESCE("
               "(SELECT p.county FROM persons p WHERE p.id = history.person_id), "
               f"{county_of('history.scope_code')})")
    op.execute(f"UPDATE messages SET county = {county_of('addressee_code')}")
    op.execute(f"UPDATE houses SET county = {county_of('division_code')}")
    op.execute(f"UPDATE declarations SET county = {county_of('house_code')}")
    op.execute(f"UPDATE campaign_items SET county = {county_of('village_code')}")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ADD COLUMN county VARCHAR(6) NOT NULL DEFAULT '{BUCKET}'")
        _fill()
        version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
        conn.exec_driver_sql("PRAGMA writable_schema = ON")
        for table in TABLES:
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                       (table,)).scalar_one()
            added = f"county VARCHAR(6) NOT NULL DEFAULT '{BUCKET}'"
            assert sql.count(added) == 1, sql
            conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                                 (sql.replace(added, "county VARCHAR(6) NOT NULL"), table))
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    else:
        for table in TABLES:
            op.add_column(table, sa.Column("county", sa.String(6, collation="C"), nullable=True))
        _fill()
        for table in TABLES:
            op.alter_column(table, "county", nullable=False)
    # the county's active persons (the registry's lists and counts, and each shard's own)
    op.create_index("ix_persons_county_status", "persons", ["county", "status"])


def downgrade() -> None:
    op.drop_index("ix_persons_county_status", table_name="persons")
    for table in TABLES:  # SQLite 3.35+ drops a column in place (a copy of persons would trip its foreign keys)
        op.execute(f"ALTER TABLE {table} DROP COLUMN county")
