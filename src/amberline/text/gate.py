"""The fast path: decide in one C-level pass whether a text can hold an obfuscated number run.

Why: Python's `re` tries a pattern like "a number word next to a digit" at every position, which
costs ~100 µs on a 500-character ad; the normaliser must cost a few µs on the common ad that
has nothing to undo. So the text is lowered and mapped byte by byte (`bytes.translate`, C speed)
onto a small alphabet ("D" digit, "_" ordinary separator, "~" other symbol or any non-ASCII
byte, "!" control, letters and "|" kept) and one Hyperscan database of loose patterns scans it.
The patterns are a superset of `numbers.py`'s rules (a word or letter next to a digit or
number word, a symbol between digits), so a miss means "nothing to do" for certain; a hit sends
the text to the exact, slower rules (which also reject, e.g., "150 one hour"), and the seeds'
offsets tell them where to look. Without Hyperscan (it is x86-64 only) the same patterns run
on Python's `re`: correct, slower.
"""

from __future__ import annotations

import contextlib
import re
import threading

_WORD = "(?:zero|one|two|three|four|five|six|seven|eight|nine|oh)"
_NONDIGIT = rf"(?:{_WORD}|o|l|i|\|)"
_SEP = "[_~]{0,4}"  # as numbers.py: at most four separator characters between chunks
_START = "(?:^|[^a-z])"  # a word or letter item starts a chunk only after a non-letter


def _patterns() -> list[str]:
    """Every run numbers.py rewrites has a digit or number word next to a word or letter item,
    or a symbol between two digits; a control character is always rewritten."""
    return [
        rf"D{_SEP}{_NONDIGIT}",
        rf"{_START}{_NONDIGIT}+{_SEP}D",
        rf"{_START}{_WORD}{_SEP}{_NONDIGIT}",
        r"D_{0,3}~[_~]{0,3}D",
        "!",
    ]


def _table() -> bytes:
    table = bytearray(range(256))
    for b in range(256):
        c = chr(b)
        if b >= 0xC0:  # lead byte of a non-ASCII character (continuation bytes are deleted)
            table[b] = ord("~")
        elif c.isdigit():
            table[b] = ord("D")
        elif c.isalpha():
            table[b] = ord(c.lower())
        elif c in "\n|":
            continue
        elif (b < 0x20 and c not in "\t\r") or b == 0x7F:
            table[b] = ord("!")
        elif c in " \t\r.-()/+,:'\"$%":
            table[b] = ord("_")
        else:
            table[b] = ord("~")
    return bytes(table)


_TABLE = _table()
_CONTINUATION = bytes(range(0x80, 0xC0))


def _mapped(text: str) -> bytes:
    """One byte per character: lower-case ASCII letters, digits as "D", the rest as classes."""
    return text.encode("utf-8", "surrogatepass").translate(_TABLE, _CONTINUATION)


class Gate:
    """`hit(text)`: may the text hold something to rewrite? `seeds(text)`: where (end offsets of
    every seed, in characters: the mapped bytes have one byte per character)."""

    def __init__(self) -> None:
        pats = _patterns()
        self._fallback: re.Pattern[bytes] | None = None
        try:
            import hyperscan
        except ImportError:  # pragma: no cover - non-x86 platforms
            self._fallback = re.compile("|".join(f"(?:{p})" for p in pats).encode())
            return
        self._hs = hyperscan
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[p.encode() for p in pats],
            ids=list(range(len(pats))),
            elements=len(pats),
            flags=[0] * len(pats),
        )
        self._local = threading.local()  # Hyperscan scratch must not be shared between threads

    def _scan(self, text: str, first_only: bool) -> list[int]:
        data = _mapped(text)
        if self._fallback is not None:  # pragma: no cover - non-x86 platforms
            if first_only:
                m = self._fallback.search(data)
                return [m.end()] if m else []
            return [m.end() for m in self._fallback.finditer(data)]
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        ends: list[int] = []

        def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> bool:
            ends.append(to)
            return first_only  # True stops the scan

        with contextlib.suppress(self._hs.ScanTerminated):
            self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        return ends

    def hit(self, text: str) -> bool:
        return bool(self._scan(text, True))

    def seeds(self, text: str) -> list[int]:
        return self._scan(text, False)
