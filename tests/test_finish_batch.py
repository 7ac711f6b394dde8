"""The batch finish (`Screener._finish_batch`, used with the compiled core) against the per-ad
reference (`_deal` + `Screener._finish`): identical screenings, or the test fails.

Every field of every screening is compared (spans with their attrs, flags with their
contributions, the score as a float, obfuscations, exclusions) on the synthetic corpus, the
clinical strings of the tests, ads with source fields (field spans), site boilerplate
(exclusions, a removed-ad notice), hypothesis-generated hostile text and huge inputs. Both
paths run in one process on one screener, whichever normaliser is in use.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amberline.model import META_AGE, META_LOCATION, META_PHONE, Ad
from amberline.pipeline import Screener, _Maps
from amberline.text.normalise import JoinedMaps, NormalisedBatch, normalise_batch
from core_support import fixture_strings, hostile_texts

# Clinical pieces that make every kind of span, flag and obfuscation the finish handles:
# ages (minor, near 18, several), names, phones (spelled, look-alike, emoji-separated), an
# email, descriptors, lexicon terms, boilerplate and a removed-ad notice.
_PIECES = [
    "Mia", "Anna", "Sofia", "my name is Lena", "call Kim", "I am 17", "age 18", "19 yrs old",
    "22 years old", " - 23", "five five five", "555 0142", "(703) 555-0142", "7０3 5５5 0142",
    "7🔥0🔥3🔥5🔥5🔥5🔥0🔥1🔥4🔥2", "seven zero three", "lena@example.org", "asian", "latina",
    "new in town", "young", "fresh", "petite", "just turned", "100 roses", "$80 hh",
    "Sorry, this posting has been removed by the author", "Post ID: 12345",
    "\u200b", "\u00a0", "𝟕𝟎𝟑", "ⓐⓝⓝⓐ", "\n", ". ", "Houston", "in Austin, TX",
]
_PIECE = st.sampled_from(_PIECES)
_META = st.dictionaries(
    st.sampled_from([META_AGE, META_PHONE, META_LOCATION]),
    st.one_of(st.sampled_from(["17", "19", "23", "twenty", "7035550142", "Dallas", "n/a", ""]),
              st.text(max_size=12)),
    max_size=3,
)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


def _both(screener: Screener, ads: list[Ad]) -> tuple[list[dict], list[dict]]:
    """(batch finish, reference) screenings of the same ads, as dicts of every field."""
    was = screener._batched
    try:
        screener._batched = True
        batched = [asdict(s) for s in screener.screen_batch(ads)]
        screener._batched = False
        reference = [asdict(s) for s in screener.screen_batch(ads)]
    finally:
        screener._batched = was
    return batched, reference


def _assert_same(screener: Screener, ads: list[Ad]) -> None:
    batched, reference = _both(screener, ads)
    assert len(batched) == len(reference) == len(ads)
    for ad, got, want in zip(ads, batched, reference, strict=True):
        assert got == want, ad.text[:200]


def _ads(texts: list[str], metas: list[dict[str, str]] | None = None) -> list[Ad]:
    metas = metas or [{}] * len(texts)
    return [Ad(source="test", source_id=str(i), body=text, meta=meta)
            for i, (text, meta) in enumerate(zip(texts, metas, strict=True))]


def test_synthetic_corpus(screener: Screener) -> None:
    from amberline.synth.generate import generate

    raw, _truth = generate(1500, 5)
    ads = [Ad(source="synth", source_id=str(i), title=a["title"], body=a["body"])
           for i, a in enumerate(raw)]
    batched, _ = _both(screener, ads[:50])
    assert any(s["flags"] for s in batched) and any(s["obfuscations"] for s in batched)
    for i in range(0, len(ads), 500):
        _assert_same(screener, ads[i : i + 500])


def test_clinical_fixtures(screener: Screener) -> None:
    texts = fixture_strings("test_normalise.py", "test_extract_contact.py",
                            "test_extract_profile.py", "test_extractor_examples.py",
                            "test_indicators.py", "test_boilerplate.py", "test_score.py",
                            "test_pipeline.py", "test_extract_names.py")
    assert len(texts) > 100
    _assert_same(screener, _ads(texts))


def test_what_each_step_handles(screener: Screener) -> None:
    """Field spans, exclusions (a removed-ad notice, a disclaimer), repeated flags on one span,
    empty ads and an ad of only invisible characters, in one batch."""
    texts = [
        "I am 17, call 7🔥0🔥3🔥5🔥5🔥5🔥0🔥1🔥4🔥2 asian petite",
        "Sorry, this posting has been removed by the author. I am 17, call 703 555 0142",
        "Mia and Anna, 19 and 22 years old, latina, young and fresh",
        "",
        "\u200b\u200b\u200b",
        "new in town " * 40,
        "my name is Lena - 23",
    ]
    metas = [{META_AGE: "17"}, {}, {META_PHONE: "7035550142", META_LOCATION: "Dallas"}, {},
             {META_AGE: "19"}, {}, {META_AGE: "23", META_LOCATION: "Austin"}]
    ads = _ads(texts, metas)
    batched, _ = _both(screener, ads)
    assert batched[1]["exclusions"] and not batched[1]["flags"]
    assert any(s["spans"] and s["spans"][0]["extractor"] == "fields" for s in batched)
    assert sum(len(s["flags"]) for s in batched) > 5
    _assert_same(screener, ads)
    for ad in ads:  # one ad alone: the batch's first and last
        _assert_same(screener, [ad])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(hostile_texts(_PIECE), min_size=1, max_size=8),
       metas=st.lists(_META, min_size=8, max_size=8))
def test_hostile_batches(screener: Screener, texts: list[str],
                         metas: list[dict[str, str]]) -> None:
    _assert_same(screener, _ads(texts, metas[: len(texts)]))


def test_huge_inputs(screener: Screener) -> None:
    texts = [
        " ".join(_PIECES) * 60,
        "7🔥0🔥3 five five five \u200b 𝟕𝟎𝟑 " * 3000,
        "I am 17 " * 5000,
        "x" * 200_000,
    ]
    _assert_same(screener, _ads(texts))


def test_derived_flags_without_the_core_function(screener: Screener,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`derive_columns`' Python path (a core without `derive_rows`) gives the same flags."""
    from types import SimpleNamespace

    from amberline.indicators import derived

    monkeypatch.setattr(derived, "core", SimpleNamespace(load=lambda: None,
                                                         provides=lambda name: False))
    test_what_each_step_handles(screener)
    from amberline.synth.generate import generate

    raw, _truth = generate(300, 9)
    _assert_same(screener, [Ad(source="synth", source_id=str(i), title=a["title"],
                               body=a["body"]) for i, a in enumerate(raw)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 2),
                          st.sampled_from(["youth", "control", "price"]),
                          st.sampled_from([0.5, 0.8, 1.0])), max_size=30))
