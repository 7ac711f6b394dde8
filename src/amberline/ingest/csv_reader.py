"""Stream CSV and TSV exports (optionally gzipped) into ads, one row at a time.

Spreadsheet exports are the other common hand-off from partners, and the messiest: stray bytes
in a legacy encoding, rows cut short, fields with embedded newlines. The `csv` module does the
quoting; this module feeds it one physical line at a time from bytes it decodes itself, so
that it can (a) name the physical line where each row starts, (b) quarantine a row whose bytes
are not UTF-8 without losing the rows around it, and (c) cap a row's size before a runaway
quoted field swallows memory. The header row names the columns; a row with a different number
of fields is quarantined rather than guessed at.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from amberline.ingest.codes import Code
from amberline.ingest.jsonl import READ_ERRORS, ByteMeter, Progress, open_stream
from amberline.ingest.limits import MAX_CSV_FIELD_BYTES
from amberline.ingest.records import (
    BadRecord,
    ReadOptions,
    RecordMapper,
    excerpt_of,
    source_stem,
)
from amberline.model import Ad

_BOM = "\ufeff"


class _RowTooLarge(Exception):
    """Raised through `csv.reader` when the current row passes the size limit."""


class _LineFeeder:
    """The iterator `csv.reader` pulls physical lines from; records what the current row hit.

    `start_row()` is called before each row; afterwards `bad_utf8` holds the first line of the
    row that was not UTF-8 (decoded with replacement so parsing can go on), `head` the row's
    first bytes and `lines` its physical lines (decoded). `push_back` returns lines to be read
    again, as the rows they are, after a stray quote had joined them into one.
    """

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._again: deque[str] = deque()
        self.lines_read = 0
        self.start_row()

    def start_row(self) -> None:
        self.row_bytes = 0
        self.bad_utf8: tuple[int, int] | None = None
        self.head = b""
        self.lines: list[str] = []

    def push_back(self, lines: list[str]) -> None:
        self._again.extendleft(reversed(lines))
        self.lines_read -= len(lines)

    def __iter__(self) -> _LineFeeder:
        return self

    def __next__(self) -> str:
        if self._again:
            text = self._again.popleft()
            self.lines_read += 1
            self.row_bytes += len(text)
            self.head += text.encode("utf-8", "replace")[: max(400 - len(self.head), 0)]
            self.lines.append(text)
            return text
        line = self._stream.readline(self._limit + 1)
        if not line:
            raise StopIteration
        self.lines_read += 1
        self.row_bytes += len(line)
        if len(self.head) < 400:
            self.head += line[: 400 - len(self.head)]
        if self.row_bytes > self._limit:
            tail = line
            while tail and not tail.endswith(b"\n"):
                tail = self._stream.readline(1 << 16)
            raise _RowTooLarge
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.bad_utf8 is None:
                self.bad_utf8 = (self.lines_read, exc.start + 1)
            text = line.decode("utf-8", "replace")
        if self.lines_read == 1 and text.startswith(_BOM):
            text = text[1:]
        self.lines.append(text)
        return text


def _quote_run(row: list[str], lines: list[str], fields: int, dialect: type[csv.Dialect]) -> bool:
    """Whether a row that spans several physical lines is a stray quote's work rather than a
    field with line breaks: a field over the field limit, or two of its later lines (of the
    first 50) that read alone as whole rows of the header's width."""
    if any(len(field) > MAX_CSV_FIELD_BYTES for field in row):
        return True
    whole = 0
    for line in lines[1:51]:
        try:
            parsed = next(csv.reader([line], dialect), [])
        except csv.Error:  # e.g. a bare carriage return: not a row on its own
            continue
        whole += len(parsed) == fields
        if whole >= 2:
            return True
    return False


def _unique(names: list[str]) -> list[str]:
    """Header names made unique (`price`, `price.2`) so no column is overwritten."""
    seen: dict[str, int] = {}
    out = []
    for name in (n.strip() for n in names):
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
    return out


def read_csv(
    path: Path, options: ReadOptions, progress: Progress = None
) -> Iterator[Ad | BadRecord]:
    """Yield one `Ad` (or `BadRecord`) per data row; the first row is the header."""
    file = str(path)
    limit = options.max_record_bytes
    # The csv module's own per-field cap (128 KiB by default) must not undercut ours.
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
    name = path.name.lower().removesuffix(".gz")
    dialect = csv.excel_tab if name.endswith(".tsv") else csv.excel
    mapper = RecordMapper(options, source_stem(path), file, path.parent)
    with open_stream(path) as (raw, stream):
        meter = ByteMeter(raw, progress)
        feeder = _LineFeeder(stream, limit)
        reader = csv.reader(feeder, dialect)
        header: list[str] | None = None
        problem: str | None
        rows = 0
        while True:
            start = feeder.lines_read + 1
            feeder.start_row()
            rows += 1
            if rows & 1023 == 0:
                meter.tick()
            try:
                row = next(reader)
            except StopIteration:
                break
            except _RowTooLarge:
                if header is not None and len(feeder.lines) > 1:
                    yield _swallowed(file, start, feeder)
                    continue
                problem, code = f"record too large (over {limit} bytes)", Code.TOO_LARGE
            except csv.Error as exc:
                problem, code = f"malformed CSV: {exc}", Code.BAD_ROW
            except READ_ERRORS as exc:
                reason = f"cannot read past this point (corrupt or truncated file): {exc}"
                yield BadRecord(file, start, reason, "", Code.TRUNCATED)
                break
            else:
                problem, code = None, Code.BAD_ENCODING
                if feeder.bad_utf8 is not None:
                    line, byte = feeder.bad_utf8
                    problem = f"invalid UTF-8 at line {line}, byte {byte}"
            if problem is not None:
                if header is None:
                    # Without a header no later row can be mapped: stop with one clear reason.
                    problem = f"header row unusable, file not read: {problem}"
                    yield BadRecord(file, start, problem, excerpt_of(feeder.head),
                                    Code.BAD_HEADER)
                    break
                yield BadRecord(file, start, problem, excerpt_of(feeder.head), code)
                continue
            if not row:
                continue  # blank line
            if header is None:
                header = _unique(row)
                continue
            if len(feeder.lines) > 2 and _quote_run(row, feeder.lines, len(header), dialect):
                yield _swallowed(file, start, feeder)
                continue
            if len(row) != len(header):
                reason = f"wrong number of fields: expected {len(header)}, got {len(row)}"
                yield BadRecord(file, start, reason, excerpt_of(feeder.head), Code.BAD_ROW)
                continue
            record = {k: v for k, v in zip(header, row, strict=True) if v != ""}
            yield from mapper.ads(record, start, feeder.head)
        meter.finish()


def _swallowed(file: str, start: int, feeder: _LineFeeder) -> BadRecord:
    """Quarantine the row where a stray quote opened (its first line) and give the lines it
    swallowed back to the reader, which reads them again as the rows they are."""
    swallowed = feeder.lines[1:]
    reason = (f"a quote opened on this line ran over the next {len(swallowed)} lines; this"
              " line is set aside and those lines are read again as rows")
    record = BadRecord(file, start, reason, excerpt_of(feeder.lines[0]), Code.QUOTE_RUN)
    feeder.push_back(swallowed)
    return record
