"""Hyperscan prefilter shared by every extractor: run a Python regex only where it can match.

Why: Python's `re` is slow on a pattern with no literal prefix (it tries every position), and
with dozens of such patterns that alone would spend the whole screening budget. Hyperscan
scans for many patterns at once, in one pass over the text, and reports where they match; the
extractor then runs its exact Python regex only at those few places. So the Python regexes stay
the single definition of what matches (with the lookarounds and named groups Hyperscan lacks),
and a trigger pattern only has to be a superset of where its regex can match:

- `find_all`: each trigger starts where its exact pattern starts (compiled with `som=True`);
- `finditer`: all triggers serve one exact pattern that starts where a trigger can start, or
  `probe - 1` characters after ("19 y" may start one digit before the age in "119 yrs");
- `find_near`: the exact pattern is searched in a window around each trigger's end (for common
  triggers: without start-of-match Hyperscan scans much faster).

Hyperscan works on bytes. The text is encoded with `ascii`/`replace`, which keeps one byte per
character (every non-ASCII character becomes "?"), so byte offsets are character offsets with
no conversion. A prefilter made with `folds=True` scans a text holding a character `re`
matches as an ASCII one (a letter case-insensitive `re` folds to ASCII, another script's
decimal digit or space, which `\\d` or `\\s` matches, an ASCII separator "\\x1c" to "\\x1f",
which `\\s` matches too) as `folded_view` writes it, or its
triggers would not start where the exact pattern can ("19٥٠ roses" read "19?? roses"). A
database with a non-ASCII
trigger ("🌹+", "€") scans UTF-8 instead, and its offsets are converted (a "?" stand-in would
move leftmost starts: "€🌹150"); the encoded bytes and the character starts are made once per
text and shared by every prefilter scanning it (`amberline.text.encoded`: a batch's
extractors all scan one joined text). Hyperscan is an optional dependency (x86-64 only):
without it, or with `available` set False (as the tests do), the exact regexes run over the
whole text, with the same results. Compiled databases do not pickle: a pickled prefilter
recompiles where it is loaded (once per worker process).
"""

from __future__ import annotations

import re
import re._constants as _c  # the names of `re`'s own parser
import re._parser as _parser
import threading
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import numpy as np

try:  # pragma: no cover - depends on the platform
    import hyperscan
except ImportError:  # pragma: no cover
    hyperscan = None

from amberline import disk_cache
from amberline.text import native
from amberline.text.encoded import char_starts, encoded

_WHITESPACE = re.compile(r"\s")


def char_offsets(data: bytes, offsets: list[int]) -> list[int]:
    """Character offsets of UTF-8 byte offsets into `data` (each must start a character,
    or be len(data)); for databases that scan UTF-8 (the place gazetteer)."""
    return np.searchsorted(char_starts(data), np.asarray(offsets, dtype=np.int64)).tolist()


@cache
def ascii_folds() -> tuple[tuple[int, int], ...]:
    """(code point, ASCII letter) of each non-ASCII letter Python's case-insensitive `re`
    matches to an ASCII letter ("ſ" to "s", "İ" and "ı" to "i", the Kelvin sign to "k"): found
    by `re` itself over every code point (`native.case_folds`), the very table the core's
    regex engine folds by, so the triggers, the references and the core share one list.
    Caseless Hyperscan does not match them all to ASCII letters: a trigger meant to cover
    `(?i:...)` must name them itself, or be scanned over `folded_view`, or the text holding
    one be searched whole."""
    return native.unicode_tables().folds


