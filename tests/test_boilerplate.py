"""Site boilerplate is recognised and kept out of the ad's entities and flags, with its reason.

All texts are invented, clinical stand-ins for the forms crawled pages take.
"""

from __future__ import annotations

import json
import random
import re
from itertools import accumulate

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amberline.extract import BATCH_SEPARATOR
from amberline.machine_output import screening_record
from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.text import boilerplate
from amberline.text.boilerplate import (
    DISCLAIMER,
    NAVIGATION,
    REMOVED_AD,
    find_boilerplate,
    is_excluded,
    whole_ad,
)
from core_support import fixture_strings

REMOVED_PAGE = (
    "Springfield - office jobs - example.com   The requested ad could not be found.   "
    "Recent office ads.   Clerk (Dayton, OH)  Company Name: Acme Paper  Call Bob at "
    "937-555-0123 for details, pay $15 per hour."
)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("The requested ad could not be found.", [REMOVED_AD]),
        ("Sorry, this posting has been removed by the author", [REMOVED_AD]),
        ("This listing is no longer available", [REMOVED_AD]),
        ("Error! Only registered users are allowed to see this page", [REMOVED_AD]),
        ("I am at least 18 years of age and agree to the terms", [DISCLAIMER]),
        ("You must be 18 or older to enter", [DISCLAIMER]),
        ("Post ID: 1234567 ohio   Other ads by this user:", [NAVIGATION, NAVIGATION]),
        ("Friendly spa open late - Dayton body rubs - example.com", [NAVIGATION]),
        # What a poster writes is not boilerplate: a stated age, an old number, a title age.
        ("Hi, I am 19 years old and new in town", []),
        ("My old ad was taken down, new number below", []),
        ("Relaxing massage - 24\nOpen daily", []),
    ],
)
def test_find_boilerplate_reasons(text: str, reasons: list[str]) -> None:
    assert [e.reason for e in find_boilerplate(text)] == reasons


def test_removed_notice_covers_the_whole_ad() -> None:
    found = whole_ad(find_boilerplate(REMOVED_PAGE), len(REMOVED_PAGE))
    assert [(e.start, e.end, e.reason) for e in found] == [(0, len(REMOVED_PAGE), REMOVED_AD)]


def test_removed_ad_page_has_no_entities_or_flags(screener: Screener) -> None:
    screening = screener.screen(Ad(source="t", body=REMOVED_PAGE))
    assert screening.spans == []
    assert screening.flags == []
    assert screening.score == 0.0
    assert [e.reason for e in screening.exclusions] == [REMOVED_AD]
    record = json.loads(json.dumps(screening_record("x", screening)))
    assert record["phones"] == [] and record["places"] == [] and record["prices"] == []
    assert record["excluded"] == [{"reason": REMOVED_AD, "start": 0, "end": len(REMOVED_PAGE)}]


def test_disclaimer_age_and_navigation_place_are_left_out(screener: Screener) -> None:
    text = ("Quiet studio in Dayton, OH, call 937-555-0188. I am at least 18 years of age. "
            "Post ID: 99887 columbus - Toledo body rubs - example.com")
    screening = screener.screen(Ad(source="t", body=text))
    record = screening_record("x", screening)
    assert record["ages"] == []
    assert record["places"] == ["Dayton, OH"]
    assert record["phones"] == ["+19375550188"]
    for e in screening.exclusions:  # offsets point into the ad as written
        assert text[e.start:e.end].strip() != ""
    assert {e.reason for e in screening.exclusions} == {DISCLAIMER, NAVIGATION}


def test_exclusion_offsets_map_to_the_original_text(screener: Screener) -> None:
    # Full-width letters are folded by the normaliser: the exclusion must still land on them.
    text = "Hello\u3000there. Ｔhe requested ad could not be found. Call 937-555-0123"
    screening = screener.screen(Ad(source="t", body=text))
    assert screening.spans == []
    assert [(e.start, e.end) for e in screening.exclusions] == [(0, len(text))]


def test_each_ad_of_a_batch_keeps_its_own_exclusions(screener: Screener) -> None:
    ads = [Ad(source="t", body=REMOVED_PAGE, source_id="1"),
           Ad(source="t", body="New in Dayton, OH, call 937-555-0188", source_id="2")]
    first, second = screener.screen_batch(ads)
    assert first.spans == [] and [e.reason for e in first.exclusions] == [REMOVED_AD]
    assert second.exclusions == []
    assert {s.value for s in second.spans} >= {"+19375550188", "Dayton, OH"}


