"""The names' and handles' Python references find a cue or link spelled with a letter that
case-insensitive `re` matches to an ASCII one ("ſoy", "ıt's", "\u212aik.me/mia", "httpſ://")
through their Hyperscan triggers, scanned over the text's folded view
(`_prefilter.folded_view`, `Prefilter(folds=True)`), as the profile readers' references do.

The definition stays their exact regexes run over the whole text: the references must give
those spans, with such letters inside and around the cue words, in an ad alone and in a
batch. And they must not fall back to that whole-text search: one dotless i (common in real
ads, and any poster can add one) used to make the reference search its whole batch with
every exact pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amberline.extract import handles, names
from amberline.extract.base import BATCH_SEPARATOR
from amberline.extract.handles import HandleExtractor
from amberline.extract.names import NameExtractor
from core_support import literal_words, python_folds

_FOLDED_TO: dict[str, list[str]] = {}
for _c, _a in python_folds():
    _FOLDED_TO.setdefault(chr(_a), []).append(chr(_c))

# Per extractor: its module and the names of the exact patterns its prefilter serves.
_EXACT = {"names": (names, ("_CUES", "_HERE", "_LINE_FORMS")),
          "handles": (handles, ("_CUE", "_LINK", "_BARE"))}


class _Spy:
    """A compiled pattern that records each search of a whole text (`finditer`)."""

    def __init__(self, pattern: Any, calls: list[str]) -> None:
        self._pattern, self._calls = pattern, calls

    def finditer(self, *args: Any) -> Any:
        self._calls.append(self._pattern.pattern[:30])
        return self._pattern.finditer(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)


@contextmanager
def _whole_searches(module: ModuleType, attrs: tuple[str, ...]) -> Iterator[list[str]]:
    """The whole-text searches of the module's exact patterns made inside the block."""
    calls: list[str] = []
    kept = {a: getattr(module, a) for a in attrs}
    for a, pattern in kept.items():
        setattr(module, a, _Spy(pattern, calls))
    try:
        yield calls
    finally:
        for a, pattern in kept.items():
            setattr(module, a, pattern)


Extract = Callable[[str], list[tuple]]


def _key(spans: list[Any]) -> list[tuple]:
    return [(s.kind, s.value, s.start, s.end, s.confidence, s.attrs) for s in spans]


@pytest.fixture(scope="module")
def references() -> dict[str, tuple[Extract, Extract]]:
    """Per extractor: (the Python reference as configured, its exact regexes over the whole
    text)."""
    configured_names, whole_names = NameExtractor(), NameExtractor()
    configured_names._scanner = whole_names._scanner = None  # the Python reference
    whole_names._prefilter.available = False
    configured_handles, whole_handles = HandleExtractor(engine="python"), HandleExtractor(
        engine="python")
    whole_handles._prefilter.available = False
    if not (configured_names._prefilter.available and configured_handles._prefilter.available):
        pytest.skip("Hyperscan is not installed")
    return {
        "names": (lambda t: _key(configured_names.extract(t)),
                  lambda t: _key(whole_names.extract(t))),
        "handles": (lambda t: _key(configured_handles.extract_reference(t)),
                    lambda t: _key(whole_handles.extract_reference(t))),
    }


# An ad without such a letter, with a cue of each extractor: in a batch with the text under
# test, whose letter once made the whole batch be searched.
_PLAIN_AD = "Hi, my name is Ruby. snap: ruby_22 or t.me/ruby22"


def _check(references, name: str, text: str) -> int:
    """The configured reference's spans equal the whole-text regexes', in the text alone and
    in a batch, and it searched neither whole; returns the number of spans found."""
    configured, whole = references[name]
    module, attrs = _EXACT[name]
    found = 0
    for t in (text, BATCH_SEPARATOR.join([_PLAIN_AD, text.replace("\f", "\n"), _PLAIN_AD])):
        want = whole(t)
        with _whole_searches(module, attrs) as calls:
            got = configured(t)
        assert got == want, (name, t)
        assert not calls, (name, t, calls)
        found += len(want)
    return found


