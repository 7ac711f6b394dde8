"""Who may do what in the workspace: every route refused without a session or token (except
login and health), cookie flags, CSRF, roles, API tokens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from amberline.store import audit
from amberline.store.accounts import AccountError, add_user, authenticate, revoke_tokens
from web_helpers import (
    BACKENDS,
    PASSWORD,
    app_for,
    bearer,
    csrf_of,
    database,
    seed,
    signed_in,
)

OPEN = {"/login", "/health"}


@pytest.fixture(scope="module", params=BACKENDS)
def env(request, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("auth")
    with database(request.param, folder) as db:
        store = seed(folder, n_ads=60, db=db)
        yield store, app_for(store)
        store.close()


def all_routes(routes) -> list[Route]:
    """Every endpoint of the app, including those of included routers (which newer FastAPI
    versions keep as nested router objects rather than copying into `app.routes`)."""
    out: list[Route] = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            out += all_routes(nested.routes)
        elif isinstance(route, APIRoute | Route):
            out.append(route)
    return out


def _concrete(path: str) -> str:
    """A request path for a route template: every {param} filled with a plausible value."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_but_login_and_health_refuses_anonymous_requests(env) -> None:
    _, app = env
    client = TestClient(app)
    checked = 0
    for route in all_routes(app.routes):
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            path = _concrete(route.path)
            response = client.request(method, path, follow_redirects=False)
            if route.path in OPEN:
                assert response.status_code in (200, 400), (method, path, response.status_code)
                continue
            checked += 1
            refused = response.status_code in (401, 403) or (
                response.status_code == 303
                and response.headers["location"].startswith("/login"))
            assert refused, (method, path, response.status_code)
            # and a forged or expired cookie does not help
            client.cookies.set("amberline_session", "eyJ1IjoxfQ.forged.sig")
            forged = client.request(method, path, follow_redirects=False)
            client.cookies.clear()
            assert forged.status_code in (401, 403, 303), (method, path, forged.status_code)
    assert checked >= 15  # the walk really saw the app's routes


def test_session_cookie_is_httponly_and_samesite_strict(env) -> None:
    _, app = env
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf": token},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "amberline_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_wrong_password_and_missing_login_csrf_are_refused_and_counted(env) -> None:
    """A failed sign-in is counted (and reported with the next good one), not written to the
    audit log one entry each: anyone can send wrong passwords."""
    store, app = env
    client = TestClient(app, client=("10.9.9.9", 5000))
    token = csrf_of(client.get("/login").text)
    before = audit.verify(store).count
    bad = client.post("/login", data={"name": "vic", "password": "nope-nope", "csrf": token})
    assert bad.status_code == 401 and "amberline_session" not in bad.headers.get("set-cookie", "")
    no_csrf = client.post("/login", data={"name": "vic", "password": PASSWORD})
    assert no_csrf.status_code == 400
    assert audit.verify(store).count == before
    good = client.post("/login", data={"name": "vic", "password": PASSWORD,
                                       "csrf": csrf_of(client.get("/login").text)})
    assert good.status_code == 200
    (login,) = audit.entries(store, 1)
    assert login.action == "login" and login.detail["failed_before"] == 1


def test_login_only_redirects_to_local_paths(env) -> None:
    _, app = env
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf": token,
                                           "next": "https://elsewhere.example/"},
                           follow_redirects=False)
    assert response.headers["location"] == "/"


def test_forms_need_the_sessions_csrf_token(env) -> None:
    _, app = env
    client = signed_in(app, "ana")
    response = client.post("/ads/1/decisions", data={"action": "escalate", "note": "x"})
    assert response.status_code == 403
    page = client.get("/ads/1")
    ok = client.post("/ads/1/decisions", follow_redirects=False,
                     data={"action": "escalate", "note": "check", "csrf": csrf_of(page.text)})
    assert ok.status_code == 303


def _signed_out(client: TestClient) -> bool:
    page = client.get("/", follow_redirects=False)
    return page.status_code == 303 and page.headers["location"].startswith("/login")


