"""`create_app(store_or_url, settings)`: the analyst workspace as one FastAPI app.

Why a factory: the CLI (`amberline serve`), the tests and the benchmark each build their own
app over their own store, with nothing global; the routers (auth, pages, api, exports) hold
no business logic, only calls into the queue, networks, decisions and audit modules.
Everything the browser loads (CSS, scripts, map data) is served from the package: no CDN.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from amberline.store.database import SEARCH_SECONDS, Store
from amberline.store.logins import LoginPolicy
from amberline.web import auth
from amberline.web.headers import BrowserGuard, csp
from amberline.web.limits import BodyLimit

HERE = Path(__file__).parent
STATIC = HERE / "static"
# The one <style> element the vendored graph library adds to the page; allowed by its hash.
CYTOSCAPE_STYLE = ".__________cytoscape_container { position: relative; }"


@dataclass(slots=True)
class Settings:
    """What a deployment may set. `secret_key` signs session cookies: set it (or
    AMBERLINE_SECRET_KEY) so that sessions survive a restart and several workers agree."""

    secret_key: str | None = None
    session_max_age: int = 12 * 3600
    cookie_secure: bool = False  # set True when served over HTTPS
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch: int = 1000
    region: str = "US"  # default region for phone numbers typed into search
    search_seconds: float = SEARCH_SECONDS  # a full-text search is stopped after this
    login: LoginPolicy = field(default_factory=LoginPolicy)  # throttling and lockout
    reporter_config: Path | None = None  # [reporter] TOML for conversation hotline reports


class Facets:
    """Filter menu values, cached for a minute (a distinct scan over 1M ads is not free)."""

    def __init__(self, store: Store, ttl: float = 60.0) -> None:
        self.store, self.ttl, self._at, self._value = store, ttl, 0.0, {}

    def get(self) -> dict[str, list[str]]:
        from amberline.store.queue import facets

        if time.monotonic() - self._at > self.ttl:
            self._value, self._at = facets(self.store), time.monotonic()
        return self._value


def create_app(store: Store | str | Path, settings: Settings | None = None) -> FastAPI:
    """The workspace over `store` (a `Store`, a SQLite path or a database URL)."""
    from amberline.web import (
        alert_desk,
        api,
        conversations,
        conversations_api,
        exports,
        login,
        pages,
    )

    settings = settings or Settings()
    if not isinstance(store, Store):
        store = Store(store)
    secret = settings.secret_key or os.environ.get("AMBERLINE_SECRET_KEY") or \
        secrets.token_urlsafe(32)
    app = FastAPI(title="Amberline workspace", version="1", docs_url=None, redoc_url=None,
                  openapi_url=None,  # served below, behind sign-in like every other route
                  description="Triage, evidence, networks, decisions and the push API.")
    app.state.store = store
    app.state.settings = settings
    app.state.sessions = auth.Sessions(secret, settings.session_max_age)
    app.state.templates = templates()
    app.state.facets = Facets(store)
    app.state.screener = None  # built on the first push: it takes a second or two

    for module in (login, pages, exports, api, conversations_api, alert_desk, conversations):
        app.include_router(module.router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: auth.CurrentUser) -> JSONResponse:
        """The API schema, for signed-in users and token holders only, like everything else."""
        return JSONResponse(app.openapi())

    @app.get("/static/{path:path}", include_in_schema=False)
    def static(path: str, user: auth.CurrentUser) -> Response:
        target = (STATIC / path).resolve()
        if not target.is_relative_to(STATIC.resolve()) or not target.is_file():
            return JSONResponse({"detail": "not found"}, status_code=404)
        return FileResponse(target, headers={"cache-control": "private, max-age=3600"})

    _handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    inline_styles = (app.state.templates.env.globals["inline_css"], CYTOSCAPE_STYLE)
    app.add_middleware(BrowserGuard, policy=csp(inline_styles))
    return app


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals["inline_css"] = (STATIC / "app.css").read_text(encoding="utf-8")
    t.env.filters["pct"] = lambda v: f"{100 * (v or 0):.0f}"
    t.env.filters["snippet"] = _snippet
    t.env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else "—"
    return t


def _snippet(text: str) -> Markup:
    """A search snippet, escaped, with the match marks (\\x02 ... \\x03) as <mark> tags."""
    safe = str(escape(text))
    return Markup(safe.replace("\x02", "<mark>").replace("\x03", "</mark>"))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or \
        "application/json" in request.headers.get("accept", "")


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.NotSignedIn)
    def not_signed_in(request: Request, exc: auth.NotSignedIn) -> Response:
        if _wants_json(request) or request.method != "GET":
            return JSONResponse({"detail": "sign in or send an API token"}, status_code=401,
                                headers={"www-authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(auth.Forbidden)
    def forbidden(request: Request, exc: auth.Forbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.reason}, status_code=403)
        return app.state.templates.TemplateResponse(
            request, "error.html", {"title": "Not allowed", "message": exc.reason,
                                    "user": None}, status_code=403)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ())),
                   "reason": e.get("msg", "invalid")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)
