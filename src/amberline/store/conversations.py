"""Screened conversations in the store: write, read one, the review queue, full-text search.

Why here: every SQL statement about conversations lives in `store/` (the CLI, the workspace and
the reports call these functions), on SQLite and PostgreSQL alike. Writes are idempotent like
ads': a conversation is known by its key (`<escaped source>:<id>`), and screening the same
export again stores nothing twice. Text is stored as given except for the characters a
database cannot hold (NUL, lone surrogates), each replaced by U+FFFD one for one, so every
flag's offsets still point at the same characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from amberline.chats.records import ChatFlag, Conversation, Message
from amberline.model import escape_source, storable
from amberline.store.database import MAX_ID, SEARCH_SECONDS, Store, checked_query, search_errors
from amberline.store.queries import headline_options, websearch
from amberline.store.queue import after_clause, status_clauses, statuses
from amberline.store.rows import insert_ignore
from amberline.store.schema import utcnow
from amberline.store.schema_conversations import (
    conversation_flags,
    conversation_messages,
    conversations,
)
from amberline.store.schema_workspace import DECISION_ACTIONS, decisions

if TYPE_CHECKING:
    from amberline.chats.screen import ChatScreening

MAX_KEY = 512  # conversations.key
MAX_SOURCE = 255
MAX_RULE = 255
MAX_CATEGORY = 64
STATUSES = ("open", *DECISION_ACTIONS)
def conversation_key(conv: Conversation) -> str:
    """The store's key of a conversation: the ads' rule (`<escaped source>:<id>`)."""
    return f"{escape_source(storable(conv.source))}:{storable(conv.id)}"


def unstorable(conv: Conversation) -> str | None:
    """Why `conv` cannot be stored (said in the quarantine), or None."""
    if len(conv.source) > MAX_SOURCE:
        return f"source name longer than {MAX_SOURCE} characters"
    if len(conversation_key(conv)) > MAX_KEY:
        return f"conversation id too long for a key (over {MAX_KEY} characters with the source)"
    return None


def _row(conv: Conversation, result: ChatScreening, scorer: str, scan_id: int | None,
         now: datetime) -> dict[str, Any]:
    name = conv.meta.get("name")
    return {
        "key": conversation_key(conv), "source": storable(conv.source),
        "external_id": storable(conv.id),
        "name": storable(name) if isinstance(name, str) else None,
        "messages": len(conv.messages), "label": conv.label, "score": float(result.score),
        "alert": bool(result.alert), "first_alert": result.first_alert,
        "rules_score": float(result.rules_score), "threshold": float(result.threshold),
        "contributions": result.contributions or None, "scorer": scorer[:255],
        "scan_id": scan_id, "stored_at": now,
    }


def write_conversations(
    store: Store, scan_id: int | None,
    items: Sequence[tuple[Conversation, ChatScreening]], scorer: str = "rules",
) -> dict[str, int]:
    """Store screened conversations in one transaction; returns {key: id} of those stored now.

    A conversation whose key is stored already (or repeats in the batch) is a duplicate and
    nothing of it is written. Callers drop what `unstorable` refuses first (into the
    quarantine); a conversation it would refuse raises ValueError here, before any write.
    Rows are inserted in key order, so concurrent writers of the same export lock keys in one
    order (see `rows.in_lock_order`).
    """
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    pairs: dict[str, tuple[Conversation, ChatScreening]] = {}
    for conv, result in items:
        problem = unstorable(conv)
        if problem is not None:
            raise ValueError(f"conversation {conv.id[:80]!r}: {problem}")
        key = conversation_key(conv)
        if key not in rows:
            rows[key] = _row(conv, result, scorer, scan_id, now)
            pairs[key] = (conv, result)
    if not rows:
        return {}
    ordered = [rows[k] for k in sorted(rows)]
    with store.writing() as conn:
        insert = insert_ignore(conversations, conn.dialect.name, ["key"])
        new = {key: cid for cid, key in conn.execute(
            insert.returning(conversations.c.id, conversations.c.key), ordered)}
        messages, flags = [], []
        for key, cid in sorted(new.items(), key=lambda kv: kv[1]):
            conv, result = pairs[key]
            messages.extend(
                (cid, i, _storable(m.author), None if m.time is None else _storable(m.time),
                 _storable(m.text)) for i, m in enumerate(conv.messages))
            flags.extend(
                {"conversation_id": cid, "message": f.message,
                 "category": f.category[:MAX_CATEGORY], "term": storable(f.term),
                 "start": f.start, "end": f.end, "author": storable(f.author),
                 "rule": storable(f.rule)[:MAX_RULE], "weight": float(f.weight),
                 "citation": storable(f.citation)} for f in result.flags)
        if messages:
            _insert_messages(conn, messages)
        if flags:
            conn.execute(conversation_flags.insert(), flags)
    return new


_MESSAGE_COLUMNS = ("conversation_id", "position", "author", "sent", "text")
if tuple(c.name for c in conversation_messages.columns if c.name != "id") != _MESSAGE_COLUMNS:
    raise AssertionError("_MESSAGE_COLUMNS is out of step with the conversation_messages table")


def _insert_messages(conn: sa.Connection, rows: list[tuple]) -> None:
    """Insert message rows (values in `_MESSAGE_COLUMNS` order). A conversation of short
    messages stores a row per message, so SQLite gets the tuples as they are (every column is
    an integer or text: no value needs converting); PostgreSQL gets dicts."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"INSERT INTO conversation_messages ({', '.join(_MESSAGE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_MESSAGE_COLUMNS))})", rows)
    else:
        conn.execute(conversation_messages.insert(),
                     [dict(zip(_MESSAGE_COLUMNS, row, strict=True)) for row in rows])


