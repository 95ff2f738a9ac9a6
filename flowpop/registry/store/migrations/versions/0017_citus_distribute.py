"""citus: distribute — on a Citus coordinator, place every table as store/distribution.py declares it (issue #17)

Runs only when the ``citus`` extension is installed in the database (``SELECT 1 FROM pg_extension WHERE extname =
'citus'``): ``create_reference_table`` for the reference tables, ``create_distributed_table(table, column,
colocate_with => …)`` for the distributed ones (``persons`` first, the rest of its group colocated with it; the
ID-number index ``id_numbers`` by ``id_number`` in a group of its own); local tables stay plain tables on the
coordinator. The statements are generated from the layout by store/citus.py (``distribute``), which a later
migration adding a table calls again. On SQLite and on plain PostgreSQL nothing happens.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

from flowpop.registry.store import citus

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    citus.distribute(op.get_bind())


def downgrade() -> None:
    # Taking tables off the cluster (undistribute_table) copies every shard back to the coordinator: an operator's
    # decision, not a schema downgrade. Refused while any table is placed; nothing to do otherwise.
    if citus.has_citus(op.get_bind()) and citus.placed(op.get_bind()):
        raise RuntimeError("tables are distributed on Citus: undistribute them (undistribute_table) before "
                           "downgrading past 0017")
