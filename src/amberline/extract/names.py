"""Names an ad gives for the person it advertises ("ask for Mia", "I'm Candy", "Mia here").

Why: the same working name across ads with different phones is a network link, and several
names in one ad ("names: Mia, Ruby and Jade") point at a third party managing several people.
Names are only taken after a cue, never from capitalised words at large, so precision stays
high in title-cased ad text.

Cues come in two strengths:
- unambiguous ("my name is", "name:", "names are", "ask for", "named"): the name may be written
  in lower case;
- ambiguous ("I'm", "I am", "this is", "it's", "call me", and "<Name> here"): the name must be
  Capitalised as written ("I'm new" is not a name, "I'm Candy" is).
Either way a word in the shipped stop list `data/not_names.txt` is never a name, and a list of
names stops at the first word that fails. One precompiled regex finds the cue-led forms; the
"<Name> here" form is found from the literal "here" and checked backwards on a short window.
"""

from __future__ import annotations

import re
from importlib import resources

from amberline.extract._prefilter import Prefilter
from amberline.extract.base import Example, Extractor
from amberline.model import NAME, Span


def load_word_list(filename: str) -> frozenset[str]:
    """Load a lower-case word list shipped in `amberline/extract/data/`."""
    path = resources.files("amberline") / "extract" / "data" / filename
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


_NAME = r"[^\W\d_]{2,20}+(?:-[^\W\d_]{2,20}+)?+(?![\w-])"
_SEP = r"(?:[ \t]*+(?:,|&|\+|/)[ \t]*+(?:(?i:and|or)[ \t]++)?|[ \t]++(?i:and|or)[ \t]++)"
_CUES = re.compile(
    r"(?<![\w'’])(?i:(?P<strong>my[ \t]+name(?:[ \t]+is|['’]s)|names?[ \t]*+(?::|[ \t]is|[ \t]are)"
    r"|ask[ \t]+for|named)"
    r"|(?P<weak>i[ \t]*+['’]?m|i[ \t]+am|this[ \t]+is|it['’]s|it[ \t]+is|call[ \t]+me))"
    rf"[ \t]*+[:\-]?[ \t]*+(?P<list>{_NAME}(?:{_SEP}{_NAME})*+)"
)
# Hyperscan trigger (see _prefilter): starts where `_CUES` can start; "?" stands for "’".
_TRIGGER = (
    r"\b(?:my[ \t]+name|names?|ask[ \t]+for|named|i[ \t]*['?]?m|i[ \t]+am|this[ \t]+is"
    r"|it['?]s|it[ \t]+is|call[ \t]+me)\b"
)
_ITEM = re.compile(_NAME)
_JOINERS = frozenset({"and", "or"})
_HERE = re.compile(r"[ \t](?i:here)\b")
# "<Name> here" only at the start of a sentence, line or greeting: "Hi guys, Mia here!"
_BEFORE_HERE = re.compile(
    rf"(?:^|[\n.!?,;:*~\-–]|(?i:hi|hey|hello|hiya))[ \t]*+(?P<name>{_NAME})[ \t]*+$"
)
_WINDOW = 40


class NameExtractor(Extractor):
    """Finds provider names after name cues. value: the name Capitalised ("Mia");
    attrs {"cue": the cue as written, lower-cased}."""

    name = "names"
    kind = NAME

    def __init__(self) -> None:
        self._stop = load_word_list("not_names.txt")
        self._prefilter = Prefilter([_TRIGGER], caseless=True, som=True)

    def extract(self, text: str) -> list[Span]:
        spans: list[Span] = []
        (cues,) = self._prefilter.find_all(text, [_CUES])
        for m in cues:
            strong = m.group("strong") is not None
            cue = " ".join((m.group("strong") or m.group("weak")).lower().split())
            base = m.start("list")
            for item in _ITEM.finditer(m.group("list")):
                word = item.group()
                if word.lower() in _JOINERS:
                    continue
                if not self._is_name(word, strong):
                    break
                spans.append(self._span(word, base + item.start(), 0.9 if strong else 0.7, cue))
        for h in _HERE.finditer(text):
            lo = max(0, h.start() - _WINDOW)
            b = _BEFORE_HERE.search(text, lo, h.start())
            if b is None or not self._is_name(b.group("name"), strong=False):
                continue
            spans.append(self._span(b.group("name"), b.start("name"), 0.6, "here"))
        spans.sort(key=lambda s: s.start)
        return spans

    def _is_name(self, word: str, strong: bool) -> bool:
        if word.lower() in self._stop:
            return False
        return strong or word[0].isupper()

    def _span(self, word: str, start: int, confidence: float, cue: str) -> Span:
        value = "-".join(part.capitalize() for part in word.split("-"))
        return Span(NAME, value, start, start + len(word), self.name, confidence, {"cue": cue})

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("Sweet new girl in town, ask for mia, call 703 555 0142", ("Mia",)),
            Example("Hi guys, I'm Candy and I am new here", ("Candy",)),
            Example("My name is Ruby. Call me Jade", ("Ruby", "Jade")),
            Example("names: Mia, Ruby and Jade", ("Mia", "Ruby", "Jade")),
            Example("Hey! Mia here, it's Candy too", ("Mia", "Candy")),
            Example("I'm new, I'm available, I'm back in town, click here", ()),
            Example("this is Ana-Maria", ("Ana-Maria",)),
        ]
