"""Structured descriptors from an alert's free text: the child, the suspect, the vehicle.

Alerts are written by police in a terse style ("MIA TESTER, W/F, 14 YOA, DOB 06/24/09, 5'2
110 LBS BLN/BLU") or in prose ("a 14-year-old white female with blonde hair"); both must become
the same record, with heights in centimetres and weights in kilograms, so that an alert can be
compared with the DESCRIPTOR, AGE, NAME and PLACE spans of ads.

How: the text is unescaped (feeds often escape entities twice: `&amp;quot;`), the last-seen
clause is read for place and time, then the text is cut at role cues ("SUSPECT:", "VEHICLE:",
"CHILD 2:") and each stretch is read for one person or the vehicle. Text before any cue is the
child's. Values use the canonical terms of `amberline/extract/data/descriptors.toml`.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from amberline.alerts import dates
from amberline.alerts.vehicles import Vehicle, parse_vehicle
from amberline.alerts.vocab import alternation, canon, table, tidy_case

INCH_CM = 2.54
LB_KG = 0.45359237
_STOP = frozenset(re.findall(r"\w+", """
the a an amber alert child children missing police department county sheriff
office state is was has and or unknown unk vehicle suspect suspects last seen wearing male female
white black hispanic asian dob yoa age name abducted abduction searching looking for he she his
her with in at on near from believed may be also area emergency girl boy juvenile teen issued
"""))


@dataclass(slots=True)
class Person:
    """A child or suspect as an alert describes them; what the text does not say is None."""

    name: str | None = None
    age: int | None = None
    dob: str | None = None
    sex: str | None = None
    race: str | None = None
    height_cm: int | None = None
    weight_kg: float | None = None
    hair: str | None = None
    eyes: str | None = None
    clothing: str | None = None
    last_seen_place: str | None = None
    last_seen_time: str | None = None
    place: dict[str, Any] | None = None  # gazetteer entry {label, lat, lon} of the place
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Person:
        return cls(**{k: data.get(k) for k in cls.__slots__ if k in data})

    def fill(self, other: Person) -> None:
        """Take every field this record lacks from `other`."""
        for key in self.__slots__:
            if getattr(self, key) in (None, "") and getattr(other, key) not in (None, ""):
                setattr(self, key, getattr(other, key))


@dataclass(slots=True)
class AlertDescriptors:
    """Everything read from one alert's text. `child` is the first of `children`."""

    children: list[Person] = field(default_factory=list)
    suspect: Person | None = None
    vehicle: Vehicle | None = None

    @property
    def child(self) -> Person | None:
        return self.children[0] if self.children else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "child": self.child.as_dict() if self.child else None,
            "children": [c.as_dict() for c in self.children],
            "suspect": self.suspect.as_dict() if self.suspect else None,
            "vehicle": self.vehicle.as_dict() if self.vehicle else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AlertDescriptors:
        data = data or {}
        return cls(
            [Person.from_dict(c) for c in data.get("children") or []],
            Person.from_dict(data["suspect"]) if data.get("suspect") else None,
            Vehicle.from_dict(data["vehicle"]) if data.get("vehicle") else None,
        )


_NAME_WORD = r"(?:[A-Z][A-Za-z'’-]+|[A-Z]\.)"
_NAME_RUN = _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,3}"


