"""The alert-desk endpoints as the workspace mounts them: behind sign-in, roles and the audit log.

Every test drives the real app (`web.app.create_app`) over a real SQLite file, with bearer
tokens of real users, so what is tested is what a deployment serves.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

import amberline
from alerts_support import FIXTURES
from amberline.pipeline import ScreenConfig, Screener
from amberline.scan import run_scan
from amberline.store import Store, audit
from amberline.store.accounts import add_user
from test_web_auth import all_routes
from web_helpers import PASSWORD, app_for, bearer

AD = {"id": "a1", "title": "New in Fairfax", "posted_at": "2024-03-16T20:00:00-04:00",
      "city": "Fairfax", "region": "VA",
      "body": "Ask for Mia, 15 years old, blonde hair, blue eyes, 5'2, 110 lbs, Fairfax, VA. "
              "Call 703 555 0142"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
XML = {"Content-Type": "application/xml"}


@pytest.fixture()
def store(tmp_path: Path):
    ads = tmp_path / "ads.jsonl"
    ads.write_text(json.dumps(AD) + "\n", encoding="utf-8")
    with Store(tmp_path / "api.db") as opened:
        run_scan([ads], opened, Screener(ScreenConfig()))
        add_user(opened, "ana", "analyst", PASSWORD)
        add_user(opened, "vic", "viewer", PASSWORD)
        yield opened


def test_post_alert_matches_stored_ads_and_lists_them(store: Store) -> None:
    client, auth = TestClient(app_for(store)), bearer(store, "ana")
    xml = (FIXTURES / "amber_1_2.xml").read_text(encoding="utf-8")
    posted = client.post("/api/v1/alerts", content=xml, headers={**XML, **auth})
    assert posted.status_code == 201, posted.text
    assert posted.json()["stored"] == 1 and posted.json()["matches"] == 1
    [alert] = client.get("/api/v1/alerts", headers=auth).json()
    assert alert["descriptors"]["child"]["name"] == "Mia Jane Tester"
    assert client.get(f"/api/v1/alerts/{alert['id']}", headers=auth).json()["state"] == "active"
    assert client.get("/api/v1/alerts/999", headers=auth).status_code == 404
    [match] = client.get("/api/v1/matches", params={"alert_id": alert["id"]},
                         headers=auth).json()
    assert match["ad_key"] == "ads:a1" and match["score"] >= 0.8
    assert any(e.action == "load_alert" and e.user_name == "ana"
               for e in audit.entries(store, 20))


def test_invalid_alert_is_refused_with_reason_and_quarantined(store: Store) -> None:
    client = TestClient(app_for(store))
    xml = (FIXTURES / "invalid_schema.xml").read_text(encoding="utf-8")
    answer = client.post("/api/v1/alerts", content=xml, headers={**XML, **bearer(store, "ana")})
    assert answer.status_code == 422 and "Urgent" in answer.json()["detail"]
    [kept] = store.quarantined()
    assert kept.file == "api" and "Urgent" in kept.reason


def test_watchlist_add_list_and_remove(store: Store) -> None:
    client, auth = TestClient(app_for(store)), bearer(store, "ana")
    added = client.post("/api/v1/watchlist", json={"kind": "phone", "value": "703-555-0142"},
                        headers=auth)
    assert added.status_code == 201
    body = added.json()
    assert body["entry"]["value"] == "+17035550142"
    assert [m["ad_key"] for m in body["matches"]] == ["ads:a1"]
    assert len(client.get("/api/v1/watchlist", headers=auth).json()) == 1
    refused = client.post("/api/v1/watchlist", json={"kind": "email", "value": "nope"},
                          headers=auth)
    assert refused.status_code == 422 and "e-mail" in refused.json()["detail"]
    gone = client.delete(f"/api/v1/watchlist/{body['entry']['id']}", headers=auth)
    assert gone.status_code == 204
    assert client.get("/api/v1/watchlist", headers=auth).json() == []


def test_viewers_read_alerts_but_cannot_write(store: Store) -> None:
    client, auth = TestClient(app_for(store)), bearer(store, "vic")
    assert client.get("/api/v1/alerts", headers=auth).status_code == 200
    xml = (FIXTURES / "amber_1_2.xml").read_text(encoding="utf-8")
    assert client.post("/api/v1/alerts", content=xml, headers={**XML, **auth}).status_code == 403
    assert client.post("/api/v1/watchlist", json={"kind": "keyword", "value": "x"},
                       headers=auth).status_code == 403
    assert client.get("/api/v1/alerts", headers=bearer(store, "vic")).json() == []


def _routers_in_package() -> list[str]:
    """Every APIRouter the package defines (a module-level object, or a function that builds
    one), as "module.name"."""
    found = []
    for info in pkgutil.walk_packages(amberline.__path__, "amberline."):
        if ".migrations" in info.name:  # Alembic scripts run only under Alembic
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if getattr(value, "__module__", module.__name__) != module.__name__:
                continue
            builds = callable(value) and "APIRouter" in str(
                getattr(value, "__annotations__", {}).get("return", ""))
            if isinstance(value, APIRouter) or builds:
                found.append(f"{info.name}.{name}")
    return found


def test_every_router_is_mounted_and_no_write_endpoint_is_open_to_anonymous(store: Store
                                                                           ) -> None:
    app = app_for(store)
    mounted = {id(getattr(r, "original_router", None)) for r in app.routes}
    unmounted = [name for name in _routers_in_package()
                 if not isinstance(obj := _resolve(name), APIRouter) or id(obj) not in mounted]
    assert unmounted == []
    client, writes = TestClient(app), 0
    for route in all_routes(app.routes):
        for method in sorted(set(route.methods or ()) & WRITES):
            if route.path == "/login":
                continue
            writes += 1
            path = route.path.replace("{", "").replace("}", "")
            path = "/".join("1" if part.endswith("_id") else part for part in path.split("/"))
            answer = client.request(method, path, content=b"{}",
                                    headers={"Content-Type": "application/json"})
            assert answer.status_code in (401, 403), (method, route.path, answer.status_code)
    assert writes >= 5


def _resolve(dotted: str) -> object:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)
