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
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, filterfalse, repeat
from operator import contains, itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from amberline.disk_cache import regex
from amberline.extract._native import SpanColumns
from amberline.extract.ages import MAX_AGE, MIN_AGE, ORIGIN_FIELD, parse_number
from amberline.extract.base import Extractor
from amberline.model import AGE, META_AGE, META_LOCATION, META_PHONE, PHONE, PLACE, Span

if TYPE_CHECKING:
    from amberline.extract.places import PlaceExtractor

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

    def __init__(self, phones: Extractor, places: PlaceExtractor | None = None) -> None:
        self.phones, self.places = phones, places
        self._phones_found: dict[str, _Found] = {}
        self._places_found: dict[str, _Found] = {}

    def columns(self, metas: Sequence[dict[str, str] | None],
                stated: Callable[[str], Collection[tuple[int, Any]]]) -> FieldColumns | None:
        """The field spans of a batch whose ad i has the fields `metas[i]`, as `field_spans`
        gives them ad by ad, or None when there are none; `stated(kind)` holds (i, value) for
        each span of that kind in ad i's text (asked only of kinds a field gives).

        Each field is read column by column (the ads that give it, their values, the rows
        each value gives), by C-level passes rather than Python per ad: a batch's ads share
        their few values, so the rows are the value's own, shared, until the columns are
        made."""
        with_meta = list(compress(range(len(metas)), metas))
        if not with_meta:
            return None
        given = list(compress(metas, metas))
        named = set().union(*given)
        sources: list[SpanColumns] = []
        ads: list[np.ndarray] = []
        for kind, field in ((AGE, META_AGE), (PHONE, META_PHONE), (PLACE, META_LOCATION)):
            if field not in named:
                continue
            try:  # (a source that gives a field mostly gives it in every ad; `Ad.meta`
                # is a plain dict: a missing field raises)
                values = list(map(itemgetter(field), given))
                at: list[int] = with_meta
            except KeyError:
                has = list(map(contains, given, repeat(field)))
                values = list(map(itemgetter(field), compress(given, has)))
                at = list(compress(with_meta, has))
            found = self._found(kind, field, values)
            if not found:
                continue
            rows_of = list(map(found.get, values, repeat(())))
            rows = list(chain.from_iterable(rows_of))
            if not rows:
                continue
            ad = np.repeat(np.fromiter(at, np.int64, len(values)),
                           np.fromiter(map(len, rows_of), np.int64, len(values)))
            told = stated(kind)
            if told:  # the field's rows whose value the ad's text states are left to the text
                left = np.fromiter(map(told.__contains__, zip(ad.tolist(), map(_VALUE, rows),
                                                                   strict=True)), bool, len(rows))
                if left.any():
                    rows = list(compress(rows, (~left).tolist()))
                    ad = ad[~left]
                    if not rows:
                        continue
            found_values = list(map(_VALUE, rows))
            zero = np.zeros(len(rows), dtype=np.int64)
            sources.append(SpanColumns(kind, EXTRACTOR, zero, zero, found_values,
                                       list(map(_CONFIDENCE, rows)),
                                       list(map(dict.copy, map(_ATTRS, rows)))))
            ads.append(ad)
        if not ads:
            return None
        # Rows are numbered one source after the other; each ad's age, phones, places.
        ad = np.concatenate(ads)
        order = np.argsort(ad, kind="stable")
        return FieldColumns(sources, order, ad[order])

    def _found(self, kind: str, field: str, values: list[str]) -> Mapping[str, _Found]:
        """The rows (value, confidence, attrs to copy) of the spans each of `values` of
        `field` gives (none: absent or empty): ages read here, phones and places from the
        memo, and for the values it lacks by one call of the place extractor's `found_each`
        or the phone extractor's `extract` per value; those are kept in the memo."""
        if kind == AGE:
            attrs = {"origin": ORIGIN_FIELD, "field": META_AGE}
            return {value: ((age, 1.0, attrs),) for value in dict.fromkeys(values)
                    if (age := field_age(value)) is not None}
        memo, extractor = ((self._phones_found, self.phones) if kind == PHONE
                           else (self._places_found, self.places))
        if extractor is None:
            return {}
        new = list(filterfalse(memo.__contains__, dict.fromkeys(values)))
        if not new:
            return memo
        fresh = dict(zip(new, _read(extractor, kind, field, new), strict=True))
        if len(memo) < MEMO_SIZE and max(map(len, new)) <= MEMO_LONGEST:
            memo.update(fresh)
            return memo
        # The memo is full, or a value is too long to keep: this batch's own map.
        found = {value: memo[value] for value in dict.fromkeys(values) if value in memo}
        found.update(fresh)
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo.update((value, rows) for value, rows in fresh.items()
                    if len(value) <= MEMO_LONGEST)
        return found

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


_VALUE, _CONFIDENCE, _ATTRS = itemgetter(0), itemgetter(1), itemgetter(2)


def _read(extractor: Extractor, kind: str, field: str, values: list[str]) -> list[_Found]:
    """The rows (value, confidence, attrs to copy) of what `extractor` finds in each of the
    field's `values`, each found value once (`field_spans` checks each against those it
    gave): a place's attrs without the list mark (a field is never a search list), then the
    field's origin and name; a phone's, only those. A location is a place as "in <value>"
    is (a lone "Austin" there is the city); a blank one gives none."""
    extra = {"origin": ORIGIN_FIELD, "field": field}
    if kind == PHONE:
        each = [[(s.value, s.confidence, extra) for s in extractor.extract(value)]
                for value in values]
    else:
        said = [value for value in values if value.strip()]
        read = iter(extractor.found_each(["in " + value for value in said], extra)  # type: ignore[attr-defined]
                    if said else [])
        each = [next(read) if value.strip() else [] for value in values]
    return [tuple(rows) if len(rows) < 2 or len(set(map(_VALUE, rows))) == len(rows)
            else _once(rows) for rows in each]


def _once(rows: list[tuple[Any, float, dict[str, Any]]]) -> _Found:
    """`rows` with each found value once, the first."""
    first: dict[Any, tuple[Any, float, dict[str, Any]]] = {}
    for row in rows:
        first.setdefault(row[0], row)
    return tuple(first.values())
