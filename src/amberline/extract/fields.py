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

`field_spans` is the definition, ad by ad (the pipeline's Python reference uses it);
`FieldReader.columns` gives the same spans for a batch as columns (the batch finish has the
core make them with the text's spans, once, at their final offsets, as the extractors'
`SpanColumns`): each distinct field value is read once, the places of a batch's new locations
are found by one call of the place extractor, where one call per ad cost more than the reading
itself, and what the text states is checked on columns, with no span looked at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from amberline.disk_cache import regex
from amberline.extract._native import SpanColumns
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


# Field values whose findings a `FieldReader` keeps (emptied when full), and the longest kept:
# a source repeats its few thousand cities and phones across batches; a value longer than any
# place or phone field is read again rather than kept.
MEMO_SIZE = 65536
MEMO_LONGEST = 256
_Found = tuple[tuple[Any, float, dict[str, Any]], ...]  # (value, confidence, attrs) of spans


class FieldReader:
    """`field_spans` for batches of ads (the batch finish's), as columns: the same spans, with
    each distinct phone or location value read once per batch and remembered across batches,
    and the places of the batch's new locations found by one call of the place extractor.
    The batch finish has the core make the spans of `columns`, at their final offsets, with
    the text's; `spans` makes them here."""

    def __init__(self, phones: Extractor, places: Extractor | None = None) -> None:
        self.phones, self.places = phones, places
        self._phones_found: dict[str, _Found] = {}
        self._places_found: dict[str, _Found] = {}

    def columns(self, metas: Sequence[Mapping[str, str] | None],
                stated: Callable[[str], Container[tuple[int, Any]]]) -> FieldColumns | None:
        """The field spans of a batch whose ad i has the fields `metas[i]`, as `field_spans`
        gives them ad by ad, or None when there are none; `stated(kind)` holds (i, value) for
        each span of that kind in ad i's text (asked only of kinds a field gives)."""
        with_meta = [i for i, meta in enumerate(metas) if meta]
        if not with_meta:
            return None
        given = [metas[i] for i in with_meta]
        ages = [(i, meta[META_AGE]) for i, meta in zip(with_meta, given, strict=True)
                if META_AGE in meta]
        read = {value: field_age(value) for value in dict.fromkeys(v for _, v in ages)}
        age_rows = [(i, age) for i, value in ages if (age := read[value]) is not None]
        if age_rows:
            told = stated(AGE)
            age_rows = [row for row in age_rows if row not in told]
        sources = [_age_columns(age_rows)]
        ads = [i for i, _ in age_rows]
        for kind, field, memo, extractor, prefix in (
                (PHONE, META_PHONE, self._phones_found, self.phones, ""),
                # The field is a place as "in <field>" is: a lone "Austin" there is the city.
                (PLACE, META_LOCATION, self._places_found, self.places, "in ")):
            given_values = [(i, meta[field]) for i, meta in zip(with_meta, given, strict=True)
                            if field in meta]
            found = ({} if extractor is None or not given_values else _found(
                memo, extractor, [v for v in dict.fromkeys(v for _, v in given_values)
                                  if kind == PHONE or v.strip()], field, prefix))
            rows = [(i, *row) for i, value in given_values if value in found
                    for row in found[value]]
            if rows:
                told = stated(kind)
                rows = [row for row in rows if (row[0], row[1]) not in told]
            sources.append(_found_columns(kind, rows))
            ads += [row[0] for row in rows]
        if not ads:
            return None
        # Rows are numbered one source after the other; each ad's age, phones, places.
        ad = np.asarray(ads, dtype=np.int64)
        order = np.argsort(ad, kind="stable")
        return FieldColumns(sources, order, ad[order])

    def spans(self, metas: Sequence[Mapping[str, str] | None],
              text_spans: Sequence[list[Span]]) -> dict[int, list[Span]]:
        """`field_spans(metas[i], text_spans[i], ...)` for each ad i of a batch whose field
        spans are not empty: {i: spans}, by ad (the spans of `columns`)."""
        found = self.columns(metas, lambda kind: {
            (i, s.value) for i, spans in enumerate(text_spans) for s in spans if s.kind == kind})
        if found is None:
            return {}
        made = list(chain.from_iterable(source.spans() for source in found.sources))
        out: dict[int, list[Span]] = {}
        for k, i in zip(found.order.tolist(), found.ads.tolist(), strict=True):
            out.setdefault(i, []).append(made[k])
        return out


@dataclass(frozen=True, slots=True)
class FieldColumns:
    """A batch's field spans: `sources` (one `SpanColumns` by kind: ages, phones, places; each
    span empty, at 0) and `order`, their rows (numbered one source after the other) in the
    order the spans lead their ads' spans, `ads` the ad of each (ascending)."""

    sources: list[SpanColumns]
    order: np.ndarray  # int64
    ads: np.ndarray  # int64


def _age_columns(rows: list[tuple[int, int]]) -> SpanColumns:
    """The age spans of rows (ad, age)."""
    zero = np.zeros(len(rows), dtype=np.int64)
    return SpanColumns(AGE, EXTRACTOR, zero, zero, [age for _, age in rows], [1.0] * len(rows),
                       [{"origin": ORIGIN_FIELD, "field": META_AGE} for _ in rows])


def _found_columns(kind: str, rows: list[tuple[int, Any, float, dict[str, Any]]]
                  ) -> SpanColumns:
    """The spans of `kind` of rows (ad, value, confidence, attrs to copy)."""
    zero = np.zeros(len(rows), dtype=np.int64)
    return SpanColumns(kind, EXTRACTOR, zero, zero, [row[1] for row in rows],
                       [row[2] for row in rows], [row[3].copy() for row in rows])


def _found(memo: dict[str, _Found], extractor: Extractor, values: list[str], field: str,
           prefix: str = "") -> dict[str, _Found]:
    """The field spans' (value, confidence, attrs) of what `extractor` finds in
    `prefix + value` (each found value once), for each of the distinct `values` of `field`
    that it finds anything in (attrs to be copied for each span: a place's without the list
    mark, as a field is never a search list; none of a phone's, as `field_spans`). From
    `memo`, and for the values it lacks by one call of the extractor's `found_each` (the
    place extractor's) or its `extract` per value; those are kept in `memo`."""
    found: dict[str, _Found] = {}
    new: list[str] = []
    for value in values:
        hit = memo.get(value)
        if hit is None:
            new.append(value)
        elif hit:
            found[value] = hit
    if not new:
        return found
    texts = [prefix + value for value in new] if prefix else new
    each = getattr(extractor, "found_each", None)
    rows_of = (each(texts) if each is not None else
               [[(s.value, s.confidence, {}) for s in extractor.extract(t)] for t in texts])
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    for value, rows in zip(new, rows_of, strict=True):
        # A value found twice in one field gives one span (`field_spans` checks each against
        # those it gave).
        first: dict[Any, tuple[Any, float, dict[str, Any]]] = {}
        for found_value, confidence, attrs in rows:
            if found_value not in first:
                first[found_value] = (found_value, confidence,
                                      {**attrs, "origin": ORIGIN_FIELD, "field": field})
        kept = tuple(first.values())
        if kept:
            found[value] = kept
        if len(value) <= MEMO_LONGEST:
            memo[value] = kept
    return found
