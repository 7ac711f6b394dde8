"""Turn pipeline records into table rows for bulk inserts, and the one dialect-specific insert.

Why separate: building plain rows in tight loops, once per batch, is what keeps
`Store.write_batch` fast (the driver then runs one executemany per table), and keeping it apart
from the transaction logic makes both easy to read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from itertools import chain
from typing import Any

import sqlalchemy as sa

from amberline.model import Ad, Screening, ad_key, raw_with_meta
from amberline.store import documents
from amberline.store.schema import ads, dump_json, flag_categories, identifiers, image_hashes

Items = list[tuple[Ad, Screening]]


def insert_ignore(table: sa.Table, dialect: str, conflict: list[str]) -> Any:
    """INSERT ... ON CONFLICT (conflict columns) DO NOTHING, in the dialect's own form.

    Each dialect's module is imported here, when first used: a SQLite store never needs
    SQLAlchemy's PostgreSQL dialect, whose import costs a command more than opening the store.
    """
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict)
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict)
    raise NotImplementedError(f"the store supports sqlite and postgresql, not {dialect}")


# The columns of an ad row, in table order: the order of the values `ad_rows` gives.
AD_COLUMNS = ("key", "source", "source_id", "url", "posted_at", "title", "body", "city",
              "region", "country", "content_hash", "raw", "obfuscations", "score", "screening",
              "flag_count", "pipeline_version", "scan_id", "stored_at")
if tuple(c.name for c in ads.columns if c.name != "id") != AD_COLUMNS:
    raise AssertionError("rows.AD_COLUMNS is out of step with the ads table")


def ad_rows(
    scan_id: int | None, items: Items, stored_at: datetime
) -> tuple[list[tuple[Any, ...]], int]:
    """One row per distinct ad key (first occurrence wins), as values in `AD_COLUMNS` order,
    and the number of repeats in `items`.

    Tuples rather than dicts: a scan builds one per ad, and the SQLite insert binds values in
    column order anyway. Raises ValueError, before anything is written, when a screening
    belongs to another ad.
    """
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    encode, flag_count = documents.encode, documents.flag_count
    for ad, screening in items:
        content_hash = ad.content_hash
        key = ad_key(ad.source, ad.source_id, content_hash)
        if screening.ad_key != key:
            raise ValueError(f"screening for {screening.ad_key!r} was paired with ad {key!r}")
        if key in seen:
            continue
        seen.add(key)
        flags, obfuscations = screening.flags, screening.obfuscations
        rows.append((
            key, ad.source, ad.source_id, ad.url, ad.posted_at, ad.title, ad.body, ad.city,
            ad.region, ad.country, content_hash, raw_with_meta(ad) or None,
            [{"start": o.start, "end": o.end, "kind": o.kind, "original": o.original}
             for o in obfuscations] if obfuscations else None,
            screening.score, encode(screening.spans, flags), flag_count(flags),
            screening.pipeline_version, scan_id, stored_at,
        ))
    return rows, len(items) - len(rows)


def in_lock_order(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ad rows in the order every writer inserts them: by key.

    Why: on PostgreSQL an insert locks each new key's index entry until commit. Two scans
    inserting the same new keys in opposite orders would each hold a key the other waits for,
    and PostgreSQL would abort one of them as a deadlock. Sorted, the second writer simply waits
    for the first and then finds those keys taken. Ids are drawn from the sequence first and
    given out in input order, so an ad's id still follows its place in the input. SQLite has
    one writer at a time (BEGIN IMMEDIATE) and needs neither.
    """
    if conn.dialect.name != "postgresql" or len(rows) < 2:
        return rows
    ids = conn.execute(
        sa.text("SELECT nextval(pg_get_serial_sequence('ads', 'id'))"
                " FROM generate_series(1, :n)"), {"n": len(rows)}
    ).scalars().all()
    for row, ad_id in zip(rows, sorted(ids), strict=True):
        row["id"] = ad_id
    return sorted(rows, key=lambda row: row["key"])


