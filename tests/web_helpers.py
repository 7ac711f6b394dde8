"""Shared set-up for the workspace tests: a seeded SQLite store, users, sign-in helpers.

A plain module (not conftest.py) so the workspace's fixtures stay out of other areas' tests.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.database import Store
from amberline.synth.generate import write_corpus
from amberline.web.accounts import add_user, new_token
from amberline.web.app import Settings, create_app

PASSWORD = "correct horse battery"
USERS = {"alice": "admin", "ana": "analyst", "vic": "viewer"}
_SCREENER: Screener | None = None


def screener() -> Screener:
    global _SCREENER
    if _SCREENER is None:
        _SCREENER = Screener()
    return _SCREENER


def seed(tmp_path: Path, n_ads: int = 300, seed: int = 11) -> Store:
    """A store with a synthetic clinical corpus scanned in, and one user of each role."""
    corpus = tmp_path / "ads.jsonl"
    write_corpus(corpus, n_ads, seed)
    store = Store(tmp_path / "ws.db")
    run_scan([corpus], store, screener(), on_stored=default_hooks(store))
    for name, role in USERS.items():
        add_user(store, name, role, PASSWORD)
    return store


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
