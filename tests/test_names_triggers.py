"""The names extractor's Hyperscan triggers only skip work: the Python reference gives the same
spans with its prefilter as without it (`_prefilter`: a trigger is a superset of its exact
pattern, and each exact match starts where a trigger reports a start).

Two ways this failed: Hyperscan reports one leftmost start per match end, so "my name: Mia" hid
the start of "name:" behind "my"; and caseless Hyperscan does not match the non-ASCII letters a
case-insensitive `re` folds to ASCII ("ſoy", a Kelvin sign in "kisses", a dotless i in "it's").
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.extract.names import NameExtractor

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
    return [(s.start, s.end, s.value, s.confidence, s.attrs) for s in names.extract(text)]


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=8))
def test_the_prefilter_changes_no_span(pair, pieces: list[str]) -> None:
    with_pf, without = pair
    text = "".join(pieces)
    assert _spans(with_pf, text) == _spans(without, text), text


@pytest.mark.parametrize("text", ["my name: Mia", "My names: Mia", "ſoy Dani",
                                  "\u212aisses from Mia", "ok ıt's Lola",
                                  "ok\nclaſſy Ruby", "ok\nMia avaılable now",
                                  "ok\n🔥 Mia 🔥"])
def test_known_cases(pair, text: str) -> None:
    with_pf, without = pair
    assert _spans(with_pf, text) == _spans(without, text)
    assert _spans(without, text)  # each is a name found by its cue
