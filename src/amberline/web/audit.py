"""The append-only, hash-chained audit log: who viewed, decided, exported and signed in.

Each entry's hash is sha256(previous hash + canonical JSON of the entry), where the entry is
its sequence number, time, user, action, target and detail. `audit_head` keeps the newest
sequence number and hash and is locked by every append (in the same transaction as the
insert), so the chain stays linear with several writers, and `verify` finds an edited field,
a deleted entry in the middle (a broken link) and a deleted tail (the head no longer matches).
Someone who can rewrite the whole database can rewrite the chain too: keep the head hash
printed by `amberline audit verify` somewhere else to pin it (`--expect-head`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from amberline.store.database import MAX_ID, Store
from amberline.store.rows import insert_ignore
from amberline.store.schema import utcnow
from amberline.store.schema_workspace import audit_head, audit_log

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    user_name: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces, ASCII only: the same bytes on every machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=str)


def entry_hash(prev_hash: str, seq: int, at: datetime, user: str, action: str, target: str,
               detail_json: str) -> str:
    """The chain hash of one entry."""
    body = canonical({"seq": seq, "at": at.isoformat(), "user": user, "action": action,
                      "target": target, "detail": json.loads(detail_json)})
    return hashlib.sha256((prev_hash + body).encode("ascii")).hexdigest()


def append(store: Store, user: str, action: str, target: str = "",
           detail: dict[str, Any] | None = None, conn: sa.Connection | None = None) -> str:
    """Add an entry; returns its hash. Pass `conn` to write it in the caller's transaction
    (a decision and its audit entry then commit or fail together)."""
    if conn is None:
        with store.writer.begin() as own:
            return append(store, user, action, target, detail, own)
    conn.execute(insert_ignore(audit_head, conn.dialect.name, ["id"])
                 .values(id=1, seq=0, hash=GENESIS))
    head = conn.execute(
        sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        .with_for_update()
    ).one()
    seq = head.seq + 1
    # Microseconds dropped: every backend stores and returns whole-second-or-better the same.
    at = utcnow().replace(microsecond=0)
    detail_json = canonical(detail or {})
    digest = entry_hash(head.hash, seq, at, user, action, target, detail_json)
    conn.execute(audit_log.insert().values(
        id=seq, at=at, user_name=user, action=action, target=target[:512], detail=detail_json,
        prev_hash=head.hash, hash=digest))
    conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return digest


def entries(store: Store, limit: int = 100, before: int | None = None,
            action: str | None = None) -> list[AuditEntry]:
    """Newest first; `before` an entry id for keyset paging."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before is not None and before <= MAX_ID:  # a larger cursor is past every entry
        query = query.where(audit_log.c.id < max(before, 0))
    if action:
        query = query.where(audit_log.c.action == action)
    with store.engine.connect() as conn:
        return [_entry(r) for r in conn.execute(query)]


def _entry(r: sa.Row[Any]) -> AuditEntry:
    return AuditEntry(r.id, r.at, r.user_name, r.action, r.target, json.loads(r.detail),
                      r.prev_hash, r.hash)


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking the chain: ok, how many entries, the head, and what broke."""

    ok: bool
    count: int
    head: str
    problems: list[str]


def verify(store: Store, expect_head: str | None = None, batch: int = 5000) -> Verification:
    """Walk the whole chain in id order and report every entry that does not fit."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    with store.engine.connect() as conn:
        head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)).first()
        last = 0
        while True:
            rows = conn.execute(sa.select(audit_log).where(audit_log.c.id > last)
                                .order_by(audit_log.c.id).limit(batch)).all()
            if not rows:
                break
            for r in rows:
                count += 1
                if r.id != expected_seq:
                    problems.append(f"entry {expected_seq}: missing (next is {r.id})")
                if r.prev_hash != prev:
                    problems.append(f"entry {r.id}: does not link to the entry before it")
                digest = entry_hash(r.prev_hash, r.id, r.at, r.user_name, r.action, r.target,
                                    r.detail)
                if digest != r.hash:
                    problems.append(f"entry {r.id}: content does not match its hash")
                prev, expected_seq = r.hash, r.id + 1
            last = rows[-1].id
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev:
        problems.append(f"head is entry {head_seq} but the log ends at entry {expected_seq - 1}"
                        " (entries deleted or head edited)")
    if expect_head is not None and expect_head != head_hash:
        problems.append(f"head hash {head_hash} is not the expected {expect_head}")
    return Verification(not problems, count, head_hash, problems)
