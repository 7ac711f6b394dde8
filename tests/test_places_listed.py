"""The ad's own places apart from the towns of a search list, and places in web addresses.

Invented, clinical texts; the towns are real US places so the gazetteer knows them.
"""

from __future__ import annotations

import pytest

from amberline.extract.places import PlaceExtractor, is_listed, own_places
from amberline.link.keys import record_from_screening
from amberline.machine_output import screening_record
from amberline.model import Ad
from amberline.pipeline import Screener

SEARCH_LIST = ("San Leandro, Pleasanton, Livermore, Fremont, Hayward, Oakland, Berkeley, Concord, "
               "Walnut Creek")
AD = f"Quiet studio in San Jose, CA. Call 408 555 0142.\nAreas: {SEARCH_LIST}"


@pytest.fixture(scope="module")
def extractor() -> PlaceExtractor:
    return PlaceExtractor()


def test_a_long_run_of_towns_is_listed(extractor: PlaceExtractor) -> None:
    spans = extractor.extract(AD)
    own = [s.value for s in own_places(spans)]
    listed = [s.value for s in spans if is_listed(s)]
    assert own == ["San Jose, CA"]
    assert len(listed) == 9 and "San Leandro, CA" in listed and "Walnut Creek, CA" in listed


def test_a_short_run_is_the_ads_own(extractor: PlaceExtractor) -> None:
    spans = extractor.extract("Visiting San Leandro, Pleasanton and Livermore this week")
    assert [s.value for s in own_places(spans)] == ["San Leandro, CA", "Pleasanton, CA",
                                                    "Livermore, CA"]
    assert not any(is_listed(s) for s in spans)


def test_words_between_towns_end_a_run(extractor: PlaceExtractor) -> None:
    text = ("In San Leandro today, Pleasanton tomorrow, then Livermore, Fremont, Hayward, Oakland, "
            "Berkeley and Concord")
    spans = extractor.extract(text)
    assert not any(is_listed(s) for s in spans)


def test_a_place_in_a_web_address_is_not_a_place(extractor: PlaceExtractor) -> None:
    text = "More photos at http://dallas.example.com/ads/1 and www.houston.example.net"
    assert extractor.extract(text) == []


def test_machine_output_and_movement_use_own_places() -> None:
    screening = Screener().screen(Ad(source="t", source_id="1", body=AD))
    record = screening_record("1", screening)
    assert record["places"] == ["San Jose, CA"]
    assert record["listed_places"][0] == "San Leandro, CA" and len(record["listed_places"]) == 9
    ad = Ad(source="t", source_id="2", body=f"Areas: {SEARCH_LIST}. Also in San Jose, CA")
    assert record_from_screening(ad, Screener().screen(ad)).city == "San Jose, CA"
