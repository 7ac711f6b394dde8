"""Descriptor parsing of alert texts: table-driven rows in the abbreviated police style and prose.

Every row is synthetic and clinical: a text, and the fields (dotted: child.height_cm,
vehicle.plate) that must come out of it. Fields a row does not name are not checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.alerts.descriptors import parse_description, unescape

SENT = datetime.fromisoformat("2024-03-14T16:05:00-04:00")

ROWS: list[tuple[str, dict[str, Any]]] = [
    ("M/B BLK/BRO 3'0\" 40 LBS",
     {"child.sex": "male", "child.race": "black", "child.hair": "black", "child.eyes": "brown",
      "child.height_cm": 91, "child.weight_kg": 18.1}),
    ("W/F 5'2 110 LBS BLN/BLU",
     {"child.sex": "female", "child.race": "white", "child.height_cm": 157,
      "child.weight_kg": 49.9, "child.hair": "blonde", "child.eyes": "blue"}),
    ("DOB 06/24/06", {"child.dob": "2006-06-24", "child.age": 17}),
    ("DOB: 2010-01-31, 4'11\" 85 LBS", {"child.dob": "2010-01-31", "child.age": 14,
                                        "child.height_cm": 150, "child.weight_kg": 38.6}),
    ("born March 3, 2012", {"child.dob": "2012-03-03", "child.age": 12}),
    ("VEHICLE: 2004 HONDA ACCORD 4DR, SILVER (ABC1234)",
     {"vehicle.year": 2004, "vehicle.make": "Honda", "vehicle.model": "Accord",
      "vehicle.body": "4-door", "vehicle.colour": "silver", "vehicle.plate": "ABC1234"}),
    ("Vehicle: blue 2012 Toyota Camry, VA TAG XYZ-9876",
     {"vehicle.make": "Toyota", "vehicle.model": "Camry", "vehicle.colour": "blue",
      "vehicle.plate": "XYZ9876", "vehicle.plate_state": "VA", "vehicle.year": 2012}),
    ("SUSPECT VEHICLE: WHITE FORD F-150 PICKUP, LICENSE PLATE NUMBER: 7KLM221",
     {"vehicle.make": "Ford", "vehicle.model": "F-150", "vehicle.body": "pickup",
      "vehicle.colour": "white", "vehicle.plate": "7KLM221"}),
    ("MIA TESTER, W/F, 5'2&amp;quot; 110 LBS", {"child.name": "Mia Tester",
                                                "child.height_cm": 157}),
    ("H/F 4'6&amp;amp;quot; 70 LBS", {"child.race": "hispanic", "child.height_cm": 137}),
    ("CHILD: AVA EXAMPLE, H/F, AGE 15, 5'4\" 120 LBS BRO/BRO",
     {"child.name": "Ava Example", "child.age": 15, "child.height_cm": 163,
      "child.weight_kg": 54.4, "child.hair": "brown", "child.eyes": "brown"}),
    ("Name: Zoe Sampleton. Age: 12. Sex: Female. Race: Black. Height: 4'11\". Weight: 85 lbs."
     " Hair: black. Eyes: brown.",
     {"child.name": "Zoe Sampleton", "child.age": 12, "child.sex": "female",
      "child.race": "black", "child.height_cm": 150, "child.hair": "black",
      "child.eyes": "brown"}),
    ("The police are searching for 14-year-old Ruby Placeholder, a white female with red hair"
     " and green eyes, 152 cm, 45 kg.",
     {"child.name": "Ruby Placeholder", "child.age": 14, "child.race": "white",
      "child.sex": "female", "child.hair": "red", "child.eyes": "green", "child.height_cm": 152,
      "child.weight_kg": 45.0}),
    ("LAST SEEN 03/14/2024 AT 1530 HRS NEAR MAIN ST, FAIRFAX, VA.",
     {"child.last_seen_time": "2024-03-14T15:30:00-04:00", "child.place.label": "Fairfax, VA"}),
    ("last seen at 2:15 p.m. near Oak Ave. in Springfield, IL wearing a red t-shirt",
     {"child.last_seen_time": "2024-03-14T14:15:00-04:00",
      "child.place.label": "Springfield, IL", "child.clothing": "a red t-shirt"}),
    ("Last seen: March 13, 2024 8:40 PM, Dallas, TX",
     {"child.last_seen_time": "2024-03-13T20:40:00-04:00", "child.place.label": "Dallas, TX"}),
    ("LAST SEEN WEARING A GREY HOODED SWEATSHIRT AND BLUE JEANS.",
     {"child.clothing": "A GREY HOODED SWEATSHIRT AND BLUE JEANS", "child.eyes": None}),
    ("MIA TESTER, W/F, 14 YOA. SUSPECT: JOHN QUINCY EXAMPLE, W/M, 35 YOA, 6'0 190 LBS BRO/BRO",
     {"child.age": 14, "child.name": "Mia Tester", "suspect.name": "John Quincy Example",
      "suspect.age": 35, "suspect.sex": "male", "suspect.height_cm": 183,
      "suspect.weight_kg": 86.2, "suspect.hair": "brown"}),
    ("Noah Sample, 3 years old, abducted by Jane Doe Example, B/F, 29 YOA",
     {"child.name": "Noah Sample", "child.age": 3, "suspect.name": "Jane Doe Example",
      "suspect.sex": "female", "suspect.race": "black"}),
    ("I/M 2'10\" 30 LBS BLK/BRO", {"child.race": "native", "child.height_cm": 86,
                                   "child.weight_kg": 13.6}),
    ("A/F 160 CM 50 KG", {"child.race": "asian", "child.height_cm": 160,
                          "child.weight_kg": 50.0}),
    ("F/W 5 ft 1 in 100 lbs", {"child.sex": "female", "child.race": "white",
                               "child.height_cm": 155}),
    ("Hair: Blonde, Eyes: Hazel", {"child.hair": "blonde", "child.eyes": "hazel"}),
    ("RED/GRN 4'6", {"child.hair": "red", "child.eyes": "green", "child.height_cm": 137}),
    ("SDY/HAZ", {"child.hair": "blonde", "child.eyes": "hazel"}),
    ("Child 1: Emma Example, W/F, 6 YOA. Child 2: Leo Example, W/M, 4 YOA.",
     {"child.name": "Emma Example", "child.age": 6, "children.1.name": "Leo Example",
      "children.1.age": 4}),
]


def field(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if value is None:
            return None
        value = value[int(part)] if isinstance(value, list) else value.get(part)
    return value


@pytest.mark.parametrize(("text", "expected"), ROWS, ids=[r[0][:40] for r in ROWS])
def test_descriptor_rows(text: str, expected: dict[str, Any]) -> None:
    record = parse_description(text, sent=SENT).as_dict()
    got = {key: field(record, key) for key in expected}
    assert got == expected


def test_name_comes_from_headline_when_text_has_none() -> None:
    found = parse_description("W/F 14 YOA 5'2 110 LBS", headline="AMBER Alert: Mia Tester",
                              sent=SENT)
    assert found.child is not None and found.child.name == "Mia Tester"


def test_police_wording_is_not_taken_for_a_name() -> None:
    found = parse_description("AMBER ALERT: The County Police Department is searching for a "
                              "missing child, W/F, 14 YOA", sent=SENT)
    assert found.child is not None and found.child.name is None


def test_empty_text_gives_no_child() -> None:
    assert parse_description("", sent=SENT).child is None


@pytest.mark.parametrize(("text", "plain"), [
    ("5'2&amp;quot;", "5'2\""), ("5'2&quot;", "5'2\""), ("A &amp;amp;amp; B", "A & B"),
    ("5’2”", "5'2\""),
])
def test_unescape_any_depth(text: str, plain: str) -> None:
    assert unescape(text) == plain


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_without_error(text: str) -> None:
    found = parse_description(text, sent=SENT).as_dict()
    child = found["child"]
    if child and child["height_cm"] is not None:
        assert 20 <= child["height_cm"] <= 999
