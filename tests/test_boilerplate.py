"""Site boilerplate is recognised and kept out of the ad's entities and flags, with its reason.

All texts are invented, clinical stand-ins for the forms crawled pages take.
"""

from __future__ import annotations

import json

import pytest

from amberline.machine_output import screening_record
from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.text.boilerplate import (
    DISCLAIMER,
    NAVIGATION,
    REMOVED_AD,
    find_boilerplate,
    whole_ad,
)

REMOVED_PAGE = (
    "Springfield - office jobs - example.com   The requested ad could not be found.   "
    "Recent office ads.   Clerk (Dayton, OH)  Company Name: Acme Paper  Call Bob at "
    "937-555-0123 for details, pay $15 per hour."
)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("The requested ad could not be found.", [REMOVED_AD]),
        ("Sorry, this posting has been removed by the author", [REMOVED_AD]),
        ("This listing is no longer available", [REMOVED_AD]),
        ("Error! Only registered users are allowed to see this page", [REMOVED_AD]),
        ("I am at least 18 years of age and agree to the terms", [DISCLAIMER]),
        ("You must be 18 or older to enter", [DISCLAIMER]),
        ("Post ID: 1234567 ohio   Other ads by this user:", [NAVIGATION, NAVIGATION]),
        ("Friendly spa open late - Dayton body rubs - example.com", [NAVIGATION]),
        # What a poster writes is not boilerplate: a stated age, an old number, a title age.
        ("Hi, I am 19 years old and new in town", []),
        ("My old ad was taken down, new number below", []),
        ("Relaxing massage - 24\nOpen daily", []),
    ],
)
def test_find_boilerplate_reasons(text: str, reasons: list[str]) -> None:
    assert [e.reason for e in find_boilerplate(text)] == reasons


def test_removed_notice_covers_the_whole_ad() -> None:
    found = whole_ad(find_boilerplate(REMOVED_PAGE), len(REMOVED_PAGE))
    assert [(e.start, e.end, e.reason) for e in found] == [(0, len(REMOVED_PAGE), REMOVED_AD)]


def test_removed_ad_page_has_no_entities_or_flags(screener: Screener) -> None:
    screening = screener.screen(Ad(source="t", body=REMOVED_PAGE))
    assert screening.spans == []
    assert screening.flags == []
    assert screening.score == 0.0
    assert [e.reason for e in screening.exclusions] == [REMOVED_AD]
    record = json.loads(json.dumps(screening_record("x", screening)))
    assert record["phones"] == [] and record["places"] == [] and record["prices"] == []
    assert record["excluded"] == [{"reason": REMOVED_AD, "start": 0, "end": len(REMOVED_PAGE)}]


def test_disclaimer_age_and_navigation_place_are_left_out(screener: Screener) -> None:
    text = ("Quiet studio in Dayton, OH, call 937-555-0188. I am at least 18 years of age. "
            "Post ID: 99887 columbus - Toledo body rubs - example.com")
    screening = screener.screen(Ad(source="t", body=text))
    record = screening_record("x", screening)
    assert record["ages"] == []
    assert record["places"] == ["Dayton, OH"]
    assert record["phones"] == ["+19375550188"]
    for e in screening.exclusions:  # offsets point into the ad as written
        assert text[e.start:e.end].strip() != ""
    assert {e.reason for e in screening.exclusions} == {DISCLAIMER, NAVIGATION}


def test_exclusion_offsets_map_to_the_original_text(screener: Screener) -> None:
    # Full-width letters are folded by the normaliser: the exclusion must still land on them.
    text = "Hello\u3000there. Ｔhe requested ad could not be found. Call 937-555-0123"
    screening = screener.screen(Ad(source="t", body=text))
    assert screening.spans == []
    assert [(e.start, e.end) for e in screening.exclusions] == [(0, len(text))]


def test_each_ad_of_a_batch_keeps_its_own_exclusions(screener: Screener) -> None:
    ads = [Ad(source="t", body=REMOVED_PAGE, source_id="1"),
           Ad(source="t", body="New in Dayton, OH, call 937-555-0188", source_id="2")]
    first, second = screener.screen_batch(ads)
    assert first.spans == [] and [e.reason for e in first.exclusions] == [REMOVED_AD]
    assert second.exclusions == []
    assert {s.value for s in second.spans} >= {"+19375550188", "Dayton, OH"}


def test_show_and_the_workspace_give_the_reason(tmp_path) -> None:
    from typer.testing import CliRunner

    from amberline.cli import app
    from amberline.scan import run_scan
    from web_helpers import app_for, seed, signed_in

    store = seed(tmp_path, n_ads=20)
    page_file = tmp_path / "removed.jsonl"
    page_file.write_text(json.dumps({"id": "gone", "source": "site", "text": REMOVED_PAGE})
                         + "\n", encoding="utf-8")
    run_scan([page_file], store, Screener())
    stored = store.get_ad("site:gone")
    assert stored is not None
    assert stored.screening.spans == [] and stored.screening.flags == []
    assert [e.reason for e in stored.screening.exclusions] == [REMOVED_AD]

    result = CliRunner().invoke(app, ["show", "site:gone", "--db", str(tmp_path / "ws.db")])
    assert result.exit_code == 0, result.output
    assert f"left out ({REMOVED_AD})" in result.output

    client = signed_in(app_for(store), "ana")
    html = client.get(f"/ads/{stored.id}").text
    assert f"{REMOVED_AD}: characters 0–{len(REMOVED_PAGE)}" in html
    store.close()
