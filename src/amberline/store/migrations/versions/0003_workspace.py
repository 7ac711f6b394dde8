"""Analyst workspace: users, API tokens, decisions, hash-chained audit log.

Placeholder revision in the agreed chain 0001 → 0002 (networks) → 0003 (workspace) →
0004 (alerts) → 0005 (postgres_search): its owner fills in upgrade/downgrade.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