def test_one_per_span_on_columns(rows: list[tuple[int, int, int, str, float]]) -> None:
    """`_one_per_span_rows` keeps the flags `_one_per_span` keeps, ad by ad, in its order."""
    import numpy as np

    from amberline.model import Flag
    from amberline.pipeline import _one_per_span, _one_per_span_rows

    rows = sorted(rows, key=lambda r: (r[0], r[1], r[1] + r[2]))  # stable: ties keep order
    flags = [Flag(cat, "t", s, s + length, w, f"r{k}") for k, (_a, s, length, cat, w)
             in enumerate(rows)]
    ads = np.array([r[0] for r in rows], dtype=np.int64)
    codes = {"youth": 0, "control": 1, "price": 2}
    kept = _one_per_span_rows(
        ads, np.array([f.start for f in flags], dtype=np.int64),
        np.array([f.end for f in flags], dtype=np.int64),
        np.array([codes[f.category] for f in flags], dtype=np.int64),
        np.array([f.weight for f in flags], dtype=np.float64))
    got = [flags[k] for k in np.arange(len(flags))[kept].tolist()]
    want = []
    for a in range(3):
        of_ad = [flag for flag, ad in zip(flags, ads.tolist(), strict=True) if ad == a]
        want += _one_per_span(of_ad) if of_ad else []
    assert [f.rule for f in got] == [f.rule for f in want]


def test_lexicon_flags_from_another_engine() -> None:
    """The batch finish takes the lexicon's flags as flags when the matcher is not the
    core's (a lexicon the core cannot run): the same screenings as the reference."""
    from amberline.indicators.matcher import IndicatorMatcher

    screener = Screener()
    screener.matcher = IndicatorMatcher(screener.lexicon, engine="ahocorasick")
    test_what_each_step_handles(screener)


