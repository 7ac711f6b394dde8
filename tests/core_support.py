"""Shared by the core's differential tests: the clinical strings the other tests hold."""

from __future__ import annotations

import ast
import re
import re._constants as _sre
import re._parser as _re_parser
import string
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import strategies as st

from amberline import core

TESTS = Path(__file__).parent


def fixture_strings(*names: str) -> list[str]:
    """Every string constant in the named test files (those that exist)."""
    out: list[str] = []
    for name in names:
        path = TESTS / name
        if not path.exists():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out += [n.value for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return out


def hostile_texts(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Fuzzed texts for a differential test: runs of the stage's own `pieces` (glued, and
    spaced), random text, and any code point including lone surrogates."""
    return st.one_of(
        st.lists(pieces, max_size=40).map("".join),
        st.lists(pieces, max_size=25).map(" ".join),
        st.text(),
        st.text(alphabet=st.characters(codec=None)),
    )


def readers_over_whole_text(classes: Sequence[type]) -> dict[str, object]:
    """The profile readers' definitions: each class's reader by name, its prefilters off, so
    its exact regexes run over the whole text."""
    found = {cls.name: cls() for cls in classes}
    for extractor in found.values():
        for prefilter in ("_prefilter", "_slash_prefilter"):
            if hasattr(extractor, prefilter):
                getattr(extractor, prefilter).available = False
    return found


def built_core() -> ModuleType | None:
    """`amberline._core`, or None where it is not built (an error if AMBERLINE_CORE=rust)."""
    try:
        from amberline import _core
    except ImportError:  # pragma: no cover - depends on the build
        if core.choice() == "rust":
            raise
        return None
    return _core


def needs_active_core() -> pytest.MarkDecorator:
    """Skip a test module where the core is not built or not chosen."""
    return pytest.mark.skipif(built_core() is None or not core.active(),
                              reason="amberline._core is not built or not chosen")


def python_folds() -> list[tuple[int, int]]:
    """(code point, ASCII letter) of every non-ASCII character that case-insensitive `re`
    matches to an ASCII letter, found here by `re` itself over every code point."""
    every = "".join(map(chr, range(0x80, 0x110000)))
    return sorted((ord(c), ord(a)) for c in re.findall("(?i:[a-z])", every)
                  for a in string.ascii_lowercase if re.fullmatch(re.escape(a), c, re.I))


def literal_words(pattern: re.Pattern[str]) -> set[str]:
    """The runs of ASCII letters the pattern spells literally ("i" of "i'm" too), lower
    case, as Python's parser reads it: the cue words a fold-letter test puts letters into."""
    words: set[str] = set()
    _literal_words(_re_parser.parse(pattern.pattern, pattern.flags), words)
    return words


def _literal_words(items, words: set[str]) -> None:
    run: list[str] = []
    for op, arg in items:
        if op is _sre.LITERAL and chr(arg).isascii() and chr(arg).isalpha():
            run.append(chr(arg))
            continue
        if run:
            words.add("".join(run).lower())
        run = []
        if op is _sre.BRANCH:
            for branch in arg[1]:
                _literal_words(branch, words)
        elif op in (_sre.SUBPATTERN, _sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT,
                    _sre.ASSERT, _sre.ASSERT_NOT, _sre.ATOMIC_GROUP):
            _literal_words(arg if op is _sre.ATOMIC_GROUP else arg[-1], words)
    if run:
        words.add("".join(run).lower())
