"""`ix_link_keys_kind_value` goes: nothing looks link keys up by kind and value.

Why: a scan stores every new ad's link keys, and this index was the one random-order b-tree
insert per key (the ad id index grows at its end, as ids do). Link keys are only ever read per
ad (a link run's records, a network's page), through `ix_link_keys_ad_id`; which ads share a
key is found in memory by the link run, and by `identifiers` (indexed by kind and value) for
every lookup, alert and watchlist. The downgrade creates the index again. No data changes.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_link_keys_kind_value", "link_keys")


def downgrade() -> None:
    op.create_index("ix_link_keys_kind_value", "link_keys", ["kind", "value"])
