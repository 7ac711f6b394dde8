"""Stream JSON Lines (`.jsonl`, `.ndjson`, `.json`, optionally gzipped) into ads.

Crawls arrive as multi-gigabyte JSON Lines files, so the reader holds one line at a time and
never more than `max_record_bytes` of it: an over-long line is skipped in chunks, not read
whole. Each line is decoded strictly as UTF-8 and parsed on its own, so one corrupt line costs
one record (a `BadRecord` with its line number), never the scan. The byte-level helpers here
(opening plain or gzipped input, bounded line reads, progress by bytes) are shared with the
CSV reader.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from amberline.ingest.codes import Code
from amberline.ingest.json_record import UNREAD, RecordError, quick_decode, reference_decode
from amberline.ingest.records import (
    BadRecord,
    ReadOptions,
    RecordMapper,
    excerpt_of,
    source_stem,
)
from amberline.model import Ad

Progress = Callable[[int], None] | None
READ_ERRORS = (OSError, EOFError, zlib.error)  # corrupt or truncated gzip, I/O failures
_BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 16
_TICK_BYTES = 1 << 20
# The read buffer of an input file. Python's default is the file system's block size (often
# 4 KiB), one read system call per few records; 64 KiB makes them sixteen times fewer, and
# fewer records straddle the buffer's end (readline's slow path). Larger gains little more
# and is memory touched for the first time (page faults) in every process that reads.
_READ_BUFFER = 1 << 16


class ByteMeter:
    """Reports bytes of the *file on disk* consumed (compressed bytes for .gz), in steps of
    about 1 MiB, so a progress bar sized by file size ends exactly at 100%."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self._raw = raw
        self._progress = progress
        self._reported = 0

    def tick(self) -> None:
        if self._progress is None:
            return
        pos = self._raw.tell()
        if pos - self._reported >= _TICK_BYTES:
            self._progress(pos - self._reported)
            self._reported = pos

    def finish(self) -> None:
        if self._progress is None:
            return
        pos = self._raw.tell()
        if pos > self._reported:
            self._progress(pos - self._reported)
            self._reported = pos


@contextmanager
def open_stream(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """(raw file, decoded byte stream): the same object unless the file is gzipped."""
    with open(path, "rb", buffering=_READ_BUFFER) as raw:
        if path.name.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield raw, stream  # type: ignore[misc]
        else:
            yield raw, raw


def read_lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes, bool]]:
    """Yield (1-based line number, line bytes, too_large). A line longer than `limit` bytes
    is returned as its first `limit` bytes with too_large=True; the rest is skipped unread."""
    lineno = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):
            tail = line
            while tail and not tail.endswith(b"\n"):
                tail = stream.readline(_SKIP_CHUNK)
            yield lineno, line[:limit], True
        else:
            yield lineno, line, False


def read_jsonl(
    path: Path, options: ReadOptions, progress: Progress = None
) -> Iterator[Ad | BadRecord]:
    """Yield one `Ad` (or `BadRecord`) per non-blank line of a JSON Lines file.

    Why two paths: orjson reads a line's bytes as they are, checking their UTF-8 itself, which
    spares decoding each line to text and orjson encoding that text back to UTF-8. A line
    `quick_decode` reads as an object is mapped at once; every other line (blank, not UTF-8,
    left to the reference decoder, not an object) goes the path below, which decodes the
    text, reads it as `decode_record` does and gives each refusal its code and message.
    """
    file = str(path)
    mapper = RecordMapper(options, source_stem(path), file, path.parent)
    limit = options.max_record_bytes
    lineno = 0
    seen_content = False
    with open_stream(path) as (raw, stream):
        meter = ByteMeter(raw, progress)
        try:
            for lineno, line, too_large in read_lines(stream, limit):
                if lineno & 1023 == 0:
                    meter.tick()
                if too_large:
                    reason = f"record too large (over {limit} bytes)"
                    yield BadRecord(file, lineno, reason, excerpt_of(line), Code.TOO_LARGE)
                    continue
                if lineno == 1 and line.startswith(_BOM):
                    line = line[len(_BOM) :]
                try:
                    value = quick_decode(line)
                except RecordError as exc:  # a valid line, as the path below would say
                    seen_content = True
                    text = line.decode("utf-8")
                    yield BadRecord(file, lineno, str(exc), excerpt_of(text), exc.code)
                    continue
                if value.__class__ is dict:
                    seen_content = True
                    # Its excerpt (if any) made from the bytes is the text's: they are UTF-8
                    # and begin with an ASCII character ("{" or a space), so the bytes
                    # `excerpt_of` looks at hold the whole line or more whole characters
                    # than an excerpt keeps.
                    yield from mapper.ads(value, lineno, line)
                    continue
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    reason = f"invalid UTF-8 at byte {exc.start + 1} of the line"
                    yield BadRecord(file, lineno, reason, excerpt_of(line), Code.BAD_ENCODING)
                    continue
                if text.isspace():
                    continue  # blank lines hold no record
                first = not seen_content
                seen_content = True
                try:
                    if value is UNREAD:
                        value = reference_decode(text)
                except RecordError as exc:
                    yield BadRecord(file, lineno, str(exc), excerpt_of(text), exc.code)
                    continue
                except json.JSONDecodeError as exc:
                    if first and text.lstrip().startswith("["):
                        reason = (
                            "the file is one JSON array, not JSON Lines (one object per line);"
                            " convert it with: jq -c '.[]' < in.json > out.jsonl"
                        )
                        yield BadRecord(file, lineno, reason, excerpt_of(text), Code.BAD_JSON)
                        return
                    reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
                    yield BadRecord(file, lineno, reason, excerpt_of(text), Code.BAD_JSON)
                    continue
                if not isinstance(value, dict):
                    reason = f"JSON {type(value).__name__} is not an object"
                    yield BadRecord(file, lineno, reason, excerpt_of(text), Code.BAD_JSON)
                    continue
                yield from mapper.ads(value, lineno, text)
        except READ_ERRORS as exc:
            reason = f"cannot read past this point (corrupt or truncated file): {exc}"
            yield BadRecord(file, lineno + 1, reason, "", Code.TRUNCATED)
        meter.finish()
