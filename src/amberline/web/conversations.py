"""The conversation pages: the queue of screened conversations, one conversation with its
evidence, search over messages, decisions, and the hotline report export.

Why analysts only (viewers and signed-out users are refused): a conversation may hold a
child's own messages, so fewer people read them than read ads. Every view, search, decision
and export is written to the audit log. Text only: messages are shown as text, escaped by the
templates; an export's media, stickers and attachments were never stored, so none can be
shown. Highlighting reuses the ad page's evidence runs (`web.evidence.pieces`), one message
at a time, so a flag's hover names its category, term, rule and citation as on an ad.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from amberline.chats.records import ChatFlag, Message
from amberline.model import Flag
from amberline.report.case import CaseNotFound
from amberline.store import audit, decisions
from amberline.store import conversations as store_conversations
from amberline.store.accounts import User
from amberline.store.database import MAX_ID
from amberline.store.queue import PAGE, parse_cursor
from amberline.web import evidence
from amberline.web.auth import ensure, form_user, require
from amberline.web.pages import error, render

router = APIRouter(include_in_schema=False)
Analyst = Annotated[User, require("analyst")]
FormUser = Annotated[User, Depends(form_user)]


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message as the page shows it: position, author, time, highlighted runs."""

    position: int
    author: str
    time: str | None
    pieces: list[evidence.Piece]
    flags: list[ChatFlag]


def _flag(f: ChatFlag) -> Flag:
    """A message flag in the ad flag's shape, for the shared highlighter (its weight as the
    contribution shown on hover)."""
    return Flag(f.category, f.term, f.start, f.end, f.weight, f.rule, f.citation, f.weight)


def message_views(messages: list[Message], flags: list[ChatFlag]) -> list[MessageView]:
    """Each message cut into runs by the flags on it."""
    by_message: dict[int, list[ChatFlag]] = {}
    for f in flags:
        by_message.setdefault(f.message, []).append(f)
    return [MessageView(i, m.author, m.time,
                        evidence.pieces(m.text, [], [_flag(f) for f in by_message.get(i, [])]),
                        by_message.get(i, []))
            for i, m in enumerate(messages)]


def _number(params: Any, name: str) -> float | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}: {value[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {value[:40]!r} is not a number")
    return number


@router.get("/conversations")
def conversations_page(request: Request, user: Analyst, after: str = "", q: str = "",
                       category: str = "", status: str = "", alerts: str = "") -> Response:
    """The queue (highest score first, filtered), or search hits when `q` is given."""
    store = request.app.state.store
    q = q.strip()
    filters = {k: v for k, v in (("category", category), ("status", status),
                                 ("alerts", alerts), ("min_score",
                                                      request.query_params.get("min_score")))
               if v}
    context: dict[str, Any] = {"rows": [], "hits": [], "next_cursor": None, "problem": "",
                               "q": q, "filters": filters,
                               "statuses": store_conversations.STATUSES}
    code = 200
    try:
        if q:
            context["hits"] = store_conversations.search(
                store, q, 100, marks=("\x02", "\x03"),
                timeout=request.app.state.settings.search_seconds)
            audit.append(store, user.name, "search", "", {
                "q": q[:200], "kind": "conversations", "hits": len(context["hits"])})
        else:
            rows, cursor = store_conversations.queue_page(
                store, after=parse_cursor(after or None), limit=PAGE,
                alerts_only=bool(alerts), category=category or None,
                status=status or None, min_score=_number(request.query_params, "min_score"))
            context["rows"] = rows
            context["next_cursor"] = f"{cursor[0]!r}:{cursor[1]}" if cursor else None
    except (ValueError, NotImplementedError) as exc:
        context["problem"], code = str(exc), 400
    context["categories"] = store_conversations.categories(store)
    context["params"] = urlencode(filters)
    return render(request, "conversations.html", user, code, **context)


def _load(request: Request, conversation_id: int) -> Any:
    if not 0 < conversation_id <= MAX_ID:
        return None
    return store_conversations.get_conversation(request.app.state.store, conversation_id)


@router.get("/conversations/{conversation_id}")
def conversation_page(request: Request, conversation_id: int, user: Analyst) -> Response:
    store = request.app.state.store
    conv = _load(request, conversation_id)
    if conv is None:
        return error(request, user, f"No conversation with id {conversation_id}.", 404)
    audit.append(store, user.name, "view_conversation", f"conversation:{conv.id}",
                 {"key": conv.key})
    return render(request, "conversation.html", user, conv=conv,
                  messages=message_views(conv.messages, conv.flags),
                  legend=sorted({f.category for f in conv.flags}),
                  history=decisions.history(store, conversation_id=conv.id),
                  can_report=request.app.state.settings.reporter_config is not None)


@router.post("/conversations/{conversation_id}/decisions")
def decide_conversation(request: Request, conversation_id: int, user: FormUser,
                        action: Annotated[str, Form()] = "",
                        note: Annotated[str, Form()] = "") -> Response:
    ensure(user, "analyst")
    if not 0 < conversation_id <= MAX_ID:
        return error(request, user, f"No conversation with id {conversation_id}.", 404)
    try:
        decisions.record_decision(request.app.state.store, action=action, note=note,
                                  user_name=user.name, conversation=conversation_id)
    except decisions.DecisionError as exc:
        status = 404 if "no such conversation" in str(exc) else 400
        return error(request, user, str(exc), status)
    return RedirectResponse(f"/conversations/{conversation_id}#decisions", status_code=303)


@router.get("/exports/conversations/{conversation_id}/report.xml")
def export_report(request: Request, conversation_id: int, user: Analyst,
                  reported_author: str | None = None) -> Response:
    """The hotline report for a decided conversation, under the deployment's reporter config
    (`amberline serve --reporter-config`); audited before it is sent."""
    from amberline.report.chat_report import build_conversation_report, load_conversation
    from amberline.report.cybertip import load_reporter_config

    store = request.app.state.store
    config_path = request.app.state.settings.reporter_config
    if config_path is None:
        return JSONResponse({"detail": "no reporter config: start the workspace with "
                             "--reporter-config to build hotline reports"}, status_code=409)
    if not 0 < conversation_id <= MAX_ID:
        return JSONResponse({"detail": "no such conversation"}, status_code=404)
    try:
        conv, decided = load_conversation(store, conversation_id)
        xml = build_conversation_report(conv, decided, load_reporter_config(config_path),
                                        reported_author or None)
    except CaseNotFound:
        return JSONResponse({"detail": "no such conversation"}, status_code=404)
    except ValueError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    audit.append(store, user.name, "export", f"conversation:{conv.id}",
                 {"kind": "report_xml", "conversation": conv.key, "bytes": len(xml),
                  "reported_author": reported_author or None})
    return Response(xml, media_type="application/xml", headers={
        "content-disposition": f'attachment; filename="conversation-{conv.id}-report.xml"'})
