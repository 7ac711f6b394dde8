"""Server-rendered pages: queue, ad, network, search, audit log, and the decision forms.

Thin by design: each handler reads what it shows through the queue, networks, decisions and
audit modules and hands it to a template. Text and hashes only: no page ever shows an image.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from amberline import display
from amberline.identifiers import CONTACT_KINDS
from amberline.link.split import SplitError, mark_not_linked
from amberline.store import audit, decisions, queue
from amberline.store.accounts import User
from amberline.store.schema_workspace import DECISION_ACTIONS
from amberline.web import evidence, networks
from amberline.web.auth import CurrentUser, ensure, form_user, require

router = APIRouter(include_in_schema=False)
FormUser = Annotated[User, Depends(form_user)]
SEARCH_KINDS = ("text", *CONTACT_KINDS)


def render(request: Request, name: str, user: User, status: int = 200, **context: Any) -> Response:
    context.update(user=user, csrf=getattr(request.state, "csrf", None) or "",
                   actions=DECISION_ACTIONS)
    return request.app.state.templates.TemplateResponse(request, name, context,
                                                        status_code=status)


def error(request: Request, user: User, message: str, status: int) -> Response:
    return render(request, "error.html", user, status, title="Problem", message=message)


@router.get("/")
def queue_page(request: Request, user: CurrentUser, after: str = "") -> Response:
    store = request.app.state.store
    try:
        f = queue.QueueFilter.from_params(request.query_params)
        result = queue.page(store, f, after or None)
    except ValueError as exc:
        return render(request, "queue.html", user, 400, rows=[], next_cursor=None,
                      problem=str(exc), filters={}, facets=request.app.state.facets.get(),
                      statuses=queue.STATUSES, params="")
    params = f.as_params()
    return render(request, "queue.html", user, rows=result.rows, next_cursor=result.next_cursor,
                  filters=params, facets=request.app.state.facets.get(), problem="",
                  statuses=queue.STATUSES,
                  params="&".join(f"{k}={v}" for k, v in params.items()))


@router.get("/ads/{ad_id}")
def ad_page(request: Request, ad_id: int, user: CurrentUser) -> Response:
    store = request.app.state.store
    stored = store.get_ad(ad_id)
    if stored is None:
        return error(request, user, f"No ad with id {ad_id}.", 404)
    audit.append(store, user.name, "view_ad", f"ad:{ad_id}", {"key": stored.screening.ad_key})
    s = stored.screening
    return render(
        request, "ad.html", user, stored=stored, ad=stored.ad, screening=s,
        pieces=evidence.pieces(stored.ad.text, s.spans, s.flags),
        legend=evidence.legend(s.flags, s.spans),
        flags_by_weight=sorted(s.flags, key=lambda f: -f.contribution),
        linked=networks.linked_ads(store, ad_id),
        network_id=networks.network_of_ad(store, ad_id),
        history=decisions.history(store, ad_id=ad_id))


@router.post("/ads/{ad_id}/decisions")
def decide_ad(request: Request, ad_id: int, user: FormUser,
              action: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
    ensure(user, "analyst")
    try:
        decisions.record_decision(request.app.state.store, action=action, note=note,
                                  user_name=user.name, ad=ad_id)
    except decisions.DecisionError as exc:
        return error(request, user, str(exc), 400)
    return RedirectResponse(f"/ads/{ad_id}#decisions", status_code=303)


@router.get("/networks/{network_id}")
def network_page(request: Request, network_id: str, user: CurrentUser) -> Response:
    store = request.app.state.store
    view = networks.load(store, network_id)
    if view is None:
        return error(request, user, f"No network with id {network_id}.", 404)
    audit.append(store, user.name, "view_network", f"network:{network_id}",
                 {"members": len(view.members)})
    data = {"graph": view.graph(), "path": view.path()}
    return render(request, "network.html", user, view=view, timeline=view.timeline(),
                  path=data["path"], data=data,
                  history=decisions.history(store, network_id=network_id))


@router.post("/networks/{network_id}/decisions")
def decide_network(request: Request, network_id: str, user: FormUser,
                   action: Annotated[str, Form()] = "",
                   note: Annotated[str, Form()] = "") -> Response:
    ensure(user, "analyst")
    store = request.app.state.store
    view = networks.load(store, network_id)
    if view is None:
        return error(request, user, f"No network with id {network_id}.", 404)
    try:
        decisions.record_decision(store, action=action, note=note, user_name=user.name,
                                  network_id=network_id, member_ids=[m.id for m in view.members])
    except decisions.DecisionError as exc:
        return error(request, user, str(exc), 400)
    return RedirectResponse(f"/networks/{network_id}#decisions", status_code=303)


@router.post("/networks/{network_id}/not-linked")
def split_network(request: Request, network_id: str, user: FormUser,
                  ad_a: Annotated[str, Form()] = "", ad_b: Annotated[str, Form()] = "",
                  note: Annotated[str, Form()] = "") -> Response:
    """Mark two ads of the network "not linked" (audited); linking then splits it there."""
    ensure(user, "analyst")
    store = request.app.state.store
    try:
        result = mark_not_linked(store, user.name, ad_a, ad_b, note)
    except SplitError as exc:
        return error(request, user, str(exc), 400)
    target = result.networks_after[0] or network_id
    return RedirectResponse(f"/networks/{target}#links", status_code=303)


@router.get("/search")
def search_page(request: Request, user: CurrentUser, q: str = "", kind: str = "text") -> Response:
    store = request.app.state.store
    hits: list[Any] = []
    problem = ""
    q = q.strip()
    if kind not in SEARCH_KINDS:
        problem = f"kind must be one of {', '.join(SEARCH_KINDS)}"
    elif q and kind == "text":
        try:
            hits = [(h.summary, h.snippet) for h in store.search(
                q, 100, marks=("\x02", "\x03"),
                timeout=request.app.state.settings.search_seconds)]
        except (ValueError, NotImplementedError) as exc:
            problem = str(exc)
    elif q:
        value = q
        if kind == "phone":
            value = display.e164(q, request.app.state.settings.region) or q
        elif kind in ("email", "handle"):
            value = q.lower().lstrip("@") if kind == "handle" else q.lower()
        hits = [(s, "") for s in store.find_by(kind, value, 200)]
    if q:
        audit.append(store, user.name, "search", "", {"q": q[:200], "kind": kind,
                                                     "hits": len(hits)})
    return render(request, "search.html", user, 400 if problem else 200, q=q, kind=kind,
                  kinds=SEARCH_KINDS, hits=hits, problem=problem)


@router.get("/audit")
def audit_page(request: Request, user: Annotated[User, require("admin")],
               before: int | None = None, action: str = "") -> Response:
    rows = audit.entries(request.app.state.store, 100, before, action or None)
    older = rows[-1].id if len(rows) == 100 else None
    return render(request, "audit.html", user, rows=rows, older=older, action=action)
