"""Analyst workspace: users, API tokens, decisions, hash-chained audit log.

Placeholder revision in the agreed chain 0001 → 0002 (networks) → 0003 (workspace) →
0004 (alerts) → 0005 (postgres_search): its owner fills in upgrade/downgrade.

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


def downgrade() -> None:
    op.drop_table("decisions")
