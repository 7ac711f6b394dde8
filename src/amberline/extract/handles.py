"""Social-media handles with their platform ("snap: mia_22", "IG @mia", "t.me/mia").

Why: ads move contact to messaging apps to avoid phone-number screening, and a handle reused
across ads is as strong a link as a phone. The platform matters to the analyst (which service to
send a preservation request to), so every span carries attrs {"platform": ...}: twitter,
instagram, snapchat, whatsapp, telegram, wechat, kik, or "unknown" for a bare "@mia".

Three precompiled patterns, one pass each:
- a platform word, optional connectors ("me at", "id", ":", "@"), then a handle; short or
  ambiguous platform words ("sc", "ig", "snap", "tg", "insta") need an explicit separator or a
  handle with a digit or "_", and a handle that is a common word (data/not_names.txt) is prose;
- profile links (t.me/mia, wa.me/17035550142, instagram.com/mia, x.com/mia, ...);
- a bare "@handle" not preceded by a word character (which would make it an email).
WhatsApp is phone-based: "whatsapp 703 555 0142" and wa.me links give value = the E.164 phone.
Other values are the handle lower-cased without "@".
"""

from __future__ import annotations

import re
from bisect import bisect_right

from amberline.disk_cache import regex
from amberline.extract import contact_core
from amberline.extract._lookup import fold, term_key
from amberline.extract._prefilter import Prefilter
from amberline.extract.base import Example, Extractor
from amberline.extract.names import load_word_list
from amberline.extract.phones import PhoneExtractor, parse_phone
from amberline.model import HANDLE, Span

_PLATFORM_WORDS = {
    "snapchat": "snapchat", "snap": "snapchat", "sc": "snapchat",
    "instagram": "instagram", "insta": "instagram", "ig": "instagram",
    "twitter": "twitter", "kik": "kik", "telegram": "telegram", "tg": "telegram",
    "wechat": "wechat", "weixin": "wechat", "whatsapp": "whatsapp",
}
# The platform words themselves, lower case: never a person's name ("ask for Ruby, snap: ...").
PLATFORM_WORDS = frozenset(_PLATFORM_WORDS)
_WEAK = frozenset({"snap", "sc", "ig", "insta", "tg"})
_CUE = regex(
    r"(?<![\w@.])(?i:(?P<cue>snap[ \t]?chat|snap|sc|insta(?:gram)?|ig|twitter|kik|telegram|tg"
    r"|we[ \t]?chat|weixin|whats[ \t]?app))(?!\w)"
    r"(?P<conn>(?:[ \t]*+(?:[:=>@\-–]|(?i:id|me|at|is|name|handle|username|user|add|on)(?!\w)))"
    r"{0,4}+)[ \t]*+"
    r"(?:(?P<p>[+(]?\d(?=[\d \t.\-()/]{6}))|(?P<h>[A-Za-z0-9_][A-Za-z0-9_.]{0,29}+)(?![\w@/]))"
)
_SITES = {
    "t.me": "telegram", "telegram.me": "telegram", "wa.me": "whatsapp",
    "instagram.com": "instagram", "instagr.am": "instagram", "twitter.com": "twitter",
    "x.com": "twitter", "snapchat.com/add": "snapchat", "kik.me": "kik",
}
_LINK = regex(
    r"(?<![\w.\-])(?:(?i:https?://))?(?:(?i:www\.))?"
    r"(?P<site>(?i:t\.me|telegram\.me|wa\.me|instagram\.com|instagr\.am|twitter\.com|x\.com"
    r"|snapchat\.com/add|kik\.me))/@?(?P<h>[A-Za-z0-9_.+]{1,30}+)"
)
# Path words on these sites that are pages, not profiles.
_NOT_PROFILE = frozenset({"p", "reel", "reels", "explore", "i", "home", "share", "intent",
                          "search", "stories", "add", "joinchat", "s", "hashtag", "login"})
_BARE = regex(r"(?<![\w@.+\-])@(?P<h>[A-Za-z0-9_][A-Za-z0-9_.]{0,29}+)(?![\w@])")
# Hyperscan triggers (see _prefilter), one per exact pattern, starting where it starts. A link
# may start at its scheme, its "www." or its site; with leftmost start of match, one trigger
# for all three would report only the first of these, and a link whose scheme is glued to a
# word ("-https://x.com/mia") starts at its site: so there is a trigger per start, and the
# last two (_LINK_STARTS) serve the link pattern too.
_SITES_RE = (r"(?:t\.me|telegram\.me|wa\.me|instagram\.com|instagr\.am|twitter\.com|x\.com"
             r"|snapchat\.com/add|kik\.me)/")
_TRIGGERS = [
    r"\b(?:snap[ \t]?chat|snap|sc|insta(?:gram)?|ig|twitter|kik|telegram|tg|we[ \t]?chat|weixin"
    r"|whats[ \t]?app)\b",
    rf"https?://(?:www\.)?{_SITES_RE}",
    r"@",
    rf"www\.{_SITES_RE}",
    _SITES_RE,
]
_LINK_STARTS = frozenset({3, 4})
# The core's platform indices (`_core.CONTACT_PLATFORMS`, checked by the tests) and
# confidence codes (cue, profile link, bare "@").
_CORE_PLATFORMS = ("twitter", "instagram", "snapchat", "whatsapp", "telegram", "wechat", "kik",
                   "unknown")
_CORE_CONFIDENCE = (0.85, 0.9, 0.6)
_HAS_DIGIT_OR_UNDERSCORE = regex(r"[\d_]")
_HAS_LETTER = regex(r"[A-Za-z]")
_DOMAIN_END = regex(r"\.(?:com|net|org|co|io|me|us|uk|ca|info|edu|gov)$", re.IGNORECASE)


