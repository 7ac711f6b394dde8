"""Rates an ad asks: amount, currency (or code word) and the time it buys.

Prices link ads (the same rate card recurs across a network's ads) and a rate far below the
local norm is a reported indicator of control. Ads hide money behind code words ("150 roses",
"150 donation", "🌹🌹 150") and shorthand durations ("100hh", "$80 qv", "1hr 200"), so a rate
is read as an amount plus either a currency marker or an adjacent duration:

- `$150`, `€90`, `£80`, `C$120`, `150 usd`, `150 euros`, `150 roses`, `150 donations`, `🌹 150`
- a bare amount only with a duration: `150/hr`, `200 hr`, `300 2hrs`, `100hh`, `150 for 30 min`,
  `1hr 200`, `qv 80`.

A bare number without a duration is never a price, so phone groups, ages and heights are not
read; amounts that continue a digit group ("555 0142 1hr") and bare amounts under 30 ("24 hr"
is availability) are rejected too. "pounds" is not a currency word here: in these ads it is a
weight.
"""

from __future__ import annotations

import re
from itertools import pairwise
from operator import itemgetter
from typing import Any, ClassVar

from amberline.disk_cache import regex
from amberline.extract import _native
from amberline.extract._lookup import fold
from amberline.extract._prefilter import Prefilter, core_triggers
from amberline.extract._program import program
from amberline.extract.base import Example, Extractor
from amberline.model import PRICE, Span

_SPACE = r"[^\S\f]"  # whitespace that never crosses an ad boundary ("\f")
MIN_BARE_AMOUNT = 30

_SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "c$": "CAD", "ca$": "CAD"}
_WORDS = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
    "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "gbp": "GBP", "quid": "GBP",
    "cad": "CAD",
}
_CODE_WORDS = {"rose": "roses", "roses": "roses", "🌹": "roses",
               "donation": "donations", "donations": "donations"}

_AMOUNT = r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d{1,2})?|[1-9]\d{1,3}(?:\.\d{1,2})?"
# A bare amount does not continue a digit group: "703 555 0142 1hr" and "(555)0142 h" have no
# price in them.
_FREE = r"(?<![\d,/:')])(?<!\d\s)(?<!\d-)(?<!\d\.)"
# A duration ends where a letter does not follow: "qv100 hh150 hr250" is a rate card too; or
# where a capital starts a glued word after a lower-case unit ("$300/90MinVIP").
_DURATION = (
    r"(?:(?P<{p}hh>hh(?:rs?)?|half\s*(?:an?d?\s*)?(?:hour|hr)|1/2\s*(?:hour|hr))"
    r"|(?P<{p}qv>qv|qk|qwk|quick(?:ie|y)?(?:\s*(?:visit|stay))?)"
    r"|(?P<{p}min>\d{{1,3}})\s*(?:minutes?|mins?|mn|mts)"
    r"|(?P<{p}hour>(?:(?P<{p}hn>\d(?:\.5)?|an|one|two|(?:a\s+)?full)\s*)?(?:hours?|hourly|hrs?|h|fh))"
    r")(?!(?-i:[^\W\d_A-Z])|(?<=(?-i:[A-Z]))[^\W\d_])"
)
# A symbol right after a digit is not a prefix: "80$" is priced after, "555$$0142" is a phone.
_CURRENCY_BEFORE = r"(?<![\d$€£])(?P<{p}sym>c\$|ca\$|us\$|\$|€|£)\s?"
_CURRENCY_AFTER = (
    r"\s*(?P<{p}word>🌹+|(?:usd|dollars?|bucks|eur|euros?|gbp|quid|cad|roses?|donations?)\b"
    r"|/?\s*(?:in|out)(?:-|\s)?calls?\b"  # "400/in-call", "600 outcall": a rate card's column
    r"|\$(?![$\d])|€|£)"
)
_ROSES_BEFORE = r"(?P<{p}emoji>🌹+)\s*"


# What never follows an amount: a percent sign ("🌹 100% real") or the rest of a phone number
# ("🌹 323-555-0142": the area code).
_NOT_AFTER_AMOUNT = r"(?!\s?%|(?:[-.]|\s){1,2}\d{3}(?:[-.]|\s){1,2}\d{4})"


def _amount(p: str) -> str:
    """A priced amount: symbol before, word after, emoji before, or bare (named groups `p*`)."""
    return (
        r"(?:" + _CURRENCY_BEFORE.format(p=p) + r"(?P<" + p + r"a1>" + _AMOUNT + r")"
        + _NOT_AFTER_AMOUNT +
        r"|" + _ROSES_BEFORE.format(p=p) + r"(?P<" + p + r"a2>" + _AMOUNT + r")"
        + _NOT_AFTER_AMOUNT +
        r"|" + _FREE + r"(?P<" + p + r"a3>" + _AMOUNT + r")(?!\d)" + _NOT_AFTER_AMOUNT +
        r"(?:" + _CURRENCY_AFTER.format(p=p) + r")?)"
    )


