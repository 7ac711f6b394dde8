"""Export the store as Parquet files, one per table, for data engineers to join with theirs.

Why table by table with the store's own ids: Parquet readers (Spark, DuckDB, pandas, Arrow)
join on columns, so `ads.id` = `spans.ad_id` = `flags.ad_id` = `keys.ad_id` =
`network_members.ad_id` is all anyone needs; nothing is pre-joined or dropped. Tables are
streamed in id order in row groups of `batch_size` rows, so memory stays flat on any size of
store. JSON columns become JSON text, timestamps UTC timestamps.

Files: ads, spans, flags, image_hashes, quarantine, scans, keys, and when linking has run,
networks, network_members, link_edges. Empty or absent tables are skipped. Spans and flags
are kept in each ad's screening document (`documents`); their files are written from those
documents with the columns of the span and flag tables of earlier releases (less their row
ids), one row per span or flag in the ad's order; the ads file leaves the document out. The
keys file holds the link keys of the signed ads (`networks.stored_keys`, derived from the
identifier rows) with the columns of the `link_keys` table of earlier releases: its `id`
numbers the keys in ad id order, as a scan stored them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from amberline.store import documents
from amberline.store.database import Store
from amberline.store.networks import signed_id_ranges, stored_keys
from amberline.store.schema import UTCDateTime, ads, dump_json
from amberline.store.tables import metadata

KEYS = "keys"  # the link keys' file, derived rather than a table's rows
# (file stem, table name) in the order written.
EXPORTS = (
    ("ads", "ads"), ("image_hashes", "image_hashes"),
    ("quarantine", "quarantine"), ("scans", "scans"), (KEYS, None),
    ("networks", "networks"), ("network_members", "network_members"),
    ("link_edges", "link_edges"),
)
KEY_SCHEMA = pa.schema([("id", pa.int64()), ("ad_id", pa.int64()), ("kind", pa.string()),
                        ("value", pa.string())])


def arrow_type(column: sa.Column) -> pa.DataType:
    """The Arrow type a store column is written as."""
    kind = column.type
    if isinstance(kind, UTCDateTime | sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float):
        return pa.float64()
    if isinstance(kind, sa.LargeBinary):
        return pa.binary()
    return pa.string()  # String, Text, JSON (as JSON text)


# The document's spans and flags, as the Arrow columns of their files (after `ad_id`).
SPAN_SCHEMA = pa.schema([
    ("ad_id", pa.int64()), ("kind", pa.string()), ("value", pa.string()),
    ("value_json", pa.bool_()), ("start", pa.int64()), ("end", pa.int64()),
    ("extractor", pa.string()), ("confidence", pa.float64()), ("attrs", pa.string()),
])
FLAG_SCHEMA = pa.schema([
    ("ad_id", pa.int64()), ("category", pa.string()), ("term", pa.string()),
    ("start", pa.int64()), ("end", pa.int64()), ("weight", pa.float64()),
    ("contribution", pa.float64()), ("rule", pa.string()), ("citation", pa.string()),
])
_LEFT_OUT = {"ads": {"screening"}}  # columns exported in another form


class _File:
    """One Parquet file written in row groups, moved into place only when it has rows."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.schema, self.rows = path, schema, 0
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.writer: pq.ParquetWriter | None = None

    def write(self, columns: dict[str, list[Any]]) -> None:
        count = len(next(iter(columns.values())))
        if not count:
            return
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")
        self.writer.write_table(pa.Table.from_pydict(columns, schema=self.schema))
        self.rows += count

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def commit(self) -> int:
        """Move the finished file into place; returns its rows (0: no file)."""
        self.close()
        if self.rows:
            os.replace(self.tmp, self.path)
        return self.rows


