"""Source-field spans of a batch (`FieldReader.spans`, the batch finish's) against the per-ad
definition (`field_spans`, the reference's): the same spans, in the same order, with the same
attrs in the same key order, or the test fails. Batches mix ads with and without each field,
values repeated across the batch, fields the text already states, and hostile values (empty,
blank, very long, any code point), read by a fresh reader and again from its memo. The place
extractor's `found_each` is held to `extract`.

Every value here is invented.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amberline.extract import fields
from amberline.extract.fields import FieldReader, field_spans
from amberline.model import AGE, META_AGE, META_LOCATION, META_PHONE, PHONE, PLACE, Span
from amberline.pipeline import Screener
from core_support import hostile_texts

_LONG = "Dallas, " * 2000
_LISTED = ", ".join(["Dallas", "Austin", "Houston", "Tulsa", "Reno", "Boise", "Tampa", "Miami",
                     "Denver"])
_VALUES = [
    "17", "19", " 19 yrs ", "nineteen", "23", "n/a", "", "   ", "\t\n", "150",
    "7035550142", "(202) 555-0199", "703 555 0142 / 202 555 0199", "+44 20 7946 0958",
    "Dallas", "Austin", "Dallas, TX", "Downtown, Austin, Dallas", "Springfield, IL",
    "Montréal", "Zürich", "東京", "Paris, France", "Reading", "in", _LISTED, _LONG,
    "1" * 5000, "\ud800Dallas", "Dallas\x00Austin", "Dallas\n\f\nAustin",
]
# Spans an ad's text may state, which a field then must not repeat.
_STATED = [
    Span(AGE, 19, 3, 5, "ages"), Span(AGE, 23, 0, 2, "ages"),
    Span(PHONE, "+17035550142", 5, 15, "phones"), Span(PHONE, "+12025550199", 5, 15, "phones"),
    Span(PLACE, "Dallas, TX", 1, 7, "places"), Span(PLACE, "Austin, TX", 1, 7, "places"),
    Span("name", "Lena", 0, 4, "names"),
]
_META = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from([META_AGE, META_PHONE, META_LOCATION, "other"]),
                    st.one_of(st.sampled_from(_VALUES), hostile_texts(st.sampled_from(_VALUES))),
                    max_size=4),
)


_SCREENER = Screener()
_READER = FieldReader(_SCREENER._phones, _SCREENER._places)  # one memo over all the examples


@pytest.fixture(scope="module")
def screener() -> Screener:
    return _SCREENER


def _seen(spans: list[Span]) -> list[tuple[dict, list]]:
    """Every field of each span, and its attrs' keys in order (stores keep them in order)."""
    return [(asdict(s), list(s.attrs)) for s in spans]


def _assert_same(screener: Screener, metas: list, text_spans: list[list[Span]],
                 reader: FieldReader | None = None) -> dict[int, list[Span]]:
    """The reader's spans of the batch (a fresh reader's, then the same reader's again: from
    its memo) against `field_spans` ad by ad; returns the first."""
    phones, places = screener._phones, screener._places
    reader = reader or FieldReader(phones, places)
    want = {i: found for i, (meta, spans) in enumerate(zip(metas, text_spans, strict=True))
            if meta and (found := field_spans(meta, list(spans), phones, places))}
    first = reader.spans(metas, [list(s) for s in text_spans])
    for got in (first, reader.spans(metas, [list(s) for s in text_spans])):
        assert list(got) == list(want)
        for i, spans in want.items():
            assert _seen(got[i]) == _seen(spans), metas[i]
        attrs = [id(s.attrs) for spans in got.values() for s in spans]
        assert len(set(attrs)) == len(attrs)  # no attrs shared between spans
    return first


