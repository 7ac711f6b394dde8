"""`link_keys` goes: a link run derives each ad's link keys from its `identifiers` rows.

Why: a scan wrote every new ad's identifiers twice, once as its looked-up `identifiers` rows
(one per distinct kind and value) and once as its normalised link keys, in a second
transaction. The keys are a function of those rows, the ad's source and the location the
poster typed (`link.keys.stored_link_keys`), so `store.networks.stored_keys` computes them
when a link run, a network's page or the Parquet export asks, and each identifier is written
once. The MinHash signatures stay stored (`link_minhash`).

Data conversion: the upgrade drops the table, whose rows the identifier rows reproduce (the
scan hook and the link run's backfill computed them with the same functions from the same
spans, for the ads with a signature). The downgrade creates the table of revision 0014 again
and writes the derived keys of every signed ad, in ad id order, in chunks of ads.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.networks import signed_id_ranges, stored_keys

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000  # ads converted per step
RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_index("ix_link_keys_ad_id", "link_keys")
    op.drop_table("link_keys")


def downgrade() -> None:
    keys = op.create_table(
        "link_keys",
        sa.Column("id", RowId, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_keys"),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_link_keys_ad_id_ads",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_link_keys_ad_id", "link_keys", ["ad_id"])
    conn = op.get_bind()
    for where in signed_id_ranges(conn, CHUNK):
        rows = [{"ad_id": ad_id, "kind": kind, "value": value}
                for ad_id, found in stored_keys(conn, where).items()
                for kind, value in found]
        if rows:
            conn.execute(keys.insert(), rows)
