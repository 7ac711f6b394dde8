"""Structured descriptors from an alert's free text: the child, the suspect, the vehicle.

Alerts are written by police in a terse style ("MIA TESTER, W/F, 14 YOA, DOB 06/24/09, 5'2
110 LBS BLN/BLU") or in prose ("a 14-year-old white female with blonde hair"); both must become
the same record, with heights in centimetres and weights in kilograms, so that an alert can be
compared with the DESCRIPTOR, AGE, NAME and PLACE spans of ads.

Real agencies write one alert about several children ("for the following two children, A,
age 4, Male, Black, ... and B, age 7, ..."), describe a child again in a later paragraph
("VICTIM A IS 4 FEET 6 INCHES TALL"), give infants' ages in months, spell plates letter by
letter, write in capitals, and append boilerplate ("If located, DO NOT APPROACH").

How: the text is unescaped (feeds often escape entities twice: `&amp;quot;`), boilerplate
sentences are blanked, the last-seen clause is read for place and time, then the text is cut at
role cues ("SUSPECT:", "VEHICLE:", "CHILD 2:", "driving a"). Text before any cue is the
children's. Each stretch of people is cut again where a name starts a description ("NAME, age
4", "NAME, W/F", "VICTIM NAME IS"); a name seen before adds to that person instead of making a
new one. Values use the canonical terms of `amberline/extract/data/descriptors.toml`; a field
the text does not state stays empty.

`ends_in_prose` finds the other way an alert ends: a message whose text cancels it or reports
the child found, whatever its msgType.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from amberline.alerts import dates
from amberline.alerts.vehicles import Vehicle, find_vehicle, parse_vehicle
from amberline.alerts.vocab import alternation, canon, table, tidy_case

INCH_CM = 2.54
LB_KG = 0.45359237
_STOP = frozenset(re.findall(r"\w+", """
the a an amber alert child children missing police department county sheriff
office state is was has and or unknown unk vehicle suspect suspects last seen wearing male female
white black hispanic asian dob yoa age name abducted abduction searching looking for he she his
her with in at on near from believed may be also area emergency girl boy juvenile teen issued
victim victims were are abductor abductors following two three four both infant toddler baby
approximately about described as who whom by for of to pounds lbs feet foot inches tall hair
eyes years old months has have been had located found recovered safe update cancellation your
street st avenue ave road rd drive boulevard lane highway county city park school
"""))


@dataclass(slots=True)
class Person:
    """A child or suspect as an alert describes them; what the text does not say is None."""

    name: str | None = None
    age: int | None = None  # years; an infant's age in months gives its whole years (0, 1)
    age_months: int | None = None  # only when the text gives the age in months
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
    """Everything read from one alert's text. `child` is the first of `children`, `suspect`
    the first of `suspects`."""

    children: list[Person] = field(default_factory=list)
    suspects: list[Person] = field(default_factory=list)
    vehicle: Vehicle | None = None

    @property
    def child(self) -> Person | None:
        return self.children[0] if self.children else None

    @property
    def suspect(self) -> Person | None:
        return self.suspects[0] if self.suspects else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "child": self.child.as_dict() if self.child else None,
            "children": [c.as_dict() for c in self.children],
            "suspect": self.suspect.as_dict() if self.suspect else None,
            "suspects": [s.as_dict() for s in self.suspects],
            "vehicle": self.vehicle.as_dict() if self.vehicle else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AlertDescriptors:
        data = data or {}
        suspects = data.get("suspects")
        if suspects is None:  # stored before alerts had several suspects
            suspects = [data["suspect"]] if data.get("suspect") else []
        return cls(
            [Person.from_dict(c) for c in data.get("children") or []],
            [Person.from_dict(x) for x in suspects],
            Vehicle.from_dict(data["vehicle"]) if data.get("vehicle") else None,
        )


_NAME_WORD = r"(?:[A-Z][A-Za-z'’-]+|[A-Z]\.)"
_NAME_RUN = _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,3}"


class _Patterns:
    """Every regex of the parser, compiled once (see `_patterns`)."""

    def __init__(self) -> None:
        # "in a 2004, silver Honda", "driving a WHITE 2017 NISSAN": a vehicle follows (a cue
        # that also ends a last-seen clause, which would otherwise read the vehicle as a place)
        makes = "(?:" + alternation("vehicle_makes") + r")\b"
        vin = (r"\b(?:in|driving|drives|operating)\s+an?\s+(?=\d{4}\b|(?i:(?:(?:dark|light)\s+)?(?:"
               + alternation("vehicle_colours") + r")\s*,?\s+(?:\d{4}\b|" + makes + ")|" + makes
               + "))")
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
        rw = alternation("race_words")
        self.race = re.compile(
            rf"\brace\s*[:-]\s*(?:(?P<c>[{races}])\b|(?P<w>{rw}))"
            rf"|\b(?P<w2>{rw})\s*,?\s+(?=(?:male|female|girl|boy|child|"
            r"juvenile|teen|infant|toddler|baby)\b)"
            rf"|\b(?:male|female|girl|boy)\s*,\s*(?P<w3>{rw})\b", re.I)
        self.sex = re.compile(r"\bsex\s*[:-]\s*(?P<c>male|female|m|f)\b"
                              r"|\b(?P<w>female|male|girl|boy)\b", re.I)
        self.height = re.compile(
            r"(?<![\d'])(?P<ft>[1-7])[\s-]*(?:'|’|ft\b\.?|feet\b|foot\b)[\s,-]*(?:(?:and\s+)?"
            r"(?P<inch>1[01]|0?\d)(?![\d/])\s*(?:\"|''|”|in(?:ch|ches)?\b\.?)?)?"
            r"|(?<![\d/-])(?P<ncft>[2-7])-(?P<ncin>0\d)(?![\d/-])"
            r"|\b(?P<cm>\d{2,3})\s*cm\b|\b(?P<in>[1-7]\d)\s*(?:inches|in\.)(?:\s+tall)?", re.I)
        self.weight = re.compile(r"(?<!\d-)(?<!\d\s-\s)(?<!\bto\s)\b(?P<lb>\d{1,3})\s*"
                                 r"(?:lbs?\b\.?|pounds\b|#)"
                                 r"|\b(?P<kg>\d{1,3})\s*(?:kgs?|kilos?|kilograms?)\b", re.I)
        self.age = re.compile(
            r"(?<!\d-)(?<!\d\s-\s)(?<!\bto\s)\b(?P<a>\d{1,2})\s*(?:-\s*)?(?:yoa|y/o|yo|yrs?\.?(?:\s*old)?"
            r"|years?(?:[\s-]*old|\s+of\s+age)?)(?![\w/])|\bage[ds]?\s*[:-]?\s*(?P<b>\d{1,2})\b",
            re.I)
        self.months = re.compile(
            r"\b(?P<m>\d{1,2})[\s-]*(?:months?|mos?\.?)(?:[\s-]*old\b|(?=\s*[,;.)]|\s*$"
            r"|\s+(?:male|female|boy|girl|infant|baby|child)\b))"
            r"|\bage[ds]?\s*[:-]?\s*(?P<m2>\d{1,2})\s*(?:months?|mos?)\b", re.I)
        self.dob = re.compile(r"\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|born(?:\s+on)?)\s*[:-]?\s*",
                              re.I)
        self.clothing = re.compile(r"\b(?:wearing|clothing\s*[:-])\s*(?P<c>.+?)"
                                   r"(?=\s*(?:;|,?\s*\blast\s+seen\b|" + _SENTENCE_END + r"|$))",
                                   re.I | re.S)
        self.last_seen = re.compile(r"\blast\s+seen\b\s*[:-]?\s*(?P<c>.*?)"
                                    r"(?=\s*(?:;|\bwearing\b|" + _SENTENCE_END + r"|"
                                    + vin + r"|$))", re.I | re.S)
        self.boilerplate = re.compile(
            r"[^.!?\n]*\b(?:do\s+not\s+approach|call\s+911|dial\s+911|call\s+\*?\d{3}|anyone\s+with"
            r"|if\s+(?:you\s+)?(?:see|seen|located|spotted|observed|have\s+(?:any\s+)?information)"
            r"|please\s+(?:call|contact)|contact\s+(?:the|your|local|law)|report\s+(?:any\s+)?"
            r"sightings?|for\s+more\s+information|www\.|https?://|tip\s*line)\b"
            r"[^\n]*?(?:[.!?](?=\s|$)|\n|$)", re.I)
        self.name = re.compile(
            r"(?i:\b(?:name|child|victim|suspect|abducted|missing|abductee)(?:['’]s\s+name)?"
            r"\s*(?:is\b|:|-|,)|\bnamed"
            r"|\b(?:searching|looking)\s+for(?:\s+(?:a|an|the))?(?:\s+\d{1,2}[\s-]*years?[\s-]*old)?"
            r"(?:\s+(?:missing|abducted))?(?:\s+(?:child|girl|boy|teen|juvenile|infant|toddler))?"
            r"\s*,?|\bamber\s+alert\s*(?:issued\s+)?(?:for|:|-))\s*(?P<name>" + _NAME_RUN + ")")
        sexes = rf"(?i:male|female|boy|girl|{rw})\b|[{races}]\s*/\s*[MF]\b|[MF]\s*/\s*[{races}]\b"
        cue = (rf"\d{{1,2}}\s*,\s*(?:{sexes}|(?i:and|both|all|is|was)\b)|(?i:an?\s+)?(?:{sexes})"
               r"|(?i:(?:an?\s+)?(?:age[ds]?\b|\d{1,2}[\s-]*(?:years?|yrs?|yoa|y/o|yo|months?|mos?)\b)"
               r"|dob\b|d\.o\.b|born\b)")
        run = _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,5}"
        # Where a person's description starts: "NAME, age 4", "NAME, W/F", "NAME (7)",
        # "VICTIM NAME IS 4 FEET", "NAME IS DESCRIBED AS".
        self.anchor = re.compile(
            r"(?<![\w'’.-])(?P<name>" + run + r")(?:\s*,\s*(?=" + cue + r")"
            r"|\s*\((?=\d{1,2}\)|" + cue + r")"
            rf"|\s+(?=[{races}]\s*/\s*[MF]\b|[MF]\s*/\s*[{races}]\b)"
            r"|\s+(?i:is|was|stands|weighs)\s+(?=(?i:approximately|about|approx|described|"
            r"\d|[1-7]\s*(?:'|ft|feet|foot)))"
            r"|\s+(?i:was|were|has\s+been|have\s+been)\s+(?i:safely\s+)?(?i:found|located|"
            r"recovered)\b)")
        self.shared = re.compile(  # "both black", "all three are white males"
            rf"\b(?:both|all(?:\s+(?:two|three|four|five))?)(?:\s+(?:are|were))?\s+(?P<race>{rw})"
            r"(?:\s+(?P<sex>males?|females?|boys|girls))?\b", re.I)
        # "Jude Samplevich and Clara Samplevich": two people of one surname, however written
        self.pair = re.compile(r"(?<![\w'’.-])(?P<a>[A-Z][A-Za-z'’-]+[ \t]+"
                               r"(?P<sur>[A-Z][A-Za-z'’-]+))[ \t]+and[ \t]+"
                               r"(?P<b>[A-Z][A-Za-z'’-]+[ \t]+(?P=sur))\b")
        self.bare_age = re.compile(
            rf"(?:\b(?i:male|female|man|woman)|[{races}]\s*/\s*[MF]|[MF]\s*/\s*[{races}])\s*,"
            r"\s*(?P<n>\d{1,2})\s*(?:[,)]|$)")
        self.lead_name = re.compile(
            r"^\W*(?:[A-Z][A-Za-z ]{0,24}:\s*)?(?P<name>" + _NAME_RUN + r")[ \t]*(?:[,(]|\n)")
        self.roles = re.compile(
            r"(?P<vehicle>\bsuspect(?:['’]s)?\s+vehicle\b\s*[:-]?|\b(?:vehicle|veh)\b(?:\s+(?:info"
            r"(?:rmation)?|description))?\s*(?:[:-]|(?:is|was|may\s+be)\b)"
            r"|\b(?:driving|travell?ing\s+in|fled\s+in|left\s+in|operating)\b|" + vin + ")"
            r"|(?P<suspect>\b(?:suspects?|abductors?)\b(?:\s*\(s\))?(?:\s+(?:is|are|was))?\s*[:-]?"
            r"|\b(?:abducted|taken)\s+(?:[^.\n]{0,60}?\s)?by\b|\bin\s+the\s+company\s+of\b"
            r"|\baccompanied\s+by\b|\b(?:believed\s+to\s+be|may\s+be|is|are|was|were|travell?ing)"
            r"\s+with\b(?!\s+(?:\w+\s+)?(?:hair|eyes)\b))"
            r"|(?P<child>\b(?:child|victim|missing\s+child|abducted\s+child)\s*(?:#?\d\s*)?[:-])"
            # "looking for NAME, ..., who abducted his daughter, NAME": the taker came first
            r"|(?P<taker>\bwho\s+(?:abducted|took|kidnapped|has\s+taken|had\s+taken)\b)",
            re.I)


# A full stop that ends a sentence: not after an abbreviation ("St.", "p.m.") or an initial.
_SENTENCE_END = (r"(?<!\blic)(?<!\bst)(?<!\bave)(?<!\brd)(?<!\bdr)(?<!\bblvd)(?<!\bhwy)(?<!\bmt)"
                 r"(?<!\bft)(?<!\bin)(?<!\bp\.m)(?<!\ba\.m)(?<!\bno)(?<!\b[A-Za-z])\.(?=\s|$)")


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    return _Patterns()


@lru_cache(maxsize=1)
def _state_codes() -> frozenset[str]:
    from amberline.extract.places import load_gazetteer

    return frozenset(load_gazetteer().regions.values())


@lru_cache(maxsize=1)
def _places() -> Any:
    from amberline.extract.places import PlaceExtractor

    return PlaceExtractor()


_END = re.compile(_SENTENCE_END + r"|\n", re.I)


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
        if word in _state_codes():  # "Yuma AZ": a place, not a person
            return None
        if word.lower().strip(".") in _STOP:
            break
        words.append(word)
    if not words or all(len(w.strip(".")) < 2 for w in words):
        return None
    name = " ".join(words)
    return tidy_case(name) if name.replace(".", "").replace(" ", "").isupper() else name


def _find_name(p: _Patterns, text: str) -> str | None:
    at = 0
    while m := p.name.search(text, at):  # overlapping: "AMBER ALERT - Abducted: NAME"
        if name := _clean_name(m["name"]):
            return name
        at = m.start() + 1
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


def parse_person(text: str, sent: datetime, name: str | None = None) -> Person:
    """One person's descriptors from a stretch of alert text (`name` when already known)."""
    p = _patterns()
    person = Person(description=" ".join(text.split()).strip(" .,;:"))
    if m := p.clothing.search(text):
        worn = re.sub(r"(?:[\s,]+\band)?[\s,.]*$", "", " ".join(m["c"].split()), flags=re.I)
        person.clothing = worn or None
        text = _blank(text, m.start(), m.end())
    found = _find_name(p, text)
    if name and found and found.split()[0].lower() == name.split()[0].lower():
        name = max(name, found, key=len)  # "The child, Rosa Testington, ... Rosa is 8"
    person.name = name or found
    if m := p.sex_race.search(text):
        person.sex = "male" if (m["s1"] or m["s2"]) == "M" else "female"
        person.race = p.race_codes[canon(m["r1"] or m["r2"])] or None
    if person.race is None and (m := p.race.search(text)):
        person.race = (p.race_codes.get(canon(m["c"] or ""))
                       or p.race_words.get(canon(m["w"] or m["w2"] or m["w3"] or "")) or None)
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
    if (m := p.height.search(text)) and not _RANGE_ON.match(text, m.end()):
        person.height_cm = _height_cm(m)
    if m := p.weight.search(text):
        person.weight_kg = round(int(m["lb"]) * LB_KG, 1) if m["lb"] else float(m["kg"])
    for m in p.dob.finditer(text):
        if found := dates.find_date(text[m.end(): m.end() + 24], sent.year):
            person.dob = found[0].isoformat()
            break
    if m := p.months.search(text):
        person.age_months = int(m["m"] or m["m2"])
        person.age = person.age_months // 12
    elif m := p.age.search(text) or p.bare_age.search(text):
        person.age = int(m["n"] if "n" in m.re.groupindex else m["a"] or m["b"])
    elif person.dob:
        born = datetime.fromisoformat(person.dob).date()
        day = sent.date()
        person.age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return person


