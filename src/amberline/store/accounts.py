"""Users, roles and API tokens of the workspace, kept in the store, and their whole lifecycle.

Why here and not in the web layer's routes: the CLI (`amberline users add|token|disable|...`)
and the app both create and check accounts, and neither should know how they are hashed.
Passwords are hashed with argon2 (argon2-cffi's defaults, which follow RFC 9106); API tokens
are 256-bit random secrets shown once and stored only as their SHA-256 digest.

Every change to an account (added, disabled, enabled, removed, password set, unlocked,
sessions ended, token issued or revoked) writes its audit entry in the same transaction,
naming who made it (`by`). A disabled user's sessions and tokens stop working at once; a
token may be bound to the sources it may push ads under.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from amberline.store import audit
from amberline.store.database import Store
from amberline.store.schema import utcnow
from amberline.store.schema_workspace import ROLES, api_tokens, login_failures, users

TOKEN_PREFIX = "amb_"
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verifying an unknown user still costs one argon2 check, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("not-a-password")

# What each role may do; a role may do everything the roles after it may.
RANK = {"viewer": 0, "analyst": 1, "admin": 2}


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in person or machine client; `sources` are the only sources a token may push
    under (None: any)."""

    id: int
    name: str
    role: str
    sources: frozenset[str] | None = None

    def can(self, role: str) -> bool:
        """Whether this user has at least `role`."""
        return RANK[self.role] >= RANK[role]

    def may_push(self, source: str) -> bool:
        return self.sources is None or source in self.sources


class AccountError(ValueError):
    """A request about accounts that cannot be met (unknown role, taken name, weak password)."""


class AccountLocked(AccountError):
    """The password was right but the account is locked after repeated failed sign-ins."""


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def add_user(store: Store, name: str, role: str, password: str, by: str = "system") -> User:
    """Create a user; raises AccountError for a bad role, a taken name or a short password."""
    name = name.strip()
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name or len(name) > 255:
        raise AccountError("a user name must have 1 to 255 characters")
    row = {"name": name, "role": role, "password_hash": _check_password(password),
           "created_at": utcnow()}
    try:
        with store.writer.begin() as conn:
            user_id = conn.execute(users.insert().values(**row)).inserted_primary_key[0]
            audit.append(store, by, "user_add", f"user:{name}", {"role": role}, conn=conn)
    except sa.exc.IntegrityError as exc:
        raise AccountError(f"a user named {name!r} already exists") from exc
    return User(int(user_id), name, role)


def get_user(store: Store, name: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(users.c.id, users.c.name, users.c.role).where(users.c.name == name)
        ).first()
    return User(row.id, row.name, row.role) if row else None


def active_user(store: Store, name: str) -> User:
    """The user `name` if they exist and are not disabled; AccountError otherwise."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        raise AccountError(f"no user named {name!r}; add one with `amberline users add`")
    if row.disabled_at is not None:
        raise AccountError(f"user {name!r} is disabled")
    return User(row.id, row.name, row.role)


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user if `password` is theirs and they are not disabled, else None (same cost
    whether or not the name exists). Raises AccountLocked for the right password of a locked
    account."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled_at is not None:
        return None
    if row.locked_at is not None:
        raise AccountLocked(f"{name} is locked after repeated failed sign-ins; an admin can "
                            f"unlock it (amberline users unlock {name})")
    return User(row.id, row.name, row.role)


def session_epoch(store: Store, user_id: int) -> int:
    """The epoch a new session cookie of this user is issued under."""
    with store.engine.connect() as conn:
        epoch = conn.execute(sa.select(users.c.session_epoch)
                             .where(users.c.id == user_id)).scalar()
    return int(epoch or 0)


def session_user(store: Store, user_id: Any, epoch: Any) -> User | None:
    """The user of a session cookie issued under `epoch`, unless they were removed or
    disabled or have signed out since (the epoch moved on)."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users.c.id, users.c.name, users.c.role)
                           .where(users.c.id == user_id, users.c.session_epoch == epoch,
                                  users.c.disabled_at.is_(None))).first()
    return User(row.id, row.name, row.role) if row else None


