"""the pinyin and initials of a message's subject, so that the inbox's filter finds 张三 by ``zhangsan`` or ``zs``
as person search does (issue 15)

``subject_pinyin`` / ``subject_initials``: ``rules.names.name_keys`` of ``subject_name``, filled on insert by the
columns' default (every way a message is written: sent, received, imported, the demo). Existing messages are
filled here.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from flowpop.rules.names import name_keys

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHUNK = 5000


def code(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_pinyin", code(200), nullable=True))
        batch_op.add_column(sa.Column("subject_initials", code(64), nullable=True))
    conn = op.get_bind()
    update = sa.text("UPDATE messages SET subject_pinyin = :p, subject_initials = :i WHERE id = :id")
    last = 0
    while True:
        rows = conn.execute(sa.text("SELECT id, subject_name FROM messages WHERE subject_name IS NOT NULL AND id > :last "
                                    "ORDER BY id LIMIT :n"), {"last": last, "n": CHUNK}).all()
        if not rows:
            break
        params = []
        for row_id, name in rows:
            pinyin, initials = name_keys(name)
            params.append({"id": row_id, "p": pinyin or None, "i": initials or None})
        conn.execute(update, params)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("subject_initials")
        batch_op.drop_column("subject_pinyin")
