"""Stated ages of the person an ad offers.

A stated age under 18 (or "just turned 18") is one of the few indicators the literature finds
predictive, so this extractor reads only ages that a cue ties to the person: "age 19", "19 yrs",
"19 years old", "19yo", "19 y/o", "I'm 19", "aged 19", "just turned 18", "barely 18",
"nineteen years old". A bare number is never an age: prices, times, heights, phone fragments
and "24/7" must not become ages, so every pattern needs a cue word and a number that stands
alone (no digit, "+", "/", ":" or unit right after it).

Disclaimers ("must be 18+", "18+ only", "18 and over") are about the reader, not the person
advertised: they are skipped, never reported as an age. A number followed by "+" is never read
as an age, even after a cue ("age 18+" is a disclaimer too).

Only values from 10 to 70 are reported; the text is already normalised (spelled digits inside
digit runs are digits), and number words from ten to ninety-nine are read here.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Any, ClassVar

from amberline.disk_cache import regex
from amberline.extract import _native
from amberline.extract._lookup import fold
from amberline.extract._prefilter import Prefilter, core_triggers
from amberline.extract._program import program
from amberline.extract.base import Example, Extractor
from amberline.model import AGE, Span

MIN_AGE = 10
MAX_AGE = 70

# Where an age came from (`Span.attrs["origin"]`, the machine output's `age_details`): stated
# in the text, printed by a classified site after the title ("... - 23"), or a source's age field.
ORIGIN_TEXT = "text"
ORIGIN_TITLE_SUFFIX = "title_suffix"
ORIGIN_FIELD = "field"

# Whitespace that never crosses an ad boundary in a batch ("\f" separates ads).
_SPACE = r"[^\S\f]"

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

_WORD_NUM = (
    r"(?:(?:" + "|".join(_TENS) + r")(?:(?:\s|-)?(?:" + "|".join(_UNITS) + r"))?"
    r"|" + "|".join(_TEENS) + r")"
)
# A number that stands alone: not part of a longer digit run ("1,250"; a comma after a letter
# only lists: "34C,22 years"), a decimal, a fraction, a time, a phone group, a disclaimer ("18+")
# or a measurement ("5'2", "19 min", "19 lbs").
_NUM = (
    r"(?P<num>(?<![\d./:$€£'-])(?<!\d,)\d{1,2}(?![\d+]|[.,:/-]\d|'|\"|’|”)"
    r"|\b" + _WORD_NUM + r"\b)"
)
_NOT_UNIT = (
    r"(?!\s*(?:\+|min|mins|minutes?|hrs?|hours?|hh|qv|lbs?|pounds|kg|cm|ft|feet|inch"
    r"|%|\$|roses?|dollars?|am\b|pm\b|and\s+(?:over|up|older)|or\s+(?:older|over)"
    r"|to\s+\d|-\s*\d))"
)

_SOURCE = (
    r"(?:"
    # "age 19", "Age: 17", "aged 19", "age is 19"; not a requirement ("be over age 40")
    r"(?<!over\s)(?<!under\s)(?<!least\s)"
    r"\b(?P<cue_age>age[ds]?)(?:\s*(?:is|of|[:=\-~]))?\s*" + _NUM + _NOT_UNIT +
    r"|"
    # "just turned 18", "barely 18", "newly 18", "only 17 yrs" (the cue is kept in attrs)
    r"\b(?P<cue_turn>just\s+turned|recently\s+turned|turned|barely|newly|freshly)\s+"
    + _NUM.replace("num", "num2") + _NOT_UNIT +
    r"|"
    # "I'm 19", "I am 19", "im 19"
    r"\b(?P<cue_i>i\s*'?\s*m|i\s+am)\s+(?:only\s+|just\s+)?"
    + _NUM.replace("num", "num3") + _NOT_UNIT +
    r"|"
    # "19 yrs", "19 years old", "19yo", "19 y/o", "19 y.o.", "nineteen years old", "19-year-old"
    # ("y/0": a zero for the letter o); not a duration or a requirement ("for nearly 20 years",
    # "at least 23 years old") nor "year" without "old" ("a 50 year history")
    r"(?<!for\s)(?<!over\s)(?<!past\s)(?<!last\s)(?<!about\s)(?<!nearly\s)(?<!almost\s)"
    r"(?<!than\s)(?<!least\s)(?<!under\s)"
    + _NUM.replace("num", "num4") +
    r"(?:\s|-)*(?P<unit>y\s*/\s*[o0]\b|y\.\s*o\b\.?|yo\b|yrs?\b(?:(?:\s|-)*old\b)?"
    r"|years\b(?:(?:\s|-)*old\b)?|year(?:\s|-)*old\b)"
    # ("5 years of experience", "2 years in the business"; a line break ends the phrase)
    r"(?![ \t]*(?:of\b|in\b|exp|experience|ago|since|with|at\b|as\b|\+))"
    r"|"
    # "Title of the ad - 23": the age field a classified site prints after the title (what may
    # stand before the dash is checked in `extract`); never a unit or "years" after it
    # ("$60 - 20 mins", "10 am - 11 pm"; "Mia - 22 years old" is stated in the text).
    r"(?<=[ \t])-[ \t]+(?P<num5>\d\d)(?!\w|[.,:/-]\d|'|\"|’|”)" + _NOT_UNIT +
    r"(?!\s*(?:y\s*/\s*o\b|y\.\s*o\b|yo\b|yrs?\b|years?\b))"
    r")"
)
_PATTERN = regex(_SOURCE.replace(r"\s", _SPACE), re.IGNORECASE)
# The groups `extract` reads, as one C-level pick from `Match.groups()` (no dict per match).
_GROUPS = itemgetter(*(_PATTERN.groupindex[name] - 1 for name in (
    "num", "num2", "num3", "num4", "num5", "cue_turn", "cue_age", "cue_i", "unit")))

# Where an age expression can start (Hyperscan, no lookarounds): see _prefilter.
_TRIGGERS = [
    r"\bage",
    r"\b(?:just|recently)\s+turned|\bturned|\bbarely|\bnewly|\bfreshly",
    r"\bi\s*'?\s*m\s|\bi\s+am\s",
    r"\d{1,2}(?:\s|-)*y",
    r"\b(?:" + "|".join([*_TEENS, *_TENS]) + r")",
    r"-[ \t]+\d\d",
]
# What must not end the text before a title suffix's dash: a lone one- or two-digit number
# ("18 - 35" is a range, "$40 - 60" a price range) or a measurement label ("bust - 34").
_NOT_BEFORE_SUFFIX = regex(r"(?:(?<!\w)\$?\d{1,2}|\b(?:bust|waist|hips?|size|cup|chest))\Z",
                                re.IGNORECASE)
_LINE_END = regex(r"[ \t]*(?:\n|\Z)")
_TITLE_CHARS = 1000  # a title longer than this is not a title
_SUFFIX_BACK = 40  # characters read before a title suffix's dash
# What the core reads (`rust/src/profile.rs`): the groups, and the cue of each cue code.
_CORE_GROUPS = ("num", "num2", "num3", "num4", "num5", "cue_turn", "cue_age", "cue_i", "unit")
_CORE_CUES = ((ORIGIN_TITLE_SUFFIX, "title suffix", 1.0), (ORIGIN_TEXT, None, 1.0),
              (ORIGIN_TEXT, "age", 1.0), (ORIGIN_TEXT, "i am", 0.8),
              (ORIGIN_TEXT, "years old", 1.0), (ORIGIN_TEXT, "years", 0.7))


def _ends_title(text: str, m: re.Match[str]) -> bool:
    """Whether the match ends the first line of its ad (ads are joined by "\\n\\f\\n"), where
    a classified site appends the poster's age whatever the title ended with ("... 21 - 21")."""
    if _LINE_END.match(text, m.end()) is None:
        return False
    floor = max(0, m.start() - _TITLE_CHARS)
    newline = text.rfind("\n", floor, m.start())
    if newline < 0:
        return floor == 0
    return text[newline - 1:newline] == "\f"


