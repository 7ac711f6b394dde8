"""Alerts and watchlists: CAP alerts, watchlist entries, matches, notifications.

Written out table by table (not `metadata.create_all`), as 0001 is, so that this revision stays
what it was when `schema_alerts.py` changes later; a test checks the result matches the metadata.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.schema import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("sender", sa.String(255), nullable=False),
        sa.Column("identifier", sa.String(255), nullable=False),
        sa.Column("sent", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("msg_type", sa.String(16), nullable=False),
        sa.Column("version", sa.String(8), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("headline", sa.Text, nullable=False),
        sa.Column("is_child_abduction", sa.Boolean, nullable=False),
        sa.Column("references", JSON),
        sa.Column("descriptors", JSON),
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("expires", UTCDateTime),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("replaced_by", sa.Integer),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("xml", sa.Text, nullable=False),
        sa.Column("stored_at", UTCDateTime, nullable=False),
        _pk("alerts"),
        sa.UniqueConstraint("sender", "identifier", name="uq_alerts_sender_identifier"),
        sa.ForeignKeyConstraint(
            ["replaced_by"], ["alerts.id"], name="fk_alerts_replaced_by_alerts"
        ),
    )
    op.create_index("ix_alerts_state", "alerts", ["state"])

    op.create_table(
        "watchlist_entries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("min_age", sa.Integer),
        sa.Column("max_age", sa.Integer),
        sa.Column("attrs", JSON),
        sa.Column("alert_id", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        _pk("watchlist_entries"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_watchlist_entries_alert_id_alerts",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_watchlist_entries_kind_value", "watchlist_entries", ["kind", "value"]
    )

    op.create_table(
        "matches",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ad_id", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("alert_id", sa.Integer),
        sa.Column("entry_id", sa.Integer),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("terms", JSON),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("matched_at", UTCDateTime, nullable=False),
        _pk("matches"),
        sa.UniqueConstraint("ad_id", "subject", name="uq_matches_ad_id_subject"),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name="fk_matches_ad_id_ads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_matches_alert_id_alerts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["watchlist_entries.id"],
            name="fk_matches_entry_id_watchlist_entries", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_matches_alert_id", "matches", ["alert_id"])
    op.create_index("ix_matches_entry_id", "matches", ["entry_id"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("match_id", sa.Integer),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("payload", JSON),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        _pk("notifications"),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name="fk_notifications_match_id_matches",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_notifications_status", "notifications", ["status"])


def downgrade() -> None:
    for table in ("notifications", "matches", "watchlist_entries", "alerts"):
        op.drop_table(table)
