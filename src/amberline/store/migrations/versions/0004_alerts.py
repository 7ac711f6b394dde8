"""Alerts and watchlists: CAP alerts, watchlist entries, matches, notifications, reports.

Placeholder revision in the agreed chain 0001 → 0002 (networks) → 0003 (workspace) →
0004 (alerts) → 0005 (postgres_search): its owner fills in upgrade/downgrade.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