def test_show_and_the_workspace_give_the_reason(tmp_path) -> None:
    from typer.testing import CliRunner

    from amberline.cli import app
    from amberline.scan import run_scan
    from web_helpers import app_for, seed, signed_in

    store = seed(tmp_path, n_ads=20)
    page_file = tmp_path / "removed.jsonl"
    page_file.write_text(json.dumps({"id": "gone", "source": "site", "text": REMOVED_PAGE})
                         + "\n", encoding="utf-8")
    run_scan([page_file], store, Screener())
    stored = store.get_ad("site:gone")
    assert stored is not None
    assert stored.screening.spans == [] and stored.screening.flags == []
    assert [e.reason for e in stored.screening.exclusions] == [REMOVED_AD]

    result = CliRunner().invoke(app, ["show", "site:gone", "--db", str(tmp_path / "ws.db")])
    assert result.exit_code == 0, result.output
    assert f"left out ({REMOVED_AD})" in result.output

    client = signed_in(app_for(store), "ana")
    html = client.get(f"/ads/{stored.id}").text
    assert f"{REMOVED_AD}: characters 0–{len(REMOVED_PAGE)}" in html
    store.close()


# --- the batch path: triggers, then the pattern only over the ads they fire in -----------------

_WORDS = sorted({w for alt in boilerplate._TRIGGERS for w in re.findall(r"\{w\(([^)]*)\)\}", alt)}
                | {"I", "am", "at", "you", "must", "by", "only", "are", "allowed", "to", "see",
                   "requested", "could", "was", "has", "been", "the", "this", "ad", "posting",
                   "listing", "page", "age", "years", "old", "older", "or", "id:", "ohio",
                   "example", "www.", ".com", ".co.uk", ".biz", "info", "rubs", "Dayton"})
_FOLDS = {"i": "ıİ", "s": "ſ", "k": "\u212a"}  # non-ASCII letters `re.I` matches to ASCII


def _disguised(word: str, rng_choice: list[int]) -> str:
    """`word` with some letters in another case or as a non-ASCII letter `re.I` folds."""
    out = []
    for c, r in zip(word, rng_choice, strict=False):
        folds = _FOLDS.get(c.lower(), "")
        out.append(folds[r % len(folds)] if folds and r % 3 == 0 else
                   c.upper() if r % 3 == 1 else c)
    return "".join(out) + word[len(out):]


# One phrase per alternative of the pattern (and near misses), written with disguised words and
# any whitespace between them.
_PHRASE_LIST = [
    "the requested ad could not be found", "this posting cannot be found",
    "the page can't be found", "this listing was not found", "the advert has been removed",
    "this ad was deleted", "the post is taken down", "this advertisement has been flagged for "
    "removal", "the ad has expired", "this listing is no longer available", "ad not found",
    "only registered users are allowed to view this page", "I am at least 18 years old",
    "I am over the age of 18", "you must be at least 18", "visitors are required to be over 18 "
    "yrs of age", "all models were 18", "must be 18 or older", "by entering this site you agree.",
    "by using the website", "post id: 12345 ohio", "post id 99", "other ads by this user:",
    "nice - dayton body rubs - www.example.co.uk", "x - spa - info.biz", "I am 18",
]
_SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\f", "\u00a0", "\u1680", "\u3000", "\x1c",
                           "\x85", "\u2028", " - ", ":", ".", "🌹", "?", "-"])
_WHITE = st.sampled_from([" ", " ", " ", "\t", "\n", "\u00a0", "\u1680", "\u3000", "\x1c",
                          "  ", "\f"])


@st.composite
def _phrase(draw) -> str:
    words = draw(st.sampled_from(_PHRASE_LIST)).split(" ")
    out = [_disguised(w, draw(st.lists(st.integers(0, 8), max_size=12))) for w in words]
    gaps = [draw(_WHITE) for _ in out]
    return "".join(w + g for w, g in zip(out, gaps, strict=True))


_TOKENS = st.one_of(
    st.builds(_disguised, st.sampled_from(_WORDS), st.lists(st.integers(0, 8), max_size=12)),
    st.sampled_from(["18", "12345", "19", "a" * 70, "💋💋", "İ", "ı", "ſ", "\u212a"]),
    _phrase(),
)
_PHRASES = st.lists(st.tuples(_TOKENS, _SPACES), max_size=30).map(
    lambda parts: "".join(a + b for a, b in parts))


@pytest.fixture(scope="module")
def triggers():
    """The batch path's triggers, for this Python's case folds (with or without the core)."""
    from amberline.text import native

    if boilerplate.hyperscan is None:
        pytest.skip("Hyperscan is not installed")
    folding = "".join(sorted({chr(letter) for _, letter in native.unicode_tables().folds}))
    return boilerplate.Triggers(boilerplate._trigger_patterns(folding))


