"""The alerts API router, mounted on a bare FastAPI app and driven with TestClient."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerts_support import FIXTURES
from amberline.alerts.api import alerts_router
from amberline.pipeline import ScreenConfig, Screener
from amberline.scan import run_scan
from amberline.store import Store

AD = {"id": "a1", "title": "New in Fairfax", "posted_at": "2024-03-16T20:00:00-04:00",
      "city": "Fairfax", "region": "VA",
      "body": "Ask for Mia, 15 years old, blonde hair, blue eyes, 5'2, 110 lbs, Fairfax, VA. "
              "Call 703 555 0142"}


def client_for(store: Store) -> TestClient:
    app = FastAPI()
    app.include_router(alerts_router(lambda: store))
    return TestClient(app)


def test_post_alert_matches_stored_ads_and_lists_them(tmp_path: Path) -> None:
    ads = tmp_path / "ads.jsonl"
    ads.write_text(json.dumps(AD) + "\n", encoding="utf-8")
    with Store(tmp_path / "api.db") as store:
        run_scan([ads], store, Screener(ScreenConfig()))
        client = client_for(store)
        xml = (FIXTURES / "amber_1_2.xml").read_text(encoding="utf-8")
        posted = client.post("/alerts", content=xml, headers={"Content-Type": "application/xml"})
        assert posted.status_code == 201, posted.text
        assert posted.json()["stored"] == 1 and posted.json()["matches"] == 1
        [alert] = client.get("/alerts").json()
        assert alert["descriptors"]["child"]["name"] == "Mia Jane Tester"
        assert client.get(f"/alerts/{alert['id']}").json()["state"] == "active"
        assert client.get("/alerts/999").status_code == 404
        [match] = client.get("/matches", params={"alert_id": alert["id"]}).json()
        assert match["ad_key"] == "ads:a1" and match["score"] >= 0.8


def test_invalid_alert_is_refused_with_reason_and_quarantined(tmp_path: Path) -> None:
    with Store(tmp_path / "bad.db") as store:
        client = client_for(store)
        xml = (FIXTURES / "invalid_schema.xml").read_text(encoding="utf-8")
        answer = client.post("/alerts", content=xml, headers={"Content-Type": "application/xml"})
        assert answer.status_code == 422 and "Urgent" in answer.json()["detail"]
        [kept] = store.quarantined()
        assert kept.file == "api" and "Urgent" in kept.reason


def test_watchlist_add_list_and_remove(tmp_path: Path) -> None:
    ads = tmp_path / "ads.jsonl"
    ads.write_text(json.dumps(AD) + "\n", encoding="utf-8")
    with Store(tmp_path / "w.db") as store:
        run_scan([ads], store, Screener(ScreenConfig()))
        client = client_for(store)
        added = client.post("/watchlist", json={"kind": "phone", "value": "703-555-0142"})
        assert added.status_code == 201
        body = added.json()
        assert body["entry"]["value"] == "+17035550142"
        assert [m["ad_key"] for m in body["matches"]] == ["ads:a1"]
        assert len(client.get("/watchlist").json()) == 1
        refused = client.post("/watchlist", json={"kind": "email", "value": "nope"})
        assert refused.status_code == 422 and "e-mail" in refused.json()["detail"]
        assert client.delete(f"/watchlist/{body['entry']['id']}").status_code == 204
        assert client.get("/watchlist").json() == []
