"""the ID-number index ``id_numbers`` (issue #17 item 3): each record's ID number → (county, person)

Distributed by ``id_number`` in its own colocation group (store/distribution.py), so "who holds this number" is one
shard on a distributed PostgreSQL, where ``persons`` is sharded by county. Primary key (id_number, person_id): a number
may be held by several records (ended ones, duplicates the quality checks find). No foreign key to ``persons``: the
two tables are not colocated. The registry writes it in the transaction that writes the person
(flowpop/registry/kernel/id_numbers.py). Filled here from ``persons`` (the number as stored, its county from 0014).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def code(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "id_numbers",
        # the key's columns first: SQLite 3.40's integrity_check (which backups run) misreads a WITHOUT ROWID
        # table whose key columns are not its leading ones ("NULL value in id_numbers.county")
        sa.Column("id_number", code(18), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("county", code(6), nullable=False),
        sa.PrimaryKeyConstraint("id_number", "person_id"),
        sqlite_with_rowid=False,  # SQLite: the rows live in the key's B-tree, a look-up reads one (no rowid table)
    )
    op.execute("INSERT INTO id_numbers (id_number, county, person_id) SELECT id_number, county, id FROM persons")


def downgrade() -> None:
    op.drop_table("id_numbers")
