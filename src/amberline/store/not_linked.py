"""An analyst's "these two ads are not linked" decisions (`link_decisions`): the rows, their
audit entry, and the reads a split needs (the ad, its network, the edge's evidence).

Why in `store/`: SQL lives here; `link/split.py` checks the note, relinks and reports. The
decision and its audit entry are written in one transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from amberline.store import audit
from amberline.store.database import Store
from amberline.store.decisions import resolve_ad
from amberline.store.schema import utcnow
from amberline.store.schema_networks import link_decisions, link_edges, network_members


class SplitError(ValueError):
    """A "not linked" decision that cannot be recorded (unknown ad, same ad, no note)."""


def _ad_id(conn: sa.Connection, ref: str | int) -> int:
    """An ad id from an id or an ad key ("source:id"), as decisions resolve them."""
    text = str(ref).strip()
    found = resolve_ad(conn, text)
    if found is None:
        raise SplitError(f"{text[:80]}: no such ad")
    return found[0]


def _network(conn: sa.Connection, ad_id: int) -> str | None:
    return conn.execute(sa.select(network_members.c.network_id)
                        .where(network_members.c.ad_id == ad_id)).scalar()


def _edge_evidence(conn: sa.Connection, x: int, y: int) -> str | None:
    e = link_edges.c
    return conn.execute(sa.select(e.evidence).where(
        ((e.ad_a == x) & (e.ad_b == y)) | ((e.ad_a == y) & (e.ad_b == x))).limit(1)).scalar()


def record_not_linked(store: Store, user: str, ad_a: str | int, ad_b: str | int,
                      note: str) -> dict[str, Any]:
    """Write the decision and its audit entry; returns the row with its `id` and whether both
    ads were in the same network (`same`)."""
    with store.writer.begin() as conn:
        x, y = sorted((_ad_id(conn, ad_a), _ad_id(conn, ad_b)))
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
    return {**row, "id": int(decision), "before": before, "same": same}


def networks_of_pair(store: Store, x: int, y: int) -> tuple[str | None, str | None]:
    """The networks the two ads are in now (None: in none)."""
    with store.engine.connect() as conn:
        return _network(conn, x), _network(conn, y)
