"""The vehicle of an alert: year, make, model, body, colour and plate.

"VEHICLE: 2004 HONDA ACCORD 4DR, SILVER (ABC1234)" is how alert texts write it; the plate is
the one exact key an analyst can search ads and tips for, so it is normalised (upper case, no
spaces or hyphens) and kept with its state when the text names one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import takewhile
from typing import Any

from amberline.alerts.vocab import alternation, canon, table, tidy_case


@dataclass(slots=True)
class Vehicle:
    """A vehicle described in an alert; fields the text does not give are None."""

    year: int | None = None
    make: str | None = None
    model: str | None = None
    body: str | None = None
    colour: str | None = None
    plate: str | None = None
    plate_state: str | None = None
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vehicle:
        return cls(**{k: data.get(k) for k in cls.__slots__ if k in data})


# Words that follow a model without being part of it ("ACCORD WITH", "ROGUE BEARING").
_NOT_MODEL = frozenset(re.findall(r"\w+", """with bearing and or license licence plate plates tag
tags registration last seen heading headed traveling travelling going unknown in on near at was is
were color colour"""))


class _Patterns:
    def __init__(self) -> None:
        from amberline.extract.places import load_gazetteer

        self.makes = table("vehicle_makes")
        self.bodies = table("vehicle_bodies")
        self.colours = table("vehicle_colours")
        self.regions = load_gazetteer().regions  # state name or code (lower case) -> code
        codes = "|".join(sorted({c for c in self.regions.values()}))
        names = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in
                         sorted((n for n in self.regions if len(n) > 2), key=len, reverse=True))
        state = rf"(?:(?:{codes})|(?i:{names}))"
        plate = r"(?P<p>(?=[A-Z -]{0,8}\d)[A-Z0-9](?:[A-Z0-9]|[ -](?=[A-Z0-9])){1,8})"
        # 'K' 'L' '4','R' (quoted one by one), K-L-4-R or K L 4 R (one by one), or whole
        after = (rf"(?:\s*\((?P<st3>{codes})\)|\s*(?P<st4>(?i:{names}))\b)?")
        value = (r"(?:(?P<q>(?:['\"`][A-Z0-9]['\"`][\s,]*){3,})"
                 r"|(?P<sp>[A-Z0-9](?:[ -][A-Z0-9]){3,})(?![A-Z0-9])|" + plate + r"\b)")
        self.plate_paren = re.compile(r"\((?:(?P<st>[A-Z]{2})[ ,]+)?" + plate + r"\)")
        self.plate_cue = re.compile(
            rf"(?:\b(?P<st>{state})\s+)?\b(?i:registration|licen[cs]e|plates?|tags?|lic|lp)\b"
            r"(?i:\s*(?:plates?|tags?|number|num|no\.?|#|reading|of|is)\b\.?)*\s*[:#/-]?\s*"
            rf"(?:(?P<st2>{codes})\s+)?" + value + after
        )
        self.models = table("vehicle_models")
        self.model = re.compile(r"\s+(" + alternation("vehicle_models") + r")\b", re.I)
        self.year = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
        self.make = re.compile(r"\b(?P<make>" + alternation("vehicle_makes") + r")\b"
                               r"(?P<model>(?:\s+[A-Za-z0-9][\w-]*,?){0,2})", re.IGNORECASE)
        self.year_make = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b,?\s+(?:[A-Za-z]+\s+){0,2}(?:"
                                    + alternation("vehicle_makes") + r")\b", re.I)
        self.body = re.compile(r"(?<![\w-])(" + alternation("vehicle_bodies") + r")\b", re.I)
        self.colour = re.compile(r"\b(" + alternation("vehicle_colours") + r")\b", re.I)

    def plate(self, m: re.Match[str]) -> tuple[str, str | None]:
        """The plate (upper case, no spaces) and its state's code from a plate-cue match."""
        if m.groupdict().get("q"):
            plate = "".join(re.findall(r"[A-Z0-9]", m["q"]))
        elif m.groupdict().get("sp"):
            plate = re.sub(r"[ -]", "", m["sp"])
        else:
            tokens = m["p"].split()  # "GRZ 5521" is one plate; "8HKT22 IN" is not
            digits = takewhile(lambda t: any(ch.isdigit() for ch in t), tokens[1:])
            plate = "".join([tokens[0], *digits]).replace("-", "")
        found = m.groupdict()
        state = found.get("st") or found.get("st2") or found.get("st3") or found.get("st4")
        return plate.upper(), self.regions.get(canon(state)) if state else None


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    return _Patterns()


def _model(p: _Patterns, words: str) -> str | None:
    """The model in the words after a make: up to a body, colour, year or a word that is not
    part of a model ("ACCORD WITH", lower-case words in mixed-case text)."""
    model = []
    for word in words.split():
        bare = word.strip(",.")
        if (canon(bare) in p.bodies or canon(bare) in p.colours or p.year.fullmatch(bare)
                or bare.lower() in _NOT_MODEL or bare.islower() or not bare):
            break
        model.append(bare)
        if bare != word:  # a comma or full stop ends the model
            break
    return tidy_case(" ".join(model)) if model else None


def parse_vehicle(text: str) -> Vehicle | None:
    """The vehicle a stretch of alert text describes, or None when it names nothing."""
    p = _patterns()
    vehicle = Vehicle(description=" ".join(text.split()).strip(" .,;:"))
    found = p.plate_cue.search(text) or p.plate_paren.search(text)
    if found is not None:
        vehicle.plate, vehicle.plate_state = p.plate(found)
        text = text[: found.start()] + " " * (found.end() - found.start()) + text[found.end():]
    if m := p.year.search(text):
        vehicle.year = int(m[1])
    if m := p.make.search(text):
        vehicle.make = p.makes[canon(m["make"])]
        known = p.model.match(text, m.end("make"))
        vehicle.model = p.models[canon(known[1])] if known else _model(p, m["model"])
    if m := p.body.search(text):
        vehicle.body = p.bodies[canon(m[1])]
    if m := p.colour.search(text):
        vehicle.colour = p.colours[canon(m[1])]
    if not any((vehicle.year, vehicle.make, vehicle.plate, vehicle.colour, vehicle.body)):
        return None
    return vehicle


def find_vehicle(text: str) -> Vehicle | None:
    """The vehicle of the first sentence with a year and make or a plate, for texts that give a
    vehicle without a cue ("LIC/BXR4471 (AZ) 2016 black Jeep Cherokee"); None when none does."""
    p = _patterns()
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        # a make alone may be a surname or a town ("Lincoln, NE"): a year must lead up to it
        if p.year_make.search(sentence) or p.plate_cue.search(sentence):
            return parse_vehicle(sentence)
    return None