def parse_number(token: str) -> int | None:
    """An integer from digits or English number words ("nineteen", "twenty-one")."""
    token = fold(token.strip())
    if token.isdigit():
        return int(token)
    parts = re.split(r"[\s-]+", token)
    if len(parts) == 1:
        word = parts[0]
        if word in _TEENS:
            return _TEENS[word]
        if word in _TENS:
            return _TENS[word]
        # "twentyone" written as one word
        for tens, value in _TENS.items():
            if word.startswith(tens) and word[len(tens):] in _UNITS:
                return value + _UNITS[word[len(tens):]]
        return None
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS:
        return _TENS[parts[0]] + _UNITS[parts[1]]
    return None


class AgeExtractor(_native.CoreBacked, Extractor):
    """Reads ages the ad states for the person it offers, with the cue that ties them."""

    name: ClassVar[str] = "ages"
    kind: ClassVar[str] = AGE

    def __init__(self) -> None:
        self._prefilter = Prefilter(_TRIGGERS, caseless=True, som=True, folds=True)
        self._core = self._build_core()

    def _build_core(self, panic_on: str | None = None) -> object | None:
        """The core's reader of these patterns and word tables, or None (see `_native`;
        `panic_on`: tests only, a character that makes the core panic on any text holding it)."""
        def compile_core(module: Any) -> object:
            flags, folds, digits = _native.char_tables()
            triggers = core_triggers([self._prefilter])
            return module.AgeReader(
                [program(p) for p in (_PATTERN, _NOT_BEFORE_SUFFIX, _LINE_END)],
                [_PATTERN.groupindex[g] for g in _CORE_GROUPS],
                (list(_UNITS.items()), list(_TEENS.items()), list(_TENS.items())),
                (MIN_AGE, MAX_AGE, _SUFFIX_BACK, _TITLE_CHARS),
                triggers, flags, folds, digits,
                None if panic_on is None else ord(panic_on), _native.trigger_ends(triggers))

        return _native.build("AgeReader", compile_core)

    def extract(self, text: str) -> list[Span]:
        if self._core is None:
            return self.extract_reference(text)
        return self.extract_columns(text).spans()

    def extract_columns(self, text: str) -> _native.SpanColumns | list[Span]:
        """`extract` as columns, by the core when it is built (`_native.SpanColumns`)."""
        if self._core is None:
            return self.extract_reference(text)
        found = self._together and self._together.row_array(self, text, 6)
        if found is None:
            found = _native.row_array(self._core, text, 6, self._prefilter.available)
        confidences: list[float] = []
        attrs: list[dict[str, Any]] = []
        for cue, cue_start, cue_end in found[:, 3:].tolist():
            origin, label, confidence = _CORE_CUES[cue]
            if label is None:  # the cue as written ("just turned", "barely")
                label = " ".join(text[cue_start:cue_end].lower().split())
            confidences.append(confidence)
            attrs.append({"origin": origin, "cue": label})
        return _native.SpanColumns(AGE, self.name, found[:, 0], found[:, 1],
                                   found[:, 2].tolist(), confidences, attrs)

    def extract_reference(self, text: str) -> list[Span]:
        """The Python reference (what the core's reader is held to)."""
        spans: list[Span] = []
        for m in self._prefilter.finditer(text, _PATTERN):
            num, num2, num3, num4, num5, cue_turn, cue_age, cue_i, unit = _GROUPS(m.groups())
            token = num or num2 or num3 or num4 or num5
            value = parse_number(token) if token else None
            if value is None or not MIN_AGE <= value <= MAX_AGE:
                continue
            if "\f" in m.group(0):
                continue
            attrs: dict[str, object] = {"origin": ORIGIN_TEXT}
            confidence = 1.0
            start = m.start()
            if num5:
                before = text[max(0, m.start() - _SUFFIX_BACK):m.start()].rstrip(" \t")
                if not before or before[-1] in "\n\f":
                    continue  # a list item: "- 23" starting a line
                if _NOT_BEFORE_SUFFIX.search(before) and not _ends_title(text, m):
                    continue  # a range or a measurement, unless the site appended it
                attrs = {"origin": ORIGIN_TITLE_SUFFIX, "cue": "title suffix"}
            elif cue_turn:
                attrs["cue"] = " ".join(cue_turn.lower().split())
            elif cue_age:
                attrs["cue"] = "age"
            elif cue_i:
                attrs["cue"] = "i am"
                confidence = 0.8  # "I'm 19" is rarely anything else, but "I'm 5" etc. exist
            else:
                unit = unit.lower()
                if "old" in unit or not unit.startswith(("yr", "year")):
                    attrs["cue"] = "years old"
                else:
                    attrs["cue"] = "years"
                    confidence = 0.7  # "19 yrs" without "old" may be a duration
            spans.append(Span(AGE, value, start, m.end(), self.name, confidence, attrs))
        return spans

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("Sweet new girl in town, age 19, call 703 555 0142", (19,)),
            Example("Mia, 19 yrs, available 24/7", (19,)),
            Example("Hi I'm 20 and new here, $150 hh", (20,)),
            Example("Nineteen years old, ask for Ana", (19,)),
            Example("just turned 18, 5'2, 110 lbs", (18,)),
            Example("Age: 17 | 100hh", (17,)),
            Example("must be 18+, 18+ only, over 18", ()),
            Example("22yo and 23 y/o friends", (22, 23)),
            Example("open 7 days, 10 years in business", ()),
            Example("Call me Lucia, 22 yrs\nIn Dallas; 5 years of experience", (22,)),
            Example("Quiet company downtown - 23\nLadies 18 - 35 welcome", (23,)),
        ]
