"""The core's profile extractors against their Python reference: identical spans, or it fails.

The specification is the Python code of each extractor (`extract_reference`) and its regexes,
which the core runs on its own backtracking engine (`rust/src/backtrack.rs`) from Python's parse
of them (`extract/_program.py`). Checked here: the engine against `re` itself (every match,
every group, `search` and `fullmatch` with bounds) on the extractors' patterns, then each
extractor's spans (kind, value, offsets, confidence, attributes, order) on the synthetic
corpus, every clinical fixture of the extractor tests, fuzzed text (any Unicode including lone
surrogates, digits of other scripts, case oddities such as the Kelvin sign, a dotted capital I
or a long s, form feeds, emoji) and huge inputs. A panic inside the core fails the batch with
`CoreFailure`, and `screen_isolated` then quarantines only the ad that caused it.
"""

from __future__ import annotations

import contextlib
import pickle
import random
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.extract import (
    BATCH_SEPARATOR,
    _native,
    _prefilter,
    ages,
    build_extractors,
    descriptors,
    names,
    prices,
)
from amberline.extract._native import char_tables, run_together
from amberline.extract._prefilter import Prefilter, ascii_folds, core_triggers
from amberline.extract._program import program
from amberline.extract.ages import AgeExtractor
from amberline.extract.descriptors import DescriptorExtractor
from amberline.extract.prices import PriceExtractor
from core_support import (
    built_core,
    fixture_strings,
    hostile_texts,
    literal_words,
    needs_active_core,
    python_folds,
    readers_over_whole_text,
)

_core = built_core()
pytestmark = needs_active_core()

EXTRACTORS = (DescriptorExtractor, AgeExtractor, PriceExtractor)


@pytest.fixture(scope="module", params=["triggers", "everywhere", "together",
                                        "together everywhere", "together, three passes"])
def extractors(request) -> dict[str, object]:
    """The extractors as built, and with their Hyperscan prefilters off (then the reference
    runs its regexes over the whole text, and the core looks for matches everywhere too);
    each alone, or their readers run together as `build_extractors` has them (their
    triggers merged into one DFA, or, as when they cannot be, three DFAs in one pass)."""
    built = {cls.name: cls() for cls in EXTRACTORS}
    joined = (built["ages"], built["prices"], built["descriptors"])
    if request.param == "together, three passes":
        together = _native.Together(joined, merged=None)
        for extractor in joined:
            extractor._together = together
    elif request.param.startswith("together"):
        run_together(*joined)
        assert built["ages"]._together is not None
    for extractor in built.values():
        assert extractor._core is not None, extractor.name  # the core path is what is tested
        if request.param.endswith("everywhere"):
            for prefilter in ("_prefilter", "_slash_prefilter"):
                if hasattr(extractor, prefilter):
                    getattr(extractor, prefilter).available = False
    return built


def _key(spans) -> list[tuple]:
    return [(s.kind, s.value, type(s.value), s.start, s.end, s.extractor, s.confidence, s.attrs)
            for s in spans]


def _assert_same(texts: list[str], extractors: dict[str, object]) -> None:
    joined = BATCH_SEPARATOR.join(texts)  # as the pipeline calls it: one text per batch
    for extractor in extractors.values():
        for text in (*texts, joined):
            assert _key(extractor.extract(text)) == _key(extractor.extract_reference(text)), (
                extractor.name, text[:300])


# --- the engine against `re` ------------------------------------------------------------------


def _patterns() -> list[re.Pattern[str]]:
    d = DescriptorExtractor()
    return [d._pattern, descriptors._REFUSED, descriptors._SERVICE_BEFORE,
            descriptors._PERSON_AFTER, descriptors._WEIGHT_AFTER_HEIGHT, descriptors._MIX,
            descriptors._MIX_JOIN, descriptors._MIX_PERSON, ages._PATTERN,
            ages._NOT_BEFORE_SUFFIX, ages._LINE_END, prices._PATTERN, prices._PERIOD_BEFORE,
            prices._SLASH_LIST, prices._REFUSED,
            re.compile(r"(?i)(a|ab)(c|bcd)(d*)"), re.compile(r"(x+x+)+y|(?<=q)z+?w"),
            re.compile(r"(?i:k(?P<s>s)+?)(?-i:[A-Z]\w)|ñ(?!\d)|\b\d{2,3}(?:/\d+)*+/\d$"),
            # ending at the end and bounded: searched only near the end of the window
            re.compile(r"(?<=a)(?:b|cd){1,3}$|(?:\d\d|x)\Z|(?>ab?)(?=\n)$"), re.compile(r"\Z"),
            # ending at the end, unbounded, a shorter alternative first: the looser DFA checked
            # before each try must keep every way to end there (and `$` before a final newline)
            re.compile(r"(?:a|ab)+\Z|(?:x|xy)[^\S\n]*(?:z|)$"),
            # lookaheads of characters ending with "\b", an optional character among them
            re.compile(r"(?i)(?<!\w)(?!(?:my|i['’]m|names?|xo|ab?)\b)\w+"
                       r"|(?=(?:ab?c|k|\d)\b)\w(?=\b)|(?!\b)-"),
            # what a match's end may leave out (a trailing optional part, bounded repeat or
            # alternative that can be empty) and bounded repeats in the middle: the backward
            # pass that finds a `Pattern`'s starts reads them loosely, and must miss no start
            re.compile(r"(?i)\bab{1,3}?c{0,2}(?:d|e?)|x[^-]{1,5}-y(?:z[a-z]*)?"
                       r"|(?<=\S)\s+-\s*\w{2,4}\.(?:com|ca)\b"),
            re.compile(r"q+(?:r{2,3}|)|(?:ab|a)(?:bcd|b){1,2}?|(?>e\s*){2}(?=d)")]


