"""Analyst link decisions: `link_decisions` (two ads marked "not linked").

Why: an analyst who finds unrelated ads in one network splits it at the weak edge, or marks two
ads as not linked; the decision must outlive every later `amberline link` run, rebuilds
included, so it is kept in a table of its own that linking reads and never clears.

Revision ID: 0010
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.schema import RowId, UTCDateTime

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_decisions",
        sa.Column("id", RowId, primary_key=True),
        sa.Column("ad_a", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("ad_b", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("network_id", sa.String(32)),
        sa.Column("evidence", sa.Text),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("user_name", sa.String(128), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("ad_a", "ad_b"),
    )


def downgrade() -> None:
    op.drop_table("link_decisions")