def insert_new_ads(conn: sa.Connection, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Insert the ad rows (`ad_rows`) whose key is not stored yet; returns {key: id} of those
    inserted.

    PostgreSQL: one INSERT ... ON CONFLICT DO NOTHING RETURNING, in lock order. SQLite: the
    same insert with ready-made values (see `_sqlite_insert`), then the new ids read back as
    those above the largest id before it. Why: SQLAlchemy's per-row parameter handling cost
    more than SQLite's own insert, and that read-back is exact because the transaction holds
    SQLite's only write lock (BEGIN IMMEDIATE) and an INTEGER PRIMARY KEY gives each new row
    the largest id so far plus one, in input order.
    """
    if conn.dialect.name != "sqlite":
        insert = insert_ignore(ads, conn.dialect.name, ["key"])
        dicts = in_lock_order(conn, [dict(zip(AD_COLUMNS, row, strict=True)) for row in rows])
        return {key: ad_id for ad_id, key in
                conn.execute(insert.returning(ads.c.id, ads.c.key), dicts)}
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM ads").scalar()
    width = len(AD_COLUMNS)
    values = list(chain.from_iterable(rows))  # the rows' values one after another
    for i, process in enumerate(_ad_converters(conn.dialect)):
        if process is not None:  # a few columns only (JSON, timestamps, ...)
            values[i::width] = _converted(values[i::width], process)
    _sqlite_insert(conn, ads, AD_COLUMNS, values, conflict=("key",))
    # Read on the driver's connection (the same transaction): a row per new ad, which
    # SQLAlchemy's result would make a Row object of, only to be taken apart again here.
    return dict(conn.connection.driver_connection.execute(
        "SELECT key, id FROM ads WHERE id > ?", (before,)))


def _converted(column: list[Any], process: Callable[[Any], Any]) -> list[Any]:
    """`process` of each value of a column, None bound as NULL as it is; a value the whole
    column shares (the batch's one `stored_at`) is converted once."""
    first = column[0] if column else None
    if all(value is first for value in column):
        return [None if first is None else process(first)] * len(column)
    return [None if value is None else process(value) for value in column]


@lru_cache(maxsize=4)
def _ad_converters(dialect: sa.Dialect) -> tuple[Any, ...]:
    """Each `AD_COLUMNS` column's value converter (JSON text, UTC timestamps) exactly as
    SQLAlchemy itself would apply it, or None. None values are bound as NULL as they are."""
    return tuple(ads.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                 for name in AD_COLUMNS)


# Values bound without a failed lookup. The sqlite3 module looks for an adapter for every
# bound value that is not an exact int, float, str or bytearray: None, bytes, memoryview (a
# BLOB as SQLAlchemy binds it) and bool included. Finding none, it asks the protocol type for
# `__adapt__`, which raises an AttributeError that it formats and then drops; a scan binds
# several such values per ad (the columns an ad leaves empty, its document, its MinHash row),
# and that failed lookup cost several times the insert of the value. An adapter registered for
# each of those types makes the lookup one dict hit and one C call that gives back what was
# bound before: None for None (`{}.get` answers None for any argument), the same bytes, a view
# of the same buffer, the bool's int (which sqlite3 binds for a bool). The registry is the
# sqlite3 module's own, so every connection binds them this way.
_SAME_AS_BOUND: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (type(None), {}.get), (bytes, bytes), (memoryview, memoryview), (bool, int))
for _kind, _same in _SAME_AS_BOUND:
    sqlite3.register_adapter(_kind, _same)
del _kind, _same


# Rows per multi-row statement at most; the remainder of a batch is split into halving sizes
# (125, 62, 31, ...), so each table needs at most eight distinct statements: the sqlite3 module
# keeps its last 128 prepared statements, and statements of every possible row count (one per
# batch) held ~270 MB in that cache after 50,000 ads. Why 250, a divisor of the scan's batch
# of 1000 ads: each distinct row count is a statement SQLite compiles once per connection,
# and compiling costs about as much per bound value as running it, so a batch's ads go in
# four runs of one statement instead of six statements compiled (512, 256, ... 8 rows);
# smaller statements would cost more in runs than they save in compiling.
_SQLITE_MAX_ROWS = 250


def _sqlite_insert(
    conn: sa.Connection, table: sa.Table, columns: tuple[str, ...],
    values: list[Any], conflict: tuple[str, ...] = (),
) -> None:
    """Insert rows given as their values one after another (`values`, each row's in
    `columns` order) with multi-row INSERT ... VALUES (...), (...) statements.

    Why: for SQLite, one statement of many rows costs less per row than executemany of
    one-row statements (measured on the span table with its indexes), and the statement is
    still compiled from the Core table, so its text (quoting, ON CONFLICT) is SQLAlchemy's.
    With `conflict` columns, rows whose values there are already stored are skipped.
    Statements stay within the connection's limit on bound values (999 in builds before 3.32).
    """
    head, one_row, tail = _sqlite_row_statement(conn.dialect, table, columns, conflict)
    limit = conn.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    width = len(columns)
    size = _SQLITE_MAX_ROWS
    while size > 1 and size * width > limit:
        size //= 2
    count = len(values) // width
    start = 0
    while start < count:
        while size > count - start:
            size //= 2
        conn.exec_driver_sql(f"{head} VALUES {', '.join([one_row] * size)}{tail}",
                             tuple(values[start * width : (start + size) * width]))
        start += size


@lru_cache(maxsize=32)
def _sqlite_row_statement(
    dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...], conflict: tuple[str, ...]
) -> tuple[str, str, str]:
    """A compiled one-row insert split as (INSERT INTO t (cols), "(?, ?, ...)", the rest)."""
    statement = insert_ignore(table, "sqlite", list(conflict)) if conflict else table.insert()
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    if not compiled.positional or tuple(compiled.positiontup or ()) != columns:
        raise AssertionError(f"{table.name}: columns {columns} not in table order")
    head, values, tail = str(compiled).partition(" VALUES ")
    one_row = "(" + ", ".join(["?"] * len(columns)) + ")"
    if not values or not tail.startswith(one_row):
        raise AssertionError(f"unexpected compiled insert: {compiled}")
    return head, one_row, tail[len(one_row):]


