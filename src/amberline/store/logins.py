"""Failed sign-ins, counted per account and per client address: throttling and lockout.

Why counts and not one audit entry per failure: anyone can send wrong passwords, and an
entry each let them flood the audit log. Each key ("account:NAME", "address:IP") keeps one
row with its failure count; after `free` failures every further attempt must wait, twice as
long per failure up to `max_wait` (the caller answers 429 with Retry-After, without checking
the password), and `lock_after` failures on one account lock it until an admin unlocks it.
The audit log gets one entry when a key starts being throttled and one when an account is
locked; a successful sign-in records how many failures came before it. A count is forgotten
after `forget_after` seconds without a failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from amberline.store import audit
from amberline.store.accounts import account_key
from amberline.store.database import Store
from amberline.store.rows import insert_ignore
from amberline.store.schema import utcnow
from amberline.store.schema_workspace import login_failures, users


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How many failures are free, how long the wait grows, when an account locks."""

    free: int = 5  # per account
    address_free: int = 20  # per client address: several people may share one
    max_wait: int = 300  # seconds
    lock_after: int = 15  # failures on one account
    forget_after: int = 3600  # seconds without a failure


def _keys(name: str, address: str) -> dict[str, str]:
    return {account_key(name): "account", f"address:{address[:64]}": "address"}


def _wait(policy: LoginPolicy, kind: str, failures: int) -> int:
    free = policy.free if kind == "account" else policy.address_free
    return 0 if failures < free else min(2 ** (failures - free + 1), policy.max_wait)


def retry_after(store: Store, policy: LoginPolicy, name: str, address: str,
                now: datetime | None = None) -> int:
    """Seconds before `name` may try again from `address` (0: now). A refused attempt is
    counted on its keys, not as a failure."""
    now = now or utcnow()
    keys = _keys(name, address)
    fresh = now - timedelta(seconds=policy.forget_after)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(login_failures).where(
            login_failures.c.key.in_(keys), login_failures.c.last_at > fresh)).all()
    waits = {r.key: (r.last_at + timedelta(seconds=_wait(policy, keys[r.key], r.failures))
                     - now).total_seconds() for r in rows}
    waiting = [k for k, w in waits.items() if w > 0]
    if not waiting:
        return 0
    with store.writer.begin() as conn:
        conn.execute(login_failures.update().where(login_failures.c.key.in_(waiting))
                     .values(refused=login_failures.c.refused + 1))
    return math.ceil(max(waits[k] for k in waiting))


def record_failure(store: Store, policy: LoginPolicy, name: str, address: str,
                   now: datetime | None = None) -> None:
    """Count a failed sign-in on the account and the address; throttle and lock as due."""
    now = now or utcnow()
    stale = now - timedelta(seconds=policy.forget_after)
    with store.writer.begin() as conn:
        conn.execute(login_failures.delete().where(login_failures.c.last_at <= stale))
        for key, kind in _keys(name, address).items():
            conn.execute(insert_ignore(login_failures, conn.dialect.name, ["key"]).values(
                key=key, failures=0, refused=0, first_at=now, last_at=now))
            failures = conn.execute(
                login_failures.update().where(login_failures.c.key == key)
                .values(failures=login_failures.c.failures + 1, last_at=now)
                .returning(login_failures.c.failures)).scalar_one()
            if failures == (policy.free if kind == "account" else policy.address_free):
                audit.append(store, name[:255] or "-", "login_throttled", key,
                             {"failures": failures}, conn=conn)
            if kind == "account" and failures >= policy.lock_after:
                locked = conn.execute(users.update().where(users.c.name == name,
                                                           users.c.locked_at.is_(None))
                                      .values(locked_at=now)).rowcount
                if locked:
                    audit.append(store, name, "account_locked", f"user:{name}",
                                 {"failures": failures}, conn=conn)


def record_success(store: Store, name: str) -> int:
    """Forget the account's failures after a successful sign-in; returns how many there were
    (the address keeps its count: one good account must not reset a guesser's address)."""
    key = account_key(name)
    with store.writer.begin() as conn:
        failures = conn.execute(sa.select(login_failures.c.failures)
                                .where(login_failures.c.key == key)).scalar()
        conn.execute(login_failures.delete().where(login_failures.c.key == key))
    return int(failures or 0)
