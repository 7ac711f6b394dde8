"""Fictional phone numbers and the ways ads write them.

Why: a synthetic corpus must never print a number that could ring a real person, so every
number is NPA-555-01XX, the range the North American Numbering Plan reserves for fiction. That
range holds only 100 lines per area code, so numbers are handed out by a `PhonePool` that never
gives the same number twice (independent advertisers must not look linked) and reports when
it runs dry. `render` writes a number the way ads do, including the obfuscations (spelled,
mixed, emoji between digits, fullwidth) that the normaliser and phone extractor must undo.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from amberline.synth.places import load_area_codes

LINES_PER_AREA_CODE = 100  # 555-0100 .. 555-0199

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_EMOJI_SEPARATORS = ("🌹", "💋", "⭐", "🔥", "💕", "✨")

# (form, weight for independents, weight for network ads): networks obscure numbers more often.
FORMS: tuple[tuple[str, float, float], ...] = (
    ("dashes", 24, 10), ("dots", 12, 6), ("parens", 14, 6), ("spaces", 10, 6), ("plain", 8, 4),
    ("intl", 5, 3), ("spelled", 5, 12), ("mixed", 6, 16), ("emoji", 6, 16), ("fullwidth", 4, 10),
    ("spaced", 6, 11),
)
FORM_NAMES = tuple(f[0] for f in FORMS)
OBFUSCATED_FORMS = frozenset({"spelled", "mixed", "emoji", "fullwidth", "spaced"})


def e164(npa: int, line: int) -> str:
    """The E.164 form of NPA-555-01`line` (line 0..99)."""
    return f"+1{npa}5550{100 + line}"


class PhonePool:
    """Hands out distinct fictional numbers, preferring the area codes asked for.

    Lines within an area code come in a seeded random order; when the preferred area codes are
    used up, numbers come from the other US area codes (people keep their number when they
    move), and `take` returns None once all of them are gone.
    """

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._all = list(load_area_codes())
        random.Random(f"phones:{seed}").shuffle(self._all)
        self._cursor = 0
        self._lines: dict[int, list[int]] = {}
        self.issued = 0

    def _next_line(self, npa: int) -> int | None:
        lines = self._lines.get(npa)
        if lines is None:
            lines = list(range(LINES_PER_AREA_CODE))
            random.Random(f"lines:{self._seed}:{npa}").shuffle(lines)
            self._lines[npa] = lines
        return lines.pop() if lines else None

    def take(self, area_codes: Sequence[int]) -> str | None:
        """A number never issued before, in one of `area_codes` if any is left, else anywhere."""
        for npa in area_codes:
            line = self._next_line(npa)
            if line is not None:
                self.issued += 1
                return e164(npa, line)
        while self._cursor < len(self._all):
            npa = self._all[self._cursor]
            line = self._next_line(npa)
            if line is not None:
                self.issued += 1
                return e164(npa, line)
            self._cursor += 1
        return None

    @property
    def capacity(self) -> int:
        return len(self._all) * LINES_PER_AREA_CODE


_CUM_INDEPENDENT = list(itertools.accumulate(f[1] for f in FORMS))
_CUM_NETWORK = list(itertools.accumulate(f[2] for f in FORMS))


def pick_form(rng: random.Random, network: bool) -> str:
    """Choose how an ad writes its number, with the weights for its kind of advertiser."""
    return rng.choices(FORM_NAMES, cum_weights=_CUM_NETWORK if network else _CUM_INDEPENDENT)[0]


def _mixed(digits: str, rng: random.Random) -> str:
    out = []
    for d in digits:
        r = rng.random()
        if d == "0" and r < 0.6:
            out.append("O")
        elif d == "1" and r < 0.3:
            out.append("l")
        elif r < 0.25:
            out.append(_WORDS[int(d)])
        else:
            out.append(d)
    return "".join(out)


def render(number: str, form: str, rng: random.Random) -> str:
    """Write an E.164 `+1NPANXXXXXX` number the way an ad would, in the given form."""
    d = number[2:]
    a, b, c = d[:3], d[3:6], d[6:]
    if form == "dashes":
        return f"{a}-{b}-{c}"
    if form == "dots":
        return f"{a}.{b}.{c}"
    if form == "parens":
        return f"({a}) {b}-{c}"
    if form == "spaces":
        return f"{a} {b} {c}"
    if form == "plain":
        return d
    if form == "intl":
        return f"+1 {a} {b} {c}"
    if form == "spelled":
        return " ".join(_WORDS[int(x)] for x in d)
    if form == "mixed":
        return f"{_mixed(a, rng)} {_mixed(b, rng)} {_mixed(c, rng)}"
    if form == "emoji":
        sep = rng.choice(_EMOJI_SEPARATORS)
        if rng.random() < 0.5:
            return sep.join((a, b, c))
        return sep.join(d)
    if form == "fullwidth":
        return f"{a}-{b}-{c}".translate(_FULLWIDTH)
    if form == "spaced":
        return " ".join(d)
    raise ValueError(f"unknown phone form {form!r}; use one of {', '.join(FORM_NAMES)}")
