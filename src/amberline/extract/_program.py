"""An extractor's Python regex as the compiled core's regex engine runs it.

Why: the extractors' regexes are the one definition of what they find. The core
(`rust/src/backtrack.rs`) does not translate them into another dialect: it is handed Python's
own parse of each pattern (`re._parser`), flattened here into rows of four integers, and runs
it with `re`'s backtracking semantics and this Python's Unicode tables. What the engine cannot
run exactly as `re` does (a case-insensitive non-ASCII letter, a category in a case-insensitive
set of letters, a capture inside a lookaround, back-references, locale or multi-line flags)
raises `Unsupported`, and the extractor keeps its Python reference.
"""

from __future__ import annotations

import _sre
import re
import re._constants as C  # the names of `re`'s own parser
import re._parser as P
from functools import cache
from pathlib import Path

from amberline import disk_cache
from amberline.text import native

Row = tuple[int, int, int, int]

# Node and item codes, as `backtrack.rs` reads them.
_SEQ, _LIT, _NLIT, _ANY, _SET, _AT, _BRANCH, _GROUP, _REP, _ASSERT, _ATOMIC = range(11)
_ITEM_LIT, _ITEM_RANGE, _ITEM_CAT = 20, 21, 22
_CATEGORIES = {C.CATEGORY_DIGIT: 0, C.CATEGORY_NOT_DIGIT: 1, C.CATEGORY_SPACE: 2,
               C.CATEGORY_NOT_SPACE: 3, C.CATEGORY_WORD: 4, C.CATEGORY_NOT_WORD: 5}
_AT_KINDS = {C.AT_BOUNDARY: 0, C.AT_NON_BOUNDARY: 1, C.AT_BEGINNING: 2, C.AT_BEGINNING_STRING: 3,
       C.AT_END: 4, C.AT_END_STRING: 5}
_REPEATS = {C.MAX_REPEAT: 0, C.MIN_REPEAT: 1, C.POSSESSIVE_REPEAT: 2}
_UNSUPPORTED_FLAGS = re.ASCII | re.LOCALE | re.MULTILINE | re.DOTALL


class Unsupported(ValueError):
    """The pattern uses what the core's engine does not run exactly as `re` does."""


def program(pattern: re.Pattern[str]) -> list[Row]:
    """`pattern` as the core's engine takes it (rows in prefix order); from the disk cache
    when this module and Python (its parser and Unicode tables) made it before."""
    if not isinstance(pattern.pattern, str):
        raise Unsupported("bytes pattern")
    key = disk_cache.fingerprint(_source(), pattern.pattern, str(pattern.flags))
    return disk_cache.cached("regex program", key, lambda: _program(pattern), _encode, _decode)


@cache
def _source() -> bytes:
    """This module's code, read once per process (every program's key holds it)."""
    return Path(__file__).read_bytes()


def _encode(rows: list[Row]) -> bytes:
    return disk_cache.ints([v for row in rows for v in row])


def _decode(blob: bytes) -> list[Row]:
    values = disk_cache.unints(blob).tolist()
    if len(values) % 4:
        raise ValueError("not rows of four")
    return list(zip(*[iter(values)] * 4, strict=True))


def _program(pattern: re.Pattern[str]) -> list[Row]:
    parsed = P.parse(pattern.pattern, pattern.flags)
    flags = parsed.state.flags
    if flags & _UNSUPPORTED_FLAGS:
        raise Unsupported(f"flags {flags:#x}")
    rows: list[Row] = []
    _seq(parsed, bool(flags & re.IGNORECASE), False, rows)
    return rows


def _cased(c: int) -> bool:
    return bool(_sre.unicode_iscased(c))


@cache
def _every_code_point() -> str:
    return native._every_code_point()


@cache
def equivalents(c: int) -> tuple[int, ...]:
    """Every character that case-insensitive `re` matches to the character `c`, found by
    `re` itself (for non-ASCII letters; ASCII ones are the core's fold table's)."""
    found = re.finditer(re.escape(chr(c)), _every_code_point(), re.IGNORECASE)
    return tuple(m.start() for m in found)


def _literal(op: int, c: int, icase: bool, rows: list[Row]) -> None:
    fold = icase and _cased(c)
    if fold and not (chr(c).isascii() and chr(c).isalpha()):
        same = equivalents(c)
        rows.append((_SET, int(op == _NLIT), 0, len(same)))
        rows.extend((_ITEM_LIT, e, 0, 0) for e in same)
        return
    rows.append((op, c, int(fold), 0))


def _seq(sub: object, icase: bool, inside: bool, rows: list[Row]) -> None:
    items = list(sub)  # type: ignore[call-overload]
    rows.append((_SEQ, len(items), 0, 0))
    for op, av in items:
        if op is C.LITERAL:
            _literal(_LIT, av, icase, rows)
        elif op is C.NOT_LITERAL:
            _literal(_NLIT, av, icase, rows)
        elif op is C.ANY:
            rows.append((_ANY, 0, 0, 0))
        elif op is C.IN:
            _charset(av, icase, rows)
        elif op is C.AT:
            rows.append((_AT, _AT_KINDS[av], 0, 0))
        elif op is C.BRANCH:
            rows.append((_BRANCH, len(av[1]), 0, 0))
            for alt in av[1]:
                _seq(alt, icase, inside, rows)
        elif op is C.SUBPATTERN:
            group, add, remove, body = av
            if group is not None and inside:
                raise Unsupported("a capture inside a lookaround or atomic group")
            if (add | remove) & ~re.IGNORECASE & _UNSUPPORTED_FLAGS:
                raise Unsupported("scoped flags other than IGNORECASE")
            scoped = (icase or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
            rows.append((_GROUP, -1 if group is None else group, 0, 0))
            _seq(body, scoped, inside, rows)
        elif op in _REPEATS:
            low, high, body = av
            kind = _REPEATS[op]
            rows.append((_REP, low, -1 if high == C.MAXREPEAT else high, kind))
            _seq(body, icase, inside or kind == 2, rows)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            direction, body = av
            low, high = body.getwidth()
            if direction < 0 and low != high:
                raise Unsupported("variable-width lookbehind")
            rows.append((_ASSERT, direction, int(op is C.ASSERT_NOT),
                         low if direction < 0 else 0))
            _seq(body, icase, True, rows)
        elif op is C.ATOMIC_GROUP:
            rows.append((_ATOMIC, 0, 0, 0))
            _seq(av, icase, True, rows)
        else:
            raise Unsupported(f"regex op {op}")


def _charset(items: list, icase: bool, rows: list[Row]) -> None:
    negate = bool(items) and items[0][0] is C.NEGATE
    body = items[1:] if negate else items
    cased = icase and any(
        (op is C.LITERAL and _cased(av)) or (op is C.RANGE and any(map(_cased, range(av[0],
                                                                                  av[1] + 1))))
        for op, av in body)
    rows.append((_SET, int(negate), int(cased), len(body)))
    for op, av in body:
        if op is C.LITERAL:
            rows.append((_ITEM_LIT, av, 0, 0))
        elif op is C.RANGE:
            rows.append((_ITEM_RANGE, av[0], av[1], 0))
        elif op is C.CATEGORY:
            rows.append((_ITEM_CAT, _CATEGORIES[av], 0, 0))
        else:
            raise Unsupported(f"set item {op}")
