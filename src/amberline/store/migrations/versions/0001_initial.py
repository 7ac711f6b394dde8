"""Create the store: scans, ads, spans, flags, image hashes, quarantine, full-text index.

Written out table by table (not `metadata.create_all`) so that this revision stays what it was
when later revisions change `schema.py`; a test checks the result still matches the metadata.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.schema import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True)

# SQLite full-text index over ads.title and ads.body. External content (no second copy of the
# text), kept in sync by triggers so that every path that writes `ads` keeps search right.
SQLITE_FTS_DDL = (
    "CREATE VIRTUAL TABLE ads_fts USING fts5(title, body, content='ads', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER ads_fts_ai AFTER INSERT ON ads BEGIN"
    " INSERT INTO ads_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER ads_fts_ad AFTER DELETE ON ads BEGIN"
    " INSERT INTO ads_fts(ads_fts, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER ads_fts_au AFTER UPDATE OF title, body ON ads BEGIN"
    " INSERT INTO ads_fts(ads_fts, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body);"
    " INSERT INTO ads_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS ads_fts_au",
    "DROP TRIGGER IF EXISTS ads_fts_ad",
    "DROP TRIGGER IF EXISTS ads_fts_ai",
    "DROP TABLE IF EXISTS ads_fts",
)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _ad_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["ad_id"], ["ads.id"], name=f"fk_{table}_ad_id_ads", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("inputs", JSON),
        sa.Column("counts", JSON),
        sa.Column("status", sa.String(32), nullable=False),
        _pk("scans"),
    )
    op.create_table(
        "ads",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("source_id", sa.String(255)),
        sa.Column("url", sa.Text),
        sa.Column("posted_at", UTCDateTime),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("city", sa.String(255)),
        sa.Column("region", sa.String(255)),
        sa.Column("country", sa.String(64)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("raw", JSON),
        sa.Column("obfuscations", JSON),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("pipeline_version", sa.String(64), nullable=False),
        sa.Column("scan_id", sa.Integer),
        sa.Column("stored_at", UTCDateTime, nullable=False),
        _pk("ads"),
        sa.UniqueConstraint("key", name="uq_ads_key"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_ads_scan_id_scans"),
    )
    op.create_index("ix_ads_score", "ads", ["score"])
    op.create_index("ix_ads_content_hash", "ads", ["content_hash"])
    op.create_index("ix_ads_city", "ads", ["city"])

    op.create_table(
        "spans",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("value_json", sa.Boolean, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("extractor", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("attrs", JSON),
        _pk("spans"),
        _ad_fk("spans"),
    )
    op.create_index("ix_spans_kind_value", "spans", ["kind", "value"])
    op.create_index("ix_spans_ad_id", "spans", ["ad_id"])

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("contribution", sa.Float, nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("citation", sa.Text, nullable=False),
        _pk("flags"),
        _ad_fk("flags"),
    )
    op.create_index("ix_flags_category", "flags", ["category"])
    op.create_index("ix_flags_ad_id", "flags", ["ad_id"])

    op.create_table(
        "image_hashes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("pdq", sa.String(64)),
        sa.Column("quality", sa.Integer),
        sa.Column("md5", sa.String(32)),
        sa.Column("attrs", JSON),
        _pk("image_hashes"),
        _ad_fk("image_hashes"),
    )
    op.create_index("ix_image_hashes_pdq", "image_hashes", ["pdq"])
    op.create_index("ix_image_hashes_md5", "image_hashes", ["md5"])
    op.create_index("ix_image_hashes_ad_id", "image_hashes", ["ad_id"])

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("scan_id", sa.Integer),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("excerpt", sa.Text, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        _pk("quarantine"),
        sa.UniqueConstraint("file", "line", "reason", name="uq_quarantine_file_line_reason"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_quarantine_scan_id_scans"),
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS_DDL:
            op.execute(statement)
    # PostgreSQL hook: add a generated tsvector column over title/body with a GIN index here
    # (and the matching branch in `queries.search`). Until then search is SQLite-only.


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_DROP:
            op.execute(statement)
    for table in ("quarantine", "image_hashes", "flags", "spans", "ads", "scans"):
        op.drop_table(table)
