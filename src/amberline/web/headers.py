"""Browser-facing defences on every response and every state-changing request.

Why an ASGI middleware and not per-route code: a header forgotten on one new route is the
page that leaks. Every response gets a Content-Security-Policy that allows scripts only from
the app's own files (no inline script: page data travels in `<script type="application/json">`
tags), forbids framing, and stops MIME sniffing; and, unless the route set its own (the
static files do), `Cache-Control: no-store`, so evidence is never kept on disk by the browser
and Back after signing out shows nothing. A browser's POST (or other unsafe method) whose
Origin, or else Referer, names another site is refused before any route runs: a second line
behind the CSRF token and SameSite cookies. Clients that send neither header (scripts, token
holders) are left to the token and CSRF checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

Scope = dict[str, Any]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def csp(inline_styles: tuple[str, ...] = ()) -> str:
    """The policy; `inline_styles` are the exact `<style>` bodies the pages embed, allowed by
    their hashes (the login page inlines the stylesheet: static files need a session)."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest())
                      .decode() + "'" for s in inline_styles)
    return ("default-src 'self'; script-src 'self'; "
            f"style-src 'self' {hashes}".rstrip() + "; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


class BrowserGuard:
    """Wraps an ASGI app: security headers on every response, cross-site writes refused."""

    def __init__(self, app: Any, policy: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = _cross_site(scope)
        if refused:
            await _send_json(send, 403, {"detail": refused}, self.headers)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in self.headers if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _cross_site(scope: Scope) -> str:
    """Why a state-changing request must be refused as cross-site, or "" to let it through."""
    if scope["method"] in SAFE_METHODS:
        return ""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1")
               for name, value in scope["headers"]}
    if headers.get("authorization", "")[:7].lower() == "bearer ":
        return ""  # a browser never sends a bearer token on its own
    host = headers.get("host", "")
    claimed = headers.get("origin") or headers.get("referer")
    if claimed is None:
        return ""
    if not host or urlsplit(claimed).netloc.lower() != host.lower():
        return (f"cross-site request refused: it comes from {claimed[:100]!r}, not from this "
                "workspace")
    return ""


async def _send_json(send: Any, status: int, body: dict[str, Any],
                     headers: list[tuple[bytes, bytes]]) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()),
                            (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": data})
