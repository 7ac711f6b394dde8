"""Phone identifiers normalised through the core's +1 plan: the same answers as `parse_phone`.

A scan normalises every new ad's phones again for its link keys (`identifiers.Phone`); with the
core, screening's digit strings never reach `parse_phone`, so `parse_phone_quick` asks the
core's plan first. It must answer exactly as `parse_phone` (`phonenumbers`) for every digit
string: the core's decided ones and those it leaves to the library.
"""

from __future__ import annotations

import random

from amberline.extract import phones
from amberline.extract.phones import parse_phone, parse_phone_quick
from amberline.identifiers import Phone, normalise_or_none
from core_support import needs_active_core

pytestmark = needs_active_core()


def _digit_strings(rng: random.Random) -> list[str]:
    out = ["7035550142", "17035550142", "+17035550142", "3102632", "0114420794609",
           "+442079460958", "1035002060", "0123456789", "7035550١42", "+1242", "2" * 15,
           "+18765550100", "+12465550100", "8005550100", "+1800555010"]
    for first in "0123456789+":
        for length in range(7, 16):
            for _ in range(12):
                out.append(first + "".join(rng.choice("0123456789") for _ in range(length - 1)))
    for area in range(200, 1000, 3):
        number = f"{area}{rng.randrange(10**7):07d}"
        out += [number, "1" + number, "+1" + number]
    return out


def test_the_core_plan_is_asked() -> None:
    assert phones._quick_scanner() is not None


def test_quick_answers_equal_parse_phone() -> None:
    strings = _digit_strings(random.Random(11))
    for digits in strings:
        assert parse_phone_quick(digits, "US") == parse_phone(digits, "US"), digits
    for digits in strings[:200]:  # other regions go to parse_phone itself
        assert parse_phone_quick(digits, "GB") == parse_phone(digits, "GB"), digits


def test_phone_identifiers_as_before() -> None:
    for written, canonical in Phone.examples().valid:
        assert Phone.normalise(written) == canonical
    for written in Phone.examples().invalid:
        assert normalise_or_none("phone", written) is None
    assert normalise_or_none("phone", "(242) 555-0100") == "+12425550100"
