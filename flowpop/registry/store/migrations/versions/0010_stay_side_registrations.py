"""each side's registration of a stay: the residence side's inflow, the household side's outflow

A cross-county stay is co-managed (共管) when both sides hold a registration of it (seed 000: "本市外县流入地
已做流入管理登记的,户籍地要做流出登记"). ``inflow_registered_at`` is when the residence side registered it,
``outflow_registered_at`` when the household side did; a stay registered by one side only is 漏管.

Existing stays: the side of the user who created the stay (a user whose jurisdiction lies in the household
county registered the outflow; anyone else, the inflow), at the stay's creation time.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inflow_registered_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("outflow_registered_at", sa.DateTime(), nullable=True))
    household_side = sa.text(
        "EXISTS (SELECT 1 FROM users u WHERE u.username = stays.created_by AND u.jurisdiction_code IS NOT NULL"
        " AND substr(u.jurisdiction_code, 1, 6) = substr(stays.household_code, 1, 6))")
    cross = "substr(household_code, 1, 6) <> substr(residence_code, 1, 6)"
    op.execute(f"UPDATE stays SET outflow_registered_at = created_at WHERE {cross} AND {household_side}")
    op.execute(f"UPDATE stays SET inflow_registered_at = created_at WHERE {cross} AND NOT {household_side}")


def downgrade() -> None:
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_column("outflow_registered_at")
        batch_op.drop_column("inflow_registered_at")
