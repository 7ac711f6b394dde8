"""Per-ad linking keys from an ad's identifier spans, and the linking input of one ad.

Two ads are joined by a key only if the key is written the same way in both, so every key goes
through its kind's normaliser in `amberline.identifiers` (a phone is E.164, an email
lower-case, a handle lower-case without its platform, a URL without scheme, `www.`, fragment
or trailing slash), the same one that watchlists and lookups use; image hashes become keys
there too (`identifiers.image_keys`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from amberline.extract.places import own_places
from amberline.identifiers import (
    PLACE_KEY,
    Md5,
    Pdq,
    key_form,
    keys_from_values,
    location_keys,
    stored_link_keys,
)
from amberline.model import AGE, META_LOCATION, NAME, PRICE, Ad, LinkRecord, Screening, Span

PDQ, MD5 = Pdq.name, Md5.name
# Supporting keys: never an edge on their own (`Linker._place_edges` asks the text to agree).
SUPPORT_KINDS = (PLACE_KEY,)
# The derivation of a stored ad's keys lives beside the normalisers (`amberline.identifiers`),
# where the store can reach it; linking uses it from here.
__all__ = ["MD5", "PDQ", "PLACE_KEY", "SUPPORT_KINDS", "keys_from_spans", "keys_from_values",
           "link_keys", "location_keys", "normalise_key", "record_from_screening",
           "stored_link_keys", "support_keys"]


def normalise_key(kind: str, value: Any, attrs: dict[str, Any] | None = None) -> str | None:
    """The canonical form of an identifier (see `amberline.identifiers`), or None if nothing
    usable is left. Kinds without an identifier type are compared lower-case."""
    return key_form(kind, str(value))


def keys_from_spans(spans: Iterable[Span], source: str | None = None) -> list[tuple[str, str]]:
    """Distinct (kind, normalised value) for the identifier spans, in first-seen order
    (`keys_from_values` of the spans' kinds and values)."""
    return keys_from_values(((s.kind, s.value) for s in spans), source)


def support_keys(ad: Ad) -> list[tuple[str, str]]:
    """The ad's supporting keys (`location_keys` of its typed location, `Ad.meta`)."""
    return location_keys(ad.meta.get(META_LOCATION) if ad.meta else None)


def link_keys(ad: Ad, screening: Screening) -> list[tuple[str, str]]:
    """Every link key of an ad: identifier keys (`keys_from_spans`), then supporting keys."""
    return [*keys_from_spans(screening.spans, ad.source), *support_keys(ad)]


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
