"""The push API: batches screened and stored at once, per-ad results, 422s that name the field,
413 for oversized bodies (declared or streamed), nothing half-stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from web_helpers import BACKENDS, app_for, bearer, database, seed

AD = {"source": "platform-x", "source_id": "p1", "title": "Sweet new girl in town",
      "body": "Ask for Mia, call 703 555 0142", "city": "Springfield", "region": "IL",
      "posted_at": "2026-01-05T10:00:00Z"}


@pytest.fixture(params=BACKENDS)
def env(request, tmp_path):
    with database(request.param, tmp_path) as db:
        store = seed(tmp_path, n_ads=20, db=db)
        app = app_for(store, max_body_bytes=64 * 1024)
        yield store, TestClient(app), bearer(store, "ana")
        store.close()


def test_push_screens_stores_and_reports_each_ad(env) -> None:
    store, client, headers = env
    before = store.counts()["ads"]
    second = {**AD, "source_id": "p2", "body": "Quiet evening, text 703 555 0199"}
    response = client.post("/api/v1/ads", headers=headers, json={"ads": [AD, second]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stored"] == 2 and body["duplicates"] == 0
    first = body["results"][0]
    assert first["key"] == "platform-x:p1" and first["status"] == "stored"
    assert any(f["term"].lower() == "new girl" and f["rule"] for f in first["flags"])
    assert store.counts()["ads"] == before + 2
    stored = client.get(f"/api/v1/ads/{first['id']}", headers=headers).json()
    assert stored["score"] == pytest.approx(first["score"])
    assert {"kind": "phone", "value": "+17035550142"}.items() <= next(
        s for s in stored["spans"] if s["kind"] == "phone").items()
    again = client.post("/api/v1/ads", headers=headers, json={"ads": [AD]}).json()
    assert again["results"][0] == {**first, "status": "duplicate"}
    assert store.counts()["ads"] == before + 2


def test_an_ad_repeated_within_one_push_is_stored_and_linked_once(env) -> None:
    """Found by schemathesis: the same ad twice in one batch made the link-keys hook insert
    its signature twice (a 500). Hooks now see each newly stored key once."""
    store, client, headers = env
    before = store.counts()["ads"]
    repeated = {**AD, "source_id": "p9"}
    response = client.post("/api/v1/ads", headers=headers, json={"ads": [repeated, repeated]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stored"], body["duplicates"]) == (1, 1)
    assert [r["status"] for r in body["results"]] == ["stored", "duplicate"]
    assert store.counts()["ads"] == before + 1


def test_bad_payload_gets_422_naming_the_field_and_nothing_is_stored(env) -> None:
    store, client, headers = env
    before = store.counts()["ads"]
    bad = {"ads": [AD, {"source": "platform-x", "source_id": "p9", "title": "", "body": " "},
                   {**AD, "source_id": "p10", "colour": "red"}]}
    response = client.post("/api/v1/ads", headers=headers, json=bad)
    assert response.status_code == 422
    fields = {(e["field"], e["reason"]) for e in response.json()["detail"]}
    assert any(f.startswith("body.ads.1") and "title or a body" in r for f, r in fields)
    assert any(f == "body.ads.2.colour" for f, _ in fields)
    assert store.counts()["ads"] == before
    nul = client.post("/api/v1/ads", headers=headers, json={"ads": [{**AD, "body": "a\u0000b"}]})
    assert nul.status_code == 422 and nul.json()["detail"][0]["field"] == "body.ads.0.body"
    assert client.post("/api/v1/ads", headers=headers, json={"ads": []}).status_code == 422


def test_oversized_bodies_get_413_declared_or_streamed(env) -> None:
    store, client, headers = env
    before = store.counts()["ads"]
    big = {"ads": [{**AD, "source_id": str(i), "body": "x" * 9000} for i in range(10)]}
    assert client.post("/api/v1/ads", headers=headers, json=big).status_code == 413

    def chunks():  # no Content-Length: the size is only known as it streams in
        yield b'{"ads": ['
        for i in range(20):
            yield (b"," if i else b"") + (b'{"source": "s", "body": "' + b"y" * 5000 + b'"}')
        yield b"]}"

    streamed = client.post("/api/v1/ads", headers={**headers, "content-type": "application/json"},
                           content=chunks())
    assert streamed.status_code == 413
    assert store.counts()["ads"] == before


def test_decisions_and_networks_through_the_api(env) -> None:
    _, client, headers = env
    pushed = client.post("/api/v1/ads", headers=headers, json={"ads": [
        AD, {**AD, "source_id": "p2", "city": "Peoria", "posted_at": "2026-01-09T10:00:00Z"}]})
    ids = [r["id"] for r in pushed.json()["results"]]
    network = client.get(f"/api/v1/networks/ad-{ids[0]}", headers=headers).json()
    assert set(ids) <= {m["id"] for m in network["members"]}
    assert ["phone", "+17035550142"] in [[k["kind"], k["value"]] for k in network["keys"]]
    assert [p["city"] for p in network["path"]][-2:] == ["Springfield", "Peoria"]
    made = client.post("/api/v1/decisions", headers=headers, json={
        "network_id": f"ad-{ids[0]}", "action": "takedown", "note": "same phone"})
    assert made.status_code == 200 and len(made.json()["ids"]) == len(network["members"]) + 1
    ad = client.get(f"/api/v1/ads/{ids[1]}", headers=headers).json()
    assert ad["decisions"][0]["action"] == "takedown"
    assert client.post("/api/v1/decisions", headers=headers, json={
        "ad_id": ids[0], "action": "escalate", "note": "   "}).status_code == 422
    assert client.post("/api/v1/decisions", headers=headers, json={
        "ad_id": 10**9, "action": "escalate", "note": "x"}).status_code == 404
    assert client.get("/api/v1/ads/999999", headers=headers).status_code == 404


def test_openapi_schema_describes_the_push_api(env) -> None:
    _, client, headers = env
    schema = client.get("/openapi.json", headers=headers).json()
    assert {"/api/v1/ads", "/api/v1/ads/{ad_id}", "/api/v1/networks/{network_id}",
            "/api/v1/decisions"} <= set(schema["paths"])
