"""Link keys, MinHash signatures, edges and networks (issue: link ads into networks).

Written out table by table (not `metadata.create_all`) so that this revision stays what it was
when later revisions change `schema_networks.py`; a test checks the result matches the metadata.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.schema import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True)
TABLES = ("link_state", "link_cut_keys", "network_members", "networks", "link_edges",
          "link_minhash", "link_keys")


def _fk(table: str, column: str, target: str = "ads") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "link_keys",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_keys"),
        _fk("link_keys", "ad_id"),
    )
    op.create_index("ix_link_keys_kind_value", "link_keys", ["kind", "value"])
    op.create_index("ix_link_keys_ad_id", "link_keys", ["ad_id"])

    op.create_table(
        "link_minhash",
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("empty", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("ad_id", name="pk_link_minhash"),
        _fk("link_minhash", "ad_id"),
    )

    op.create_table(
        "link_edges",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ad_a", sa.Integer, nullable=False),
        sa.Column("ad_b", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("key", sa.Text),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_edges"),
        _fk("link_edges", "ad_a"),
        _fk("link_edges", "ad_b"),
    )
    op.create_index("ix_link_edges_ad_a", "link_edges", ["ad_a"])
    op.create_index("ix_link_edges_ad_b", "link_edges", ["ad_b"])
    op.create_index("ix_link_edges_kind", "link_edges", ["kind"])

    op.create_table(
        "networks",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("keys", JSON),
        sa.Column("edge_kinds", JSON),
        sa.Column("features", JSON),
        sa.Column("contributions", JSON),
        sa.Column("template", JSON),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_networks"),
    )
    op.create_index("ix_networks_score", "networks", ["score"])

    op.create_table(
        "network_members",
        sa.Column("network_id", sa.String(32), nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("network_id", "ad_id", name="pk_network_members"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name="fk_network_members_network_id_networks",
                                ondelete="CASCADE"),
        _fk("network_members", "ad_id"),
    )
    op.create_index("ix_network_members_ad_id", "network_members", ["ad_id"])

    op.create_table(
        "link_cut_keys",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("ads", sa.Integer, nullable=False),
        sa.Column("limit", sa.Integer, nullable=False),
        sa.Column("after_linking", sa.Boolean, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name="pk_link_cut_keys"),
    )

    op.create_table(
        "link_state",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("last_ad_id", sa.Integer, nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.Column("linked_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_state"),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