def test_without_the_core_object_makers(screener: Screener,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch finish's Python makers (flags, screenings, offsets read and set), used with
    a core without them, give the same screenings as the core's."""
    monkeypatch.setattr(screener, "_made", None)
    test_what_each_step_handles(screener)
    test_synthetic_corpus(screener)


def test_core_object_makers_refuse_bad_rows() -> None:
    """Rows that point outside the batch are an error, never a crash or a wrong flag."""
    from amberline import core
    from amberline.model import Flag
    from amberline.pipeline import _FLAG_FIELDS

    made = core.load()
    if made is None or not hasattr(made, "make_flags"):
        pytest.skip("the core is not in use")
    info = [("youth", 1.0, "youth.young", "")]

    def flags(row: list[int], cuts: list[int]) -> list:
        import numpy as np

        return made.make_flags(Flag, _FLAG_FIELDS, info, ["young"], {},
                               np.asarray(row, dtype="<i8").tobytes(),
                               np.zeros(len(row) // 6, dtype="<f8").tobytes(),
                               np.asarray(cuts, dtype="<i8").tobytes())

    [[flag]] = flags([0, 0, 3, 8, 0, 5], [0, 1])
    assert flag == Flag("youth", "young", 3, 8, 1.0, "youth.young", "", 0.0)
    for row, cuts in (([1, 0, 0, 5, 0, 5], [0, 1]), ([0, 1, 0, 5, 0, 5], [0, 1]),
                      ([0, 0, 0, 5, -1, 5], [0, 1]), ([0, 0, 0, 5, 0, 5], [0, 2]),
                      ([0, 0, 0, 5, 0], [0, 1])):
        with pytest.raises(ValueError):
            flags(row, cuts)
    with pytest.raises(ValueError):
        made.place([flag], b"\0" * 8, b"")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["youth", "control", "price"]),
                                   st.sampled_from(["a", "b", "c", "d"]),
                                   st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0])),
                         max_size=12), max_size=6),
       st.sampled_from([0.0, 0.1, 0.25]), st.integers(0, 3))
def test_core_scores_as_the_scorer(ads: list[list[tuple[str, str, float]]], bonus: float,
                                   repeats: int) -> None:
    """The core's `score_rows` gives the scorer's scores and contributions, to the bit."""
    import numpy as np

    from amberline import core
    from amberline.model import Flag
    from amberline.score.scorer import Scorer

    made = core.load()
    if made is None or not hasattr(made, "score_rows"):
        pytest.skip("the core is not in use")
    scorer = Scorer({"youth": 0.45, "control": 0.4, "price": 0.0}, bonus, repeats, "t")
    table = sorted({flag for flags in ads for flag in flags})
    row = {flag: k for k, flag in enumerate(table)}
    codes = {"youth": 0, "control": 1, "price": 2, "a": 0, "b": 1, "c": 2, "d": 3}
    flat = [row[flag] for flags in ads for flag in flags]
    cuts = np.cumsum([0, *map(len, ads)])
    scores, shares = made.score_rows(
        np.asarray([scorer.units_of(c, w) for c, _r, w in table], dtype="<f8").tobytes(),
        np.asarray([codes[c] for c, _r, _w in table], dtype="<i8").tobytes(),
        np.asarray([codes[r] for _c, r, _w in table], dtype="<i8").tobytes(),
        bonus, repeats, np.asarray(flat, dtype="<i8").tobytes(),
        np.asarray(cuts, dtype="<i8").tobytes())
    want_scores, want_shares = [], []
    for flags in ads:
        made_flags = [Flag(c, "t", 0, 1, w, r) for c, r, w in flags]
        want_scores.append(scorer.score(made_flags) if made_flags else 0.0)
        want_shares += [f.contribution for f in made_flags]
    assert np.frombuffer(scores, dtype="<f8").tolist() == want_scores
    assert np.frombuffer(shares, dtype="<f8").tolist() == want_shares


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 6), st.integers(0, 5), st.integers(0, 5),
                          st.booleans()), max_size=40),
       st.integers(0, 5), st.booleans())
def test_core_orders_rows_as_lexsort(rows: list[tuple[int, int, int, bool]], n: int,
                                     keep_all: bool) -> None:
    """The core's `order_rows` gives `np.lexsort`'s order of the kept rows (ties in row
    order) and `np.searchsorted`'s bounds of each ad's run, ads outside 0..n included."""
    import numpy as np

    from amberline import core
    from amberline.pipeline import _ordered

    made = core.load()
    if made is None or not hasattr(made, "order_rows"):
        pytest.skip("the core is not in use")
    ad, start, end, keep = (np.array([r[i] for r in rows], dtype=np.int64) for i in range(4))
    keep = None if keep_all else keep.astype(bool)
    kept = np.arange(len(rows)) if keep is None else np.flatnonzero(keep)
    want = kept[np.lexsort((end[kept], start[kept], ad[kept]))]
    want_cuts = np.searchsorted(ad[want], np.arange(n + 1))
    order, cuts = _ordered(ad, start, end, keep, n, made)
    assert order.tolist() == want.tolist()
    assert cuts.tolist() == want_cuts.tolist()
    with pytest.raises(ValueError):
        made.order_rows(ad.tobytes(), start.tobytes(), end[:-1].tobytes(), b"", n) if rows \
            else made.order_rows(b"", b"", b"", b"\x01", n)


