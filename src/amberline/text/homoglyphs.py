"""Cyrillic, Greek and Armenian letters that look like Latin ones.

Why: ads swap single Latin letters for look-alikes from other scripts ("Mіа" with a Cyrillic
"і" and "а", "7О3" with a Cyrillic "О") so that keyword and identifier filters miss them while a
reader sees no difference. The table is deliberately small and one-way (look-alike -> Latin):
it only needs the letters that are visually identical in common fonts. Whether a letter is
replaced is decided by context in `chars.py` (only inside words that are already Latin, or
inside digit runs), so ordinary Russian or Greek text is left alone.
"""

from __future__ import annotations

HOMOGLYPHS: dict[str, str] = {
    # Cyrillic capitals
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q",
    "Ԝ": "W", "Ӏ": "I", "Ү": "Y",
    # Cyrillic small letters
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
    "і": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
    # Greek small letters
    "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "υ": "u", "α": "a", "ϲ": "c",
    "ϳ": "j",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ց": "g", "զ": "q",
}  # fmt: skip

# The character class of every look-alike, for building regexes.
HOMOGLYPH_CLASS = "".join(sorted(HOMOGLYPHS))
