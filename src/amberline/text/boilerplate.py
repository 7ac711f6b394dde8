"""Text on a page that is not the ad: removed-ad notices, legal disclaimers, site navigation.

Why: crawled pages carry more than the poster wrote. A page whose ad was taken down still
loads, says the ad "could not be found", and fills the rest with other listings (often job
ads): screened as if it were the ad, their phone numbers become the ad's identifiers and their
towns its places. Sites also add their own text to every ad: an age disclaimer ("I am at least
18 years of age") that is not an age anyone stated, a title suffix naming the site's section
("- Kentucky body rubs - example.com"), "Post ID: 12345 ohio", "Other ads by this user". None
of it says anything about the advertised person, and an entity or flag read from it is wrong.

`find_boilerplate` finds these stretches in (normalised) text, each as an `Exclusion` with the
reason an analyst sees; the pipeline drops every span and flag that overlaps one and keeps the
exclusions on the screening, so nothing is dropped silently. A removed-ad notice excludes the
whole ad (`whole_ad`): what follows it is never the ad. Every rule is a phrase a site writes,
not a poster; a poster could still paste such a phrase to hide an ad, which is why the reason
is always shown with the ad and never hidden.

Reasons: `removed_ad`, `disclaimer`, `navigation`.

Speed: Python's `re` tries every alternative of the pattern at every position of the text,
which cost more than all the rest of an ad's screening together. `find_batch` finds the same
exclusions in a batch of ads by running the pattern only over the ads in which a Hyperscan
trigger fires; each trigger is a superset of what one alternative can match (see `_TRIGGERS`),
so an ad without a trigger has no boilerplate. On crawled pages most ads have a trigger (an
age gate, a title suffix), and `re` over their whole text was still most of their screening,
so with the compiled core the pattern runs on the core's engine (`_core.Pattern`, `re`'s
semantics, handed by the pipeline). `find_boilerplate` stays the reference.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

try:  # pragma: no cover - depends on the platform
    import hyperscan
except ImportError:  # pragma: no cover
    hyperscan = None

from amberline import core, disk_cache
from amberline.disk_cache import regex
from amberline.model import Exclusion
from amberline.text.encoded import encoded

REMOVED_AD = "removed_ad"
DISCLAIMER = "disclaimer"
NAVIGATION = "navigation"

_S = r"[^\S\f]+"  # whitespace inside one ad (form feeds separate the ads of a batch)
_ITEM = r"(?:ad|advert(?:isement)?|post(?:ing)?|listing|page)"
_REMOVED = (
    # "The requested ad could not be found.", "This posting has been removed"
    rf"(?:the|this){_S}(?:requested{_S})?{_ITEM}{_S}"
    rf"(?:could{_S}not|cannot|can(?:no|')t|was{_S}not){_S}(?:be{_S})?found"
    rf"|(?:the|this){_S}{_ITEM}{_S}(?:has{_S}been|was|is){_S}"
    rf"(?:removed|deleted|taken{_S}down|flagged{_S}for{_S}removal|expired)"
    rf"|(?:the|this){_S}{_ITEM}{_S}(?:has{_S})?expired"
    rf"|(?:the|this){_S}{_ITEM}{_S}is{_S}no{_S}longer{_S}(?:available|active|online)"
    rf"|\b{_ITEM}{_S}not{_S}found\b"
    rf"|only{_S}registered{_S}users{_S}are{_S}allowed{_S}to{_S}(?:see|view){_S}this{_S}page"
)
_AGE_WORDS = rf"(?:{_S}(?:years?|yrs?)(?:{_S}of{_S}age|{_S}old)?)?"
_DISCLAIMER = (
    # The site's age gate, in the poster's voice or the reader's: never an age someone stated.
    rf"\bI{_S}am{_S}(?:at{_S}least|over(?:{_S}the{_S}age{_S}of)?){_S}18{_AGE_WORDS}"
    rf"|\b(?:you|visitors?|users?|all{_S}(?:models|persons|people|providers))"
    rf"{_S}(?:must|are{_S}required{_S}to|are|were){_S}(?:be{_S})?"
    rf"(?:at{_S}least|over(?:{_S}the{_S}age{_S}of)?){_S}18{_AGE_WORDS}"
    rf"|\bmust{_S}be{_S}(?:at{_S}least{_S})?18{_AGE_WORDS}(?:{_S}(?:or|and){_S}(?:older|over))?"
    rf"|\bby{_S}(?:entering|using|viewing|continuing){_S}(?:this|the){_S}(?:site|website|page)"
    rf"[^.!?\n\f]{{0,160}}"
)
_NAVIGATION = (
    # "Post ID: 12345 ohio": the id and the site's region slug after it.
    rf"\bpost{_S}id(?:{_S})?:(?:{_S})?\d+(?:{_S}[a-z][a-z.,-]*)?"
    rf"|\bother{_S}ads{_S}by{_S}this{_S}user(?:{_S})?:?"
    # A page-title suffix naming the site's section: "- Kentucky body rubs - example.com".
    rf"|(?<=\S){_S}-{_S}[^\n\f\-]{{1,60}}?{_S}-{_S}(?:www\.)?[a-z0-9-]{{2,40}}"
    rf"\.(?:com|net|org|co\.uk|ca|info|biz)\b"
)
PATTERN = regex(
    rf"(?P<removed>{_REMOVED})|(?P<disclaimer>{_DISCLAIMER})|(?P<navigation>{_NAVIGATION})",
    re.IGNORECASE,
)
_RULES = {"removed": REMOVED_AD, "disclaimer": DISCLAIMER, "navigation": NAVIGATION}


# Hyperscan triggers, one or more per alternative of `PATTERN`: whatever text an alternative
# matches, some trigger matches inside it. They scan the text as ASCII with "?" for every
# other character (as the extractors' prefilters do), caselessly, so each element of an
# alternative maps to a set holding every byte its Python counterpart can match:
# - `{S}`: `_S` (Python whitespace but the form feed; the non-ASCII ones read as "?");
# - `{w(word)}`: the word, with "?" beside each letter that a non-ASCII character matches
#   under `re.IGNORECASE` ("ı" and "İ" for "i", "ſ" for "s", the Kelvin sign for "k"): the
#   running Python's case folds, as the core's tables hold them;
# - `\b`, the look-behind and the parts after a trigger's last element are dropped (a
#   trigger need only be matched somewhere inside each match).
_TRIGGERS = (
    # removed: "... could not (be) found", "cannot be found", "can't be found", "ad not found"
    "(?:{w(not)}|{w(n't)}){S}(?:{w(be)}{S})?{w(found)}",
    # removed: "... (has been|was|is) removed|deleted|taken down|flagged for removal|expired"
    "{w(removed)}|{w(deleted)}|{w(taken)}{S}{w(down)}|{w(flagged)}{S}{w(for)}|{w(expired)}",
    "{w(no)}{S}{w(longer)}",
    "{w(registered)}{S}{w(users)}",
    # disclaimer: "(at least|over|over the age of|must be) 18"
    "(?:{w(least)}|{w(over)}|{w(of)}|{w(be)}){S}18",
    "(?:{w(entering)}|{w(using)}|{w(viewing)}|{w(continuing)}){S}(?:{w(this)}|{w(the)}){S}"
    "(?:{w(site)}|{w(website)}|{w(page)})",
    # navigation
    "{w(post)}{S}{w(id)}",
    "{w(other)}{S}{w(ads)}{S}{w(by)}{S}{w(this)}{S}{w(user)}",
    "{S}-{S}[^\\n\\f-]{{1,60}}{S}-{S}(?:{w(www)}\\.)?{NAME}{{2,40}}\\."
    "(?:{w(com)}|{w(net)}|{w(org)}|{w(co)}\\.{w(uk)}|{w(ca)}|{w(info)}|{w(biz)})",
)


def _trigger_patterns(folding: str) -> list[str]:
    """`_TRIGGERS` written out for the ASCII letters in `folding` (those a non-ASCII
    character matches case-insensitively)."""
    def w(word: str) -> str:
        return "".join(f"[{c}?]" if c in folding else re.escape(c) for c in word)

    name = "[a-z0-9" + "".join(sorted(folding)) + "?-]"
    values = {"S": "[\\t\\n\\x0b\\r\\x1c-\\x1f ?]+", "NAME": name}
    out = []
    for template in _TRIGGERS:
        text = re.sub(r"\{w\(([^)]*)\)\}", lambda m: w(m.group(1)).replace("{", "{{")
                      .replace("}", "}}"), template)
        out.append(text.format(**values))
    return out


class Triggers:
    """The compiled trigger patterns: `ends(text)` gives where any of them matches."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._db = disk_cache.hyperscan_database([p.encode("ascii") for p in patterns],
                                                 [hyperscan.HS_FLAG_CASELESS] * len(patterns))
        self._local = threading.local()  # Hyperscan scratch must not be shared by threads

    def ends(self, text: str) -> list[int]:
        """The end offset of every trigger match in `text` (characters: one byte each)."""
        if not text:
            return []
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        found: list[int] = []

        def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            found.append(end)

        self._db.scan(encoded(text, "ascii"), match_event_handler=on_match, scratch=scratch)
        return found


