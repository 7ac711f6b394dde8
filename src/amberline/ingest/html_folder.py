"""Read saved web pages (a folder of `.html`/`.htm` files, or one file) as ads, one per file.

Analysts often have a site saved page by page rather than a structured export. The screened
text must be what a reader of the page saw, not menus, scripts and boilerplate that would
bury the ad's own words and trip indicators on navigation links. So pages are parsed with a
real HTML5 parser (lexbor, via selectolax), the chrome is dropped, and block elements become
line breaks while inline elements do not split words. `html_to_text` is shared with the WARC
reader so a page reads the same whether it came from disk or from a crawl archive.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from amberline.ingest.codes import Code
from amberline.ingest.jsonl import Progress
from amberline.ingest.limits import MAX_HTML_DEPTH, MAX_HTML_NODES
from amberline.ingest.records import (
    BadRecord,
    ReadOptions,
    excerpt_of,
    labelled_meta,
    parse_datetime,
)
from amberline.model import Ad

HTML_SUFFIXES = (".html", ".htm")
DROPPED_TAGS = ["script", "style", "nav", "header", "footer", "noscript", "template", "iframe"]
BLOCK_TAGS = (
    *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset"),
    *("figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main"),
    *("ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
)
BLOCK_SELECTOR = ",".join(BLOCK_TAGS)
_BREAK = "\x1e"  # record separator: marks block edges, removed from the input first
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]{0,30})")
# Void elements, and elements the parser closes when a sibling opens: no depth of their own.
_FLAT = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "p", "li", "dt", "dd", "td", "th", "tr", "option", "optgroup",
})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(slots=True)
class Page:
    """What a page says about itself: visible title and main text, and where it declares
    its canonical address and publication time (often the only date a saved page has)."""

    title: str
    body: str
    url: str | None = None
    posted_at: datetime | None = None


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used): a BOM, else the charset the server declared, else strict UTF-8,
    else the page's own <meta charset>. Raises ValueError when none decodes cleanly, so a
    mis-decoded page is quarantined rather than screened as mojibake."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, "replace"), encoding
    candidates = [declared] if declared else []
    candidates.append("utf-8")
    meta = _META_CHARSET.search(data[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii"))
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    raise ValueError(f"not decodable as {' or '.join(candidates)}")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def html_to_text(html: str) -> Page:
    """Main text of a page: <title> as title; <main>, a single <article>, or <body> as body,
    without script/style/nav/header/footer/noscript, blocks on separate lines."""
    tree = LexborHTMLParser(html.replace(_BREAK, " "))
    title_node = tree.css_first("title")
    title = _collapse(title_node.text()) if title_node is not None else ""
    url = posted = None
    canonical = tree.css_first('link[rel="canonical"]')
    if canonical is not None:
        url = (canonical.attributes.get("href") or "").strip() or None
    published = tree.css_first('meta[property="article:published_time"]')
    if published is not None:
        posted = parse_datetime(published.attributes.get("content"))
    tree.strip_tags(DROPPED_TAGS)
    articles = tree.css("article")
    root = tree.css_first("main") or (articles[0] if len(articles) == 1 else None) or tree.body
    if root is None:
        return Page(title, "", url, posted)
    for node in root.css(BLOCK_SELECTOR):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    lines = (_collapse(piece) for piece in root.text().split(_BREAK))
    return Page(title, "\n".join(line for line in lines if line), url, posted)


def _too_complex(text: str) -> str | None:
    """Why a page is over the node or nesting limits, else None.

    Why before parsing: the HTML5 parser's time grows with the square of the nesting depth (a
    page of deeply nested <div> took minutes), and a C parse cannot be interrupted, so the page is
    measured first with one regex pass over its tags. Elements the parser closes by itself
    (p, li, td, ...) and void elements do not count towards the depth."""
    depth = deepest = nodes = 0
    for match in _TAG.finditer(text):  # stops at the first limit passed
        closing, name = match.group(1), match.group(2).lower()
        if name in _FLAT:
            nodes += not closing
            continue
        if closing:
            depth = max(depth - 1, 0)
            continue
        nodes += 1
        depth += 1
        deepest = max(deepest, depth)
        if nodes > MAX_HTML_NODES:
            return f"over {MAX_HTML_NODES} HTML elements"
        if deepest > MAX_HTML_DEPTH:
            return f"HTML nested over {MAX_HTML_DEPTH} elements deep"
    return None


def page_to_ad(
    data: bytes, *, source: str, source_id: str, file: str, declared: str | None = None
) -> Ad | BadRecord:
    """Decode and parse one page's bytes; a page without any text, or over the HTML limits,
    is a BadRecord."""
    try:
        text, encoding = decode_html(data, declared)
    except ValueError as exc:
        return BadRecord(file, None, f"HTML does not decode: {exc}", excerpt_of(data),
                         Code.BAD_ENCODING)
    problem = _too_complex(text)
    if problem is not None:
        return BadRecord(file, None, problem, excerpt_of(data), Code.BAD_HTML)
    try:
        page = html_to_text(text)
    except (ValueError, RuntimeError) as exc:
        return BadRecord(file, None, f"HTML does not parse: {exc}", excerpt_of(data),
                         Code.BAD_HTML)
    if not page.title and not page.body:
        return BadRecord(
            file, None, "no text: the page has no title or visible text", excerpt_of(data),
            Code.NO_TEXT,
        )
    return Ad(
        source=source,
        title=page.title,
        body=page.body,
        source_id=source_id,
        url=page.url,
        posted_at=page.posted_at,
        raw={"encoding": encoding},
        meta=labelled_meta(page.body),
    )


def _html_files(folder: Path) -> Iterator[Path]:
    """HTML files under `folder`, recursively, in a stable (sorted) order."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(HTML_SUFFIXES):
                yield Path(dirpath, name)