@pytest.fixture(scope="module")
def engine():
    """`PATTERN` on the core's regex engine, as the pipeline runs it (None without the core:
    the batch path is then checked with `re` alone)."""
    from amberline.extract._native import pattern

    return pattern(boilerplate.PATTERN)


def _assert_batch_same(texts: list[str], prefilter, monkeypatch, engine=None) -> None:
    """The batch path gives the whole text's exclusions, by `re` and by the core's engine."""
    monkeypatch.setattr(boilerplate, "_prefilter", lambda: prefilter)
    joined = BATCH_SEPARATOR.join(texts)
    starts = [0, *accumulate(len(t) + len(BATCH_SEPARATOR) for t in texts[:-1])]
    expected = find_boilerplate(joined)
    assert boilerplate.find_batch(joined, starts) == expected
    if engine is not None:
        assert boilerplate.find_batch(joined, starts, engine) == expected


def test_batch_path_on_the_fixtures_and_the_synthetic_corpus(triggers, engine,
                                                             monkeypatch) -> None:
    from amberline.synth.generate import generate

    texts = fixture_strings("test_boilerplate.py")
    assert sum(bool(find_boilerplate(t)) for t in texts) >= 8
    _assert_batch_same(texts, triggers, monkeypatch, engine)
    ads, _truth = generate(3000, 3)
    texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
    _assert_batch_same(texts, triggers, monkeypatch, engine)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(_PHRASES, st.text()), min_size=1, max_size=6))
def test_batch_path_on_fuzzed_text(triggers, engine, monkeypatch, texts: list[str]) -> None:
    _assert_batch_same(texts, triggers, monkeypatch, engine)


def test_batch_path_on_huge_text(triggers, engine, monkeypatch) -> None:
    rng = random.Random(9)
    words = [*_WORDS, "18", " ", "  ", "\n", "-", "x" * 80]
    texts = [" ".join(rng.choice(words) for _ in range(20_000)) for _ in range(2)]
    texts += [" " * 50_000 + "- a - b.com", "the ad " + "\u3000" * 30_000 + "was removed"]
    _assert_batch_same(texts, triggers, monkeypatch, engine)


def test_a_panic_of_the_engine_fails_the_batch_naming_its_ad(triggers, monkeypatch) -> None:
    from amberline import _core, core
    from amberline.extract._native import char_tables
    from amberline.extract._program import program

    if not core.active():
        pytest.skip("the compiled core is not built")
    flags, folds, _ = char_tables()
    engine = _core.Pattern(program(boilerplate.PATTERN), flags, folds, ord("\u2603"))
    monkeypatch.setattr(boilerplate, "_prefilter", lambda: triggers)
    texts = ["Post ID: 123 ohio", "plain text", "I am at least 18 \u2603", "Post ID: 9"]
    joined = BATCH_SEPARATOR.join(texts)
    starts = [0, *accumulate(len(t) + len(BATCH_SEPARATOR) for t in texts[:-1])]
    with pytest.raises(core.CoreFailure, match="text 2 "):
        boilerplate.find_batch(joined, starts, engine)
    joined = joined.replace("\u2603", "x")
    assert len(boilerplate.find_batch(joined, starts, engine)) == 3
    assert boilerplate.find_batch(joined, starts, engine) == find_boilerplate(joined)


_INTERVALS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(0, 12)),
                      max_size=12)


@settings(max_examples=300, deadline=None)
@given(exclusions=_INTERVALS, items=_INTERVALS)
def test_batch_exclusion_is_is_excluded(exclusions, items) -> None:
    """The batch finish drops an item exactly where `is_excluded` says its ad's exclusions
    cover it (overlapping and empty stretches included)."""
    import numpy as np

    from amberline.model import Exclusion
    from amberline.pipeline import _exclude

    by_ad: dict[int, list[Exclusion]] = {}
    for ad, start, length in exclusions:
        by_ad.setdefault(ad, []).append(Exclusion(start, start + length, "navigation", ""))
    ad, start, end = (np.array([row[k] for row in items], dtype=np.int64) for k in range(3))
    end = start + end
    keep = np.ones(len(items), dtype=bool)
    keep[::3] = False  # (items dropped before stay dropped)
    expected = [bool(k) and not is_excluded(s, e, by_ad.get(a, []))
                for k, a, s, e in zip(keep.tolist(), ad.tolist(), start.tolist(), end.tolist(),
                                      strict=True)]
    if by_ad:
        _exclude(ad, start, end, keep, by_ad)
    assert keep.tolist() == expected
