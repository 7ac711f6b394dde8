"""Recording decisions: one ad, or a whole network at once, each with its audit entry.

Why one transaction for the decision rows and the audit entry: a decision that is stored but
not audited (or audited but not stored) is exactly the gap a later review must never find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from amberline.store import audit
from amberline.store.database import MAX_ID, Store
from amberline.store.schema import ads, utcnow
from amberline.store.schema_workspace import DECISION_ACTIONS, decisions

MAX_NOTE = 4000


class DecisionError(ValueError):
    """A decision that cannot be recorded (unknown action, empty note, unknown ad)."""


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    ad_id: int | None
    network_id: str | None
    action: str
    note: str
    user_name: str
    decided_at: datetime


def _check(action: str, note: str) -> str:
    if action not in DECISION_ACTIONS:
        raise DecisionError(f"action must be one of {', '.join(DECISION_ACTIONS)}")
    note = note.strip()
    if not note:
        raise DecisionError("a note is required: say why")
    if len(note) > MAX_NOTE:
        raise DecisionError(f"a note has at most {MAX_NOTE} characters")
    return note


def decide(store: Store, user: str, action: str, note: str, *, ad_id: int | None = None,
           network_id: str | None = None, member_ids: list[int] | None = None) -> list[int]:
    """Record a decision on one ad, or on a network and each of its member ads (bulk).

    Returns the ids of the decision rows. Raises DecisionError before writing anything when
    the action, note or target is not acceptable.
    """
    note = _check(action, note)
    if (ad_id is None) == (network_id is None):
        raise DecisionError("decide on exactly one ad or one network")
    now = utcnow()
    targets = [ad_id] if ad_id is not None else list(member_ids or [])
    targets = [a for a in targets if 0 < a <= MAX_ID]  # beyond an id column's range: unknown
    with store.writer.begin() as conn:
        known = set(conn.execute(sa.select(ads.c.id).where(ads.c.id.in_(targets))).scalars())
        if ad_id is not None and ad_id not in known:
            raise DecisionError(f"no ad with id {ad_id}")
        rows = [{"ad_id": a, "network_id": network_id, "action": action, "note": note,
                 "user_name": user, "decided_at": now} for a in targets if a in known]
        if network_id is not None:
            rows.insert(0, {"ad_id": None, "network_id": network_id, "action": action,
                            "note": note, "user_name": user, "decided_at": now})
        ids = [conn.execute(decisions.insert().values(**r)).inserted_primary_key[0]
               for r in rows]
        target = f"ad:{ad_id}" if ad_id is not None else f"network:{network_id}"
        audit.append(store, user, "decision", target,
                     {"action": action, "note": note, "decision_ids": ids,
                      "ads": len(rows) - (network_id is not None)}, conn=conn)
    return [int(i) for i in ids]


def history(store: Store, *, ad_id: int | None = None,
            network_id: str | None = None) -> list[Decision]:
    """Decisions on an ad (including bulk ones through its network) or on a network, newest
    first."""
    where = decisions.c.ad_id == ad_id if ad_id is not None else (
        (decisions.c.network_id == network_id) & decisions.c.ad_id.is_(None))
    query = sa.select(decisions).where(where).order_by(decisions.c.decided_at.desc(),
                                                       decisions.c.id.desc())
    with store.engine.connect() as conn:
        return [Decision(r.id, r.ad_id, r.network_id, r.action, r.note, r.user_name,
                         r.decided_at) for r in conn.execute(query)]
