"""The names extractor's Hyperscan triggers only skip work: the Python reference gives the same
spans with its prefilter as without it (`_prefilter`: a trigger is a superset of its exact
pattern, and each exact match starts where a trigger reports a start).

Two ways this failed: Hyperscan reports one leftmost start per match end, so "my name: Mia" hid
the start of "name:" behind "my"; and caseless Hyperscan does not match the non-ASCII letters a
case-insensitive `re` folds to ASCII ("ſoy", a Kelvin sign in "kisses", a dotless i in "it's").
The compiled core scans the same triggers itself (`names._core_triggers`), and must give the
same spans too.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.extract.names import NameExtractor
from amberline.model import Span

_CUES = ["my name: ", "my name is ", "my names: ", "My  Name's ", "names: ", "name is ",
         "ask 4 ", "ask for ", "I'm ", "im ", "I’M ", "i am ", "this is ", "It's ", "its me ",
         "call me ", "meet ", "booking ", "book with ", "hi from ", "soy ", "miss ", "Ms. ",
         "mrs.", "TS ", "xoxo ", "xo ", "love always ", "Hi gentlemen, ", "hey there!! ",
         "it's your girl ", "me llamo ", "mi nombre es ", "named ", "girlfriend ",
         "my friend ", "introducing ", " here", "Hi guys, ", "\nSweet ", "\nclassy ",
         "\n🔥 ", " 🔥\n", " available now", " just arrived", " is back", "habla ",
         "kisses from ", "greetings from "]
_FOLDS = {"s": "ſ", "k": "\u212a", "i": "ı", "I": "İ"}
_NAMES = ["Mia", "Kenya", "Dani", "Lola", "Sky", "Isis", "Kim", "Ana", "Jo", "Ruby"]
_GLUE = [" ", "  ", "\n", ", ", " and ", "! ", ". ", ":", "'", "’", "-", "é", "my ", "x"]


@st.composite
def _cue(draw: st.DrawFn) -> str:
    """A cue, some of its letters spelled as case-insensitive `re` folds them."""
    cue = draw(st.sampled_from(_CUES))
    if draw(st.booleans()):
        return cue
    return "".join(_FOLDS[c] if c in _FOLDS and draw(st.booleans()) else c for c in cue)


_PIECES = st.one_of(_cue(), _cue(), st.sampled_from(_NAMES), st.sampled_from(_GLUE))


@pytest.fixture(scope="module")
def pair() -> tuple[NameExtractor, NameExtractor]:
    with_pf, without = NameExtractor(), NameExtractor()
    if not with_pf._prefilter.available:
        pytest.skip("Hyperscan is not installed")
    with_pf._scanner = without._scanner = None  # the Python reference
    without._prefilter.available = False
    return with_pf, without


def _spans(names: NameExtractor, text: str) -> list[tuple]:
    return _spans_of(names.extract(text))


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=8))
def test_the_prefilter_changes_no_span(pair, pieces: list[str]) -> None:
    with_pf, without = pair
    text = "".join(pieces)
    assert _spans(with_pf, text) == _spans(without, text), text


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=8))
def test_the_cores_triggers_change_no_span(reference, core_names, pieces: list[str]) -> None:
    """The core scans the same triggers itself (every start, the folded letters read as the
    ASCII letters they fold to): the reference's spans, as when it tries every position."""
    text = "".join(pieces)
    want = _spans(reference, text)
    assert _spans(core_names, text) == want, text
    assert _spans_of(core_names._core_extract(text, whole=True)) == want, text


@pytest.fixture(scope="module")
def reference() -> NameExtractor:
    names = NameExtractor()
    names._scanner = None
    names._prefilter.available = False
    return names


@pytest.fixture(scope="module")
def core_names() -> NameExtractor:
    names = NameExtractor()
    if names._scanner is None:
        pytest.skip("the core is not built")
    return names


def _spans_of(spans: list[Span] | None) -> list[tuple]:
    assert spans is not None
    return [(s.start, s.end, s.value, s.confidence, s.attrs) for s in spans]


_KNOWN = ["my name: Mia", "My names: Mia", "ſoy Dani", "\u212aisses from Mia", "ok ıt's Lola",
          "ok\nclaſſy Ruby", "ok\nMia avaılable now", "ok\n🔥 Mia 🔥"]


@pytest.mark.parametrize("text", _KNOWN)
def test_known_cases(pair, text: str) -> None:
    with_pf, without = pair
    assert _spans(with_pf, text) == _spans(without, text)
    assert _spans(without, text)  # each is a name found by its cue


@pytest.mark.parametrize("text", _KNOWN)
def test_known_cases_in_the_core(reference, core_names, text: str) -> None:
    assert _spans(core_names, text) == _spans(reference, text)
