"""Cities, their area codes and the travel routes that planted networks move along.

Why a fixed table: movement between cities along a highway is one of the patterns analysts
trace, so networks must move along plausible routes (not random jumps), and a phone number's
area code should match the city an independent advertiser lives in. Area codes are real, the
line numbers built from them are always in the fictional 555-01XX range (see `phones.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class City:
    """A US city as ads name it: display name, state code and its area codes."""

    name: str
    region: str
    area_codes: tuple[int, ...]

    @property
    def tag(self) -> str:
        """The hashtag form ads use: `#LasVegas`."""
        return "#" + self.name.replace(" ", "").replace(".", "")


def _c(name: str, region: str, *codes: int) -> City:
    return City(name, region, codes)


CITIES: tuple[City, ...] = (
    _c("Boston", "MA", 617, 857), _c("Providence", "RI", 401), _c("Hartford", "CT", 860, 959),
    _c("New York", "NY", 212, 646, 718, 917, 347), _c("Newark", "NJ", 973, 862),
    _c("Philadelphia", "PA", 215, 267), _c("Baltimore", "MD", 410, 443),
    _c("Washington", "DC", 202), _c("Richmond", "VA", 804), _c("Fayetteville", "NC", 910),
    _c("Savannah", "GA", 912), _c("Jacksonville", "FL", 904), _c("Miami", "FL", 305, 786),
    _c("Los Angeles", "CA", 213, 323, 310, 818), _c("Phoenix", "AZ", 602, 480, 623),
    _c("Tucson", "AZ", 520), _c("El Paso", "TX", 915), _c("San Antonio", "TX", 210),
    _c("Houston", "TX", 713, 281, 832), _c("New Orleans", "LA", 504), _c("Mobile", "AL", 251),
    _c("Tallahassee", "FL", 850), _c("Laredo", "TX", 956), _c("Austin", "TX", 512, 737),
    _c("Waco", "TX", 254), _c("Dallas", "TX", 214, 469, 972), _c("Fort Worth", "TX", 817, 682),
    _c("Oklahoma City", "OK", 405), _c("Wichita", "KS", 316), _c("Kansas City", "MO", 816),
    _c("Des Moines", "IA", 515), _c("Minneapolis", "MN", 612), _c("San Diego", "CA", 619, 858),
    _c("Sacramento", "CA", 916), _c("Portland", "OR", 503, 971), _c("Seattle", "WA", 206),
    _c("Tampa", "FL", 813), _c("Atlanta", "GA", 404, 470, 678), _c("Chattanooga", "TN", 423),
    _c("Knoxville", "TN", 865), _c("Cincinnati", "OH", 513), _c("Toledo", "OH", 419),
    _c("Detroit", "MI", 313), _c("Chicago", "IL", 312, 773), _c("Milwaukee", "WI", 414),
    _c("Cleveland", "OH", 216), _c("Buffalo", "NY", 716), _c("Albuquerque", "NM", 505),
    _c("Memphis", "TN", 901), _c("Nashville", "TN", 615, 629), _c("Greensboro", "NC", 336),
    _c("Raleigh", "NC", 919, 984), _c("Las Vegas", "NV", 702, 725),
    _c("Salt Lake City", "UT", 801, 385), _c("Charlotte", "NC", 704, 980),
    _c("Greenville", "SC", 864), _c("Denver", "CO", 303, 720), _c("Orlando", "FL", 407, 321),
    _c("Columbus", "OH", 614), _c("Indianapolis", "IN", 317), _c("St. Louis", "MO", 314),
    _c("Louisville", "KY", 502), _c("Pittsburgh", "PA", 412), _c("Norfolk", "VA", 757),
    _c("Reno", "NV", 775), _c("Omaha", "NE", 402), _c("Fresno", "CA", 559),
    _c("Birmingham", "AL", 205), _c("Tulsa", "OK", 918), _c("Spokane", "WA", 509),
)

CITY_BY_NAME: dict[str, City] = {c.name: c for c in CITIES}

# Interstate corridors, in travel order. A network's circuit is a contiguous stretch of one.
ROUTES: dict[str, tuple[str, ...]] = {
    "I-95": ("Boston", "Providence", "Hartford", "New York", "Newark", "Philadelphia",
             "Baltimore", "Washington", "Richmond", "Fayetteville", "Savannah", "Jacksonville",
             "Miami"),
    "I-10": ("Los Angeles", "Phoenix", "Tucson", "El Paso", "San Antonio", "Houston",
             "New Orleans", "Mobile", "Tallahassee", "Jacksonville"),
    "I-35": ("Laredo", "San Antonio", "Austin", "Waco", "Dallas", "Fort Worth", "Oklahoma City",
             "Wichita", "Kansas City", "Des Moines", "Minneapolis"),
    "I-5": ("San Diego", "Los Angeles", "Fresno", "Sacramento", "Portland", "Seattle"),
    "I-75": ("Miami", "Tampa", "Atlanta", "Chattanooga", "Knoxville", "Cincinnati", "Toledo",
             "Detroit"),
    "I-94": ("Minneapolis", "Milwaukee", "Chicago", "Detroit", "Cleveland", "Buffalo"),
    "I-40": ("Albuquerque", "Oklahoma City", "Tulsa", "Memphis", "Nashville", "Knoxville",
             "Greensboro", "Raleigh"),
    "I-15": ("San Diego", "Las Vegas", "Salt Lake City", "Reno"),
    "I-85": ("Birmingham", "Atlanta", "Greenville", "Charlotte", "Greensboro", "Richmond",
             "Norfolk"),
    "I-70": ("Denver", "Omaha", "Kansas City", "St. Louis", "Indianapolis", "Columbus",
             "Pittsburgh", "Louisville"),
    "I-90": ("Seattle", "Spokane", "Chicago", "Cleveland", "Buffalo", "Boston"),
}


def load_area_codes() -> tuple[int, ...]:
    """Every US area code for which NPA-555-01XX is a valid (fictional) number."""
    text = resources.files(__package__).joinpath("area_codes.txt").read_text("utf-8")
    return tuple(int(line) for line in text.splitlines() if line and not line.startswith("#"))
