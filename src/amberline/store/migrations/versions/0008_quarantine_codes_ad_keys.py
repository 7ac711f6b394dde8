"""Quarantine reason codes, ad keys that cannot collide, and the owner of each scan.

Why: `quarantine.code` is the stable short code of each entry's reason (`Code` in
`amberline.ingest.codes`), so a large quarantine can be counted and filtered; entries from before
this revision get "bad_record". Ad keys were `source:source_id` unescaped, so ("a:b", "c") and
("a", "b:c") had one key and the second ad was dropped as a duplicate. Keys are rewritten with
`amberline.model.ad_key` (the source's "%" and ":" percent-encoded, a source named "sha256"
written "%73ha256"); only ads whose source holds such characters change. `scans.owner`
("host:pid") lets a new scan mark scans whose process was killed as interrupted.

Revision ID: 0008
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADS = sa.table("ads", sa.column("id", sa.Integer), sa.column("key", sa.String),
                sa.column("source", sa.String), sa.column("source_id", sa.String))


def _escape(source: str) -> str:
    """`amberline.model.escape_source` as of this revision (copied: a migration must not
    change when the code does)."""
    escaped = source.replace("%", "%25").replace(":", "%3A")
    return "%73ha256" if escaped == "sha256" else escaped


def _rekey(escape: bool) -> None:
    """Rewrite the keys of ads whose source needs escaping (or, going down, was escaped)."""
    bind = op.get_bind()
    c = _ADS.c
    needs = sa.or_(c.source.contains(":"), c.source.contains("%", autoescape=True),
                   c.source == "sha256")
    rows = bind.execute(sa.select(c.id, c.source, c.source_id)
                        .where(needs, c.source_id.is_not(None), c.source_id != "")).all()
    for row in rows:
        source = _escape(row.source) if escape else row.source
        bind.execute(_ADS.update().where(c.id == row.id)
                     .values(key=f"{source}:{row.source_id}"))


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("code", sa.Text, nullable=False, server_default="bad_record"))
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("owner", sa.String(300)))
    _rekey(escape=True)


def downgrade() -> None:
    _rekey(escape=False)  # two ads may then collide again: the unique index refuses that
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("code")