def export_table(conn: sa.Connection, table: sa.Table, path: Path, batch_size: int) -> int:
    """Stream one table into a Parquet file; returns the rows written (0: no file)."""
    exported = [c for c in table.columns if c.name not in _LEFT_OUT.get(table.name, ())]
    schema = pa.schema([(c.name, arrow_type(c)) for c in exported])
    json_columns = {c.name for c in exported if isinstance(c.type, sa.JSON)}
    order = list(table.primary_key.columns) or list(table.columns)[:1]
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
        sa.select(*exported).order_by(*order)
    )
    file = _File(path, schema)
    try:
        for chunk in result.partitions(batch_size):
            columns: dict[str, list[Any]] = {name: [] for name in schema.names}
            for row in chunk:
                for name, value in zip(schema.names, row, strict=True):
                    if name in json_columns and value is not None:
                        value = dump_json(value)
                    columns[name].append(value)
            file.write(columns)
    finally:
        file.close()
    return file.commit()


def export_keys(conn: sa.Connection, path: Path, batch_size: int) -> int:
    """Stream the signed ads' link keys into keys.parquet in ad id order, in row groups of
    `batch_size` keys; returns the rows written (0: no file)."""
    file = _File(path, KEY_SCHEMA)
    columns: dict[str, list[Any]] = {name: [] for name in KEY_SCHEMA.names}
    count = 0
    try:
        for where in signed_id_ranges(conn, batch_size):
            for ad_id, keys in stored_keys(conn, where).items():
                for kind, value in keys:
                    count += 1
                    for name, item in zip(KEY_SCHEMA.names, (count, ad_id, kind, value),
                                          strict=True):
                        columns[name].append(item)
            while len(columns["id"]) >= batch_size:
                file.write({name: items[:batch_size] for name, items in columns.items()})
                columns = {name: items[batch_size:] for name, items in columns.items()}
        file.write(columns)
    finally:
        file.close()
    return file.commit()


def export_evidence(conn: sa.Connection, out: Path, batch_size: int) -> dict[str, int]:
    """Stream the ads' documents into spans.parquet and flags.parquet; returns {stem: rows}."""
    files = {"spans": _File(out / "spans.parquet", SPAN_SCHEMA),
             "flags": _File(out / "flags.parquet", FLAG_SCHEMA)}
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
        sa.select(ads.c.id, ads.c.screening).order_by(ads.c.id))
    try:
        for chunk in result.partitions(batch_size):
            columns = {stem: {name: [] for name in f.schema.names} for stem, f in files.items()}
            for ad_id, document in chunk:
                for stem, rows in zip(files, documents.as_rows(document), strict=True):
                    for row in rows:
                        columns[stem]["ad_id"].append(ad_id)
                        for name, value in row.items():
                            if name == "attrs" and value is not None:
                                value = dump_json(value)
                            columns[stem][name].append(value)
            for stem, f in files.items():
                f.write(columns[stem])
    finally:
        for f in files.values():
            f.close()
    return {stem: f.commit() for stem, f in files.items()}


def export_parquet(store: Store, out: Path, batch_size: int = 50_000) -> dict[str, int]:
    """Write every non-empty exported table of `store` to `out/<name>.parquet`;
    returns {name: rows}."""
    out.mkdir(parents=True, exist_ok=True)
    present = set(sa.inspect(store.engine).get_table_names())
    written: dict[str, int] = {}
    with store.engine.connect() as conn:
        for stem, rows in export_evidence(conn, out, batch_size).items():
            if rows:
                written[stem] = rows
            else:
                (out / f"{stem}.parquet").unlink(missing_ok=True)
        for stem, name in EXPORTS:
            path = out / f"{stem}.parquet"
            if name is None:
                rows = export_keys(conn, path, batch_size)
            elif name not in present or name not in metadata.tables:
                continue
            else:
                rows = export_table(conn, metadata.tables[name], path, batch_size)
            if rows:
                written[stem] = rows
            else:
                path.unlink(missing_ok=True)  # an empty table leaves no stale file behind
    return written
