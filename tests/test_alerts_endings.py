"""Alerts as agencies send them, end to end: every child of an alert is matched, and an alert
ended in prose (msgType Update or Alert whose text reports the child found) stops matching and
tells watchers, as a Cancel does. Ads and alerts are synthetic and clinical."""

from __future__ import annotations

import json
from pathlib import Path

from alerts_support import SENDER, cap_xml, http_server
from amberline.alerts.feeds import parse_document
from amberline.alerts.matches import list_matches
from amberline.alerts.matching import MatchHook
from amberline.alerts.notify import Notifier, NotifyConfig, WebhookTarget
from amberline.alerts.records import list_alerts
from amberline.alerts.scoring import MatchConfig
from amberline.alerts.service import ingest, watch_alert
from amberline.alerts.watchlists import list_entries
from amberline.pipeline import ScreenConfig, Screener
from amberline.scan import run_scan
from amberline.store import Store

TWO_CHILDREN = (
    "The Fairfax County Police Department is searching for the following two children, "
    "Leo Sample, age 9, Male, White, 4 feet 4 inches, 70 lbs, brown hair, and brown eyes, and "
    "Ava Sample, age 15, Female, White, 5 feet 2 inches, 110 pounds, blonde hair and blue eyes. "
    "They were last seen on 03/14/2024 at 1530 hrs near Main St, Fairfax, VA.")
AD = {"id": "a1", "title": "New in Fairfax", "posted_at": "2024-03-16T20:00:00-04:00",
      "city": "Fairfax", "region": "VA",
      "body": "Ask for Ava, 16 years old, blonde hair, blue eyes, 5'2, 110 lbs, Fairfax, VA. "
              "Call 703 555 0142"}
SENT = "2024-03-14T16:05:00-04:00"


def scan(store: Store, tmp_path: Path, name: str = "ads") -> None:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "ads.jsonl").write_text(json.dumps(AD) + "\n", encoding="utf-8")
    run_scan([folder / "ads.jsonl"], store, Screener(ScreenConfig()),
             on_stored=[MatchHook(MatchConfig())])


def load(store: Store, xml: bytes, notifier: Notifier | None = None):
    return ingest(store, parse_document(xml, "test.xml"), notifier=notifier)


def test_an_ad_matching_the_second_child_of_an_alert_is_a_match(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        scan(store, tmp_path)  # retroactive: the ad is there before the alert
        report = load(store, cap_xml(TWO_CHILDREN, identifier="EX-1", sent=SENT))
        assert [a.descriptors.child.name for a in list_alerts(store)] == ["Leo Sample"]
        [match] = report.matches
        assert match.ad_key == "ads:a1" and match.score >= 0.8
        assert any(t["term"] == "name" and "Ava" in t["evidence"] for t in match.terms)


def test_an_update_reporting_the_child_found_ends_matching_and_tells_watchers(
        tmp_path: Path) -> None:
    told: list[dict] = []

    def receiver(request, body: bytes) -> tuple[int, bytes]:
        told.append(json.loads(body))
        return 200, b"ok"

    found = ("UPDATE: Ava Sample has been located safe. Leo Sample was found with her. "
             "Thank you for your assistance.")
    with http_server(receiver) as base, Store(tmp_path / "e.db") as store:
        notifier = Notifier(NotifyConfig(webhooks=(WebhookTarget(f"{base}/hook", "s3cret"),)))
        first = load(store, cap_xml(TWO_CHILDREN, identifier="EX-1", sent=SENT), notifier)
        assert first.matches == [] and told == []
        update = cap_xml(found, "Update", identifier="EX-2", references=f"{SENDER},EX-1,{SENT}",
                         sent="2024-03-15T09:00:00-04:00")
        ended = load(store, update, notifier)
        assert ended.ended == 1
        assert {a.identifier: a.state for a in list_alerts(store)} == {
            "EX-1": "cancelled", "EX-2": "cancelled"}
        scan(store, tmp_path)  # an ad naming the found child, scanned afterwards
        assert list_matches(store) == []
    [message] = told
    assert message["event"] == "amberline.alert_ended" and message["identifier"] == "EX-2"
    assert message["reason"] == "Ava Sample has been located"
    assert len(message["ended_alert_ids"]) == 1


def test_watchlist_entries_made_from_an_ended_alert_stop_matching(tmp_path: Path) -> None:
    with Store(tmp_path / "w.db") as store:
        load(store, cap_xml(TWO_CHILDREN, identifier="EX-1", sent=SENT))
        [alert] = list_alerts(store)
        entries, _ = watch_alert(store, alert.id)
        assert {e.value for e in entries if e.kind == "name"} == {"Leo Sample", "Ava Sample"}
        cancel = cap_xml("THIS IS A CANCELLATION OF AN AMBER ALERT. BOTH CHILDREN WERE "
                         "LOCATED SAFE.", identifier="EX-2", references=f"{SENDER},EX-1,{SENT}")
        load(store, cancel)
        assert list_entries(store) == []
        scan(store, tmp_path)
        assert list_matches(store) == []