@cache
def view_folds() -> tuple[tuple[int, int], ...]:
    """(code point, ASCII character) of each character a trigger view reads as another, ASCII
    one: the letters of `ascii_folds`; each other decimal digit, which `re`'s `\\d` matches
    ("٥", "７"), as the ASCII digit of its value; each other space `re`'s `\\s` matches (a
    no-break space, an em space, the ASCII separators "\\x1c" to "\\x1f") as " ". The one
    list `folded_view` and the core's trigger views (`core_triggers`) read by.

    Why the digits and spaces: the exact patterns' `\\d` and `\\s` match them, so "19٥٠
    roses" is a price of 1950 to the exact pattern and "19\\xa0yrs" an age, but a view that
    reads them as "?" (Hyperscan's `ascii`/`replace` encoding) has no trigger start there
    ("19?? roses"), and the reader never tried it. Read as an ASCII digit, each digit is a
    digit and a word character to the triggers, as to `re`; a space is a space and no word
    character, as to `re`; a literal digit or ASCII range, which `re` does not match to them,
    only gains places to try. Unfolded text never holds them in a screening (the normaliser
    writes them as ASCII ones, and the separators as line breaks or nothing); any caller's
    text may. The ASCII spaces the triggers' own `\\s` matches, as `re`'s does (" ", "\\t",
    "\\n", "\\v", "\\f", "\\r"), are read as themselves."""
    flags = np.frombuffer(native.unicode_tables().flags, dtype=np.uint8)
    space = (flags & native.SPACE) != 0  # (boolean: fast)
    space[list(b" \t\n\v\f\r")] = False
    spaces = np.flatnonzero(space)
    digits = [(c, ord("0") + value) for c, value in native.decimal_digits() if c >= 0x80]
    return tuple(sorted([*ascii_folds(), *digits, *((c, ord(" ")) for c in spaces.tolist())]))


@cache
def _folded_chars() -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(c)) for c, _ in view_folds()) + "]")


@cache
def _fold_table() -> dict[int, int]:
    return dict(view_folds())


@cache
def _ascii_folded() -> tuple[str, ...]:
    """The ASCII characters `view_folds` reads as others (the separators)."""
    return tuple(chr(c) for c, _ in view_folds() if c < 0x80)


# The last text asked about and the answer (`holds_folded_letter`), and the last folded view
# (`folded_view`), by identity: a batch's extractors all ask about one joined text. Swapped in
# whole, so threads may share them.
_LAST: dict[str, tuple[str, Any]] = {}


def holds_folded_letter(text: str) -> bool:
    """Whether `text` holds a character `view_folds` reads as another, ASCII one: a letter
    case-insensitive `re` matches to an ASCII one ("ſnap"), a decimal digit or a space of
    another script ("١٩", a no-break space), an ASCII separator. ASCII triggers do not see
    it, so a prefilter that does not name those characters would miss matches of its exact
    pattern there: such a text's triggers are scanned over `folded_view` instead
    (`Prefilter(folds=True)`)."""
    if text.isascii():
        # (a scan of the text per separator: each far cheaper than `re` stepping through it)
        return any(c in text for c in _ascii_folded())
    last = _LAST.get("holds")
    if last is not None and last[0] is text:
        return last[1]
    found = _folded_chars().search(text) is not None
    _LAST["holds"] = (text, found)
    return found


def folded_view(text: str) -> str:
    """`text` with each character `view_folds` reads as an ASCII one written as that one
    ("roſes" as "roses", "19٥٠" as "1950", a no-break space as " "; one character for one,
    so offsets hold): what a trigger set scans to find every place its exact pattern can
    match (`Prefilter(folds=True)`, as the core's trigger view reads the text:
    `core_triggers`)."""
    last = _LAST.get("view")
    if last is not None and last[0] is text:
        return last[1]
    view = text.translate(_fold_table())
    _LAST["view"] = (text, view)
    return view


@cache
def _folded_to() -> dict[str, str]:
    """The letters `ascii_folds` gives each ASCII letter, by that letter."""
    found: dict[str, str] = {}
    for c, letter in ascii_folds():
        found[chr(letter)] = found.get(chr(letter), "") + chr(c)
    return found


def caseless_literal(word: str) -> str:
    """`word` (ASCII letters) as a trigger pattern for a caseless database that also matches
    what case-insensitive `re` matches ("ıt" for "it", "httpſ" for "https"), so the trigger
    stays a superset of its exact pattern. The database then scans UTF-8."""
    folded = _folded_to()
    return "".join(f"(?:{c}|{'|'.join(folded[c])})" if c in folded else re.escape(c)
                   for c in word.lower())


