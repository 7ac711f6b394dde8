"""Record and read analysts' decisions (escalate, report, takedown, clear) on ads and networks.

Why here and this small: the web workspace and the `amberline decide` command must write
decisions the same way (one row in `decisions`, never edited, a later one supersedes), and the
workspace must be able to add its audit entry in the same transaction. So the insert is one
function on a `Connection` (`insert_decision`), wrapped by `record_decision` for callers that
hold a `Store`, and reading "the decision in force" is one query both reports and the
workspace can share. Every decision leaves an entry in the audit chain (`store.audit`), in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from amberline.store import audit as audit_log
from amberline.store.database import Store
from amberline.store.network_reads import members_of_networks
from amberline.store.schema import ads, utcnow
from amberline.store.schema_workspace import DECISION_ACTIONS, decisions

# Called inside the decision's transaction with the decisions just written (the first is the
# one asked for; for a network, member rows follow).
AuditWriter = Callable[[sa.Connection, "list[Decision]"], None]


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision as stored; `ad_key` is filled in for ad decisions."""

    id: int
    ad_id: int | None
    ad_key: str | None
    network_id: str | None
    action: str
    note: str
    user_name: str
    decided_at: datetime


def resolve_ad(conn: sa.Connection, key_or_id: str | int) -> tuple[int, str] | None:
    """(id, key) of a stored ad given its key or numeric id (as int or digits)."""
    where = ads.c.key == str(key_or_id)
    if isinstance(key_or_id, int) or str(key_or_id).isdigit():
        where = sa.or_(where, ads.c.id == int(key_or_id))
    row = conn.execute(sa.select(ads.c.id, ads.c.key).where(where).order_by(ads.c.id)).first()
    return (row.id, row.key) if row else None


def insert_decision(
    conn: sa.Connection,
    *,
    action: str,
    note: str,
    user_name: str,
    ad: str | int | None = None,
    network_id: str | None = None,
    decided_at: datetime | None = None,
) -> list[Decision]:
    """Insert one decision on an open (writing) connection. Raises ValueError on bad input.

    A network decision is one row for the network and, as the workspace records it, one row
    per stored member ad (with the network id), so per-ad readers see it too. Returns the
    rows written, the requested one first.
    """
    note = note.strip()
    if action not in DECISION_ACTIONS:
        raise ValueError(f"action {action!r} is not one of {', '.join(DECISION_ACTIONS)}")
    if (ad is None) == (network_id is None):
        raise ValueError("a decision is about exactly one ad or one network")
    if not note:
        raise ValueError("a decision needs a note: say why")
    if not user_name.strip():
        raise ValueError("a decision needs the name of the user who took it")
    when = decided_at or utcnow()
    targets: list[tuple[int | None, str | None]] = []
    if ad is not None:
        found = resolve_ad(conn, ad)
        if found is None:
            raise ValueError(f"{ad}: no such ad")
        targets.append(found)
    else:
        targets.append((None, None))
        members = members_of_networks(conn, [str(network_id)])[str(network_id)]
        keys = dict(conn.execute(sa.select(ads.c.id, ads.c.key).where(ads.c.id.in_(members))
                                 ).all()) if members else {}
        targets.extend((m, keys.get(m)) for m in members)
    written = []
    for ad_id, ad_key in targets:
        result = conn.execute(decisions.insert().values(
            ad_id=ad_id, network_id=network_id, action=action, note=note,
            user_name=user_name, decided_at=when,
        ))
        written.append(Decision(int(result.inserted_primary_key[0]), ad_id, ad_key, network_id,
                                action, note, user_name, when))
    return written


def chain_audit(store: Store) -> AuditWriter:
    """The audit writer over the store's hash-chained audit log."""

    def write(conn: sa.Connection, written: list[Decision]) -> None:
        first = written[0]
        target = (f"ad:{first.ad_id}" if first.ad_id is not None
                  else f"network:{first.network_id}")
        audit_log.append(store, first.user_name, "decision", target,
                     {"action": first.action, "note": first.note,
                      "decision_ids": [d.id for d in written],
                      "ads": sum(d.ad_id is not None for d in written), "via": "cli"},
                     conn=conn)

    return write


def record_decision(
    store: Store, *, audit: AuditWriter | None = None, **fields: Any
) -> Decision:
    """Insert a decision (see `insert_decision` for the fields) and its audit entry, atomically.

    `audit` defaults to the store's audit chain; the decision and its audit entry commit
    together or not at all. Returns the requested decision.
    """
    writer = audit or chain_audit(store)
    with store.writer.begin() as conn:
        written = insert_decision(conn, **fields)
        writer(conn, written)
    return written[0]


def _decision(row: Any) -> Decision:
    return Decision(row.id, row.ad_id, row.key, row.network_id, row.action, row.note,
                    row.user_name, row.decided_at)


def decisions_about(
    conn: sa.Connection, ad_ids: list[int], network_ids: list[str]
) -> list[Decision]:
    """Every decision on these ads or networks, oldest first (ties in insertion order)."""
    conditions = []
    if ad_ids:
        conditions.append(decisions.c.ad_id.in_(ad_ids))
    if network_ids:
        conditions.append(decisions.c.network_id.in_(network_ids))
    if not conditions:
        return []
    query = (
        sa.select(decisions, ads.c.key)
        .select_from(decisions.outerjoin(ads, ads.c.id == decisions.c.ad_id))
        .where(sa.or_(*conditions))
        .order_by(decisions.c.decided_at, decisions.c.id)
    )
    return [_decision(r) for r in conn.execute(query)]


def all_decisions(conn: sa.Connection, actions: tuple[str, ...] | None = None) -> list[Decision]:
    """All decisions (optionally of some actions only), oldest first."""
    query = (
        sa.select(decisions, ads.c.key)
        .select_from(decisions.outerjoin(ads, ads.c.id == decisions.c.ad_id))
        .order_by(decisions.c.decided_at, decisions.c.id)
    )
    if actions:
        query = query.where(decisions.c.action.in_(actions))
    return [_decision(r) for r in conn.execute(query)]
