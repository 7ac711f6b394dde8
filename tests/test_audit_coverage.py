"""Every action that changes state or sends data outside writes an audit entry (issue 13).

One test walks the CLI command registry, one the workspace's mounted routes. Each command and
each state-changing route (any method but GET, and every export) is either run here and must
append its named audit action, or is listed in NOT_AUDITED with the reason. A new command or
route in neither list fails, so nothing new can skip the audit log unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.main import get_command
from typer.testing import CliRunner

from alerts_support import FIXTURES, http_server
from amberline.chats.rules import default_rules
from amberline.chats.screen import screen_batch
from amberline.cli import app as cli
from amberline.report.standin import StandinServer
from amberline.store import audit
from amberline.store.accounts import add_user
from amberline.store.conversations import conversation_key, write_conversations
from amberline.store.database import Store
from report_fixtures import KEY_A, KEY_B, screened
from test_chats_store import GROOMING
from test_report_cli import reporter_config
from test_web_auth import all_routes
from web_helpers import BACKENDS, PASSWORD, app_for, bearer, csrf_of, database, signed_in

CONVERSATION = conversation_key(GROOMING)
NOT_AUDITED = {
    "scan": "stores ads; each run is kept in the scans table with its counts and quarantine",
    "extract": "reads input, writes to stdout, nothing stored or sent",
    "show": "read only", "top": "read only", "search": "read only", "find": "read only",
    "networks": "read only", "network": "read only", "matches": "read only",
    "doctor": "read only (changes nothing, says so)", "audit verify": "reads the log",
    "synth": "writes an invented corpus, no case data",
    "serve": "starts the workspace, whose routes are checked by the route walk",
    "link": "derives networks from stored ads; no analyst decision or outside transfer",
    "quarantine": "read only",
    "chats screen": "scores conversations; with --db stores them like scan (a scans row with"
                    " its counts, bad records in the quarantine)",
    "chats train": "writes a model file from labelled conversations, no case data",
    "alerts list": "read only", "alerts show": "read only", "alerts parse": "read only",
    "watchlist list": "read only",
}


def _commands() -> set[str]:
    def walk(command, prefix: str = ""):
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield prefix
            return
        for name, sub in subcommands.items():
            yield from walk(sub, f"{prefix} {name}".strip())

    return set(walk(get_command(cli)))


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path: Path):
    with database(request.param, tmp_path, "coverage.db") as db:
        s = Store(db)
        s.write_new(None, list(screened()))
        write_conversations(s, None, [(GROOMING, screen_batch([GROOMING], default_rules())[0])])
        add_user(s, "ana", "analyst", PASSWORD)
        add_user(s, "alice", "admin", PASSWORD)
        yield s
        s.close()


def _db(store: Store) -> str:
    if store.engine.dialect.name == "sqlite":
        return str(store.engine.url.database)
    return store.engine.url.render_as_string(hide_password=False)


def test_every_command_that_changes_state_or_sends_data_writes_an_audit_entry(
        store: Store, tmp_path: Path) -> None:
    cap = (FIXTURES / "update_1_2.xml").read_bytes()
    watch_csv = tmp_path / "watch.csv"
    watch_csv.write_text("kind,value,label\nemail,watch@example.org,test\n", encoding="utf-8")
    notify = tmp_path / "notify.toml"
    with StandinServer("amberline", "s3cret") as server, \
            http_server(lambda request, body: (200, cap)) as feed:
        notify.write_text(f'[[webhook]]\nurl = "{feed}/hook"\nsecret = "s"\n', encoding="utf-8")
        config = reporter_config(tmp_path, server.base_url)
        runs: list[tuple[str, list[str], str, set[str]]] = [  # name, args, stdin, actions
            ("decide", ["decide", KEY_A, "--action", "report", "--note", "stated age",
                        "--user", "ana"], "", {"decision"}),
            ("case-file", ["case-file", KEY_A, "--out", str(tmp_path / "case")], "",
             {"export"}),
            ("takedowns", ["takedowns", "--out", str(tmp_path / "t.csv")], "", {"export"}),
            ("export", ["export", "--out", str(tmp_path / "pq")], "", {"export"}),
            ("report build", ["report", "build", KEY_A, "--reporter-config", str(config),
                              "--out", str(tmp_path / "r.xml")], "", {"export"}),
            ("report submit", ["report", "submit", KEY_A, "--reporter-config", str(config),
                               "--call-log", str(tmp_path / "calls.jsonl")], "",
             {"report_submit", "report_submitted"}),
            ("decide", ["decide", "--conversation", CONVERSATION, "--action", "report",
                        "--note", "secrecy and an image request", "--user", "ana"], "",
             {"decision"}),
            ("case-file", ["case-file", "--conversation", CONVERSATION, "--out",
                           str(tmp_path / "chat-case")], "", {"export"}),
            ("chats report", ["chats", "report", CONVERSATION, "--reporter-config",
                              str(config), "--out", str(tmp_path / "chat.xml")], "", {"export"}),
            ("unlink", ["unlink", KEY_A, KEY_B, "--note", "different people", "--user", "ana"],
             "", {"not_linked"}),
            ("alerts load", ["alerts", "load", str(FIXTURES / "amber_1_1.xml")], "",
             {"load_alert"}),
            ("alerts poll", ["alerts", "poll", f"{feed}/cap", "--max-polls", "1",
                             "--allow-network", "127.0.0.1/32"], "", {"load_alert"}),
            ("watchlist add", ["watchlist", "add", "phone", "+1 202 555 0143"], "", {"watch"}),
            ("watchlist import", ["watchlist", "import", str(watch_csv)], "", {"watch"}),
            ("watchlist from-alert", ["watchlist", "from-alert", "1"], "", {"watch"}),
            ("watchlist remove", ["watchlist", "remove", "1"], "", {"unwatch"}),
            ("alerts resend", ["alerts", "resend", "--notify", str(notify)], "",
             {"notify_resend"}),
            ("alerts close", ["alerts", "close", "1"], "", {"close_alert"}),
            ("users add", ["users", "add", "newbie", "--password-stdin"], PASSWORD + "\n",
             {"user_add"}),
            ("users token", ["users", "token", "newbie"], "", {"token_issue"}),
            ("users revoke", ["users", "revoke", "newbie"], "", {"token_revoke"}),
            ("users sign-out", ["users", "sign-out", "newbie"], "", {"sessions_end"}),
            ("users passwd", ["users", "passwd", "newbie", "--password-stdin"],
             "a new long password\n", {"user_passwd"}),
            ("users unlock", ["users", "unlock", "newbie"], "", {"user_unlock"}),
            ("users disable", ["users", "disable", "newbie"], "", {"user_disable"}),
            ("users enable", ["users", "enable", "newbie"], "", {"user_enable"}),
            ("users remove", ["users", "remove", "newbie"], "", {"user_remove"}),
        ]
        linked = CliRunner().invoke(cli, ["link", "--db", _db(store)])  # networks to split
        assert linked.exit_code == 0, linked.output
        for name, args, stdin, actions in runs:
            before = audit.verify(store).count
            result = CliRunner().invoke(cli, [*args, "--db", _db(store)], input=stdin,
                                        env={"TEST_CT_PASSWORD": "s3cret"})
            assert result.exit_code == 0, (name, result.output, result.exception)
            written = audit.entries(store, audit.verify(store).count - before)
            assert actions <= {e.action for e in written}, (name, written)
            assert all(e.user_name for e in written)
    assert audit.verify(store).ok
    registered = _commands()
    audited = {name for name, *_ in runs}
    assert registered - audited - NOT_AUDITED.keys() == set(), "classify new commands here"
    assert audited <= registered and not audited & NOT_AUDITED.keys()


def _sign_in(app, name: str):
    client = TestClient(app)
    return client.post("/login", data={"name": name, "password": PASSWORD,
                                       "csrf": csrf_of(client.get("/login").text)})


def test_every_state_changing_route_writes_an_audit_entry(store: Store, tmp_path: Path) -> None:
    app = app_for(store, reporter_config=reporter_config(tmp_path))
    token = bearer(store, "ana")
    xml = (FIXTURES / "amber_1_2.xml").read_text(encoding="utf-8")
    session = signed_in(app, "ana")  # POST /login, audited as "login" (checked below)
    csrf = csrf_of(session.get("/ads/1").text)
    api = TestClient(app, headers=token)
    watch: dict[str, int] = {}

    def add_watch():
        response = api.post("/api/v1/watchlist", json={"kind": "keyword", "value": "fresh"})
        watch["id"] = response.json()["entry"]["id"]
        return response

    calls = {  # (method, route path): (call, audit action)
        ("POST", "/login"): (lambda: _sign_in(app, "alice"), "login"),
        ("POST", "/ads/{ad_id}/decisions"): (lambda: session.post(
            "/ads/1/decisions", data={"action": "escalate", "note": "n", "csrf": csrf}),
            "decision"),
        ("POST", "/networks/{network_id}/decisions"): (lambda: session.post(
            "/networks/ad-1/decisions", data={"action": "escalate", "note": "n",
                                              "csrf": csrf}), "decision"),
        ("GET", "/exports/queue.{fmt}"): (lambda: session.get("/exports/queue.csv"), "export"),
        ("GET", "/exports/networks/{network_id}.{fmt}"): (
            lambda: session.get("/exports/networks/ad-1.json"), "export"),
        ("POST", "/api/v1/ads"): (lambda: api.post("/api/v1/ads", json={"ads": [
            {"source": "cov.example", "body": "Coverage test ad"}]}), "push"),
        ("POST", "/api/v1/decisions"): (lambda: api.post("/api/v1/decisions", json={
            "ad_id": 2, "action": "report", "note": "n"}), "decision"),
        ("POST", "/api/v1/alerts"): (lambda: api.post(
            "/api/v1/alerts", content=xml, headers={"Content-Type": "application/xml"}),
            "load_alert"),
        ("POST", "/api/v1/watchlist"): (add_watch, "watch"),
        ("DELETE", "/api/v1/watchlist/{entry_id}"): (
            lambda: api.delete(f"/api/v1/watchlist/{watch['id']}"), "unwatch"),
        ("POST", "/networks/{network_id}/not-linked"): (lambda: session.post(
            "/networks/ad-1/not-linked", data={"ad_a": "1", "ad_b": "2", "note": "different",
                                               "csrf": csrf}), "not_linked"),
        ("POST", "/conversations/{conversation_id}/decisions"): (lambda: session.post(
            "/conversations/1/decisions", data={"action": "report", "note": "n", "csrf": csrf}),
            "decision"),
        ("GET", "/exports/conversations/{conversation_id}/report.xml"): (
            lambda: session.get("/exports/conversations/1/report.xml"), "export"),
        ("POST", "/logout"): (lambda: session.post("/logout", data={"csrf": csrf}), "logout"),
    }
    for (method, path), (call, action) in calls.items():
        before = audit.verify(store).count
        response = call()
        assert response.status_code < 400, (method, path, response.status_code, response.text)
        written = audit.entries(store, audit.verify(store).count - before)
        assert action in {e.action for e in written}, (method, path, written)

    changing = {(method, route.path) for route in all_routes(app.routes)
                for method in route.methods or ()
                if method not in ("GET", "HEAD") or route.path.startswith("/exports/")}
    assert changing == calls.keys()  # a new state-changing route must be added here
