"""Analyst workspace: decisions, users, API tokens, hash-chained audit log, queue indexes.

Written out table by table (see 0001) so that this revision stays what it was when the schema
modules change later.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.schema import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE")),
        sa.Column("network_id", sa.String(512)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.CheckConstraint(
            "action IN ('escalate', 'report', 'takedown', 'clear')", name="decision_action"
        ),
        sa.CheckConstraint("ad_id IS NOT NULL OR network_id IS NOT NULL", name="decision_target"),
    )
    op.create_index("ix_decisions_ad_id", "decisions", ["ad_id"])
    op.create_index("ix_decisions_network_id", "decisions", ["network_id"])
    op.create_index("ix_decisions_action", "decisions", ["action"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.CheckConstraint("role IN ('admin', 'analyst', 'viewer')", name="user_role"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.create_index("ix_ads_source_score", "ads", ["source", "score"])
    op.create_index("ix_ads_city_score", "ads", ["city", "score"])
    op.create_index("ix_ads_posted_at", "ads", ["posted_at"])
    op.create_index("ix_flags_category_ad_id", "flags", ["category", "ad_id"])


def downgrade() -> None:
    op.drop_index("ix_flags_category_ad_id", "flags")
    op.drop_index("ix_ads_posted_at", "ads")
    op.drop_index("ix_ads_city_score", "ads")
    op.drop_index("ix_ads_source_score", "ads")
    for table in ("audit_head", "audit_log", "api_tokens", "users", "decisions"):
        op.drop_table(table)
