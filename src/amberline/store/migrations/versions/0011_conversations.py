"""Screened conversations: `conversations`, `conversation_messages`, `conversation_flags`,
full-text search over messages, and decisions on a conversation (`decisions.conversation_id`).

Why messages are indexed, not whole conversations: a search hit names the message (and so its
author and place in the conversation) a reviewer opens. SQLite: an external-content FTS5
table over author and text kept in sync by triggers, as for ads (0001). PostgreSQL: a GIN
expression index over 0005's `amberline_search_doc(author, text)`, so ads and conversations
are turned into lexemes by the one function. Decisions gain a third target kind; the check
that a decision names a target is widened to it.

Revision ID: 0011
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amberline.store.schema import RowId, UTCDateTime

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True)
PG_INDEX = "conversation_fts_doc"  # kept out of the metadata comparison (schema.include_name)

SQLITE_FTS_DDL = (
    "CREATE VIRTUAL TABLE conversation_fts USING fts5(author, text,"
    " content='conversation_messages', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER conversation_fts_ai AFTER INSERT ON conversation_messages BEGIN"
    " INSERT INTO conversation_fts(rowid, author, text) VALUES (new.id, new.author, new.text);"
    " END",
    "CREATE TRIGGER conversation_fts_ad AFTER DELETE ON conversation_messages BEGIN"
    " INSERT INTO conversation_fts(conversation_fts, rowid, author, text)"
    " VALUES ('delete', old.id, old.author, old.text); END",
    "CREATE TRIGGER conversation_fts_au AFTER UPDATE OF author, text ON conversation_messages"
    " BEGIN INSERT INTO conversation_fts(conversation_fts, rowid, author, text)"
    " VALUES ('delete', old.id, old.author, old.text);"
    " INSERT INTO conversation_fts(rowid, author, text) VALUES (new.id, new.author, new.text);"
    " END",
)
SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS conversation_fts_au",
    "DROP TRIGGER IF EXISTS conversation_fts_ad",
    "DROP TRIGGER IF EXISTS conversation_fts_ai",
    "DROP TABLE IF EXISTS conversation_fts",
)
OLD_TARGET = "ad_id IS NOT NULL OR network_id IS NOT NULL"
NEW_TARGET = "ad_id IS NOT NULL OR network_id IS NOT NULL OR conversation_id IS NOT NULL"


def _conversation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["conversation_id"], ["conversations.id"],
        name=f"fk_{table}_conversation_id_conversations", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("external_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("messages", sa.Integer, nullable=False),
        sa.Column("label", sa.Integer),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("alert", sa.Boolean, nullable=False),
        sa.Column("first_alert", sa.Integer),
        sa.Column("rules_score", sa.Float, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("contributions", JSON),
        sa.Column("scorer", sa.String(255), nullable=False),
        sa.Column("scan_id", sa.Integer),
        sa.Column("stored_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.UniqueConstraint("key", name="uq_conversations_key"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"],
                                name="fk_conversations_scan_id_scans"),
    )
    op.create_index("ix_conversations_score", "conversations", ["score"])
    op.create_table(
        "conversation_messages",
        sa.Column("id", RowId, nullable=False),
        sa.Column("conversation_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("sent", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_messages"),
        sa.UniqueConstraint("conversation_id", "position",
                            name="uq_conversation_messages_conversation_id_position"),
        _conversation_fk("conversation_messages"),
    )
    op.create_table(
        "conversation_flags",
        sa.Column("id", RowId, nullable=False),
        sa.Column("conversation_id", sa.Integer, nullable=False),
        sa.Column("message", sa.Integer, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("citation", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_flags"),
        _conversation_fk("conversation_flags"),
    )
    op.create_index("ix_conversation_flags_conversation_id", "conversation_flags",
                    ["conversation_id"])
    op.create_index("ix_conversation_flags_category", "conversation_flags", ["category"])

    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("conversation_id", sa.Integer))
        batch.create_foreign_key("fk_decisions_conversation_id_conversations", "conversations",
                                 ["conversation_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_decisions_conversation_id", ["conversation_id"])
        batch.drop_constraint("decision_target", type_="check")
        batch.create_check_constraint("decision_target", NEW_TARGET)

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS_DDL:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        schema = bind.dialect.identifier_preparer.quote_identifier(
            bind.execute(sa.text("SELECT current_schema()")).scalar())
        op.execute(f"CREATE INDEX {PG_INDEX} ON conversation_messages USING gin"
                   f" ({schema}.amberline_search_doc(author, text))")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS_DROP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    op.execute("DELETE FROM decisions WHERE conversation_id IS NOT NULL")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint("decision_target", type_="check")
        batch.create_check_constraint("decision_target", OLD_TARGET)
        batch.drop_index("ix_decisions_conversation_id")
        batch.drop_constraint("fk_decisions_conversation_id_conversations", type_="foreignkey")
        batch.drop_column("conversation_id")
    for table in ("conversation_flags", "conversation_messages", "conversations"):
        op.drop_table(table)
