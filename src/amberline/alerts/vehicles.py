"""The vehicle of an alert: year, make, model, body, colour and plate.

"VEHICLE: 2004 HONDA ACCORD 4DR, SILVER (ABC1234)" is how alert texts write it; the plate is
the one exact key an analyst can search ads and tips for, so it is normalised (upper case, no
spaces or hyphens) and kept with its state when the text names one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
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


class _Patterns:
    def __init__(self) -> None:
        self.makes = table("vehicle_makes")
        self.bodies = table("vehicle_bodies")
        self.colours = table("vehicle_colours")
        plate = r"(?P<p>(?=[A-Z -]{0,8}\d)[A-Z0-9](?:[A-Z0-9]|[ -](?=[A-Z0-9])){1,8})"
        self.plate_paren = re.compile(r"\((?:(?P<st>[A-Z]{2})[ ,]+)?" + plate + r"\)")
        self.plate_cue = re.compile(
            r"(?:\b(?P<st>[A-Z]{2})\s+)?\b(?i:plate|tag|license|lic|lp)\b"
            r"(?i:\s*(?:plate|number|no\.?|#))*\s*[:#-]?\s*(?:(?P<st2>[A-Z]{2})\s+)?"
            + plate + r"\b"
        )
        self.year = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
        self.make = re.compile(r"\b(?P<make>" + alternation("vehicle_makes") + r")\b"
                               r"(?P<model>(?:\s+[A-Za-z0-9][\w-]*){0,2})", re.IGNORECASE)
        self.body = re.compile(r"(?<![\w-])(" + alternation("vehicle_bodies") + r")\b", re.I)
        self.colour = re.compile(r"\b(" + alternation("vehicle_colours") + r")\b", re.I)


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    return _Patterns()


def parse_vehicle(text: str) -> Vehicle | None:
    """The vehicle a stretch of alert text describes, or None when it names nothing."""
    p = _patterns()
    vehicle = Vehicle(description=" ".join(text.split()).strip(" .,;:"))
    found = p.plate_cue.search(text) or p.plate_paren.search(text)
    if found is not None:
        vehicle.plate = re.sub(r"[\s-]", "", found["p"]).upper()
        state = found.groupdict().get("st") or found.groupdict().get("st2")
        vehicle.plate_state = state
        text = text[: found.start()] + " " * (found.end() - found.start()) + text[found.end():]
    if m := p.year.search(text):
        vehicle.year = int(m[1])
    if m := p.make.search(text):
        vehicle.make = p.makes[canon(m["make"])]
        model = []
        for word in m["model"].split():
            if canon(word) in p.bodies or canon(word) in p.colours or p.year.fullmatch(word):
                break
            model.append(word.strip(",."))
        vehicle.model = tidy_case(" ".join(model)) if model else None
    if m := p.body.search(text):
        vehicle.body = p.bodies[canon(m[1])]
    if m := p.colour.search(text):
        vehicle.colour = p.colours[canon(m[1])]
    if not any((vehicle.year, vehicle.make, vehicle.plate, vehicle.colour, vehicle.body)):
        return None
    return vehicle