_ENGINE_PIECES = st.sampled_from(
    ["5'2", "5 ft 4", '5"4', "160 cm", "110 lbs", "50kg", "blonde", "light brown", "hair",
     "eyes", "hazel", "Latina", "asian", "mixed", "mix", "no", "thai", "massage", "girl", "men",
     "slim", "waist", "İ", "ı", "ſ", "\u212a", "ñ", "Ñ", "٥", "７", " ", "\t", "\n", "\f", "-",
     "/", ",", ".", "'", "’", "🌹", "a", "ab", "bcd", "d", "x", "y", "q", "z", "w", "KS", "kſ",
     "Ab", "12", "345", "/6", "\ud800", "\u00a0", "&", ":", "age", "19", "yrs", "old", "y/o",
     "I'm", "turned", "nineteen", "twenty-one", "$", "€", "150", "hh", "qv", "1hr", "30 min",
     "roses", "in-call", "60/100/160", "off", "month", "%", "+", "names", "Name", "My", "xo",
     "abc", "ac", "acd", "rr", "r", "e", "b.com", ".ca", "cc"])
_ENGINE_TEXTS = st.one_of(st.text(max_size=80), st.lists(_ENGINE_PIECES, max_size=40).map("".join))


@pytest.fixture(scope="module")
def engine_patterns() -> list[tuple[re.Pattern[str], object]]:
    flags, folds, _digits = char_tables()
    return [(p, _core.Pattern(program(p), flags, folds)) for p in _patterns()]


def _finditer_rows(pattern: re.Pattern[str], text: str) -> list[int]:
    rows: list[int] = []
    for m in pattern.finditer(text):
        if m.end() == m.start():
            continue
        rows += [m.start(), m.end()]
        for g in range(1, pattern.groups + 1):
            rows += list(m.span(g))
    return rows


@settings(max_examples=300, deadline=None)
@given(text=_ENGINE_TEXTS, cut=st.tuples(st.integers(0, 90), st.integers(0, 90)))
def test_engine_is_re(engine_patterns, text: str, cut: tuple[int, int]) -> None:
    _assert_engine_is_re(engine_patterns, text, min(cut), max(cut))


@pytest.mark.parametrize("text", ["ab", "cabab", "xy\n", "xy \n", "q xyz\n", "x\n", "ab\n",
                                  "xy z", "abx"])
def test_engine_matches_ending_at_the_end(engine_patterns, text: str) -> None:
    for pos in range(len(text) + 1):
        _assert_engine_is_re(engine_patterns, text, pos, len(text))


def _assert_engine_is_re(engine_patterns, text: str, pos: int, end: int) -> None:
    data = text.encode("utf-32-le", "surrogatepass")
    for pattern, compiled in engine_patterns:
        got = np.frombuffer(compiled.finditer(data), dtype="<i8").tolist()
        assert got == _finditer_rows(pattern, text), (pattern.pattern[:60], text)
        end_ = min(end, len(text))
        pos_ = min(pos, end_)
        m = pattern.search(text, pos_, end_)
        assert compiled.check(data, pos, end) == (
            pattern.fullmatch(text, pos_, end_) is not None, m and m.span()), text


# --- corpora ----------------------------------------------------------------------------------


def test_synthetic_corpus(extractors) -> None:
    from amberline.synth.generate import generate
    from amberline.text.normalise import normalise_batch

    for seed in (5, 23):
        ads, _truth = generate(1500, seed)
        texts = [n.text for n in normalise_batch([f"{a['title']}\n{a['body']}" for a in ads])]
        for extractor in extractors.values():  # the corpus does exercise every extractor
            assert len(extractor.extract(BATCH_SEPARATOR.join(texts))) > len(texts) / 10
        for i in range(0, len(texts), 300):
            _assert_same(texts[i : i + 300], extractors)


