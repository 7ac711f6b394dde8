"""Tables for the analyst workspace: decisions, users, API tokens and the audit log.

`decisions` is shared with reports (takedown lists, hotline reports, case files), which read
it too: one definition both sides code against. A decision is about one ad, one whole
network or one conversation (migration 0011); it is never edited, a later decision
supersedes it.

Why the audit log is hash-chained: a case may be challenged months later, and the record of
who viewed, decided and exported what must show whether anyone edited or removed an entry.
Each entry's `hash` is sha256(previous hash + canonical JSON of the entry) and `audit_head`
holds the newest hash and sequence number, so edits, deletions and truncation all show.

Passwords are stored as argon2 hashes; API tokens (long random secrets) as SHA-256 digests,
which are enough for high-entropy secrets and cheap to check on every request.
"""

from __future__ import annotations

import sqlalchemy as sa

from amberline.store.schema import UTCDateTime, ads, metadata
from amberline.store.schema_conversations import conversations

DECISION_ACTIONS = ("escalate", "report", "takedown", "clear")
ROLES = ("admin", "analyst", "viewer")

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"), index=True),
    sa.Column("network_id", sa.String(512), index=True),
    sa.Column("conversation_id", sa.Integer,
              sa.ForeignKey(conversations.c.id, ondelete="CASCADE"), index=True),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(
        "action IN ('escalate', 'report', 'takedown', 'clear')", name="decision_action"
    ),
    sa.CheckConstraint(
        "ad_id IS NOT NULL OR network_id IS NOT NULL OR conversation_id IS NOT NULL",
        name="decision_target"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Moved on by signing out: a session cookie issued under an earlier epoch is refused
    # (migration 0006).
    sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
    # Set by `users disable` (sessions and tokens stop working) and by too many failed
    # sign-ins (cleared by `users unlock`); migration 0009.
    sa.Column("disabled_at", UTCDateTime),
    sa.Column("locked_at", UTCDateTime),
    sa.CheckConstraint("role IN ('admin', 'analyst', 'viewer')", name="user_role"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    # JSON list of the sources this token may push ads under; NULL: any (migration 0009).
    sa.Column("sources", sa.Text),
)

# Failed sign-ins counted per key ("account:NAME" or "address:IP") instead of one audit entry
# each: the count sets how long the next attempt must wait, and locks an account.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(320), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_at", UTCDateTime, nullable=False),
    sa.Column("last_at", UTCDateTime, nullable=False, index=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("target", sa.String(512), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # canonical JSON, exactly as hashed
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
)

# One row (id 1): the newest entry's sequence number and hash. Appends lock it, so the chain
# stays linear under concurrent writers, and a deleted tail no longer matches it.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Triage queue paths (keyset paging by score, id): per source and per city in score order, by
# posting date (flag category lookups from the category side: `flag_categories`' index).
sa.Index("ix_ads_source_score", ads.c.source, ads.c.score)
sa.Index("ix_ads_city_score", ads.c.city, ads.c.score)
sa.Index("ix_ads_posted_at", ads.c.posted_at)

__all__ = [
    "DECISION_ACTIONS", "ROLES", "api_tokens", "audit_head", "audit_log", "decisions",
    "login_failures", "metadata", "users",
]
