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
Real ads mostly sign with a bare name, so a name is also taken by its position, checked
against a first-name gazetteer (the US census lists of given names shipped by the `names`
package): next to a phone number ("Mia 703 555 0142", "703-555-0142 Mia"), at the start of a
line ("Mia 🌹 ...", "Mia's waiting"), before an age ("Mia 23 y/o"), framed as a segment of its
own ("• Mia •", "~ MIA ~"), opening a segment ("!  Mia will ..."), or last in the ad ("xoxo
Mia"). A gazetteer name that is also an everyday word, a big place or a descriptor
(`data/word_names.txt`, the place gazetteer, the descriptor vocabulary) needs a cue, and no
name found by position is part of a place name, an e-mail address or a handle. A word missing
from the gazetteer ("Taijah") is taken by position only when it is written Capitalised in Latin
letters, is no English word (the `pyspellchecker` package's frequency list) and stands next to
a phone number or before an age, cut off from the words before it; after a weak cue, too, an
English word that is no given name ("I'm Sexy") is not a name. A following Capitalised
surname from the census list (or a second given name) joins the name ("Carly Rose"), and a
first name the ad also gives in full is reported in full.
Either way a word in the shipped stop list `data/not_names.txt`, or an ethnicity the descriptor
vocabulary lists ("Exotic Filipina"), is never a name, unless it is
also listed in `data/also_names.txt` (endearments that are common working names: "I'm Honey"),
and a list of names stops at the first word that fails. One precompiled regex finds the cue-led
forms, one multi-line regex the title forms; the "<Name> here" form is found from the literal
"here" and checked backwards on a short window.
"""

from __future__ import annotations

import gzip
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from amberline import core, disk_cache
from amberline.config_files import packaged
from amberline.disk_cache import regex
from amberline.extract._native import SpanColumns, trigger_automaton
from amberline.extract._prefilter import (
    CoreTriggers,
    Prefilter,
    view_folds,
)
from amberline.extract.base import Example, Extractor
from amberline.extract.descriptors import load_vocabulary
from amberline.extract.places import HOME_COUNTRIES
from amberline.model import NAME, Span


def load_word_list(filename: str) -> frozenset[str]:
    """Load a lower-case word list shipped in `amberline/extract/data/`."""
    path = packaged("amberline") / "extract" / "data" / filename
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def load_given_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), lower case, from the census lists the `names` package ships
    (about 5,500 given names; surnames as frequent as the rarest given name, about 20,000)."""
    given, surnames, _, _ = _lists()
    return frozenset(given), frozenset(surnames)


# An English word at least this frequent in the word-frequency list (counts over a subtitle
# corpus) is an ordinary word unless the census lists it as a given name.
WORD_MIN_COUNT = 100


@lru_cache(maxsize=1)
def _word_counts() -> dict[str, int]:
    """Counts of lower-case English and Spanish words (the `pyspellchecker` package's
    frequency lists, MIT; ads here are written in both), at least WORD_MIN_COUNT each."""
    _, _, words, counts = _lists()
    return dict(zip(words, counts, strict=True))


_CENSUS = (("dist.female.first", None), ("dist.male.first", None), ("dist.all.last", 20_000))
_LANGUAGES = ("en", "es")


def _read_lists() -> tuple[list[str], list[str], list[str], list[int]]:
    """(given names, surnames, words, their counts) from the packages' files: reading and
    parsing them is most of this extractor's start-up, hence `_lists`' disk cache."""
    root = packaged("names")
    read = [sorted({line.split()[0].lower() for line in root.joinpath(filename)
                    .read_text(encoding="ascii").splitlines()[:limit] if line.strip()})
            for filename, limit in _CENSUS]
    words: dict[str, int] = {}
    for language in _LANGUAGES:
        data = packaged("spellchecker").joinpath(f"resources/{language}.json.gz")
        counts = json.loads(gzip.decompress(data.read_bytes()))
        for w, n in counts.items():
            if n >= WORD_MIN_COUNT and n > words.get(w, 0):
                words[w] = n
    return sorted({*read[0], *read[1]}), read[2], list(words), list(words.values())


def _encode_lists(lists: tuple[list[str], list[str], list[str], list[int]]) -> bytes:
    given, surnames, words, counts = lists
    return disk_cache.pack([disk_cache.strings(given), disk_cache.strings(surnames),
                            disk_cache.strings(words), disk_cache.ints(counts)])


def _decode_lists(payload: bytes) -> tuple[list[str], list[str], list[str], list[int]]:
    given_b, surnames_b, words_b, counts_b = disk_cache.unpack(payload, 4)
    words, counts = disk_cache.unstrings(words_b), disk_cache.unints(counts_b).tolist()
    if len(words) != len(counts) or len(set(words)) != len(words):
        raise ValueError("word counts do not pair")
    return disk_cache.unstrings(given_b), disk_cache.unstrings(surnames_b), words, counts


def _lists_key() -> str:
    """What `_lists` depends on: this code and the packages' files."""
    names_root = packaged("names")
    words_root = packaged("spellchecker") / "resources"
    return disk_cache.fingerprint(
        Path(__file__), repr((_CENSUS, _LANGUAGES, WORD_MIN_COUNT)),
        *(disk_cache.stamp(names_root / filename) for filename, _ in _CENSUS),
        *(disk_cache.stamp(words_root / f"{language}.json.gz") for language in _LANGUAGES))


@lru_cache(maxsize=1)
def _lists() -> tuple[list[str], list[str], list[str], list[int]]:
    return disk_cache.cached("name lists", _lists_key(), _read_lists, _encode_lists,
                             _decode_lists)


@lru_cache(maxsize=1)
def load_english_words() -> frozenset[str]:
    """Lower-case English and Spanish words: a Capitalised word in them that is no given name
    ("Sexy", "Posted", "Joven") is not a name."""
    return frozenset(_word_counts())


_NAME = r"[^\W\d_]{2,20}+(?:-[^\W\d_]{2,20}+)?+(?![\w-])"
_SEP = r"(?:[ \t]*+(?:,|&|\+|/)[ \t]*+(?:(?i:and|or)[ \t]++)?|[ \t]++(?i:and|or)[ \t]++)"
_EMOJI_CHAR = r"[\u2600-\u27bf\u2b50\u2b55\U0001f300-\U0001faff]\ufe0f?"
# Cues in the first person, after which a lower-case word no list knows is still a name ("im
# seraphina", "soy francela").
_SELF_CUES = frozenset({"i'm", "im", "i am", "soy", "habla", "i’m"})
_NOT_CUE = (r"(?!(?i:my|i|im|i['’]m|it|its|it['’]s|this|call|meet|me|hi|hey|hello|xoxo|xo|love"
            r"|names?|name['’]s)\b)")
_CUES = regex(
    r"(?<![\w'’])(?i:(?P<strong>my[ \t]+name(?:[ \t]+is|['’]?s)"
    r"|names?(?:[ \t]*+:|[ \t]++(?:is|are))"
    r"|ask[ \t]+(?:for|4)|named|me[ \t]+llamo|mi[ \t]+nombre[ \t]+es)"
    r"|(?P<weak>girl[ \t]?friend|my[ \t]+friend|it['’]?s[ \t]+your[ \t]+girl|your[ \t]+girl"
    r"|i[ \t]*+['’]?m|i[ \t]+am|this[ \t]+is|name['’]?s"
    r"|it['’]?s(?:[ \t]+me)?|it[ \t]+is|call[ \t]+me|meet|introducing|booking|book[ \t]+with"
    r"|(?:hi|hello|hey|greetings|kisses)[ \t]+from|soy|miss|mz|ms\.?|mrs\.?|ts|habla"
    r"|xoxo|xo|love[ \t]+always"
    r"|(?:hi|hey|hello|hiya)[ \t]+(?:gentlemen|gentleman|gents|guys|fellas|boys|everyone|babe"
    r"|baby|daddy|papi|there)[ \t]*+[,!.]*+))"
    r"(?:(?<!\w)|(?!\w))"  # a cue ends a word: not "IM" in "IMMEDIATE", not "Meet" in "MeetRemi"
    rf"[ \t]*+[:\-.,\"“'*~]{{0,3}}+[ \t]*+(?:{_EMOJI_CHAR}[ \t]*+)?"  # "I'm 🌸Mia", "is ..Mia"
    rf"(?:(?i:miss|mz|ms|mrs|ts)\b[ \t.]*+)?"  # "It's Miss Nia"
    # the next cue is never a name, nor in a list: "Hi gentlemen my name is ...", "meet 🌹
    # I'm ...", "Hi there handsome, my name is ..."
    rf"{_NOT_CUE}(?P<list>{_NAME}(?:{_SEP}{_NOT_CUE}{_NAME})*+)"
)
# Hyperscan triggers (see _prefilter): a match of `_CUES` starts where one starts; "?" stands
# for "’". "name(s)" has a trigger id of its own: Hyperscan reports one leftmost start per match
# end, so in one pattern with "my name" the start of "name:" in "my name: Mia" went unreported.
_TRIGGER = (
    r"\b(?:my[ \t]+names?|ask[ \t]+(?:for|4)|girl[ \t]?friend|my[ \t]+friend|named"
    r"|i[ \t]*['?]?m|i[ \t]+am|this[ \t]+is"
    r"|it['?]?s|it[ \t]+is|call[ \t]+me|meet|introducing|booking|book[ \t]+with|your[ \t]+girl"
    r"|(?:hi|hello|hey|greetings|kisses)[ \t]+from|me[ \t]+llamo|mi[ \t]+nombre|soy|miss|mz"
    r"|mrs?|ms|ts|habla|xoxo|xo|love[ \t]+always|hi|hey|hello|hiya)\b"
)
_NAME_TRIGGER = r"\bnames?\b"
# Trigger for `_HERE` in the same database: it starts where `_HERE` starts (Hyperscan's ASCII
# "\b" holds wherever Python's Unicode one does, and no non-ASCII letter folds to h, e or r).
_HERE_TRIGGER = r"[ \t]here\b"
# Title forms, one multi-line regex (Python's re tests "^" first, so it runs at ~150 MB/s).
_EMOJI = _EMOJI_CHAR
_TITLE_ADJECTIVES = (
    "sweet|lovely|classy|gorgeous|stunning|charming|bubbly|sunny|upscale|elegant|friendly"
    "|pretty|beautiful|cute|exotic|sexy|petite|relaxing"
)


def _line_forms_pattern(line_end: str) -> str:
    """The title forms from a line's start, with `line_end` for the end of a line."""
    return (
        rf"[ \t]*+(?:"
        rf"(?:{_EMOJI}[ \t]*+)++(?P<emoji>{_NAME})[ \t]*+{_EMOJI}"
        rf"|(?:[A-Z][\w.'’]*+[ \t]++){{0,2}}?(?i:{_TITLE_ADJECTIVES})[ \t]++(?P<title>{_NAME})"
        rf"(?=[ \t]*+(?:{line_end}|[,!.:\-–|~]|(?:in|from|is)\b))"
        rf"|(?P<lead>{_NAME})[ \t]++(?i:available[ \t]+now|just[ \t]+arrived|is[ \t]+back)\b"
        r")"
    )


_LINE_FORMS = regex(rf"(?m)^{_line_forms_pattern('$')}")
_LINE_CUES = {"emoji": "title emoji", "title": "title adjective", "lead": "title"}
# Hyperscan triggers for the title forms (ascii/replace encoding: "?" stands for an emoji or
# any non-ASCII letter but those `re` folds to ASCII, which the folded view gives as those
# letters): every match of `_LINE_FORMS` contains one, on the match's own line, or is on the
# text's first line (always tried). The emoji form starts its line with an emoji:
# its trigger is a line starting with a non-ASCII character (one report per such line, where
# "an emoji then two letters" fired at every character of a run of emoji).
_LINE_TRIGGERS = [
    r"\n[ \t]*\?",
    rf"(?:{_TITLE_ADJECTIVES})[ \t]+[a-z?]",
    r"[ \t](?:available[ \t]+now|just[ \t]+arrived|is[ \t]+back)",
]
_FIRST_LINE_TRIGGER = 2  # trigger ids: _TRIGGER, _HERE_TRIGGER, then _LINE_TRIGGERS
# Then `_NAME_TRIGGER`, whose hits are reported under `_TRIGGER`'s id 0.
_NAME_TRIGGER_ID = _FIRST_LINE_TRIGGER + len(_LINE_TRIGGERS)
_ITEM = regex(_NAME)
_ONE_NAME = regex(r"[^\W\d_-]+")  # a list that is one name without a hyphen
_JOINERS = frozenset({"and", "or"})
_HERE = regex(r"[ \t](?i:here)\b")
# "<Name> here" only at the start of a sentence, line or greeting: "Hi guys, Mia here!"
_BEFORE_HERE = regex(
    r"(?:^|[^\w \t'’]|(?i:hi|hey|hello|hiya)"
    r"(?:[ \t]+(?i:guys|gents|gentlemen|fellas|boys|everyone|all|there|daddy|babe|baby))?)"
    rf"[ \t]*+(?P<name>{_NAME})[ \t]*+$"
)
_WINDOW = 40
# The core matches the cue forms by hand (`names.rs`: `cue_at` for `_CUES`, `before_here`,
# `line_form` for `_LINE_FORMS` from a line's start).

# --- Positional forms (no cue word): a name beside a phone number, opening a line, before an
# age, framed as its own segment, or ending the ad.
_WORD = r"[^\W\d_]{2,20}+(?:[-_][^\W\d_]{2,20}+)?+"
_PHONE_RUN = regex(r"\d(?:[^\w\n\f]{0,3}+\d){6,11}+(?!\d)")
_NAME_BEFORE = regex(rf"(?<![\w'’])(?P<name>{_WORD})[^\w\f]{{0,8}}+$")
_NAME_AFTER = regex(rf"[^\w\f]{{0,8}}+(?P<name>{_WORD})(?![\w'’])")
# A Capitalised word (Latin capitals: the gazetteer's names and unknown names are Latin).
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][^\W\d_]{1,19}+(?:[-_][^\W\d_]{2,20}+)?+"
_WORD_RE = regex(_CAPITALISED)
_LINE_END_OK = regex(r"['’]s\b|[^\w'’]|\Z")  # what may follow a name opening a line
_AGE_AFTER = regex(  # an age after a name: "Mia 23 y/o", "Ella 22 36D-24-36"
    r"[^\w\n\f]{1,6}+(?:1[89]|[2-5]\d)[ \t]*+(?i:y/?[o0]|yo\b|yrs?\b|years"
    r"|(?<=[ ,])[ ,]*+[2-5]\d[a-h]{1,4}[-/])"
)
# The age a classified site prints after the title ("Mia - 23"), and a profile label.
_SUFFIX_AFTER = regex(
    r"[ \t]++-[ \t]++(?:1[89]|[2-6]\d)"
    r"(?![\w.,:/'\"’”-]|[ \t]*+(?i:y\b|yo|yrs?|years?|mins?|hrs?|am|pm))"
    r"|[^\w\n\f]{1,4}+(?i:age)[ \t]*+[:=-]?[ \t]*+(?:1[89]|[2-6]\d)(?!\d)"
    # the site's age label after the ad's body ("... Mia    Poster's age: 23")
    r"|[ \t]*+\n?[ \t]*+(?i:poster['’]s[ \t]+age)[ \t]*+:[ \t]*+(?:1[89]|[2-6]\d)(?!\d)"
)
# A profile card's name in quotes before its age label ('"MIA" AGE: 21'): any case.
_CARD = regex(
    r"[\"“”][ \t]*+(?P<name>[^\W\d_]{2,20}+)[ \t]*+[\"“”][^\w\n\f]{0,4}+(?i:age)[ \t]*+[:=-]?"
    r"[ \t]*+(?:1[89]|[2-6]\d)(?!\d)"
)
# A list of names in capitals ("MIA SALLY JO"): runs of capitalised words.
_CAPS_RUN = regex(
    r"(?<![^\W\d_])[A-Z]{2,15}+(?:(?:[ \t]|,[ \t]*+)[A-Z]{2,15}+){2,7}+(?![^\W\d_])"
)
# A word this rare in the frequency list may be a name in a list of names ("MISO").
RARE_WORD = 2000
# Where words are glued at a capital ("MiaAvailable", "DominicanTS").
_GLUE = regex(r"(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])")
# A name before a business word names the business ("Iris Day Spa").
_BUSINESS = regex(
    r"[ \t]++(?i:(?:day[ \t]+)?spa|massage|salon|studio|agency|wellness|therapy|escorts"
    r"|entertainment)\b"
)
_FRAME_AFTER = regex(r"[ \t]*+(?:[^\w\s,.'’\-]|--|\n|\Z)")
_TAIL = regex(r"[^\w\f]*+(?:\f|\Z)")  # only symbols and blanks to the end of the ad
_LIST_SEP = r"[\"“”'’ \t]*+(?:,|&|\+|/|<|(?i:and))[\"“”'’ \t]*+"
_LIST_NEXT = regex(rf"{_LIST_SEP}(?P<word>{_WORD})(?![\w'’])")
_LIST_PREVIOUS = regex(rf"(?<![\w'’])(?P<word>{_WORD}){_LIST_SEP}$")
_NEXT_WORD = regex(rf"[ \t]++(?P<word>{_WORD})(?![\w'’])")
_PREVIOUS_WORD = regex(rf"(?P<word>{_WORD})[ \t]++$")
_SIGN_OFF = regex(
    r"(?i:xoxo|xo|love|kisses|hugs|call|text|txt|contact|ask[ \t]+for)[^\w\f]*+$"
)
_STOP, _KNOWN, _AMBIGUOUS, _UNKNOWN = range(4)
_DEFER = 255  # a word the core leaves to the Python reference
# The core's cue ids (0: none); `test_core_names` checks they are the core's `NAME_CUES`.
_CORE_CUES = ("", "line start", "before age", "framed", "last word", "segment start",
              "before phone", "after phone", "list", "here", "title emoji", "title adjective",
              "title", "")
_CORE_RAW_CUE = 13  # the cue as written: its bounds follow in the core's row
_CORE_CONFIDENCE = (0.5, 0.6, 0.7, 0.9)  # the core's confidence codes
TOWN = 25_000  # a one-word US or Canadian place this big is never taken as a name by position
_TRIPLE = regex(r"(.)\1\1")  # "sooo", "yesss": drawn-out words, not names
_TITLE_WORD = regex(r"[A-ZÀ-Ö][a-zß-öø-ÿ]+(?:[A-ZÀ-Ö][a-zß-öø-ÿ]+)?")  # "Mia", "AmberLynn"
_LATIN = regex(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:[-_][A-Za-zÀ-ÖØ-öø-ÿ]+)?")


def _mixed_script(word: str) -> bool:
    """Whether a word mixes Latin letters with letters of another script (look-alike
    spelling such as Cyrillic inside a Latin word): no name is written so."""
    latin = other = False
    for c in word:
        if c.isalpha():
            if c <= "\u024f":
                latin = True
            else:
                other = True
    return latin and other


def _at_line_start(text: str, start: int) -> bool:
    """Whether only symbols or blanks (at most 12) stand between a line start and `start`."""
    lo = max(0, start - 13)
    prefix = text[lo:start]
    cut = max(prefix.rfind("\n"), prefix.rfind("\f"))
    if cut < 0 and lo > 0:
        return False
    rest = prefix[cut + 1:]
    return len(rest) <= 12 and not any(c.isalnum() or c == "_" for c in rest)


def _frame_before(text: str, start: int) -> bool:
    """Whether the word at `start` opens a segment: a symbol, emoji, "--" or a line start
    before it (blanks between allowed), or two blanks right before it."""
    if start >= 2 and text[start - 1] in " \t" and text[start - 2] in " \t":
        return True
    k = start
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    if k == 0:
        return True
    c = text[k - 1]
    if c == "\n" or text[k - 2:k] == "--":
        return True
    return not (c.isalnum() or c.isspace() or c in "_,.'’-")


def _cut_before(text: str, i: int) -> bool:
    """Whether the word at `i` starts a segment: text or line start, two blanks, or a symbol,
    emoji or sentence mark before it (not a letter, digit, comma or apostrophe)."""
    if i == 0:
        return True
    c = text[i - 1]
    if c in "\n\f":
        return True
    if c in " \t":
        return i >= 2 and (text[i - 2] in " \t\n\f" or not (text[i - 2].isalnum()
                                                         or text[i - 2] in ",'’"))
    return not (c.isalnum() or c in ",'’_")


def _cut_after(text: str, j: int) -> bool:
    """Whether the word ending at `j` ends a segment (the mirror of `_cut_before`)."""
    if j >= len(text):
        return True
    c = text[j]
    if c in "\n\f":
        return True
    if c in " \t":
        return j + 1 >= len(text) or text[j + 1] in " \t\n\f" or not (
            text[j + 1].isalnum() or text[j + 1] in "'’")
    return not (c.isalnum() or c in "'’_")


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    """Names that mostly mean a place: US states and US or Canadian cities of 100,000 people
    ("Austin", "Savannah"), and cities of a million elsewhere ("Paris")."""
    from amberline.extract.places import BIG_CITY, load_gazetteer

    out = set()
    for key, entries in load_gazetteer().places.items():
        top = entries[0]
        home = top.country in HOME_COUNTRIES
        if top.city is None or top.population >= (100_000 if home else BIG_CITY):
            out.add(key)
    return frozenset(out)


# The extractor's word lists (attributes of `NameExtractor`), each a bit of the word table's
# masks (whose two low bits are the word's kind, `_class`); the core reads the same bits.
_WORD_SETS = ("_words", "_stop", "_surnames", "_descriptive", "_places", "_given",
              "_ambiguous", "_common", "_census")
_BITS = {name: 1 << (2 + i) for i, name in enumerate(_WORD_SETS)}
_KIND_BITS = 3


def _derive_word_sets() -> dict[str, frozenset[str]]:
    """The word lists from their sources (`_word_table` keeps the result)."""
    vocab = load_vocabulary()
    ethnicities = {w for table in ("ethnicity", "ethnicity_cued") for w in vocab[table]
                   if " " not in w}  # "Exotic Filipina" names an ethnicity, not a person
    from amberline.extract.handles import PLATFORM_WORDS  # (handles imports this module)
    from amberline.extract.places import load_gazetteer

    stop = (load_word_list("not_names.txt") | ethnicities | PLATFORM_WORDS) - load_word_list(
        "also_names.txt")
    census, surnames = load_given_names()
    # Given names that are also everyday words, big places or descriptors need a cue.
    descriptive = frozenset(w for table in vocab.values() for w in table if " " not in w)
    ambiguous = load_word_list("word_names.txt") | _place_names() | descriptive | stop
    # Every place the gazetteer knows, by name: a name found by position alone is never
    # part of one ("Stanton", "Beverly Hills"); a cue still reads "I'm Charlotte".
    # (Single words: towns of 25,000 people or more; a country that is also a given name,
    # "Kenya", is an ambiguous name instead.)
    countries = {c.lower() for c in load_gazetteer().countries}
    places = frozenset(
        k for k, v in load_gazetteer().places.items()
        if " " in k or (v[0].country in HOME_COUNTRIES and (
            v[0].city is None or v[0].population >= TOWN)))
    return {
        "_words": load_english_words() - census,
        "_stop": stop,
        "_surnames": surnames - stop,
        "_descriptive": descriptive,
        "_places": places | (countries - census),
        "_given": census - stop,
        "_ambiguous": ambiguous | (countries & census),
        "_common": frozenset(w for w, n in _word_counts().items() if n >= RARE_WORD) - census,
        "_census": census,
    }


def _make_kinds(sets: dict[str, frozenset[str]]) -> dict[str, int]:
    """`_class` as one table: an ambiguous word (a stop word stays one) over a given name
    over an everyday word."""
    kinds = dict.fromkeys(sets["_words"], _STOP)
    kinds.update(dict.fromkeys(sets["_given"], _KNOWN))
    kinds.update((w, _STOP if w in sets["_stop"] else _AMBIGUOUS) for w in sets["_ambiguous"])
    return kinds


class _Table(NamedTuple):
    """The word table: its words (UTF-8, joined by NUL, sorted), a uint16 mask per word, and
    the core's `WordTable` of them (None without the core)."""

    words: bytes
    masks: np.ndarray
    core: object | None


def _table(words: bytes, masks: np.ndarray) -> _Table:
    """A checked `_Table`: ValueError unless the words are UTF-8, each once, one per mask,
    each in a list and with no other bits (the core checks what it reads itself)."""
    if masks.size and ((masks >> (2 + len(_BITS))).any() or not (masks >> 2).all()):
        raise ValueError("word table: mask bits out of range")
    if core.provides("WordTable"):
        return _Table(words, masks, core.load().WordTable(words, masks.tobytes()))  # type: ignore[union-attr]
    listed = words.decode("utf-8").split("\0") if masks.size else []
    if len(listed) != len(masks) or len(set(listed)) != len(listed):
        raise ValueError("word table: words and masks do not pair")
    return _Table(words, masks, None)


def _table_of(sets: dict[str, frozenset[str]]) -> _Table:
    """The word table of the word lists."""
    kinds = _make_kinds(sets)
    words = sorted(set().union(*sets.values()))
    if any("\0" in w for w in words):  # (and encoding refuses a lone surrogate)
        raise ValueError("a listed word holds a NUL")
    masks = np.array([kinds.get(w, _UNKNOWN) for w in words], dtype="<u2")
    for name, bit in _BITS.items():
        listed = sets[name]
        masks |= np.array([w in listed for w in words], dtype=bool) * np.uint16(bit)
    return _table("\0".join(words).encode("utf-8"), masks)


def _sets_of(table: _Table) -> dict[str, object]:
    """The word lists of a word table (`_table_of` back), and `_kinds`."""
    masks = table.masks
    words = table.words.decode("utf-8").split("\0") if masks.size else []
    sets: dict[str, object] = {
        name: frozenset(compress(words, (masks & bit).astype(bool).tolist()))
        for name, bit in _BITS.items()}
    kind = (masks & _KIND_BITS).tolist()
    known = (masks & _KIND_BITS != _UNKNOWN).tolist()
    sets["_kinds"] = dict(zip(compress(words, known), compress(kind, known), strict=True))
    return sets


def _encode_table(table: _Table) -> bytes:
    return disk_cache.pack([table.words, disk_cache.ints(table.masks, "<u2")])


def _decode_table(payload: bytes) -> _Table:
    words, masks = disk_cache.unpack(payload, 2)
    return _table(words, disk_cache.unints(masks, "<u2"))


@lru_cache(maxsize=1)
def _word_table() -> _Table:
    """The word table, from the disk cache when it holds the one these sources give: this
    code, the word lists shipped here, the descriptor vocabulary, the platform words, the
    gazetteer's and the name lists' own keys."""
    from amberline.extract import handles, places

    data = packaged("amberline") / "extract" / "data"
    key = disk_cache.fingerprint(
        Path(__file__), Path(handles.__file__), Path(places.__file__), places.names_key(),
        _lists_key(), *(data.joinpath(f).read_bytes() for f in (
            "descriptors.toml", "not_names.txt", "also_names.txt", "word_names.txt")))
    return disk_cache.cached("name words", key, lambda: _table_of(_derive_word_sets()),
                             _encode_table, _decode_table)


def _core_word_table() -> object:
    """The core's `WordTable` (made here if the table was read without the core)."""
    table = _word_table()
    if table.core is not None:
        return table.core
    return core.load().WordTable(table.words, table.masks.tobytes())  # type: ignore[union-attr]


@lru_cache(maxsize=1)
def _word_sets() -> dict[str, object]:
    """The word lists (`_WORD_SETS`) and `_kinds`, from the word table."""
    return _sets_of(_word_table())


_CaseSets = tuple[list[int], list[int], list[int], list[int], list[int], list[int]]


@lru_cache(maxsize=1)
def _case_sets() -> _CaseSets:
    """What the core's word scan must know of this Python's `str` methods, over the
    characters `\\w` matches (no other character is in a word or a digit): where
    `c.isupper()`, where `(c + "A").isupper()` is false (lower or title case: a word holding
    it is never `isupper()`), where `c.isdigit()`, where `c.lower()` is not one character or
    depends on its neighbours (a capital sigma, a dotted capital I: the core lowers those two
    itself, and leaves words with any other to the Python reference), and the two properties
    `str.lower()` reads around a capital sigma: case-ignorable, and cased but not
    case-ignorable. Kept in the disk cache with the Unicode tables' key."""
    from amberline.text import native

    def encode(sets: _CaseSets) -> bytes:
        return disk_cache.pack(disk_cache.ints(s, "<u4") for s in sets)

    def decode(payload: bytes) -> _CaseSets:
        sets = [disk_cache.unints(blob, "<u4") for blob in disk_cache.unpack(payload, 6)]
        if any(len(s) and s.max() >= 0x110000 for s in sets):
            raise ValueError("not a code point")
        upper, not_upper, digits, defer, ignorable, cased = (s.tolist() for s in sets)
        return upper, not_upper, digits, defer, ignorable, cased

    key = disk_cache.fingerprint(native._cache_key(), Path(__file__))
    return disk_cache.cached("name case sets", key, _compute_case_sets, encode, decode)


def _compute_case_sets() -> _CaseSets:
    from amberline.text.native import ALNUM, unicode_tables

    flags = np.frombuffer(unicode_tables().flags, dtype=np.uint8)
    upper, not_upper, digits, defer, ignorable, cased = [], [], [], [0x3A3], [], []
    for cp in np.flatnonzero(flags & ALNUM).tolist():
        c = chr(cp)
        if c.isupper():
            upper.append(cp)
        if not (c + "A").isupper():
            not_upper.append(cp)
        if c.isdigit():
            digits.append(cp)
        if len(c.lower()) != 1:
            defer.append(cp)
        # A capital sigma lowers to a final sigma after a cased character (case-ignorable
        # ones skipped) unless one follows: probing that rule tells the properties apart.
        if (c + "\u03a3").lower().endswith("\u03c2"):
            cased.append(cp)  # cased, not case-ignorable
        elif ("A" + c + "\u03a3").lower().endswith("\u03c2"):
            ignorable.append(cp)
    return upper, not_upper, digits, defer, ignorable, cased


def _build_scanner(names: NameExtractor, panic_on: str | None = None) -> object:
    """The core's word scan, given the extractor's tables (`panic_on`: tests only, a
    character that makes the core panic on any text holding it)."""
    from amberline.text.native import unicode_tables

    module = core.load()
    tables = unicode_tables()
    upper, not_upper, digits, defer, ignorable, cased = _case_sets()
    return module.NameScanner(  # type: ignore[union-attr]
        tables.flags, list(tables.folds), upper, not_upper, digits, defer, ignorable, cased,
        list(tables.lower), _core_word_table(),
        None if panic_on is None else ord(panic_on))


def _scanner_for(names: NameExtractor, panic_on: str | None = None) -> object:
    """`_build_scanner` with the cue forms' triggers, which the core then scans itself (no
    Hyperscan hit crosses into Python): the sets of `_core_triggers`, read with the letters
    case-insensitive `re` folds to ASCII as those letters and other scripts' digits as ASCII
    digits (`view_folds`, as the prefilter's `folded_view` and the profile readers' views
    read them, so the scan can be shared: `_native.Together`), so a text holding one
    ("ſoy") needs no search of the whole text; their DFA built whole and kept in the disk
    cache (`trigger_automaton`)."""
    scanner = _build_scanner(names, panic_on)
    scanner.use_triggers(trigger_automaton(_core_triggers()))  # type: ignore[attr-defined]
    return scanner


def _core_triggers() -> CoreTriggers:
    """The prefilter's triggers as the core's trigger sets: where `_CUES` (with
    `_NAME_TRIGGER`), `_HERE` and the title forms can start (`_LINE_TRIGGERS`)."""
    sets = [[_TRIGGER, _NAME_TRIGGER], [_HERE_TRIGGER], _LINE_TRIGGERS]
    return [(patterns, True) for patterns in sets], list(view_folds())


def _core_scan(names: NameExtractor, text: str) -> tuple[
        list[tuple[int, int, int, str | None]], list[tuple[int, int, bool]], list[tuple[int, int]]]:
    """`NameExtractor._scan` through the core: its rows, with the words it leaves to Python
    (kind 255) decided by `_word_hit`."""
    words_b, phones_b, cards_b, errors = names._scanner.scan_batch(  # type: ignore[union-attr]
        *core.batch_buffer([text]))
    core.raise_failures("name scan", errors)
    cues: list[str | None] = [None, *_CORE_CUES[1:]]
    words: list[tuple[int, int, int, str | None]] = []
    for _, start, end, kind, cue in np.frombuffer(words_b, dtype="<i8").reshape(-1, 5).tolist():
        if kind == _DEFER:
            hit = names._word_hit(text, start, end)
            if hit is not None and (hit[2] == _KNOWN or hit[3] is not None):
                words.append(hit)
        else:
            words.append((start, end, kind, cues[cue]))
    neighbours = [(s, e, bool(b)) for _, s, e, b
                  in np.frombuffer(phones_b, dtype="<i8").reshape(-1, 4).tolist()]
    cards = [(s, e) for _, s, e in np.frombuffer(cards_b, dtype="<i8").reshape(-1, 3).tolist()]
    return words, neighbours, cards


def _core_positional(names: NameExtractor, text: str, taken: set[int]) -> list[Span] | None:
    """`NameExtractor._positional` through the core: the spans from its final rows, or None
    when it leaves the text to the reference (a word whose lower case it does not compute)."""
    rows_b, deferred, errors = names._scanner.positional_batch(  # type: ignore[union-attr]
        *core.batch_buffer([text]), [sorted(taken)])
    core.raise_failures("name scan", errors)
    if deferred:
        return None
    span = names._span
    return [span(text[start:end], start, _CORE_CONFIDENCE[confidence], _CORE_CUES[cue])
            for _, start, end, cue, confidence
            in np.frombuffer(rows_b, dtype="<i8").reshape(-1, 5).tolist()]


def _value(word: str) -> str:
    """A name as recorded: each part Capitalised, blanks single spaces ("Ana-Maria Ray")."""
    return " ".join("-".join(part.capitalize() for part in w.split("-")) for w in word.split())


def _in_full_by_ad(spans: list[Span], ads: list[int]) -> None:
    """`NameExtractor._in_full` given the ad of the batch each span is in (`ads`, ascending:
    the spans in text order)."""
    values = [s.value for s in spans]
    _in_full_values(values, ads, [k for k, value in enumerate(values) if " " in value])
    for s, value in zip(spans, values, strict=True):
        s.value = value


def _in_full_values(values: list[str], ads: list[int], full: list[int]) -> None:
    """`_in_full_by_ad` on the spans' values (in place), given the indexes of the values
    holding a blank (`full`); `ads` ascending (the spans in text order), so only the values
    of the ads with a full name are looked at, one range of them each."""
    by_first = {(ads[k], values[k].split(" ")[0]): values[k] for k in full}
    for ad in {ads[k] for k in full}:
        for k in range(bisect_left(ads, ad), bisect_right(ads, ad)):
            if " " not in values[k]:
                values[k] = by_first.get((ad, values[k]), values[k])


class NameExtractor(Extractor):
    """Finds provider names after name cues. value: the name Capitalised ("Mia");
    attrs {"cue": the cue as written, lower-cased}."""

    name = "names"
    kind = NAME
    # The profile readers' `_native.Together`, when the cue triggers are found in its scan.
    _together: Any = None

    def __init__(self) -> None:
        # The word lists (`_WORD_SETS`) are attributes made at their first use (`__getattr__`):
        # with the core, Python looks at them only for the rare word the core defers.
        # One database for the cue forms, "here" and the title-form triggers (whose starts
        # are not needed, but a second scan of the text costs more than reporting them).
        # `folds`: a text holding a letter case-insensitive `re` matches to an ASCII one
        # ("ſoy", "ıt's"; a dotless i is common in real ads) is scanned as `folded_view`
        # gives it, as the core's trigger scan reads it (`_core_triggers`), not searched
        # whole, which one such letter in one ad would force on its whole batch.
        self._prefilter = Prefilter(
            [_TRIGGER, _HERE_TRIGGER, *_LINE_TRIGGERS, _NAME_TRIGGER], caseless=True,
            som=True, folds=True)
        # A cue as written ("Call  me") -> as recorded ("call me"); a few dozen spellings.
        self._cue_of: dict[str, str] = {}
        self._scanner = _scanner_for(self) if core.provides("NameScanner") else None
        if self._scanner is None:
            self.__dict__.update(_word_sets())  # the reference needs them for every text

    def __getattr__(self, name: str) -> object:
        if name in _WORD_SETS or name == "_kinds":
            self.__dict__.update(_word_sets())
            return self.__dict__[name]
        raise AttributeError(name)

    def __getstate__(self) -> dict[str, object]:
        return {}  # the word lists and the core's scanner are rebuilt where it is unpickled

    def core_triggers(self) -> CoreTriggers | None:
        """The cue forms' trigger sets the core scanner finds (`_core_triggers`), for a scan
        shared with other stages (`_native.run_together`); None without the scanner."""
        return None if self._scanner is None else _core_triggers()

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]

    def extract(self, text: str) -> list[Span]:
        if self._scanner is not None:
            spans = self._core_extract(text)
            if spans is not None:
                return spans
        spans: list[Span] = []
        hits = self._hits(text)
        if hits is None:
            cues, heres = list(_CUES.finditer(text)), list(_HERE.finditer(text))
        else:
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
                names = self._unglue(names) or ""
                if (names and names.lower() not in _JOINERS and self._is_name(names, strong, cue)
                        and _BUSINESS.match(text, base + len(names)) is None):
                    spans.append(self._full_span(text, names, base, confidence, cue))
                continue
            for item in _ITEM.finditer(names):
                word = item.group()
                if word.lower() in _JOINERS:
                    continue
                if not self._is_name(word, strong, cue):
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
        spans.extend(self._positional(text, {s.start for s in spans}))
        spans.sort(key=lambda s: s.start)
        return self._in_full(text, spans)

    def extract_columns(self, text: str) -> SpanColumns | list[Span]:
        """`extract` as columns when the core reads the text (`SpanColumns`)."""
        found = None if self._scanner is None else self._core_columns(text)
        return self.extract(text) if found is None else found

    def _core_extract(self, text: str, whole: bool = False) -> list[Span] | None:
        """`extract` through the core: the spans from its final rows (sorted, each with the
        ad of the batch it is in), or None when it leaves the text to the reference (a word
        whose lower case it does not compute). The core finds its own triggers (`whole`:
        tests only, every position tried)."""
        found = self._core_columns(text, whole)
        return None if found is None else found.spans()

    def _core_columns(self, text: str, whole: bool = False) -> SpanColumns | None:
        """`_core_extract` as columns."""
        together = self._together
        starts = None if whole or together is None else together.starts(text, 1)
        rows_b, deferred, errors = self._scanner.extract_batch(  # type: ignore[union-attr]
            *core.batch_buffer([text]), whole, starts)
        core.raise_failures("name scan", errors)
        if deferred:
            return None
        labels, cue_of = _CORE_CUES, self._cue_of
        found = np.frombuffer(rows_b, dtype="<i8").reshape(-1, 9)
        values = []
        attrs = []
        full = []
        for start, end, cue, cue_start, cue_end, plain in found[:, (1, 2, 3, 5, 6, 8)].tolist():
            if cue == _CORE_RAW_CUE:
                raw = text[cue_start:cue_end]
                label = cue_of.get(raw)
                if label is None:
                    label = self._remember_cue(raw)
            else:
                label = labels[cue]
            if plain:  # no hyphen, no blank: `_value` is `capitalize`
                value = text[start:end].capitalize()
            else:
                value = _value(text[start:end])
                if " " in value:
                    full.append(len(values))
            values.append(value)
            attrs.append({"cue": label})
        if full:
            _in_full_values(values, found[:, 7].tolist(), full)
        return SpanColumns(NAME, self.name, found[:, 1], found[:, 2], values,
                           list(map(_CORE_CONFIDENCE.__getitem__, found[:, 4].tolist())),
                           attrs)

    def _class(self, word: str) -> int:
        """How the gazetteer knows a word: a plain given name, an ambiguous one, a stop word,
        or not at all."""
        return self._kinds.get(word.lower(), _UNKNOWN)

    def _positional(self, text: str, taken: set[int]) -> list[Span]:
        """Names found by position alone (see the module docstring), each once: from the
        core where it is built (final rows), else by the reference below."""
        if self._scanner is not None:
            spans = _core_positional(self, text, taken)
            if spans is not None:
                return spans
        found: list[Span] = []

        def add(word: str, start: int, cue: str, confidence: float, whole: bool = True) -> None:
            # The names listed with each name found are taken up depth first, the next one
            # (with its own list) before the one before, from a stack: a list of thousands of
            # names is hostile text, not a reason to exhaust Python's recursion limit.
            stack = [(word, start, cue, confidence, whole)]
            while stack:
                word, start, cue, confidence, whole = stack.pop()
                if start in taken or len(word) < 3 or self._in_address(text, start, len(word)):
                    continue
                if self._unglue(word) != word or _BUSINESS.match(text, start + len(word)):
                    continue
                taken.add(start)
                found.append(self._full_span(text, word, start, confidence, cue) if whole
                             else self._span(word, start, confidence, cue))
                stack.extend((w, s, "list", 0.5, True) for w, s
                             in reversed(self._list_around(text, start, start + len(word))))

        words, neighbours, cards = self._scan(text)
        for start, end, before in neighbours:
            word = text[start:end]
            if self._beside_phone(text, word, start, before=before):
                add(word, start, "before phone" if before else "after phone", 0.6)
        # Only a Capitalised word the gazetteer knows (or, at a line start or before an age,
        # one no list knows) has its context looked at (`_word_hit`).
        n = len(text)
        runs: set[int] = set()
        for start, end, kind, cue in words:
            word = text[start:end]
            if kind == _KNOWN and word.isupper():  # perhaps one of a list in capitals
                for run in _CAPS_RUN.finditer(text, max(0, start - 128), min(n, end + 128)):
                    if run.start() <= start < run.end() and run.start() not in runs:
                        runs.add(run.start())
                        self._caps_list(run, add)
            if cue is not None:
                add(word, start, cue, 0.5)
        for start, end in cards:
            if text[start:end].lower() not in self._stop:
                add(text[start:end], start, "before age", 0.5)
        return found

    def _scan(self, text: str) -> tuple[list[tuple[int, int, int, str | None]],
                                       list[tuple[int, int, bool]], list[tuple[int, int]]]:
        """What `_positional` looks at: the Capitalised words as (start, end, kind, cue),
        every given name and any other word with a cue; the words beside phone-number runs,
        (start, end, before), for each run the one before it then the one after it; and the
        names of profile cards, (start, end). From the core where it is built, else from
        `_word_hit` and the regexes."""
        if self._scanner is not None:
            return _core_scan(self, text)
        words = []
        for m in _WORD_RE.finditer(text):
            hit = self._word_hit(text, m.start(), m.end())
            if hit is not None and (hit[2] == _KNOWN or hit[3] is not None):
                words.append(hit)
        neighbours = []
        for phone in _PHONE_RUN.finditer(text):
            p = phone.start()
            if p > 0 and text[p - 1].isdigit():
                continue  # the tail of a longer run of digits
            b = _NAME_BEFORE.search(text, max(0, p - _WINDOW), p)
            if b is not None:
                neighbours.append((b.start("name"), b.end("name"), True))
            a = _NAME_AFTER.match(text, phone.end())
            if a is not None:
                neighbours.append((a.start("name"), a.end("name"), False))
        cards = [m.span("name") for m in _CARD.finditer(text)]
        return words, neighbours, cards

    def _word_hit(self, text: str, start: int, end: int
                  ) -> tuple[int, int, int, str | None] | None:
        """(start, end, kind, cue) for the Capitalised word at [start, end) (a `_WORD_RE`
        match) when it is a given name or a word no list knows standing alone, else None.
        (Most Capitalised words are everyday words: the table look-up comes first.)"""
        word = text[start:end]
        kind = self._kinds.get(word.lower(), _UNKNOWN)
        if kind in (_STOP, _AMBIGUOUS):
            return None
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_'’-") and (
                text[start - 2:start] != "--"):
            return None  # inside a token
        if end < len(text) and (text[end].isalnum() or text[end] == "_" or (
                text[end] == "-" and text[end:end + 2] != "--")):
            return None  # part of a longer word or a compound
        if kind == _KNOWN:
            return start, end, kind, self._known_context(text, start, end)
        return start, end, kind, self._unknown_context(text, word, start, end)

    def _caps_list(self, run: re.Match[str],
                   add: Callable[[str, int, str, float, bool], None]) -> None:
        """A run of words in capitals is a list of names ("MIA SALLY JO") when two or more,
        and half or more, of its words are plain given names, and every other word is one no
        list knows or a rare word ("MISO"), never a stop word, descriptor or common word."""
        words = list(_ITEM.finditer(run.group()))
        known = 0
        for w in words:
            low = w.group().lower()
            if low in self._ambiguous or low in self._common:
                return
            known += low in self._given
        if known < 2 or 2 * known < len(words):
            return
        base = run.start()
        for w in words:
            if len(w.group()) >= 3:
                add(w.group(), base + w.start(), "list", 0.5, False)  # one name each

    def _known_context(self, text: str, start: int, end: int) -> str | None:
        """Where a given name stands, if it stands where names do: opening a line, before an
        age, framed as a segment of its own, last in its ad, or opening a segment."""
        if _at_line_start(text, start) and _LINE_END_OK.match(text, end):
            return "line start"
        if _AGE_AFTER.match(text, end) or _SUFFIX_AFTER.match(text, end):
            return "before age"
        before = _frame_before(text, start)
        if before and _FRAME_AFTER.match(text, end):
            return "framed"
        if _TAIL.match(text, end):
            return "last word"
        if before and (end >= len(text) or not (text[end].isalnum() or text[end] in "_'’-")):
            return "segment start"
        if self._surname_before_suffix(text, end):
            return "before age"
        return None

    def _unknown_context(self, text: str, word: str, start: int, end: int) -> str | None:
        """A word no list knows before an age, cut off before it or after an everyday word
        ("~ Elain 22 y/o", "Sexy Yumi 23 y/o"; in capitals too when longer than an acronym,
        "NINI 32 years"), or cut off on both sides at a line start ("Taijah 🌸")."""
        if "-" in word and any(p in self._words for p in word.lower().split("-")):
            return None
        if word.isupper():
            if len(word) < 4 or _LATIN.fullmatch(word) is None:
                return None
        elif not self._unknown_name(word):
            return None
        cut = _cut_before(text, start)
        if (cut and not word.isupper() and _at_line_start(text, start)
                and _LINE_END_OK.match(text, end) and _TITLE_WORD.fullmatch(word)
                and _cut_after(text, end)):
            return "line start"
        if _AGE_AFTER.match(text, end) and (cut or self._after_word(text, start)):
            return "before age"
        if cut and not word.isupper() and (_SUFFIX_AFTER.match(text, end)
                                           or self._surname_before_suffix(text, end)):
            return "before age"
        return None

    def _surname_before_suffix(self, text: str, end: int) -> bool:
        """Whether a Capitalised surname of the census list, then the age a classified site
        prints after the title, follow the name ending at `end` ("Caleb King - 26")."""
        nxt = _NEXT_WORD.match(text, end)
        if nxt is None or _SUFFIX_AFTER.match(text, nxt.end()) is None:
            return False
        word = nxt.group("word")
        low = word.lower()
        return (word[0].isupper() and low in self._surnames and low not in self._descriptive
                and low not in self._places)

    def _after_word(self, text: str, start: int) -> bool:
        """Whether an everyday or stop word stands right before `start` ("Sexy Yumi")."""
        prev = _PREVIOUS_WORD.search(text, max(0, start - 24), start)
        if prev is None:
            return False
        low = prev.group("word").lower()
        return low in self._words or low in self._stop

    def _list_around(self, text: str, start: int, end: int) -> list[tuple[str, int]]:
        """The names listed with the one at [start, end), as (word, start), the next one
        first: "Ajna & Maya", "Lily, Katie, Gigi". A neighbour joins when it is a given name
        or a Capitalised word no list knows."""
        around = []
        nxt = _LIST_NEXT.match(text, end)
        if nxt is not None and self._listed(nxt.group("word")):
            around.append((nxt.group("word"), nxt.start("word")))
        prev = _LIST_PREVIOUS.search(text, max(0, start - _WINDOW), start)
        if prev is not None and self._listed(prev.group("word")):
            around.append((prev.group("word"), prev.start("word")))
        return around

    def _listed(self, word: str) -> bool:
        kind = self._class(word)
        if kind in (_KNOWN, _AMBIGUOUS):
            return word[0].isupper()
        return kind == _UNKNOWN and word[0].isupper() and _LATIN.fullmatch(word) is not None

    def _in_address(self, text: str, start: int, length: int) -> bool:
        """Whether the word at `start` is part of a place name ("Stanton", "San Leandro",
        "Beverly Hills"), an e-mail address, a handle or a web address."""
        end = start + length
        if (start > 0 and text[start - 1] in "@#/") or (
                end < len(text) and (text[end] == "@" or (text.startswith(".", end)
                                     and end + 1 < len(text) and text[end + 1].isalnum()))):
            return True
        places = self._places
        if text[max(0, start - 4):start].lower() in ("st. ", "ft. "):  # "St. Louis"
            return True
        before = _PREVIOUS_WORD.search(text, max(0, start - 24), start)
        after = _NEXT_WORD.match(text, end)
        word = text[start:end].lower()
        keys = [word]
        if before is not None:
            keys.append(f"{before.group('word').lower()} {word}")
        if after is not None:
            keys.append(f"{word} {after.group('word').lower()}")
        return any(k in places for k in keys)

    def _beside_phone(self, text: str, word: str, start: int, before: bool) -> bool:
        """A word next to a phone number is a name when the gazetteer knows it (any case),
        or when it is written Capitalised, is cut off on its other side from the text around
        it and is no ordinary word the shipped lists know."""
        kind = self._class(word)
        if kind == _KNOWN:
            return True
        if kind == _AMBIGUOUS:  # "Rose" beside a number: only when cut off on its other side
            if not word[0].isupper():
                return False
            return _cut_before(text, start) if before else _cut_after(text, start + len(word))
        if kind != _UNKNOWN or not self._unknown_name(word):
            return False
        if before:
            return _cut_before(text, start) or _SIGN_OFF.search(
                text, max(0, start - _WINDOW), start) is not None
        return _cut_after(text, start + len(word))

    @staticmethod
    def _unknown_name(word: str) -> bool:
        """A word no list knows may be a name written Capitalised in Latin letters ("Taijah",
        "AmberLynn"), never in capitals ("GFE"), in look-alike letters of other scripts or in
        alternating case ("PlAyMaT": a styled word)."""
        return (len(word) >= 3 and word[0].isupper() and not word.isupper()
                and _LATIN.fullmatch(word) is not None and len(_GLUE.findall(word)) < 2)

    def _full_span(self, text: str, word: str, start: int, confidence: float,
                   cue: str) -> Span:
        """The span of a name found by position, joined with a surname after it ("Carly
        Rose") or with a given name before it when the name found is the surname."""
        end = start + len(word)
        nxt = _NEXT_WORD.match(text, end)
        if nxt is not None and (self._second(nxt.group("word"), word)
                                or self._surname_before_suffix(text, end)):
            return self._span(text[start:nxt.end()], start, confidence, cue)
        prev = _PREVIOUS_WORD.search(text, max(0, start - 24), start)
        if (prev is not None and self._class(prev.group("word")) == _KNOWN
                and self._second(word, prev.group("word"))):
            return self._span(text[prev.start():end], prev.start(), confidence, cue)
        return self._span(word, start, confidence, cue)

    def _second(self, word: str, first: str) -> bool:
        """Whether `word`, right after the name `first`, is the rest of one full name."""
        if not word[0].isupper() or (word.isupper() and not first.isupper()):
            return False
        low = word.lower()
        if low in self._stop or low in self._descriptive or low in self._places:
            return False
        return low in self._given or (low in self._surnames and low not in self._words)

    def _in_full(self, text: str, spans: list[Span]) -> list[Span]:
        """Report a first name in full where its ad also gives the full name ("Jessica Ray ...
        I'm Jessica" is one person, "Jessica Ray"). Ads of a batch are told apart by their
        separators, so one ad's full name never renames another's."""
        full = [s for s in spans if " " in s.value]
        if not full:
            return spans
        bounds = [m.start() for m in re.finditer("\f", text)]
        _in_full_by_ad(spans, [bisect_right(bounds, s.start) for s in spans])
        return spans

    def _hits(self, text: str) -> list[tuple[int, int, int]] | None:
        """The prefilter's scan of `text` (`_NAME_TRIGGER`'s hits under `_TRIGGER`'s id 0), or
        None where the whole text is searched: without Hyperscan. A cue or title word with a
        letter `re` folds to ASCII ("ſoy") is found by the scan of its folded view."""
        if not self._prefilter.available:
            return None
        name_id = _NAME_TRIGGER_ID
        return [(0, start, end) if pid == name_id else (pid, start, end)
                for pid, start, end in self._prefilter.scan(text)]

    def _line_forms(
        self, text: str, hits: list[tuple[int, int, int]] | None
    ) -> list[re.Match[str]]:
        """`_LINE_FORMS.finditer(text)`, tried only at the start of lines holding a title-form
        trigger (ids from 2 in `hits`, `_hits(text)`; None: every line)."""
        if hits is None:
            return list(_LINE_FORMS.finditer(text))
        found: list[re.Match[str]] = []
        tried: set[int] = {0}
        first = _LINE_FORMS.match(text)
        if first is not None:
            found.append(first)
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

    def _unglue(self, word: str) -> str | None:
        """Words glued at a capital, one of them an everyday or stop word ("MiaAvailable",
        "DominicanTS"), stand for the first part when that is Capitalised ("Mia"), else for
        nothing ("espanolConvenient"); a name of two parts ("AmberLynn") stays whole."""
        parts = _GLUE.split(word)
        if len(parts) == 1:
            return word
        if not any(len(p) >= 3 and p.lower() not in self._given
                   and (p.lower() in self._words or p.lower() in self._stop) for p in parts):
            return word
        first = parts[0]
        if not first[0].isupper() or len(first) < 3 or (
                first.lower() in self._words or first.lower() in self._stop):
            return None  # "espanolConvenient", "FaceTime"
        return first

    def _is_name(self, word: str, strong: bool, cue: str = "") -> bool:
        """After a cue: never a stop word; after a strong cue anything else; after a weak one
        a Capitalised word that is no ordinary English word ("I'm Sexy") unless a given name."""
        low = word.lower()
        if _mixed_script(word) or self._unglue(word) != word:
            return False
        if low in self._stop:
            # "My name is May": a given name that is also a function word, after a strong cue
            return strong and word[0].isupper() and low in self._census
        if strong:
            return True
        if low in self._given:
            if not word[0].isupper():  # "im lauren": a plain given name in lower case
                return low not in self._ambiguous
            # "CALL ME LOVE": an everyday word in capitals is the word, not a name; after a
            # first-person cue it is the name ("I'M AMBER")
            return not (word.isupper() and low in self._ambiguous and cue not in _SELF_CUES)
        if not word[0].isupper():
            # "im seraphina": after a first-person cue, a lower-case word no list knows
            return (cue in _SELF_CUES and len(word) >= 4 and "-" not in word
                    and low not in self._words and _LATIN.fullmatch(word) is not None
                    and not _TRIPLE.search(low))
        return not any(part in self._words for part in low.split("-"))

    def _span(self, word: str, start: int, confidence: float, cue: str) -> Span:
        return Span(NAME, _value(word), start, start + len(word), self.name, confidence,
                    {"cue": cue})

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
