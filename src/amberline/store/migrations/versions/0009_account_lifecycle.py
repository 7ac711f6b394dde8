"""Account lifecycle and sign-in throttling: disabled and locked users, source-bound tokens,
failed sign-ins counted per account and per address.

Why: a user could not be disabled or removed and failed sign-ins were unlimited (each one
an audit entry, so guessing also flooded the log). `users.disabled_at` ends a user's
sessions and tokens, `users.locked_at` is set after repeated failures until an admin
unlocks, `api_tokens.sources` limits the sources a token may push under, and
`login_failures` holds the counts that set how long the next attempt waits.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.schema import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled_at", UTCDateTime))
        batch.add_column(sa.Column("locked_at", UTCDateTime))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("sources", sa.Text))
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(320), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_at", UTCDateTime, nullable=False),
        sa.Column("last_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_login_failures_last_at", "login_failures", ["last_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_last_at", "login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("sources")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_at")
        batch.drop_column("disabled_at")