def test_core_orders_rows_at_the_limits_of_its_packed_rows() -> None:
    """`order_rows` sorts each row as one packed number when the ad, start and end fit (a
    batch's do): rows at the largest values that fit, at the first that do not (sorted
    another way), negative and huge ones, give `np.lexsort`'s order and the runs' bounds."""
    import numpy as np

    from amberline import core
    from amberline.pipeline import _ordered

    made = core.load()
    if made is None or not hasattr(made, "order_rows"):
        pytest.skip("the core is not in use")
    for top_ad, top in ((2**20 - 1, 2**22 - 1), (2**20, 2**22 - 1), (2**20 - 1, 2**22),
                        (2**62, -1)):
        ad = np.array([top_ad, 0, top_ad, 1, 0, top_ad, 1], dtype=np.int64)
        start = np.array([top, 0, 3, top, top, top, 0], dtype=np.int64)
        end = np.array([top, top, 3, 0, top, top - 1, 0], dtype=np.int64)
        want = np.lexsort((end, start, ad))
        order, cuts = _ordered(ad, start, end, None, 3, made)
        assert order.tolist() == want.tolist()
        assert cuts.tolist() == np.searchsorted(ad[want], np.arange(4)).tolist()


def _maps_of(texts: list[str], wide: bool) -> tuple[NormalisedBatch, _Maps]:
    """The normalised batch of `texts` and its `_Maps`, the maps widened to int64 if `wide`."""
    norms = normalise_batch(texts)
    if wide:
        joined = norms.maps
        norms._maps = JoinedMaps(joined.ads, joined.lengths, joined.heads.astype("<i8"),
                                 joined.tails.astype("<i8"))
    return norms, _Maps(norms)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=6),
       st.lists(st.tuples(st.integers(-3, 40), st.integers(-3, 40)), max_size=40))
def test_core_locates_and_orders_rows_as_numpy(sizes: list[int],
                                               rows: list[tuple[int, int]]) -> None:
    """The core's `locate_order` deals rows to their ads as `_locate` does (searchsorted,
    local offsets, kept when they end within their ad) and orders the kept ones as
    `_ordered`: the same order, runs and sorted columns; None for a row that starts before
    the first ad (numpy's wrap-around is left to the caller)."""
    import numpy as np

    from amberline import core
    from amberline.pipeline import _locate, _ordered

    made = core.load()
    if made is None or not hasattr(made, "locate_order"):
        pytest.skip("the core is not in use")
    first = np.cumsum([0] + [size + 2 for size in sizes[:-1]]).astype(np.int64)
    last = first + np.asarray(sizes, dtype=np.int64)
    start = np.array([s for s, _ in rows], dtype=np.int64)
    end = start + np.array([e for _, e in rows], dtype=np.int64) // 4
    got = made.locate_order(start.tobytes(), end.tobytes(), first.tobytes(), last.tobytes())
    if (start < 0).any():
        assert got is None
        return
    ad, local_start, local_end, keep = _locate(start, end, first, last)
    order, cuts = _ordered(ad, local_start, local_end, keep, len(sizes), None)
    want = [order, cuts, ad[order], local_start[order], local_end[order]]
    assert got is not None
    assert [np.frombuffer(c, dtype="<i8").tolist() for c in got] == [w.tolist() for w in want]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=5),
       st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30), st.integers(0, 3)),
                max_size=25),
       st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.integers(-1, 2)), max_size=8),
       st.lists(st.tuples(st.integers(0, 7), st.integers(0, 1)), max_size=12),
       st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.5, 1.0, 2.0])), min_size=6,
                max_size=6))
