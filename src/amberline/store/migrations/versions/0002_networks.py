"""Link keys, MinHash signatures, edges and networks (issue: link ads into networks).

Placeholder revision in the agreed chain 0001 → 0002 (networks) → 0003 (workspace) →
0004 (alerts) → 0005 (postgres_search): its owner fills in upgrade/downgrade.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
