"""Who is asking: signed session cookies for people, bearer tokens for machines, CSRF, roles.

Why signed cookies and not server-side sessions: the cookie carries only the user id, a CSRF
secret and the user's session epoch, signed and time-limited with itsdangerous; the user row is
read on every request, so a removed or disabled user, a changed role or a sign-out (which
moves the epoch on, ending every session of that user) takes effect at once. The cookie is
HttpOnly (scripts cannot read it) and SameSite=Strict (other sites cannot make the browser
send it), and every form also carries the session's CSRF token, checked in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from amberline.store.accounts import User, session_user, user_for_token

SESSION_COOKIE = "amberline_session"
LOGIN_COOKIE = "amberline_login"


class NotSignedIn(Exception):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role (or a missing CSRF token) does not allow this."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sessions:
    """Signs and reads session and login-form cookies with the app's secret key."""

    def __init__(self, secret: str, max_age: int) -> None:
        self.max_age = max_age
        self._session = URLSafeTimedSerializer(secret, salt="amberline.session")
        self._login = URLSafeTimedSerializer(secret, salt="amberline.login")

    def issue(self, user: User, epoch: int = 0) -> tuple[str, str]:
        """A new cookie value for `user` under their session `epoch`, and its CSRF token."""
        csrf = secrets.token_urlsafe(24)
        return self._session.dumps({"u": user.id, "c": csrf, "e": epoch}), csrf

    def read(self, value: str) -> dict[str, Any] | None:
        try:
            data = self._session.loads(value, max_age=self.max_age)
        except BadSignature:
            return None
        return data if isinstance(data, dict) and {"u", "c"} <= data.keys() else None

    def login_token(self) -> tuple[str, str]:
        """A CSRF token for the login form and the signed cookie that pairs with it."""
        token = secrets.token_urlsafe(24)
        return self._login.dumps(token), token

    def check_login(self, cookie: str | None, token: str) -> bool:
        if not cookie:
            return False
        try:
            expected = self._login.loads(cookie, max_age=3600)
        except BadSignature:
            return False
        return isinstance(expected, str) and hmac.compare_digest(expected, token)


def set_cookie(response: Any, name: str, value: str, max_age: int, secure: bool) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")


def _session_user(request: Request) -> tuple[User, str] | None:
    state = request.app.state
    cookie = request.cookies.get(SESSION_COOKIE)
    data = state.sessions.read(cookie) if cookie else None
    if data is None:
        return None
    user = session_user(state.store, data["u"], data.get("e", 0))
    return (user, data["c"]) if user else None


def current_user(request: Request) -> User:
    """The signed-in user from a bearer token or the session cookie; NotSignedIn otherwise."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        user = user_for_token(request.app.state.store, header[7:].strip())
        if user is None:
            raise NotSignedIn()
        request.state.csrf = None
        request.state.via_token = True
        return user
    found = _session_user(request)
    if found is None:
        raise NotSignedIn()
    request.state.csrf = found[1]
    request.state.via_token = False
    return found[0]


CurrentUser = Annotated[User, Depends(current_user)]


def check_csrf(request: Request, token: str | None) -> None:
    """Cookie-authenticated writes must carry the session's CSRF token (token clients need not:
    a bearer token is never sent by a browser on its own)."""
    if getattr(request.state, "via_token", False):
        return
    expected = getattr(request.state, "csrf", None)
    if not expected or not token or not hmac.compare_digest(expected, token):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again")


def form_user(request: Request, user: CurrentUser,
              csrf: Annotated[str, Form()] = "") -> User:
    """A user posting a form, with its CSRF token checked."""
    check_csrf(request, csrf)
    return user


def api_writer(request: Request, user: CurrentUser) -> User:
    """A user writing through the API: token, or session plus an X-CSRF-Token header."""
    check_csrf(request, request.headers.get("x-csrf-token"))
    return user


def require(role: str) -> Any:
    """Dependency: the user must have at least `role`."""

    def check(user: CurrentUser) -> User:
        if not user.can(role):
            raise Forbidden(f"this needs the {role} role; you are signed in as a {user.role}")
        return user

    return Depends(check)


def ensure(user: User, role: str) -> None:
    """Raise Forbidden unless `user` has at least `role`."""
    if not user.can(role):
        raise Forbidden(f"this needs the {role} role; you are signed in as a {user.role}")
