"""The workspace's conversation pages over HTTP (the app's test client), on a real SQLite file
and PostgreSQL: analysts only, the queue by score, messages with flagged spans highlighted and
authors shown, hostile text escaped, search, decisions through the shared write path with
their audit entries, and the hotline report export. Synthetic, clinical conversations only."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from amberline.chats.records import Conversation, Message
from amberline.report.cybertip_schema import validate_report
from amberline.store import audit
from amberline.store import conversations as cs
from amberline.store.database import Store
from test_report_cli import reporter_config
from web_helpers import BACKENDS, app_for, csrf_of, database, signed_in, store_chats

HOSTILE = Conversation("hostile", [
    Message("<script>alert(1)</script>", "im 13 <img src=x onerror=alert(2)> dont tell your mom"),
    Message("adult", "send me a photo &amp; \u202e <b>now</b>"),
], source="fixture.jsonl")


@pytest.fixture(scope="module", params=BACKENDS)
def env(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    folder = tmp_path_factory.mktemp("conversations")
    with database(request.param, folder, "conv.db") as db:
        store = Store(db)
        store_chats(store, folder, 80, 4, HOSTILE)
        yield store, reporter_config(folder)
        store.close()


def _id(store: Store, key: str) -> int:
    found = cs.find_conversation(store, key)
    assert found is not None
    return found[0]


def test_only_analysts_and_admins_read_conversations(env) -> None:
    store, _ = env
    app = app_for(store)
    anonymous = TestClient(app).get("/conversations", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    viewer = signed_in(app, "vic")
    assert viewer.get("/conversations").status_code == 403
    assert viewer.get("/conversations/1").status_code == 403
    assert "/conversations" not in viewer.get("/").text  # no menu entry either
    csrf = csrf_of(viewer.get("/").text)
    assert viewer.post("/conversations/1/decisions",
                       data={"action": "clear", "note": "n", "csrf": csrf}).status_code == 403
    for name in ("ana", "alice"):
        assert signed_in(app, name).get("/conversations").status_code == 200


def test_queue_is_ranked_by_score_filtered_and_paged(env) -> None:
    store, _ = env
    client = signed_in(app_for(store), "ana")
    page = client.get("/conversations")
    assert page.status_code == 200
    ids = [int(x) for x in _rows(page.text)]
    expected, cursor = cs.queue_page(store, limit=50)
    assert ids == [r.id for r in expected] and cursor is not None
    second = client.get("/conversations", params={"after": f"{cursor[0]!r}:{cursor[1]}"})
    assert set(_rows(second.text)).isdisjoint(map(str, ids)) and _rows(second.text)
    alerts = client.get("/conversations", params={"alerts": "1"})
    flagged = {r.id for r in cs.queue_page(store, alerts_only=True, limit=500)[0]}
    assert {int(x) for x in _rows(alerts.text)} == flagged and flagged
    assert client.get("/conversations", params={"min_score": "nan"}).status_code == 400
    assert client.get("/conversations", params={"status": "maybe"}).status_code == 400
    assert client.get("/conversations", params={"after": "x:y"}).status_code == 400


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr data-conversation="(\d+)">', text)


def test_conversation_page_highlights_flags_by_author_and_escapes_everything(env) -> None:
    store, _ = env
    cid = _id(store, "fixture.jsonl:hostile")
    client = signed_in(app_for(store), "ana")
    before = audit.verify(store).count
    page = client.get(f"/conversations/{cid}")
    assert page.status_code == 200
    text = page.text
    assert "<script>alert(1)</script>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the author, shown as text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
    assert "&amp;amp;" in text and "<b>now</b>" not in text
    conv = cs.get_conversation(store, cid)
    assert conv is not None and conv.flags
    for flag in conv.flags:  # each flag's span is a <mark> naming category, term and rule
        span = html.escape(conv.messages[flag.message].text[flag.start:flag.end], quote=False)
        assert f">{span}</mark>" in text
        assert f"rule {flag.rule}" in text and f"flag-{flag.category}" in text
    assert 'id="m0"' in text and 'id="m1"' in text
    [entry] = audit.entries(store, audit.verify(store).count - before)
    assert entry.action == "view_conversation" and entry.target == f"conversation:{cid}"
    assert client.get("/conversations/999999").status_code == 404
    assert client.get(f"/conversations/{2**40}").status_code == 404
    assert "<img" not in text.split("<main>")[1]  # text only: no media on the page


def test_search_over_messages_is_audited(env) -> None:
    store, _ = env
    client = signed_in(app_for(store), "ana")
    before = audit.verify(store).count
    page = client.get("/conversations", params={"q": "onerror"})
    assert page.status_code == 200
    assert _rows(page.text) == [str(_id(store, "fixture.jsonl:hostile"))]
    assert "<mark>onerror</mark>" in page.text  # the match marked, the rest escaped
    [entry] = audit.entries(store, audit.verify(store).count - before)
    assert entry.action == "search" and entry.detail["kind"] == "conversations"
    assert client.get("/conversations", params={"q": "x" * 501}).status_code == 400


def test_decisions_use_the_shared_path_and_are_audited(env) -> None:
    store, _ = env
    cid = _id(store, "fixture.jsonl:hostile")
    client = signed_in(app_for(store), "ana")
    csrf = csrf_of(client.get(f"/conversations/{cid}").text)
    assert client.post(f"/conversations/{cid}/decisions",
                       data={"action": "escalate", "note": "n"}).status_code == 403  # no CSRF
    assert client.post(f"/conversations/{cid}/decisions",
                       data={"action": "maybe", "note": "n", "csrf": csrf}).status_code == 400
    assert client.post("/conversations/999999/decisions",
                       data={"action": "escalate", "note": "n", "csrf": csrf}
                       ).status_code == 404
    before = audit.verify(store).count
    done = client.post(f"/conversations/{cid}/decisions", follow_redirects=False,
                       data={"action": "escalate", "note": "stated age, secrecy",
                             "csrf": csrf})
    assert done.status_code == 303
    written = audit.entries(store, audit.verify(store).count - before)
    assert [(e.action, e.target, e.user_name) for e in written] == [
        ("decision", f"conversation:{cid}", "ana")]
    page = client.get(f"/conversations/{cid}").text
    assert "stated age, secrecy" in page and "this conversation" in page
    escalated = client.get("/conversations", params={"status": "escalate"})
    assert str(cid) in _rows(escalated.text)
    assert audit.verify(store).ok


def test_hotline_report_export(env) -> None:
    store, config = env
    key = "fixture.jsonl:hostile"
    cid = _id(store, key)
    no_config = signed_in(app_for(store), "ana")
    assert no_config.get(f"/exports/conversations/{cid}/report.xml").status_code == 409
    app = app_for(store, reporter_config=config)
    client = signed_in(app, "ana")
    assert "Download report XML" in client.get(f"/conversations/{cid}").text
    undecided = next(r.id for r in cs.queue_page(store, status="open")[0] if r.id != cid)
    assert client.get(f"/exports/conversations/{undecided}/report.xml").status_code == 409
    from amberline.store.decisions import record_decision

    record_decision(store, action="report", note="to the hotline", user_name="ana",
                    conversation=cid)
    assert client.get(f"/exports/conversations/{cid}/report.xml",
                      params={"reported_author": "nobody"}).status_code == 409
    assert signed_in(app, "vic").get(
        f"/exports/conversations/{cid}/report.xml").status_code == 403
    before = audit.verify(store).count
    response = client.get(f"/exports/conversations/{cid}/report.xml",
                          params={"reported_author": "adult"})
    assert response.status_code == 200, response.text
    assert validate_report(response.content) == []
    body = response.content.decode()
    assert "<chatImIncident>" in body and "<screenName>adult</screenName>" in body
    assert "Online Enticement of Children for Sexual Act" in body
    assert "&lt;script&gt;" in body and "<script>" not in body
    [entry] = audit.entries(store, audit.verify(store).count - before)
    assert entry.action == "export" and entry.target == f"conversation:{cid}"
    assert entry.detail["kind"] == "report_xml" and entry.detail["conversation"] == key
