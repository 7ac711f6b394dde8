"""Tables for the analyst workspace: decisions now; users, API tokens and the audit log are
added by the workspace itself.

`decisions` is defined here, ahead of the workspace, because reports (takedown lists, hotline
reports, case files) read it too: one definition that both sides code against. A decision is
about one ad or one whole network; it is never edited, a later decision supersedes it.
"""

from __future__ import annotations

import sqlalchemy as sa

from amberline.store.schema import UTCDateTime, metadata

DECISION_ACTIONS = ("escalate", "report", "takedown", "clear")

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"), index=True),
    sa.Column("network_id", sa.String(512), index=True),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(
        "action IN ('escalate', 'report', 'takedown', 'clear')", name="decision_action"
    ),
    sa.CheckConstraint("ad_id IS NOT NULL OR network_id IS NOT NULL", name="decision_target"),
)

__all__ = ["DECISION_ACTIONS", "decisions", "metadata"]