@cache
def _prefilter() -> Triggers | None:
    """The compiled triggers, or None when the whole pattern must run: without Hyperscan,
    or without the core (the Python reference runs as written)."""
    from amberline.text import native

    if hyperscan is None or native.normaliser() is None:
        return None
    folding = "".join(sorted({chr(letter) for _, letter in native.unicode_tables().folds}))
    return Triggers(_trigger_patterns(folding))


def prepare() -> None:
    """Compile the triggers now (the `Screener` calls it at start-up)."""
    _prefilter()


def find_batch(joined: str, starts: Sequence[int], engine: Any = None) -> list[Exclusion]:
    """`find_boilerplate(joined)` for ads joined by `BATCH_SEPARATOR` (`starts`: where each
    begins), with the pattern run only over the ads in which a trigger fires: by `engine`
    (`PATTERN` on the core's engine, `extract._native.pattern`) when given, else by `re`. No
    match crosses the separator's form feed, so the matches within one ad's stretch (up to
    the next ad) are those the whole text gives there."""
    prefilter = _prefilter()
    if prefilter is None or not starts:
        return find_boilerplate(joined)
    ends = prefilter.ends(joined)
    if not ends:
        return []
    # Each triggered ad and where its last trigger ends: a match holds a trigger's whole
    # match, so none starts at or after that.
    reach: dict[int, int] = {}
    for end in ends:
        ad = bisect_right(starts, end - 1) - 1
        reach[ad] = max(reach.get(ad, 0), end)
    ads = sorted(reach)
    last = len(starts) - 1
    stretches = [(starts[i], starts[i + 1] if i < last else len(joined)) for i in ads]
    if engine is not None:
        return _found_by(engine, joined, ads, [(start, end, reach[i] - 1) for i, (start, end)
                                               in zip(ads, stretches, strict=True)])
    finditer = PATTERN.finditer
    return [
        Exclusion(m.start(), m.end(), _RULES[m.lastgroup or "navigation"], m.group())
        for start, end in stretches
        for m in finditer(joined, start, end)
    ]