class Prefilter:
    """One compiled Hyperscan database of trigger patterns (pattern index = trigger id).

    `scan` returns (trigger id, start, end) in order of end; `start` is exact only for
    databases compiled with `som=True` (start-of-match costs scan speed), otherwise -1.
    With `folds=True` a text holding a letter case-insensitive `re` folds to an ASCII one,
    or a decimal digit or space of another script, is scanned as `folded_view` gives it
    ("roſes" as "roses", "19٥٠" as "1950"), so the triggers find where the exact pattern
    matches there too, as the core's trigger view does (`core_triggers`).
    """

    def __init__(
        self, patterns: Sequence[str], *, caseless: bool = False, som: bool = False,
        folds: bool = False,
    ) -> None:
        self.patterns = list(patterns)
        self.caseless = caseless
        self.som = som
        self.folds = folds
        self.available = hyperscan is not None and bool(self.patterns)
        self._local = threading.local()  # Hyperscan scratch must not be shared by threads
        if not self.available:
            return
        self._utf8 = not all(p.isascii() for p in self.patterns)
        flags = hyperscan.HS_FLAG_UTF8 if self._utf8 else 0
        if caseless:
            flags |= hyperscan.HS_FLAG_CASELESS
        if som:
            flags |= hyperscan.HS_FLAG_SOM_LEFTMOST
        self._db = disk_cache.hyperscan_database([p.encode("utf-8") for p in self.patterns],
                                                 [flags] * len(self.patterns))

    def __getstate__(self) -> dict[str, Any]:
        return {"patterns": self.patterns, "caseless": self.caseless, "som": self.som,
                "folds": self.folds, "available": self.available}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["patterns"], caseless=state["caseless"], som=state["som"],  # type: ignore[misc]
                      folds=state.get("folds", False))
        self.available = self.available and state["available"]

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        """Triggers in order of end offset (ties in pattern order); empty text gives none."""
        if not text:
            return []
        if self.folds and holds_folded_letter(text):
            text = folded_view(text)
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        hits: list[tuple[int, int, int]] = []
        append = hits.append
        som = self.som

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            append((pid, start if som else -1, end))

        if not self._utf8:
            self._db.scan(encoded(text, "ascii"), match_event_handler=on_match,
                          scratch=scratch)
            return hits
        data = encoded(text, "utf-8")
        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        if not hits or len(data) == len(text):
            return hits
        ends = char_offsets(data, [end for _, _, end in hits])
        if not som:
            return [(pid, -1, end) for (pid, _, _), end in zip(hits, ends, strict=True)]
        starts = char_offsets(data, [start for _, start, _ in hits])
        return [(pid, start, end)
                for (pid, _, _), start, end in zip(hits, starts, ends, strict=True)]

    def find_all(
        self,
        text: str,
        exact: Sequence[re.Pattern[str]],
        hits: list[tuple[int, int, int]] | None = None,
    ) -> list[list[re.Match[str]]]:
        """For each pattern index i, the non-overlapping matches of `exact[i]` in `text`, the same
        as `exact[i].finditer(text)` provided every match of `exact[i]` starts where trigger i
        starts (trigger i compiled with `som=True` and a superset of `exact[i]`). Triggers past
        the last pattern are ignored; `hits`, if given, is `self.scan(text)` already made."""
        if not self.available:
            return [list(p.finditer(text)) for p in exact]
        starts: list[set[int]] = [set() for _ in exact]
        n = len(exact)
        for pid, start, _ in self.scan(text) if hits is None else hits:
            if pid < n:
                starts[pid].add(start)
        found: list[list[re.Match[str]]] = []
        for pid, pattern in enumerate(exact):
            matches: list[re.Match[str]] = []
            done = 0
            for start in sorted(starts[pid]):
                if start < done:
                    continue
                m = pattern.match(text, start)
                if m is not None:
                    matches.append(m)
                    done = max(m.end(), start + 1)
            found.append(matches)
        return found

    def finditer(
        self, text: str, exact: re.Pattern[str], probe: int = 2
    ) -> Iterator[re.Match[str]]:
        """The non-empty matches `exact.finditer(text)` gives, provided each starts where some
        trigger (any trigger id; `som=True`) can start, or up to `probe - 1` characters after.

        Hyperscan gives, per trigger match end, only the leftmost start, and a shorter match
        with the same end starts later ("1.5 hrs": "5 hrs" ends where "1.5 hrs" does): so
        every position from a trigger's leftmost start to `probe - 1` past its end is tried."""
        if not self.available:
            yield from (m for m in exact.finditer(text) if m.end() > m.start())
            return
        match = exact.match
        n = len(text)
        done = 0  # every position before it is tried, or inside a match given
        for start, end in sorted({(start, end) for _, start, end in self.scan(text)}):
            pos = start if start > done else done
            stop = end + probe - 1 if end + probe - 1 < n else n
            while pos < stop:
                m = match(text, pos)
                if m is not None and m.end() > pos:
                    yield m
                    pos = m.end()
                else:
                    pos += 1
            if pos > done:
                done = pos

    def find_near(
        self,
        text: str,
        exact: re.Pattern[str],
        *,
        back: int,
        forward: int,
        token: bool = False,
        confirm: Sequence[re.Pattern[str] | None] = (),
    ) -> list[re.Match[str]]:
        """Matches of `exact` that contain a trigger end, found by searching a window around
        each trigger (for triggers compiled without `som`, which scan much faster).

        The window reaches `back` characters before and `forward` after the trigger end; with
        `token=True` it is also clipped to the whitespace-free token around the trigger. The
        same as `exact.finditer(text)` for matches that fit the window and contain a trigger.
        `confirm[i]`, if given, must match at the end of trigger i for its window to be
        searched: what any match containing that trigger has right after it (a cheap check
        that spares the window search for common triggers such as " at ").
        """
        if not self.available:
            return list(exact.finditer(text))
        found: list[re.Match[str]] = []
        done = 0
        n = len(text)
        for pid, _, end in self.scan(text):
            if end <= done:
                continue
            check = confirm[pid] if pid < len(confirm) else None
            if check is not None and check.match(text, end) is None:
                continue
            lo, hi = max(done, end - back), min(n, end + forward)
            if token:
                rfind, stop = text.rfind, end - 1  # after the last blank before the trigger
                lo = max(lo, rfind(" ", lo, stop) + 1, rfind("\t", lo, stop) + 1,
                         rfind("\n", lo, stop) + 1)
                ws = _WHITESPACE.search(text, end - 1, hi)
                hi = ws.start() if ws else hi
            m = exact.search(text, lo, hi)
            while m is not None and m.start() < end:
                found.append(m)
                done = m.end()
                if done >= end:
                    break
                m = exact.search(text, done, hi)
        return found


