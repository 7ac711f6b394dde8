"""Shared set-up for the workspace tests: a seeded store on each backend, users, sign-in helpers.

A plain module (not conftest.py) so the workspace's fixtures stay out of other areas' tests.
Test modules parametrise their store fixtures with `BACKENDS` and open the store at
`database(request.param, folder)`: every workspace test runs on SQLite and, when
AMBERLINE_TEST_PG_URL names a server (CI's `.ci/services/postgres.sh` exports it), on
PostgreSQL too, each store in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from amberline.chats.ingest import read_conversations
from amberline.chats.records import Conversation
from amberline.chats.rules import default_rules
from amberline.chats.screen import screen_batch
from amberline.chats.synth import write_chats
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.accounts import add_user, new_token
from amberline.store.conversations import write_conversations
from amberline.store.database import Store
from amberline.synth.generate import write_corpus
from amberline.web.app import Settings, create_app
from pg_helpers import PG_URL, pg_schema

PASSWORD = "correct horse battery"
USERS = {"alice": "admin", "ana": "analyst", "vic": "viewer"}
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="set AMBERLINE_TEST_PG_URL to run the workspace tests on PostgreSQL"))]
_SCREENER: Screener | None = None


@contextmanager
def database(backend: str, folder: Path, name: str = "ws.db") -> Iterator[str]:
    """Where a fresh store goes: a SQLite file in `folder`, or a PostgreSQL schema of its own
    (dropped on exit: close the store inside the `with`)."""
    if backend == "sqlite":
        yield str(folder / name)
        return
    with pg_schema("amberline_web") as url:
        yield url


def screener() -> Screener:
    global _SCREENER
    if _SCREENER is None:
        _SCREENER = Screener()
    return _SCREENER


def seed(tmp_path: Path, n_ads: int = 300, seed: int = 11, db: str | None = None) -> Store:
    """A store (at `db`, else a SQLite file in `tmp_path`) with a synthetic clinical corpus
    scanned in, and one user of each role."""
    corpus = tmp_path / "ads.jsonl"
    write_corpus(corpus, n_ads, seed)
    store = Store(db or tmp_path / "ws.db")
    run_scan([corpus], store, screener(), on_stored=default_hooks(store))
    for name, role in USERS.items():
        add_user(store, name, role, PASSWORD)
    return store


def store_chats(store: Store, folder: Path, n: int, seed: int, *extra: Conversation) -> None:
    """Screen `n` synthetic conversations plus `extra` by the rules and store them, with the
    workspace's users."""
    path = folder / "chats.jsonl"
    write_chats(path, n, seed=seed)
    convs = [c for c in read_conversations(path) if isinstance(c, Conversation)]
    convs.extend(extra)
    write_conversations(store, None, list(zip(convs, screen_batch(convs, default_rules()),
                                              strict=True)))
    for name, role in USERS.items():
        add_user(store, name, role, PASSWORD)


def app_for(store: Store, **settings: object):
    app = create_app(store, Settings(secret_key="test-secret", **settings))  # type: ignore[arg-type]
    app.state.screener = screener()
    return app


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def signed_in(app, name: str) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def bearer(store: Store, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_token(store, name)}"}


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread: real HTTP, real sockets.
    Yields the base URL; the server is stopped on exit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # generous: a loaded machine starts slowly
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
