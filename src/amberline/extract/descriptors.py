"""Physical descriptors: height, weight, hair, eyes, ethnicity and build.

These are what a missing-child alert describes ("5'2", 110 lbs, brown hair, hazel eyes"), so
an alert desk matches them against ads; naming the ethnicity is also one of the few
indicators found predictive. Values are normalised so that ads and alerts compare directly:
height in whole centimetres, weight in kilograms (one decimal), colours and ethnicities as
the canonical terms of `data/descriptors.toml` (the word lists live there, not in code).

Build terms are the annotation guide's: petite, slim, curvy, thick, athletic, bbw. A bare number
right after a height is the weight ("5'7 150"), and "mixed"/"mix" is an ethnicity only beside
another ethnicity or before a person word ("Thai & Japanese mix", "mixed cutie").

Colour words are only read next to their cue ("brown hair", "eyes: green") and "white",
"black", "native" only before "girl", "woman", ... or after "ethnicity:", because on their own
they are ordinary words. Nationalities followed by "massage", "food", ... name a service and
are skipped.

Every span has kind DESCRIPTOR, value the normalised value, and attrs {"kind", "value"} (plus
"group" for ethnicity, the broad category an alert is likely to use).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, ClassVar

from amberline.config_files import packaged
from amberline.disk_cache import regex, toml
from amberline.extract import _native
from amberline.extract._lookup import term_key
from amberline.extract._prefilter import Prefilter, core_triggers
from amberline.extract._program import program
from amberline.extract.base import Example, Extractor
from amberline.model import DESCRIPTOR, Span

_SPACE = r"[^\S\f]"  # whitespace that never crosses an ad boundary ("\f")
LB_TO_KG = 0.45359237
INCH_CM = 2.54

_HEIGHT = (
    # 5'4, 5 ft 4 in, 5’4”, 5‘1“ and the double quote as a foot mark when inches follow: 5"4
    r"(?<![\d.'])(?P<ft>[3-7])\s*(?:'|’|‘|′|ft\.?|feet|foot|\"(?=\s?\d(?![\d.])))"
    r"(?:\s*(?P<inch>1[01]|0?\d)(?!\d)\s*(?:\"|”|“|″|''|’’|'|inch(?:es)?\b|in\b\.?)?)?"
    r"(?![\w'’])"
    r"|(?<![\d.,])(?P<cm>1[2-9]\d|20\d)\s*cm\b"
)
_WEIGHT = (
    r"(?<![\d.])(?P<lb>[6-9]\d|[1-3]\d\d)\s*(?:lbs?\b\.?|pounds\b|bls\b|pds\b|#)"
    r"|(?<![\d.,])(?P<kg>[3-9]\d|1\d\d)\s*(?:kgs?|kilos?)\b"
)
# A nationality naming a service, alone or first in a list of massage styles: "Swedish  Deep
# Tissue", "Thai, Shiatsu".
_SERVICE = (
    r"(?!\s*(?:[,/&+*~|•-]|and)?\s*(?:massage|food|cuisine|restaurant|style|(?:day\s*)?spa"
    r"|bodywork|tea|bakery|technique|method|kiss(?:es|ing)?|deep\s*tissue|shiatsu|reflexology"
    r"|acupressure|aromatherapy|hot\s*stone|oil|sports|tantric|tantra|nuru|lomi)\b)"
)
# ... or last in such a list ("Deep Tissue ~ Swedish", "Shiatsu, Thai").
_SERVICE_BEFORE = regex(
    r"(?i:massage|tissue|shiatsu|reflexology|acupressure|aromatherapy|stone|sports|bodywork)"
    r"[^\S\f]*+[,/&+*~|•-][^\S\f]*+$"
)
_PERSON = (r"\s*(?:girls?|wom[ae]n|lady|ladies|females?|chicks?|babes?|beauty|model|ts|trans"
           r"|tgirl|guy|male|stud|hottie|goddess|cutie|doll|bombshell)\b")
_PERSON_AFTER = regex(_PERSON.replace(r"\s", r"[^\S\f]"), re.IGNORECASE)
# An ethnicity before a word for men names the clients wanted or refused ("No African
# American men", "Latin gentlemen welcome"), not the person advertised.
_CLIENTS = (r"(?!(?:\s|-)*(?:[^\W\d_]+(?:\s|-)+)?(?:men|guys|gentlemen|gents|males|boys|clients"
            r"|customers)\b)")
# After "no"/"not" in the same phrase an ethnicity is refused, not described ("No Asian").
_REFUSED = regex(r"(?<![^\W\d_])(?i:no|not|sorry)[^\w\f]*+(?:[^\W\d_]+[^\w\f]++)?$")
# A build word before a body part or an object describes that, not the person ("slim waist").
_NOT_BUILD = (r"(?!\s*(?:thighs?|waist|hips?|lips|legs|arms|toy|piece|cut|nails|hands"
              r"|fingers|neck|brows|eyebrows)\b)")
# Words between a colour and "hair" ("long black silky hair").
_HAIR_WORD = r"(?:(?:silky|long|short|straight|curly|wavy|natural|shiny|soft|flowing)(?:\s|-)+)?"
_WEIGHT_AFTER_HEIGHT = regex(
    r"[^\S\f]*+[,/-]?[^\S\f]*+(?P<lb>[89]\d|[12]\d\d)(?![\d.,'\"’”]|[^\W\d_])"
    r"(?![^\S\f]*+(?i:lbs?|pounds|bls|pds|#|kgs?|kilos?)\b)"  # with a unit it is read already
)
_MIX = regex(r"\bmix(?:x?ed)?\b", re.IGNORECASE)
_MIX_GAP = 12
_MIX_JOIN = regex(r"[^\S\f]*+(?:[/&,+-][^\S\f]*+|and[^\S\f]++)?", re.IGNORECASE)
_MIX_PERSON = regex(
    r"[^\S\f]*+(?:race|breed|girl|cutie|beauty|babe|chick|lady|woman|doll|goddess|trans|ts\b"
    r"|guy|hottie)",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def load_vocabulary() -> dict[str, dict[str, Any]]:
    """The descriptor word lists shipped in `data/descriptors.toml` (read once per process)."""
    data = packaged("amberline").joinpath("extract/data/descriptors.toml").read_bytes()
    return toml(data.decode("utf-8"))


def _alternation(terms: object) -> str:
    """A regex alternation of the terms, longest first, spaces/hyphens matching either (in
    one order whatever the order of `terms`: a compiled database is cached by its source)."""
    words = sorted({str(t) for t in terms}, key=lambda w: (-len(w), w))  # type: ignore[attr-defined]
    return "|".join(re.escape(w).replace(r"\ ", r"(?:\s|-)?").replace(r"\-", r"(?:\s|-)?")
                    for w in words)


def _keyed(table: str, entries: dict[str, Any]) -> dict[str, Any]:
    """A vocabulary table keyed by `term_key`, the form its pattern's matches are looked up by.
    Two terms with one key must mean the same, or the table is ambiguous."""
    keyed: dict[str, Any] = {}
    for term, value in entries.items():
        key = term_key(term)
        if keyed.setdefault(key, value) != value:
            raise ValueError(f"[{table}] {term!r} and another term share the key {key!r}")
    return keyed


# What the core reads (`rust/src/profile.rs`): the main pattern's groups and the vocabulary
# tables in its order, and the windows of the checks before a match.
_CORE_GROUPS = ("ft", "inch", "cm", "lb", "kg", "hair1", "hair2", "hair3", "eyes1", "eyes2",
                "eyes3", "build", "eth1", "eth2", "eth3")
_CORE_TABLES = (("hair_cued", "hair"), ("hair_standalone", "hair"), ("eyes_cued", "eyes"),
                ("eyes_standalone", "eyes"), ("build", "build"), ("ethnicity", "ethnicity"),
                ("ethnicity_cued", "ethnicity"))
_REFUSED_WINDOW = 16
_SERVICE_WINDOW = 24
_MIXED_ATTRS = {"kind": "ethnicity", "value": "mixed", "group": "mixed"}


class DescriptorExtractor(_native.CoreBacked, Extractor):
    """Reads height, weight, hair, eyes, ethnicity and build, normalised for alert matching."""

    name: ClassVar[str] = "descriptors"
    kind: ClassVar[str] = DESCRIPTOR

    def __init__(self) -> None:
        vocab = load_vocabulary()
        self._lookup: dict[str, dict[str, Any]] = {}
        for table, entries in vocab.items():
            self._lookup[table] = _keyed(table, entries)
        hair_c = _alternation(vocab["hair_cued"])
        eyes_c = _alternation(vocab["eyes_cued"])
        source = (
            _HEIGHT + r"|" + _WEIGHT
            + r"|\b(?P<hair1>" + hair_c + r")(?:\s|-)*" + _HAIR_WORD + r"hair(?:ed)?\b"
            + r"|\bhair(?:\s*colou?r)?\s*(?:[:=-]|is)\s*(?P<hair2>" + hair_c + r")\b"
            + r"|\b(?P<eyes1>" + eyes_c + r")(?:\s|-)*eye[sd]?\b"
            + r"|\beyes?(?:\s*colou?r)?\s*(?:[:=-]|are)\s*(?P<eyes2>" + eyes_c + r")\b"
            + r"|\b(?P<eyes3>" + _alternation(vocab["eyes_standalone"]) + r")\b"
            + r"|\b(?P<hair3>" + _alternation(vocab["hair_standalone"]) + r")(?!\w|-)"
            + r"|\b(?P<eth1>" + _alternation(vocab["ethnicity"]) + r")\b" + _SERVICE + _CLIENTS
            + r"|\b(?P<eth2>" + _alternation(vocab["ethnicity_cued"]) + r")\b(?=" + _PERSON + ")"
            + r"|\b(?:ethnicity|race|nationality)\s*[:=-]\s*(?P<eth3>"
            + _alternation(list(vocab["ethnicity"]) + list(vocab["ethnicity_cued"])) + r")\b"
            + r"|\b(?P<build>" + _alternation(vocab["build"]) + r")\b" + _NOT_BUILD
        )
        self._pattern = regex(source.replace(r"\s", _SPACE), re.IGNORECASE)
        words = [t for table in ("hair_standalone", "eyes_standalone", "ethnicity",
                                 "ethnicity_cued", "build") for t in vocab[table]]
        triggers = [
            r"[3-7]\s*(?:'|’|‘|′|\"|ft|feet|foot)|1[2-9]\d\s*cm|20\d\s*cm",
            r"\d{2,3}\s*(?:lb|pound|#|kg|kilo|bls|pds)",
            r"\b(?:" + _alternation([*vocab["hair_cued"], *vocab["eyes_cued"]])
            + r")(?:\s|-)*" + _HAIR_WORD + "(?:hair|eye)",
            # the last word of a colour alone too, so the pattern is also tried there when the
            # longer term fails ("light brown eyes": "light brown" is a hair colour only)
            r"\b(?:" + _alternation({t.split()[-1] for t in [*vocab["hair_cued"],
                                                              *vocab["eyes_cued"]]})
            + r")(?:\s|-)*" + _HAIR_WORD + "(?:hair|eye)",
            r"\b(?:hair|eye|ethnicity|race|nationality)",
            r"\b(?:" + _alternation(words) + r")",
        ]
        self._prefilter = Prefilter(triggers, caseless=True, som=True, folds=True)
        # per vocabulary table, (value, extra attrs) of each value id the core returns
        self._core_values: list[list[tuple[Any, dict[str, Any]]]] = []
        self._core = self._build_core()

    def _build_core(self, panic_on: str | None = None) -> object | None:
        return _native.build("DescriptorReader", lambda module: self._compile_core(module,
                                                                                   panic_on))

    def _compile_core(self, module: Any, panic_on: str | None = None) -> object:
        """The core's reader of these patterns and tables (`panic_on`: tests only, a
        character that makes the core panic on any text holding it)."""
        patterns = (self._pattern, _REFUSED, _SERVICE_BEFORE, _PERSON_AFTER,
                    _WEIGHT_AFTER_HEIGHT, _MIX, _MIX_JOIN, _MIX_PERSON)
        groups = [self._pattern.groupindex[g] for g in _CORE_GROUPS]
        groups.append(_WEIGHT_AFTER_HEIGHT.groupindex["lb"])
        values: list[list[tuple[Any, dict[str, Any]]]] = []
        terms: list[list[tuple[str, int]]] = []
        for table, kind in _CORE_TABLES:
            ids: dict[str, int] = {}
            table_values: list[tuple[Any, dict[str, Any]]] = []
            keyed: list[tuple[str, int]] = []
            for key, entry in self._lookup[table].items():
                value, extra = ((entry["value"], {"group": entry["group"]})
                                if kind == "ethnicity" else (entry, {}))
                attrs = {"kind": kind, "value": value, **extra}
                token = repr(sorted(attrs.items()))
                if token not in ids:
                    ids[token] = len(table_values)
                    table_values.append((value, attrs))
                keyed.append((key, ids[token]))
            values.append(table_values)
            terms.append(keyed)
        self._core_values = values
        flags, folds, digits = _native.char_tables()
        triggers = core_triggers([self._prefilter])
        return module.DescriptorReader(
            [program(p) for p in patterns], groups, terms,
            (_REFUSED_WINDOW, _SERVICE_WINDOW, _MIX_GAP),
            triggers, flags, folds, digits,
            None if panic_on is None else ord(panic_on), _native.trigger_ends(triggers))

    def extract(self, text: str) -> list[Span]:
        if self._core is not None:
            return self.extract_columns(text).spans()
        return self.extract_reference(text)

    def extract_columns(self, text: str) -> _native.SpanColumns | list[Span]:
        """`extract` as columns, by the core when it is built (`_native.SpanColumns`)."""
        if self._core is None:
            return self.extract_reference(text)
        table = self._core_values
        values: list[Any] = []
        confidences: list[float] = []
        attrs: list[dict[str, Any]] = []
        found = self._together and self._together.row_array(self, text, 5)
        if found is None:
            found = _native.row_array(self._core, text, 5, self._prefilter.available)
        for code, a, b in found[:, 2:].tolist():
            if code == 4:  # a vocabulary term: a = table, b = value id
                value, kept = table[a][b]
                values.append(value)
                confidences.append(1.0)
                attrs.append(dict(kept))
            elif code == 6:
                values.append("mixed")
                confidences.append(0.8)
                attrs.append(dict(_MIXED_ATTRS))
            else:
                if code == 0:  # a = inches
                    value, kind = round(a * INCH_CM), "height_cm"
                elif code == 1:
                    value, kind = a, "height_cm"
                elif code == 3:
                    value, kind = a, "weight_kg"
                else:  # 2: a weight in pounds, 5: the same read after a height
                    value, kind = round(a * LB_TO_KG, 1), "weight_kg"
                values.append(value)
                confidences.append(0.8 if code == 5 else 1.0)
                attrs.append({"kind": kind, "value": value})
        return _native.SpanColumns(DESCRIPTOR, self.name, found[:, 0], found[:, 1], values,
                                   confidences, attrs)

    def extract_reference(self, text: str) -> list[Span]:
        """The Python reference (what the core's reader is held to)."""
        spans: list[Span] = []
        for m in self._prefilter.finditer(text, self._pattern):
            found = self._read(m)
            if found is None:
                continue
            kind, value, extra = found
            if kind == "ethnicity" and (
                    _REFUSED.search(text, max(0, m.start() - _REFUSED_WINDOW), m.start())
                    is not None
                    or (m.group("eth1") and _SERVICE_BEFORE.search(
                        text, max(0, m.start() - _SERVICE_WINDOW), m.start()) is not None
                        and _PERSON_AFTER.match(text, m.end()) is None)):
                continue
            attrs = {"kind": kind, "value": value, **extra}
            spans.append(Span(DESCRIPTOR, value, m.start(), m.end(), self.name, 1.0, attrs))
            if kind == "height_cm":  # "5'7 150": a bare weight right after a height
                w = _WEIGHT_AFTER_HEIGHT.match(text, m.end())
                if w is not None:
                    kg = round(int(w.group("lb")) * LB_TO_KG, 1)
                    spans.append(Span(DESCRIPTOR, kg, w.start("lb"), w.end("lb"), self.name,
                                      0.8, {"kind": "weight_kg", "value": kg}))
        if "mix" in text or "Mix" in text or "MIX" in text:
            spans.extend(self._mixed(text, spans))
            spans.sort(key=lambda s: s.start)
        return spans

    def _mixed(self, text: str, spans: list[Span]) -> list[Span]:
        """"Mixed"/"mix" as an ethnicity: next to an ethnicity ("Thai & Japanese mix", "mixed
        Latina", "Ebony Mixed") or before a person word ("mixed cutie"); on its own it is an
        ordinary word ("mixed drinks")."""
        ethnic = [s for s in spans if s.attrs.get("kind") == "ethnicity"]
        found: list[Span] = []
        for m in _MIX.finditer(text):
            near = any((0 <= m.start() - s.end <= _MIX_GAP
                       and _MIX_JOIN.fullmatch(text, s.end, m.start()) is not None)
                       or (0 <= s.start - m.end() <= _MIX_GAP
                       and _MIX_JOIN.fullmatch(text, m.end(), s.start) is not None)
                       for s in ethnic)
            if any(s.start == m.start() for s in ethnic):
                continue  # read already as a cued ethnicity ("mixed girl")
            if near or _MIX_PERSON.match(text, m.end()) is not None:
                attrs = {"kind": "ethnicity", "value": "mixed", "group": "mixed"}
                found.append(Span(DESCRIPTOR, "mixed", m.start(), m.end(), self.name, 0.8,
                                  attrs))
        return found

    def _read(self, m: re.Match[str]) -> tuple[str, Any, dict[str, Any]] | None:
        """(descriptor kind, normalised value, extra attrs) of one match."""
        g = m.groupdict()
        if g["ft"]:
            inches = int(g["ft"]) * 12 + int(g["inch"] or 0)
            return "height_cm", round(inches * INCH_CM), {}
        if g["cm"]:
            return "height_cm", int(g["cm"]), {}
        if g["lb"]:
            return "weight_kg", round(int(g["lb"]) * LB_TO_KG, 1), {}
        if g["kg"]:
            return "weight_kg", int(g["kg"]), {}
        for group, table, kind in (
            ("hair1", "hair_cued", "hair"), ("hair2", "hair_cued", "hair"),
            ("hair3", "hair_standalone", "hair"), ("eyes1", "eyes_cued", "eyes"),
            ("eyes2", "eyes_cued", "eyes"), ("eyes3", "eyes_standalone", "eyes"),
            ("build", "build", "build"),
        ):
            if g[group]:
                return kind, self._lookup[table][term_key(g[group])], {}
        for group in ("eth1", "eth2", "eth3"):
            if g[group]:
                term = term_key(g[group])
                entry = self._lookup["ethnicity"].get(term) or self._lookup["ethnicity_cued"][term]
                return "ethnicity", entry["value"], {"group": entry["group"]}
        return None

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("Petite brunette, 5'2, 110 lbs, hazel eyes", ("petite", "brown", 157, 49.9,
                                                                   "hazel")),
            Example("Sweet Latina girl, 160 cm, 50kg", ("latina", 160, 50)),
            Example("hair: black, eyes: brown, 5 ft 4 in", ("black", "brown", 163)),
            Example("Thai massage, open late, black dress", ()),
            Example("New white girl, blonde hair, blue eyes", ("white", "blonde", "blue")),
        ]