# Each rule's group in the engine's rows: (column of the group's start, reason).
_GROUP_COLUMNS = [(3 + 2 * (index - 1), _RULES[name]) for name, index in PATTERN.groupindex.items()]


def _found_by(engine: Any, joined: str, ads: list[int],
              stretches: list[tuple[int, int, int]]) -> list[Exclusion]:
    """The exclusions the core's engine finds in `stretches` of `joined` (those of `ads`;
    each (start, end, the last place a match may start)); a stretch it panicked on fails the
    batch (`core.CoreFailure`, naming its ad)."""
    data, errors = engine.finditer_stretches(core.batch_buffer([joined])[0], stretches)
    core.raise_failures("boilerplate", [(ads[k], message) for k, message in errors])
    rows = np.frombuffer(data, dtype="<i8").reshape(-1, 3 + 2 * PATTERN.groups).tolist()
    # (one top-level group of `PATTERN` takes part in each match: its rule is the reason)
    return [Exclusion(row[1], row[2], next(rule for column, rule in _GROUP_COLUMNS
                                             if row[column] >= 0), joined[row[1]:row[2]])
            for row in rows]


def find_boilerplate(text: str) -> list[Exclusion]:
    """Every stretch of `text` that the site wrote rather than the poster, in order. A
    `removed_ad` exclusion covers only its notice here; `whole_ad` widens it to its ad."""
    return [
        Exclusion(m.start(), m.end(), _RULES[m.lastgroup or "navigation"], m.group())
        for m in PATTERN.finditer(text)
    ]


def whole_ad(found: list[Exclusion], length: int) -> list[Exclusion]:
    """One ad's exclusions with a removed-ad notice widened to the whole ad (offsets 0 to
    `length`), which then replaces every other exclusion: nothing on the page is the ad."""
    for exclusion in found:
        if exclusion.reason == REMOVED_AD:
            return [Exclusion(0, length, REMOVED_AD, exclusion.evidence)]
    return found


def exclusions_of(text: str) -> list[Exclusion]:
    """The exclusions of one ad's text as written (`Ad.text`), with offsets into it: what the
    pipeline finds while screening, found again for an ad read back from the store (they are
    a pure function of the text, so they are not stored)."""
    from amberline.text.normalise import normalise

    norm = normalise(text)
    found = whole_ad(find_boilerplate(norm.text), len(norm.text))
    out = []
    for e in found:
        start, end = norm.to_original(e.start, e.end)
        out.append(Exclusion(start, end, e.reason, e.evidence))
    return out


def is_excluded(start: int, end: int, exclusions: list[Exclusion]) -> bool:
    """Whether the stretch [start, end) overlaps an exclusion (a handful per ad at most)."""
    return any(start < e.end and e.start < end for e in exclusions)