CoreTriggers = tuple[list[tuple[list[str], bool]], list[tuple[int, int]]]


def core_triggers(prefilters: Sequence[Prefilter]) -> CoreTriggers:
    """The prefilters' triggers as the compiled core scans them, all in one pass
    (`rust/src/triggers.rs`): ((patterns, caseless) per prefilter, named characters).

    The core sees one byte per character, as Hyperscan does here: ASCII as itself; when a
    prefilter scans `folded_view`s (`folds=True`), each character `view_folds` reads as an
    ASCII one as that one: a letter case-insensitive `re` matches to an ASCII letter as that
    letter ("roſes" as "roses", and "ſ" a word character to `\\b`, as to `re`), a decimal
    digit of another script as the ASCII digit of its value ("19٥٠" as "1950"), another
    space `re`'s `\\s` matches (an ASCII separator too) as " "; each other non-ASCII
    character a trigger names, with its case variants (which caseless Hyperscan matches too;
    for a case-sensitive trigger that only adds places to try), as a byte of its own from
    0x80, written `\\xHH` in the patterns; and any other non-ASCII character as "?", which
    no trigger matches. A prefilter of the same view that scans the text as it is must not
    tell a folded character read as "?" (an ASCII separator: as itself) from one read as its
    ASCII one (`_tells_folded_letters`), or the core could lose its starts."""
    folding = any(f.folds for f in prefilters)
    named: dict[str, int] = {chr(c): a for c, a in view_folds()} if folding else {}
    if folding and any(_tells_folded_letters(p) for f in prefilters if not f.folds
                       for p in f.patterns):
        raise ValueError("a trigger scanned without folds tells a folded character from '?'")
    byte = 0x80
    for c in sorted({c for f in prefilters for p in f.patterns for c in p if not c.isascii()}):
        if c in named:
            continue  # a case variant of one named before, or a character read as ASCII
        if byte > 0xFF:
            raise ValueError("too many non-ASCII characters in the triggers")
        for v in (c, c.lower(), c.upper(), c.casefold()):
            if len(v) == 1 and not v.isascii():
                named.setdefault(v, byte)
        byte += 1
    sets = [(["".join(f"\\x{named[c]:02x}" if c in named else c for c in p)
              for p in prefilter.patterns], prefilter.caseless) for prefilter in prefilters]
    return sets, sorted((ord(c), b) for c, b in named.items())


