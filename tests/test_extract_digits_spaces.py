"""The profile readers read a number written with decimal digits of another script, or with
ASCII digits and such digits mixed ("19٥٠ roses", "١٩ yrs"), and a number and its unit
parted by a space of another script ("19\\xa0yrs"), as their regexes read them.

The definition of each reader is its exact regex run over the whole text (the reference with
its prefilter off): `re`'s `\\d` matches every decimal digit and its `\\s` every space, so
"19٥٠ roses" is a price of 1950 to it. The triggers only choose where that regex is tried,
and they read the text in a view of ASCII bytes: one that read such a digit or space as "?"
had no trigger start where the regex matched, and both the reference with its Hyperscan
prefilter and the core dropped the span. The view reads each digit as the ASCII digit of its
value and each space as " " (`_prefilter.view_folds`), in Python (`folded_view`) and in the
core (`core_triggers`' named characters); the ASCII separators "\\x1c" to "\\x1f" too, which
`re`'s `\\s` matches and the triggers' ASCII `\\s` does not. A screening never hands the
readers such characters (the normaliser writes them as ASCII ones, the separators as line
breaks or nothing); any other caller of an extractor may.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.extract import BATCH_SEPARATOR, build_extractors, names
from amberline.extract._prefilter import core_triggers, folded_view, view_folds
from amberline.extract.ages import AgeExtractor
from amberline.extract.descriptors import DescriptorExtractor
from amberline.extract.prices import PriceExtractor
from core_support import readers_over_whole_text

EXTRACTORS = (PriceExtractor, AgeExtractor, DescriptorExtractor)

# Zero of a few scripts' decimal digits: Arabic-Indic, Extended Arabic-Indic, Devanagari,
# Bengali, Thai, fullwidth, mathematical bold (outside the BMP).
_ZEROS = (0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE)


def _digit(value: int, zero: int) -> str:
    return chr(zero + value)


def _key(spans) -> list[tuple]:
    return [(s.kind, s.value, type(s.value), s.start, s.end, s.extractor, s.confidence, s.attrs)
            for s in spans]


@pytest.fixture(scope="module")
def built() -> dict[str, object]:
    """Each reader as the screener builds it (the core's readers run together, their
    trigger scan shared with the names' when the core is active)."""
    return {e.name: e for e in build_extractors() if e.name in ("prices", "ages", "descriptors")}


@pytest.fixture(scope="module")
def alone() -> dict[str, object]:
    return {cls.name: cls() for cls in EXTRACTORS}


@pytest.fixture(scope="module")
def everywhere() -> dict[str, object]:
    """The definition: each reader's reference with its prefilters off, so its regexes run
    over the whole text."""
    return readers_over_whole_text(EXTRACTORS)


def _readings(extractor) -> list:
    """What a reader is held to give: its reference, and its core's rows where it has one."""
    return [extractor.extract_reference] + (
        [extractor.extract] if getattr(extractor, "_core", None) is not None else [])


def _assert_as_defined(text: str, everywhere, *readers) -> None:
    for group in readers:
        for name, extractor in group.items():
            want = _key(everywhere[name].extract_reference(text))
            for read in _readings(extractor):
                assert _key(read(text)) == want, (name, read.__name__, text)


# (reader, text, the values the whole-text regex reads). Arabic-Indic digits: "٠" is 0,
# "٥" is 5; Devanagari "९" is 9; fullwidth "６" is 6.
_TABLE = [
    ("prices", "19٥٠ roses", [1950]),
    ("prices", "1٥٠ roses", [150]),
    ("prices", "1٥0 roses", [150]),
    ("prices", "1٥0/hr", [150]),
    ("prices", "1٥٠ hh", [150]),
    ("prices", "２5 roses and 1००  for 30 min", [100]),
    ("prices", "٣٠/٦٠/٩٠", [30, 60, 90]),
    ("prices", "60/١٠٠/160", [60, 100, 160]),
    ("prices", "١ hr 200", [200]),
    ("prices", "١٥٠ roses", []),  # an amount starts with an ASCII digit ([1-9])
    ("ages", "١٩ yrs", [19]),
    ("ages", "1٩ yrs", [19]),
    ("ages", "१9 years old", [19]),
    ("ages", "Quiet company downtown - ٢٣", [23]),
    ("ages", "Quiet company downtown - 2٣", [23]),
    ("ages", "٢٢yo", [22]),
    ("descriptors", "6٥ lbs", [29.5]),
    ("descriptors", "1１0 lbs", [49.9]),
    ("descriptors", "16٠ cm", [160]),
    ("descriptors", "5٠ kg", [50]),
    # spaces of other scripts: no-break, em, thin
    ("prices", "150\xa0roses", [150]),
    ("prices", "$\xa0150", [150]),
    ("prices", "30\u2009min $100", [100]),
    ("ages", "19\xa0yrs", [19]),
    ("ages", "I'm\xa019", [19]),
    ("ages", "just\u2003turned 18", [18]),
    ("descriptors", "110\xa0lbs", [49.9]),
    ("descriptors", "5\xa0ft 4", [163]),
    ("descriptors", "brown\xa0hair", ["brown"]),
    # the ASCII separators "\x1c" to "\x1f", spaces to `re`'s `\s` (not to the triggers')
    ("ages", "19\x1cyrs", [19]),
    ("ages", "I'm\x1d19", [19]),
    ("prices", "150\x1froses", [150]),
    ("prices", "$\x1e150", [150]),
    ("descriptors", "110\x1clbs", [49.9]),
    ("descriptors", "brown\x1fhair", ["brown"]),
]


@pytest.mark.parametrize(("name", "text", "values"), _TABLE)
def test_numbers_with_other_scripts_digits(built, alone, everywhere, name: str, text: str,
                                           values: list) -> None:
    assert [s.value for s in everywhere[name].extract_reference(text)] == values
    _assert_as_defined(text, everywhere, {name: alone[name]}, {name: built[name]})
    joined = BATCH_SEPARATOR.join(["Mia, 5'2, $150 hh", text, "age 21"])
    _assert_as_defined(joined, everywhere, {name: alone[name]}, {name: built[name]})


def test_the_view_reads_every_digit_and_space_re_reads_as_an_ascii_one() -> None:
    """`view_folds` holds every non-ASCII character `re`'s `\\d` matches, as its value's
    ASCII digit, and every one its `\\s` matches, as " ", beside the folded letters; the
    readers' core views and the names' read it, so their trigger scan stays one shared
    pass."""
    digits = {c: a for c, a in view_folds() if chr(a).isdigit()}
    want = {c: ord("0") + unicodedata.decimal(chr(c)) for c in range(0x80, 0x110000)
            if chr(c).isdecimal()}  # (what `re`'s `\d` matches)
    assert digits == want and len(want) > 600
    spaces = {c for c, a in view_folds() if a == ord(" ")}
    # (`\s`, but for the ASCII spaces the triggers' own `\s` matches)
    assert spaces == {c for c in range(0x110000) if chr(c).isspace()} - set(b" \t\n\v\f\r")
    assert {0xA0, 0x85, 0x2003, 0x3000, 0x1C, 0x1F} <= spaces
    assert folded_view("19٥٠ roſes,\xa0١٩ yrs") == "1950 roses, 19 yrs"
    for extractor in (PriceExtractor(), AgeExtractor(), DescriptorExtractor()):
        prefilters = [p for p in (extractor._prefilter, getattr(extractor, "_slash_prefilter",
                                                                 None)) if p is not None]
        assert all(p.folds for p in prefilters)
        assert set(view_folds()) <= set(core_triggers(prefilters)[1])
    assert set(view_folds()) <= set(names._core_triggers()[1])
    if core.provides("SharedTriggers"):
        readers = {e.name: e for e in build_extractors()}
        assert readers["names"]._together is readers["ages"]._together is not None
        assert readers["ages"]._together._shared is not None


_DIGITS = st.builds(_digit, st.integers(0, 9), st.sampled_from(_ZEROS))


@st.composite
def _number(draw) -> str:
    """A digit run, each digit ASCII or another script's, sometimes with a comma group or
    cents."""
    digits = draw(st.lists(st.one_of(st.sampled_from("0123456789"), _DIGITS), min_size=1,
                           max_size=5))
    run = "".join(digits)
    return draw(st.sampled_from([run, run + ",٥00", run + ".5", run + ".٥0"]))


_SPACES = st.sampled_from(["\xa0", "\u2003", "\u2009", "\u3000", "\x85", "\u202f", "\x1c",
                          "\x1f"])
_AROUND = st.sampled_from(
    ["", " ", "$", "€", "🌹 ", " roses", "🌹", " usd", "/hr", " hh", " hr", "hr ", "qv ",
     " for 30 min", " min", "/", " - ", "-", " yrs", " years old", "yo", "y/o", "age ",
     "I'm ", "just turned ", "Title - ", "\n", " lbs", "#", " cm", " kg", "'", "5'", " ft ",
     "x", "ſ", "İ", ",", "."])


@settings(max_examples=300, deadline=None)
@example(pieces=["19٥٠", " roses"])
@example(pieces=["١٩", " yrs"])
@example(pieces=["6٥", " lbs"])
@example(pieces=["٣٠", "/", "٦٠", "/", "٩٠"])
@example(pieces=["19", "\xa0", "yrs"])
@example(pieces=["19", "\x1c", "yrs"])
@given(pieces=st.lists(st.one_of(_number(), _AROUND, _SPACES), min_size=1, max_size=12))
def test_mixed_digit_runs_as_the_whole_text_regex_reads_them(built, alone, everywhere,
                                                             pieces: list[str]) -> None:
    """Each reader, alone and as the screener builds it, by its reference with its
    prefilter and by its core, gives what its regexes give over the whole text, around
    digit runs mixing ASCII and other scripts' digits, and spaces of other scripts."""
    text = "".join(pieces)
    _assert_as_defined(text, everywhere, alone, built)
    _assert_as_defined(BATCH_SEPARATOR.join([text, text]), everywhere, alone, built)
