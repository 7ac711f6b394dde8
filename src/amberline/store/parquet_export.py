"""Export the store as Parquet files, one per table, for data engineers to join with theirs.

Why table by table with the store's own ids: Parquet readers (Spark, DuckDB, pandas, Arrow)
join on columns, so `ads.id` = `spans.ad_id` = `flags.ad_id` = `keys.ad_id` =
`network_members.ad_id` is all anyone needs; nothing is pre-joined or dropped. Tables are
streamed in id order in row groups of `batch_size` rows, so memory stays flat on any size of
store. JSON columns become JSON text, timestamps UTC timestamps.

Files: ads, spans, flags, image_hashes, quarantine, scans, and when linking has run, keys
(`link_keys`), networks, network_members, link_edges. Empty or absent tables are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from amberline.store.database import Store
from amberline.store.schema import UTCDateTime, dump_json
from amberline.store.tables import metadata

# (file stem, table name) in the order written.
EXPORTS = (
    ("ads", "ads"), ("spans", "spans"), ("flags", "flags"), ("image_hashes", "image_hashes"),
    ("quarantine", "quarantine"), ("scans", "scans"), ("keys", "link_keys"),
    ("networks", "networks"), ("network_members", "network_members"),
    ("link_edges", "link_edges"),
)


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


def export_table(conn: sa.Connection, table: sa.Table, path: Path, batch_size: int) -> int:
    """Stream one table into a Parquet file; returns the rows written (0: no file)."""
    schema = pa.schema([(c.name, arrow_type(c)) for c in table.columns])
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    order = list(table.primary_key.columns) or list(table.columns)[:1]
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
        sa.select(table).order_by(*order)
    )
    rows = 0
    writer: pq.ParquetWriter | None = None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        for chunk in result.partitions(batch_size):
            columns: dict[str, list[Any]] = {name: [] for name in schema.names}
            for row in chunk:
                for name, value in zip(schema.names, row, strict=True):
                    if name in json_columns and value is not None:
                        value = dump_json(value)
                    columns[name].append(value)
            if writer is None:
                writer = pq.ParquetWriter(tmp, schema, compression="zstd")
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))
            rows += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    if rows:
        os.replace(tmp, path)
    return rows


def export_parquet(store: Store, out: Path, batch_size: int = 50_000) -> dict[str, int]:
    """Write every non-empty exported table of `store` to `out/<name>.parquet`;
    returns {name: rows}."""
    out.mkdir(parents=True, exist_ok=True)
    present = set(sa.inspect(store.engine).get_table_names())
    written: dict[str, int] = {}
    with store.engine.connect() as conn:
        for stem, name in EXPORTS:
            if name not in present or name not in metadata.tables:
                continue
            path = out / f"{stem}.parquet"
            rows = export_table(conn, metadata.tables[name], path, batch_size)
            if rows:
                written[stem] = rows
            else:
                path.unlink(missing_ok=True)  # an empty table leaves no stale file behind
    return written
