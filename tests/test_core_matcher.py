"""The core's lexicon matcher against the Python engines: identical flags, or the test fails.

The specification is the Python Aho-Corasick engine (`indicators/matcher.py`): its lower-casing,
whitespace folding, ASCII word boundaries, leftmost-longest choice per entry and the refusal
rule. The core must give the same (rule, start, end, term) for every text: the synthetic
corpus, every clinical fixture of the indicator, chat and normaliser tests, fuzzed text (any
Unicode including lone surrogates, emoji runs, look-alikes, case oddities such as the Kelvin
sign or a dotted capital I, huge inputs), for the packaged and the chat lexicon, and whole
screenings (spans, flags, derived flags, scores) must not change when the core matches. A panic
inside the core fails the batch with `CoreFailure`, and `screen_isolated` then quarantines
only the ad that caused it.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.indicators import matcher as matcher_mod
from amberline.indicators.lexicon import LexiconError, load_lexicon, parse_lexicon
from amberline.indicators.matcher import BATCH_SEPARATOR, IndicatorMatcher, core_unsupported
from amberline.text.homoglyphs import HOMOGLYPHS
from core_support import fixture_strings, hostile_texts

try:
    from amberline import _core
except ImportError:  # pragma: no cover - depends on the build
    _core = None
    if core.choice() == "rust":
        raise

pytestmark = pytest.mark.skipif(_core is None or not core.active(),
                                reason="amberline._core is not built or not chosen")

LEX = load_lexicon()


def _chat_lexicon():
    from amberline.chats.rules import load_chat_lexicon

    return load_chat_lexicon().lexicon


@pytest.fixture(scope="module")
def engines() -> dict[str, IndicatorMatcher]:
    return {e: IndicatorMatcher(LEX, engine=e) for e in ("core", "ahocorasick")}


def _key(flags) -> list[tuple]:
    return [(f.rule, f.category, f.start, f.end, f.term, f.weight, f.citation) for f in flags]


def _assert_same(texts: list[str], engines: dict[str, IndicatorMatcher]) -> None:
    got = engines["core"].match_batch(texts)
    want = engines["ahocorasick"].match_batch(texts)
    for text, g, w in zip(texts, got, want, strict=True):
        assert _key(g) == _key(w), text
    joined = BATCH_SEPARATOR.join(texts)  # as the pipeline calls it: one text per batch
    assert _key(engines["core"].match(joined)) == _key(engines["ahocorasick"].match(joined))


# --- corpora ----------------------------------------------------------------------------------


def test_synthetic_corpus_raw_and_normalised(engines) -> None:
    from amberline.synth.generate import generate
    from amberline.text.normalise import reference_batch

    for seed in (3, 19):
        ads, _truth = generate(2000, seed)
        texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
        flagged = engines["core"].match_batch(texts)
        assert sum(map(len, flagged)) > len(texts)  # the corpus does exercise the lexicon
        _assert_same(texts, engines)
        _assert_same([n.text for n in reference_batch(texts)], engines)


def test_synthetic_corpus_agrees_with_hyperscan_too(engines) -> None:
    """On ordinary ad text the default Python engine agrees as well (the engines part only
    on oddities such as a Kelvin sign after a term, where the Aho-Corasick definition rules)."""
    pytest.importorskip("hyperscan")
    from amberline.synth.generate import generate

    ads, _truth = generate(1500, 5)
    texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
    hs = IndicatorMatcher(LEX, engine="hyperscan")
    assert [_key(f) for f in engines["core"].match_batch(texts)] == [
        _key(f) for f in hs.match_batch(texts)]


def _fixture_strings() -> list[str]:
    """Every string constant in the tests of the lexicon, chats, screening and normaliser."""
    return fixture_strings("test_indicators.py", "test_custom_lexicon.py", "test_chats_rules.py",
                           "test_chats_screen.py", "test_normalise.py", "test_score.py",
                           "test_boilerplate.py", "test_extractor_examples.py")


def test_clinical_fixtures(engines) -> None:
    texts = _fixture_strings()
    assert len(texts) > 200
    _assert_same(texts, engines)
    _assert_same([text.upper() for text in texts], engines)


def test_every_variant_in_odd_surroundings(engines) -> None:
    """Each literal of each entry, upper- and lower-case, between the characters that decide
    boundaries, folds and refusals."""
    around = ["", " ", "x", "_", "9", "é", "\u212a", "\u0130", "\u0131", "\u00a0", "\f", "\t\n ",
              "🌹", "no ", "NOT  ", "🚫", "don't ", "w/o ", "never. ", "no\n", "İno "]
    texts = []
    for entry in LEX.entries:
        for pattern in entry.patterns:
            for variant in pattern.variants:
                for a in around:
                    for b in around[:8]:
                        texts.append(f"{a}{variant}{b}")
                        texts.append(f"{a}{variant.upper().replace(' ', '  ')}{b}")
    _assert_same(texts, engines)


def test_chat_lexicon() -> None:
    lexicon = _chat_lexicon()
    assert core_unsupported(lexicon) is None
    pair = {e: IndicatorMatcher(lexicon, engine=e) for e in ("core", "ahocorasick")}
    texts = _fixture_strings()
    for entry in lexicon.entries:
        for pattern in entry.patterns:
            texts += [f"ok {v} ok" for v in pattern.variants]
            texts += [f"no {v.upper()}" for v in pattern.variants]
    _assert_same(texts, pair)


# --- fuzzing ----------------------------------------------------------------------------------

_VARIANTS = sorted({v for e in LEX.entries for p in e.patterns for v in p.variants})
_ODD = ["İ", "ı", "\u212a", "ſ", "Σ", "ß", "\u00a0", "\u2028", "\x0b", "\r", "\f", "\x1c", "_",
        "'", "/", ".", "!", "?", "\ud800", "\U0001f6ab", "❌", "⛔", "🌹", "💗", "✈️", "👑",
        "\u200b", "e\u0301", "ｙｏｕｎｇ", "\n\f\n"]
_WORDS = ["no", "NOT", "Never", "don't", "dont", "without", "w/o", "nó", "İ", "n", "o"]
_PIECES = st.one_of(
    st.sampled_from(_VARIANTS),
    st.sampled_from(_VARIANTS).map(str.upper),
    st.sampled_from(_VARIANTS).map(str.title),
    st.sampled_from(_ODD),
    st.sampled_from(_WORDS),
    st.sampled_from(sorted(HOMOGLYPHS)),
    st.text(alphabet=" \t\n", min_size=1, max_size=4),
    st.text(max_size=4),
)
_TEXTS = hostile_texts(_PIECES)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=6))
def test_fuzzed_batches(engines, texts: list[str]) -> None:
    _assert_same(texts, engines)


def test_huge_inputs(engines) -> None:
    rng = random.Random(9)
    pieces = _VARIANTS + _ODD + _WORDS + [" ", "  ", "\n"]
    texts = [" ".join(rng.choice(pieces) for _ in range(40_000)) for _ in range(2)]
    texts.append(" " * 100_000 + "young")
    texts.append("no " * 30_000 + "gfe")
    texts.append("🌹" * 50_000)
    _assert_same(texts, engines)


# --- screening end to end ---------------------------------------------------------------------


def test_screenings_identical_with_the_core_matcher() -> None:
    """Spans, flags (derived ones too), their original offsets and scores: the same whether
    the lexicon is matched by the core or by the Python engine."""
    from amberline.model import Ad
    from amberline.pipeline import Screener
    from amberline.synth.generate import generate

    screener = Screener()
    assert screener.matcher.engine == "core"
    ads_raw, _truth = generate(1500, 23)
    ads = [Ad(source="synth", source_id=a["id"], title=a["title"], body=a["body"],
              meta=a.get("meta") or {}) for a in ads_raw]
    with_core = screener.screen_batch(ads)
    screener.matcher = IndicatorMatcher(screener.lexicon, engine="ahocorasick")
    reference = screener.screen_batch(ads)

    def as_tuple(s):
        return (s.score, _key(s.flags), [(x.kind, x.start, x.end, x.value) for x in s.spans],
                [(o.start, o.end, o.kind) for o in s.obfuscations])

    assert sum(len(s.flags) for s in reference) > len(ads)
    assert [as_tuple(s) for s in with_core] == [as_tuple(s) for s in reference]


# --- containment, fallback, checks ------------------------------------------------------------


def test_a_panic_fails_the_batch_and_quarantines_only_that_ad() -> None:
    from amberline.isolate import ScreeningFailure, screen_isolated
    from amberline.model import Ad
    from amberline.pipeline import Screener

    trap = "\U0010fffd"
    screener = Screener()
    broken = IndicatorMatcher(screener.lexicon, engine="core")
    broken._core = broken._compile_core(panic_on=trap)
    with pytest.raises(core.CoreFailure, match=r"text 1 of the batch.*test panic"):
        broken.match_batch(["young", f"bad {trap} young", "fresh"])
    screener.matcher = broken
    ads = [Ad(source="t", source_id="a", body="Sweet and young"),
           Ad(source="t", source_id="b", body=f"new girl {trap}"),
           Ad(source="t", source_id="c", body="Two girls 24/7")]
    results = screen_isolated(screener, ads)
    assert [type(r).__name__ for r in results] == ["Screening", "ScreeningFailure", "Screening"]
    failure = results[1]
    assert isinstance(failure, ScreeningFailure)
    assert failure.stage == "indicate" and "test panic" in failure.error
    assert [f.rule for f in results[0].flags] == ["youth.young"]


def test_sigma_lexicon_stays_with_python() -> None:
    doc = {"version": "t", "categories": {"youth": "d"},
           "entry": [{"id": "t.sigma", "category": "youth", "patterns": ["σοφία"],
                      "citation": "observed"}]}
    lexicon = parse_lexicon(doc, "<t>")
    assert "sigma" in (core_unsupported(lexicon) or "")
    assert IndicatorMatcher(lexicon).engine != "core"
    with pytest.raises(LexiconError, match="sigma"):
        IndicatorMatcher(lexicon, engine="core")


def test_engine_choice_follows_the_core_setting(monkeypatch) -> None:
    assert IndicatorMatcher(LEX).engine == "core"
    monkeypatch.setenv(core.ENV_VAR, "python")
    core.reset()
    try:
        assert IndicatorMatcher(LEX).engine in ("hyperscan", "ahocorasick")
    finally:
        monkeypatch.undo()
        core.reset()


def test_pickles_for_workers(engines) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(engines["core"]))
    assert again.engine == "core"
    assert [f.term for f in again.match("young and verified")] == ["young", "verified"]


def test_bad_buffers_are_rejected(engines) -> None:
    compiled = engines["core"]._core
    with pytest.raises(ValueError):
        compiled.match_batch(b"abc", [0, 0])
    with pytest.raises(ValueError):
        compiled.match_batch(b"a\0\0\0", [0, 2])
    with pytest.raises(ValueError):
        compiled.match_batch(b"\0\0\x11\0", [0, 1])
    with pytest.raises(ValueError):
        compiled.match_batch(b"a\0\0\0b\0\0\0", [1, 0])


def test_refusal_rule_is_the_regex() -> None:
    """The core reads the refusal rule from the pieces the regex is built from."""
    assert matcher_mod._REFUSAL.search("no gfe", 0, 3)
    assert not matcher_mod._REFUSAL.search("no. gfe", 0, 4)
    m = IndicatorMatcher(LEX, engine="core")
    texts = ["NO GFE", "no. GFE", "nogfe", "🚫 bareback", "know GFE", "İno GFE"]
    ref = IndicatorMatcher(LEX, engine="ahocorasick")
    assert [_key(f) for f in m.match_batch(texts)] == [_key(f) for f in ref.match_batch(texts)]


def test_a_core_built_before_the_matcher_is_not_used(monkeypatch) -> None:
    """An editable install whose core predates the matcher: auto warns once and matches in
    Python; `rust` refuses with the fix."""
    import types
    import warnings

    stale = types.SimpleNamespace(Normaliser=_core.Normaliser)
    monkeypatch.setattr(core, "load", lambda: stale)
    core.provides.cache_clear()
    try:
        monkeypatch.setenv(core.ENV_VAR, "auto")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            assert IndicatorMatcher(LEX).engine in ("hyperscan", "ahocorasick")
            IndicatorMatcher(LEX)
        assert [w.category for w in seen] == [core.CoreMissingWarning]
        assert "out of date" in str(seen[0].message)
        core.provides.cache_clear()
        monkeypatch.setenv(core.ENV_VAR, "rust")
        with pytest.raises(RuntimeError, match="out of date"):
            IndicatorMatcher(LEX)
    finally:
        monkeypatch.undo()
        core.reset()
