"""The append-only, hash-chained audit log: who viewed, decided, exported and signed in.

Each entry's hash is sha256(previous hash + canonical JSON of the entry), where the entry is
its sequence number, time, user, action, target and detail. `audit_head` keeps the newest
sequence number and hash and is locked by every append (in the same transaction as the
insert), so the chain stays linear with several writers, and `verify` finds an edited field,
a deleted entry in the middle (a broken link) and a deleted tail (the head no longer matches).
Every field is hashed exactly as it is stored (cut to its column's length first), so no
input, however long, can make a true entry fail verification later.

Someone who can rewrite the whole database can rewrite the chain too, or wipe it, or cut its
tail and move the head back: so `verify` compares the chain with an anchor kept outside the
database, a checkpoint file (the entry count and head of the last good verification, which
the chain must still contain and extend) and, optionally, a head hash noted elsewhere
(`--expect-head`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from amberline.model import storable
from amberline.store.database import MAX_ID, Store
from amberline.store.rows import insert_ignore
from amberline.store.schema import utcnow
from amberline.store.schema_workspace import audit_head, audit_log

GENESIS = "0" * 64
# Column lengths of audit_log: values are cut to these before they are hashed and stored.
MAX_USER, MAX_ACTION, MAX_TARGET = 255, 64, 512


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
    user, action = _fit(user, MAX_USER), _fit(action, MAX_ACTION)
    target = _fit(target, MAX_TARGET)
    # Microseconds dropped: every backend stores and returns whole-second-or-better the same.
    at = utcnow().replace(microsecond=0)
    detail_json = canonical(detail or {})
    digest = entry_hash(head.hash, seq, at, user, action, target, detail_json)
    conn.execute(audit_log.insert().values(
        id=seq, at=at, user_name=user, action=action, target=target, detail=detail_json,
        prev_hash=head.hash, hash=digest))
    conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return digest


def _fit(value: str, limit: int) -> str:
    """`value` as the column keeps it: at most `limit` characters of valid UTF-8, NUL (which
    PostgreSQL text cannot hold) shown as U+FFFD."""
    return storable(value[:limit])


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
    seq: int = 0  # the head's sequence number


@dataclass(frozen=True, slots=True)
class Anchor:
    """A point the chain must still pass through: entry `seq` with hash `head` (seq 0 is the
    empty log, which every chain extends)."""

    seq: int
    head: str


def verify(store: Store, expect_head: str | None = None, anchor: Anchor | None = None,
           batch: int = 5000) -> Verification:
    """Walk the whole chain in id order and report every entry that does not fit, and whether
    the chain still passes through `anchor`."""
    problems: list[str] = []
    prev, expected_seq, count, at_anchor = GENESIS, 1, 0, GENESIS
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
                if anchor is not None and r.id == anchor.seq:
                    at_anchor = r.hash
                prev, expected_seq = r.hash, r.id + 1
            last = rows[-1].id
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev:
        problems.append(f"head is entry {head_seq} but the log ends at entry {expected_seq - 1}"
                        " (entries deleted or head edited)")
    if anchor is not None and at_anchor != anchor.head:
        problems.append(f"the checkpoint's entry {anchor.seq} ({anchor.head}) is no longer in "
                        "the log: entries were wiped, cut off or rewritten since it was taken")
    if expect_head is not None and expect_head != head_hash:
        problems.append(f"head hash {head_hash} is not the expected {expect_head}")
    return Verification(not problems, count, head_hash, problems, head_seq)


def read_checkpoint(path: Path) -> Anchor | None:
    """The anchor kept in `path`, or None when there is no checkpoint yet; ValueError when
    the file is not a checkpoint (a damaged anchor must not pass for a missing one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not an audit checkpoint ({exc})") from exc
    if not (isinstance(data, dict) and isinstance(data.get("seq"), int)
            and isinstance(data.get("head"), str)):
        raise ValueError(f"{path}: not an audit checkpoint (needs seq and head)")
    return Anchor(data["seq"], data["head"])


def write_checkpoint(path: Path, result: Verification) -> None:
    """Keep a verified chain's head in `path` (written whole, then renamed into place)."""
    body = {"seq": result.seq, "head": result.head, "count": result.count,
            "verified_at": utcnow().isoformat()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def entries_about(
    conn: sa.Connection, ad_ids: Iterable[int], ad_keys: Iterable[str], network_ids: Iterable[str],
    conversation_ids: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """Audit rows about these ads, networks or conversations, oldest first, for a case file:
    the workspace writes targets as "ad:<id>", "network:<id>" and "conversation:<id>"; bare
    ad ids, ad keys and network ids are matched too."""
    ad_ids, ad_keys, network_ids = list(ad_ids), list(ad_keys), list(network_ids)
    targets = {str(v) for v in (*ad_ids, *ad_keys, *network_ids)}
    targets |= {f"ad:{v}" for v in (*ad_ids, *ad_keys)} | {f"network:{v}" for v in network_ids}
    targets |= {f"conversation:{v}" for v in conversation_ids}
    if not targets:
        return []
    query = sa.select(audit_log).where(audit_log.c.target.in_(sorted(targets)))
    return [dict(row._mapping) for row in conn.execute(query.order_by(audit_log.c.id))]
