"""The normaliser in the compiled core: this Python's character tables in, columns out.

Why: `normalise.py` spends most of its time on obfuscated ads building an `Edit`, a map
stretch and an `Obfuscation` per character it undoes. The core (`rust/src/normalise.rs`) does
the same work for a whole batch in one call: the texts go in as one UTF-32 buffer (code point
offsets are Python's string offsets, lone surrogates included), and the results come back as
flat arrays that are turned into `NormalisedText`s here.

The core must classify characters exactly as the Python reference's regexes do, so it is given
this interpreter's Unicode properties (`\\w`, `\\d`, `\\s`, `str.isalpha`, the characters that
case-insensitive `re` matches to ASCII letters) and the character stage's tables, rather than
using Rust's own (newer) Unicode data. A panic inside the core on one text is caught there and
that text is normalised by the Python reference instead, with a logged error: nothing is lost.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import cache
from itertools import accumulate

import numpy as np

from amberline import core
from amberline.model import Obfuscation
from amberline.text import chars
from amberline.text.homoglyphs import HOMOGLYPHS

log = logging.getLogger(__name__)

# Flag bits, as `rust/src/tables.rs` reads them.
ALNUM, DECIMAL, ALPHA, SPACE, INVISIBLE = 1, 2, 4, 8, 16
_N_CODE_POINTS = 0x110000
_NUMBER_WORD_LETTERS = "".join(sorted(set("zeroonetwothreefourfivesixseveneightnineoh")))
_UNCHANGED, _CHANGED, _SAME_OFFSETS, _FAILED = 0, 1, 2, 3


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
    matches to a letter of a number word ("İ" and "ı" to "i", "ſ" to "s")."""
    out = []
    pattern = f"(?i:[{_NUMBER_WORD_LETTERS}])"
    for m in re.finditer(pattern, _every_code_point()):
        c = m.group()
        if c.isascii():
            continue
        for letter in _NUMBER_WORD_LETTERS:
            if re.fullmatch(f"(?i:{letter})", c):
                out.append((ord(c), ord(letter)))
    return out


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
    from amberline.text.normalise import KINDS

    kind_id = {kind: i for i, kind in enumerate(KINDS)}
    mapping = [(ord(c), repl, kind_id[kind])
               for c, (repl, kind) in chars.build_tables().mapping.items()]
    return module.Normaliser(  # type: ignore[attr-defined]
        unicode_flags(),
        mapping,
        [(ord(a), ord(b)) for a, b in HOMOGLYPHS.items()],
        case_folds(),
        None if panic_on is None else ord(panic_on),
    )


def normalise_batch(texts: Sequence[str], compiled: object) -> list:
    """`normalise.normalise_batch` through the core `compiled`."""
    from amberline.text.normalise import KINDS, NormalisedText, reference_batch

    bounds = [0, *accumulate(map(len, texts))]
    data = "".join(texts).encode("utf-32-le", "surrogatepass")
    status, text_data, text_bounds, starts_b, ends_b, obf_b, errors = (
        compiled.normalise_batch(data, bounds)  # type: ignore[attr-defined]
    )
    obfs: list[list[Obfuscation]] = [[] for _ in texts]
    for i, start, end, kind, s, e in np.frombuffer(obf_b, dtype="<i8").reshape(-1, 6).tolist():
        obfs[i].append(Obfuscation(start, end, KINDS[kind], texts[i][s:e]))
    joined = text_data.decode("utf-32-le", "surrogatepass")
    cuts = np.frombuffer(text_bounds, dtype="<i8").tolist()
    starts = np.frombuffer(starts_b, dtype="<i8").tolist()
    ends = np.frombuffer(ends_b, dtype="<i8").tolist()
    failed = dict(errors)
    out = []
    at_start = at_end = 0
    for i, (text, state) in enumerate(zip(texts, status, strict=True)):
        if state == _UNCHANGED:
            out.append(NormalisedText(text, text, None, []))
            continue
        if state == _FAILED:
            log.error("the core failed on text %d of the batch (%s); it is normalised by the "
                      "Python reference instead", i, failed.get(i, "no message"))
            out.append(reference_batch([text])[0])
            continue
        new = joined[cuts[i] : cuts[i + 1]]
        n = len(new)
        result = NormalisedText(text, new, starts[at_start : at_start + n + 1], obfs[i])
        result._ends = ends[at_end : at_end + n]
        result._same_offsets = state == _SAME_OFFSETS
        at_start += n + 1
        at_end += n
        out.append(result)
    return out
