"""The analyst workspace: a FastAPI app over the store (`create_app`), its accounts and audit.

Importing this package is cheap; `create_app` pulls in FastAPI and the routers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amberline.web.app import Settings, create_app


def __getattr__(name: str) -> Any:
    if name in ("create_app", "Settings"):
        from amberline.web import app

        return getattr(app, name)
    raise AttributeError(name)


__all__ = ["Settings", "create_app"]