# --- known cases: a cue, a title word or a link spelled with such a letter -------------------

_NAME_CASES = ["ſoy Dani", "\u212aisses from Mia", "ok ıt's Lola", "İ'm Mia", "ok\nclaſſy Ruby",
               "ok\nMia avaılable now", "Mia juſt arrived", "my name ıs Ruby", "aſk for Kenya",
               "nameſ: Mia", "meet İsis", "thıs is Ana", "MY NAME İS JO", "ok\nſweet Sky\n",
               "Hi guyſ, Mia here", "my name is \u212aenya", "ıt ıs Lola"]
_HANDLE_CASES = ["ſnap: mia_22", "\u212aik.me/mia22", "\u212aik mia_22", "inſtagram.com/mia22",
                 "httpſ://kik.me/mia22", "İg mia_22", "whatſapp 703 555 0142", "ſc- ruby22",
                 "twıtter: ruby22", "WWW.\u212aIK.ME/mia", "ok ı follow @mia_rose",
                 "wa.me/17035550142 ı", "teleg\u212aam no, telegram @mia", "ınstagram.com/mia",
                 "snap: mıa_22", "ſnapchat id mia_22", "tg: @ruby", "wechat ıd mia22"]


@pytest.mark.parametrize("text", _NAME_CASES)
def test_names_known_cases(references, text: str) -> None:
    assert _check(references, "names", text)  # each is a name the whole-text regexes find


@pytest.mark.parametrize("text", _HANDLE_CASES)
def test_handles_known_cases(references, text: str) -> None:
    assert _check(references, "handles", text)


# --- generated: the extractors' own cue words with such letters put in, and around them ------


def _folded_words(*patterns: Any) -> list[str]:
    """The words the patterns spell literally that hold a letter some other letter folds to."""
    words: set[str] = set()
    for pattern in patterns:
        words |= literal_words(pattern)
    return sorted(w for w in words if any(c in _FOLDED_TO for c in w))


_WORDS = {"names": _folded_words(names._CUES, names._HERE, names._LINE_FORMS),
          "handles": _folded_words(handles._CUE, handles._LINK)}
_VALUES = ["Mia", "Ruby", "Kenya", "Isis", "Sky", "mia_22", "ruby.rose", "703 555 0142",
           "17035550142", "Jo"]
_GLUE = [" ", "  ", ": ", "@", "://", ".", "/", ".com/", ".me/", "\n", ", ", "'", "’", "-",
         "é", "x", "🔥", *(chr(c) for c, _ in python_folds())]


@st.composite
def _word(draw: st.DrawFn, name: str) -> str:
    """A cue word in some case, with none, some or all of its foldable letters written as a
    letter `re` folds to them."""
    word = draw(st.sampled_from(_WORDS[name]))
    word = draw(st.sampled_from([word, word.upper(), word.title()]))
    return "".join(draw(st.sampled_from([c, *_FOLDED_TO[c.lower()]]))
                   if c.lower() in _FOLDED_TO else c for c in word)


def _texts(name: str) -> st.SearchStrategy[str]:
    pieces = st.one_of(_word(name), _word(name), st.sampled_from(_VALUES),
                       st.sampled_from(_GLUE))
    return st.one_of(st.lists(pieces, min_size=1, max_size=10).map(" ".join),
                     st.lists(pieces, min_size=1, max_size=14).map("".join))


@settings(max_examples=400, deadline=None)
@given(text=_texts("names"))
@example(text="ſoy Dani")
def test_names_folded_cue_words(references, text: str) -> None:
    _check(references, "names", text)


@settings(max_examples=400, deadline=None)
@given(text=_texts("handles"))
@example(text="ſnap: mia_22")
def test_handles_folded_cue_words(references, text: str) -> None:
    _check(references, "handles", text)


def test_the_cue_words_hold_foldable_letters() -> None:
    """The strategy above has words to put the letters into, from both extractors' patterns."""
    assert {"soy", "kisses", "is", "it"} <= set(_WORDS["names"])
    assert {"snap", "kik", "instagram", "twitter", "is"} <= set(_WORDS["handles"])