def test_clinical_fixtures(extractors) -> None:
    texts = fixture_strings("test_extract_profile.py", "test_descriptors_real_forms.py",
                            "test_extractor_examples.py", "test_alerts_descriptors.py",
                            "test_normalise.py", "test_alerts_matching.py")
    texts += [ex.text for cls in EXTRACTORS for ex in cls.examples()]
    assert len(texts) > 100
    _assert_same(texts, extractors)


_PIECE_LIST = (
    ["5'2", "5’4”", "5 ft 4 in", '5"4', "5'7 150", "160cm", "110 lbs", "110#", "50 kg", "٥'٢",
     "１６０ cm", "blonde", "long black silky hair", "hair: brown", "eyes: green", "hazel eyes",
     "light brown eyes", "Latina", "latin-a", "Puerto Rican", "puerto-rican", "ebony", "white",
     "black", "native", "girl", "men", "gentlemen", "ethnicity:", "race =", "no", "not",
     "sorry", "Thai", "massage", "Swedish", "deep tissue", "shiatsu", ",", " ~ ", " & ", "mixed",
     "Mix", "MIX", "mixxed", "cutie", "race", "slim", "waist", "petite", "curvy", "bbw", "thick",
     "İ", "ı", "ſ", "\u212a", "ñ", "Ñ", " ", "  ", "\t", "\n", "\f", "\n\f\n", "\u00a0", "-",
     "/", ".", "'", "💋", "🌹", "\ud800", "x", "9", "12", "5", "age", "Age:", "aged", "19",
     "17", "yrs", "years old", "yo", "y/o", "y.o.", "y/0", "I'm", "i am", "im only", "just turned",
     "barely", "nineteen", "twenty one", "twentyone", "ſixteen", "over", "for", "at least", "+",
     " - ", " - 23", "18 - 35", "bust", "of experience", "$", "US$", "C$", "€", "£", "80$",
     "150", "1,250.50", "99.5", "hh", "half hour", "qv", "quickie", "1hr", "1.5 hrs", "an hour",
     "two hours", "30 min", "15mins", "roses", "🌹🌹", "donation", "usd", "bucks", "in-call",
     "outcall", "/hr", "per", "for", "each", "60/100/160", "$80/130", "36/24/36", "NO 40/50/60",
     "off", "a month", "membership is", "%", "555", "0142", "703-555-0142", "٥٠", "٢"]
)  # fmt: skip
_PIECES = st.sampled_from(_PIECE_LIST)
_TEXTS = hostile_texts(_PIECES)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=6))
def test_fuzzed_text(extractors, texts: list[str]) -> None:
    _assert_same(texts, extractors)



# --- letters case-insensitive `re` matches to ASCII ones, inside the readers' cue words ------


_FOLDS = python_folds()
_FOLDED_TO: dict[str, list[str]] = {}
for _c, _a in _FOLDS:
    _FOLDED_TO.setdefault(chr(_a), []).append(chr(_c))


def _cue_words() -> list[list[str]]:
    """Per reader, the words its own patterns spell (cues, units, currencies, vocabulary
    terms) that hold a letter some non-ASCII letter folds to."""
    found = []
    for pattern in (ages._PATTERN, prices._PATTERN, DescriptorExtractor()._pattern):
        words = literal_words(pattern)
        found.append(sorted(w for w in words if any(c in _FOLDED_TO for c in w)))
    return found


_CUE_WORDS = _cue_words()


@st.composite
def _folded_cue(draw) -> str:
    """A reader's cue word in some case, with some of its letters written as letters `re`
    folds to them ("roſes", "İ", "\u212aorean")."""
    word = draw(st.sampled_from(draw(st.sampled_from(_CUE_WORDS))))
    word = draw(st.sampled_from([word, word.upper(), word.title()]))
    spots = [i for i, c in enumerate(word) if c.lower() in _FOLDED_TO]
    chars = list(word)
    for i in draw(st.lists(st.sampled_from(spots), min_size=1, unique=True)):
        chars[i] = draw(st.sampled_from(_FOLDED_TO[chars[i].lower()]))
    return "".join(chars)


_FOLDED_PIECES = st.one_of(_folded_cue(), _PIECES, st.sampled_from(["19", "150", "110", " "]))
_FOLDED_TEXTS = st.one_of(st.lists(_FOLDED_PIECES, min_size=1, max_size=12).map(" ".join),
                          st.lists(_FOLDED_PIECES, min_size=1, max_size=20).map("".join))


def test_the_folded_letters_are_pythons() -> None:
    """One list of the letters `re` folds to ASCII ones, Python's: the core's regex engine
    folds by it, its trigger views read it, the references look for it; and the strategy
    below finds cue words to put them in."""
    assert _FOLDS == sorted(ascii_folds()) == sorted(char_tables()[1])
    for _sets, named in (core_triggers([AgeExtractor()._prefilter]), names._core_triggers()):
        assert set(_FOLDS) <= set(named)
    spelled = {w for words in _CUE_WORDS for w in words}
    assert {"i", "rose", "just", "asian", "korean", "kg"} <= spelled


