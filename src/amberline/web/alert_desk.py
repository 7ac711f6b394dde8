"""The workspace's alert-desk endpoints: alerts, watchlist entries and matches, under /api/v1.

Why in `web/` and mounted by `web.app`: the workspace owns authentication, roles and the audit
log, and `alerts/` then depends on nothing of the web layer. These routes use the same
dependencies as every other route (a session or a bearer token to read; the analyst role, and
the CSRF header for cookie clients, to write), and every write goes to the audit log. Each
endpoint calls the same service functions as the CLI, so the two cannot disagree about what
"load an alert" or "watch a phone" does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel

from amberline.alerts import service
from amberline.alerts.feeds import parse_document
from amberline.alerts.matches import list_matches
from amberline.alerts.records import get_alert, list_alerts
from amberline.alerts.watchlists import deactivate, list_entries
from amberline.store import audit
from amberline.store.accounts import User
from amberline.store.database import MAX_ID, Store
from amberline.web.auth import CurrentUser, api_writer, ensure

# A row id in a path: beyond the id column's range is a 422, never a database error.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
router = APIRouter(prefix="/api/v1", tags=["alerts"])
Writer = Annotated[User, Depends(api_writer)]


class EntryIn(BaseModel):
    """A watchlist entry to add."""

    kind: str
    value: str
    label: str = ""
    min_age: int | None = None
    max_age: int | None = None


def _store(request: Request) -> Store:
    return request.app.state.store


def _analyst(request: Request, user: User, action: str, target: str,
             detail: dict[str, Any] | None = None) -> Store:
    """The store, once the writer is known to be an analyst and the write is audited."""
    ensure(user, "analyst")
    store = _store(request)
    audit.append(store, user.name, action, target, detail or {})
    return store


@router.get("/alerts", summary="Stored alerts, newest first")
def alerts(request: Request, user: CurrentUser, state: str | None = None
           ) -> list[dict[str, Any]]:
    return [a.as_dict() for a in list_alerts(_store(request), state=state)]


@router.get("/alerts/{alert_id}", summary="One stored alert",
            responses={404: {"description": "No such alert"}})
def alert(request: Request, alert_id: RowId, user: CurrentUser) -> dict[str, Any]:
    found = get_alert(_store(request), alert_id)
    if found is None:
        raise HTTPException(404, f"no alert with id {alert_id}")
    return found.as_dict()


@router.post("/alerts", status_code=201, summary="Load a CAP alert document (analyst)")
def post_alert(request: Request, user: Writer,
               xml: str = Body(..., media_type="application/xml")) -> dict[str, Any]:
    store = _analyst(request, user, "load_alert", "", {"bytes": len(xml)})
    items = parse_document(xml.encode("utf-8"), "api", fetch=None)
    report = service.ingest(store, items, notifier=service.default_notifier())
    if report.bad and not report.alert_ids:
        raise HTTPException(422, "; ".join(f"line {b.line}: {b.reason}" for b in report.bad))
    return {**report.counts(), "alert_ids": report.alert_ids,
            "quarantined_reasons": [b.reason for b in report.bad]}


@router.get("/watchlist", summary="Active watchlist entries")
def entries(request: Request, user: CurrentUser) -> list[dict[str, Any]]:
    return [e.as_dict() for e in list_entries(_store(request))]


@router.post("/watchlist", status_code=201, summary="Add a watchlist entry (analyst)")
def add(request: Request, entry: EntryIn, user: Writer) -> dict[str, Any]:
    store = _analyst(request, user, "watch", f"{entry.kind}:{entry.value}"[:512])
    try:
        added, found = service.watch(store, entry.kind, entry.value,
                                     service.default_notifier(), label=entry.label,
                                     min_age=entry.min_age, max_age=entry.max_age,
                                     created_by=user.name)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"entry": added.as_dict(), "matches": [m.as_dict() for m in found]}


@router.delete("/watchlist/{entry_id}", status_code=204,
               summary="Stop watching an entry (analyst)")
def remove(request: Request, entry_id: RowId, user: Writer) -> None:
    store = _analyst(request, user, "unwatch", f"watch:{entry_id}")
    if not deactivate(store, entry_id):
        raise HTTPException(404, f"no watchlist entry {entry_id}")


@router.get("/matches", summary="Matches of ads against alerts and watchlists")
def matches(request: Request, user: CurrentUser,
            alert_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
            min_score: float = 0.0) -> list[dict[str, Any]]:
    return [m.as_dict() for m in list_matches(_store(request), alert_id=alert_id,
                                                min_score=min_score)]