def test_core_flag_rows_as_numpy(sizes: list[int], found: list[tuple[int, int, int]],
                                 spans: list[tuple[int, int, int]],
                                 derived: list[tuple[int, int]],
                                 entries: list[tuple[int, float]]) -> None:
    """The core's `flag_rows` gives the rows the numpy path of `_finish_batch` makes of the
    lexicon's rows and the derived ones (`_locate`, `_ordered`, `_one_per_span_rows`,
    `_cuts`): the same rows in the same order, entries, runs and derived rows on an empty
    span; None for a lexicon row before the first ad. Entries share categories and weights,
    so rows at one place are often one flag."""
    import numpy as np

    from amberline import core
    from amberline.pipeline import _cuts, _locate, _one_per_span_rows, _ordered

    made = core.load()
    if made is None or not hasattr(made, "flag_rows"):
        pytest.skip("the core is not in use")
    n = len(sizes)
    first = np.cumsum([0] + [size + 2 for size in sizes[:-1]]).astype(np.int64)
    last = first + np.asarray(sizes, dtype=np.int64)
    lexicon = np.array([(0, e, s, s + w) for e, s, w in found], dtype=np.int64).reshape(-1, 4)
    sad, sstart, send = (np.array([(a % n, s, s + w) for a, s, w in spans],
                                  dtype=np.int64).reshape(-1, 3)[:, i] for i in range(3))
    derived_rows = np.array([(k, r) for k, r in derived if k < len(spans)],
                            dtype=np.int64).reshape(-1, 2)
    category = np.array([c for c, _ in entries], dtype=np.int64)
    weight = np.array([w for _, w in entries], dtype=np.float64)
    got = made.flag_rows(lexicon.tobytes(), first.tobytes(), last.tobytes(), sad.tobytes(),
                         sstart.tobytes(), send.tobytes(), derived_rows.tobytes(), 4,
                         category.tobytes(), weight.tobytes(), None)
    fad, fstart, fend, fkeep = _locate(lexicon[:, 2], lexicon[:, 3], first, last)
    kept = np.flatnonzero(fkeep)
    at = derived_rows[:, 0]
    gad = np.concatenate([fad[kept], sad[at]])
    gstart = np.concatenate([fstart[kept], sstart[at]])
    gend = np.concatenate([fend[kept], send[at]])
    ginfo = np.concatenate([lexicon[kept, 1], derived_rows[:, 1] + 4])
    gspan = np.concatenate([np.full(len(kept), -1, dtype=np.int64), at])
    order = _ordered(gad, gstart, gend, None, n, None)[0]
    order = order[_one_per_span_rows(gad[order], gstart[order], gend[order],
                                     category[ginfo[order]], weight[ginfo[order]])]
    gad, gstart, gend, ginfo, gspan = (c[order] for c in (gad, gstart, gend, ginfo, gspan))
    named = np.flatnonzero((gspan >= 0) & (gend <= gstart))
    want = [np.column_stack((gad, ginfo, gstart, gend, gstart, gend)).ravel(), ginfo,
            _cuts(gad, n), np.column_stack((named, gspan[named])).ravel()]
    assert got is not None
    assert [np.frombuffer(c, dtype="<i8").tolist() for c in got] == [w.tolist() for w in want]
    before = lexicon.copy()
    before[:, 2] = -1
    assert made.flag_rows(before.tobytes(), first.tobytes(), last.tobytes(), sad.tobytes(),
                          sstart.tobytes(), send.tobytes(), derived_rows.tobytes(), 4,
                          category.tobytes(), weight.tobytes(), None) is None or not len(found)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_PIECE, max_size=6).map(" ".join), min_size=1, max_size=6),
       st.booleans())
def test_core_maps_rows_as_to_original(texts: list[str], wide: bool) -> None:
    """The core's `map_rows` gives the columns `_Maps.to_original` gives (every start and
    end of each ad's normalised text, a negative ad counting from the end), with int32 or
    int64 maps; an offset outside a moved ad's text raises IndexError, as numpy does."""
    import numpy as np

    from amberline import core

    made = core.load()
    if made is None or not hasattr(made, "map_rows"):
        pytest.skip("the core is not in use")
    norms, maps = _maps_of(texts, wide)
    if not maps.any:
        return
    rows = [(i, s, e) for i in range(len(texts)) for s in range(len(norms.texts[i]) + 1)
            for e in (s - 1, s, s + 1) if e <= len(norms.texts[i])]
    rows += [(-1, 0, 0), (-len(texts), 0, 0)]
    ad, start, end = (np.array([r[i] for r in rows], dtype=np.int64) for i in range(3))
    want = maps.to_original(ad, start, end)
    got = maps.to_original(ad, start, end, made)
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    moved = maps.ads[0]
    for bad in ((moved, 0, len(norms.texts[moved]) + 1), (moved, -1, 0), (len(texts), 0, 0)):
        column = [np.array([v], dtype=np.int64) for v in bad]
        with pytest.raises(IndexError):
            maps.to_original(*column)
        with pytest.raises(IndexError):
            maps.to_original(*column, made)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_PIECE, max_size=6).map(" ".join), min_size=1, max_size=6),
       st.booleans())
