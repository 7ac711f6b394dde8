"""Where CAP alerts come from: files, folders, and feed URLs (plain CAP, Atom, RSS), polled.

Alert desks receive CAP in several wrappings: a bare `<alert>` document, an Atom feed whose
entries carry the alert inline (`<content type="text/xml">`) or link to it, and RSS whose items
embed the alert or link to it (`<link>`, `<enclosure>`). All of them reduce to a list of
`CapAlert` or `BadAlert`: nothing found in a document is dropped without a reason.

Fetching is hostile-input work: a feed is written by whoever runs the server. `Fetcher` holds
one load's budget (`FetchLimits`: fetches, bytes per fetch and in all, seconds per fetch and
per load), refuses a URL it has already read in that load (a feed linking to itself), and
connects only to public addresses: the address a host name resolves to is checked when the
socket is opened, for redirects too, so no link or redirect reaches a loopback, private or
link-local service unless `allow_networks` names it. A watchdog closes a connection that is
still sending when its time is up, so a server that drips one byte at a time cannot hold a
load. Bodies of fetched documents are never kept: a bad one is quarantined with its size and
digest, not its text. `poll` re-reads a feed on an interval and passes on only documents that
changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import ipaddress
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from amberline.alerts.cap import VERSIONS, BadAlert, CapAlert, CapError, read_alert, xml_parser

ATOM = "http://www.w3.org/2005/Atom"
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")
ALERT_SUFFIXES = (".xml", ".cap", ".atom", ".rss")
MAX_BYTES = 20 * 1024 * 1024
Fetch = Callable[[str], bytes]
Item = CapAlert | BadAlert


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """What one load may fetch. `allow_networks` (CIDR, e.g. "127.0.0.1/32") are addresses
    that may be fetched although they are loopback, private or link-local."""

    max_fetches: int = 100
    max_bytes: int = MAX_BYTES  # one response
    max_total_bytes: int = 5 * MAX_BYTES  # every response of one load
    timeout: float = 15.0  # one connect or read
    fetch_seconds: float = 60.0  # one whole fetch, redirects included
    load_seconds: float = 300.0  # every fetch of one load
    max_redirects: int = 5
    allow_networks: tuple[str, ...] = ()


class FetchRefused(OSError):
    """A fetch not made, or stopped, because of a limit or an address rule."""


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def _allowed(address: str, limits: FetchLimits) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(net, strict=False) for net in limits.allow_networks):
        return True
    return ip.is_global and not ip.is_multicast


class _Watchdog:
    """Shuts every socket of one fetch down when its time is up (a drip of bytes never
    trips a per-read timeout)."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                raise FetchRefused("out of time before connecting")
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # not connected yet, or already closed
                    sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _connector(limits: FetchLimits, watchdog: _Watchdog) -> Callable[..., socket.socket]:
    """`socket.create_connection` that connects only to allowed addresses (checked on the
    address actually connected to, so a name that resolves differently later cannot slip by)."""

    def create(address: tuple[str, int], timeout: Any = None, source_address: Any = None,
               *args: Any) -> socket.socket:
        host, port = address
        last: OSError = OSError(f"{host}: no address")
        for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port,
                                                                    type=socket.SOCK_STREAM):
            if not _allowed(sockaddr[0], limits):
                last = FetchRefused(f"{host} is at {sockaddr[0]}, a loopback, private or "
                                    "link-local address: not fetched (allow its network to "
                                    "permit)")
                continue
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                watchdog.watch(sock)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last

    return create


def _opener(limits: FetchLimits, watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    create = _connector(limits, watchdog)

    class Plain(http.client.HTTPConnection):
        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, **kw)
            self._create_connection = create

    class Secure(http.client.HTTPSConnection):
        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, **kw)
            self._create_connection = create

    class PlainHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(Plain, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(Secure, req)

    redirects = urllib.request.HTTPRedirectHandler()
    redirects.max_redirections = limits.max_redirects
    # No proxies from the environment: the address rule must see the real server.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), PlainHandler,
                                       SecureHandler, redirects)


def http_fetch(url: str, limits: FetchLimits | None = None, seconds: float | None = None
               ) -> bytes:
    """GET a URL within `limits` (size, time, addresses); raises OSError on any failure."""
    limits = limits or FetchLimits()
    seconds = limits.fetch_seconds if seconds is None else min(seconds, limits.fetch_seconds)
    request = urllib.request.Request(url, headers={"Accept": ", ".join(CAP_TYPES)})
    chunks: list[bytes] = []
    size = 0
    with _Watchdog(seconds) as watchdog:
        try:
            with _opener(limits, watchdog).open(request, timeout=limits.timeout) as response:
                while chunk := response.read1(65536):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise FetchRefused(f"{url}: larger than {limits.max_bytes} bytes")
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(getattr(exc, "reason", None), FetchRefused):
                raise exc.reason from None  # type: ignore[attr-defined]  # urllib's wrapping
            if watchdog.expired:
                raise FetchRefused(f"{url}: still sending after {seconds:g} s; "
                                   "stopped") from exc
            if isinstance(exc, OSError):
                raise
            raise OSError(f"{url}: {exc!r}") from exc
    if watchdog.expired:
        raise FetchRefused(f"{url}: still sending after {seconds:g} s; stopped")
    return b"".join(chunks)


