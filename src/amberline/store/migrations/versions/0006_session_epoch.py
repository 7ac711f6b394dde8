"""Sessions that the server can end: users.session_epoch.

Why: a session cookie is signed and time-limited, so until this revision signing out only
deleted the cookie from that browser; a copy of it (a shared or lost machine) stayed valid
until it expired. Each cookie now carries the user's session epoch when it was issued, and a
cookie whose epoch is not the user's current one is refused. Signing out, and
`amberline users sign-out NAME`, move the epoch on, which ends every session of that user.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer, nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
