"""Character-level normalisation: compatibility forms, keycaps, invisibles, controls, homoglyphs.

Why: the cheapest way to hide "703 555 0142" from a filter is to write it with characters that
look like digits but are not ("７０３", "𝟕𝟎𝟑", "⑦⓪③", "7️⃣0️⃣3️⃣") or to slip invisible
characters between the digits. Each such character is undone on its own (NFKC one character at a
time, never on the whole string) so that the offset map stays exact. The set of characters NFKC
changes is computed once, from this Python's Unicode tables, into one regex character class, so
finding them is a single C-level scan; Python only touches the characters that change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from amberline.text.edits import Edit, new_edit
from amberline.text.homoglyphs import HOMOGLYPH_CLASS, HOMOGLYPHS

COMPAT_FORM = "compat_form"  # fullwidth, mathematical, circled, superscript forms; keycaps
SCRIPT_DIGITS = "script_digits"  # decimal digits of other scripts ("٧٠٣") -> ASCII
TYPOGRAPHY = "typography"  # compatibility spaces and punctuation (no-break space, "…")
INVISIBLE = "invisible"  # zero-width characters, variation selectors, bidi controls
CONTROL = "control"  # control characters (form feed -> newline, others removed)
HOMOGLYPH = "homoglyph"  # Cyrillic/Greek/Armenian look-alikes inside Latin words

# Default-ignorable characters that render as nothing (zero-width space/joiners, bidi marks,
# variation selectors, BOM, tags). U+20E3 (keycap) is handled with its digit, not here.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
# Line-breaking controls become "\n" (the batch separator "\n\f\n" must never appear inside an
# ad); every other control character except tab, newline and carriage return is removed.
_TO_NEWLINE = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_REMOVED_CONTROL = "\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f"
_NEWLINE_SET = frozenset(_TO_NEWLINE)
_SCAN_LIMIT = 0x30000  # compatibility characters above this plane do not exist


def _escape_class(chars: list[str]) -> str:
    """A regex class body for a sorted list of characters, as escaped code point ranges."""
    out: list[str] = []
    i = 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1:
            j += 1
        out.append(f"\\U{ord(chars[i]):08x}")
        if j > i:
            out.append(f"-\\U{ord(chars[j]):08x}")
        i = j + 1
    return "".join(out)


def _has_mark(s: str) -> bool:
    return any(unicodedata.category(c).startswith("M") for c in s)


def _kind_of(repl: str) -> str:
    if all(unicodedata.category(c)[0] in "ZP" for c in repl):
        return TYPOGRAPHY
    return COMPAT_FORM


@dataclass(frozen=True, slots=True)
class CharTables:
    """Everything stage one needs, built once per process."""

    mapping: dict[str, tuple[str, str]]  # character -> (replacement, kind)
    invisible: re.Pattern[str]
    # Candidates: every BMP character that changes, plus every astral character (astral ranges
    # make `re` classes slow, so emoji and the rest are sorted out by a dict lookup).
    scan: re.Pattern[str]
    # Fast check for non-ASCII text that NFKC leaves alone: controls, invisibles, keycaps,
    # other scripts' digits, look-alikes touching Latin letters or digits.
    needs_work: re.Pattern[str]
    homoglyph_token: re.Pattern[str]
    homoglyph_any: re.Pattern[str]


def build_tables() -> CharTables:
    """Compute the compatibility map from the running Python's Unicode database."""
    mapping: dict[str, tuple[str, str]] = {}
    skip = set(HOMOGLYPHS)
    decomposition, normalize, decimal = (
        unicodedata.decomposition,
        unicodedata.normalize,
        unicodedata.decimal,
    )
    space = re.compile(r"\s").fullmatch
    spaces: list[str] = []  # the spaces NFKC leaves alone, which the gate must not pass
    for cp in range(0x80, _SCAN_LIMIT):
        c = chr(cp)
        if c in skip or 0xD800 <= cp < 0xE000:
            continue
        if decomposition(c):
            repl = normalize("NFKC", c)
            if repl != c and not _has_mark(repl):
                mapping[c] = (repl, _kind_of(repl))
                continue
        d = decimal(c, None)
        if d is not None:
            mapping[c] = (str(d), SCRIPT_DIGITS)
        elif space(c):
            # A space NFKC leaves alone (U+1680 OGHAM SPACE MARK): the extractors' regexes
            # read it as whitespace (`\s`), their ASCII triggers (Hyperscan's, the core's) as
            # a character like any other, so cues spaced by it were missed ("blue<it>eyes").
            mapping[c] = (" ", TYPOGRAPHY)
            spaces.append(c)
    special = f"{_INVISIBLE}{_TO_NEWLINE}{_REMOVED_CONTROL}\u20e3"
    special_re = re.compile(f"[{special}]")
    for c in [c for c in mapping if special_re.match(c)]:
        del mapping[c]
    bmp = _escape_class(sorted(c for c in mapping if ord(c) < 0x10000))
    glyphs = HOMOGLYPH_CLASS
    return CharTables(
        mapping=mapping,
        invisible=re.compile(f"[{_INVISIBLE}]"),
        scan=re.compile(f"[{bmp}{special}]|[\U00010000-\U0010ffff]"),
        needs_work=re.compile(
            rf"[^\t\n\r -~](?:(?<=[{special}{''.join(spaces)}])|(?<=\d)"
            rf"|(?<=[{glyphs}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9][{glyphs}]))"
        ),
        # A word (letters/digits) containing a look-alike; starts only at word starts, so the
        # scan is linear.
        homoglyph_token=re.compile(rf"(?<![^\W_])[^\W_]*?[{glyphs}][^\W_]*"),
        homoglyph_any=re.compile(f"[{glyphs}]"),
    )


