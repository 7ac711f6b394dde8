"""Where CAP alerts come from: files, folders, and feed URLs (plain CAP, Atom, RSS), polled.

Alert desks receive CAP in several wrappings: a bare `<alert>` document, an Atom feed whose
entries carry the alert inline (`<content type="text/xml">`) or link to it, and RSS whose items
embed the alert or link to it (`<link>`, `<enclosure>`). All of them reduce to a list of
`CapAlert` or `BadAlert`: nothing found in a document is dropped without a reason.

Fetching is a plain `urllib` GET behind a `Fetch` callable, so tests and air-gapped sites can
supply their own; `poll` re-reads a feed on an interval and passes on only documents that changed.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin

from lxml import etree

from amberline.alerts.cap import VERSIONS, BadAlert, CapAlert, CapError, read_alert, xml_parser

ATOM = "http://www.w3.org/2005/Atom"
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")
ALERT_SUFFIXES = (".xml", ".cap", ".atom", ".rss")
MAX_BYTES = 20 * 1024 * 1024
Fetch = Callable[[str], bytes]
Item = CapAlert | BadAlert


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def http_fetch(url: str, timeout: float = 15.0) -> bytes:
    """GET a URL (bounded size); raises OSError on any failure."""
    request = urllib.request.Request(url, headers={"Accept": ", ".join(CAP_TYPES)})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = response.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise OSError(f"{url}: larger than {MAX_BYTES} bytes")
    return data


def _excerpt(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text[:300]


def _one(element: etree._Element, origin: str) -> Item:
    try:
        return read_alert(element, origin)
    except CapError as exc:
        return BadAlert(origin, exc.line, exc.reason, _excerpt(etree.tostring(element)))


def _linked(href: str, base: str, origin: str, fetch: Fetch | None) -> list[Item]:
    url = urljoin(base, href) if base else href
    if fetch is None or not is_url(url):
        return [BadAlert(origin, 0, f"linked alert {url} cannot be fetched from here", url)]
    try:
        return parse_document(fetch(url), url, fetch)
    except OSError as exc:
        return [BadAlert(origin, 0, f"linked alert {url} could not be fetched: {exc}", url)]


def _cap_children(node: etree._Element) -> list[etree._Element]:
    return [e for e in node.iter() if etree.QName(e).namespace in VERSIONS
            and etree.QName(e).localname == "alert"]


def _atom(feed: etree._Element, origin: str, fetch: Fetch | None) -> list[Item]:
    ns = {"a": ATOM}
    out: list[Item] = []
    for n, entry in enumerate(feed.findall("a:entry", ns), 1):
        where = f"{origin}#entry{n}"
        inline = _cap_children(entry)
        if inline:
            out += [_one(alert, where) for alert in inline]
            continue
        content = entry.find("a:content", ns)
        if content is not None and (content.text or "").lstrip().startswith("<"):
            out += parse_document(content.text.strip().encode("utf-8"), where, fetch)
            continue
        links = [lk.get("href", "") for lk in entry.findall("a:link", ns)
                 if lk.get("type", "") in CAP_TYPES or lk.get("rel") == "alternate"]
        if links:
            out += _linked(links[0], origin if is_url(origin) else "", where, fetch)
        else:
            out.append(BadAlert(origin, entry.sourceline or 0, "Atom entry has no CAP alert",
                                _excerpt(etree.tostring(entry))))
    return out


def _rss(root: etree._Element, origin: str, fetch: Fetch | None) -> list[Item]:
    out: list[Item] = []
    for n, item in enumerate(root.iter("item"), 1):
        where = f"{origin}#item{n}"
        inline = _cap_children(item)
        if inline:
            out += [_one(alert, where) for alert in inline]
            continue
        enclosure = item.find("enclosure")
        link = enclosure.get("url") if enclosure is not None else item.findtext("link")
        if link:
            out += _linked(link.strip(), origin if is_url(origin) else "", where, fetch)
        else:
            out.append(BadAlert(origin, item.sourceline or 0, "RSS item has no CAP alert",
                                _excerpt(etree.tostring(item))))
    return out


def parse_document(data: bytes, origin: str, fetch: Fetch | None = None) -> list[Item]:
    """Every alert in one document: a CAP alert, an Atom feed, or an RSS feed."""
    try:
        root = etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        return [BadAlert(origin, line, f"not well-formed XML: {exc.msg}", _excerpt(data))]
    if root.getroottree().docinfo.internalDTD is not None:
        reason = "document type declarations (DTDs) are not accepted in alert feeds"
        return [BadAlert(origin, 1, reason, _excerpt(data))]
    qname = etree.QName(root)
    if qname.namespace in VERSIONS:
        return [_one(root, origin)]
    if qname.namespace == ATOM and qname.localname == "feed":
        return _atom(root, origin, fetch)
    if qname.localname == "rss" or qname.localname == "RDF":
        return _rss(root, origin, fetch)
    reason = f"not a CAP alert, Atom or RSS feed (root element <{qname.localname}>)"
    return [BadAlert(origin, root.sourceline or 0, reason, _excerpt(data))]


def read_target(target: str | Path, fetch: Fetch | None = http_fetch) -> Iterator[Item]:
    """Alerts from a file, every alert file under a folder, or a feed URL."""
    text = str(target)
    if is_url(text):
        if fetch is None:
            raise ValueError(f"{text}: fetching URLs is disabled")
        yield from parse_document(fetch(text), text, fetch)
        return
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in ALERT_SUFFIXES)
    elif path.is_file():
        files = [path]
    else:
        raise FileNotFoundError(f"{path}: no such file, folder or URL")
    for file in files:
        yield from parse_document(file.read_bytes(), str(file), fetch)


def poll(
    url: str,
    interval: float,
    handle: Callable[[list[Item]], None],
    stop: threading.Event | None = None,
    fetch: Fetch = http_fetch,
    max_polls: int | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> int:
    """Read `url` every `interval` seconds and pass what it holds to `handle`.

    Unchanged documents (same bytes as last time) are not passed again; a failed fetch is
    reported to `on_error` and retried at the next interval. Returns the number of polls.
    """
    stop = stop or threading.Event()
    last: bytes | None = None
    polls = 0
    while not stop.is_set() and (max_polls is None or polls < max_polls):
        polls += 1
        try:
            data = fetch(url)
            if data != last:
                last = data
                handle(parse_document(data, url, fetch))
        except OSError as exc:
            if on_error is not None:
                on_error(exc)
        if max_polls is None or polls < max_polls:
            stop.wait(interval)
    return polls
