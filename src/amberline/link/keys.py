"""Per-ad linking keys from an ad's identifier spans, and the linking input of one ad.

Two ads are joined by a key only if the key is written the same way in both, so every key goes
through its kind's normaliser in `amberline.identifiers` (a phone is E.164, an email
lower-case, a handle lower-case without its platform, a URL without scheme, `www.`, fragment
or trailing slash), the same one that watchlists and lookups use; image hashes become keys
there too (`identifiers.image_keys`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from amberline.extract.phones import parse_phone_quick
from amberline.extract.places import own_places
from amberline.identifiers import REGISTRY, TEXT_KEY_KINDS, Md5, Pdq, normalise_or_none
from amberline.model import (
    AGE,
    EMAIL,
    META_LOCATION,
    NAME,
    PHONE,
    PRICE,
    URL,
    Ad,
    LinkRecord,
    Screening,
    Span,
)

PDQ, MD5 = Pdq.name, Md5.name
# Supporting keys: never an edge on their own (`Linker._place_edges` asks the text to agree).
PLACE_KEY = "place"
SUPPORT_KINDS = (PLACE_KEY,)
_NOT_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_TEXT_KEY_KINDS = frozenset(TEXT_KEY_KINDS)
_E164_FORM = re.compile(r"\+[0-9]{7,15}")


def normalise_key(kind: str, value: Any, attrs: dict[str, Any] | None = None) -> str | None:
    """The canonical form of an identifier (see `amberline.identifiers`), or None if nothing
    usable is left. Kinds without an identifier type are compared lower-case."""
    return _normalised(kind, str(value))


@lru_cache(maxsize=65536)
def _normalised(kind: str, text: str) -> str | None:
    """`normalise_key` of a value's text, remembered: a crawl repeats its posters' phones and
    handles from ad to ad, and every new ad's keys are computed as it is stored."""
    if kind == PHONE and _E164_FORM.fullmatch(text):
        # What `Phone.normalise` does with this form (nothing to strip, no letter, "+" and
        # 7-15 ASCII digits), without its steps: a screening's phone values all have it.
        parsed = parse_phone_quick(text, "US")
        return parsed[0] if parsed is not None else None
    if kind in REGISTRY:
        return normalise_or_none(kind, text)
    return text.strip().lower() or None


def _host(kind: str, value: str) -> str:
    """The domain of an email or URL key ("" for other kinds)."""
    if kind == EMAIL:
        return value.rpartition("@")[2]
    return value.split("/", 1)[0].split("?", 1)[0] if kind == URL else ""


def keys_from_spans(spans: Iterable[Span], source: str | None = None) -> list[tuple[str, str]]:
    """Distinct (kind, normalised value) for the identifier spans, in first-seen order
    (`keys_from_values` of the spans' kinds and values)."""
    return keys_from_values(((s.kind, s.value) for s in spans), source)


def keys_from_values(values: Iterable[tuple[str, Any]], source: str | None = None
                     ) -> list[tuple[str, str]]:
    """Distinct (kind, normalised value) of the identifier kinds among (kind, value) pairs, in
    first-seen order: an ad's spans, or its stored `identifiers` rows (the same kinds and
    values as text, distinct), which give the same keys.

    Two kinds of address say nothing about who posted an ad, and would join every ad of a site
    or every user of a mail provider, so they are not link keys (the spans stay stored):
    - emails and URLs on the hosting site's own domain (`source`): its report address and
      report page in boilerplate under every ad;
    - a bare domain that is only the domain of an email in the same ad ("name (at)
      example.com" also reads as the URL "example.com").
    """
    seen: dict[tuple[str, str], None] = {}
    for kind, value in values:
        if kind not in _TEXT_KEY_KINDS:
            continue
        # `normalise_key`, without a call per value
        key = _normalised(kind, value if type(value) is str else str(value))
        if key is not None:
            seen[kind, key] = None
    if not seen:
        return []
    site = (source or "").lower().removeprefix("www.")
    mail_domains = {_host(k, v) for k, v in seen if k == EMAIL}
    if not site and not mail_domains:
        return list(seen)
    return [(k, v) for k, v in seen
            if not (site and _host(k, v) == site)
            and not (k == URL and v in mail_domains)]


def support_keys(ad: Ad) -> list[tuple[str, str]]:
    """The ad's supporting keys (`location_keys` of its typed location, `Ad.meta`)."""
    return location_keys(ad.meta.get(META_LOCATION) if ad.meta else None)


def location_keys(raw: Any) -> list[tuple[str, str]]:
    """The supporting key of the location the poster wrote in the site's location field:
    lower-cased, digits masked, punctuation and spacing collapsed; none when it is empty.

    Why the typed location: sites fill it with what the poster typed beside the region they
    picked ("anywhere out to you, downtown"), and an operator types the same words in every
    ad, whatever the text. Many unrelated posters type just a city, so it is never a key on
    its own: a location shared by more than the hub limit makes no edge, and a shared one
    makes an edge only where the texts agree too.
    """
    if not raw:
        return []
    value = _location_value(raw if type(raw) is str else str(raw))
    return [(PLACE_KEY, value)] if value else []


@lru_cache(maxsize=65536)
def _location_value(text: str) -> str:
    """`location_keys`' value of a typed location, remembered: posters repeat their typed
    location from ad to ad, and a link run derives every stored ad's keys again."""
    return " ".join(_NOT_WORD.sub(" ", _DIGIT.sub("0", text.lower())).split())


def link_keys(ad: Ad, screening: Screening) -> list[tuple[str, str]]:
    """Every link key of an ad: identifier keys (`keys_from_spans`), then supporting keys."""
    return [*keys_from_spans(screening.spans, ad.source), *support_keys(ad)]


def stored_link_keys(identifiers: Iterable[tuple[str, Any]], source: str | None,
                     location: Any) -> list[tuple[str, str]]:
    """`link_keys` of a stored ad, from its `identifiers` rows (kind, value) in row order, its
    source and its typed location: the keys are derived when linking, not stored twice."""
    return [*keys_from_values(identifiers, source), *location_keys(location)]


def record_from_screening(ad: Ad, screening: Screening, text: str | None = None) -> LinkRecord:
    """Build the linking input for one screened ad.

    `text` should be the normalised text the screening ran on; without it the ad's own text is
    used (MinHash lower-cases and masks numbers itself, so the difference is small).
    """
    names = [str(s.value) for s in screening.spans_of(NAME)]
    prices: list[float] = []
    for span in screening.spans_of(PRICE):
        amount = span.attrs.get("amount", span.value)
        try:
            prices.append(float(amount))
        except (TypeError, ValueError):
            continue
    city = ad.city
    if city is None:
        places = own_places(screening.spans)
        city = str(places[0].value) if places else None
    return LinkRecord(
        ad_key=ad.key,
        text=text if text is not None else ad.text,
        posted_at=ad.posted_at,
        city=city,
        score=screening.score,
        flags=sorted({f.category for f in screening.flags}),
        names=list(dict.fromkeys(names)),
        prices=prices,
        ages=[s.value for s in screening.spans_of(AGE) if isinstance(s.value, int)],
        keys=link_keys(ad, screening),
        images=list(ad.image_hashes),
    )
