"""The push API for platforms and machine clients (bearer tokens; OpenAPI at /openapi.json).

`POST /api/v1/ads` validates the whole batch first (422 names the field and reason), screens
it in one call of the shared `Screener`, stores it in one transaction with `Store.write_new`
(all or nothing) and runs the same stored-batch hooks as `amberline scan`, so pushed ads are
linked and matched against alerts exactly like scanned ones.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from amberline.isolate import ScreeningFailure, failure_record, screen_isolated, split_results
from amberline.model import Ad, Screening
from amberline.store import audit, decisions
from amberline.store.accounts import User
from amberline.web import networks
from amberline.web.api_models import (
    MAX_ID,
    AdIn,
    AdOut,
    DecisionIn,
    DecisionsOut,
    NetworkOut,
    PushIn,
    PushOut,
    PushResult,
)
from amberline.web.auth import CurrentUser, api_writer, ensure

router = APIRouter(prefix="/api/v1", tags=["api"])
Writer = Annotated[User, Depends(api_writer)]
_screener_lock = threading.Lock()
PUSH_FILE = "push API"  # the quarantine's "file" for pushed ads that cannot be screened


def _screener(request: Request) -> Any:
    state = request.app.state
    with _screener_lock:
        if state.screener is None:
            from amberline.pipeline import ScreenConfig, Screener

            state.screener = Screener(ScreenConfig(default_region=state.settings.region))
    return state.screener


def _ad(item: AdIn) -> Ad:
    return Ad(source=item.source, title=item.title, body=item.body, source_id=item.source_id,
              url=item.url, posted_at=item.posted_at, city=item.city, region=item.region,
              country=item.country,
              image_hashes=[h.model_dump(exclude_none=True) for h in item.image_hashes],
              raw=item.raw)


def _flags(s: Screening) -> list[dict[str, Any]]:
    return [asdict(f) for f in s.flags]


@router.post("/ads", response_model=PushOut, summary="Screen and store a batch of ads")
def push_ads(request: Request, payload: PushIn, user: Writer) -> PushOut:
    ensure(user, "analyst")
    state = request.app.state
    if len(payload.ads) > state.settings.max_batch:
        raise HTTPException(422, [{"field": "body.ads", "reason":
                                   f"at most {state.settings.max_batch} ads per request"}])
    refused = sorted({item.source for item in payload.ads if not user.may_push(item.source)})
    if refused:
        raise HTTPException(403, f"this token may not push ads under source {refused[0]!r}; "
                                 f"it may push under {', '.join(sorted(user.sources or ()))}")
    batch = [_ad(item) for item in payload.ads]
    screened = screen_isolated(_screener(request), batch)
    items, failures = split_results(batch, screened)
    store = state.store
    from amberline.scan import store_batch
    from amberline.scan_hooks import default_hooks

    if failures:  # the ads a pipeline stage raised on: quarantined, the rest stored
        store.quarantine(None, [failure_record(f, PUSH_FILE) for f in failures])
    done = store_batch(store, None, items, default_hooks(store))
    new_ids, refused = done.new_ids, {k: r.reason for k, r in done.refused.items()}
    results = _results(store, batch, screened, new_ids, refused)
    quarantined = len(failures) + len(done.refused)
    audit.append(store, user.name, "push", "", {"ads": len(batch), "stored": len(new_ids),
                                                "quarantined": quarantined})
    return PushOut(stored=len(new_ids), duplicates=len(items) - len(new_ids) - len(refused),
                   quarantined=quarantined, results=results)


def _results(store: Any, batch: list[Ad], screened: list[Screening | ScreeningFailure],
             new_ids: dict[str, int], refused: dict[str, str]) -> list[PushResult]:
    """One result per pushed ad, in order: stored, duplicate (with the stored ad's id) or
    quarantined (id 0, nothing stored)."""
    old_keys = {s.ad_key for s in screened if isinstance(s, Screening)} - new_ids.keys()
    existing = store.ids_of_keys(old_keys)
    results, first = [], set()
    for i, (a, s) in enumerate(zip(batch, screened, strict=True)):
        if isinstance(s, ScreeningFailure):
            results.append(PushResult(index=i, key=a.key, id=0, status="quarantined",
                                      score=0.0, flags=[], error=s.message))
            continue
        key = s.ad_key
        if key in refused:
            results.append(PushResult(index=i, key=key, id=0, status="quarantined",
                                      score=s.score, flags=[], error=refused[key]))
            continue
        fresh = key in new_ids and key not in first
        first.add(key)
        ad_id = new_ids.get(key) or existing.get(key, 0)
        results.append(PushResult(index=i, key=key, id=ad_id,
                                  status="stored" if fresh else "duplicate",
                                  score=s.score, flags=_flags(s)))
    return results


def decisions_out(rows: list[decisions.Decision]) -> list[dict[str, Any]]:
    """Decisions in the API's `DecisionOut` shape, newest first as given."""
    return [{"id": d.id, "action": d.action, "note": d.note, "user_name": d.user_name,
             "decided_at": d.decided_at, "network_id": d.network_id,
             "conversation_id": d.conversation_id} for d in rows]


@router.get("/ads/{ad_id}", response_model=AdOut, summary="One stored ad with its evidence",
            responses={404: {"description": "No such ad"}})
def get_ad(request: Request, ad_id: Annotated[int, Path(ge=1, le=MAX_ID)],
           user: CurrentUser) -> dict[str, Any]:
    store = request.app.state.store
    stored = store.get_ad(ad_id)
    if stored is None:
        raise HTTPException(404, f"no ad with id {ad_id}")
    audit.append(store, user.name, "view_ad", f"ad:{ad_id}", {"via": "api"})
    a, s = stored.ad, stored.screening
    return {
        "id": stored.id, "key": s.ad_key, "source": a.source, "source_id": a.source_id,
        "url": a.url, "posted_at": a.posted_at, "title": a.title, "body": a.body,
        "city": a.city, "region": a.region, "country": a.country, "score": s.score,
        "pipeline_version": s.pipeline_version, "spans": [asdict(x) for x in s.spans],
        "flags": _flags(s), "image_hashes": a.image_hashes,
        "network_id": networks.network_of_ad(store, ad_id),
        "decisions": decisions_out(decisions.history(store, ad_id=ad_id)),
    }


@router.get("/networks/{network_id}", response_model=NetworkOut,
            summary="A network: members, shared keys, movement path",
            responses={404: {"description": "No such network"}})
def get_network(request: Request, network_id: Annotated[str, Path(max_length=512)],
                user: CurrentUser) -> dict[str, Any]:
    store = request.app.state.store
    view = networks.load(store, network_id)
    if view is None:
        raise HTTPException(404, f"no network with id {network_id}")
    audit.append(store, user.name, "view_network", f"network:{network_id}", {"via": "api"})
    return {
        "id": view.id, "stored": view.stored, "score": view.score,
        "members": view.members,
        "keys": [{"kind": k, "value": v, "ads": ids} for k, v, ids in view.keys],
        "path": view.path(),
        "decisions": decisions_out(decisions.history(store, network_id=network_id)),
    }


@router.post("/decisions", response_model=DecisionsOut,
             summary="Decide on an ad, a network or a conversation",
             responses={404: {"description": "No such ad, network or conversation"}})
def post_decision(request: Request, payload: DecisionIn, user: Writer) -> DecisionsOut:
    ensure(user, "analyst")
    store = request.app.state.store
    members: list[int] = []
    if payload.network_id is not None:
        view = networks.load(store, payload.network_id)
        if view is None:
            raise HTTPException(404, f"no network with id {payload.network_id}")
        members = [m.id for m in view.members]
    try:
        written = decisions.record_decision(
            store, action=payload.action, note=payload.note, user_name=user.name,
            ad=payload.ad_id, network_id=payload.network_id,
            member_ids=members if payload.network_id is not None else None, via="api",
            conversation=payload.conversation_id)
    except decisions.DecisionError as exc:
        missing = "no ad" in str(exc) or "no such conversation" in str(exc)
        raise HTTPException(404 if missing else 422, str(exc)) from exc
    return DecisionsOut(ids=[d.id for d in written])
