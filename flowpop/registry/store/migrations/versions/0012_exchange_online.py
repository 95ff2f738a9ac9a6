"""online exchange between registries: this registry's signing key, its peers, a durable outbox

``exchange_identity``: this registry's Ed25519 key pair (one row; the private key as unencrypted PKCS#8 PEM,
kept in the registry beside the data it protects). ``exchange_peers``: the directory of other registries (or
relays), their public keys and the division prefixes each serves. ``exchange_outbox``: signed envelopes waiting
for delivery (a message raised for a place outside the own area, written in the same transaction as the
message; a state change travelling back), with attempts and the next attempt's time (back-off).
``exchange_mirror``: for each message received from a peer, the version of it whose state was last queued back.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def code(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "exchange_identity",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("registry_id", sa.String(40), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "exchange_peers",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("serves", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_exchange_peers_public_key", "exchange_peers", ["public_key"])
    op.create_table(
        "exchange_outbox",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("message_uid", sa.String(40), nullable=False),
        sa.Column("what", sa.String(10), nullable=False),
        sa.Column("route_code", code(15), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("peer", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_exchange_outbox_pending", "exchange_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_exchange_outbox_message_uid", "exchange_outbox", ["message_uid"])
    op.create_table(
        "exchange_mirror",
        sa.Column("message_uid", sa.String(40), primary_key=True),
        sa.Column("sent_version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("exchange_mirror")
    op.drop_index("ix_exchange_outbox_message_uid", table_name="exchange_outbox")
    op.drop_index("ix_exchange_outbox_pending", table_name="exchange_outbox")
    op.drop_table("exchange_outbox")
    op.drop_index("ix_exchange_peers_public_key", table_name="exchange_peers")
    op.drop_table("exchange_peers")
    op.drop_table("exchange_identity")