# "5'8\"-5'10\"", "150 to 170 lbs": the first value of a range is no one's value.
_RANGE_ON = re.compile(r"\s*(?:-|to\b)\s*\d", re.I)


def _height_cm(m: re.Match[str]) -> int:
    if m["cm"]:
        return int(m["cm"])
    if m["in"]:
        return round(int(m["in"]) * INCH_CM)
    if m["ncft"]:
        return round((int(m["ncft"]) * 12 + int(m["ncin"])) * INCH_CM)
    return round((int(m["ft"]) * 12 + int(m["inch"] or 0)) * INCH_CM)


# "NAME, 34, MALE" / "NAME (7)": an age given as a bare number right after the name.
_BARE_AGE = re.compile(r"\s*[,(]\s*(\d{1,2})\s*[,)]")


def _anchor_name(raw: str) -> str | None:
    """The name that ends an anchor's run of capitalised words: the words after the last role
    or filler word ("ABDUCTED WAS", "VICTIM", "POLICE DEPARTMENT FOR"), at most four."""
    words: list[str] = []
    for word in reversed(raw.split()):
        if word.lower().strip(".,") in _STOP:
            break
        words.insert(0, word)
    return _clean_name(" ".join(words[-4:])) if words else None


def _people(p: _Patterns, text: str, sent: datetime, lead_in: bool = True) -> list[Person]:
    """Every person a stretch describes, cut where a name starts a description; a name seen
    before (same first name) adds to that person rather than making a new one.

    The words before the first name are the agency's lead-in and go with the first person
    (`lead_in`), or, after a role cue ("taken ... by an unknown male. VICTIM NAME IS"), are a
    person of their own when they describe anyone.
    """
    cuts: list[tuple[int, str, int | None]] = []
    for m in p.anchor.finditer(text):
        if (name := _anchor_name(m["name"])) is not None:
            bare = _BARE_AGE.match(text, m.end("name"))
            cuts.append((m.start(), name, int(bare[1]) if bare else None))
    for m in p.pair.finditer(text):
        for group in ("a", "b"):
            if (name := _anchor_name(m[group])) and all(c[0] != m.start(group) for c in cuts):
                cuts.append((m.start(group), name, None))
    cuts.sort()
    if not cuts:
        return [parse_person(text, sent)] if text.strip(" .,;:-\n") else []
    found: list[Person] = []
    first = 0
    if not lead_in and _has_any(alone := parse_person(text[: cuts[0][0]], sent)):
        found.append(alone)
        first = cuts[0][0]
    ends = [c[0] for c in cuts[1:]] + [len(text)]
    for i, ((start, name, age), end) in enumerate(zip(cuts, ends, strict=True)):
        person = parse_person(text[first if i == 0 else start: end], sent, name=name)
        if person.age is None and age is not None:
            person.age = age
        _add_person(found, person)
    return found


