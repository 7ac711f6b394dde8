"""PostgreSQL full-text search (tsvector) and anything else the scale-out needs.

Placeholder revision in the agreed chain 0001 → 0002 (networks) → 0003 (workspace) →
0004 (alerts) → 0005 (postgres_search): its owner fills in upgrade/downgrade.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
