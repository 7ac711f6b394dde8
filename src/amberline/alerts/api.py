"""A FastAPI router for alerts, watchlists and matches, for the web app to include.

Why a router and not an app: the web workspace (another area) owns the application, its
authentication and its store; it mounts this with `app.include_router(alerts_router(get_store))`
where `get_store` is its own dependency. Every endpoint calls the same service functions as the
CLI, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException
from pydantic import BaseModel

from amberline.alerts import service
from amberline.alerts.feeds import parse_document
from amberline.alerts.matches import list_matches
from amberline.alerts.store import get_alert, list_alerts
from amberline.alerts.watchlists import deactivate, list_entries
from amberline.store.database import Store


class EntryIn(BaseModel):
    """A watchlist entry to add."""

    kind: str
    value: str
    label: str = ""
    min_age: int | None = None
    max_age: int | None = None


def alerts_router(get_store: Callable[[], Store], notifier: Any = None) -> APIRouter:
    """Endpoints under /alerts, /watchlist and /matches, reading the store from `get_store`."""
    router = APIRouter(tags=["alerts"])
    StoreDep = Depends(get_store)

    @router.get("/alerts")
    def alerts(state: str | None = None, store: Store = StoreDep) -> list[dict[str, Any]]:
        return [a.as_dict() for a in list_alerts(store, state=state)]

    @router.get("/alerts/{alert_id}")
    def alert(alert_id: int, store: Store = StoreDep) -> dict[str, Any]:
        found = get_alert(store, alert_id)
        if found is None:
            raise HTTPException(404, f"no alert with id {alert_id}")
        return found.as_dict()

    @router.post("/alerts", status_code=201)
    def post_alert(xml: str = Body(..., media_type="application/xml"),
                   store: Store = StoreDep) -> dict[str, Any]:
        items = parse_document(xml.encode("utf-8"), "api", fetch=None)
        report = service.ingest(store, items, notifier=notifier)
        if report.bad and not report.alert_ids:
            raise HTTPException(422, "; ".join(f"line {b.line}: {b.reason}" for b in report.bad))
        return {**report.counts(), "alert_ids": report.alert_ids,
                "quarantined_reasons": [b.reason for b in report.bad]}

    @router.get("/watchlist")
    def entries(store: Store = StoreDep) -> list[dict[str, Any]]:
        return [e.as_dict() for e in list_entries(store)]

    @router.post("/watchlist", status_code=201)
    def add(entry: EntryIn, store: Store = StoreDep) -> dict[str, Any]:
        try:
            added, found = service.watch(store, entry.kind, entry.value, notifier,
                                         label=entry.label, min_age=entry.min_age,
                                         max_age=entry.max_age, created_by="api")
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return {"entry": added.as_dict(), "matches": [m.as_dict() for m in found]}

    @router.delete("/watchlist/{entry_id}", status_code=204)
    def remove(entry_id: int, store: Store = StoreDep) -> None:
        if not deactivate(store, entry_id):
            raise HTTPException(404, f"no watchlist entry {entry_id}")

    @router.get("/matches")
    def matches(alert_id: int | None = None, min_score: float = 0.0,
                store: Store = StoreDep) -> list[dict[str, Any]]:
        return [m.as_dict() for m in list_matches(store, alert_id=alert_id,
                                                    min_score=min_score)]

    return router