def _same(a: Person, b: Person) -> bool:
    if not a.name or not b.name:
        return False
    x, y = a.name.lower().split(), b.name.lower().split()
    return x[0] == y[0] and (len(x) == 1 or len(y) == 1 or x[-1] == y[-1])


def _add_person(people: list[Person], person: Person) -> None:
    for known in people:
        if _same(known, person):
            known.fill(person)
            return
    people.append(person)


def _has_any(person: Person) -> bool:
    return any(getattr(person, k) not in (None, "") for k in person.__slots__
               if k != "description")


def parse_description(text: str, headline: str = "", sent: datetime | None = None
                      ) -> AlertDescriptors:
    """Children, suspects and vehicle from an alert's description (and headline)."""
    p = _patterns()
    sent = sent or datetime.now(UTC)
    text = unescape(text)
    for m in list(p.boilerplate.finditer(text)):
        text = _blank(text, m.start(), m.end())
    seen, text = _read_last_seen(p, text, sent)
    cuts = [(m.start(), m.end(), m.lastgroup) for m in p.roles.finditer(text)]
    bounds = [*(c[0] for c in cuts), len(text)]
    out = AlertDescriptors()
    children = _people(p, text[: bounds[0]], sent)
    suspects: list[Person] = []
    previous = children
    for (_, end, role), stop in zip(cuts, bounds[1:], strict=True):
        part, after_vehicle = text[end:stop], False
        if role == "vehicle":  # the vehicle is one sentence; what follows goes on as before
            cut = m.end() if (m := _END.search(part)) else len(part)
            out.vehicle = out.vehicle or parse_vehicle(part[:cut])
            part, after_vehicle = part[cut:], True
        else:
            if role == "taker" and not suspects:  # the people so far took the child
                suspects += children
                children.clear()
            previous = suspects if role == "suspect" else children
        for person in _people(p, part, sent, lead_in=after_vehicle):
            _place(person, children, suspects, previous, after_vehicle)
    if len(children) > 1 and (m := p.shared.search(text[: bounds[0]])):
        race = p.race_words.get(canon(m["race"]))
        sex = ("female" if m["sex"].lower().startswith(("f", "g")) else "male") if m["sex"] \
            else None
        for child in children:
            child.fill(Person(race=race, sex=sex))
    if out.vehicle is None:  # "LIC/BXR4471 (AZ) 2016 black Jeep Cherokee": no cue before it
        out.vehicle = find_vehicle(text)
    out.children = [c for c in children if _has_any(c)]
    out.suspects = [x for x in suspects if _has_any(x)]
    if not out.children and (seen.last_seen_place or seen.last_seen_time):
        out.children.append(Person())
    if out.children:
        out.children[0].fill(seen)
        if out.children[0].name is None and headline:
            out.children[0].name = _find_name(p, unescape(headline))
    return out


