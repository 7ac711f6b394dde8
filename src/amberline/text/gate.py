"""The fast path: decide in one C-level pass which texts can hold an obfuscated number run.

Why: Python's `re` tries a pattern like "a number word next to a digit" at every position,
which is far too slow for the common ad that has nothing to undo, and that is most ads. So
the texts of a whole batch are lowered and mapped byte by byte (`bytes.translate`, C speed)
onto a small alphabet ("D" digit, "_" ordinary separator, "~" other symbol or any non-ASCII
character, "!" control, letters, "|" and newline kept) and one Hyperscan database scans them
all at once.

The patterns mirror `numbers.py`'s rules closely enough to stay quiet on ordinary ads (a phone
number written plainly, "150 one hour", "Age 27 | 24hrs", "call 703 ...") while never missing
a run those rules rewrite. A run is rewritten only when it holds (a) three number words, (b) at
least seven digit-producing items of which one is a word or letter standing for a digit, or
(c) seven digits with a symbol or emoji between two of them; so the gate fires on:

- A: three number words in one run;
- B: a word or look-alike letter in its own chunk (a non-letter, or a digit, on each side) with
  at least four more items around it (two fewer than the rule needs: the chunk's edges may
  swallow a digit on each side);
- B': a pipe glued to an item ("7|03"), with four more items around it;
- C: seven digits with a "~" character inside a separator between two of them (found with
  Python's `re` as any "~" inside a separator between two digits, a superset: see `Gate`);
- "!": a control character (always rewritten by the character stage).

A miss therefore means "nothing to do" for certain (a property test compares against the full
scan), and each hit's end offset points into the run, which `numbers.py` widens to the
stretch between two characters no run can hold. Without Hyperscan (it is x86-64 only) the same
patterns run on Python's `re`, and any hit sends the whole text to the full scan.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np

from amberline import disk_cache

_WORDS = "zero|one|two|three|four|five|six|seven|eight|nine|oh"
_I = rf"(?:D|{_WORDS}|o|l|i|\|)"  # an item: digit, number word, weak letter (lower-cased), pipe
_N = rf"(?:{_WORDS}|o|l|i)"  # an item that is not a digit
_IP = rf"(?:D|{_WORDS}|o|l|i)"  # an item that is not a pipe
_S = "[_~|]{0,4}"  # between two items: glued, or up to four separator characters
_PIPE = rf"(?:{_IP}\||\|{_IP})"  # a pipe glued to an item on one side (or both)
# Between two digits of a run whose items are all digits: separators, bridged by any number of
# pipes (a lone "|" is a chunk of the run, then read as part of one long separator).
_SD = r"(?:[_~|]{0,4}\|)*[_~|]{0,4}"
_TILDE = r"(?:[_~|]{0,4}\|)*[_|]{0,3}~[_~|]{0,3}(?:\|[_~|]{0,4})*"

# Characters Python's case-insensitive `re` matches to an ASCII letter (İ ı ſ K): the byte map
# cannot see them, so a text holding one skips the gate and gets the full scan.
ODD_CASE = re.compile("[\u0130\u0131\u017f\u212a]")


def _patterns() -> list[str]:
    """The gate's patterns, pattern id = index; the last one (control) means "chars".

    Each text is scanned between newlines, so no anchors are needed.
    """
    words = (f"[^a-z]{_I}*(?:{_WORDS})(?:{_S}{_I})*{_S}(?:{_WORDS})"
             f"(?:{_S}{_I})*{_S}(?:{_WORDS}){_I}*[^a-z]")
    # Seven items, one of them a non-digit. The first item of the window must start a chunk
    # (a non-letter before it) or be a digit (digits may touch letters): else "call 703 555
    # 0142" would count the "l"s. More items may come first, to reach such a start. Likewise
    # a non-digit last item must end its chunk ("0142 or").
    first = f"(?:[^a-z]{_I}|D)"
    letter = "|".join(
        [f"[^a-z]{_N}(?:{_S}{_I}){{6}}"]
        + [f"{first}(?:{_S}{_I}){{{k - 1},}}{_S}{_N}" + _rep(f"{_S}{_I}", 6 - k)
           for k in range(1, 6)]
        + [f"{first}(?:{_S}{_I}){{5,}}{_S}{_N}[^a-z]"]  # last: not glued to a letter either
    )
    pipe = "|".join(
        [rf"(?:(?:[^a-z]{_IP}|D)\||\|{_IP})(?:{_S}{_I}){{5}}"]
        + [f"{first}(?:{_S}{_I}){{{k - 1},}}{_S}{_PIPE}" + _rep(f"{_S}{_I}", 5 - k)
           for k in range(1, 6)]
    )
    symbol = "|".join(
        f"{_rep(f'D{_SD}', k)}D{_TILDE}D{_rep(f'{_SD}D', 5 - k)}" for k in range(6)
    )
    return [words, letter, pipe, symbol, "!"]


def _rep(unit: str, k: int) -> str:
    return f"(?:{unit}){{{k}}}" if k else ""


SYMBOL_ID = 3
CONTROL_ID = 4
# A superset of the symbol pattern's matches (each holds a "~" inside a separator between two
# digits, and ends inside the run), linear in Python's `re`: possessive runs, the first up to
# the first "~".
_SYMBOL_SEED = re.compile(rb"D[_|]*+~[_~|]*+D")


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


def mapped(text: str) -> bytes:
    """One byte per character: lower-case ASCII letters, digits as "D", the rest as classes."""
    return text.encode("utf-8", "surrogatepass").translate(_TABLE, _CONTINUATION)


class Gate:
    """`scan(texts)`: for each text, the end offsets (characters) of the gate's hits, and
    whether a control character was seen. One Hyperscan pass per pattern over the whole list.

    Why the symbol pattern is not scanned by Hyperscan: the `hyperscan` wheel is built on
    Vectorscan (5.4.12), whose scan of a buffer longer than its small-write limit misses the
    symbol pattern's "three digits, symbol, four digits" ("DDD~DDDD") after fourteen or more
    separator bytes, compiled alone as in any database; a short buffer goes to another engine
    that finds it, which hid the miss from tests of one short text. A gate that misses is a
    wrong answer, not a slow one, so `_SYMBOL_SEED` finds those runs in Python's `re`: its
    extra hits only cost a full scan of their stretch. The other patterns keep a database
    each; tests/test_hyperscan_databases.py compares them with `re` on such input."""

    def __init__(self) -> None:
        pats = _patterns()
        self._fallback: re.Pattern[bytes] | None = None
        try:
            import hyperscan
        except ImportError:  # pragma: no cover - non-x86 platforms
            self._fallback = re.compile("|".join(f"(?:{p})" for p in pats).encode())
            return
        self._hs = hyperscan
        self._dbs = [disk_cache.hyperscan_database([p.encode()], [0], [pid])
                     for pid, p in enumerate(pats) if pid != SYMBOL_ID]
        self._local = threading.local()  # Hyperscan scratch must not be shared between threads

    def scan(self, texts: Sequence[str]) -> list[tuple[list[int] | None, bool] | None]:
        """Per text: None when nothing can need rewriting, else (end offsets of the hits,
        control character seen). Ends of None mean "scan the whole text" (fallback engine)."""
        out: list[tuple[list[int] | None, bool] | None] = [None] * len(texts)
        if not texts:
            return out
        # Newlines around every text: no pattern crosses one but by one boundary character.
        # (One join: adding the newlines to the joined text would copy it twice more.)
        data = mapped("\n".join(["", *texts, ""]))
        if self._fallback is not None:  # pragma: no cover - non-x86 platforms
            return self._scan_fallback(texts)
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = [self._hs.Scratch(db) for db in self._dbs]
        hits: list[int] = []  # end offsets; a control character's as a negative number
        add = hits.append

        def on_match(pid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            add(-to if pid == CONTROL_ID else to)

        for db, scratch in zip(self._dbs, scratches, strict=True):
            db.scan(data, match_event_handler=on_match, scratch=scratch)
        hits.extend(m.end() for m in _SYMBOL_SEED.finditer(data))
        if not hits:
            return out
        hits.sort(key=abs)  # in text order, as one database reports them
        ends = np.abs(np.asarray(hits, dtype=np.int64))
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        starts = np.empty(len(texts), dtype=np.int64)
        starts[0] = 1  # after the leading newline
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
        starts[1:] += 1
        # A hit's last character is end - 1; one that ends on the newline after a text belongs
        # to that text (it is the run's end boundary).
        index = np.searchsorted(starts, ends - 1, side="right") - 1
        local = np.minimum(ends - starts[index], lengths[index])
        for i, end, control in zip(index.tolist(), local.tolist(), hits, strict=True):
            entry = out[i]
            if entry is None:
                entry = out[i] = ([], False)
            if control < 0:
                out[i] = (entry[0], True)
            else:
                entry[0].append(end)  # type: ignore[union-attr]
        return out

    def _scan_fallback(  # pragma: no cover - non-x86 platforms
        self, texts: Sequence[str]
    ) -> list[tuple[list[int] | None, bool] | None]:
        assert self._fallback is not None
        out: list[tuple[list[int] | None, bool] | None] = []
        for text in texts:
            data = mapped(text)
            hit = self._fallback.search(data) is not None
            out.append((None, b"!" in data) if hit else None)
        return out
