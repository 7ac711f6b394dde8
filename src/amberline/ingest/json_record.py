"""Decode one JSON record within the readers' limits, or say which limit it broke.

Why one decoder: the JSON Lines reader and `amberline extract` read the same hostile lines, and
Python's `json` has three ways to end a run on one of them: a nest 1,000+ deep raises
`RecursionError`, an integer over 4,300 digits raises a bare `ValueError`, and a lone surrogate
escape ("\\ud83d", half an emoji) decodes into a string no UTF-8 encoder or database accepts.
Here each becomes a `RecordError` with a quarantine code, and the limits are those of
`amberline.ingest.limits`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from amberline.ingest.codes import Code
from amberline.ingest.limits import MAX_INT_DIGITS, MAX_JSON_DEPTH

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class RecordError(ValueError):
    """A record that breaks a limit or does not parse: `code` (a `Code`) and the message."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise RecordError(Code.BIG_NUMBER,
                          f"an integer of {len(digits)} digits (limit {MAX_INT_DIGITS})")
    return int(digits)


_DECODE = json.JSONDecoder(parse_int=_int).decode


def _check(value: Any, surrogates: bool) -> None:
    """Walk the value without recursion: nesting within the depth limit and, when the line
    had surrogate escapes, no string (or key) left with a lone surrogate."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise RecordError(Code.TOO_DEEP, f"nested over {MAX_JSON_DEPTH} levels deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif surrogates and isinstance(item, str) and _SURROGATE.search(item):
            raise RecordError(Code.BAD_ENCODING,
                              "a lone UTF-16 surrogate escape (half of a \\u pair)")


def _plain(value: Any) -> bool:
    """Whether orjson's `value` is what `json` reads too: no float in it (orjson reads an
    integer beyond 64 bits as a float, `json` as an int). Also `_check`'s depth limit, for a
    value with no lone surrogate (orjson refuses those)."""
    if value.__class__ is float:
        return False
    if value.__class__ is dict:
        children = value.values()
    elif value.__class__ is list:
        children = value
    else:
        return True
    stack = [(children, 1)]
    while stack:
        items, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise RecordError(Code.TOO_DEEP, f"nested over {MAX_JSON_DEPTH} levels deep")
        for item in items:
            kind = item.__class__
            if kind is float:
                return False
            if kind is dict:
                stack.append((item.values(), depth + 1))
            elif kind is list:
                stack.append((item, depth + 1))
    return True


def decode_record(text: str) -> Any:
    """The JSON value of one record (any type), or `RecordError`.

    `json.JSONDecodeError` passes through unchanged (it is a `ValueError`, and callers use its
    position); every other failure is a `RecordError`.

    Why orjson first: it decodes a record several times faster than `json`, and what it
    accepts it reads as `json` does, except integers beyond 64 bits, which it reads as floats
    (hence `_plain`); it refuses lone surrogates, NaN and infinities, which `json` reads. So a
    line orjson refuses, or whose value holds a float, goes the reference path below, which
    gives every refusal its code and message; tests/test_json_record.py holds the two to the
    same values.
    """
    value = quick_decode(text)
    return reference_decode(text) if value is UNREAD else value


UNREAD: Any = object()  # `quick_decode`'s answer for a record it leaves to the reference
_NOT_FLAT = frozenset((float, dict, list))  # what makes `_plain` look further than one level


def quick_decode(data: str | bytes) -> Any:
    """orjson's value of a record when it is the record's value (`decode_record`'s first
    step), else `UNREAD`; `RecordError` for a value nested too deep.

    Bytes are read as they are: orjson refuses any that are not UTF-8, so a record read from
    bytes is one whose text `decode_record` reads the same, and the JSON Lines reader need
    not decode a line first."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNREAD
    if value.__class__ is dict and _NOT_FLAT.isdisjoint(map(type, value.values())):
        return value  # the common record: one level, no float; `_plain` would say so
    return value if _plain(value) else UNREAD


def reference_decode(text: str) -> Any:
    """`decode_record` with Python's `json` alone: the reference, and the path for every line
    orjson refuses."""
    try:
        value = _DECODE(text)
    except RecursionError:
        raise RecordError(Code.TOO_DEEP, f"nested over {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError:
        raise
    except RecordError:
        raise
    except ValueError as exc:  # any other refusal of the json module
        raise RecordError(Code.BAD_JSON, str(exc)) from None
    _check(value, _SURROGATE_ESCAPE.search(text) is not None)
    return value


_LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_LINE_BREAK = re.compile("[\u0085\u2028\u2029]")


def json_line(record: Any) -> str:
    """One JSON Lines record, UTF-8 safe and one line for every reader: lone surrogates become
    U+FFFD, and U+0085, U+2028 and U+2029 (line ends to `str.splitlines` and to JavaScript) are
    written as escapes. These can only occur inside JSON strings, so the escape keeps the value."""
    return one_line(json.dumps(record, ensure_ascii=False, default=str))


def one_line(text: str) -> str:
    """JSON text as `json_line` writes it: lone surrogates as U+FFFD, line breaks other than
    the escaped ASCII ones as escapes (a writer of its own may apply it to each string)."""
    return _LINE_BREAK.sub(lambda m: _LINE_BREAKS[m.group()], without_surrogates(text))


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, so it can be written as UTF-8."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)