def test_core_maps_items_as_to_original(texts: list[str], wide: bool) -> None:
    """The core's `map_items` gives each item the offsets `_Maps.to_original` gives it (the
    Python `_map_items`), in moved and unmoved ads, with int32 or int64 maps; an offset
    outside its ad's text raises IndexError and leaves every item as it was."""
    from dataclasses import replace

    from amberline import core
    from amberline.model import Obfuscation
    from amberline.pipeline import _map_items

    made = core.load()
    if made is None or not hasattr(made, "map_items"):
        pytest.skip("the core is not in use")
    norms, maps = _maps_of(texts, wide)
    if not maps.any:
        return
    # Every (start, end) of each ad's normalised text, plus its obfuscations.
    groups = [[Obfuscation(s, e, "k", "") for s in range(len(norms.texts[i]) + 1)
               for e in (s - 1, s, s + 1) if e <= len(norms.texts[i])] + norms.obfuscations[i]
              for i in range(len(texts))]
    ads = list(range(len(texts)))
    want = [[replace(o) for o in group] for group in groups]
    _map_items(maps, want, ads)
    got = [[replace(o) for o in group] for group in groups]
    _map_items(maps, got, ads, made)
    assert got == want
    moved = maps.ads[0]
    bad = [Obfuscation(0, 1, "k", ""), Obfuscation(0, len(norms.texts[moved]) + 1, "k", "")]
    with pytest.raises(IndexError):
        made.map_items([bad], [moved], maps.core_columns())
    assert bad[0] == Obfuscation(0, 1, "k", "")


class _Kind(str):
    """A kind that is a str subclass: compared by Python, not by content."""


class _Attrs(dict):
    """Attrs whose `get` is its own: read through the method, as the reference reads it."""

    def get(self, key: object, default: object = None) -> object:
        return "ethnicity" if key == "kind" else super().get(key, default)


_ODD_VALUES = st.one_of(
    st.integers(-3, 40), st.integers(2**63 - 2, 2**70), st.integers(-(2**70), -(2**63)),
    st.booleans(), st.none(), st.floats(allow_nan=True),
    st.sampled_from(["17", "19", "x", "", " 18 ", "Mia", "MIA", "ß", "SS", "\ud800", "Ⅻ"]),
)
_ODD_ATTRS = st.one_of(
    st.none(), st.just({}),
    st.fixed_dictionaries({}, optional={
        "origin": st.sampled_from(["text", "field", _Kind("text"), None, 1]),
        "kind": st.sampled_from(["ethnicity", "height_cm", _Kind("ethnicity"), None])}),
    st.builds(_Attrs),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(
    st.integers(0, 2),
    st.sampled_from(["age", "name", "descriptor", "phone", "email", "handle", "place", "url",
                     _Kind("age"), _Kind("name"), _Kind("phone"), "Age", "ag\ud800e"]),
    _ODD_VALUES, st.integers(0, 6), st.integers(1, 3),
    st.sampled_from([1.0, 0.7, 0.6, 0.69999, 1, 0, True]), _ODD_ATTRS), max_size=14),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 8), st.integers(0, 3),
                       st.sampled_from(["spelled_digits", "homoglyph", "nbsp", "x"])),
             max_size=4))
@example(found=[(0, "name", "Mia", 0, 3, 1.0, {}), (0, "name", "MIA", 4, 3, 0.7, None),
                (0, "name", "ß", 8, 1, 1.0, {}), (0, "name", "SS", 9, 2, 1.0, {}),
                (1, "age", 2**64, 0, 2, 1.0, {}), (1, "age", "17", 3, 2, 1.0, {}),
                (1, "age", True, 6, 2, 1.0, {"origin": "field"}),
                (1, _Kind("age"), 19, 9, 2, 1, {"origin": _Kind("text")}),
                (2, "descriptor", "x", 0, 1, 1.0, _Attrs()),
                (2, "phone", "x", 2, 2, 1.0, None)],
         hidden=[(2, 3, 1, "spelled_digits")])
@example(found=[(0, "age", float("inf"), 0, 2, 1.0, {}), (0, "age", float("nan"), 3, 2, 1.0, {}),
                (0, "age", 16.0, 6, 2, 1.0, {})], hidden=[])
