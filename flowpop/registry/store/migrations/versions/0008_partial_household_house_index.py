"""household house code: index only the persons who have one

Most persons have no household house (户籍在此 is known for few), and SQLite's statistics count the NULLs
as one value held by every row: the planner then read the whole table instead of the index for a
house's registered members. A partial index holds and counts only the codes.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WHERE = sa.text("household_house_code IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_persons_household_house_code", table_name="persons")
    op.create_index("ix_persons_household_house_code", "persons", ["household_house_code"], unique=False,
                    sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade() -> None:
    op.drop_index("ix_persons_household_house_code", table_name="persons")
    op.create_index("ix_persons_household_house_code", "persons", ["household_house_code"], unique=False)