@settings(max_examples=300, deadline=None)
@example(texts=["150 roſes per hour"])
@example(texts=["İ'm 19 years old"])
@example(texts=["juſt turned 19"])
@example(texts=["asİan girl", "aſian girl"])
@example(texts=["\u212aorean girl, 5'2 110 \u212ag"])
@given(texts=st.lists(_FOLDED_TEXTS, min_size=1, max_size=3))
def test_folded_letters_in_cue_words(extractors, everywhere, texts: list[str]) -> None:
    """A cue spelled with a letter case-insensitive `re` matches to an ASCII one ("roſes",
    "İ'm", "juſt turned", "aſian") is read as the whole-text search of the regexes reads it
    (the definition), by the core and by the reference: their triggers read such a letter
    as that ASCII letter (Hyperscan scans `folded_view`; the core's view reads it so), where
    Hyperscan's view of the text as written reads "?" or misses the folding."""
    for text in (*texts, BATCH_SEPARATOR.join(texts)):
        for name, extractor in extractors.items():
            want = _key(everywhere[name].extract_reference(text))
            assert _key(extractor.extract_reference(text)) == want, (name, text[:300])
            assert _key(extractor.extract(text)) == want, (name, text[:300])


@pytest.mark.skipif(not AgeExtractor()._prefilter.available, reason="needs Hyperscan")
def test_an_age_that_starts_inside_a_title_dash_trigger(monkeypatch) -> None:
    """The title dash trigger covers "- 23"; the age "23 yrs" starts two characters into it,
    where no trigger of its own starts once the trigger for years is left out (every space
    `re`'s `\\s` matches is one to the views too, so the full triggers have none such). The
    reference tries every position up to one past the trigger's end, so the core tries up to
    one past the longest trigger match from each start: alone, run together, and with the
    starts of the scan shared with the names."""
    years = r"\d{1,2}(?:\s|-)*y"
    assert years in ages._TRIGGERS
    monkeypatch.setattr(ages, "_TRIGGERS", [t for t in ages._TRIGGERS if t != years])
    built = {e.name: e for e in build_extractors()}
    assert built["ages"]._together is not None and built["names"]._together is not None
    assert years not in built["ages"]._prefilter.patterns
    text = " - 23 yrs"
    for extractor in (AgeExtractor(), built["ages"]):
        spans = extractor.extract_reference(text)
        assert [(s.start, s.end) for s in spans] == [(3, 9)]
        assert _key(extractor.extract(text)) == _key(spans)


# What Hyperscan's view of a text keeps as it is (see `_prefilter.core_triggers`): ASCII,
# non-ASCII characters that are no letter, digit or space to `re` or that a trigger names,
# and the letters `re` folds to ASCII ones and other scripts' decimal digits (`folded_view`
# writes them as those ASCII ones: "٥٠" as "50").
_SEEN_AS_WRITTEN = re.compile(
    r"[\x00-\x7f’‘′ñÑ€£🌹💋" + "".join(chr(c) for c, _ in _prefilter.view_folds()) + "]*")


@pytest.fixture(scope="module")
def everywhere() -> dict[str, object]:
    return readers_over_whole_text(EXTRACTORS)


@pytest.mark.skipif(not PriceExtractor()._prefilter.available, reason="needs Hyperscan")
@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.lists(_PIECES, max_size=40).map("".join), min_size=1, max_size=4))
def test_triggers_reach_every_match(everywhere, texts: list[str]) -> None:
    """The triggers only choose where the exact patterns are tried: on text Hyperscan sees as
    written, the reference with them finds what its patterns find everywhere ("1.5 hrs" holds
    "5 hrs" too, a match that starts after the trigger's leftmost start)."""
    texts = [t for t in texts if _SEEN_AS_WRITTEN.fullmatch(t)]
    for cls in EXTRACTORS:
        with_triggers = cls()
        for text in (*texts, BATCH_SEPARATOR.join(texts)):
            assert _key(with_triggers.extract_reference(text)) == _key(
                everywhere[cls.name].extract_reference(text)), (cls.name, text[:300])


def test_a_shorter_trigger_match_with_the_same_end(extractors) -> None:
    """"1.5 hrs" is one trigger match to Hyperscan (the leftmost start of its end), and
    "5 hrs" starts a rate inside it: the reference and the core both read that rate."""
    extractor = extractors["prices"]
    spans = extractor.extract_reference("5'21.5 hrs160cm")
    assert [(s.start, s.attrs["minutes"]) for s in spans] == [(5, 300)]
    assert _key(extractor.extract("5'21.5 hrs160cm")) == _key(spans)