def test_derived_rows_on_odd_values(found: list[tuple], hidden: list[tuple]) -> None:
    """`derive_columns` (the core's `derive_rows` and its Python path) gives the flags of
    `derive_flags`, ad by ad and in order, whatever the spans hold: ints too large for the
    core's fast path, strings and floats (infinite too) as ages, str subclasses as kinds,
    attrs that are None, empty or a dict with its own `get`, names that fold alike or hold a
    lone surrogate, confidences of any numeric type."""
    import numpy as np

    from amberline.indicators import derived
    from amberline.model import Obfuscation, Span

    found = sorted(found, key=lambda row: row[0])
    spans = [Span(kind, value, start, start + length, "t", confidence,
                  None if attrs is None else attrs)  # type: ignore[arg-type]
             for _ad, kind, value, start, length, confidence, attrs in found]
    ads = [row[0] for row in found]
    obfuscations = [[Obfuscation(s, s + length, kind, "") for a, s, length, kind in hidden
                     if a == ad] for ad in range(3)]
    want = []
    for ad in range(3):
        of_ad = [span for span, a in zip(spans, ads, strict=True) if a == ad]
        made = derived.derive_flags(of_ad, obfuscations[ad], "t" * 20) if of_ad else []
        want += [(ad, flag.start, flag.end, flag.rule) for flag in made]
    rules = derived.derived_rules(derived.load_lexicon())
    ids = [rules[name].id for name in derived.DERIVED_RULES]
    columns = (np.asarray(ads, dtype=np.int64),
               np.asarray([s.start for s in spans], dtype=np.int64),
               np.asarray([s.end for s in spans], dtype=np.int64))
    got_core = derived.derive_columns(spans, *columns, obfuscations).tolist()
    got_python = derived._derive_rows(spans, *(c.tolist() for c in columns), obfuscations,
                                      [sorted(ids).index(i) for i in ids]).tolist()
    for got in (got_core, got_python):
        assert [(ads[k], spans[k].start, spans[k].end, ids[rule]) for k, rule in got] == want