@dataclass(slots=True)
class Fetcher:
    """One load's fetching: every fetch counted against one `FetchLimits` budget, and a URL
    already read in this load refused (a feed that links to itself, directly or in a ring)."""

    limits: FetchLimits = field(default_factory=FetchLimits)
    fetches: int = 0
    bytes: int = 0
    seen: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)

    def __call__(self, url: str) -> bytes:
        limits = self.limits
        if url in self.seen:
            raise FetchRefused(f"{url}: already read in this load (a feed that links back to "
                               "itself); not fetched again")
        if self.fetches >= limits.max_fetches:
            raise FetchRefused(f"{url}: not fetched, this load reached its limit of "
                               f"{limits.max_fetches} fetches")
        left = limits.load_seconds - (time.monotonic() - self.started)
        if left <= 0:
            raise FetchRefused(f"{url}: not fetched, this load ran out of its "
                               f"{limits.load_seconds:g} s")
        self.seen.add(url)
        self.fetches += 1
        data = http_fetch(url, limits, seconds=left)
        self.bytes += len(data)
        if self.bytes > limits.max_total_bytes:
            raise FetchRefused(f"{url}: dropped, this load passed its limit of "
                               f"{limits.max_total_bytes} bytes")
        return data


def _fetcher(fetch: Fetch | FetchLimits | None) -> Fetch | None:
    return Fetcher(fetch) if isinstance(fetch, FetchLimits) else fetch


def _excerpt(data: bytes | str, origin: str = "") -> str:
    """What a quarantined document keeps of its text: 300 characters of a local file; of a
    fetched one only its size and digest (a response is not ours to store)."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    if is_url(origin):
        return f"{len(raw)} bytes fetched, sha256 {hashlib.sha256(raw).hexdigest()}"
    return raw.decode("utf-8", "replace")[:300]


def _one(element: etree._Element, origin: str) -> Item:
    try:
        return read_alert(element, origin)
    except CapError as exc:
        excerpt = _excerpt(etree.tostring(element), origin)
        return BadAlert(origin, exc.line, exc.reason, excerpt)


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
                                _excerpt(etree.tostring(entry), origin)))
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
                                _excerpt(etree.tostring(item), origin)))
    return out


def parse_document(data: bytes, origin: str, fetch: Fetch | None = None) -> list[Item]:
    """Every alert in one document: a CAP alert, an Atom feed, or an RSS feed."""
    try:
        root = etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        reason = f"not well-formed XML: {exc.msg}"
        return [BadAlert(origin, line, reason, _excerpt(data, origin))]
    if root.getroottree().docinfo.internalDTD is not None:
        reason = "document type declarations (DTDs) are not accepted in alert feeds"
        return [BadAlert(origin, 1, reason, _excerpt(data, origin))]
    qname = etree.QName(root)
    if qname.namespace in VERSIONS:
        return [_one(root, origin)]
    if qname.namespace == ATOM and qname.localname == "feed":
        return _atom(root, origin, fetch)
    if qname.localname == "rss" or qname.localname == "RDF":
        return _rss(root, origin, fetch)
    reason = f"not a CAP alert, Atom or RSS feed (root element <{qname.localname}>)"
    return [BadAlert(origin, root.sourceline or 0, reason, _excerpt(data, origin))]


def read_target(target: str | Path, fetch: Fetch | FetchLimits | None = FetchLimits()
                ) -> Iterator[Item]:
    """Alerts from a file, every alert file under a folder, or a feed URL.

    `fetch`: limits to fetch URLs and links with (a `Fetcher` of its own for this target),
    a callable (a `Fetcher` shared by several targets, or a site's own), or None for no network.
    """
    text = str(target)
    fetch = _fetcher(fetch)
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
    fetch: Fetch | FetchLimits = FetchLimits(),
    max_polls: int | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> int:
    """Read `url` every `interval` seconds and pass what it holds to `handle`.

    Unchanged documents (same bytes as last time) are not passed again; a failed fetch is
    reported to `on_error` and retried at the next interval. Given limits, each poll is one
    load with a budget of its own. Returns the number of polls.
    """
    stop = stop or threading.Event()
    last: bytes | None = None
    polls = 0
    while not stop.is_set() and (max_polls is None or polls < max_polls):
        polls += 1
        one = Fetcher(fetch) if isinstance(fetch, FetchLimits) else fetch
        try:
            data = one(url)
            if data != last:
                last = data
                handle(parse_document(data, url, one))
        except OSError as exc:
            if on_error is not None:
                on_error(exc)
        if max_polls is None or polls < max_polls:
            stop.wait(interval)
    return polls