def test_signing_out_ends_every_session_of_the_user_including_copies(env) -> None:
    """A session cookie is signed, so deleting it in one browser used to leave any copy of it
    (another browser, a shared machine) valid until it expired; signing out now ends them."""
    store, app = env
    add_user(store, "sol", "analyst", PASSWORD)
    first, second = signed_in(app, "sol"), signed_in(app, "sol")
    copy = TestClient(app)
    copy.cookies.set("amberline_session", first.cookies["amberline_session"])
    assert not _signed_out(copy) and not _signed_out(second)
    other = signed_in(app, "ana")

    page = first.get("/")
    out = first.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert _signed_out(copy) and _signed_out(second)
    assert copy.post("/api/v1/decisions", json={}).status_code == 401
    assert not _signed_out(other)  # other users keep their sessions
    assert not _signed_out(signed_in(app, "sol"))  # and signing in again works
    assert any(e.action == "logout" and e.user_name == "sol" for e in audit.entries(store, 50))


def test_an_admin_ends_a_users_sessions_from_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from amberline.cli import app as cli

    db = tmp_path / "s.db"
    store = seed(tmp_path, n_ads=5, db=str(db))
    app = app_for(store)
    client, other = signed_in(app, "ana"), signed_in(app, "vic")
    result = CliRunner().invoke(cli, ["users", "sign-out", "ana", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert _signed_out(client) and not _signed_out(other)
    missing = CliRunner().invoke(cli, ["users", "sign-out", "nobody", "--db", str(db)])
    assert "no user named 'nobody'" in str(missing.exception)  # `main` prints it, exits 2
    store.close()


def test_viewer_cannot_decide_export_or_push_but_can_read(env) -> None:
    store, app = env
    client = signed_in(app, "vic")
    page = client.get("/ads/2")
    assert page.status_code == 200 and 'id="no-decide"' in page.text
    refused = client.post("/ads/2/decisions",
                          data={"action": "clear", "note": "fine", "csrf": csrf_of(page.text)})
    assert refused.status_code == 403
    assert client.get("/exports/queue.csv").status_code == 403
    assert client.get("/exports/networks/ad-2.json").status_code == 403
    headers = bearer(store, "vic")
    push = client.post("/api/v1/ads", headers=headers,
                       json={"ads": [{"source": "t", "body": "Call 703 555 0142"}]})
    assert push.status_code == 403
    assert client.get("/audit").status_code == 403


def test_api_tokens_authenticate_until_revoked(env) -> None:
    store, app = env
    client = TestClient(app)
    headers = bearer(store, "ana")
    assert client.get("/api/v1/ads/1", headers=headers).status_code == 200
    assert client.get("/api/v1/ads/1", headers={"Authorization": "Bearer amb_nope"}
                      ).status_code == 401
    assert revoke_tokens(store, "ana") >= 1
    assert client.get("/api/v1/ads/1", headers=headers).status_code == 401


def test_session_writes_to_the_api_need_the_csrf_header(env) -> None:
    _, app = env
    client = signed_in(app, "ana")
    body = {"ad_id": 3, "action": "report", "note": "seen"}
    assert client.post("/api/v1/decisions", json=body).status_code == 403
    csrf = csrf_of(client.get("/").text)
    assert client.post("/api/v1/decisions", json=body,
                       headers={"X-CSRF-Token": csrf}).status_code == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_accounts_reject_bad_roles_short_passwords_and_taken_names(
    tmp_path: Path, backend: str
) -> None:
    with database(backend, tmp_path) as db:
        store = seed(tmp_path, n_ads=5, db=db)
        try:
            _check_accounts(store)
        finally:
            store.close()


def _check_accounts(store) -> None:
    with pytest.raises(AccountError, match="role"):
        add_user(store, "x", "root", PASSWORD)
    with pytest.raises(AccountError, match="at least"):
        add_user(store, "x", "viewer", "short")
    with pytest.raises(AccountError, match="exists"):
        add_user(store, "ana", "viewer", PASSWORD)
    assert authenticate(store, "ana", PASSWORD) is not None
    assert authenticate(store, "ana", PASSWORD + "!") is None
    assert authenticate(store, "nobody", PASSWORD) is None
