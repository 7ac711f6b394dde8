"""Entities a source states beside the text: the poster's age field, a contact phone field and
the location field.

Why: classified sites ask the poster for an age in a form field (Backpage printed it after the
title as " - 23"), and exports keep such fields as columns (`Ad.meta`, mapped on ingest). An age
stated there is an age like one stated in the text, and one under 18 is the strongest indicator
there is; a phone given there is a contact like one in the text; the location the poster chose
on the site is where the ad says the poster is (the ad's own place, never a search list). So
they become spans like the extractors' ones, with `attrs["origin"] = "field"` and the field's
name.

A field has no place in the ad's text: its span is empty, at offset 0. It is added only when the
text does not state the same value, so that wherever the text does, the text is the evidence.
"""

from __future__ import annotations

import re

from amberline.disk_cache import regex
from amberline.extract.ages import MAX_AGE, MIN_AGE, ORIGIN_FIELD, parse_number
from amberline.extract.base import Extractor
from amberline.model import AGE, META_AGE, META_LOCATION, META_PHONE, PHONE, PLACE, Span

EXTRACTOR = "fields"
# "23", "23 years", "23 yrs old", "twenty-three": the whole field is the age, or it is not one.
_AGE_FIELD = regex(r"\s*([a-z\d -]{1,24}?)\s*(?:y(?:rs?|ears?)?\.?(?:\s*old)?)?\s*",
                        re.IGNORECASE)


def field_age(value: str) -> int | None:
    """The age a source's age field states, or None when it states none (empty, "n/a", out of
    the range ages are reported in)."""
    m = _AGE_FIELD.fullmatch(value)
    if m is None:
        return None
    age = parse_number(m.group(1))
    return age if age is not None and MIN_AGE <= age <= MAX_AGE else None


def field_spans(meta: dict[str, str], text_spans: list[Span], phones: Extractor,
                places: Extractor | None = None) -> list[Span]:
    """Spans for the ad's age, phone and location fields that its text does not already
    state (places only with a place extractor)."""
    out: list[Span] = []
    stated = {(s.kind, s.value) for s in text_spans}
    age = field_age(meta[META_AGE]) if META_AGE in meta else None
    if age is not None and (AGE, age) not in stated:
        out.append(Span(AGE, age, 0, 0, EXTRACTOR, 1.0,
                        {"origin": ORIGIN_FIELD, "field": META_AGE}))
    if META_PHONE in meta:
        for found in phones.extract(meta[META_PHONE]):
            if (PHONE, found.value) not in stated:
                stated.add((PHONE, found.value))
                out.append(Span(PHONE, found.value, 0, 0, EXTRACTOR, found.confidence,
                                {"origin": ORIGIN_FIELD, "field": META_PHONE}))
    if places is not None and meta.get(META_LOCATION, "").strip():
        # The field is a place as "in <field>" is: a lone "Austin" there is the city.
        for found in places.extract("in " + meta[META_LOCATION]):
            if (PLACE, found.value) not in stated:
                stated.add((PLACE, found.value))
                attrs = {k: v for k, v in found.attrs.items() if k != "listed"}
                attrs.update(origin=ORIGIN_FIELD, field=META_LOCATION)
                out.append(Span(PLACE, found.value, 0, 0, EXTRACTOR, found.confidence, attrs))
    return out
