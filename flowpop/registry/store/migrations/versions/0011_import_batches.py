"""import batches: one row per legacy import, written in the same transaction as each chunk it commits

A large import commits in bounded chunks (so that other writers wait at most one chunk for the store's lock);
the batch row says how far it got (``last_line``: every good row up to that line of the file is stored, and
nothing after it) and what it did so far. A batch left ``running`` by a killed process is ``interrupted``;
importing the same file again resumes it (the rows already stored are recognised as unchanged). The row is
also the import's progress, read over HTTP while it runs (GET /v1/imports/batches/{id}).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_import_batches_started_at", "import_batches", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_import_batches_started_at", table_name="import_batches")
    op.drop_table("import_batches")