_SOURCE = (
    # duration first: "1hr 200", "30 min $100", "qv: 80"
    # "70min for $70", "1hr / 200$"; not an amount that is itself minutes ("hr 30 min") or
    # has its own "/hr" (the next rate's)
    # (not a unit after a slash, "150/hr 300", but "$50/60min-$70" starts a rate)
    r"(?<!\w)(?:(?<!/)|(?=\d))" + _DURATION.format(p="d") + r"\s*(?:[:=@/-]\s*|for\s+)?"
    + _amount("d")
    + r"(?![\d'\"’]|\s*min|\s*(?:/|per\b)\s*(?:hr|hour|h\b))"
    # amount first, duration optional: "$150", "150/hr", "100hh", "150 for 30 min",
    # "$60 - 10 mins"
    r"|" + _amount("a") + r"(?![\d'\"’])"
    r"(?:\s*(?:/|per\b|for\b|an?\b|each\b|-)?\s*" + _DURATION.format(p="a") + r")?"
    # not a discount ("$10 off") nor a fee by the month, year or sale (job and site pages)
    r"(?!\s*(?:%|\$)?\s*off\b|\s*(?:/|per\b|an?\b|each\b)\s*(?:month|mo\b|year|yr\b|week|sale)"
    r"|\s*for\s+(?:[\w-]+\s+){0,2}?(?:a|an|one|1|two|three|six|twelve|\d+)(?:\s|-)*(?:month|year|week)s?\b)"
)
# A fee named by its period before the amount: "membership for three months is $85".
_PERIOD_BEFORE = regex(
    r"(?i:months?|years?|weeks?|yearly|monthly|annual(?:ly)?|subscription|membership)"
    r"[^\S\f]*+(?:[:=-]|is|are|costs?|at)?[^\S\f]*+$"
)
# A rate list written with slashes and no currency: "60/100/160", "$80/130": increasing round
# amounts (a measurement "36/24/36", a date or "30/60/90 min" is no rate list).
_SLASH_LIST = regex(
    r"(?<![\d/.,:$-])(?:(?P<sym>\$)[^\S\f]?)?(?P<list>\d{2,3}(?:/\d{2,3})+)(?![\d/.,:%'\"’])"
    r"(?![^\S\f]*+(?i:min|mn|mts|h(?:ou)?rs?\b|h\b|lbs?\b|kgs?\b|cm\b|y/?o\b|yrs?\b))"
)
_REFUSED = regex(r"(?<![^\W\d_])(?i:no|not)[^\w\f]*+$")
_SLASH_TRIGGER = r"\d{2,3}/\d{2,3}/\d{2,3}|\$\s?\d{2,3}/\d{2,3}"
_PATTERN = regex(_SOURCE.replace(r"\s", _SPACE), re.IGNORECASE)
# Where a rate can start (Hyperscan, no lookarounds): see _prefilter. A bare amount is a
# trigger only when a currency word or a duration follows it.
_T_DUR = (r"(?:hh|half|1/2|qv|qk|qwk|quick|fh|\d{1,3}\s*(?:min|mn|mts)"
          r"|(?:\d(?:\.5)?|an|one|two)?\s*h)")
_T_MONEY = (r"(?:\$|€|£|🌹|usd|dollar|bucks|eur|gbp|quid|cad|rose|donation"
            r"|(?:in|out)[-\s]?call)")
_TRIGGERS = [
    r"(?:c|ca|us)?\$\s?\d|€\s?\d|£\s?\d|🌹+\s*\d",
    r"\d[\d,]*(?:\.\d{1,2})?\s*(?:/|per|for|an?|each|-)?\s*(?:" + _T_MONEY + "|" + _T_DUR + ")",
]
# Duration first: triggers end at the duration itself (no gap before the amount), so that
# Hyperscan's leftmost start for each end is the duration's own start.
_TRIGGERS += [
    r"\b(?:hh|half|1/2|qv|qk|qwk|quick|fh)", r"\d{1,3}\s*(?:min|mn|mts)", r"\d(?:\.5)?\s*h",
    r"\bh(?:ou)?rs?|\bh", r"\b(?:an|one|two)\s*h(?:ou)?r",
]
_WORD_HOURS = {"an": 1.0, "one": 1.0, "two": 2.0}  # anything else ("a full") is one hour
_DEFAULT_CURRENCY = "USD"  # of code words and bare amounts
_PERIOD_BACK = 30  # characters looked back for a period ("membership for three months is")
_REFUSED_BACK = 8  # characters looked back for a refusal of a slash list


