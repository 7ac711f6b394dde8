"""Users, roles and API tokens of the workspace, kept in the store.

Why here and not in the web layer's routes: the CLI (`amberline users add`, `users token`)
and the app both create and check accounts, and neither should know how they are hashed.
Passwords are hashed with argon2 (argon2-cffi's defaults, which follow RFC 9106); API tokens
are 256-bit random secrets shown once and stored only as their SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from amberline.store.database import Store
from amberline.store.schema import utcnow
from amberline.store.schema_workspace import ROLES, api_tokens, users

TOKEN_PREFIX = "amb_"
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verifying an unknown user still costs one argon2 check, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("not-a-password")

# What each role may do; a role may do everything the roles after it may.
RANK = {"viewer": 0, "analyst": 1, "admin": 2}


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in person or machine client."""

    id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        """Whether this user has at least `role`."""
        return RANK[self.role] >= RANK[role]


class AccountError(ValueError):
    """A request about accounts that cannot be met (unknown role, taken name, weak password)."""


def add_user(store: Store, name: str, role: str, password: str) -> User:
    """Create a user; raises AccountError for a bad role, a taken name or a short password."""
    name = name.strip()
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name or len(name) > 255:
        raise AccountError("a user name must have 1 to 255 characters")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password must have at least {MIN_PASSWORD} characters")
    row = {"name": name, "role": role, "password_hash": _hasher.hash(password),
           "created_at": utcnow()}
    try:
        with store.writer.begin() as conn:
            user_id = conn.execute(users.insert().values(**row)).inserted_primary_key[0]
    except sa.exc.IntegrityError as exc:
        raise AccountError(f"a user named {name!r} already exists") from exc
    return User(int(user_id), name, role)


def get_user(store: Store, name: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(users.c.id, users.c.name, users.c.role).where(users.c.name == name)
        ).first()
    return User(row.id, row.name, row.role) if row else None


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user if `password` is theirs, else None (same cost whether or not the name exists)."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(row.id, row.name, row.role) if row else None


def session_epoch(store: Store, user_id: int) -> int:
    """The epoch a new session cookie of this user is issued under."""
    with store.engine.connect() as conn:
        epoch = conn.execute(sa.select(users.c.session_epoch)
                             .where(users.c.id == user_id)).scalar()
    return int(epoch or 0)


def end_sessions(store: Store, name: str) -> None:
    """End every session of user `name`, in every browser: their cookies stop being valid."""
    with store.writer.begin() as conn:
        ended = conn.execute(users.update().where(users.c.name == name)
                             .values(session_epoch=users.c.session_epoch + 1)).rowcount
    if not ended:
        raise AccountError(f"no user named {name!r}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(store: Store, name: str) -> str:
    """Issue an API token for user `name`; the token itself is returned once, never stored."""
    user = get_user(store, name)
    if user is None:
        raise AccountError(f"no user named {name!r}; add one with `amberline users add`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.writer.begin() as conn:
        conn.execute(api_tokens.insert().values(
            user_id=user.id, token_hash=_digest(token), created_at=utcnow()))
    return token


def user_for_token(store: Store, token: str) -> User | None:
    """The owner of a live (not revoked) API token, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    query = (
        sa.select(users.c.id, users.c.name, users.c.role)
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked_at.is_(None))
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return User(row.id, row.name, row.role) if row else None


def revoke_tokens(store: Store, name: str) -> int:
    """Revoke every live token of user `name`; returns how many."""
    user = get_user(store, name)
    if user is None:
        raise AccountError(f"no user named {name!r}")
    with store.writer.begin() as conn:
        return conn.execute(
            api_tokens.update()
            .where(api_tokens.c.user_id == user.id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
