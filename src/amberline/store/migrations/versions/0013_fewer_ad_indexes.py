"""Two indexes on `ads` that no query uses go: `ix_ads_city` and `ix_ads_content_hash`.

Why: every stored ad updates every index on `ads`, and a scan pays for each. `ix_ads_city`
repeats the start of `ix_ads_city_score` (migration 0003), which serves every lookup by city
(the queue's city filter, `find_by("city", ...)`, both ordered by score). `content_hash` is
the identity of an ad without a source id, but only through `ads.key` (`sha256:<hash>`, unique
and indexed); nothing looks the column up. The downgrade creates both again. No data changes.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_ads_city", "ads")
    op.drop_index("ix_ads_content_hash", "ads")


def downgrade() -> None:
    op.create_index("ix_ads_content_hash", "ads", ["content_hash"])
    op.create_index("ix_ads_city", "ads", ["city"])