# Categories that match "?": a set holding one admits it.
_QUESTION_CATEGORIES = {_c.CATEGORY_NOT_DIGIT, _c.CATEGORY_NOT_SPACE, _c.CATEGORY_NOT_WORD}


def _tells_folded_letters(pattern: str) -> bool:
    """Whether a trigger could match where a folded character (`view_folds`: a letter, a
    digit, a space) is read as "?" (an ASCII separator: as itself) and not where it is read
    as its ASCII one: only if it admits "?" or a separator somewhere, has a word boundary (a
    letter or digit is a word character, "?" is not) or a negative lookaround; otherwise
    reading it as its ASCII one can only add places to try. Anything this cannot tell counts
    as yes."""
    question = ord("?")
    read_as_written = {question, *map(ord, _ascii_folded())}

    def tells(op: Any, arg: Any) -> bool | None:
        if op is _c.LITERAL:
            return arg in read_as_written
        if op is _c.RANGE:
            return any(arg[0] <= c <= arg[1] for c in read_as_written)
        if op is _c.CATEGORY:
            return arg in _QUESTION_CATEGORIES
        if op is _c.AT:
            return arg in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY)
        if op in (_c.NOT_LITERAL, _c.ANY, _c.NEGATE, _c.ASSERT_NOT):
            return True
        return None

    return any_item(pattern, tells)


# What `any_item` walks into: the items of a set, group, branch, repeat or lookaround.
_INNER = {_c.IN: lambda arg: [arg], _c.ATOMIC_GROUP: lambda arg: [arg],
          _c.BRANCH: lambda arg: arg[1], _c.SUBPATTERN: lambda arg: [arg[-1]],
          _c.MAX_REPEAT: lambda arg: [arg[-1]], _c.MIN_REPEAT: lambda arg: [arg[-1]],
          _c.POSSESSIVE_REPEAT: lambda arg: [arg[-1]], _c.ASSERT: lambda arg: [arg[-1]],
          _c.ASSERT_NOT: lambda arg: [arg[-1]]}


def any_item(pattern: str, test: Any) -> bool:
    """Whether `test(op, arg)` holds of some item of the pattern as Python's parser reads it
    (`re._parser`): True, it does; False, not of this item; None, of what is inside it (a
    set, group, branch, repeat or lookaround is walked into; anything else counts as yes,
    as does a pattern the parser does not read)."""

    def walk(items: Any) -> bool:
        for op, arg in items:
            found = test(op, arg)
            if found is None:
                inner = _INNER.get(op)
                found = inner is None or any(walk(sub) for sub in inner(arg))
            if found:
                return True
        return False

    try:
        return walk(_parser.parse(pattern))
    except re.error:
        return True
