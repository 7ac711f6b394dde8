"""The conversation JSON API over real HTTP (uvicorn on a loopback port, httpx as the client),
on a real SQLite file and PostgreSQL: bearer tokens or a session with its CSRF header,
analysts only, the queue as the store ranks it with paging and filters, one conversation with
every flag pointing at its message text, search, decisions through the shared path, and an
audit entry for every read of message text and every decision. Synthetic, clinical
conversations only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from amberline.chats.records import Conversation, Message
from amberline.store import audit
from amberline.store import conversations as cs
from amberline.store.database import Store
from web_helpers import (
    BACKENDS,
    PASSWORD,
    app_for,
    bearer,
    csrf_of,
    database,
    live_server,
    store_chats,
)

HOSTILE = Conversation("hostile", [
    Message("<script>x</script>", "im 13 \u202e <img src=x> dont tell your mom", "t0"),
    Message("adult", "send me a photo &amp; \x7f lets keep this our secret", None),
], source="api.jsonl")


@pytest.fixture(scope="module", params=BACKENDS)
def env(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    folder = tmp_path_factory.mktemp("conversations-api")
    with database(request.param, folder, "api.db") as db:
        store = Store(db)
        store_chats(store, folder, 70, 9, HOSTILE)
        with live_server(app_for(store)) as base:
            yield store, base
        store.close()


def _client(store: Store, base: str, name: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=base, headers=bearer(store, name) if name else {}, timeout=60)


def _id(store: Store, key: str) -> int:
    found = cs.find_conversation(store, key)
    assert found is not None
    return found[0]


def test_signed_out_viewers_refused_analysts_and_admins_served(env) -> None:
    store, base = env
    cid = _id(store, "api.jsonl:hostile")
    with _client(store, base) as anonymous:
        assert anonymous.get("/api/v1/conversations").status_code == 401
        assert anonymous.get(f"/api/v1/conversations/{cid}").status_code == 401
    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": "Bearer not-a-token"}) as forged:
        assert forged.get("/api/v1/conversations").status_code == 401
    with _client(store, base, "vic") as viewer:
        before = audit.verify(store).count  # after the token's own audit entry
        for response in (viewer.get("/api/v1/conversations"),
                         viewer.get(f"/api/v1/conversations/{cid}"),
                         viewer.get("/api/v1/conversations", params={"q": "photo"}),
                         viewer.post("/api/v1/decisions", json={
                             "conversation_id": cid, "action": "clear", "note": "n"})):
            assert response.status_code == 403, response.text
            assert "analyst" in response.json()["detail"]
        assert audit.verify(store).count == before  # nothing read, nothing decided
    for name in ("ana", "alice"):
        with _client(store, base, name) as client:
            assert client.get("/api/v1/conversations").status_code == 200
            assert client.get(f"/api/v1/conversations/{cid}").status_code == 200


def test_queue_follows_the_store_ranking_pages_and_filters(env) -> None:
    store, base = env
    with _client(store, base, "ana") as client:
        seen: list[int] = []
        after = ""
        while True:
            page = client.get("/api/v1/conversations", params={"limit": 16, "after": after})
            assert page.status_code == 200, page.text
            body = page.json()
            assert body["hits"] == [] and len(body["items"]) <= 16
            seen += [row["id"] for row in body["items"]]
            if body["next"] is None:
                break
            after = body["next"]
        expected, _ = cs.queue_page(store, limit=1000)
        assert seen == [r.id for r in expected] and len(seen) == 71
        first = client.get("/api/v1/conversations", params={"limit": 1}).json()["items"][0]
        top = expected[0]
        assert (first["key"], first["score"], first["alert"], first["categories"],
                first["status"]) == (top.key, top.score, top.alert, top.categories, top.status)
        alerts = client.get("/api/v1/conversations",
                            params={"alerts": "true", "limit": 200}).json()["items"]
        flagged = {r.id for r in cs.queue_page(store, alerts_only=True, limit=1000)[0]}
        assert {r["id"] for r in alerts} == flagged and flagged and len(flagged) < 71
        secrecy = client.get("/api/v1/conversations",
                             params={"category": "secrecy", "limit": 200}).json()["items"]
        assert secrecy and all("secrecy" in r["categories"] for r in secrecy)
        for bad in ({"status": "maybe"}, {"after": "x:y"}, {"after": "1:99999999999999999999"}):
            response = client.get("/api/v1/conversations", params=bad)
            assert response.status_code == 400, (bad, response.text)
        for bad in ({"limit": 0}, {"limit": 201}, {"min_score": "nan"}, {"min_score": 2},
                    {"q": "x" * 501}):
            response = client.get("/api/v1/conversations", params=bad)
            assert response.status_code == 422, (bad, response.text)


def test_one_conversation_with_flags_pointing_at_their_text_is_audited(env) -> None:
    store, base = env
    cid = _id(store, "api.jsonl:hostile")
    with _client(store, base, "ana") as client:
        before = audit.verify(store).count
        response = client.get(f"/api/v1/conversations/{cid}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert client.get("/api/v1/conversations/999999").status_code == 404
        assert client.get(f"/api/v1/conversations/{2**40}").status_code == 422
    stored = cs.get_conversation(store, cid)
    assert stored is not None
    assert body["key"] == "api.jsonl:hostile" and body["score"] == stored.score
    assert [(m["author"], m["text"], m["time"]) for m in body["messages"]] == [
        (m.author, m.text, m.time) for m in HOSTILE.messages]  # text exactly as written
    assert body["flags"] and len(body["flags"]) == len(stored.flags)
    for flag in body["flags"]:
        message = body["messages"][flag["message"]]
        assert message["text"][flag["start"]:flag["end"]] == flag["term"]
        assert flag["author"] == message["author"] and flag["rule"] and flag["citation"]
    assert {f["category"] for f in body["flags"]} >= {"has_minor", "secrecy", "self_generated"}
    assert body["authors"]["adult"] == sorted({f["category"] for f in body["flags"]
                                               if f["author"] == "adult"})
    written = audit.entries(store, audit.verify(store).count - before)
    assert [(e.action, e.target, e.user_name, e.detail["via"]) for e in written] == [
        ("view_conversation", f"conversation:{cid}", "ana", "api")]


def test_search_returns_the_matching_message_and_is_audited(env) -> None:
    store, base = env
    with _client(store, base, "ana") as client:
        before = audit.verify(store).count
        body = client.get("/api/v1/conversations", params={"q": "secret"}).json()
    assert body["items"] == [] and body["next"] is None
    hit = next(h for h in body["hits"] if h["conversation"]["key"] == "api.jsonl:hostile")
    assert hit["position"] == 1 and hit["author"] == "adult"
    assert "\x02secret\x03" in hit["snippet"]
    [entry] = audit.entries(store, audit.verify(store).count - before)
    assert entry.action == "search" and entry.detail["kind"] == "conversations"
    assert entry.detail["hits"] == len(body["hits"])


def test_decisions_through_the_shared_path_with_token_or_session(env) -> None:
    store, base = env
    cid = _id(store, "api.jsonl:hostile")
    with _client(store, base, "ana") as client:
        before = audit.verify(store).count
        made = client.post("/api/v1/decisions", json={
            "conversation_id": cid, "action": "escalate", "note": "stated age and secrecy"})
        assert made.status_code == 200, made.text
        [decision_id] = made.json()["ids"]
        written = audit.entries(store, audit.verify(store).count - before)
        assert [(e.action, e.target, e.detail["via"]) for e in written] == [
            ("decision", f"conversation:{cid}", "api")]
        assert written[0].detail["decision_ids"] == [decision_id]
        body = client.get(f"/api/v1/conversations/{cid}").json()
        assert [(d["id"], d["action"], d["conversation_id"], d["user_name"])
                for d in body["decisions"]][:1] == [(decision_id, "escalate", cid, "ana")]
        escalated = client.get("/api/v1/conversations",
                               params={"status": "escalate", "limit": 200}).json()["items"]
        assert cid in {r["id"] for r in escalated}
        for bad, code in (({"conversation_id": 999999, "action": "clear", "note": "n"}, 404),
                          ({"conversation_id": cid, "ad_id": 1, "action": "clear",
                            "note": "n"}, 422),
                          ({"conversation_id": cid, "action": "maybe", "note": "n"}, 422),
                          ({"conversation_id": cid, "action": "clear", "note": "  "}, 422),
                          ({"conversation_id": 0, "action": "clear", "note": "n"}, 422)):
            response = client.post("/api/v1/decisions", json=bad)
            assert response.status_code == code, (bad, response.text)
    with httpx.Client(base_url=base, timeout=60) as session:  # a signed-in browser session
        csrf = csrf_of(session.get("/login").text)
        signed = session.post("/login", data={"name": "ana", "password": PASSWORD,
                                              "csrf": csrf})
        assert signed.status_code in (200, 303)
        decision = {"conversation_id": cid, "action": "report", "note": "for the hotline"}
        assert session.post("/api/v1/decisions", json=decision).status_code == 403  # no CSRF
        token = csrf_of(session.get(f"/conversations/{cid}").text)
        done = session.post("/api/v1/decisions", json=decision,
                            headers={"X-CSRF-Token": token})
        assert done.status_code == 200, done.text
        assert session.get(f"/api/v1/conversations/{cid}").json()["decisions"][0][
            "action"] == "report"
    assert audit.verify(store).ok


def test_openapi_publishes_the_conversation_api(env) -> None:
    store, base = env
    with _client(store, base, "ana") as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/conversations", "/api/v1/conversations/{conversation_id}"} <= set(paths)
    assert "conversation_id" in str(paths["/api/v1/decisions"]) or paths["/api/v1/decisions"]
