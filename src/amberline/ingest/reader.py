"""One entry point for every input format: `read_path` picks the reader from the path.

The CLI, the engines and the tests all read input the same way: hand over a path and
`ReadOptions`, get back a stream of `Ad`s and `BadRecord`s in input order. The stream is lazy
and holds one record at a time, so a caller decides batch sizes and never needs the whole
input in memory; bad records travel in the same stream so the caller can count and quarantine
them at the point where they occurred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from amberline.ingest.csv_reader import read_csv
from amberline.ingest.html_folder import HTML_SUFFIXES, read_html
from amberline.ingest.jsonl import read_jsonl
from amberline.ingest.parquet_reader import PARQUET_SUFFIXES, read_parquet
from amberline.ingest.records import BadRecord, ReadOptions
from amberline.ingest.warc import read_warc
from amberline.model import Ad

Reader = Callable[[Path, ReadOptions, Callable[[int], None] | None], Iterator[Ad | BadRecord]]

READERS: dict[str, Reader] = {
    "jsonl": read_jsonl,
    "csv": read_csv,
    "html": read_html,
    "warc": read_warc,
    "parquet": read_parquet,
}

_SUFFIX_FORMATS = (
    (".warc", "warc"),
    (".warc.gz", "warc"),
    (".jsonl", "jsonl"),
    (".ndjson", "jsonl"),
    (".json", "jsonl"),
    (".jsonl.gz", "jsonl"),
    (".ndjson.gz", "jsonl"),
    (".json.gz", "jsonl"),
    (".csv", "csv"),
    (".tsv", "csv"),
    (".csv.gz", "csv"),
    (".tsv.gz", "csv"),
    *((suffix, "html") for suffix in HTML_SUFFIXES),
    *((suffix, "parquet") for suffix in PARQUET_SUFFIXES),
)


class UnsupportedInput(ValueError):
    """The path's format cannot be told or is not supported; the message names the fix."""


def detect_format(path: Path) -> str:
    """The reader name for `path`: a folder is HTML pages, a file goes by its extension."""
    if path.is_dir():
        return "html"
    name = path.name.lower()
    for suffix, fmt in _SUFFIX_FORMATS:
        if name.endswith(suffix):
            return fmt
    known = ", ".join(sorted({s for s, _ in _SUFFIX_FORMATS}))
    raise UnsupportedInput(
        f"{path}: cannot tell the format from the name; use one of {known} or set the format"
        f" explicitly ({', '.join(READERS)})"
    )


def read_path(
    path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
) -> Iterator[Ad | BadRecord]:
    """Stream the ads and bad records of one input file or folder, in input order.

    `progress(n)` receives the bytes consumed since its last call (compressed bytes for
    gzipped input), so the calls add up to the input's size on disk.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    fmt = options.default_format or detect_format(path)
    reader = READERS.get(fmt)
    if reader is None:
        raise UnsupportedInput(f"{path}: unknown format {fmt!r}; use one of {', '.join(READERS)}")
    return reader(path, options, progress)