# The groups one side of `_PATTERN` reads, in this order, as indexes into `Match.groups()`:
# one C-level tuple per match instead of a dict of every group.
_SIDE_GROUPS = ("hh", "qv", "min", "hour", "hn", "sym", "word", "emoji", "a1", "a2", "a3")


def _side_getter(p: str) -> itemgetter:
    return itemgetter(*(_PATTERN.groupindex[p + name] - 1 for name in _SIDE_GROUPS))


_SIDE = {p: _side_getter(p) for p in "da"}
_DURATION_FIRST = itemgetter(*(_PATTERN.groupindex[f"da{i}"] - 1 for i in (1, 2, 3)))


def _minutes(hh: str | None, qv: str | None, mins: str | None, hour: str | None,
             count: str | None) -> int | None:
    """Minutes bought, from one side's duration groups; None when none was given."""
    if hh:
        return 30
    if qv:
        return 15
    if mins:
        return int(mins)
    if hour:
        if count is None:
            return 60
        hours = float(count) if count[0].isdigit() else _WORD_HOURS.get(fold(count), 1.0)
        return int(hours * 60)
    return None


def _number(token: str) -> int | float:
    value = float(token.replace(",", ""))
    return int(value) if value.is_integer() else value


# What the core reads (`rust/src/profile.rs`): its currencies and code words by id.
_CURRENCIES = sorted({_DEFAULT_CURRENCY, *_SYMBOLS.values(), *_WORDS.values()})
_CODES = sorted(set(_CODE_WORDS.values()))


