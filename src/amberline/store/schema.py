"""The one definition of Amberline's database schema, as SQLAlchemy Core tables.

Why Core tables and not an ORM: the store writes tens of thousands of rows a second in bulk and
hands back small frozen records, so mapped objects would only add cost. The migrations in
`migrations/versions` create exactly these tables (a test compares the migrated database with
this metadata), and the queries in `database.py`/`queries.py` are built from them, so the same
code runs on SQLite and, later, PostgreSQL.

Conventions:
- Offsets (`start`, `end`) are character offsets into `Ad.text`, end exclusive.
- Identifier values are text: strings as they are, anything else JSON-encoded compactly
  (`encode_value`), so an age of 17 is stored and looked up as "17". Spans and flags
  themselves are kept whole in the ad's screening document (`documents.py`).
- Timestamps are stored in UTC; naive datetimes are taken to be UTC already.
- Full-text search is not part of this metadata: it is dialect-specific (an FTS5 virtual table
  on SQLite, created in migration 0001; a tsvector column is the PostgreSQL hook).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back timezone-aware, on every backend.

    SQLite has no timezone-aware type: storing an aware datetime there as-is would drop the
    offset silently. Converting to UTC on the way in keeps instants comparable and sortable.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


# Built once: `json.dumps` with options builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
_VALUE_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def dump_json(value: Any) -> str:
    """JSON text as the store writes it: compact, UTF-8, and values JSON has no type for (dates
    in raw metadata, say) kept as their text rather than failing the batch.

    orjson writes it (a span's attributes, an ad's obfuscations: tens of thousands of small
    documents per batch, where the standard encoder was a fifth of the store's time); what it
    refuses (integers beyond 64 bits, non-text keys) goes to the standard encoder, so every
    value that was storable still is. A NaN in raw metadata is stored as null (valid JSON).
    """
    return json_bytes(value).decode()


def json_bytes(value: Any) -> bytes:
    """`dump_json` as UTF-8 bytes (what a BLOB column stores)."""
    try:
        return orjson.dumps(value, default=str)
    except (TypeError, orjson.JSONEncodeError):
        return _JSON.encode(value).encode()


def encode_value(value: Any) -> tuple[str, bool]:
    """A span value as stored text, and whether it was JSON-encoded (anything not a str).

    Keys are sorted so equal values always give equal text, which exact lookups rely on.
    """
    if isinstance(value, str):
        return value, False
    if type(value) is int:  # the common non-text value (ages); same text as JSON
        return str(value), True
    return _VALUE_JSON.encode(value), True


def decode_value(text: str, is_json: bool) -> Any:
    """Inverse of `encode_value`."""
    return json.loads(text) if is_json else text


Json = sa.JSON(none_as_null=True)

# The id of a table with several rows per ad (identifiers, image hashes, link keys, link
# edges): 64-bit on PostgreSQL, where ~7 rows per ad would pass 2^31 ids at ~300 million
# ads (migration 0007); SQLite's INTEGER PRIMARY KEY is 64-bit already and must stay INTEGER
# to remain the rowid.
RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

scans = sa.Table(
    "scans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("inputs", Json),
    sa.Column("counts", Json),
    sa.Column("status", sa.String(32), nullable=False),
    # "host:pid" of the process running it, so a later scan can tell a killed one from a live.
    sa.Column("owner", sa.String(300)),
)

ads = sa.Table(
    "ads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(512), nullable=False, unique=True),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("source_id", sa.String(255)),
    sa.Column("url", sa.Text),
    sa.Column("posted_at", UTCDateTime),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # Looked up by `ix_ads_city_score` (schema_workspace), ordered by score.
    sa.Column("city", sa.String(255)),
    sa.Column("region", sa.String(255)),
    sa.Column("country", sa.String(64)),
    # Not indexed: an ad without a source id is found by its key, `sha256:<content_hash>`.
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("raw", Json),
    # Stretches the normaliser undid; only ever shown with the ad, never queried, so a JSON
    # list of {start, end, kind, original} rather than a table of its own.
    sa.Column("obfuscations", Json),
    sa.Column("score", sa.Float, nullable=False, index=True),
    # The screening's spans and flags as one document (`documents`), and its distinct
    # (rule, term) flags, the count ranked lists show.
    sa.Column("screening", sa.LargeBinary),
    sa.Column("flag_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pipeline_version", sa.String(64), nullable=False),
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id")),
    sa.Column("stored_at", UTCDateTime, nullable=False),
)

# Looked-up identifiers of an ad (see `documents`): one row per distinct (kind, value).
identifiers = sa.Table(
    "identifiers",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index(None, "kind", "value"),
    sa.Index(None, "ad_id"),
)

# The flag categories of an ad and how many flags each (see `documents`).
flag_categories = sa.Table(
    "flag_categories",
    metadata,
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("flags", sa.Integer, nullable=False),
    sa.Index(None, "category", "ad_id"),
)

image_hashes = sa.Table(
    "image_hashes",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"), nullable=False),
    sa.Column("pdq", sa.String(64), index=True),
    sa.Column("quality", sa.Integer),
    sa.Column("md5", sa.String(32), index=True),
    # Any other keys the reader attached to the hash (kept, so nothing is lost).
    sa.Column("attrs", Json),
    sa.Index(None, "ad_id"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id")),
    sa.Column("file", sa.Text, nullable=False),
    # 1-based line or record number; 0 when the reader could not name one.
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("excerpt", sa.Text, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    # The stable short code of `reason` (`amberline.ingest.codes.Code`).
    sa.Column("code", sa.Text, nullable=False, server_default="bad_record"),
    sa.UniqueConstraint("file", "line", "reason"),
)

# Full-text search lives outside this metadata (an FTS5 virtual table and its shadow tables on
# SQLite, a GIN expression index on PostgreSQL, created by the migrations); autogenerate and
# the schema test must not see it as drift.
FTS_PREFIX = "ads_fts"
# The conversation messages' index (migration 0011), kept out the same way.
FTS_PREFIXES = (FTS_PREFIX, "conversation_fts")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic `include_name` hook: leave the dialect's full-text tables and indexes alone."""
    return not (type_ in ("table", "index") and name is not None
                and name.startswith(FTS_PREFIXES))
