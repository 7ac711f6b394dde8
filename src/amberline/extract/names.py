"""Names an ad gives for the person it advertises ("ask for Mia", "I'm Candy", "Mia here").

Why: the same working name across ads with different phones is a network link, and several
names in one ad ("names: Mia, Ruby and Jade") point at a third party managing several people.
Names are only taken after a cue, never from capitalised words at large, so precision stays
high in title-cased ad text.

Cues come in two strengths:
- unambiguous ("my name is", "name:", "names are", "ask for", "named"): the name may be written
  in lower case;
- ambiguous ("I'm", "I am", "this is", "it's", "call me", "meet", "introducing", "booking",
  "book with", "it's your girl", "hi from", and "<Name> here"): the name must be Capitalised
  as written ("I'm new" is not a name, "I'm Candy" is).
Titles name the person without a cue word, so three line-level forms count too (Capitalised,
confidence 0.6): a name alone between emoji ("🔥 Remi 🔥"), an ad adjective before a name that
ends the line or a phrase ("Sweet Dani", "Lovely Mia in Reno"), and a name opening a line
before "available now" / "just arrived" / "is back".
Either way a word in the shipped stop list `data/not_names.txt`, or an ethnicity the descriptor
vocabulary lists ("Exotic Filipina"), is never a name, unless it is
also listed in `data/also_names.txt` (endearments that are common working names: "I'm Honey"),
and a list of names stops at the first word that fails. One precompiled regex finds the cue-led
forms, one multi-line regex the title forms; the "<Name> here" form is found from the literal
"here" and checked backwards on a short window.
"""

from __future__ import annotations

import re
from importlib import resources