class HandleExtractor(Extractor):
    """Finds social handles; value is the lower-case handle (or E.164 phone for WhatsApp)."""

    name = "handles"
    kind = HANDLE

    def __init__(self, default_region: str = "US", engine: str = "auto") -> None:
        self._stop = load_word_list("not_names.txt")
        self._phones = PhoneExtractor(default_region)
        # `folds`: a text holding a letter case-insensitive `re` matches to an ASCII one
        # ("ſnap", a Kelvin sign in "kik.me") is scanned as `folded_view` gives it, so its
        # caseless triggers still start where the exact patterns do, and one such letter in
        # an ad does not make the whole batch be searched with every exact pattern.
        self._prefilter = Prefilter(_TRIGGERS, caseless=True, som=True, folds=True)
        self._core = contact_core.use_core(engine)  # the compiled core (see contact_core)

    def extract(self, text: str) -> list[Span]:
        if not self._core:
            return self.extract_reference(text)
        rows, values = contact_core.scan(text)
        spans: list[Span] = []
        for kind, start, end, platform, conf, vs, ve in contact_core.rows_of(
                rows, contact_core.HANDLE, contact_core.HANDLE_PYTHON):
            if kind == contact_core.HANDLE:
                spans.append(self._span(values[vs:ve], start, end, _CORE_PLATFORMS[platform],
                                        _CORE_CONFIDENCE[conf]))
                continue
            # a WhatsApp phone in this piece: see contact_core
            for span in self.extract_reference(text[start:end]):
                span.start += start
                span.end += start
                spans.append(span)
        return spans

    def extract_reference(self, text: str) -> list[Span]:
        """The Python reference of `extract` (the core is held to it)."""
        spans: list[Span] = []
        exact = [_CUE, _LINK, _BARE]
        if not self._prefilter.available:
            cues, links, bares = (list(p.finditer(text)) for p in exact)
        else:
            hits = [(1 if pid in _LINK_STARTS else pid, start, end)
                    for pid, start, end in self._prefilter.scan(text)]
            cues, links, bares = self._prefilter.find_all(text, exact, hits)
        for m in cues:
            cue = term_key(m.group("cue"))
            platform = _PLATFORM_WORDS[cue]
            if m.group("p") is not None:
                if platform == "whatsapp":
                    self._whatsapp_phone(text, m.start("p"), spans)
                continue
            handle, start = m.group("h").rstrip("."), m.start("h")
            if platform == "whatsapp" or not self._plausible(handle, cue, m.group("conn")):
                continue
            spans.append(self._span(handle.lower(), start, start + len(handle), platform, 0.85))
        for m in links:
            platform = _SITES[fold(m.group("site"))]
            handle = m.group("h").rstrip(".")
            if platform == "whatsapp":
                parsed = parse_phone("+" + handle.lstrip("+"), "US") if handle.strip(
                    "+").isdigit() else None
                if parsed:
                    end = m.start("h") + len(handle)
                    spans.append(self._span(parsed[0], m.start(), end, platform, 0.9))
                continue
            if handle.lower() in _NOT_PROFILE or not _HAS_LETTER.search(handle):
                continue
            end = m.start("h") + len(handle)
            spans.append(self._span(handle.lower(), m.start(), end, platform, 0.9))
        spans.sort(key=lambda s: s.start)
        taken = [(s.start, s.end) for s in spans]
        for m in bares:
            handle = m.group("h").rstrip(".")
            if not _HAS_LETTER.search(handle) or _DOMAIN_END.search(handle):
                continue
            end = m.start("h") + len(handle)
            if _overlaps(taken, m.start(), end):
                continue
            spans.append(self._span(handle.lower(), m.start(), end, "unknown", 0.6))
        spans.sort(key=lambda s: s.start)
        return spans

    def _plausible(self, handle: str, cue: str, conn: str) -> bool:
        if len(handle) < 2 or handle.lower() in self._stop or not _HAS_LETTER.search(handle):
            return False
        if _DOMAIN_END.search(handle):
            return False
        if cue not in _WEAK:
            return True
        explicit = any(ch in conn for ch in ":=>@-–")
        return explicit or _HAS_DIGIT_OR_UNDERSCORE.search(handle) is not None

    def _whatsapp_phone(self, text: str, pos: int, out: list[Span]) -> None:
        for span in self._phones.extract(text[pos : pos + 40]):
            if span.start == 0:
                out.append(self._span(span.value, pos, pos + span.end, "whatsapp", 0.85))
            return

    def _span(self, value: str, start: int, end: int, platform: str, conf: float) -> Span:
        return Span(HANDLE, value, start, end, self.name, conf, {"platform": platform})

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("snap: mia_22, SC- ruby22, sc jade22", ("mia_22", "ruby22", "jade22")),
            Example("IG @mia and insta: ruby", ("mia", "ruby")),
            Example("kik me at mia22 or kik: ruby22", ("mia22", "ruby22")),
            Example("telegram @mia, t.me/ruby", ("mia", "ruby")),
            Example("wa.me/17035550142 or whatsapp 703 555 0142",
                    ("+17035550142", "+17035550142")),
            Example("instagram.com/mia twitter.com/ruby x.com/jade wechat id mia22",
                    ("mia", "ruby", "jade", "mia22")),
            Example("follow @mia_rose, email mia@example.com", ("mia_rose",)),
            Example("Columbia, SC 29201; snap a pic; sc area", ()),
        ]


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """True if [start, end) overlaps a span in `taken` (sorted by start)."""
    i = bisect_right(taken, (start, end)) - 1
    return any(a < end and start < b for a, b in taken[max(i, 0) : i + 2])