def _place(person: Person, children: list[Person], suspects: list[Person],
           role: list[Person], after_vehicle: bool) -> None:
    """Add a person read from a role's text: to the child or suspect of the same name, else
    to the role's list (text after a vehicle that names no one adds to the last person)."""
    for known in (*children, *suspects):
        if _same(known, person):
            known.fill(person)
            return
    if after_vehicle and person.name is None:
        if role:
            role[-1].fill(person)
        return
    role.append(person)


# What ends an alert in its text: a cancellation of it, or the child found. "{name}" is
# filled with the children's names (an empty alternative when there are none).
_ENDS = (
    r"\b(?:cancel(?:l)?ation\s+of|cancel(?:l)?(?:ed|ing)|discontinu(?:ed|ing)|deactivat(?:ed|ing)"
    r"|rescind(?:ed|ing)|call(?:ed|ing)\s+off)\b[^.]{0,40}?\b(?:amber\s+)?alert\b"
    r"|\balert\b(?:\s+for\s+[^.]{1,60}?)?\s+(?:(?:has|have)\s+been\s+|is\s+(?:now\s+)?|was\s+)?"
    r"(?:cancel(?:l)?ed"
    r"|discontinued|deactivated|rescinded|called\s+off|no\s+longer\s+in\s+effect)\b"
    r"|\b(?:child|children|victims?|girl|boy|infant|baby|toddler|juvenile|teen|both|all|they|he|she"
    r"{name})\s+(?:has|have|was|were|is|are)\s+(?:been\s+)?(?:safely\s+|now\s+)?(?:found|located"
    r"|recovered|returned|home)\b"
    r"|\b(?:found|located|recovered)\s+(?:safe(?:ly)?|unharmed|alive|in\s+good\s+health)\b"
)


@lru_cache(maxsize=64)
def _ends(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_ENDS.replace("{name}", "".join("|" + re.escape(n) for n in names)), re.I)


def ends_in_prose(text: str, names: list[str] | None = None) -> str | None:
    """The words of a text that end its alert (a cancellation, or the child found), or None.

    `names` are the children's names: "MIA TESTER HAS BEEN LOCATED" ends the alert too.
    """
    m = _ends(tuple(n for n in names or [] if n)).search(" ".join(unescape(text).split()))
    return m[0] if m else None
