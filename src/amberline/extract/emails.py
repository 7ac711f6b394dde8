"""Email addresses, plain and spelled out.

Why: an email address links ads as strongly as a phone, and advertisers who know they are being
screened write it so that naive matchers miss it: "mia at example dot com",
"mia [at] example [dot] com", "mia(at)example(dot)com", "mia @ example . com". Both forms
normalise to the same lower-case canonical address so that linking sees one key.

Two precompiled passes: a strict one for plain addresses, then a looser one for spelled-out
addresses whose top-level domain must be in a list of common TLDs (a spoken "at ... dot ..."
with a rare TLD is usually ordinary prose). Possessive quantifiers keep both passes linear, and
whitespace inside a match is limited to spaces and tabs, so no match crosses a line or the batch
separator "\\n\\f\\n".
"""

from __future__ import annotations

from bisect import bisect_right

from amberline.config_files import packaged
from amberline.disk_cache import regex
from amberline.extract import contact_core
from amberline.extract._prefilter import Prefilter
from amberline.extract.base import Example, Extractor
from amberline.model import EMAIL, Span


def _load_tlds() -> list[str]:
    path = packaged("amberline") / "extract" / "data" / "common_tlds.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.strip().lower() for w in lines if w.strip() and not w.startswith("#")]


_LOCAL_CH = r"A-Za-z0-9._%+\-"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_PLAIN = regex(
    rf"(?<![{_LOCAL_CH}])[A-Za-z0-9_][{_LOCAL_CH}]{{0,63}}+@(?:{_LABEL}\.)+[A-Za-z]{{2,24}}"
    r"(?![A-Za-z0-9\-])"
)
_SP = r"[ \t]"
_AT = (
    rf"(?:{_SP}*+@{_SP}*+|{_SP}*+[\[({{<]{_SP}*+(?i:at){_SP}*+[\])}}>]{_SP}*+"
    rf"|{_SP}++(?i:at){_SP}++)"
)
_DOT = (
    rf"(?:{_SP}*+\.{_SP}*+|{_SP}*+[\[({{<]{_SP}*+(?i:dot){_SP}*+[\])}}>]{_SP}*+"
    rf"|{_SP}++(?i:dot){_SP}++)"
)
# "(?<!@)": a plain address is matched by the strict pass; this pass only sees obfuscated ones.
_OBFUSCATED_TEMPLATE = (
    rf"(?<![{_LOCAL_CH}@])(?P<local>[A-Za-z0-9_][A-Za-z0-9._%+\-]{{0,63}}+){_AT}"
    rf"(?P<domain>(?:{_LABEL}{_DOT})+)(?P<tld>(?i:TLDS))(?![A-Za-z0-9\-])"
)
_SPLIT_DOT = regex(_DOT)
# Hyperscan triggers (see _prefilter): the "@" or spelled "at"; the exact patterns are then
# searched in a window around each.
_TRIGGERS = [r"@", r"[\[({<][ \t]*at[ \t]*[\])}>]|[ \t]at[ \t]"]
# Window around a trigger: local part (<= 64) + spaced "at" before it; after it the domain
# (<= 253) of a plain address, or of a spelled one up to 100 characters (longer spelled domains
# are not found: a failed search scans the whole window, and " at " is a common word).
_BACK, _FORWARD, _FORWARD_SPELLED = 96, 320, 100
_SPOKEN_AT = regex(rf"{_SP}++(?i:at){_SP}++")
# What follows a spelled "at" in any spelled address: the first domain label and a dot (plain
# or spelled). Checked at each trigger before its window is searched.
_DOMAIN_NEXT = regex(
    rf"{_SP}*[A-Za-z0-9][A-Za-z0-9\-]*(?:{_SP}*[.\[({{<]|{_SP}+(?i:dot){_SP})"
)
# "find me at example.com", "photos at example dot com": a spoken "at" after one of these words
# is prose pointing at a website, not an address.
_NOT_LOCAL = frozenset((
    "me", "us", "him", "her", "them", "you", "it", "here", "there", "online", "site", "website",
    "web", "page", "more", "photos", "pics", "pictures", "profile", "ad", "ads", "look", "see",
    "visit", "find", "contact", "book", "available", "only", "or", "and", "also", "email",
    "mail", "reviews", "verified",
))


class EmailExtractor(Extractor):
    """Finds email addresses. value: lower-case canonical address; attrs {"obfuscated": bool}."""

    name = "emails"
    kind = EMAIL

    def __init__(self, engine: str = "auto") -> None:
        tlds = sorted(_load_tlds(), key=len, reverse=True)
        self._obfuscated = regex(_OBFUSCATED_TEMPLATE.replace("TLDS", "|".join(tlds)))
        self._plain_at = Prefilter(_TRIGGERS[:1])
        self._spelled_at = Prefilter(_TRIGGERS, caseless=True)
        self._core = contact_core.use_core(engine)  # the compiled core (see contact_core)

    def extract(self, text: str) -> list[Span]:
        if not self._core:
            return self.extract_reference(text)
        rows, values = contact_core.scan(text)
        name = self.name
        return [
            Span(EMAIL, values[vs:ve], start, end, name, 0.85, {"obfuscated": True})
            if kind == contact_core.EMAIL_SPELLED else
            Span(EMAIL, values[vs:ve], start, end, name, 0.95, {"obfuscated": False})
            for kind, start, end, _, _, vs, ve
            in contact_core.rows_of(rows, contact_core.EMAIL, contact_core.EMAIL_SPELLED)
        ]

    def extract_reference(self, text: str) -> list[Span]:
        """The Python reference of `extract` (the core is held to it)."""
        # A plain address holds no whitespace: search only the token around each "@".
        plain = self._plain_at.find_near(text, _PLAIN, back=_BACK, forward=_FORWARD, token=True)
        spelled = self._spelled_at.find_near(
            text, self._obfuscated, back=_BACK, forward=_FORWARD_SPELLED,
            confirm=(None, _DOMAIN_NEXT))
        spans = [
            Span(EMAIL, m.group().lower(), m.start(), m.end(), self.name, 0.95,
                 {"obfuscated": False})
            for m in plain
        ]
        taken = [(s.start, s.end) for s in spans]  # in order, not overlapping each other
        for m in spelled:
            i = bisect_right(taken, (m.start(), m.end()))
            if any(a < m.end() and m.start() < b for a, b in taken[max(i - 1, 0) : i + 1]):
                continue
            labels = [p for p in _SPLIT_DOT.split(m.group("domain")) if p]
            local = m.group("local").lower().strip(".")
            if not local or (local in _NOT_LOCAL and _SPOKEN_AT.match(text, m.end("local"))):
                continue
            value = f"{local}@{'.'.join(labels).lower()}.{m.group('tld').lower()}"
            spans.append(Span(EMAIL, value, m.start(), m.end(), self.name, 0.85,
                              {"obfuscated": True}))
        spans.sort(key=lambda s: s.start)
        return spans

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("Email Mia_22@Example.com for times", ("mia_22@example.com",)),
            Example("reach me: mia at example dot com", ("mia@example.com",)),
            Example("mia [at] example [dot] com", ("mia@example.com",)),
            Example("mia(at)example(dot)com or ruby @ example . net",
                    ("mia@example.com", "ruby@example.net")),
            Example("meet at noon, dot the i's", ()),
            Example("visit example.com and ask at the desk", ()),
            Example("find me at example.com for photos", ()),
        ]

