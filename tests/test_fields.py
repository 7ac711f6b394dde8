"""Source-field spans of a batch (`FieldReader.columns`, the batch finish's, made into spans by
`spans`) against the per-ad definition (`field_spans`, the reference's): the same spans, in
the same order, with the same attrs in the same key order, or the test fails. Batches mix ads
with and without each field, values repeated across the batch, fields the text already
states, and hostile values (empty, blank, very long, any code point), read by a fresh reader
and again from its memo. The batch finish, which makes the columns' spans with the text's
(checking what the text states on columns), is held to the reference screening of ads whose
texts state some of their fields, through the core's makers and the Python ones. The place
extractor's `found_each` is held to `extract`.

Every value here is invented.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amberline.extract import fields
from amberline.extract.fields import FieldReader, field_spans
from amberline.model import (
    AGE,
    META_AGE,
    META_LOCATION,
    META_PHONE,
    PHONE,
    PLACE,
    Ad,
    Span,
)
from amberline.pipeline import Screener
from core_support import hostile_texts
from test_finish_batch import _both

_LONG = "Dallas, " * 2000
_LISTED = ", ".join(["Dallas", "Austin", "Houston", "Tulsa", "Reno", "Boise", "Tampa", "Miami",
                     "Denver"])
_VALUES = [
    "17", "19", " 19 yrs ", "nineteen", "23", "n/a", "", "   ", "\t\n", "150",
    "7035550142", "(202) 555-0199", "703 555 0142 / 202 555 0199", "+44 20 7946 0958",
    "703 555 0142 or 703-555-0142", "Dallas, TX and Dallas, TX",
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
    columns = reader.columns(metas, lambda kind: {
        (i, s.value) for i, spans in enumerate(text_spans) for s in spans if s.kind == kind})
    assert (columns is None) == (not first)
    if columns is not None:  # the columns' own shape: each row once, by ad
        assert sorted(columns.order.tolist()) == list(range(len(columns.order)))
        assert columns.ads.tolist() == [i for i, spans in first.items() for _ in spans]
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
        {META_PHONE: "703 555 0142 or 703-555-0142", META_LOCATION: "Dallas, TX and Dallas, TX"},
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
    assert [s.kind for s in got[20]] == [PHONE, PLACE]  # a value found twice: one span


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
    """With and without extra attrs (rows are made once per place and kept: each call after
    the first reads some from there)."""
    places = screener._places
    for extra in ({}, {"origin": "field", "field": META_LOCATION}, {"field": "other"}):
        got = [[(value, confidence, attrs, list(attrs)) for value, confidence, attrs in found]
               for found in places.found_each(texts, extra)]
        want = [[(s.value, s.confidence, attrs, list(attrs))
                 for s in places.extract(text)
                 for attrs in [{**{k: v for k, v in s.attrs.items() if k != "listed"},
                                **extra}]]
                for text in texts]
        assert got == want


def test_fields_every_ad_gives_and_some_do_not(screener: Screener) -> None:
    """A field that every ad of the batch gives (read in one pass), then one that some ads
    lack, or give empty, in the same reader: the same spans as ad by ad."""
    reader = FieldReader(screener._phones, screener._places)
    every = [{META_AGE: age, META_LOCATION: place} for age, place in
             [("23", "Dallas"), ("19", "Austin, TX"), ("23", "Dallas"), ("n/a", "Reno")]]
    _assert_same(screener, every, [[] for _ in every], reader)
    some = [*every, {META_LOCATION: "Tulsa"}, {META_AGE: "20"}, None, {META_PHONE: ""},
            {META_AGE: "", META_LOCATION: ""}]
    stated = [[_STATED[1]], [], [_STATED[4]], [], [], [], [], [], []]
    got = _assert_same(screener, some, stated, reader)
    assert [s.kind for s in got[5]] == [AGE] and [s.kind for s in got[4]] == [PLACE]
    assert [s.kind for s in got[0]] == [PLACE]  # the text states the age


# Texts that state ages, phones and places (some the fields' own), with what moves offsets
# (invisible characters, look-alike digits) and site boilerplate (exclusions).
_TEXT_PIECES = [
    "I am 23", "19 yrs old", "age 17", "call 703 555 0142", "(202) 555-0199", "7０3 5５5 0142",
    "in Dallas, TX", "Austin", "visiting Houston", "Reno and Tulsa", "\u200b", "\u00a0", "\n",
    "Sorry, this posting has been removed by the author", "new in town", "Mia", ". ",
]
_AD_META = st.dictionaries(st.sampled_from([META_AGE, META_PHONE, META_LOCATION]),
                           st.sampled_from(_VALUES[:27]), max_size=3)


def _batched_and_reference(screener: Screener, ads: list[Ad]) -> None:
    batched, reference = _both(screener, ads)
    for ad, got, want in zip(ads, batched, reference, strict=True):
        assert got == want, (ad.text, ad.meta)
        assert [list(s["attrs"]) for s in got["spans"]] == [list(s["attrs"])
                                                            for s in want["spans"]]


def _screened_ads(texts: list[str], metas: list[dict[str, str]]) -> list[Ad]:
    return [Ad(source="test", source_id=str(i), body=text, meta=meta)
            for i, (text, meta) in enumerate(zip(texts, metas, strict=True))]


def test_the_batch_finish_leads_with_fields_the_text_does_not_state(
        screener: Screener, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["I am 23 in Dallas, TX", "I am 23 \u200bin Dallas, TX",
             "\u200b\u200bcall 703 555 0142",
             "Sorry, this posting has been removed by the author. I am 23 in Austin", "",
             "visiting Houston, Reno and Tulsa", "age 19 in Austin"]
    metas = [{META_AGE: "23", META_LOCATION: "Dallas, TX"},
             {META_AGE: "19", META_LOCATION: "Dallas"},
             {META_PHONE: "7035550142", META_LOCATION: "Austin"},
             {META_AGE: "23", META_LOCATION: "Austin"}, {META_AGE: "17"},
             {META_LOCATION: _LISTED}, {}]
    ads = _screened_ads(texts, metas)
    screened = screener.screen_batch(ads)
    fields_of = [[(s.kind, s.value) for s in sc.spans if s.extractor == fields.EXTRACTOR]
                 for sc in screened]
    assert fields_of[0] == []  # the text states both
    assert fields_of[1][0] == (AGE, 19) and (PLACE, "Dallas, TX") not in fields_of[1][1:]
    assert fields_of[4] == [(AGE, 17)] and fields_of[6] == []
    for sc, found in zip(screened, fields_of, strict=True):  # fields lead, empty, at 0
        assert [(s.kind, s.value) for s in sc.spans[:len(found)]] == found
        assert all(s.start == s.end for s in sc.spans[:len(found)])
    _batched_and_reference(screener, ads)
    monkeypatch.setattr(screener, "_made", None)  # the finish's Python makers
    _batched_and_reference(screener, ads)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.lists(st.sampled_from(_TEXT_PIECES), max_size=6).map(" ".join),
                      min_size=1, max_size=8),
       metas=st.lists(_AD_META, min_size=8, max_size=8))
def test_the_batch_finish_states_fields_as_the_reference(
        screener: Screener, texts: list[str], metas: list[dict[str, str]]) -> None:
    _batched_and_reference(screener, _screened_ads(texts, metas[: len(texts)]))


def test_field_rows_join_the_kept_rows_before_their_ads() -> None:
    """`_with_fields` on columns: each ad's field rows, in their order, before its text rows,
    offsets 0, the bounds of each ad's run moved by the rows before it."""
    from amberline.extract.fields import FieldColumns
    from amberline.pipeline import _with_fields

    order = np.array([4, 0, 1, 3, 2], dtype=np.int64)
    ad = np.array([0, 0, 2, 2, 3], dtype=np.int64)
    start, end = np.array([1, 5, 2, 3, 0]), np.array([2, 6, 4, 3, 9])
    cuts = np.array([0, 2, 2, 4, 5], dtype=np.int64)
    columns = FieldColumns([], np.array([1, 0, 2]), np.array([1, 2, 2]))
    got = _with_fields(columns, 5, order, cuts, ad, start, end)
    assert [column.tolist() for column in got] == [
        [4, 0, 6, 5, 7, 1, 3, 2], [0, 2, 3, 7, 8], [0, 0, 1, 2, 2, 2, 2, 3],
        [1, 5, 0, 0, 0, 2, 3, 0], [2, 6, 0, 0, 0, 4, 3, 9]]