def read_html(
    path: Path, options: ReadOptions, progress: Progress = None
) -> Iterator[Ad | BadRecord]:
    """Yield one `Ad` (or `BadRecord`) per HTML file in a folder (recursively) or for one file.
    The source id is the file's path relative to the folder, with `/` separators."""
    folder = path if path.is_dir() else path.parent
    source = options.source or (path.name if path.is_dir() else folder.name or "html")
    files = _html_files(path) if path.is_dir() else iter([path])
    inside = folder.resolve() if path.is_dir() else None
    for file_path in files:
        file = str(file_path)
        data = _read_page(file_path, inside, options.max_record_bytes, progress)
        if isinstance(data, BadRecord):
            yield data
            continue
        rel = file_path.relative_to(folder).as_posix()
        page = page_to_ad(data, source=source, source_id=rel, file=file)
        if isinstance(page, Ad):
            page.origin_file = file
        yield page


def _read_page(
    file_path: Path, inside: Path | None, limit: int, progress: Progress
) -> bytes | BadRecord:
    """The bytes of one page file, or why it is not read.

    Only regular files are read (a FIFO would hang the scan, /dev/zero fill memory), a
    symbolic link only when it stays inside the scanned folder `inside` (a page must not
    become /etc/passwd), and never more than `limit` bytes whatever the file claims."""
    file = str(file_path)
    size = 0
    try:
        real = file_path.resolve(strict=True)
        if inside is not None and file_path.is_symlink() and not real.is_relative_to(inside):
            return BadRecord(file, None, "a symbolic link out of the scanned folder; not read",
                             "", Code.NOT_REGULAR)
        info = real.stat()
        if not stat.S_ISREG(info.st_mode):
            return BadRecord(file, None, "not a regular file (device, pipe or socket); not read",
                             "", Code.NOT_REGULAR)
        size = info.st_size
        with open(real, "rb") as fh:
            data = fh.read(limit + 1)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        return BadRecord(file, None, f"cannot read file: {exc}", "", Code.UNREADABLE)
    finally:
        if progress is not None:
            progress(size)
    if len(data) > limit:
        return BadRecord(file, None, f"record too large (over {limit} bytes)",
                         excerpt_of(data[:200]), Code.TOO_LARGE)
    return data
