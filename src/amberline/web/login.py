"""Signing in and out. The only page open to everyone is the login form itself.

Every sign-in is written to the audit log with the number of failures before it. Failed
ones are counted per account and per client address (`store.logins`), not written one entry
each: after a few, the next attempt must wait (429 with Retry-After, the password not even
checked), and an account locks after many until an admin unlocks it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from amberline.store import audit, logins
from amberline.store.accounts import AccountLocked, authenticate, end_sessions, session_epoch
from amberline.web.auth import LOGIN_COOKIE, SESSION_COOKIE, CurrentUser, check_csrf, set_cookie

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only local paths: `next=https://elsewhere` must not turn the login into a redirector."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _form(request: Request, error: str = "", next_: str = "/", status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    state = request.app.state
    cookie, token = state.sessions.login_token()
    response = state.templates.TemplateResponse(
        request, "login.html",
        {"csrf": token, "error": error, "next": _safe_next(next_), "user": None},
        status_code=status, headers=headers)
    set_cookie(response, LOGIN_COOKIE, cookie, 3600, state.settings.cookie_secure)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _form(request, next_=next)


@router.post("/login")
def login(request: Request, name: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    state = request.app.state
    if not state.sessions.check_login(request.cookies.get(LOGIN_COOKIE), csrf):
        return _form(request, "The form expired; please sign in again.", next, 400)
    store, policy = state.store, state.settings.login
    address = request.client.host if request.client else ""
    wait = logins.retry_after(store, policy, name, address)
    if wait:
        return _form(request, f"Too many failed sign-ins: try again in {wait} seconds.", next,
                     429, {"retry-after": str(wait)})
    try:
        user = authenticate(store, name, password)
    except AccountLocked as exc:
        return _form(request, f"This account is locked: {exc}", next, 403)
    if user is None:
        logins.record_failure(store, policy, name, address)
        return _form(request, "Wrong name or password.", next, 401)
    failed = logins.record_success(store, user.name)
    audit.append(store, user.name, "login", "", {"ip": address, "failed_before": failed})
    value, _ = state.sessions.issue(user, session_epoch(state.store, user.id))
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, SESSION_COOKIE, value, state.settings.session_max_age,
               state.settings.cookie_secure)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, user: CurrentUser,
           csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    # copies of the cookie end too
    end_sessions(request.app.state.store, user.name, by=user.name, action="logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