from amberline.extract._prefilter import Prefilter
from amberline.extract.base import Example, Extractor
from amberline.extract.descriptors import load_vocabulary
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
    r"|(?P<weak>it['’]s[ \t]+your[ \t]+girl|your[ \t]+girl|i[ \t]*+['’]?m|i[ \t]+am|this[ \t]+is"
    r"|it['’]s|it[ \t]+is|call[ \t]+me|meet|introducing|booking|book[ \t]+with"
    r"|(?:hi|hello|hey|greetings|kisses)[ \t]+from))"
    r"(?:(?<!\w)|(?!\w))"  # a cue ends a word: not "IM" in "IMMEDIATE", not "Meet" in "MeetRemi"
    rf"[ \t]*+[:\-]?[ \t]*+(?P<list>{_NAME}(?:{_SEP}{_NAME})*+)"
)
# Hyperscan trigger (see _prefilter): starts where `_CUES` can start; "?" stands for "’".
_TRIGGER = (
    r"\b(?:my[ \t]+name|names?|ask[ \t]+for|named|i[ \t]*['?]?m|i[ \t]+am|this[ \t]+is"
    r"|it['?]s|it[ \t]+is|call[ \t]+me|meet|introducing|booking|book[ \t]+with|your[ \t]+girl"
    r"|(?:hi|hello|hey|greetings|kisses)[ \t]+from)\b"
)
# Trigger for `_HERE` in the same database: it starts where `_HERE` starts (Hyperscan's ASCII
# "\b" holds wherever Python's Unicode one does, and no non-ASCII letter folds to h, e or r).
_HERE_TRIGGER = r"[ \t]here\b"
# Title forms, one multi-line regex (Python's re tests "^" first, so it runs at ~150 MB/s).
_EMOJI = r"[\u2600-\u27bf\u2b50\u2b55\U0001f300-\U0001faff]\ufe0f?"
_TITLE_ADJECTIVES = (
    "sweet|lovely|classy|gorgeous|stunning|charming|bubbly|sunny|upscale|elegant|friendly"
    "|pretty|beautiful|cute|exotic|sexy|petite|relaxing"
)
_LINE_FORMS = re.compile(
    rf"(?m)^[ \t]*+(?:"
    rf"(?:{_EMOJI}[ \t]*+)++(?P<emoji>{_NAME})[ \t]*+{_EMOJI}"
    rf"|(?:[A-Z][\w.'’]*+[ \t]++){{0,2}}?(?i:{_TITLE_ADJECTIVES})[ \t]++(?P<title>{_NAME})"
    r"(?=[ \t]*+(?:$|[,!.:\-–|~]|(?:in|from|is)\b))"
    rf"|(?P<lead>{_NAME})[ \t]++(?i:available[ \t]+now|just[ \t]+arrived|is[ \t]+back)\b"
    r")"
)
_LINE_CUES = {"emoji": "title emoji", "title": "title adjective", "lead": "title"}
# Hyperscan triggers for the title forms (ascii/replace encoding: "?" stands for an emoji or
# any non-ASCII letter): every match of `_LINE_FORMS` contains one, on the match's own line.
_LINE_TRIGGERS = [
    r"\?[ \t]*[a-z?]{2}",
    rf"(?:{_TITLE_ADJECTIVES})[ \t]+[a-z?]",
    r"[ \t](?:available[ \t]+now|just[ \t]+arrived|is[ \t]+back)",
]
_FIRST_LINE_TRIGGER = 2  # trigger ids: _TRIGGER, _HERE_TRIGGER, then _LINE_TRIGGERS
_ITEM = re.compile(_NAME)
_ONE_NAME = re.compile(r"[^\W\d_-]+")  # a list that is one name without a hyphen
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
        vocab = load_vocabulary()
        ethnicities = {w for table in ("ethnicity", "ethnicity_cued") for w in vocab[table]
                       if " " not in w}  # "Exotic Filipina" names an ethnicity, not a person
        stop = load_word_list("not_names.txt") | ethnicities
        self._stop = stop - load_word_list("also_names.txt")
        # One database for the cue forms, "here" and the title-form triggers (whose starts
        # are not needed, but a second scan of the text costs more than reporting them).
        self._prefilter = Prefilter([_TRIGGER, _HERE_TRIGGER, *_LINE_TRIGGERS], caseless=True,
                                    som=True)
        # A cue as written ("Call  me") -> as recorded ("call me"); a few dozen spellings.
        self._cue_of: dict[str, str] = {}

    def extract(self, text: str) -> list[Span]:
        spans: list[Span] = []
        hits = self._prefilter.scan(text)
        cues, heres = self._prefilter.find_all(text, [_CUES, _HERE], hits)
        cue_of = self._cue_of
        for m in cues:
            strong_cue, weak_cue, names = m.group("strong", "weak", "list")
            strong = strong_cue is not None
            raw = strong_cue if strong else weak_cue
            cue = cue_of.get(raw)
            if cue is None:
                cue = self._remember_cue(raw)
            confidence = 0.9 if strong else 0.7
            base = m.start("list")
            if _ONE_NAME.fullmatch(names) is not None:  # the common case: one name, no joiner
                if names.lower() not in _JOINERS and self._is_name(names, strong):
                    spans.append(self._span(names, base, confidence, cue))
                continue
            for item in _ITEM.finditer(names):
                word = item.group()
                if word.lower() in _JOINERS:
                    continue
                if not self._is_name(word, strong):
                    break
                spans.append(self._span(word, base + item.start(), confidence, cue))
        for h in heres:
            lo = max(0, h.start() - _WINDOW)
            b = _BEFORE_HERE.search(text, lo, h.start())
            if b is None or not self._is_name(b.group("name"), strong=False):
                continue
            spans.append(self._span(b.group("name"), b.start("name"), 0.6, "here"))
        for m in self._line_forms(text, hits):
            group = m.lastgroup
            if group is None or not self._is_name(m.group(group), strong=False):
                continue
            spans.append(self._span(m.group(group), m.start(group), 0.6, _LINE_CUES[group]))
        spans.sort(key=lambda s: s.start)
        return spans

    def _line_forms(self, text: str, hits: list[tuple[int, int, int]]) -> list[re.Match[str]]:
        """`_LINE_FORMS.finditer(text)`, tried only at the start of lines holding a title-form
        trigger (ids from 2 in `hits`, the prefilter's scan of `text`)."""
        if not self._prefilter.available:
            return list(_LINE_FORMS.finditer(text))
        found: list[re.Match[str]] = []
        tried: set[int] = set()
        for pid, _, end in hits:
            if pid < _FIRST_LINE_TRIGGER:
                continue
            start = text.rfind("\n", 0, end) + 1
            if start in tried:
                continue
            tried.add(start)
            m = _LINE_FORMS.match(text, start)
            if m is not None:
                found.append(m)
        return found

    def _remember_cue(self, raw: str) -> str:
        """The cue as recorded (lower case, single spaces), remembered per spelling (bounded:
        odd spacing or casing could make many spellings)."""
        cue = " ".join(raw.lower().split())
        if len(self._cue_of) >= 4096:
            self._cue_of.clear()
        self._cue_of[raw] = cue
        return cue

    def _is_name(self, word: str, strong: bool) -> bool:
        if word.lower() in self._stop:
            return False
        return strong or word[0].isupper()

    def _span(self, word: str, start: int, confidence: float, cue: str) -> Span:
        if "-" in word:
            value = "-".join(part.capitalize() for part in word.split("-"))
        else:
            value = word.capitalize()
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
            Example("Hey! Meet Maya, 33yo. It's your girl Natasha", ("Maya", "Natasha")),
            Example("You can call me Honey. They call me Alina", ("Honey", "Alina")),
            Example("I'm Honey, 32yo; call me honey", ("Honey",)),
            Example("Sweet Dani\nHi from Gia 🌹", ("Dani", "Gia")),
            Example("🔥 Remi 🔥\nMia available now\nBook with Lola today", ("Remi", "Mia", "Lola")),
            Example("Relaxing Swedish massage\nSweet and kind\n🔥 New 🔥\nmeet me", ()),
            Example("Exotic Filipina\nI'm Brazilian, call me", ()),
            Example("IMMEDIATE OPENINGS, MeetRemi", ()),
        ]
