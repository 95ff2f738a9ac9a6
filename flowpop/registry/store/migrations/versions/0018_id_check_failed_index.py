"""persons whose ID number fails its check: a partial index the store keeps (issue #15)

The quality check 身份证号校验位错误 worked out the check character (GB 11643, ISO 7064 MOD 11-2: 17 digits
weighed) of every record on each run: ≈0.3 s of CPU on a 100k-person registry, every time the dashboard opens. The
store now keeps the failing records in a partial index, written with the row whenever its number is written (by
the registry, an import, a bulk change or a plain UPDATE alike), so the check reads the few failing ids from the
index. The condition is written out with literal values: a query finds the index only through the same text
(store/id_sql.checksum_failed_sql, which tests/registry/store/test_id_sql.py holds to this copy).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def failed(dialect: str) -> str:
    """Neither 15 digits nor 18 characters ending in the check character the first 17 call for."""
    find = "instr" if dialect == "sqlite" else "strpos"
    total = " + ".join(f"({find}('0123456789', substr(id_number, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(WEIGHTS))
    check = f"substr('10X98765432', (({total}) % 11 + 11) % 11 + 1, 1)"
    return f"length(id_number) != 15 AND (length(id_number) != 18 OR substr(id_number, 18, 1) != {check})"


def upgrade() -> None:
    where = sa.text(failed(op.get_bind().dialect.name))
    op.create_index("ix_persons_id_check_failed", "persons", ["id"], unique=False,
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_persons_id_check_failed", table_name="persons")
