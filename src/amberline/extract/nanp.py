"""Exact, cached classification of North American (+1) phone numbers by their first digits.

Why: `phonenumbers` does real work on each number it has not seen (parse, find the region,
match the region's patterns), and a crawl is full of numbers seen once, so that work alone would
dominate screening. In the North American Numbering Plan every
pattern of every region's metadata constrains at most the area code, the exchange and the first
digit of the line number (Barbados and Jamaica use that one) and leaves the last three digits
free, so whether a number is valid, which region it belongs to and whether it is possible are
functions of its first seven digits. This module checks that property against the *installed*
metadata at first use (walking each pattern's parse tree), and only then answers from a cache
keyed by those seven digits; if a future metadata
release constrains a later digit, `shortcut_safe()` is False and callers use `phonenumbers`
for every number, as before. A test compares both paths on random numbers.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from amberline import disk_cache

try:  # Python 3.11+ keeps the regex parser here; older versions call it sre_parse
    import re._parser as _sre  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

PREFIX = 7  # area code, exchange and the first digit of the line number
_DESCS = ("general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
          "personal_number", "voip", "pager", "uan", "voicemail", "no_international_dialling")
_DIGITS = frozenset("0123456789")


def _class_chars(items: list) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            chars.add(chr(av))
        elif op is _sre.RANGE:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op is _sre.CATEGORY and av is _sre.CATEGORY_DIGIT:
            chars.update(_DIGITS)
        else:
            return None  # negation or anything unusual: treat as a constraint
    return frozenset(chars)


def _walk(items: list, positions: set[int]) -> set[int] | None:
    """Possible match positions after `items`; None if any character at index >= PREFIX is
    constrained to less than "any digit" (or the pattern is too unusual to tell)."""
    for op, av in items:
        if op in (_sre.LITERAL, _sre.IN):
            if max(positions) >= PREFIX:
                chars = frozenset(chr(av)) if op is _sre.LITERAL else _class_chars(av)
                if chars != _DIGITS:
                    return None
            positions = {p + 1 for p in positions}
        elif op is _sre.SUBPATTERN:
            result = _walk(list(av[-1]), positions)
            if result is None:
                return None
            positions = result
        elif op is _sre.BRANCH:
            found: set[int] = set()
            for branch in av[1]:
                result = _walk(list(branch), positions)
                if result is None:
                    return None
                found |= result
            positions = found
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            low, high, sub = av
            if high is _sre.MAXREPEAT or high > 20:
                return None
            reached: set[int] = set()
            current = positions
            for count in range(high + 1):
                if count >= low:
                    reached |= current
                if count == high:
                    break
                step = _walk(list(sub), current)
                if step is None:
                    return None
                current = step
            positions = reached
        else:
            return None
        if not positions:
            return positions
    return positions


def free_tail(pattern: str) -> bool:
    """True if no match of `pattern` constrains a character at index >= PREFIX."""
    return _walk(list(_sre.parse(pattern)), {0}) is not None


@lru_cache(maxsize=1)
def metadata_stamp() -> str:
    """The installed `phonenumbers` metadata as a `disk_cache.fingerprint` part, without
    importing the library (which a warm start-up with the core does not need): the name,
    size and modification time of each of its modules (a new release installs new files)."""
    spec = find_spec("phonenumbers")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        return "phonenumbers: missing"
    root = Path(locations[0])
    parts = [disk_cache.stamp(root / "__init__.py")]
    try:
        entries = sorted(os.scandir(root / "data"), key=lambda e: e.name)
    except OSError:
        entries = []
    for entry in entries:
        if entry.name.endswith(".py"):
            info = entry.stat(follow_symlinks=False)
            parts.append(f"{entry.name} {info.st_size} {info.st_mtime_ns}")
    return "\n".join(parts)


@lru_cache(maxsize=1)
def shortcut_safe() -> bool:
    """Whether every +1 region's metadata leaves digits after the sixth free (the answer is
    kept in the disk cache, keyed by the installed metadata and this module)."""

    def compute() -> bool:
        from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

        patterns: list[str | None] = []
        for region in COUNTRY_CODE_TO_REGION_CODE[1]:
            meta = PhoneMetadata.metadata_for_region(region)
            if meta is None:
                return False
            patterns.append(meta.leading_digits)
            patterns += [getattr(getattr(meta, name), "national_number_pattern", None)
                         for name in _DESCS if getattr(meta, name, None) is not None]
        return all(free_tail(p) for p in patterns if p)

    def decode(blob: bytes) -> bool:
        if blob not in (b"\0", b"\1"):
            raise ValueError("not a yes or no")
        return blob == b"\1"

    key = disk_cache.fingerprint(Path(__file__), metadata_stamp())
    return disk_cache.cached("nanp shortcut", key, compute,
                             lambda safe: b"\1" if safe else b"\0", decode)


@lru_cache(maxsize=65536)
def _classify(prefix: str) -> tuple[bool, bool, str | None]:
    """(valid, possible, region) of every ten-digit national number starting with `prefix`."""
    import phonenumbers
    from phonenumbers import PhoneNumber, ValidationResult

    num = PhoneNumber(country_code=1, national_number=int(prefix + "0" * (10 - PREFIX)))
    region = phonenumbers.region_code_for_number(num)
    valid = phonenumbers.is_valid_number_for_region(num, region)
    possible = (phonenumbers.is_possible_number_with_reason(num)
                == ValidationResult.IS_POSSIBLE)
    return valid, possible, region


def national(digits: str, region: str) -> str | None:
    """The ten-digit national number when `phonenumbers.parse(digits, region)` is certain to
    read `digits` as +1 and that number: "+1NXXNXXXXXX" anywhere, "NXXNXXXXXX" and
    "1NXXNXXXXXX" in the US (N = 2-9). Otherwise None."""
    if not digits.isascii() or not digits[1:].isdigit():
        return None  # other scripts' digits: phonenumbers decides
    n = len(digits)
    if n == 12 and digits[0] == "+" and digits[1] == "1" and digits[2] >= "2":
        return digits[2:]
    if region != "US":
        return None
    if n == 10 and "2" <= digits[0] <= "9":
        return digits
    if n == 11 and digits[0] == "1" and digits[1] >= "2":  # digits[1:] are digits
        return digits[1:]
    return None


def classify(national_number: str) -> tuple[bool, bool, str | None]:
    """(valid, possible, region) of a ten-digit +1 national number; see `shortcut_safe`."""
    return _classify(national_number[:PREFIX])