def test_vocabulary_terms_in_capitals(extractors) -> None:
    """A term with a non-ASCII letter written in capitals (an accented capital the
    case-insensitive pattern matches) is looked up lower-cased by the core as by the
    reference; the core once panicked on it and the ad was quarantined."""
    terms = {term for table in descriptors.load_vocabulary().values() for term in table
             if not term.isascii()}
    assert terms, "the vocabulary has no non-ASCII term left to check"
    texts = [f"{spelling} girl, ethnicity: {spelling}" for term in sorted(terms)
             for spelling in (term.upper(), term.title(), term.swapcase())]
    _assert_same(texts, extractors)


def test_huge_inputs(extractors) -> None:
    rng = random.Random(11)
    texts = ["".join(rng.choice(_PIECE_LIST) for _ in range(20_000)) for _ in range(2)]
    texts += [" " * 100_000 + "blonde hair", "5'" * 30_000, "mix asian " * 1_500,
              "a" * 100_000, "-" * 50_000 + "5'2", "hair" + " " * 50_000 + ": black",
              "15/" * 20_000 + "15", "$" + "1,000" * 20_000, "age " * 20_000 + "19",
              " - 23" * 20_000, "1hr " * 20_000 + "200", "9" * 100_000,
              # one trigger match across the whole text (every position in it is tried)
              "1,000" * 20_000 + " hr", "5" + " " * 50_000 + "ft", "1" + " " * 50_000 + "min",
              "🌹" * 50_000 + "150", "9" * 100_000 + "hr", "19-" * 30_000 + "y"]
    _assert_same(texts, extractors)


# --- containment, pickling, choice ------------------------------------------------------------


@pytest.mark.parametrize("cls", EXTRACTORS)
def test_a_panic_in_the_core_quarantines_only_that_ad(monkeypatch, cls) -> None:
    from amberline.isolate import ScreeningFailure, screen_isolated
    from amberline.model import Ad
    from amberline.pipeline import Screener

    trap = "\U0010fffd"
    screener = Screener()
    extractor = next(e for e in screener.extractors if isinstance(e, cls))
    monkeypatch.setattr(extractor, "_core", extractor._build_core(panic_on=trap))
    texts = ["Petite, 5'2, hazel eyes, age 21, $150 hh", f"bad {trap} 5'2", "blonde hair"]
    with pytest.raises(core.CoreFailure, match="test panic"):
        extractor.extract(texts[1])
    ads = [Ad(source="t", source_id=str(i), body=text) for i, text in enumerate(texts)]
    results = screen_isolated(screener, ads)
    assert [isinstance(r, ScreeningFailure) for r in results] == [False, True, False]
    assert results[1].stage == f"extract:{cls.name}" and "test panic" in results[1].error
    assert results[0].spans and results[2].spans


def test_the_screeners_profile_readers_run_together() -> None:
    built = {e.name: e for e in build_extractors()}
    together = built["ages"]._together
    assert together is not None
    assert built["prices"]._together is together and built["descriptors"]._together is together
    text = BATCH_SEPARATOR.join(["Petite, 5'2, hazel eyes, age 21, $150 hh", "blonde hair"])
    for name in ("ages", "prices", "descriptors"):
        assert _key(built[name].extract(text)) == _key(built[name].extract_reference(text))


def test_triggers_merge_unless_one_names_a_question_mark() -> None:
    built = {cls.name: cls() for cls in EXTRACTORS}
    prefilters = [built["ages"]._prefilter, built["prices"]._prefilter,
                  built["prices"]._slash_prefilter, built["descriptors"]._prefilter]
    merged = _native.merged_triggers(prefilters)
    assert merged is not None and len(merged[0]) == 4
    for pattern in (r"a\?b", "x[?!]", "[^?]y", "(?>a|\\?)", r"(a)\1", "(?P<"):
        assert _native._matches_question_mark(pattern), pattern
    for pattern in ("ab?c", "(?:x|y)?z", r"\b\w+\W", ".", r"\d{1,2}(?:\s|-)*y"):
        assert not _native._matches_question_mark(pattern), pattern
    questioning = Prefilter([r"\?\s*\d"])
    assert _native.merged_triggers([*prefilters, questioning]) is None


def test_a_trigger_scanned_as_written_must_not_tell_folded_letters_from_a_question_mark() -> None:
    """In one view with triggers that read a folded letter as its ASCII letter, a trigger
    whose own scan reads it as "?" must find no fewer starts for that: it admits no "?", no
    word boundary, no negative lookaround."""
    folding = Prefilter([r"\bage"], caseless=True, folds=True)
    slash = Prefilter([prices._SLASH_TRIGGER], som=True)
    assert not slash.folds and core_triggers([folding, slash])
    for pattern in (r"\d{2,3}/\d{2,3}", r"a\s?b", "(?=s)x"):
        assert not _prefilter._tells_folded_letters(pattern), pattern
    for pattern in (r"\bx", r"a\?", "x[^a]", r"\W", "a(?!s)", ".", r"(a)\1", "(?P<"):
        assert _prefilter._tells_folded_letters(pattern), pattern
    with pytest.raises(ValueError, match="folded character"):
        core_triggers([folding, Prefilter([r"\d\W"])])


