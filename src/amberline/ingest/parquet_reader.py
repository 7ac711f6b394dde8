"""Stream Parquet files (`.parquet`, `.pq`) into ads, one row group at a time.

Why: data engineers keep crawls and platform exports in Parquet, and joining our results with
theirs should not need a CSV detour. Rows go through the same `RecordMapper` as every other
format (same field names, `--map`, `raw` keeps the rest), so a Parquet scan stores exactly what
a JSON Lines scan of the same records would. Memory stays at one row group; a row group that
cannot be decoded costs its rows (one `BadRecord` naming the row range), never the scan. The
`line` of a record is its 1-based row number in the file.

Column values are made JSON-like before mapping: timestamps and dates become ISO 8601 text
(which `parse_datetime` reads), decimals their text, bytes base64 (an `images` column of bytes
becomes inline images, hashed and dropped like any other).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from amberline.ingest.codes import Code
from amberline.ingest.images import IMAGES_KEY
from amberline.ingest.records import BadRecord, ReadOptions, RecordMapper, source_stem
from amberline.model import Ad

PARQUET_SUFFIXES = (".parquet", ".pq")


def parquet_stem(path: Path) -> str:
    """Default source name: the file name without `.parquet`/`.pq` (and other known suffixes)."""
    name = path.name
    for suffix in PARQUET_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return source_stem(path.with_name(name[: -len(suffix)]))
    return source_stem(path)


def read_row_counts(path: Path) -> list[int] | None:
    """Rows per row group (the unit the Dask engine splits Parquet input by); None if the
    file cannot be read as Parquet (reading it then yields the `BadRecord` saying why)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError):
        return None
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


def read_parquet(
    path: Path,
    options: ReadOptions,
    progress: Callable[[int], None] | None = None,
    *,
    row_groups: Sequence[int] | None = None,
) -> Iterator[Ad | BadRecord]:
    """Yield one `Ad` (or `BadRecord`) per row, in file order; `row_groups` limits the read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = str(path)
    mapper = RecordMapper(options, parquet_stem(path), file, path.parent)
    images_key = options.column_map.get("images", IMAGES_KEY)
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        yield BadRecord(file, 0, f"not a readable Parquet file: {exc}", "", Code.UNREADABLE)
        return
    meta = parquet.metadata
    first_row = [0]
    for i in range(meta.num_row_groups):
        first_row.append(first_row[-1] + meta.row_group(i).num_rows)
    groups = range(meta.num_row_groups) if row_groups is None else row_groups
    limit = options.max_record_bytes
    reported = 0
    for group in groups:
        base = first_row[group]
        try:
            table = parquet.read_row_group(group)
        except (pa.ArrowException, OSError, ValueError) as exc:
            n = meta.row_group(group).num_rows
            reason = f"row group {group} (rows {base + 1}-{base + n}) cannot be read: {exc}"
            yield BadRecord(file, base + 1, reason, "", Code.UNREADABLE)
            continue
        excerpt = "row with columns: " + ", ".join(parquet.schema_arrow.names)
        for offset, row in enumerate(_rows(table)):
            line = base + offset + 1
            if isinstance(row, Exception):
                reason = f"row cannot be converted: {type(row).__name__}: {row}"[:500]
                yield BadRecord(file, line, reason, excerpt, Code.BAD_ROW)
                continue
            if limit and _size(row) > limit:
                yield BadRecord(file, line, f"record too large (over {limit} bytes)", excerpt,
                                Code.TOO_LARGE)
                continue
            raw = {key: _plain(value) for key, value in row.items()}
            images = row.get(images_key)
            if images is not None:
                raw[images_key] = _images(images)
            yield from mapper.ads(raw, line, excerpt)
        if progress is not None:
            info = meta.row_group(group)
            size = sum(info.column(c).total_compressed_size for c in range(info.num_columns))
            progress(size)
            reported += size
    if progress is not None and row_groups is None:
        rest = path.stat().st_size - reported
        if rest > 0:
            progress(rest)


def _rows(table: Any) -> list[dict[str, Any] | Exception]:
    """The rows of a row group as dicts; a row whose values Python cannot hold (a timestamp
    past year 9999) is its exception instead. Converting the whole group fails on one such
    value, so only then is it converted row by row, and one bad row costs that row."""
    try:
        return table.to_pylist()
    except (ValueError, OverflowError, TypeError):
        pass
    rows: list[dict[str, Any] | Exception] = []
    for i in range(table.num_rows):
        try:
            rows.append(table.slice(i, 1).to_pylist()[0])
        except (ValueError, OverflowError, TypeError) as exc:
            rows.append(exc)
    return rows


def _plain(value: Any) -> Any:
    """A Parquet value as the JSON-like value the mapper expects."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def _images(value: Any) -> Any:
    """An images column: image bytes become inline images ({"base64": ...}), paths stay."""
    items = value if isinstance(value, list) else [value]
    if not any(isinstance(item, bytes) for item in items):
        return _plain(value)
    return [
        {"base64": base64.b64encode(item).decode("ascii")} if isinstance(item, bytes)
        else _plain(item)
        for item in items
    ]


def _size(row: dict[str, Any]) -> int:
    """Roughly the bytes of a record's text and data: what every reader's size limit is about."""
    total = 0
    for value in row.values():
        if isinstance(value, str | bytes):
            total += len(value)
    return total
