"""The conversation half of the JSON API: the queue (or search hits) and one conversation with
its messages, flags, contributions and decisions. Decisions on a conversation go through
`POST /api/v1/decisions` with `conversation_id`, the one decision path ads and networks use.

Why analysts only, as on the conversation pages: a conversation may hold a child's own
messages. Reading one conversation and every search is written to the audit log, like the
pages and like `GET /api/v1/ads/{id}`; a queue page shows ids, scores and categories only,
no message text, and is not audited (nor is the page's queue).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request

from amberline.store import audit, decisions
from amberline.store import conversations as store_conversations
from amberline.store.conversations import ConversationSummary
from amberline.store.database import MAX_ID
from amberline.store.queue import PAGE, parse_cursor
from amberline.web.api import decisions_out
from amberline.web.api_models import ConversationOut, ConversationsOut
from amberline.web.auth import CurrentUser, ensure

router = APIRouter(prefix="/api/v1", tags=["conversations"])


def _summary(s: ConversationSummary) -> dict[str, Any]:
    return asdict(s)


@router.get("/conversations", response_model=ConversationsOut,
            summary="The conversation queue, highest score first, or search hits",
            responses={400: {"description": "A bad filter, cursor or search query"}})
def list_conversations(
    request: Request, user: CurrentUser,
    after: Annotated[str, Query(max_length=64, description="`next` of the previous page")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE,
    alerts: Annotated[bool, Query(description="alerts only")] = False,
    category: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=32)] = "",
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    q: Annotated[str, Query(max_length=500, description="full-text search in messages")] = "",
) -> dict[str, Any]:
    ensure(user, "analyst")
    store = request.app.state.store
    q = q.strip()
    try:
        if q:
            hits = store_conversations.search(
                store, q, limit, marks=("\x02", "\x03"),
                timeout=request.app.state.settings.search_seconds)
            audit.append(store, user.name, "search", "", {
                "q": q[:200], "kind": "conversations", "hits": len(hits), "via": "api"})
            return {"items": [], "next": None, "hits": [
                {"conversation": _summary(h.summary), "position": h.position,
                 "author": h.author, "snippet": h.snippet} for h in hits]}
        rows, cursor = store_conversations.queue_page(
            store, after=parse_cursor(after or None), limit=limit, alerts_only=alerts,
            category=category or None, status=status or None, min_score=min_score)
    except (ValueError, NotImplementedError) as exc:
        raise HTTPException(400, str(exc)) from exc
    return {"items": [_summary(r) for r in rows], "hits": [],
            "next": f"{cursor[0]!r}:{cursor[1]}" if cursor else None}


@router.get("/conversations/{conversation_id}", response_model=ConversationOut,
            summary="One stored conversation: messages, flags, contributions, decisions",
            responses={404: {"description": "No such conversation"}})
def get_conversation(request: Request,
                     conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                     user: CurrentUser) -> dict[str, Any]:
    ensure(user, "analyst")
    store = request.app.state.store
    conv = store_conversations.get_conversation(store, conversation_id)
    if conv is None:
        raise HTTPException(404, f"no conversation with id {conversation_id}")
    audit.append(store, user.name, "view_conversation", f"conversation:{conv.id}",
                 {"key": conv.key, "via": "api"})
    return {
        "id": conv.id, "key": conv.key, "source": conv.source,
        "external_id": conv.external_id, "name": conv.name, "label": conv.label,
        "score": conv.score, "alert": conv.alert, "first_alert": conv.first_alert,
        "rules_score": conv.rules_score, "threshold": conv.threshold, "scorer": conv.scorer,
        "stored_at": conv.stored_at, "contributions": conv.contributions,
        "authors": conv.authors,
        "messages": [{"position": i, "author": m.author, "time": m.time, "text": m.text}
                     for i, m in enumerate(conv.messages)],
        "flags": [asdict(f) for f in conv.flags],
        "decisions": decisions_out(decisions.history(store, conversation_id=conv.id)),
    }
