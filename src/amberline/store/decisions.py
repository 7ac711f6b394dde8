"""Analysts' decisions (escalate, report, takedown, clear) on ads, networks and conversations:
one record, one write path, and the reads that reports and the workspace share.

Why one home: the command line, the workspace pages and the API all record decisions, and a
decision recorded by one of them must look, validate and audit exactly like one recorded by
another. Decisions are never edited: a later one supersedes. A network decision is one row
for the network and one per member ad (with the network id), so per-ad readers see it too.
The rows and their audit entry commit in one transaction: a decision stored but not audited
(or audited but not stored) is exactly the gap a later review must never find.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from amberline.store import audit
from amberline.store.conversations import resolve_conversation
from amberline.store.database import MAX_ID, Store
from amberline.store.network_reads import members_of_networks
from amberline.store.schema import ads, utcnow
from amberline.store.schema_workspace import DECISION_ACTIONS, decisions

MAX_NOTE = 4000


class DecisionError(ValueError):
    """A decision that cannot be recorded (unknown action, empty note, unknown ad or user)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision as stored; `ad_key` is filled in for ad decisions, `conversation_id` for
    a decision on a conversation (ad and network then None)."""

    id: int
    ad_id: int | None
    ad_key: str | None
    network_id: str | None
    action: str
    note: str
    user_name: str
    decided_at: datetime
    conversation_id: int | None = None


def resolve_ad(conn: sa.Connection, key_or_id: str | int) -> tuple[int, str] | None:
    """(id, key) of a stored ad given its key or numeric id (as int or digits)."""
    where = ads.c.key == str(key_or_id)
    text = str(key_or_id)
    numeric = isinstance(key_or_id, int) or (text.isascii() and text.isdigit())
    if numeric and 0 < int(key_or_id) <= MAX_ID:
        where = sa.or_(where, ads.c.id == int(key_or_id))
    row = conn.execute(sa.select(ads.c.id, ads.c.key).where(where).order_by(ads.c.id)).first()
    return (row.id, row.key) if row else None


def _checked(action: str, note: str, user_name: str) -> str:
    if action not in DECISION_ACTIONS:
        raise DecisionError(f"action {action!r} is not one of {', '.join(DECISION_ACTIONS)}")
    note = note.strip()
    if not note:
        raise DecisionError("a decision needs a note: say why")
    if len(note) > MAX_NOTE:
        raise DecisionError(f"a note has at most {MAX_NOTE} characters")
    if not user_name.strip():
        raise DecisionError("a decision needs the name of the user who took it")
    return note


def _targets(
    conn: sa.Connection, ad: str | int | None, network_id: str | None,
    member_ids: Iterable[int] | None,
) -> list[tuple[int | None, str | None]]:
    """(ad id, ad key) per row to write: the ad, or the network (None) and its members."""
    if ad is not None:
        found = resolve_ad(conn, ad)
        if found is None:
            raise DecisionError(f"no ad {ad}: no such ad")
        return [found]
    wanted = (members_of_networks(conn, [str(network_id)])[str(network_id)]
              if member_ids is None else [a for a in member_ids if 0 < a <= MAX_ID])
    keys = dict(conn.execute(sa.select(ads.c.id, ads.c.key).where(ads.c.id.in_(wanted))).all()
                ) if wanted else {}
    return [(None, None), *((a, keys[a]) for a in wanted if a in keys)]


def record_decision(
    store: Store, *, action: str, note: str, user_name: str, ad: str | int | None = None,
    network_id: str | None = None, member_ids: Iterable[int] | None = None,
    decided_at: datetime | None = None, via: str = "workspace",
    conversation: str | int | None = None,
) -> list[Decision]:
    """Record a decision on one ad (key or id), one network or one conversation (key or
    id), with its audit entry.

    A network's members are the stored membership, or `member_ids` for a network the
    workspace derived from shared identifiers. Returns the rows written, the requested one
    first. Raises DecisionError before writing anything when the input is not acceptable.
    """
    note = _checked(action, note, user_name)
    if sum(x is not None for x in (ad, network_id, conversation)) != 1:
        raise DecisionError("decide on exactly one ad, one network or one conversation")
    when = decided_at or utcnow()
    if conversation is not None:
        return [_record_conversation(store, conversation, action, note, user_name, when, via)]
    with store.writer.begin() as conn:
        written = []
        for ad_id, ad_key in _targets(conn, ad, network_id, member_ids):
            result = conn.execute(decisions.insert().values(
                ad_id=ad_id, network_id=network_id, action=action, note=note,
                user_name=user_name, decided_at=when))
            written.append(Decision(int(result.inserted_primary_key[0]), ad_id, ad_key,
                                    network_id, action, note, user_name, when))
        first = written[0]
        target = f"ad:{first.ad_id}" if ad is not None else f"network:{network_id}"
        audit.append(store, user_name, "decision", target,
                     {"action": action, "note": note, "decision_ids": [d.id for d in written],
                      "ads": sum(d.ad_id is not None for d in written), "via": via}, conn=conn)
    return written


def _record_conversation(store: Store, conversation: str | int, action: str, note: str,
                         user_name: str, when: datetime, via: str) -> Decision:
    with store.writer.begin() as conn:
        found = resolve_conversation(conn, conversation)
        if found is None:
            raise DecisionError(f"no conversation {conversation}: no such conversation")
        result = conn.execute(decisions.insert().values(
            conversation_id=found[0], action=action, note=note, user_name=user_name,
            decided_at=when))
        decision = Decision(int(result.inserted_primary_key[0]), None, None, None, action,
                            note, user_name, when, found[0])
        audit.append(store, user_name, "decision", f"conversation:{found[0]}",
                     {"action": action, "note": note, "decision_ids": [decision.id],
                      "conversation": found[1], "via": via}, conn=conn)
    return decision


def _decision(row: Any) -> Decision:
    return Decision(row.id, row.ad_id, row.key, row.network_id, row.action, row.note,
                    row.user_name, row.decided_at, row.conversation_id)


def _query() -> sa.Select[Any]:
    return sa.select(decisions, ads.c.key).select_from(
        decisions.outerjoin(ads, ads.c.id == decisions.c.ad_id))


def history(store: Store, *, ad_id: int | None = None, network_id: str | None = None,
            conversation_id: int | None = None) -> list[Decision]:
    """Decisions on an ad (including bulk ones through its network), on a network or on a
    conversation, newest first."""
    if conversation_id is not None:
        where = decisions.c.conversation_id == conversation_id
    elif ad_id is not None:
        where = decisions.c.ad_id == ad_id
    else:
        where = (decisions.c.network_id == network_id) & decisions.c.ad_id.is_(None)
    query = _query().where(where).order_by(decisions.c.decided_at.desc(), decisions.c.id.desc())
    with store.engine.connect() as conn:
        return [_decision(r) for r in conn.execute(query)]


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
    query = _query().where(sa.or_(*conditions))
    return [_decision(r) for r in conn.execute(query.order_by(decisions.c.decided_at,
                                                              decisions.c.id))]


def all_decisions(conn: sa.Connection, actions: tuple[str, ...] | None = None) -> list[Decision]:
    """All decisions on ads and networks (optionally of some actions only), oldest first;
    decisions on conversations are read through `history`, never as ad or network ones."""
    query = _query().where(decisions.c.conversation_id.is_(None)).order_by(
        decisions.c.decided_at, decisions.c.id)
    if actions:
        query = query.where(decisions.c.action.in_(actions))
    return [_decision(r) for r in conn.execute(query)]
