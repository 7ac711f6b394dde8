"""Which listed name starts at a position: dictionary look-ups instead of a regex alternation.

Why: the place extractor asks, for every place name it finds, whether a state, province or
country follows ("Dallas, TX", "Salem, Oregon", "Paris, France") and whether a cue word
precedes it ("in", "near", "visiting"). As Python regexes these are alternations of a hundred
or more words, tried one after another; here the first word at the position picks the few
candidates from a dict, so the cost no longer grows with the list. Each class answers exactly
what its regex would, and documents that regex; a test compares them on random text.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from amberline.disk_cache import regex
from amberline.text.native import fold_table

_LETTERS = regex(r"[^\W\d_]+")
# The gap before a name or code (spaces, one comma), then the letters of the next word if any.
_GAP_WORD = regex(r"(?P<gap>[^\S\f]*,?[^\S\f]*)(?P<word>[^\W\d_]+)?")
_WORD_CHAR = regex(r"\w")
_CODE_END = regex(r"[\w.]")


def fold(s: str) -> str:
    """Lower case as Python's case-insensitive `re` compares ASCII letters."""
    return s.lower() if s.isascii() else s.translate(fold_table()).lower()


_TERM_GAP = regex(r"[\s-]+")


@lru_cache(maxsize=4096)  # pure; matches are vocabulary words in a few spellings
def term_key(term: str) -> str:
    """The key a vocabulary term is stored and looked up by: folded as the case-insensitive
    regex folds it, with spaces and hyphens removed.

    Why: the patterns built from a word list let the gaps inside a term be a space, a hyphen or
    nothing ("puerto rican", "puerto-rican", "puertorican"), and let "ſ" match "s"; a table keyed
    by any narrower form misses spellings the pattern matches, and the look-up raises.
    """
    return _TERM_GAP.sub("", fold(term))


def _boundary(text: str, pos: int) -> bool:
    """`\\b` at `pos`."""
    before = pos > 0 and _WORD_CHAR.match(text, pos - 1) is not None
    after = _WORD_CHAR.match(text, pos) is not None
    return before != after


class NamesAfter:
    """`match(text, pos)` = the end of
    ``[^\\S\\f]*,?[^\\S\\f]*(?:(?P<code>CODES)(?![\\w.])|(?i:(?P<name>NAMES))\\b)`` at `pos`
    (NAMES longest first), as (end, code or None, the listed name or None); None if it does
    not match.

    Names must be lower-case ASCII starting with a letter; codes are matched case-sensitively.
    """

    def __init__(self, names: Iterable[str], codes: Iterable[str] = ()) -> None:
        self.codes = frozenset(codes)
        by_word: dict[str, list[str]] = {}
        for name in names:
            if not name.isascii() or name != name.lower():
                raise ValueError(f"name {name!r} is not lower-case ASCII")
            first = _LETTERS.match(name)
            if first is None or first.start() != 0:
                raise ValueError(f"name {name!r} does not start with a letter")
            by_word.setdefault(first.group(), []).append(name)
        for group in by_word.values():
            group.sort(key=len, reverse=True)
        self._by_word = by_word

    def match(self, text: str, pos: int) -> tuple[int, str | None, str | None] | None:
        gap = _GAP_WORD.match(text, pos)  # always matches (everything in it is optional)
        p = gap.end(1)  # the end of the gap
        code = text[p : p + 2]
        if code in self.codes and _CODE_END.match(text, p + 2) is None:
            return p + 2, code, None
        word = gap.group(2)  # the letters after it
        if word is None:
            return None
        for name in self._by_word.get(fold(word), ()):
            end = p + len(name)
            if fold(text[p:end]) == name and _boundary(text, end):
                return end, None, name
        return None


_CUE_TAIL = regex(r"[^\S\f]*[:,-]?[^\S\f]*(\w+)")


_THE_BEFORE = regex(r"[^\S\f]+(\w+)")  # reversed text: the word before "the"


class CueBefore:
    """`found(text, start, window)`: whether
    ``(?:^|\\W)(?:CUES)(?:[^\\S\\f]+the)?[^\\S\\f]*[:,-]?[^\\S\\f]*$``
    (case-insensitive) has a match in text[start - window : start], searched with pos/endpos.

    The last word before `start` (past spaces and one ":", "," or "-"), or the word before a
    last word "the" ("in the Austin area"), must be a cue, with a non-word character before it
    inside the window, or at the very start of the text.
    """

    def __init__(self, cues: Iterable[str]) -> None:
        self.cues = frozenset(fold(c) for c in cues)

    def found(self, text: str, start: int, window: int) -> bool:
        lo = max(0, start - window)
        tail = text[lo:start][::-1]
        m = _CUE_TAIL.match(tail)
        if m is None:
            return False
        if fold(m.group(1)[::-1]) not in self.cues:
            if fold(m.group(1)) != "eht":
                return False
            m = _THE_BEFORE.match(tail, m.end(1))
            if m is None or fold(m.group(1)[::-1]) not in self.cues:
                return False
        # The cue's first character is at lo + len(tail) - m.end(1); a non-word character
        # must precede it inside the window (the word is maximal), or it starts the text.
        return m.end(1) < len(tail) or lo == 0