# --- the merged triggers' automaton -------------------------------------------------------------


@pytest.fixture(scope="module")
def merged_form():
    built = {cls.name: cls() for cls in EXTRACTORS}
    form = _native.merged_triggers([built["ages"]._prefilter, built["prices"]._prefilter,
                                    built["prices"]._slash_prefilter,
                                    built["descriptors"]._prefilter])
    assert form is not None
    return form


@pytest.fixture(scope="module")
def automaton(merged_form):
    return _core.TriggerAutomaton(merged_form)


def _trigger_starts(form, text: str) -> list[list[int]]:
    """Per trigger set, every position where one of its patterns matches, by `re` over the
    text as the core's triggers see it (ASCII as written, each named character as its byte,
    any other character "?")."""
    sets, named = form
    byte = dict(named)
    view = "".join(c if c.isascii() else chr(byte.get(ord(c), ord("?"))) for c in text)
    found = []
    for patterns, caseless in sets:
        union = "|".join(f"(?:{p})" for p in patterns)
        lookahead = re.compile(f"(?=(?:{union}))", re.ASCII | (re.I if caseless else 0))
        found.append([m.start() for m in lookahead.finditer(view)])
    return found


def _utf32(text: str) -> bytes:
    return text.encode("utf-32-le", "surrogatepass")


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
def test_trigger_automaton_finds_every_trigger_start(merged_form, automaton, text: str) -> None:
    """The merged triggers' DFA, built whole, reports just the positions where a trigger
    matches, per set: what `re` finds there over the same view of the text."""
    assert automaton.starts(_utf32(text)) == _trigger_starts(merged_form, text), text[:300]


def test_trigger_automaton_loads_what_it_wrote(merged_form, automaton) -> None:
    data = automaton.to_bytes()
    loaded = _core.TriggerAutomaton(merged_form, data)
    assert loaded.to_bytes() == data
    texts = [ex.text for cls in EXTRACTORS for ex in cls.examples()]
    texts.append(BATCH_SEPARATOR.join(texts))
    for text in texts:
        assert loaded.starts(_utf32(text)) == automaton.starts(_utf32(text)), text[:300]
    assert any(any(sets) for sets in (automaton.starts(_utf32(t)) for t in texts))