class PriceExtractor(_native.CoreBacked, Extractor):
    """Reads rates with their currency or code word and the minutes they buy."""

    name: ClassVar[str] = "prices"
    kind: ClassVar[str] = PRICE

    def __init__(self) -> None:
        self._prefilter = Prefilter(_TRIGGERS, caseless=True, som=True, folds=True)
        # (`folds`: "٣٠/٦٠/٩٠" is a slash list to `_SLASH_LIST`'s `\d`, as the core reads it)
        self._slash_prefilter = Prefilter([_SLASH_TRIGGER], som=True, folds=True)
        self._core = self._build_core()

    def _build_core(self, panic_on: str | None = None) -> object | None:
        """The core's reader of these patterns and tables, or None (see `_native`;
        `panic_on`: tests only, a character that makes the core panic on any text holding it)."""
        def compile_core(module: Any) -> object:
            currency = {c: i for i, c in enumerate(_CURRENCIES)}
            code = {c: i for i, c in enumerate(_CODES)}
            groups = [_PATTERN.groupindex[p + g] for p in "da" for g in _SIDE_GROUPS]
            groups += [_SLASH_LIST.groupindex["sym"], _SLASH_LIST.groupindex["list"]]
            tables = ([(k, currency[v]) for k, v in _SYMBOLS.items()],
                      [(k, currency[v]) for k, v in _WORDS.items()],
                      [(k, code[v]) for k, v in _CODE_WORDS.items()],
                      [(k, int(h * 60)) for k, h in _WORD_HOURS.items()])
            flags, folds, digits = _native.char_tables()
            triggers = core_triggers([self._prefilter, self._slash_prefilter])
            return module.PriceReader(
                [program(p) for p in (_PATTERN, _PERIOD_BEFORE, _SLASH_LIST, _REFUSED)],
                groups, tables, (currency[_DEFAULT_CURRENCY], code[_CODE_WORDS["🌹"]], 60),
                (MIN_BARE_AMOUNT, _PERIOD_BACK, _REFUSED_BACK),
                triggers, flags, folds, digits,
                None if panic_on is None else ord(panic_on), _native.trigger_ends(triggers))

        return _native.build("PriceReader", compile_core)

    def extract(self, text: str) -> list[Span]:
        if self._core is None:
            return self.extract_reference(text)
        name = self.name
        spans: list[Span] = []
        found = self._together and self._together.rows(self, text, 8)
        if found is None:
            triggers = (self._prefilter.available, self._slash_prefilter.available)
            found = _native.rows(self._core, text, 8, triggers)
        for start, end, kind, a, b, cur, code, minutes in found:
            if kind == 1:  # an amount of a slash list
                value = int(text[a:b])
                spans.append(Span(PRICE, value, start, end, name, 0.8, {
                    "amount": value, "currency": _CURRENCIES[cur], "minutes": None}))
                continue
            amount = _number(text[a:b])
            attrs: dict[str, object] = {"amount": amount, "currency": _CURRENCIES[cur],
                                        "minutes": None if minutes < 0 else minutes}
            if code >= 0:
                attrs["code_word"] = _CODES[code]
            spans.append(Span(PRICE, amount, start, end, name, 1.0, attrs))
        return spans

    def extract_reference(self, text: str) -> list[Span]:
        """The Python reference (what the core's reader is held to)."""
        spans: list[Span] = []
        for m in self._prefilter.finditer(text, _PATTERN):
            g = m.groups()
            # Which side matched: the "d" (duration-first) or the "a" (amount-first) groups.
            p = "d" if any(_DURATION_FIRST(g)) else "a"
            hh, qv, mins, hour, count, sym, word, emoji, a1, a2, a3 = _SIDE[p](g)
            minutes = _minutes(hh, qv, mins, hour, count)
            token = a1 or a2 or a3
            if token is None:
                continue
            amount = _number(token)
            # "in-call" after an amount marks it as a rate (in the default currency), as a
            # duration does; it is no currency word
            column = word is not None and fold(word).lstrip("/ ")[:2] in ("in", "ou")
            if column:
                word = None
            currency, code_word = _currency(sym, word, emoji)
            bare = not (sym or word or emoji)
            if bare and ((minutes is None and not column) or amount < MIN_BARE_AMOUNT):
                continue  # a bare amount is a price only with a duration, and not "24 hr"
            if code_word and amount < MIN_BARE_AMOUNT:
                continue  # "- 21 🌹🌹": an age before decoration, not 21 roses
            if amount <= 0:
                continue
            if _PERIOD_BEFORE.search(text, max(0, m.start() - _PERIOD_BACK),
                                     m.start()) is not None:
                continue  # "one-year is $250": a fee by the period, not a rate
            attrs: dict[str, object] = {"amount": amount, "currency": currency,
                                        "minutes": minutes}
            if code_word:
                attrs["code_word"] = code_word
            spans.append(Span(PRICE, amount, m.start(), m.end(), self.name, 1.0, attrs))
        spans.extend(self._slash_lists(text, spans))
        return spans

    def _slash_lists(self, text: str, found: list[Span]) -> list[Span]:
        """The amounts of a rate list written with slashes ("60/100/160" or "$80/130"): three
        or more, or two after a currency sign, each a round amount of at least
        MIN_BARE_AMOUNT and each above the one before; amounts already read are skipped."""
        taken = {(s.start, s.end) for s in found}
        spans: list[Span] = []
        for m in self._slash_prefilter.finditer(text, _SLASH_LIST):
            items = m.group("list").split("/")
            values = [int(v) for v in items]
            if len(values) < (2 if m.group("sym") else 3) or values[0] < MIN_BARE_AMOUNT:
                continue
            if _REFUSED.search(text, max(0, m.start() - _REFUSED_BACK), m.start()) is not None:
                continue  # "NO 40/50/60": offers the poster turns down
            if any(v % 5 for v in values) or any(b <= a for a, b in pairwise(values)):
                continue
            pos = m.start("list")
            for item, value in zip(items, values, strict=True):
                start, end = pos, pos + len(item)
                pos = end + 1
                if any(a <= start < b or start <= a < end for a, b in taken):
                    continue
                attrs: dict[str, object] = {"amount": value, "currency": _DEFAULT_CURRENCY,
                                            "minutes": None}
                spans.append(Span(PRICE, value, start, end, self.name, 0.8, attrs))
        return spans

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("Specials today $150, call 703 555 0142", (150,)),
            Example("100hh 150/hr 300 2hrs", (100, 150, 300)),
            Example("150 roses for 30 min", (150,)),
            Example("qv 80, 1hr 200", (80, 200)),
            Example("🌹🌹 150 donation only", (150,)),
            Example("Age 19, 5'2, 110 lbs, open 24 hr", ()),
            Example("€90 per hour, £80 half hour", (90, 80)),
        ]


def _currency(sym: str | None, word: str | None, emoji: str | None) -> tuple[str, str | None]:
    """(ISO currency, code word or None). Code words are priced in the default currency USD."""
    if sym:
        return _SYMBOLS.get(fold(sym), _DEFAULT_CURRENCY), None
    if emoji:
        return _DEFAULT_CURRENCY, _CODE_WORDS["🌹"]
    if word:
        w = fold(word)
        if w.startswith("🌹"):
            return _DEFAULT_CURRENCY, _CODE_WORDS["🌹"]
        if w in _CODE_WORDS:
            return _DEFAULT_CURRENCY, _CODE_WORDS[w]
        if w in _SYMBOLS:
            return _SYMBOLS[w], None
        return _WORDS.get(w, _DEFAULT_CURRENCY), None
    return _DEFAULT_CURRENCY, None