class _Patterns:
    """Every regex of the parser, compiled once (see `_patterns`)."""

    def __init__(self) -> None:
        self.race_codes = table("race_codes")
        self.race_words = table("race_words")
        self.hair_codes, self.eye_codes = table("hair_codes"), table("eye_codes")
        self.hair_words, self.eye_words = table("hair_words"), table("eye_words")
        races = "".join(k.upper() for k in self.race_codes)
        self.sex_race = re.compile(
            rf"\b(?:(?P<r1>[{races}])\s*/\s*(?P<s1>[MF])|(?P<s2>[MF])\s*/\s*(?P<r2>[{races}]))\b")
        hc, ec = "|".join(self.hair_codes), "|".join(self.eye_codes)
        hw, ew = alternation("hair_words"), alternation("eye_words")
        self.hair_eyes = re.compile(rf"\b(?P<h>{hc})\s*/\s*(?P<e>{ec})\b", re.I)
        self.hair = re.compile(rf"\b(?P<w>{hw})\s+hair\b|\bhair(?:\s*colou?r)?\s*[:-]?\s*"
                               rf"(?:(?P<w2>{hw})|(?P<c>{hc}))\b", re.I)
        self.eyes = re.compile(rf"\b(?P<w>{ew})\s+eyes?\b|\beyes?(?:\s*colou?r)?\s*[:-]?\s*"
                               rf"(?:(?P<w2>{ew})|(?P<c>{ec}))\b", re.I)
        self.race = re.compile(
            rf"\brace\s*[:-]\s*(?:(?P<c>[{races}])\b|(?P<w>{alternation('race_words')}))"
            rf"|\b(?P<w2>{alternation('race_words')})\s+(?=(?:male|female|girl|boy|child|"
            r"juvenile|teen|infant|toddler)\b)", re.I)
        self.sex = re.compile(r"\bsex\s*[:-]\s*(?P<c>male|female|m|f)\b"
                              r"|\b(?P<w>female|male|girl|boy)\b", re.I)
        self.height = re.compile(
            r"(?<![\d'])(?P<ft>[1-7])\s*(?:'|’|ft\.?|feet|foot)\s*(?:(?P<inch>1[01]|0?\d)(?!\d)"
            r"\s*(?:\"|''|”|in(?:ches)?\b\.?)?)?|\b(?P<cm>\d{2,3})\s*cm\b", re.I)
        self.weight = re.compile(r"\b(?P<lb>\d{1,3})\s*(?:lbs?\b\.?|pounds\b|#)"
                                 r"|\b(?P<kg>\d{1,3})\s*(?:kgs?|kilos?|kilograms?)\b", re.I)
        self.age = re.compile(
            r"\b(?P<a>\d{1,2})\s*(?:-\s*)?(?:yoa|y/o|yo|yrs?\.?(?:\s*old)?"
            r"|years?(?:[\s-]*old|\s+of\s+age)?)(?![\w/])|\bage[ds]?\s*[:-]?\s*(?P<b>\d{1,2})\b",
            re.I)
        self.dob = re.compile(r"\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|born(?:\s+on)?)\s*[:-]?\s*",
                              re.I)
        self.clothing = re.compile(r"\b(?:wearing|clothing\s*[:-])\s*(?P<c>.+?)"
                                   r"(?=\s*(?:;|,?\s*\blast\s+seen\b|" + _SENTENCE_END + r"|$))",
                                   re.I | re.S)
        self.last_seen = re.compile(r"\blast\s+seen\b\s*[:-]?\s*(?P<c>.+?)"
                                    r"(?=\s*(?:;|\bwearing\b|" + _SENTENCE_END + r"|$))",
                                    re.I | re.S)
        self.name = re.compile(
            r"(?i:\b(?:name|child|victim|suspect)(?:['’]s\s+name)?\s*(?:is\b|:|-)"
            r"|\b(?:searching|looking)\s+for(?:\s+(?:a|an|the))?(?:\s+\d{1,2}[\s-]*years?[\s-]*old)?"
            r"(?:\s+(?:missing|abducted))?(?:\s+(?:child|girl|boy|teen|juvenile|infant|toddler))?"
            r"\s*,?|\bamber\s+alert\s*(?:issued\s+)?(?:for|:|-))\s*(?P<name>" + _NAME_RUN + ")")
        self.lead_name = re.compile(
            r"^\W*(?:[A-Z][A-Za-z ]{0,24}:\s*)?(?P<name>" + _NAME_RUN + r")\s*,")
        self.roles = re.compile(
            r"(?P<vehicle>\bsuspect\s+vehicle\b\s*[:-]?|\b(?:vehicle|veh)\b(?:\s+(?:info(?:rmation)?"
            r"|description))?\s*[:-]|\b(?:driving|travell?ing\s+in|fled\s+in)\b)"
            r"|(?P<suspect>\b(?:suspects?|abductors?)\b(?:\s*\(s\))?(?:\s+(?:is|are|was))?\s*[:-]?"
            r"|\b(?:abducted|taken)\s+by\b|\bin\s+the\s+company\s+of\b|\baccompanied\s+by\b)"
            r"|(?P<child>\b(?:child|victim|missing\s+child|abducted\s+child)\s*(?:#?\d\s*)?[:-])",
            re.I)


# A full stop that ends a sentence: not after an abbreviation ("St.", "p.m.") or an initial.
_SENTENCE_END = (r"(?<!\bst)(?<!\bave)(?<!\brd)(?<!\bdr)(?<!\bblvd)(?<!\bhwy)(?<!\bmt)(?<!\bft)"
                 r"(?<!\bin)(?<!\bp\.m)(?<!\ba\.m)(?<!\bno)(?<!\b[A-Za-z])\.(?=\s|$)")


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    return _Patterns()


@lru_cache(maxsize=1)
def _places() -> Any:
    from amberline.extract.places import PlaceExtractor

    return PlaceExtractor()


def unescape(text: str) -> str:
    """Undo HTML/XML entity escaping, however many times it was applied (`&amp;quot;`)."""
    for _ in range(4):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text.replace("’", "'").replace("″", '"').replace("”", '"').replace("“", '"')


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _clean_name(raw: str) -> str | None:
    words = []
    for word in raw.split():
        if word.lower().strip(".") in _STOP:
            break
        words.append(word)
    if not words or all(len(w.strip(".")) < 2 for w in words):
        return None
    name = " ".join(words)
    return tidy_case(name) if name.replace(".", "").replace(" ", "").isupper() else name


def _find_name(p: _Patterns, text: str) -> str | None:
    for m in p.name.finditer(text):
        if name := _clean_name(m["name"]):
            return name
    m = p.lead_name.match(text)
    return _clean_name(m["name"]) if m else None