def test_a_batch_of_every_kind(screener: Screener) -> None:
    metas = [
        None, {}, {"other": "x"},
        {META_AGE: "17"}, {META_AGE: "17"}, {META_AGE: "n/a"}, {META_AGE: "19"},
        {META_PHONE: "7035550142"}, {META_PHONE: "703 555 0142 / 202 555 0199"},
        {META_LOCATION: "Dallas"}, {META_LOCATION: "Dallas"}, {META_LOCATION: "   "},
        {META_LOCATION: ""}, {META_LOCATION: _LISTED}, {META_LOCATION: _LONG},
        {META_LOCATION: "Montréal"}, {META_LOCATION: "\ud800Dallas"},
        {META_LOCATION: "Dallas\n\f\nAustin"},
        {META_AGE: "23", META_PHONE: "(202) 555-0199", META_LOCATION: "Downtown, Austin, Dallas"},
        {META_AGE: "23", META_PHONE: "(202) 555-0199", META_LOCATION: "Downtown, Austin, Dallas"},
    ]
    text_spans = [[] for _ in metas]
    text_spans[4] = [_STATED[0], Span(AGE, 17, 0, 2, "ages")]  # the text states the field
    text_spans[8] = [_STATED[2]]
    text_spans[10] = [_STATED[4]]
    text_spans[19] = list(_STATED)
    got = _assert_same(screener, metas, text_spans)
    # The batch holds every case: ages, phones and places from fields, some left to the text.
    kinds = {s.kind for spans in got.values() for s in spans}
    assert kinds == {AGE, PHONE, PLACE}
    assert 4 not in got and 10 not in got and 3 in got and 9 in got
    assert not any(s.attrs.get("listed") for spans in got.values() for s in spans)
    assert len(got[13]) > 1  # a list of towns in the field: all kept, none marked listed


def test_no_fields_at_all(screener: Screener) -> None:
    reader = FieldReader(screener._phones, screener._places)
    assert reader.spans([None, {}], [[], []]) == {}
    assert reader.spans([], []) == {}


def test_without_a_place_extractor(screener: Screener) -> None:
    metas = [{META_LOCATION: "Dallas", META_AGE: "17"}, {META_LOCATION: "Austin"}]
    got = FieldReader(screener._phones, None).spans(metas, [[], []])
    assert [[s.kind for s in spans] for spans in got.values()] == [[AGE]]
    assert _seen(got[0]) == _seen(field_spans(metas[0], [], screener._phones, None))


def test_the_memo_across_batches(screener: Screener, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches that share values with earlier ones, through a memo that fills and empties and
    does not keep long values: the same spans throughout."""
    monkeypatch.setattr(fields, "MEMO_SIZE", 3)
    reader = FieldReader(screener._phones, screener._places)
    values = ["Dallas", "Austin", "Tulsa", "Reno", "Dallas", "Miami", _LONG, "   ", "Boise"]
    for start in range(len(values) - 2):
        metas = [{META_LOCATION: v, META_PHONE: "7035550142"} for v in values[start:start + 3]]
        _assert_same(screener, metas, [[] for _ in metas], reader)
        assert len(reader._places_found) <= 3 + len(metas)
        assert _LONG not in reader._places_found


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metas=st.lists(_META, max_size=12),
       stated=st.lists(st.lists(st.sampled_from(_STATED), max_size=4), min_size=12,
                       max_size=12))
def test_hostile_batches(screener: Screener, metas: list, stated: list[list[Span]]) -> None:
    _assert_same(screener, metas, stated[: len(metas)], _READER)
    _assert_same(screener, metas, stated[: len(metas)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(hostile_texts(st.sampled_from([*_VALUES, "in ", " and ", ", "])),
                      max_size=8))
def test_places_found_each_is_extract(screener: Screener, texts: list[str]) -> None:
    places = screener._places
    got = [[(value, confidence, attrs, list(attrs)) for value, confidence, attrs in found]
           for found in places.found_each(texts)]
    want = [[(s.value, s.confidence, unlisted, list(unlisted))
             for s in places.extract(text)
             for unlisted in [{k: v for k, v in s.attrs.items() if k != "listed"}]]
            for text in texts]
    assert got == want
