"""The core's word scan for the names extractor against the Python reference: identical output.

The specification is `NameExtractor._scan` without the core (`extract/names.py`): which
Capitalised words are given names or unknown words standing alone, with the context cue each
gets (`_word_hit`), the words beside phone-number runs and the names of profile cards. The core
must give the same rows (`_scan`) and hence the same name spans for every text: the synthetic
corpus, every clinical fixture of the name, ad and extractor tests, fuzzed text (any Unicode
including lone surrogates, case oddities such as a capital sigma, a dotted capital I or a title-
case digraph, other scripts' digits, emoji, form feeds), and huge inputs. A panic inside the
core fails the batch with `CoreFailure`, and `screen_isolated` then quarantines only the ad that
caused it.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.extract import BATCH_SEPARATOR
from amberline.extract import names as names_mod
from amberline.extract.names import NameExtractor
from core_support import built_core, fixture_strings, hostile_texts, needs_active_core

_core = built_core()
pytestmark = needs_active_core()


@pytest.fixture(scope="module")
def extractor() -> NameExtractor:
    return NameExtractor()


def _spans(extractor: NameExtractor, text: str) -> list[tuple]:
    return [(s.start, s.end, s.value, s.confidence, s.attrs) for s in extractor.extract(text)]


def _both(extractor: NameExtractor, text: str) -> tuple[tuple, tuple]:
    scanner = extractor._scanner
    assert scanner is not None
    try:
        got = (extractor._scan(text), _spans(extractor, text))
        extractor._scanner = None
        want = (extractor._scan(text), _spans(extractor, text))
    finally:
        extractor._scanner = scanner
    return got, want


def _assert_same(extractor: NameExtractor, texts: list[str]) -> None:
    for text in texts:
        got, want = _both(extractor, text)
        assert got == want, text
    got, want = _both(extractor, BATCH_SEPARATOR.join(texts))  # as the pipeline calls it
    assert got == want


def test_cue_ids_are_the_cores() -> None:
    assert tuple(_core.NAME_CUES) == names_mod._CORE_CUES


def test_synthetic_corpus_raw_and_normalised(extractor) -> None:
    from amberline.synth.generate import generate
    from amberline.text.normalise import reference_batch

    ads, _truth = generate(1500, 7)
    texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
    joined = BATCH_SEPARATOR.join(texts)
    words, neighbours, _cards = extractor._scan(joined)
    assert len(neighbours) > 100 and sum(cue is not None for *_, cue in words) > 100  # exercised
    for chunk in (texts[:500], texts[500:1000], texts[1000:]):
        _assert_same(extractor, chunk)
    _assert_same(extractor, [n.text for n in reference_batch(texts[:500])])


def test_clinical_fixtures(extractor) -> None:
    texts = fixture_strings("test_names_positions.py", "test_extractor_examples.py",
                            "test_extract_profile.py", "test_extract_contact.py",
                            "test_extract_lookup_tables.py", "test_normalise.py",
                            "test_places_listed.py", "test_link_place.py")
    assert len(texts) > 100
    _assert_same(extractor, texts)
    _assert_same(extractor, [t.upper() for t in texts])
    _assert_same(extractor, [t.title() for t in texts])


def test_the_core_lowers_a_capital_sigma_and_a_dotted_capital_i_as_python(extractor) -> None:
    """A capital sigma lowers by context (final or not, case-ignorable letters skipped), a
    dotted capital I to two characters: the core lowers both as `str.lower()` does, so no
    word is left to Python (kind 255) and the whole text stays in the core."""
    text = ("Mia 23 y/o\nΣara - 24\nMİA 🌹\nAmyΣ 22 yrs\nǅana 25 y/o\nΣΣ, ΣaΣ, AΣʰΣa & ΑΣʰ"
            " 703 555 0142 İlayda 22 y/o\nMİA SALLY JO\nΣ")
    rows, _phones, _cards, errors = extractor._scanner.scan_batch(*core.batch_buffer([text]))
    assert not errors
    kinds = {text[s:e]: k for _i, s, e, k, _c in
             np.frombuffer(rows, dtype="<i8").reshape(-1, 5).tolist()}
    assert kinds and names_mod._DEFER not in kinds.values()
    assert names_mod._core_positional(extractor, text, set()) is not None
    _assert_same(extractor, [text])


def test_positional_names_come_from_the_core(extractor) -> None:
    """`_positional` takes the core's final rows (no text left to the reference) on the
    synthetic corpus, and they are the reference's spans; a list of thousands of names is
    taken up without recursion by both."""
    from amberline.synth.generate import generate

    ads, _truth = generate(300, 5)
    text = BATCH_SEPARATOR.join(f"{ad['title']}\n{ad['body']}" for ad in ads)
    spans = names_mod._core_positional(extractor, text, set())
    assert spans is not None and len(spans) > 50
    long_list = "703 555 0142 " + "Mia, Ruby, Jade & Lola, " * 2000 + "MIA SALLY JO TAMI"
    _assert_same(extractor, [long_list])
    assert len(extractor.extract(long_list)) > 4 * 2000  # every listed name


_NAMES = ["Mia", "MIA", "mia", "Taijah", "Rose", "ROSE", "Carly", "King", "Sexy", "Yumi",
          "Ana-Maria", "Amber_Lynn", "AmberLynn", "PlAyMaT", "Elain", "Nini", "NINI", "Sally",
          "Jo", "Dallas", "Austin", "Charlotte", "Stanton", "Beverly", "Hills", "Day", "Spa",
          "Honey", "Éloïse", "Zoë", "Ängel", "Ørla", "Þóra", "Kenya", "Iris", "MiaAvailable",
          "espanolConvenient", "JADE", "LOLA", "MISO", "TAMI", "San", "Leandro", "Massage",
          "Studio", "Σara", "AmyΣ", "MİA", "İlayda", "ΣΣ"]
_GLUE = [" ", "  ", "\t", "\n", "\f", ", ", " & ", " and ", "~ ", " ~", "• ", " •", "--", "-",
         "_", "'", "’s", "'s ", ". ", "!", "@", "#", "/", ".com", "St. ", " - ", ": ", "\"",
         "“", "”", " xoxo ", "ask for ", "text ", "\n\f\n", " / ", " < ", " AND ", " + ",
         ",", "Ft. ", " day  ", "ʰ", "\u0345", "'"]
_CUES = ["my name is ", "My  Name's ", "names: ", "name is ", "ask 4 ", "I'm ", "im ", "I’M ",
         "i am ", "this is ", "It's ", "its me ", "call me ", "meet ", "Meet🌹", "booking ",
         "hi from ", "soy ", "ſoy ", "miss ", "Ms. ", "mrs.", "TS ", "xoxo ", "love always ",
         "Hi gentlemen, ", "hey there!! ", "it's your girl ", "me llamo ", "named ", " here",
         " HERE!", "Hi guys, ", "\nSweet ", "\n🔥 ", " 🔥\n", " available now", " is back",
         "\nLovely ", " in ", " from ", "kiſſes from ", "\u212aisses from ", " or ", "Spa"]
_AGES = ["23 y/o", "22yo", "19 yrs", "33 years", "25 y0", "21 Y/O", " 36D-24-36", " ,34dd/",
         " - 26", " - 26 yrs", " - 99", " - 26.", " - 2٣", "age: 22", "AGE=31", "Age 19",
         "Poster's age: 23", "poster’s  AGE :45", "1８", "18", "\"MIA\" AGE: 21",
         "“Mia” -age=22", "\" Jo \"~~ age 19", "”Ruby“age 2٣"]
_PHONES = ["703 555 0142", "(703) 555-0142", "703.555.0142", "7035550142", "17035550142",
           "703-555-01", "7 0 3 5 5 5 0 1 4 2", "٧٠٣٥٥٥٠١٤٢", "²703 555 0142", "703  555  0142",
           "1234567890123456"]
_ODD = ["İ", "ı", "\u212a", "ſ", "Σ", "σ", "ς", "ß", "ǅ", "ǈ", "ᾈ", "\u00a0", "\u2028", "\x0b",
        "\r", "_", "\ud800", "🌹", "🔥", "✈️", "\u200b", "e\u0301", "Ｍｉａ", "Ⓜ", "Ⅻ", "²"]
_PIECES = st.one_of(
    st.sampled_from(_NAMES), st.sampled_from(_GLUE), st.sampled_from(_AGES),
    st.sampled_from(_CUES), st.sampled_from(_CUES),
    st.sampled_from(_PHONES), st.sampled_from(_ODD),
    st.text(alphabet=" \t\n\f-'’", min_size=1, max_size=4),
    st.text(max_size=4),
)
_TEXTS = hostile_texts(_PIECES)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=5))
def test_fuzzed_texts(extractor, texts: list[str]) -> None:
    _assert_same(extractor, texts)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=3))
def test_without_the_prefilter(texts: list[str]) -> None:
    """Without Hyperscan the reference runs `finditer` (with Hyperscan, a text holding a
    letter such as the "ſ" of "ſoy" has its triggers scanned over its folded view); the core
    scans its own triggers either way, and searches the whole text when told to."""
    names = _without_prefilter()
    texts = [*texts, "kiſſes from Kenya\n\u212aisses from Mia\nſweet Dani"]
    _assert_same(names, texts)
    for text in [*texts, BATCH_SEPARATOR.join(texts)]:
        assert _core_spans(names, text, whole=True) == _core_spans(names, text), text


# "<Name> here" (`_BEFORE_HERE`, which the core matches by hand): the greetings and whom words
# in any case and order ("all" also starts "allison"), names about the 40-character window,
# too long, hyphenated or glued, and the characters a match may or may not start after.
_HERE_PIECES = st.one_of(
    st.sampled_from(["hi", "HEY", "Hello", "hiya", "HIYA", "hİ", "guys", "Gents", "gentlemen",
                     "all", "allison", "there", "BABY", "babe", " ", "\t", "  ", "\n", "\f", "'",
                     "’", "!", ",", "x", "2", "_", "-", "🌸", "Mia", "Ana-Maria", "Ana-M",
                     "Abcdefghijklmnopqrstu", "Éloïse", " here", " HERE", "\there", " here!"]),
    st.text(alphabet="hiyaegnts -\n'", min_size=1, max_size=5),
)


def test_known_names_before_here(extractor) -> None:
    texts = ["Hi guys, Mia here!", "hiya Mia here", "Hiya here", "hi allison here",
             "Hello gentlemen Ana-Maria here", "Hi gents \t Mia \t here", "Mia here",
             "x Mia here", "'Mia here", "’Mia here", "!Mia here", "\nMia here", "Mia\n here",
             "!Abcdefghijklmnopqrstuvw here", "!Ana-Mia here", "!Ana-M here", "!Ana- here",
             "!Ana_Mia here", "!Mia2 here", "🌸Mia here", "HIYA BABE MIA HERE",
             "hey there Mia here", "x" * 39 + "!Mia here", "hi there" + " " * 30 + "Mia here"]
    here = [s for t in texts for s in _spans(extractor, t) if s[4] == {"cue": "here"}]
    assert len(here) >= 10  # exercised
    _assert_same(extractor, texts)


@settings(max_examples=400, deadline=None)
@given(pad=st.integers(0, 45), pieces=st.lists(_HERE_PIECES, min_size=1, max_size=10))
def test_names_before_here(extractor, pad: int, pieces: list[str]) -> None:
    text = "".join(pieces)
    _assert_same(extractor, [text, "x" * pad + text, " " * pad + text + " here"])


# `_CUES` (which the core matches by hand): each cue alternative and its optional parts ("my
# name is" / "my name's", "it's me" / "it's", "xoxo" / "xo", "ms." / "ms"), cue words run into
# a name ("my name isabel"), what may follow a cue (punctuation, an emoji with or without its
# variation selector, a title), the words no list holds (`_NOT_CUE`), the list separators with
# and without their joiner, letters `re` folds to ASCII ones, and names too long or glued.
_CUE_WORDS = st.sampled_from(
    ["my name is", "My  Name's", "my names", "my name", "my name isabel", "names:", "name :",
     "NAMES are", "name is", "named", "ask for", "ask\t4", "me llamo", "mi nombre es",
     "girlfriend", "girl friend", "my friend", "it's your girl", "its your girl", "your girl",
     "i'm", "I \t’M", "i m", "im", "i am", "this is", "name's", "name’s", "it's me", "ITS  me",
     "it's", "it is", "call me", "meet", "introducing", "booking", "book with", "hi from",
     "hello from", "hey from", "greetings from", "kisses from", "soy", "miss", "mz", "ms.", "Ms",
     "mrs.", "MRS", "ts", "habla", "xoxo", "xo", "love always", "hiya gentlemen,,",
     "hey there!.", "hi babe", "Hello daddy", "hi papi", "hi gentleman", "hi gents!", "ſoy",
     "kiſſes from", "\u212aisses from", "İ'm", "ıt's", "here"])
_AFTER_CUE = st.sampled_from(
    [" ", "  ", "\t", ":", "-", ".", ",", "\"", "“", "'", "’", "*", "~", "🌸", "🌸\ufe0f",
     "\ufe0f", "☀", "⭐", "\n", "Miss ", "ms. ", "MRS.", "ts .", "Tsa ", "isabel", "2"])
_LISTED = st.sampled_from(
    ["Mia", "ROSE", "Ana-Maria", "Ana-M", "Mia-", "Abcdefghijklmnopqrstu", "Éloïse", "Jo", "J",
     "my", "me", "i", "it", "its", "it's", "i’m", "name's", "names", "this", "love", "hello",
     "xo", "and", "or", ", ", " and ", " or ", " & ", "+", "/", " AND ", ",and ", ", or  ", " ",
     "\t", "_", "2", "-", "ı", "İ", "\u212a", "ſ", "é", "\n", "'", "’"])


def test_known_cue_forms(extractor) -> None:
    texts = ["my name isabel", "My name is Mia", "my name's Ruby", "names: Jade, Lola and Mia",
             "xoxo Mia", "xoxoMia", "it's me Candy", "its me", "It's Miss Nia", "I'm 🌸\ufe0f Mia",
             "I'm 🌸\ufe0fMia", "call me ms. Jo", "Mia, and my friend Ruby", "names Mia & or Jo",
             "hi there!! my name is Ana-Maria", "ask 4 Abcdefghijklmnopqrstu", "I am: ~ Rose",
             "meet Mia-", "meet Mia-R", "Hey gentlemen,,, Remi here", "ſoy Mia",
             "kiſſes from Kenya", "meet name's Mia", "meet i’m Mia", "meet it's Mia",
             "Mia, name's Jo", "hi ", "Hey\t", "my name  ", "it's "]
    cued = [s for t in texts for s in _spans(extractor, t) if "cue" in s[4]]
    assert len(cued) >= 12  # exercised
    _assert_same(extractor, texts)


@settings(max_examples=500, deadline=None)
@given(before=st.sampled_from(["", "x ", "\n", "'", "a", "~"]), cue=_CUE_WORDS,
       after=st.lists(_AFTER_CUE, max_size=4), listed=st.lists(_LISTED, min_size=1, max_size=9))
def test_cue_forms(extractor, before: str, cue: str, after: list[str],
                   listed: list[str]) -> None:
    text = before + cue + "".join(after) + "".join(listed)
    _assert_same(extractor, [text, text.upper()])


# The title forms from a line's start (which the core matches by hand): emoji around a name
# (with and without their variation selector), up to two Capitalised words before an
# adjective in any case, what may follow the name ("in", "from", "is" as words, punctuation,
# a line's end), and "<Name> available now" / "just arrived" / "is back".
_TITLE_LINES = st.tuples(
    st.sampled_from(["", " ", "\t ", "🔥 ", "🔥\ufe0f🌸 ", "⭐", "\ufe0f", "x"]),
    st.lists(st.sampled_from(["New ", "Hot ", "Mr. ", "O'Neil ", "X_Y ", "new ", "A  ", "B"]),
             max_size=3),
    st.sampled_from(["Sweet", "sweet", "LOVELY", "Sexy", "sexyy", "petite", "Pretty", "", "Mia"]),
    st.sampled_from([" ", "  ", "\t", "", "-"]),
    st.sampled_from(["Mia", "Ana-Maria", "Ana-M", "Éloïse", "Abcdefghijklmnopqrstu", "in"]),
    st.lists(st.sampled_from([" in", " In", "in", " from", " is", " isn't", " inside", ",", "–",
                              " |", "~", " available now", " AVAILABLE \t NOW", " just arrived",
                              " is back", " is backk", " 🔥", "🔥", "\ufe0f", "⭐", " ", "\t",
                              "\n", "x", "2"]), max_size=3),
)


def test_known_title_forms(extractor) -> None:
    texts = ["Sweet Mia", "New Hot Sexy Mia in town", "Hot New Mr. Sweet Mia", "🔥 Mia 🔥",
             "🔥\ufe0f🌸 Mia\t⭐", "Mia available now", "Mia is back!", "  lovely Ruby, 22",
             "Sweet Mia inside", "Sweet Mia is", "A B C sweet Mia", "Mia just  arrived"]
    titled = [s for t in texts for s in _spans(extractor, t) if "title" in s[4].get("cue", "")]
    assert len(titled) >= 6  # exercised
    _assert_same(extractor, texts)


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(_TITLE_LINES, min_size=1, max_size=3))
def test_title_forms(extractor, lines: list[tuple]) -> None:
    text = "\n".join(lead + "".join(words) + adjective + gap + name + "".join(after)
                     for lead, words, adjective, gap, name, after in lines)
    _assert_same(extractor, [text, text.upper()])


# The patterns `names.rs` matches by hand (`cue_at`, `before_here`, `line_form`), as they were
# when it was written. The tests above compare the two only on the texts they make, so a change
# to one of these patterns fails here first: change `names.rs` to match, extend the tests above
# to the new form, then record the new patterns here.
_HAND_MATCHED = {
    "_CUES": "91c944d19caadd88",
    "_HERE": "1d0bd2453e5774eb",
    "_ITEM": "74bf50219bd534b0",
    "_BEFORE_HERE": "d5da51e14bed344b",
    "_LINE_FORMS": "8f5356744d11e910",
}


def test_the_hand_matched_patterns_are_those_names_rs_follows() -> None:
    found = {name: hashlib.sha256(getattr(names_mod, name).pattern.encode()).hexdigest()[:16]
             for name in _HAND_MATCHED}
    assert found == _HAND_MATCHED, "a pattern names.rs matches by hand changed: see above"


# Lists of names before a name found beside a phone number: the core looks for the name
# before a separator only where the text ends as a separator can.
_LIST_PIECES = st.sampled_from(
    ["Mia", "Ruby", "Jade", "ANA", "Éloïse", "Ana-Maria", ",", "&", "+", "/", "<", "and", "AND",
     "aNd", "or", "\"", "“", "”", "'", "’", " ", "\t", "\n", "x", "_", "7", "🌹"])


def test_known_lists_before_a_name(extractor) -> None:
    texts = [f"Mia{sep}Ruby 703 555 0142" for sep in
             (",", " & ", "+", " / ", "<", " and ", " AND ", "\" , “", "’ and ’", ", \n", " or ")]
    _assert_same(extractor, texts)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_LIST_PIECES, min_size=1, max_size=12))
def test_lists_before_a_name(extractor, pieces: list[str]) -> None:
    text = "".join(pieces)
    _assert_same(extractor, [text + "Ruby 703 555 0142", text + "Ruby\n703 555 0142 Mia"])


# Digit chains of every length (the core skips a broken chain whole), quotes, capitals and
# non-ASCII digits at every offset from a text's start (the core looks at 16 characters at a
# time for where a phone run, a card or a Capitalised word may start).
_RUN_PIECES = st.one_of(
    st.text(alphabet="0123456789٣٧²𝟕 -.()/\n\f_a", min_size=1, max_size=30),
    st.sampled_from(["Mia", "ROSE", "Éloïse", "Ørla", "\"", "“", "”", "\"Mia\" age 22",
                     "🌹", "×", "÷", "Þóra", " ", "call ", " or ", "ſ", "İ"]),
)


@settings(max_examples=300, deadline=None)
@given(pad=st.integers(0, 40), pieces=st.lists(_RUN_PIECES, min_size=1, max_size=12))
def test_digit_chains_quotes_and_capitals_at_every_offset(extractor, pad: int,
                                                          pieces: list[str]) -> None:
    text = "x" * pad + "".join(pieces)
    _assert_same(extractor, [text, "".join(pieces) + "🔥" * pad])


def test_known_digit_chains(extractor) -> None:
    texts = ["Mia 12345 1234567 ask", "Mia 1-2-3-4-5 703 555 0142 Rose", "12 34 5 67 89 01 23 Mia",
             "Mia 1234567890123 Rose", "Rose 1 2 3 4 5 6 7 8 9 0 1 2 3 4 Mia", "5" * 13 + " Mia",
             "Mia ٧٠٣٥٥٥0142 Jo", "Mia 70355 501 42", "Jo \"Mia\" AGE: 21 “Rose” age 22"]
    _assert_same(extractor, texts)
    _assert_same(extractor, [t + "A" * k for t in texts for k in range(17)])


def _core_spans(names: NameExtractor, text: str, whole: bool = False) -> list[tuple]:
    spans = names._core_extract(text, whole)
    assert spans is not None
    return [(s.start, s.end, s.value, s.confidence, s.attrs) for s in spans]


_NO_PREFILTER: list[NameExtractor] = []


def _without_prefilter() -> NameExtractor:
    if not _NO_PREFILTER:
        names = NameExtractor()
        names._prefilter.available = False
        _NO_PREFILTER.append(names)
    return _NO_PREFILTER[0]


def test_huge_inputs(extractor) -> None:
    rng = random.Random(11)
    pieces = _NAMES + _GLUE + _AGES + _PHONES + _ODD + _CUES
    texts = ["".join(rng.choice(pieces) for _ in range(30_000)) for _ in range(2)]
    texts.append(" " * 100_000 + "Mia 23 y/o")
    texts.append("Mia " * 30_000)
    texts.append("7" * 100_000)
    texts.append("A" + "a" * 100_000 + " 22 yrs")
    texts.append("🌹" * 50_000)
    texts.append("my name is " * 20_000 + "Mia")
    texts.append("\n".join(["Sweet Dani", "🔥 Remi 🔥", "Mia here"] * 10_000))
    _assert_same(extractor, texts)
    _assert_same(_without_prefilter(), texts)


def test_a_panic_fails_the_batch_and_quarantines_only_that_ad() -> None:
    from amberline.isolate import ScreeningFailure, screen_isolated
    from amberline.model import Ad
    from amberline.pipeline import Screener

    trap = "\U0010fffd"
    screener = Screener()
    names = next(e for e in screener.extractors if isinstance(e, NameExtractor))
    names._scanner = names_mod._build_scanner(names, panic_on=trap)
    with pytest.raises(core.CoreFailure, match=r"name scan failed on text 0.*test panic"):
        names.extract(f"Mia {trap}")
    ads = [Ad(source="t", source_id="a", body="Mia 23 y/o"),
           Ad(source="t", source_id="b", body=f"Ruby {trap}"),
           Ad(source="t", source_id="c", body="Jade 24 y/o")]
    results = screen_isolated(screener, ads)
    assert [type(r).__name__ for r in results] == ["Screening", "ScreeningFailure", "Screening"]
    failure = results[1]
    assert isinstance(failure, ScreeningFailure)
    assert failure.stage == "extract:names" and "test panic" in failure.error
    assert [s.value for s in results[0].spans if s.kind == "name"] == ["Mia"]


def test_the_reference_runs_without_the_core(monkeypatch) -> None:
    monkeypatch.setenv(core.ENV_VAR, "python")
    core.reset()
    try:
        assert NameExtractor()._scanner is None
    finally:
        monkeypatch.undo()
        core.reset()


def test_pickles_for_workers(extractor) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(extractor))
    assert again._scanner is not None
    assert [s.value for s in again.extract("Mia 23 y/o")] == ["Mia"]


def test_bad_buffers_are_rejected(extractor) -> None:
    with pytest.raises(ValueError):
        extractor._scanner.scan_batch(b"abc", [0, 1])
    with pytest.raises(ValueError):
        extractor._scanner.scan_batch("ab".encode("utf-32-le"), [0, 3])


def test_triggers_are_set_once_and_must_be_the_cue_forms_three_sets(extractor) -> None:
    module = core.load()
    scanner = names_mod._build_scanner(extractor)
    one_set = module.TriggerAutomaton(([([r"\bmy\b"], True)], []))  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="3 trigger sets"):
        scanner.use_triggers(one_set)
    scanner.use_triggers(module.TriggerAutomaton(names_mod._core_triggers()))  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="set already"):
        scanner.use_triggers(module.TriggerAutomaton(names_mod._core_triggers()))  # type: ignore[union-attr]
    text = "Hi guys, I'm Candy and I am new here. Mia here!"
    data, bounds = core.batch_buffer([text])
    assert scanner.extract_batch(data, bounds) == extractor._scanner.extract_batch(data, bounds)