def _change(store: Store, name: str, action: str, by: str, values: dict[str, Any],
            also: sa.Executable | None = None) -> None:
    """Update user `name` (and run `also`) and write the audit entry, in one transaction."""
    with store.writer.begin() as conn:
        if also is not None:
            conn.execute(also)
        changed = conn.execute(users.update().where(users.c.name == name)
                               .values(**values)).rowcount
        if not changed:
            raise AccountError(f"no user named {name!r}")
        audit.append(store, by, action, f"user:{name}", conn=conn)


def _next_epoch() -> dict[str, Any]:
    return {"session_epoch": users.c.session_epoch + 1}


def end_sessions(store: Store, name: str, by: str = "system",
                 action: str = "sessions_end") -> None:
    """End every session of user `name`, in every browser: their cookies stop being valid."""
    _change(store, name, action, by, _next_epoch())


def disable_user(store: Store, name: str, by: str) -> None:
    """Disable `name`: sign-in refused, sessions ended, tokens refused (kept for `enable`)."""
    _change(store, name, "user_disable", by, {"disabled_at": utcnow(), **_next_epoch()})


def enable_user(store: Store, name: str, by: str) -> None:
    _change(store, name, "user_enable", by, {"disabled_at": None})


def set_password(store: Store, name: str, password: str, by: str) -> None:
    """A new password for `name`; their sessions end (whoever knew the old one is out)."""
    _change(store, name, "user_passwd", by,
            {"password_hash": _check_password(password), **_next_epoch()})


def unlock_user(store: Store, name: str, by: str) -> None:
    """Lift a lockout after failed sign-ins, and forget the failures counted so far."""
    _change(store, name, "user_unlock", by, {"locked_at": None},
            also=login_failures.delete().where(login_failures.c.key == account_key(name)))


def remove_user(store: Store, name: str, by: str) -> None:
    """Delete `name` and their tokens; decisions and audit entries keep their name."""
    with store.writer.begin() as conn:
        user_id = conn.execute(sa.select(users.c.id).where(users.c.name == name)).scalar()
        if user_id is None:
            raise AccountError(f"no user named {name!r}")
        conn.execute(api_tokens.delete().where(api_tokens.c.user_id == user_id))
        conn.execute(users.delete().where(users.c.id == user_id))
        audit.append(store, by, "user_remove", f"user:{name}", conn=conn)


def account_key(name: str) -> str:
    """The key failed sign-ins of account `name` are counted under."""
    return f"account:{name[:255]}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(store: Store, name: str, sources: list[str] | None = None,
              by: str = "system") -> str:
    """Issue an API token for user `name`, allowed to push only under `sources` when given;
    the token itself is returned once, never stored."""
    user = active_user(store, name)
    if sources is not None and not all(s.strip() for s in sources):
        raise AccountError("a token's sources must be non-empty names")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    bound = json.dumps(sorted(set(sources))) if sources else None
    with store.writer.begin() as conn:
        conn.execute(api_tokens.insert().values(
            user_id=user.id, token_hash=_digest(token), created_at=utcnow(), sources=bound))
        audit.append(store, by, "token_issue", f"user:{name}",
                     {"sources": sorted(set(sources)) if sources else None}, conn=conn)
    return token


def user_for_token(store: Store, token: str) -> User | None:
    """The owner of a live (not revoked) API token, unless they are disabled; else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    query = (
        sa.select(users.c.id, users.c.name, users.c.role, api_tokens.c.sources)
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked_at.is_(None),
               users.c.disabled_at.is_(None))
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    sources = frozenset(json.loads(row.sources)) if row.sources else None
    return User(row.id, row.name, row.role, sources)


def revoke_tokens(store: Store, name: str, by: str = "system") -> int:
    """Revoke every live token of user `name`; returns how many."""
    user = get_user(store, name)
    if user is None:
        raise AccountError(f"no user named {name!r}")
    with store.writer.begin() as conn:
        n = conn.execute(
            api_tokens.update()
            .where(api_tokens.c.user_id == user.id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
        audit.append(store, by, "token_revoke", f"user:{name}", {"tokens": n}, conn=conn)
    return n
