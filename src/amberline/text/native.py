"""The normaliser in the compiled core: this Python's character tables in, columns out.

Why: `normalise.py` spends most of its time on obfuscated ads building an `Edit`, a map
stretch and an `Obfuscation` per character it undoes. The core (`rust/src/normalise.rs`) does
the same work for a whole batch in one call: the texts go in as the list of str itself, which
the core reads by code point (its offsets are Python's string offsets, lone surrogates
included; no joined copy or UTF-32 encoding is made in Python), and the results come back as
the normalised strs and obfuscation records, made in the core, and flat offset maps, from
which `NormalisedText`s are made here when asked for.

The core must classify characters exactly as the Python reference's regexes do, so it is given
this interpreter's Unicode properties (`\\w`, `\\d`, `\\s`, `str.isalpha`, the characters that
case-insensitive `re` matches to ASCII letters) and the character stage's tables, rather than
using Rust's own (newer) Unicode data. A panic inside the core on one text is caught there and
raised as `core.CoreFailure` naming the text: the batch fails like any failing stage, and
`amberline.isolate` screens its ads one by one so that only the ad that caused it is quarantined
(`screening_error`, with the panic's message), counted and replayable with
`AMBERLINE_CORE=python`. A silent fallback would hide a core bug behind correct output.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from amberline import core, disk_cache
from amberline.model import Obfuscation
from amberline.text import chars
from amberline.text.homoglyphs import HOMOGLYPHS

if TYPE_CHECKING:
    from amberline.text.normalise import NormalisedBatch

# Flag bits, as `rust/src/tables.rs` reads them.
ALNUM, DECIMAL, ALPHA, SPACE, INVISIBLE = 1, 2, 4, 8, 16
_N_CODE_POINTS = 0x110000
_NUMBER_WORD_LETTERS = "".join(sorted(set("zeroonetwothreefourfivesixseveneightnineoh")))
_UNCHANGED, _CHANGED, _SAME_OFFSETS = 0, 1, 2  # 3: failed, see `errors`


def _every_code_point() -> str:
    return np.arange(_N_CODE_POINTS, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


def _mark(flags: np.ndarray, pattern: str, text: str, bit: int) -> None:
    for m in re.finditer(pattern, text):
        flags[m.start() : m.end()] |= bit


def unicode_flags() -> bytes:
    """One flag byte per code point, from this Python's `re` and `str` (see `tables.rs`)."""
    everything = _every_code_point()
    flags = np.zeros(_N_CODE_POINTS, dtype=np.uint8)
    _mark(flags, r"\w+", everything, ALNUM)
    flags[ord("_")] &= ~ALNUM & 0xFF  # `\w` is alphanumeric or "_"
    _mark(flags, r"\d+", everything, DECIMAL)
    _mark(flags, r"\s+", everything, SPACE)
    _mark(flags, f"[{chars._INVISIBLE}]+", everything, INVISIBLE)
    words = np.flatnonzero(flags & ALNUM)
    letters = words.astype("<u4").tobytes().decode("utf-32-le")
    alpha = np.fromiter(map(str.isalpha, letters), dtype=bool, count=len(letters))
    flags[words[alpha]] |= ALPHA
    return flags.tobytes()


def case_folds() -> list[tuple[int, int]]:
    """(code point, ASCII letter) for the non-ASCII characters that case-insensitive `re`
    matches to an ASCII letter ("İ" and "ı" to "i", "ſ" to "s", the Kelvin sign to "k")."""
    out = []
    letters = string.ascii_lowercase
    for m in re.finditer(f"(?i:[{letters}])", _every_code_point()):
        c = m.group()
        if c.isascii():
            continue
        for letter in letters:
            if re.fullmatch(f"(?i:{letter})", c):
                out.append((ord(c), ord(letter)))
    return out


def lower_pairs() -> list[tuple[int, int]]:
    """(code point, its lower case) wherever `str.lower` turns one character into ANOTHER
    single one; a character it turns into several (only "İ") is left as it is, as the
    lexicon matcher's reference does. (Python's context rule for a final capital sigma is
    not in the table: the matcher's core declines lexicons that spell a sigma.)"""
    everything = _every_code_point()
    lowered = list(map(str.lower, everything))
    return [(ord(c), ord(low)) for c, low in zip(everything, lowered, strict=True)
            if low != c and len(low) == 1]


