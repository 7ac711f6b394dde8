"""An analyst's "these two ads are not linked": split a network at a weak edge.

Why a decision and not an edit of the edges: edges are recomputed by every `amberline link`
run, a rebuild forgets them all. The decision is a row of its own (`link_decisions`) that
linking reads on every run and never clears, so the split survives a rebuild and incremental
runs keep it (`components.separate`). It is written in one transaction with its audit entry,
then the store is relinked so that the networks reflect it at once. The CLI (`amberline
unlink`) and the network page both call `mark_not_linked`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from amberline.store import audit
from amberline.store.database import MAX_ID, Store
from amberline.store.schema import ads, utcnow
from amberline.store.schema_networks import link_decisions, link_edges, network_members

MAX_NOTE = 4000


class SplitError(ValueError):
    """A "not linked" decision that cannot be recorded (unknown ad, same ad, no note)."""


@dataclass(frozen=True, slots=True)
class SplitResult:
    decision_id: int
    ad_a: int
    ad_b: int
    network_before: str | None
    networks_after: tuple[str | None, str | None]


def resolve_ad(conn: sa.Connection, ref: str | int) -> int:
    """An ad id from an id or an ad key ("source:id")."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        found = conn.execute(sa.select(ads.c.id).where(ads.c.id == int(text))).scalar()
    else:
        found = conn.execute(sa.select(ads.c.id).where(ads.c.key == text[:512])).scalar()
    if found is None:
        raise SplitError(f"{text[:80]}: no such ad")
    return int(found)


def _network(conn: sa.Connection, ad_id: int) -> str | None:
    return conn.execute(sa.select(network_members.c.network_id)
                        .where(network_members.c.ad_id == ad_id)).scalar()


def _edge_evidence(conn: sa.Connection, x: int, y: int) -> str | None:
    e = link_edges.c
    return conn.execute(sa.select(e.evidence).where(
        ((e.ad_a == x) & (e.ad_b == y)) | ((e.ad_a == y) & (e.ad_b == x))).limit(1)).scalar()


def mark_not_linked(store: Store, user: str, ad_a: str | int, ad_b: str | int, note: str,
                    *, relink: bool = True) -> SplitResult:
    """Record that two ads are not linked (audited), then relink so networks follow it."""
    note = note.strip()
    if not note:
        raise SplitError("a note is required: say why the two ads are not linked")
    if len(note) > MAX_NOTE:
        raise SplitError(f"a note has at most {MAX_NOTE} characters")
    with store.writer.begin() as conn:
        x, y = sorted((resolve_ad(conn, ad_a), resolve_ad(conn, ad_b)))
        if x == y:
            raise SplitError("an ad cannot be split from itself")
        before = _network(conn, x)
        same = before is not None and before == _network(conn, y)
        known = conn.execute(sa.select(link_decisions.c.id).where(
            (link_decisions.c.ad_a == x) & (link_decisions.c.ad_b == y))).scalar()
        if known is not None:
            raise SplitError(f"ads {x} and {y} are already marked not linked")
        evidence = _edge_evidence(conn, x, y)
        row = {"ad_a": x, "ad_b": y, "network_id": before if same else None,
               "evidence": evidence, "note": note, "user_name": user, "decided_at": utcnow()}
        decision = conn.execute(link_decisions.insert().values(**row)).inserted_primary_key[0]
        audit.append(store, user, "not_linked", f"ads:{x},{y}",
                     {"decision_id": int(decision), "network": row["network_id"],
                      "edge": evidence, "note": note}, conn=conn)
    if relink:
        from .store_link import link_store, stored_config

        link_store(store, stored_config(store))
    with store.engine.connect() as conn:
        after = (_network(conn, x), _network(conn, y))
    return SplitResult(int(decision), x, y, before if same else None, after)
