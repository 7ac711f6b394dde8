"""Read web crawl archives (`.warc`, `.warc.gz`) as ads: one per HTML or text response.

WARC is what crawlers (Heritrix, wget, browsertrix, Common Crawl) write, and it keeps the
evidence an analyst needs later: the exact address and the capture time of every page. The
reader streams record by record with warcio, turns each successful (2xx) `response` with an
HTML or plain-text payload into an ad with the page's main text (the same extraction as saved
HTML files), and ignores the rest of the archive (requests, metadata, images, scripts, styles,
redirects), which are not ads. A record cut short by a truncated download becomes a
`BadRecord` with its byte offset; since a truncated archive cannot be re-synchronised reliably,
reading stops there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from amberline.ingest.codes import Code
from amberline.ingest.html_folder import decode_html, page_to_ad
from amberline.ingest.jsonl import Progress
from amberline.ingest.records import BadRecord, ReadOptions, parse_datetime, source_stem
from amberline.model import Ad

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def _charset(content_type: str) -> str | None:
    match = _CHARSET.search(content_type)
    return match.group(1) if match else None


def _read_up_to(stream: IO[bytes], size: int) -> bytes:
    """Read until EOF or `size` bytes: warcio's readers may return short reads."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_warc(
    path: Path, options: ReadOptions, progress: Progress = None
) -> Iterator[Ad | BadRecord]:
    """Yield one `Ad` (or `BadRecord`) per HTML/text response record of a WARC file.

    url and source_id are the WARC-Target-URI, posted_at the WARC-Date (capture time).
    """
    file = str(path)
    size = path.stat().st_size
    tail = b""
    with open(path, "rb") as raw:
        archive = ArchiveIterator(raw)
        reported = 0
        offset = end = 0
        try:
            for record in archive:
                # Start of this record (warcio sets it before yielding; get_record_offset()
                # would read the record to its end first).
                offset = archive.offset
                if progress is not None and raw.tell() > reported:
                    progress(raw.tell() - reported)
                    reported = raw.tell()
                item = _item(record, options, file, offset)
                missing = _unread(record)
                if missing:
                    reason = (f"truncated WARC record at byte offset {offset} ({missing});"
                              " reading stopped")
                    yield BadRecord(file, None, reason, _uri(record), Code.TRUNCATED)
                    return
                if item is not None:
                    yield item
                end = offset + archive.get_record_length()
        except Exception as exc:  # warcio raises many types on corrupt input; none may stop a scan
            reason = (
                f"corrupt or truncated WARC after byte offset {offset}: {exc!r}; reading stopped"
            )
            yield BadRecord(file, None, reason, "", Code.TRUNCATED)
            return
        finally:
            if progress is not None and raw.tell() > reported:
                progress(raw.tell() - reported)
        raw.seek(end)
        tail = raw.read(4096)
    if tail.strip():  # a record cut inside its headers reads as no record at all
        reason = (f"{size - end} bytes after the last whole record (byte offset {end}) are not"
                  " a record: the file is cut inside a record's headers")
        yield BadRecord(file, None, reason, "", Code.TRUNCATED)


def _uri(record: ArcWarcRecord) -> str:
    return record.rec_headers.get_header("WARC-Target-URI") or ""


def _unread(record: ArcWarcRecord) -> str | None:
    """What the file lacks of this record ("N bytes missing", or its Content-Length when the
    cut fell inside its headers), None when it is whole. The record is read to its end first,
    ad or not, so a cut anywhere in it is seen."""
    declared = (record.rec_headers.get_header("Content-Length") or "").strip()
    if not declared.isdigit():
        return "no Content-Length: cut inside its headers"
    stream = record.raw_stream
    while stream.read(1 << 16):
        pass
    return f"{stream.limit} bytes missing" if stream.limit > 0 else None


def _item(
    record: ArcWarcRecord, options: ReadOptions, file: str, offset: int
) -> Ad | BadRecord | None:
    """The ad of one record, a BadRecord, or None for records that are not ads (requests,
    metadata, images, redirects)."""
    if record.rec_type != "response" or record.http_headers is None:
        return None
    status = record.http_headers.get_statuscode() or ""
    content_type = record.http_headers.get_header("Content-Type") or ""
    kind = content_type.split(";")[0].strip().lower()
    is_html = "html" in kind
    if not status.startswith("2") or not (is_html or kind == "text/plain"):
        return None
    uri = _uri(record)
    limit = options.max_record_bytes
    payload = _read_up_to(record.content_stream(), limit + 1)
    if len(payload) > limit:
        reason = f"record too large (over {limit} bytes) at byte offset {offset}"
        return BadRecord(file, None, reason, uri, Code.TOO_LARGE)
    if record.raw_stream.limit > 0:
        return None  # cut short: `read_warc` reports it
    source = options.source or source_stem(Path(file))
    ad = _to_ad(payload, uri, record, is_html, source, file, offset)
    if isinstance(ad, Ad):
        ad.origin_file = file
    return ad


def _to_ad(
    payload: bytes,
    uri: str,
    record: ArcWarcRecord,
    is_html: bool,
    source: str,
    file: str,
    offset: int,
) -> Ad | BadRecord:
    declared = _charset(record.http_headers.get_header("Content-Type") or "")
    if is_html:
        result = page_to_ad(payload, source=source, source_id=uri, file=file, declared=declared)
    else:
        try:
            text, encoding = decode_html(payload, declared)
        except ValueError as exc:
            return BadRecord(file, None, f"text payload: {exc} (offset {offset})", uri,
                             Code.BAD_ENCODING)
        if not text.strip():
            return BadRecord(file, None, f"no text: empty payload (offset {offset})", uri,
                             Code.NO_TEXT)
        result = Ad(source=source, body=text, source_id=uri, raw={"encoding": encoding})
    if isinstance(result, BadRecord):
        result.reason = f"{result.reason} (byte offset {offset})"
        result.excerpt = uri
        return result
    if result.url and result.url != uri:
        result.raw["canonical_url"] = result.url
    if result.posted_at is not None:
        result.raw["page_published_at"] = result.posted_at.isoformat()
    result.url = uri or None
    result.posted_at = parse_datetime(record.rec_headers.get_header("WARC-Date"))
    result.raw["warc_offset"] = offset
    return result