@dataclass(frozen=True, slots=True)
class UnicodeTables:
    """What the core learns from this Python's Unicode database (see the module docstring)."""

    flags: bytes  # one byte per code point: ALNUM, DECIMAL, ALPHA, SPACE, INVISIBLE bits
    folds: tuple[tuple[int, int], ...]  # case_folds()
    lower: tuple[tuple[int, int], ...]  # lower_pairs()
    # the character stage's map: (code point, replacement, index in normalise.KINDS)
    mapping: tuple[tuple[int, str, int], ...]


def _compute_tables() -> UnicodeTables:
    from amberline.text.normalise import KINDS

    kind_id = {kind: i for i, kind in enumerate(KINDS)}
    mapping = tuple((ord(c), repl, kind_id[kind])
                    for c, (repl, kind) in chars.build_tables().mapping.items())
    return UnicodeTables(unicode_flags(), tuple(case_folds()), tuple(lower_pairs()), mapping)


@cache
def unicode_tables() -> UnicodeTables:
    """This process's `UnicodeTables`: read from the user's cache when a previous process
    with the same Python, Unicode version and table code left them there (computing them
    is most of the core's start-up), else computed and left there for the next one."""
    return disk_cache.cached("unicode tables", _cache_key(), _compute_tables, _encode, _decode)


@cache
def decimal_digits() -> tuple[tuple[int, int], ...]:
    """(code point, value) of each character `re`'s `\\d` matches, in order, its value the
    one `int()` gives it: the one list the core's readers (`char_tables`) and the trigger
    views (`_prefilter.view_folds`) take the digits from."""
    flags = np.frombuffer(unicode_tables().flags, dtype=np.uint8)
    # (over a boolean array: `flatnonzero` of the flag bytes themselves is several times slower)
    found = np.flatnonzero((flags & DECIMAL) != 0).tolist()
    return tuple((c, unicodedata.decimal(chr(c))) for c in found)


@cache
def fold_table() -> dict[int, int]:
    """The letters Python's case-insensitive `re` matches to ASCII ones ("ſ" to "s", "İ" to
    "i"; `UnicodeTables.folds`, the core's own table) as `str.translate` takes them."""
    return dict(unicode_tables().folds)


def _cache_key() -> str:
    """Everything the tables depend on: the interpreter, its Unicode database, and the code
    and data that compute them."""
    from amberline.text import homoglyphs
    from amberline.text.normalise import KINDS

    return disk_cache.fingerprint(
        unicodedata.unidata_version, "|".join(KINDS),
        *(Path(module.__file__ or "") for module in (sys.modules[__name__], chars, homoglyphs)))


def _u32(values: Sequence[int]) -> bytes:
    return disk_cache.ints(values, "<u4")


def _encode(tables: UnicodeTables) -> bytes:
    repl = [r for _, r, _ in tables.mapping]
    return disk_cache.pack([
        tables.flags,
        _u32([v for pair in tables.folds for v in pair]),
        _u32([v for pair in tables.lower for v in pair]),
        _u32([c for c, _, _ in tables.mapping]),
        bytes(k for _, _, k in tables.mapping),
        _u32(list(map(len, repl))),
        "".join(repl).encode("utf-32-le"),
    ])


def _decode(payload: bytes) -> UnicodeTables:
    """The tables from a cache payload; ValueError for anything malformed."""
    from amberline.text.normalise import KINDS

    flags, folds_b, lower_b, cps_b, kinds, lens_b, repl_b = disk_cache.unpack(payload, 7)
    if len(flags) != _N_CODE_POINTS:
        raise ValueError("flag table of the wrong size")
    arrays = [disk_cache.unints(blob, "<u4") for blob in (folds_b, lower_b, cps_b, lens_b)]
    if any(len(a) and a.max() >= _N_CODE_POINTS for a in arrays[:3]):
        raise ValueError("not a code point")
    if (len(kinds) and max(kinds) >= len(KINDS)) or (
            len(arrays[0]) and not 97 <= arrays[0][1::2].min() <= arrays[0][1::2].max() <= 122):
        raise ValueError("bad kind or fold letter")
    folds, lower, cps, lens = (a.tolist() for a in arrays)
    if len(folds) % 2 or len(lower) % 2 or not len(cps) == len(kinds) == len(lens):
        raise ValueError("tables of mismatched lengths")
    text = repl_b.decode("utf-32-le")  # raises on a surrogate or a bad length
    if sum(lens) != len(text):
        raise ValueError("replacement lengths do not add up")
    cuts = [0, *accumulate(lens)]
    mapping = tuple((c, text[cuts[i] : cuts[i + 1]], k)
                    for i, (c, k) in enumerate(zip(cps, kinds, strict=True)))
    return UnicodeTables(flags, tuple(zip(folds[::2], folds[1::2], strict=True)),
                         tuple(zip(lower[::2], lower[1::2], strict=True)), mapping)