def _storable(text: str) -> str:
    """`storable`, without its regex for the usual ASCII text without NUL."""
    return text if text.isascii() and "\x00" not in text else storable(text)


# -- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One conversation as the queue and search list it."""

    id: int
    key: str
    source: str
    external_id: str
    name: str | None
    messages: int
    score: float
    alert: bool
    first_alert: int | None
    categories: dict[str, int] = field(default_factory=dict)
    status: str = "open"


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A stored conversation with its messages (in order) and flags, as screened."""

    id: int
    key: str
    source: str
    external_id: str
    name: str | None
    label: int | None
    score: float
    alert: bool
    first_alert: int | None
    rules_score: float
    threshold: float
    contributions: list[dict[str, Any]]
    scorer: str
    stored_at: datetime
    messages: list[Message]
    flags: list[ChatFlag]

    @property
    def authors(self) -> dict[str, list[str]]:
        """Each author (in order of first message) with the flag categories of their
        messages: who said what."""
        found: dict[str, set[str]] = {m.author: set() for m in self.messages}
        for f in self.flags:
            found.setdefault(f.author, set()).add(f.category)
        return {a: sorted(c) for a, c in found.items()}


def resolve_conversation(conn: sa.Connection, key_or_id: str | int) -> tuple[int, str] | None:
    """(id, key) of a stored conversation given its key or numeric id (int or digits)."""
    where = conversations.c.key == str(key_or_id)
    text = str(key_or_id)
    if (isinstance(key_or_id, int) or (text.isascii() and text.isdigit())) \
            and 0 < int(key_or_id) <= MAX_ID:
        where = sa.or_(where, conversations.c.id == int(key_or_id))
    row = conn.execute(sa.select(conversations.c.id, conversations.c.key).where(where)
                       .order_by(conversations.c.id)).first()
    return (row.id, row.key) if row else None


def get_conversation(store: Store, key_or_id: str | int) -> StoredConversation | None:
    """One conversation with its messages and flags, by key or id; None when not stored."""
    with store.reading() as conn:
        return _conversation(conn, key_or_id)


def conversation_audit(store: Store, conversation_id: int) -> list[dict[str, Any]]:
    """The audit entries about one conversation (views, decisions, exports), oldest first."""
    from amberline.store.audit import entries_about

    with store.reading() as conn:
        return entries_about(conn, (), (), (), (conversation_id,))


def find_conversation(store: Store, key_or_id: str | int) -> tuple[int, str] | None:
    """(id, key) of a stored conversation, by key or id; None when not stored."""
    with store.reading() as conn:
        return resolve_conversation(conn, key_or_id)


def _conversation(conn: sa.Connection, key_or_id: str | int) -> StoredConversation | None:
    found = resolve_conversation(conn, key_or_id)
    if found is None:
        return None
    row = conn.execute(sa.select(conversations).where(conversations.c.id == found[0])).one()
    m = conversation_messages.c
    messages = [Message(r.author, r.text, r.sent) for r in conn.execute(
        sa.select(m.author, m.text, m.sent).where(m.conversation_id == row.id)
        .order_by(m.position))]
    f = conversation_flags.c
    flags = [ChatFlag(r.category, r.term, r.message, r.start, r.end, r.author, r.rule, r.weight,
                      r.citation) for r in conn.execute(
        sa.select(conversation_flags).where(f.conversation_id == row.id)
        .order_by(f.message, f.start, f.id))]
    return StoredConversation(
        row.id, row.key, row.source, row.external_id, row.name, row.label, row.score,
        bool(row.alert), row.first_alert, row.rules_score, row.threshold,
        list(row.contributions or []), row.scorer, row.stored_at, messages, flags)


_SUMMARY = (conversations.c.id, conversations.c.key, conversations.c.source,
            conversations.c.external_id, conversations.c.name, conversations.c.messages,
            conversations.c.score, conversations.c.alert, conversations.c.first_alert)


def _summaries(conn: sa.Connection, rows: Iterable[sa.Row[Any]]) -> list[ConversationSummary]:
    """Rows with their flag categories and status: two small queries for the whole list."""
    rows = list(rows)
    ids = [r.id for r in rows]
    cats: dict[int, dict[str, int]] = {}
    status: dict[int, str] = {}
    if ids:
        f = conversation_flags.c
        for cid, category, n in conn.execute(
                sa.select(f.conversation_id, f.category, sa.func.count())
                .where(f.conversation_id.in_(ids)).group_by(f.conversation_id, f.category)):
            cats.setdefault(cid, {})[category] = n
        status = statuses(conn, decisions.c.conversation_id, ids)
    return [ConversationSummary(r.id, r.key, r.source, r.external_id, r.name, r.messages,
                                r.score, bool(r.alert), r.first_alert, cats.get(r.id, {}),
                                status.get(r.id, "open")) for r in rows]


def queue_page(
    store: Store, *, after: tuple[float, int] | None = None, limit: int = 50,
    alerts_only: bool = False, category: str | None = None, status: str | None = None,
    min_score: float | None = None,
) -> tuple[list[ConversationSummary], tuple[float, int] | None]:
    """One page of conversations, highest score first (keyset paging on score, id: `after`
    is the last row of the previous page), and the position to continue from (None at the
    end)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    c = conversations.c
    clauses: list[sa.ColumnElement[bool]] = []
    if alerts_only:
        clauses.append(c.alert.is_(True))
    if min_score is not None:
        clauses.append(c.score >= min_score)
    if category:
        clauses.append(sa.exists().where(conversation_flags.c.category == category,
                                         conversation_flags.c.conversation_id == c.id))
    if status:
        clauses.extend(status_clauses(decisions.c.conversation_id, c.id, status))
    if after is not None:
        clauses.append(after_clause(c.score, c.id, after))
    with store.reading() as conn:
        rows = conn.execute(sa.select(*_SUMMARY).where(*clauses)
                            .order_by(c.score.desc(), c.id.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = (rows[-1].score, rows[-1].id) if more and rows else None
        return _summaries(conn, rows), cursor


def categories(store: Store) -> list[str]:
    """The flag categories present, for the queue's filter menu."""
    f = conversation_flags.c
    with store.reading() as conn:
        return list(conn.execute(sa.select(f.category).distinct().order_by(f.category)
                                 .limit(200)).scalars())


@dataclass(frozen=True, slots=True)
class ConversationHit:
    """A conversation found by search, with its best-matching message."""

    summary: ConversationSummary
    position: int
    author: str
    snippet: str


def search(
    store: Store, query: str, limit: int = 50, marks: tuple[str, str] = ("[", "]"),
    literal: bool = False, timeout: float = SEARCH_SECONDS,
) -> list[ConversationHit]:
    """Full-text search over message authors and texts; one hit per conversation (its best
    message), best first. Same query syntax and limits as `Store.search` (ValueError)."""
    query = checked_query(query, literal)
    # Enough matching messages to fill `limit` conversations when several match per one.
    messages = limit * 8
    with store.reading() as conn, search_errors(conn, query, timeout):
        if conn.dialect.name == "postgresql":
            found = _message_hits_postgresql(conn, query, messages, marks)
        elif conn.dialect.name == "sqlite":
            found = _message_hits_sqlite(conn, query, messages, marks)
        else:
            raise NotImplementedError(f"full-text search is not implemented on "
                                      f"{conn.dialect.name}")
        best: dict[int, tuple[int, str, str]] = {}
        for cid, position, author, snippet in found:
            best.setdefault(cid, (position, author, snippet))
            if len(best) >= limit:
                break
        rows = {r.id: r for r in conn.execute(
            sa.select(*_SUMMARY).where(conversations.c.id.in_(list(best))))}
        summaries = {s.id: s for s in _summaries(conn, rows.values())}
    return [ConversationHit(summaries[cid], *hit) for cid, hit in best.items()
            if cid in summaries]


def _message_hits_sqlite(conn: sa.Connection, query: str, limit: int,
                         marks: tuple[str, str]) -> list[tuple[int, int, str, str]]:
    fts = sa.table("conversation_fts", sa.column("rowid"), sa.column("rank"))
    m = conversation_messages.c
    snippet = sa.func.snippet(sa.literal_column("conversation_fts"), 1, marks[0], marks[1],
                              "…", 16)
    stmt = (sa.select(m.conversation_id, m.position, m.author, snippet.label("snippet"))
            .select_from(fts.join(conversation_messages, m.id == fts.c.rowid))
            .where(sa.literal_column("conversation_fts").op("MATCH")(query))
            .order_by(fts.c.rank, m.id).limit(limit))
    return [tuple(r) for r in conn.execute(stmt)]


def _message_hits_postgresql(conn: sa.Connection, query: str, limit: int,
                             marks: tuple[str, str]) -> list[tuple[int, int, str, str]]:
    """Through 0005's functions and 0011's GIN index, ranked by `ts_rank_cd`; the headline
    (the costly part) only for the messages kept."""
    m = conversation_messages.c
    tsquery = sa.func.amberline_search_query(websearch(query))
    doc = sa.func.amberline_search_doc(m.author, m.text)
    rank = sa.func.ts_rank_cd(doc, tsquery)
    best = (sa.select(m.id, rank.label("rank")).where(doc.op("@@")(tsquery))
            .order_by(rank.desc(), m.id).limit(limit).subquery())
    headline = sa.func.ts_headline("simple", m.text, tsquery, headline_options(marks))
    stmt = (sa.select(m.conversation_id, m.position, m.author, headline.label("snippet"))
            .select_from(best.join(conversation_messages, m.id == best.c.id))
            .order_by(best.c.rank.desc(), m.id))
    return [tuple(r) for r in conn.execute(stmt)]


def counts(store: Store) -> dict[str, int]:
    """Stored conversations, alerts among them, messages and flags."""
    with store.reading() as conn:
        return _counts(conn)


def _counts(conn: sa.Connection) -> dict[str, int]:
    c = conversations.c
    return {
        "conversations": conn.execute(sa.select(sa.func.count()).select_from(conversations))
        .scalar_one(),
        "alerts": conn.execute(sa.select(sa.func.count()).where(c.alert.is_(True))).scalar_one(),
        "messages": conn.execute(sa.select(sa.func.count())
                                 .select_from(conversation_messages)).scalar_one(),
        "flags": conn.execute(sa.select(sa.func.count())
                              .select_from(conversation_flags)).scalar_one(),
    }
