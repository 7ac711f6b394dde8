"""One document per ad: spans and flags move into `ads.screening`; looked-up identifiers and
flag categories become small indexed tables; SQLite's full-text index is filled once per batch.

Why: a scan spent most of its store time writing one row per span and per flag, each with two
indexes, and a trigger per ad row for the full-text index. Evidence is always read whole, per
ad, so it is kept as one document (`store.documents`); what is looked up across ads keeps
indexed rows (`identifiers`: one per distinct kind and value of an ad, prices left out;
`flag_categories`: one per category of an ad with its flag count), and `ads.flag_count` holds
the number ranked lists show (distinct rule and term, computed here with the SQL the lists ran
before, so every stored ad shows the same count after the upgrade). The store adds each
batch's new ads to SQLite's FTS5 index itself, so the insert trigger goes; the delete and
update triggers stay.

Data conversion: the upgrade builds every ad's document and rows from its span and flag rows
(in row id order, which is the order they were screened in), in chunks of ads; the downgrade
writes the span and flag rows back from the documents (new row ids, same order). Both run in
the migration's transaction.

Revision ID: 0012
Revises: 0011
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from amberline.model import Flag, Span
from amberline.store import documents
from amberline.store.schema import decode_value

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000  # ads converted per step
JSON = sa.JSON(none_as_null=True)
RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER ads_fts_ai AFTER INSERT ON ads BEGIN"
    " INSERT INTO ads_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END")

_ads = sa.table("ads", sa.column("id"), sa.column("screening", sa.LargeBinary))
_spans = sa.table("spans", sa.column("id"), sa.column("ad_id"), sa.column("kind"),
                  sa.column("value"), sa.column("value_json"), sa.column("start"),
                  sa.column("end"), sa.column("extractor"), sa.column("confidence"),
                  sa.column("attrs", JSON))
_flags = sa.table("flags", sa.column("id"), sa.column("ad_id"), sa.column("category"),
                  sa.column("term"), sa.column("start"), sa.column("end"),
                  sa.column("weight"), sa.column("contribution"), sa.column("rule"),
                  sa.column("citation"))
_identifiers = sa.table("identifiers", sa.column("ad_id"), sa.column("kind"),
                        sa.column("value"))
_categories = sa.table("flag_categories", sa.column("ad_id"), sa.column("category"),
                       sa.column("flags"))


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name=f"fk_{table}_ad_id_ads",
                                   ondelete="CASCADE")


def _chunks(conn: sa.Connection) -> list[tuple[int, int]]:
    """(first, last) ad id of consecutive chunks of CHUNK ads."""
    ids = conn.execute(sa.select(_ads.c.id).order_by(_ads.c.id)).scalars().all()
    return [(ids[i], ids[min(i + CHUNK, len(ids)) - 1]) for i in range(0, len(ids), CHUNK)]


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("ads", sa.Column("screening", sa.LargeBinary))
    op.add_column("ads", sa.Column("flag_count", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_table(
        "identifiers",
        sa.Column("id", RowId, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identifiers"),
        _fk("identifiers"),
    )
    op.create_table(
        "flag_categories",
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("flags", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("ad_id", "category", name="pk_flag_categories"),
        _fk("flag_categories"),
    )
    for lo, hi in _chunks(conn):
        _convert(conn, lo, hi)
    op.execute("UPDATE ads SET flag_count = (SELECT count(DISTINCT flags.rule || ' ' ||"
               " lower(flags.term)) FROM flags WHERE flags.ad_id = ads.id)")
    # Indexes after the rows: one sort each instead of an index update per row.
    op.create_index("ix_identifiers_kind_value", "identifiers", ["kind", "value"])
    op.create_index("ix_identifiers_ad_id", "identifiers", ["ad_id"])
    op.create_index("ix_flag_categories_category_ad_id", "flag_categories",
                    ["category", "ad_id"])
    if conn.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ads_fts_ai")
    op.drop_index("ix_flags_category_ad_id", "flags")
    for table in ("flags", "spans"):
        op.drop_index(f"ix_{table}_ad_id", table)
    op.drop_index("ix_flags_category", "flags")
    op.drop_index("ix_spans_kind_value", "spans")
    op.drop_table("flags")
    op.drop_table("spans")


def _convert(conn: sa.Connection, lo: int, hi: int) -> None:
    """Documents, identifier rows and category rows of the ads with lo <= id <= hi."""
    spans: dict[int, list[Span]] = defaultdict(list)
    for r in conn.execute(sa.select(_spans).where(_spans.c.ad_id.between(lo, hi))
                          .order_by(_spans.c.id)):
        spans[r.ad_id].append(Span(r.kind, decode_value(r.value, r.value_json), r.start, r.end,
                                   r.extractor, r.confidence, r.attrs or {}))
    flags: dict[int, list[Flag]] = defaultdict(list)
    for r in conn.execute(sa.select(_flags).where(_flags.c.ad_id.between(lo, hi))
                          .order_by(_flags.c.id)):
        flags[r.ad_id].append(Flag(r.category, r.term, r.start, r.end, r.weight, r.rule,
                                   r.citation, r.contribution))
    ids = conn.execute(sa.select(_ads.c.id).where(_ads.c.id.between(lo, hi))).scalars().all()
    docs, identifiers, categories = [], [], []
    for ad_id in ids:
        docs.append({"ad": ad_id, "doc": documents.encode(spans[ad_id], flags[ad_id])})
        identifiers += [{"ad_id": ad_id, "kind": kind, "value": value}
                        for _, kind, value in documents.identifier_rows(ad_id, spans[ad_id])]
        categories += [{"ad_id": ad_id, "category": category, "flags": n}
                       for category, n in documents.category_counts(flags[ad_id]).items()]
    if docs:
        conn.execute(_ads.update().where(_ads.c.id == sa.bindparam("ad"))
                     .values(screening=sa.bindparam("doc")), docs)
    if identifiers:
        conn.execute(_identifiers.insert(), identifiers)
    if categories:
        conn.execute(_categories.insert(), categories)


def downgrade() -> None:
    conn = op.get_bind()
    big = conn.dialect.name == "postgresql"  # 64-bit row ids there since 0007
    op.create_table(
        "spans",
        sa.Column("id", sa.BigInteger if big else sa.Integer, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("value_json", sa.Boolean, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("extractor", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("attrs", JSON),
        sa.PrimaryKeyConstraint("id", name="pk_spans"),
        _fk("spans"),
    )
    op.create_table(
        "flags",
        sa.Column("id", sa.BigInteger if big else sa.Integer, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("contribution", sa.Float, nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("citation", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flags"),
        _fk("flags"),
    )
    for lo, hi in _chunks(conn):
        span_rows: list[dict[str, Any]] = []
        flag_rows: list[dict[str, Any]] = []
        for ad_id, document in conn.execute(
                sa.select(_ads.c.id, _ads.c.screening).where(_ads.c.id.between(lo, hi))
                .order_by(_ads.c.id)):
            spans, flags = documents.as_rows(document)
            span_rows += [{"ad_id": ad_id, **row} for row in spans]
            flag_rows += [{"ad_id": ad_id, **row} for row in flags]
        if span_rows:
            conn.execute(_spans.insert(), span_rows)
        if flag_rows:
            conn.execute(_flags.insert(), flag_rows)
    op.create_index("ix_spans_kind_value", "spans", ["kind", "value"])
    op.create_index("ix_spans_ad_id", "spans", ["ad_id"])
    op.create_index("ix_flags_category", "flags", ["category"])
    op.create_index("ix_flags_ad_id", "flags", ["ad_id"])
    op.create_index("ix_flags_category_ad_id", "flags", ["category", "ad_id"])
    if conn.dialect.name == "sqlite":
        op.execute(FTS_INSERT_TRIGGER)
    op.drop_index("ix_flag_categories_category_ad_id", "flag_categories")
    op.drop_table("flag_categories")
    op.drop_index("ix_identifiers_ad_id", "identifiers")
    op.drop_index("ix_identifiers_kind_value", "identifiers")
    op.drop_table("identifiers")
    if conn.dialect.name == "sqlite":  # native DROP COLUMN: a batch copy would lose triggers
        op.execute("ALTER TABLE ads DROP COLUMN flag_count")
        op.execute("ALTER TABLE ads DROP COLUMN screening")
    else:
        op.drop_column("ads", "flag_count")
        op.drop_column("ads", "screening")