def test_core_object_makers_on_any_class() -> None:
    """The core's `make_objects` makes what the class's `__init__` makes for a plain slotted
    dataclass (its own or inherited slots; tracked by the collector like any such object),
    and goes through `setattr` where a class has its own (a frozen dataclass refuses)."""
    import dataclasses
    import gc

    from amberline import core

    made = core.load()
    if made is None or not hasattr(made, "make_objects"):
        pytest.skip("the core is not in use")

    @dataclasses.dataclass(slots=True)
    class Base:
        a: object
        b: object

    @dataclasses.dataclass(slots=True)
    class Derived(Base):
        c: object = None

    @dataclasses.dataclass(frozen=True, slots=True)
    class Frozen:
        a: object

    class Seen:
        __slots__ = ("a", "b")

        def __setattr__(self, name: str, value: object) -> None:
            object.__setattr__(self, name, (name, value))

    values = [[1, [2]], ["x", None], [3.5, "y"]]
    [one, two] = made.make_objects(Base, ["a", "b"], [values[0][:2], values[1][:2]])
    assert (one, two) == (Base(1, "x"), Base([2], None)) and gc.is_tracked(one)
    objects = made.make_objects(Derived, ["a", "b", "c"], values)
    assert objects == [Derived(1, "x", 3.5), Derived([2], None, "y")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.make_objects(Frozen, ["a"], [[1]])
    [seen] = made.make_objects(Seen, ["a", "b"], [[1], [2]])
    assert (seen.a, seen.b) == (("a", 1), ("b", 2))
    with pytest.raises(AttributeError):
        made.make_objects(Base, ["a", "nope"], [[1], [2]])


def test_batch_keys_are_the_ads_keys() -> None:
    """`_keys` (the batch finish's keys) gives each ad's `key`: sources escaped, several in
    a batch, no id (the content hash)."""
    from amberline.pipeline import _keys

    ads = [Ad(source=source, source_id=source_id, body=body)
           for source in ("s", "a:b", "100%", "sha256", "")
           for source_id in ("1", "x:y", None, "")
           for body in ("one", "two")]
    assert _keys(ads) == [ad.key for ad in ads]


def test_core_offsets_read_and_set_on_any_class() -> None:
    """The core's `offsets` and `place` read and set `start` and `end` as `getattr` and
    `setattr` do, on a list mixing classes: slotted records, a plain class (instance dict),
    a class with its own `__setattr__`, one with a property."""
    import numpy as np

    from amberline import core
    from amberline.model import Exclusion, Obfuscation, Span

    made = core.load()
    if made is None or not hasattr(made, "place"):
        pytest.skip("the core is not in use")

    class Plain:
        def __init__(self) -> None:
            self.start, self.end = 1, 2

    class Doubling:
        __slots__ = ("end", "start")

        def __setattr__(self, name: str, value: int) -> None:
            object.__setattr__(self, name, 2 * value)

    class Shifted:
        def __init__(self) -> None:
            self._start, self.end = 0, 0

        @property
        def start(self) -> int:
            return self._start + 100

        @start.setter
        def start(self, value: int) -> None:
            self._start = value

    items = [Span("age", 1, 3, 4, "t"), Plain(), Obfuscation(5, 6, "x", ""), Doubling(),
             Shifted(), Exclusion(7, 8, "r", "e"), Span("age", 1, 9, 10, "t")]
    count = len(items)
    starts = np.arange(count, dtype="<i8") * 10
    made.place(items, starts.tobytes(), (starts + 1).tobytes())
    want = [(s, s + 1) for s in starts.tolist()]
    want[3] = (2 * want[3][0], 2 * want[3][1])
    want[4] = (want[4][0] + 100, want[4][1])
    assert [(item.start, item.end) for item in items] == want
    got = made.offsets(items)
    assert list(zip(*(np.frombuffer(b, dtype="<i8").tolist() for b in got), strict=True)) == want


def test_core_slots_read_and_set_as_their_descriptors() -> None:
    """The core reads and sets a slot where the object keeps it only as the slot's own
    descriptor would: an unset slot raises AttributeError as `getattr` does, a subclass with
    slots of its own and one whose property hides a slot are each read as theirs, alternating
    in one list, and the value a slot held is released when it is set."""
    import weakref

    import numpy as np

    from amberline import core

    made = core.load()
    if made is None or not hasattr(made, "place"):
        pytest.skip("the core is not in use")

    class Slotted:
        __slots__ = ("end", "start")

    class Wider(Slotted):
        __slots__ = ("before",)

    class Hidden(Slotted):
        __slots__ = ()

        @property
        def start(self) -> int:
            return 100

        @start.setter
        def start(self, value: int) -> None:
            Slotted.start.__set__(self, value + 1)

    class Held:
        pass

    unset = Slotted()
    unset.end = 1
    with pytest.raises(AttributeError):
        made.offsets([unset])
    items = [Slotted(), Wider(), Hidden(), Slotted(), Wider(), Hidden()]
    held = Held()
    gone = weakref.ref(held)
    items[0].start = held
    del held
    starts = np.arange(len(items), dtype="<i8")
    made.place(items, starts.tobytes(), (starts + 10).tobytes())
    assert gone() is None
    assert [(Slotted.start.__get__(i), i.end) for i in items] == [
        (0, 10), (1, 11), (3, 12), (3, 13), (4, 14), (6, 15)]
    got = made.offsets(items)
    assert np.frombuffer(got[0], dtype="<i8").tolist() == [0, 1, 100, 3, 4, 100]
    assert np.frombuffer(got[1], dtype="<i8").tolist() == [10, 11, 12, 13, 14, 15]


def test_core_spans_made_once_from_columns_and_lists() -> None:
    """`make_spans` makes a column source's rows as spans at the given offsets and gives a
    list source's spans those offsets, in the order asked for, by ad; rows or cuts that
    point outside the sources are an error, never a crash or a wrong span."""
    import numpy as np

    from amberline import core
    from amberline.model import Span
    from amberline.pipeline import _SPAN_FIELDS

    made = core.load()
    if made is None or not hasattr(made, "make_spans"):
        pytest.skip("the core is not in use")
    listed = [Span("phone", "+17035550142", 0, 0, "phones", 0.9, {"valid": True})]
    columns = ("age", "ages", [17, 23], [1.0, 0.8], [{"cue": "age"}, {"cue": "aged"}])

    def spans(order: list[int], cuts: list[int], sources: list | None = None) -> tuple:
        offsets = np.arange(len(order), dtype="<i8") * 10
        return made.make_spans(Span, _SPAN_FIELDS, sources or [columns, [], listed],
                               np.asarray(order, dtype="<i8").tobytes(), offsets.tobytes(),
                               (offsets + 2).tobytes(), np.asarray(cuts, dtype="<i8").tobytes())

    flat, by_ad = spans([2, 1, 0], [0, 1, 3])
    assert flat == [Span("phone", "+17035550142", 0, 2, "phones", 0.9, {"valid": True}),
                    Span("age", 23, 10, 12, "ages", 0.8, {"cue": "aged"}),
                    Span("age", 17, 20, 22, "ages", 1.0, {"cue": "age"})]
    assert flat[0] is listed[0] and flat[2].attrs is columns[4][0]
    assert by_ad == [flat[:1], flat[1:]]
    for order, cuts, sources in (([3], [0, 1], None), ([-1], [0, 1], None),
                                 ([0], [0, 2], None), ([0], [1, 0], None),
                                 ([0], [0, 1], [("age", "ages", [1], [], [])])):
        with pytest.raises(ValueError):
            spans(order, cuts, sources)
    with pytest.raises(TypeError):
        spans([0], [0, 1], [{"not": "a source"}])