def test_hostile_trigger_automaton_bytes(merged_form, automaton) -> None:
    """Bytes that are no whole DFA, or one of other trigger sets, are refused; a DFA's own
    bytes changed so that they still validate may find other places to try (the disk cache's
    checksum excludes that) but never crash."""
    data = automaton.to_bytes()
    sets, named = merged_form
    fewer = (sets[:3], named)
    for bad, form in ((b"", merged_form), (data[: len(data) // 2], merged_form),
                      (data + b"\0\0\0\0", merged_form), (bytes(len(data)), merged_form),
                      (data, fewer), (_core.TriggerAutomaton(fewer).to_bytes(), merged_form)):
        with pytest.raises(ValueError):
            _core.TriggerAutomaton(form, bad)
    rng = random.Random(3)
    text = _utf32("age 21, 5'2 blonde hair, $150 hh, 60/100/160 " * 3)
    for _ in range(60):
        changed = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            changed[rng.randrange(len(changed))] = rng.randrange(256)
        try:
            loaded = _core.TriggerAutomaton(merged_form, bytes(changed))
        except ValueError:
            continue
        found = loaded.starts(text)
        assert found is None or len(found) == len(sets)


def test_trigger_automaton_through_the_disk_cache(merged_form, automaton, tmp_path,
                                                  monkeypatch, caplog) -> None:
    """Built once, then read back from the cache; a checksum-valid file that is no DFA of
    these triggers is refused, and the automaton built again."""
    import logging

    from amberline import disk_cache

    monkeypatch.setenv("AMBERLINE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_native, "_AUTOMATA", {})
    built: list[int] = []
    real = _core.TriggerAutomaton

    class Counting:
        def __new__(cls, form, data=None):
            if data is None:
                built.append(1)
            return real(form, data)

    monkeypatch.setattr(_core, "TriggerAutomaton", Counting)
    want = automaton.to_bytes()
    assert _native.trigger_automaton(merged_form).to_bytes() == want and built == [1]
    monkeypatch.setattr(_native, "_AUTOMATA", {})
    assert _native.trigger_automaton(merged_form).to_bytes() == want and built == [1]
    (path,) = [p for p in tmp_path.iterdir() if p.name.startswith("trigger-automaton")]
    magic = b"amberline trigger automaton 1\n"
    payload = want[: len(want) // 3]
    path.write_bytes(disk_cache.framed(magic, payload))
    monkeypatch.setattr(_native, "_AUTOMATA", {})
    with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
        assert _native.trigger_automaton(merged_form).to_bytes() == want and built == [1, 1]
    assert "trigger automaton" in caplog.text and "ignoring the cache file" in caplog.text


def _reader_forms() -> dict[str, Any]:
    """Each reader's own trigger sets, as its extractor hands them to the core."""
    built = {cls.name: cls() for cls in EXTRACTORS}
    return {"ages": core_triggers([built["ages"]._prefilter]),
            "prices": core_triggers([built["prices"]._prefilter,
                                     built["prices"]._slash_prefilter]),
            "descriptors": core_triggers([built["descriptors"]._prefilter])}


def test_trigger_ends_load_what_they_wrote_and_refuse_other_bytes(monkeypatch) -> None:
    """A reader's `TriggerEnds` (the forward DFA of its triggers, from the disk cache) loads
    back from its bytes; bytes that are no whole DFA with a start per set are refused, and
    changed bytes that still validate never crash; a reader refuses the ends of other sets."""
    forms = _reader_forms()
    ends = {name: _core.TriggerEnds(form) for name, form in forms.items()}
    for name, form in forms.items():
        data = ends[name].to_bytes()
        assert _core.TriggerEnds(form, data).to_bytes() == data
        for bad in (b"", data[: len(data) // 2], data + b"\0\0\0\0", bytes(len(data))):
            with pytest.raises(ValueError):
                _core.TriggerEnds(form, bad)
    with pytest.raises(ValueError):  # (two sets' bytes for one set)
        _core.TriggerEnds(forms["ages"], ends["prices"].to_bytes())
    rng = random.Random(5)
    data = ends["ages"].to_bytes()
    for _ in range(60):
        changed = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            changed[rng.randrange(len(changed))] = rng.randrange(256)
        with contextlib.suppress(ValueError):
            _core.TriggerEnds(forms["ages"], bytes(changed))
    extractor = AgeExtractor()
    monkeypatch.setattr(_native, "trigger_ends", lambda form: ends["descriptors"])
    with pytest.raises(ValueError, match="other trigger sets"):
        extractor._build_core()


def test_readers_find_the_same_with_trigger_ends_loaded_or_built_here(monkeypatch) -> None:
    """A reader given its `TriggerEnds` (from the disk cache) and one that builds them itself
    (given none) find the same spans with their triggers, the title dash case among them."""
    texts = [ex.text for cls in EXTRACTORS for ex in cls.examples()]
    texts += ["Bella - 23\xa0yrs, 5'2 blonde hair, $150 hh, 60/100/160"]
    texts.append(BATCH_SEPARATOR.join(texts))
    extractors = [cls() for cls in EXTRACTORS]
    monkeypatch.setattr(_native, "trigger_ends", lambda form: None)
    for extractor in extractors:
        own = extractor._build_core()
        width = {"ages": 6, "prices": 8, "descriptors": 5}[extractor.name]
        options = (True, True) if extractor.name == "prices" else True
        for text in texts:
            want = _native.rows(extractor._core, text, width, options)
            assert _native.rows(own, text, width, options) == want, text[:200]
    ages = next(e for e in extractors if e.name == "ages")
    assert [r[:2] for r in _native.rows(ages._core, texts[-2], 6, True)] == [[8, 14]]


def test_a_panic_in_one_reader_run_together_fails_only_its_extractor() -> None:
    trap = "\U0010fffd"
    built = {cls.name: cls() for cls in EXTRACTORS}
    built["prices"]._core = built["prices"]._build_core(panic_on=trap)
    run_together(built["ages"], built["prices"], built["descriptors"])
    text = BATCH_SEPARATOR.join(["age 21, 5'2, blonde hair, $150 hh", f"bad {trap} 5'4 age 23"])
    with pytest.raises(core.CoreFailure, match=r"PriceReader.*test panic"):
        built["prices"].extract(text)
    for name in ("ages", "descriptors"):
        spans = built[name].extract(text)
        assert spans and _key(spans) == _key(built[name].extract_reference(text))
    # A reader replaced after they were joined runs alone.
    built["ages"]._core = built["ages"]._build_core(panic_on=trap)
    with pytest.raises(core.CoreFailure, match=r"AgeReader.*test panic"):
        built["ages"].extract(text)


@pytest.mark.parametrize("cls", EXTRACTORS)
def test_pickled_extractor_rebuilds_its_core(cls) -> None:
    extractor = pickle.loads(pickle.dumps(cls()))
    assert extractor._core is not None
    for text in ("New Latina girl, 5'4 120, brown hair, mixed, age 22, $200 1hr",
                 "aſian girl, juſt turned 22, 200 roſes 1hr"):  # (the prefilter's folds kept)
        assert _key(extractor.extract(text)) == _key(extractor.extract_reference(text))
        assert extractor.extract(text)


@pytest.mark.parametrize("cls", EXTRACTORS)
def test_python_choice_runs_the_reference(monkeypatch, cls) -> None:
    monkeypatch.setenv(core.ENV_VAR, "python")
    core.reset()
    try:
        assert cls()._core is None
    finally:
        monkeypatch.undo()
        core.reset()
    assert cls()._core is not None


# --- one trigger scan for the profile readers and the names -----------------------------------


@pytest.fixture(scope="module")
def name_form():
    from amberline.extract.names import _core_triggers

    return _core_triggers()


@pytest.fixture(scope="module")
def shared(merged_form, name_form):
    return _core.SharedTriggers([(merged_form, False), (name_form, True)])


# The names' cue and title triggers, and the characters the two views read differently: "’"
# (a byte of its own to the profile readers, "?" to the names), the letters the names read as
# ASCII ("ſ" as "s"), "?" itself.
_NAME_PIECES = st.sampled_from(
    ["my name is", "names", "it's", "it’s", "it?s", "I’m", "im", "i am", "call me", "hi",
     "xoxo", " here", "sweet ", "Sexy Mia", " available now", " is back", "\n", "\n ’Mia",
     "\n?", "\n🌹 Ana", "sweet ’", "sweet ?", "ſoy", "ıt's", "\u212aisses from", "İ'm", "Mia"])
_SHARED_TEXTS = st.one_of(_TEXTS, st.lists(st.one_of(_PIECES, _NAME_PIECES), max_size=40)
                          .map("".join))


@settings(max_examples=400, deadline=None)
@given(text=_SHARED_TEXTS)
def test_shared_triggers_give_each_group_its_own_starts(merged_form, name_form, shared,
                                                         text: str) -> None:
    """One DFA of the profile readers' and the names' trigger sets gives each group just the
    starts `re` finds over that group's own view of the text: both read the letters `re`
    folds to ASCII ones ("ſ") as those letters, so the shared view does too."""
    profile, names = (shared.group_starts(_utf32(text), group) for group in (0, 1))
    assert profile == _trigger_starts(merged_form, text), text[:300]
    assert names == _trigger_starts(name_form, text), text[:300]


def test_shared_triggers_widen_near_a_letter_only_one_group_reads_as_ascii(
        merged_form, name_form) -> None:
    """A group that reads a letter as an ASCII one where another reads it as "?" gets more
    starts near it (the names' cue forms allow that), and one that must be exact is
    refused."""
    letters = set(ascii_folds())  # (the digits and spaces both still read as ASCII ones)
    unfolded = (merged_form[0], [p for p in merged_form[1] if p not in letters])
    shared = _core.SharedTriggers([(unfolded, False), (name_form, True)])
    text = "My name is ſara, aſian, 150 roſes"
    profile, names = (shared.group_starts(_utf32(text), group) for group in (0, 1))
    assert profile == _trigger_starts(unfolded, text)
    want = _trigger_starts(name_form, text)
    assert all(set(w) < set(n) for w, n in zip(want, names, strict=True) if w)
    with pytest.raises(ValueError):
        _core.SharedTriggers([(unfolded, False), (name_form, False)])


def test_shared_triggers_load_and_refuse(merged_form, name_form, shared) -> None:
    """The shared DFA loads back from its bytes; groups whose views disagree on a character
    are refused, and so are bytes that are no DFA of these groups."""
    data = shared.to_bytes()
    groups = [(merged_form, False), (name_form, True)]
    loaded = _core.SharedTriggers(groups, data)
    text = _utf32("My name is Mia, it’s 21 yrs, $150 hh\nsweet Ana here ſoy")
    for group in (0, 1):
        assert loaded.group_starts(text, group) == shared.group_starts(text, group)
    sets, named = name_form
    clash = (sets, [*named, (ord("’"), 0x81)])
    for groups, bad in (([(merged_form, False), (clash, True)], None),
                        ([(merged_form, False), (name_form, True)], data[:-8]),
                        ([(merged_form, False), ((sets[:2], named), True)], data)):
        with pytest.raises(ValueError):
            _core.SharedTriggers(groups, bad)


def test_the_names_take_their_starts_from_the_shared_scan() -> None:
    """Built together, the names' scanner reads its cue triggers off the profile readers'
    scan, with the spans it finds alone."""
    from amberline.extract.names import NameExtractor

    built = {e.name: e for e in build_extractors()}
    names = built["names"]
    assert names._together is built["ages"]._together is not None
    alone = NameExtractor()
    assert alone._together is None
    texts = ["My name is Mia, it’s me", "sweet ’Ana’ here\n’Eve available now", "ſoy Ana",
             "I’m Kim, call me", "Hi, xoxo Sexy Mia is back"]
    text = BATCH_SEPARATOR.join(texts)
    built["ages"].extract(text)  # (the pipeline's order: the readers' scan first)
    assert names._together.starts(text, 1) is not None
    assert _key(names.extract(text)) == _key(alone.extract(text))
    assert _key(names.extract(text)) != []