_HASH_FIELDS = ("pdq", "quality", "md5")
# Columns of the child tables in table order (the order the compiled INSERT binds them).
IDENTIFIER_COLUMNS = ("ad_id", "kind", "value")
CATEGORY_COLUMNS = ("ad_id", "category", "flags")
HASH_COLUMNS = ("ad_id", "pdq", "quality", "md5", "attrs")


def insert_children(conn: sa.Connection, items: Items, new_ids: dict[str, int]) -> None:
    """Insert the indexed rows of the newly stored ads (`key` -> id): identifiers, flag
    categories and image hashes (spans and flags are in the ad row's document)."""
    identifier_rows: list[tuple[Any, ...]] = []
    category_rows: list[tuple[Any, ...]] = []
    hash_rows: list[tuple[Any, ...]] = []
    pending = dict(new_ids)
    identifiers_of, category_counts = documents.identifier_rows, documents.category_counts
    for ad, screening in items:
        ad_id = pending.pop(screening.ad_key, None)
        if ad_id is None:  # a duplicate, or a repeat of a key already handled in this batch
            continue
        identifier_rows += identifiers_of(ad_id, screening.spans)
        for category, n in category_counts(screening.flags).items():
            category_rows.append((ad_id, category, n))
        for h in ad.image_hashes:
            extra = {k: v for k, v in h.items() if k not in _HASH_FIELDS}
            hash_rows.append((ad_id, h.get("pdq"), h.get("quality"), h.get("md5"),
                              dump_json(extra) if extra else None))
    bulk_insert(conn, identifiers, IDENTIFIER_COLUMNS, identifier_rows)
    bulk_insert(conn, flag_categories, CATEGORY_COLUMNS, category_rows)
    bulk_insert(conn, image_hashes, HASH_COLUMNS, hash_rows)


def index_text(conn: sa.Connection, new_ids: dict[str, int]) -> None:
    """SQLite: add the new ads' titles and bodies to the FTS5 index in one statement per
    batch (a per-row trigger did it before migration 0012). The new ads hold the largest ids,
    as the batch's transaction holds SQLite's only write lock. PostgreSQL indexes the text
    by itself (the expression index of migration 0005)."""
    if conn.dialect.name == "sqlite" and new_ids:
        conn.exec_driver_sql("INSERT INTO ads_fts(rowid, title, body)"
                             " SELECT id, title, body FROM ads WHERE id >= ? ORDER BY id",
                             (min(new_ids.values()),))


def bulk_insert(
    conn: sa.Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ready-made tuples at the driver level: SQLite multi-row inserts, PostgreSQL COPY.

    Why bypass SQLAlchemy's parameter handling: for many small rows its per-row processing
    costs more than SQLite's own insert (measured ~90k vs ~250k span rows/s). The statement is
    still compiled from the Core table for the connection's dialect, so this stays portable;
    the values must be driver-ready (JSON already as text, no TypeDecorator columns).
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
        return
    _sqlite_insert(conn, table, columns, list(chain.from_iterable(rows)))


def _copy(
    conn: sa.Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """PostgreSQL: COPY is its bulk path (executemany is one round trip per row)."""
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    cursor = conn.connection.driver_connection.cursor()  # same transaction as `conn`
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi_error as exc:  # raise it as SQLAlchemy would (IntegrityError, ...)
        raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi_error) from exc


