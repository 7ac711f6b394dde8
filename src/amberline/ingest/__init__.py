"""Ingest: read ads from files (JSON Lines, CSV/TSV, HTML pages, WARC) as a stream of `Ad`s,
with every record that cannot be read kept as a `BadRecord` for the quarantine."""

from amberline.ingest.images import hash_image
from amberline.ingest.reader import UnsupportedInput, detect_format, read_path
from amberline.ingest.records import BadRecord, ReadOptions

__all__ = [
    "BadRecord",
    "ReadOptions",
    "UnsupportedInput",
    "detect_format",
    "hash_image",
    "read_path",
]
