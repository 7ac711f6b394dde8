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
"""

from __future__ import annotations

import re

from amberline.model import Exclusion

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
_PATTERN = re.compile(
    rf"(?P<removed>{_REMOVED})|(?P<disclaimer>{_DISCLAIMER})|(?P<navigation>{_NAVIGATION})",
    re.IGNORECASE,
)
_RULES = {"removed": REMOVED_AD, "disclaimer": DISCLAIMER, "navigation": NAVIGATION}


def find_boilerplate(text: str) -> list[Exclusion]:
    """Every stretch of `text` that the site wrote rather than the poster, in order. A
    `removed_ad` exclusion covers only its notice here; `whole_ad` widens it to its ad."""
    return [
        Exclusion(m.start(), m.end(), _RULES[m.lastgroup or "navigation"], m.group())
        for m in _PATTERN.finditer(text)
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
