"""Exports for case files: the filtered queue or a network, as CSV or JSON.

Viewers cannot export (case material leaves the system through here), and every export is
written to the audit log with the filter used and the number of rows, before it is sent.
CSV cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a
quote, the usual defence against CSV injection from ad text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from amberline.store import audit, queue
from amberline.store.accounts import User
from amberline.web import networks
from amberline.web.auth import require

router = APIRouter(prefix="/exports", include_in_schema=False)
Exporter = Annotated[User, require("analyst")]
MAX_ROWS = 100_000
QUEUE_COLUMNS = ("id", "key", "source", "title", "city", "region", "posted_at", "score",
                 "status", "categories")
MEMBER_COLUMNS = ("id", "key", "source", "title", "city", "region", "posted_at", "score")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _csv(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _queue_dict(r: queue.QueueRow) -> dict[str, Any]:
    return {"id": r.id, "key": r.key, "source": r.source, "title": r.title, "city": r.city,
            "region": r.region, "posted_at": r.posted_at.isoformat() if r.posted_at else None,
            "score": round(r.score, 6), "status": r.status,
            "categories": ";".join(f"{c}:{n}" for c, n in sorted(r.categories.items()))}


def _attachment(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"'}


@router.get("/queue.{fmt}")
def export_queue(request: Request, fmt: str, user: Exporter) -> Response:
    if fmt not in ("csv", "json"):
        return JSONResponse({"detail": "format must be csv or json"}, status_code=404)
    store = request.app.state.store
    try:
        f = queue.QueueFilter.from_params(request.query_params)
    except ValueError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    rows = [_queue_dict(r) for r in queue.iter_rows(store, f, MAX_ROWS)]
    audit.append(store, user.name, "export", "queue",
                 {"format": fmt, "filter": f.as_params(), "rows": len(rows)})
    if fmt == "json":
        return Response(json.dumps({"filter": f.as_params(), "ads": rows}, ensure_ascii=False),
                        media_type="application/json", headers=_attachment("queue.json"))
    return StreamingResponse(_csv(rows, QUEUE_COLUMNS), media_type="text/csv; charset=utf-8",
                             headers=_attachment("queue.csv"))


@router.get("/networks/{network_id}.{fmt}")
def export_network(request: Request, network_id: str, fmt: str, user: Exporter) -> Response:
    if fmt not in ("csv", "json"):
        return JSONResponse({"detail": "format must be csv or json"}, status_code=404)
    store = request.app.state.store
    view = networks.load(store, network_id)
    if view is None:
        return JSONResponse({"detail": f"no network with id {network_id}"}, status_code=404)
    members = [{"id": m.id, "key": m.key, "source": m.source, "title": m.title,
                "city": m.city, "region": m.region,
                "posted_at": m.posted_at.isoformat() if m.posted_at else None,
                "score": round(m.score, 6)} for m in view.members]
    audit.append(store, user.name, "export", f"network:{network_id}",
                 {"format": fmt, "rows": len(members)})
    name = f"network-{network_id}.{fmt}"
    if fmt == "json":
        body = {"id": view.id, "stored": view.stored, "score": view.score, "members": members,
                "keys": [{"kind": k, "value": v, "ads": ids} for k, v, ids in view.keys],
                "path": view.path()}
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json",
                        headers=_attachment(name))
    return StreamingResponse(_csv(members, MEMBER_COLUMNS), media_type="text/csv; charset=utf-8",
                             headers=_attachment(name))
