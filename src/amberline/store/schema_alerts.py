"""Tables for alerts and watchlists: CAP alerts, watchlist entries, matches, notifications.

They join the one shared `metadata` of `amberline.store.schema`, so Alembic's comparison and
`metadata.create_all` see every table; `amberline.store.tables` imports all schema modules.

Why these shapes:
- `alerts` keeps every CAP message as received (its XML too), keyed by (sender, identifier) as
  CAP itself defines identity; `state` says whether it is still matched (`active`) or was
  `superseded` by an Update, `cancelled` by a Cancel, or `closed` by an analyst. Expiry of the
  broadcast is not the child being found, so it does not end matching.
- `matches` has one row per (ad, subject), subject being "alert:<id>" or "entry:<id>", so
  matching the same ad twice (scan hook, then a retroactive run) stores it once.
- `notifications` records every delivery; a `dead` row is the dead letter of a delivery that
  failed after its last retry, so no notification is lost silently.
Alert XML that cannot be read or fails the schema goes to the shared `quarantine` table.
"""

from __future__ import annotations

import sqlalchemy as sa

from amberline.store.schema import Json, UTCDateTime, metadata

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender", sa.String(255), nullable=False),
    sa.Column("identifier", sa.String(255), nullable=False),
    sa.Column("sent", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("msg_type", sa.String(16), nullable=False),
    sa.Column("version", sa.String(8), nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("headline", sa.Text, nullable=False),
    sa.Column("is_child_abduction", sa.Boolean, nullable=False),
    sa.Column("references", Json),
    sa.Column("descriptors", Json),
    sa.Column("area", sa.Text, nullable=False),
    sa.Column("expires", UTCDateTime),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("replaced_by", sa.Integer, sa.ForeignKey("alerts.id")),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("xml", sa.Text, nullable=False),
    sa.Column("stored_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("sender", "identifier"),
)

watchlist_entries = sa.Table(
    "watchlist_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("min_age", sa.Integer),
    sa.Column("max_age", sa.Integer),
    sa.Column("attrs", Json),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "kind", "value"),
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"), nullable=False),
    sa.Column("subject", sa.String(32), nullable=False),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="CASCADE")),
    sa.Column(
        "entry_id", sa.Integer, sa.ForeignKey("watchlist_entries.id", ondelete="CASCADE")
    ),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("terms", Json),
    sa.Column("via", sa.String(16), nullable=False),
    sa.Column("matched_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("ad_id", "subject"),
    sa.Index(None, "alert_id"),
    sa.Index(None, "entry_id"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("match_id", sa.Integer, sa.ForeignKey("matches.id", ondelete="SET NULL")),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("payload", Json),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
)

__all__ = ["alerts", "matches", "metadata", "notifications", "watchlist_entries"]