def _read_last_seen(p: _Patterns, text: str, sent: datetime) -> tuple[Person, str]:
    """The first last-seen clause's place and time; returns them and the text without it."""
    seen = Person()
    for m in p.last_seen.finditer(text):
        clause = m["c"]
        if not clause.strip() or clause.lower().startswith("wearing"):
            continue
        when, cuts = dates.find_datetime(clause, sent)
        for a, b in sorted(cuts, reverse=True):
            clause = _blank(clause, a, b)
        clause = re.sub(r"\b(?:hrs|hours|on|at|around|about|approximately|approx\.?)\s*$", "",
                        " ".join(clause.split()), flags=re.I)
        place = re.sub(r"^(?:[\s,:-]+|\b(?:on|at|in|near|around|about|approximately|approx|"
                       r"the\s+area\s+of|the\s+vicinity\s+of|hrs|hours)\b\.?)+", "", clause,
                       flags=re.I).strip(" ,.")
        seen.last_seen_time, seen.last_seen_place = when, place or None
        if place and (spans := _places().extract(place)):
            attrs = spans[-1].attrs
            seen.place = {"label": spans[-1].value, "lat": attrs.get("lat"),
                          "lon": attrs.get("lon")}
        return seen, _blank(text, m.start(), m.end())
    return seen, text


def parse_person(text: str, sent: datetime) -> Person:
    """One person's descriptors from a stretch of alert text."""
    p = _patterns()
    person = Person(description=" ".join(text.split()).strip(" .,;:"))
    if m := p.clothing.search(text):
        person.clothing = " ".join(m["c"].split()).strip(" ,.") or None
        text = _blank(text, m.start(), m.end())
    person.name = _find_name(p, text)
    if m := p.sex_race.search(text):
        person.sex = "male" if (m["s1"] or m["s2"]) == "M" else "female"
        person.race = p.race_codes[canon(m["r1"] or m["r2"])] or None
    if person.race is None and (m := p.race.search(text)):
        person.race = (p.race_codes.get(canon(m["c"] or ""))
                       or p.race_words.get(canon(m["w"] or m["w2"] or "")) or None)
    if person.sex is None and (m := p.sex.search(text)):
        word = (m["c"] or m["w"]).lower()
        person.sex = "female" if word in ("f", "female", "girl") else "male"
    if m := p.hair_eyes.search(text):
        person.hair = p.hair_codes[canon(m["h"])] or None
        person.eyes = p.eye_codes[canon(m["e"])] or None
    if person.hair is None and (m := p.hair.search(text)):
        person.hair = p.hair_words.get(canon(m["w"] or m["w2"] or "")) or p.hair_codes.get(
            canon(m["c"] or "")) or None
    if person.eyes is None and (m := p.eyes.search(text)):
        person.eyes = p.eye_words.get(canon(m["w"] or m["w2"] or "")) or p.eye_codes.get(
            canon(m["c"] or "")) or None
    if m := p.height.search(text):
        person.height_cm = (int(m["cm"]) if m["cm"]
                            else round((int(m["ft"]) * 12 + int(m["inch"] or 0)) * INCH_CM))
    if m := p.weight.search(text):
        person.weight_kg = round(int(m["lb"]) * LB_KG, 1) if m["lb"] else float(m["kg"])
    for m in p.dob.finditer(text):
        if found := dates.find_date(text[m.end(): m.end() + 24], sent.year):
            person.dob = found[0].isoformat()
            break
    if m := p.age.search(text):
        person.age = int(m["a"] or m["b"])
    elif person.dob:
        born = datetime.fromisoformat(person.dob).date()
        day = sent.date()
        person.age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return person


def parse_description(text: str, headline: str = "", sent: datetime | None = None
                      ) -> AlertDescriptors:
    """Child(ren), suspect and vehicle from an alert's description (and headline)."""
    p = _patterns()
    sent = sent or datetime.now(UTC)
    text = unescape(text)
    seen, text = _read_last_seen(p, text, sent)
    cuts = [(m.start(), m.end(), m.lastgroup) for m in p.roles.finditer(text)]
    bounds = [*(c[0] for c in cuts), len(text)]
    lead = text[: bounds[0]]
    out = AlertDescriptors()
    for (_, end, role), stop in zip(cuts, bounds[1:], strict=True):
        part = text[end:stop]
        if role == "vehicle":
            out.vehicle = out.vehicle or parse_vehicle(part)
        elif role == "suspect":
            out.suspect = out.suspect or parse_person(part, sent)
        else:
            out.children.append(parse_person(part, sent))
    first = parse_person(lead, sent)
    if out.children:
        out.children[0].fill(first)
    elif lead.strip() or seen.last_seen_place or seen.last_seen_time:
        out.children.append(first)
    if out.children:
        out.children[0].fill(seen)
        if out.children[0].name is None and headline:
            out.children[0].name = _find_name(p, unescape(headline))
    return out