_LATIN = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"[0-9]")


def _is_disguised_latin(token: str) -> bool:
    """True for a word that mixes look-alikes into Latin letters, or into digits only."""
    folded = unicodedata.normalize("NFKC", token)
    if _LATIN.search(folded):
        return True
    if _DIGIT.search(folded):
        return all(not c.isalpha() or c in HOMOGLYPHS for c in folded)
    return False


def char_edits(text: str, tables: CharTables) -> list[Edit]:
    """Stage one edits for `text`, sorted by start, non-overlapping."""
    edits: list[Edit] = []
    mapping, invisible = tables.mapping, tables.invisible
    for m in tables.scan.finditer(text):
        start = m.start()
        c = text[start]
        if c in _NEWLINE_SET:
            edits.append(new_edit((start, start + 1, "\n", CONTROL)))
        elif c == "\u20e3":  # keycap: digit, optional U+FE0F, U+20E3 -> the digit
            base = start - 1 if start and text[start - 1] == "\ufe0f" else start
            if base and text[base - 1] in "0123456789#*":
                while edits and edits[-1].start >= base - 1:
                    edits.pop()
                edits.append(new_edit((base - 1, start + 1, text[base - 1], COMPAT_FORM)))
        elif c in mapping:
            repl, kind = mapping[c]
            edits.append(new_edit((start, start + 1, repl, kind)))
        elif invisible.match(c):
            edits.append(new_edit((start, start + 1, "", INVISIBLE)))
        elif c <= "\x9f":
            edits.append(new_edit((start, start + 1, "", CONTROL)))
    if tables.homoglyph_any.search(text) is None:
        return edits
    glyph_edits: list[Edit] = []
    for m in tables.homoglyph_token.finditer(text):
        token = m.group()
        if not _is_disguised_latin(token):
            continue
        base = m.start()
        for i, c in enumerate(token):
            latin = HOMOGLYPHS.get(c)
            if latin is not None:
                glyph_edits.append(new_edit((base + i, base + i + 1, latin, HOMOGLYPH)))
    if not glyph_edits:
        return edits
    return sorted(edits + glyph_edits)
