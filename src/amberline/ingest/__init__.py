"""Ingest: read ads from files (JSON Lines, CSV/TSV, HTML pages, WARC) as a stream of `Ad`s,
with every record that cannot be read kept as a `BadRecord` for the quarantine.

The names below are imported when first used: a command that only decodes JSON lines
(`amberline extract`) does not pay for the readers' libraries (WARC, fsspec, images).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "BadRecord": "amberline.ingest.records",
    "ReadOptions": "amberline.ingest.records",
    "UnsupportedInput": "amberline.ingest.reader",
    "detect_format": "amberline.ingest.reader",
    "hash_image": "amberline.ingest.images",
    "read_path": "amberline.ingest.reader",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
