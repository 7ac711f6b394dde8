"""Tables for screened conversations: the conversation, its messages and its lexicon flags.

Why three tables like ads (row, spans, flags): a conversation is read as a whole on its page
but searched message by message, and a flag names one message and offsets into that
message's text (`chats.records.ChatFlag`), so messages are rows of their own with their
position, author and the time as the export gave it (unparsed: exports disagree on formats
and a reviewer must see what the source said). The full-text index is over messages (author
and text); like the ads' index it lives outside this metadata (an FTS5 table on SQLite, a GIN
expression index on PostgreSQL, migration 0011).

A conversation's `key` is `<escaped source>:<id>` (the ads' rule, `model.ad_key`), so
screening the same export again stores nothing twice. Only text is kept: exports' media,
stickers and attachments are never read or stored.
"""

from __future__ import annotations

import sqlalchemy as sa

from amberline.store.schema import Json, RowId, UTCDateTime, metadata

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(512), nullable=False, unique=True),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("external_id", sa.Text, nullable=False),  # the id the input gave
    sa.Column("name", sa.Text),  # chat or channel name from an export, when it has one
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("label", sa.Integer),  # a training label given with the input (1 = act on)
    sa.Column("score", sa.Float, nullable=False, index=True),
    sa.Column("alert", sa.Boolean, nullable=False),
    # The message after which the running score first crossed the threshold (early warning).
    sa.Column("first_alert", sa.Integer),
    sa.Column("rules_score", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    # [{"feature", "value"}]: what moved the score (lexicon categories or model n-grams).
    sa.Column("contributions", Json),
    sa.Column("scorer", sa.String(255), nullable=False),  # "rules" or the model file's name
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id")),
    sa.Column("stored_at", UTCDateTime, nullable=False),
)

conversation_messages = sa.Table(
    "conversation_messages",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("conversation_id", sa.Integer,
              sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("sent", sa.Text),  # the time as the input wrote it
    sa.Column("text", sa.Text, nullable=False),
    sa.UniqueConstraint("conversation_id", "position"),
)

conversation_flags = sa.Table(
    "conversation_flags",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("conversation_id", sa.Integer,
              sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("message", sa.Integer, nullable=False),  # position of the flagged message
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("term", sa.Text, nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("rule", sa.String(255), nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("citation", sa.Text, nullable=False),
    sa.Index(None, "conversation_id"),
    sa.Index(None, "category"),
)

__all__ = ["conversation_flags", "conversation_messages", "conversations"]