def _check_kinds(names: Sequence[str]) -> None:
    from amberline.text.normalise import KINDS

    if tuple(names) != KINDS:
        raise RuntimeError(f"core kinds {names} differ from normalise.KINDS {KINDS}")


@cache
def normaliser() -> object | None:
    """The core's compiled normaliser, or None when the Python reference runs."""
    module = core.load()
    if module is None:
        return None
    return build(module)


def build(module: object, panic_on: str | None = None) -> object:
    """A core normaliser from this Python's tables (`panic_on`: tests only, a character
    that makes the core panic on any text holding it)."""
    _check_kinds(module.NORMALISER_KINDS)  # type: ignore[attr-defined]
    tables = unicode_tables()
    return module.Normaliser(  # type: ignore[attr-defined]
        tables.flags,
        list(tables.mapping),
        [(ord(a), ord(b)) for a, b in HOMOGLYPHS.items()],
        [(c, letter) for c, letter in tables.folds if chr(letter) in _NUMBER_WORD_LETTERS],
        Obfuscation,
        None if panic_on is None else ord(panic_on),
    )


def normalise_batch(texts: Sequence[str], compiled: object) -> NormalisedBatch:
    """`normalise.normalise_batch` through the core `compiled`.

    The core hands back the batch whole: the list of normalised texts (each changed one a str
    it made, each other the str given), each text's list of obfuscation records, made there,
    and the moved texts' offset maps in int32 buffers, already joined as the pipeline reads
    them (`NormalisedBatch.maps`: a list would make a Python int for every character of every
    changed ad). A text's `NormalisedText` is made only when asked for, its maps numpy views
    of those buffers, or ranges for a text whose edits all kept their length."""
    from amberline.text.normalise import JoinedMaps, NormalisedBatch, NormalisedText

    originals = list(texts)
    status_b, new, starts_b, ends_b, lengths_b, obfuscations, errors = (
        compiled.normalise_batch(originals)  # type: ignore[attr-defined]
    )
    core.raise_failures("normaliser", errors)
    status = np.frombuffer(status_b, dtype=np.uint8)
    moved = np.flatnonzero(status == _CHANGED).tolist()
    lengths = np.frombuffer(lengths_b, dtype="<i8")
    if len(lengths) != len(moved):
        raise ValueError("the core's lengths do not match its moved texts")
    maps = JoinedMaps(moved, lengths, np.frombuffer(starts_b, dtype="<i4"),
                      np.frombuffer(ends_b, dtype="<i4"))
    if (len(maps.heads) != int(maps.lengths.sum()) + len(maps.ads)
            or len(maps.tails) != int(maps.lengths.sum())):
        raise ValueError("the core's offset maps do not match its normalised texts")
    place: dict[int, tuple[int, int]] = {}  # moved text -> where its tail and head start

    def make(i: int) -> NormalisedText:
        text, state, found = originals[i], status_b[i], obfuscations[i]
        if state == _UNCHANGED:
            return NormalisedText(text, text, None, found)
        norm = new[i]
        size = len(norm)
        if state == _SAME_OFFSETS:
            result = NormalisedText(text, norm, range(size + 1), found)
            result._ends = range(1, size + 1)
            result._same_offsets = True
            return result
        if not place:
            tails = np.cumsum(maps.lengths) - maps.lengths
            heads = tails + np.arange(len(tails))  # one more entry for each moved text before
            place.update(zip(maps.ads, zip(tails.tolist(), heads.tolist(), strict=True),
                             strict=True))
        tail, head = place[i]
        result = NormalisedText(text, norm, maps.heads[head : head + size + 1], found)
        result._ends = maps.tails[tail : tail + size]
        return result

    return NormalisedBatch(new, obfuscations, make, maps=maps)
