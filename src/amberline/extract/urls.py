"""Web addresses: links to personal sites, booking pages and other listings.

Why: a URL an ad points at (its own site, a review page, a link-in-bio service) is a key that
joins ads across sources. Two forms are found in one precompiled regex: explicit ones
("https://...", "www.example.com") and bare domains ("example.com/mia") whose TLD is in a list
of common TLDs, so that "5.5", "e.g." or "photo.jpg" are not URLs. Email addresses are not URLs:
a domain right after "@" or followed by "@" is skipped (the email extractor owns it), and so is
one after a written-out "at" that makes it an obfuscated address ("mia (at) example.com",
"mia at example.com"; but "find me at example.com" is a link, as the email extractor agrees).

value: the URL with scheme and host lower-cased (path kept as written, trailing sentence
punctuation dropped); attrs {"host": host, "bare": bool}. Bare domains keep no invented scheme,
so the evidence and value agree; linking should key on attrs["host"] plus path.
"""

from __future__ import annotations

from amberline.config_files import packaged
from amberline.disk_cache import regex
from amberline.extract import contact_core
from amberline.extract._prefilter import Prefilter, caseless_literal
from amberline.extract.base import Example, Extractor
from amberline.extract.emails import _NOT_LOCAL
from amberline.model import URL, Span


def _load_tlds() -> list[str]:
    path = packaged("amberline") / "extract" / "data" / "common_tlds.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.strip().lower() for w in lines if w.strip() and not w.startswith("#")]


# TLDs that are also everyday English words or abbreviations ("call.me", "contact.us",
# "log.in"): a bare domain with one of these needs a path or a "www." to count.
_WORDY_TLDS = frozenset({"me", "us", "in", "it", "to", "at", "is", "so", "be", "no", "my", "co"})
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_PATH = r"(?:[/?#][^\s<>\"'`{}|\\^]*+)?"
_TEMPLATE = (
    r"(?<![\w@.\-/])(?<!@[ \t])(?:"
    rf"(?P<scheme>(?i:https?|ftp)://)[^\s<>\"'`{{}}|\\^/]++{_PATH}"
    rf"|(?P<host>(?:{_LABEL}\.)+(?i:TLDS))(?![\w@\-]|\.\w){_PATH}"
    r")"
)
# Hyperscan triggers (see _prefilter): a scheme, or a listed TLD ending a host, spelled as
# case-insensitive `re` matches them; the exact pattern is then searched in the
# whitespace-free token around each.
_TRIGGERS = [r"(?:SCHEMES)://", r"\.(?:TLDS)(?:[^A-Za-z0-9]|$)"]
_BACK, _FORWARD = 300, 4096
_TRAILING = ".,;:!?'\")]}*"
_HOST_END = regex(r"[/?#:]")
# What ends the text before a bare domain that is the domain of an obfuscated address: a local
# part and a spaced "@" or a written "at" ("mia (at) ", "mia [at] ", "mia at ").
_ADDRESS_BEFORE = regex(
    r"(?<![\w.%+\-])(?P<local>[A-Za-z0-9_][A-Za-z0-9._%+\-]{0,63})(?:[ \t]*@[ \t]*"
    r"|[ \t]*[\[({<][ \t]*(?i:at)[ \t]*[\])}>][ \t]*|[ \t]+(?i:at)[ \t]+)$"
)
_ADDRESS_BACK = 80


class UrlExtractor(Extractor):
    """Finds http(s) URLs, "www." addresses and bare domains with common TLDs."""

    name = "urls"
    kind = URL

    def __init__(self, engine: str = "auto") -> None:
        tlds = sorted(_load_tlds(), key=len, reverse=True)
        self._pattern = regex(_TEMPLATE.replace("TLDS", "|".join(tlds)))
        triggers = [t.replace("TLDS", "|".join(map(caseless_literal, tlds)))
                    .replace("SCHEMES", "|".join(map(caseless_literal, ("https", "http", "ftp"))))
                    for t in _TRIGGERS]
        self._prefilter = Prefilter(triggers, caseless=True)
        self._core = contact_core.use_core(engine)  # the compiled core (see contact_core)

    def extract(self, text: str) -> list[Span]:
        if not self._core:
            return self.extract_reference(text)
        rows, _ = contact_core.scan(text)
        spans: list[Span] = []
        for kind, start, end, host_start, host_end, _, _ in contact_core.rows_of(
                rows, contact_core.URL, contact_core.URL_BARE):
            host = text[host_start:host_end].lower()
            value = text[start:host_start].lower() + host + text[host_end:end]
            bare = kind == contact_core.URL_BARE
            spans.append(Span(URL, value, start, end, self.name, 0.8 if bare else 0.95,
                              {"host": host, "bare": bare}))
        return spans

    def extract_reference(self, text: str) -> list[Span]:
        """The Python reference of `extract` (the core is held to it)."""
        spans: list[Span] = []
        matches = self._prefilter.find_near(
            text, self._pattern, back=_BACK, forward=_FORWARD, token=True)
        for m in matches:
            raw = _trim(m.group())
            if not raw:
                continue
            start = m.start()
            scheme = m.group("scheme")
            if scheme:
                rest = raw[len(scheme):]
                host, tail = _split_host(rest)
                if not host or "." not in host:
                    continue
                value = scheme.lower() + host.lower() + tail
                bare = False
            else:
                host, tail = _split_host(raw)
                if not host.lower().startswith("www.") and _in_address(text, start):
                    continue
                tld = host.rsplit(".", 1)[-1].lower()
                if tld in _WORDY_TLDS and not tail[1:] and not host.lower().startswith("www."):
                    continue
                value = host.lower() + tail
                bare = not host.lower().startswith("www.")
            spans.append(Span(URL, value, start, start + len(raw), self.name,
                              0.8 if bare else 0.95, {"host": host.lower(), "bare": bare}))
        return spans

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("See HTTPS://Example.COM/Mia?id=2.", ("https://example.com/Mia?id=2",)),
            Example("menu at www.example.net, or example.org/rates",
                    ("www.example.net", "example.org/rates")),
            Example("write mia@example.com, not a link", ()),
            Example("5.5 stars, e.g. photo.jpg; call.me later", ()),
            Example("link: t.me/mia_22 (new)", ("t.me/mia_22",)),
            Example("mia (at) example.com, ruby [at] example.org, jade at example.net", ()),
            Example("find me at example.com or www.example.org", (
                "example.com", "www.example.org")),
        ]


def _in_address(text: str, start: int) -> bool:
    """Is the domain at `start` the domain of an e-mail address written with a spaced "@" or
    a written "at"? The email extractor finds those; a prose word before "at" is no address,
    nor is a "www." host (checked by the caller)."""
    m = _ADDRESS_BEFORE.search(text, max(0, start - _ADDRESS_BACK), start)
    return m is not None and m.group("local").lower() not in _NOT_LOCAL


def _trim(raw: str) -> str:
    """Drop sentence punctuation after a URL; keep a ")" that closes a "(" inside it."""
    while raw and raw[-1] in _TRAILING:
        if raw[-1] == ")" and raw.count("(") >= raw.count(")"):
            break
        raw = raw[:-1]
    return raw


def _split_host(rest: str) -> tuple[str, str]:
    """Split "host:port/path" into (host, ":port/path"), the tail kept as written."""
    m = _HOST_END.search(rest)
    return (rest[: m.start()], rest[m.start():]) if m else (rest, "")
