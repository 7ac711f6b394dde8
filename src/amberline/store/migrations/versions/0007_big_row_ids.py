"""PostgreSQL: 64-bit ids for the tables with several rows per ad.

Why: the ids of spans (~7 rows per ad), flags, image hashes, link keys and link edges were
32-bit integers drawn from 32-bit sequences, so an archive of ~300 million ads would run out
of span ids and every later scan would fail. They become bigint, and so do their sequences.
Ad ids stay 32-bit (two billion ads). On SQLite an INTEGER PRIMARY KEY is 64-bit already:
this revision does nothing there.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("spans", "flags", "image_hashes", "link_keys", "link_edges")


def _retype(kind: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE {kind}")
        sequence = bind.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
        if sequence is not None:
            op.execute(f"ALTER SEQUENCE {sequence} AS {kind}")


def upgrade() -> None:
    _retype("bigint")


def downgrade() -> None:
    _retype("integer")
