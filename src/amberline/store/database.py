"""`Store`: where screened ads, their evidence and the scans that produced them are kept.

Why one class: the CLI, the web workspace and the linkers all need the same few operations,
and they must not care whether the database is an embedded SQLite file (the default, also for
air-gapped deployments) or PostgreSQL. Writes are batched, atomic and idempotent, so a scan
can be re-run or resumed over the same input without duplicating anything.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from amberline.model import Ad, Screening, storable
from amberline.store import queries
from amberline.store.migrate import WRITE_OPTION, upgrade
from amberline.store.queries import (
    AdSummary,
    QuarantineEntry,
    ScanRecord,
    SearchHit,
    StoredAd,
)
from amberline.store.rows import (
    ad_rows,
    index_text,
    insert_children,
    insert_ignore,
    insert_new_ads,
)
from amberline.store.schema import ads, dump_json, quarantine, scans, utcnow
from amberline.store.stale_scans import interrupt_stale_scans, scan_owner

# The largest row id a store can hold: ids are `Integer`, which is 32-bit on PostgreSQL (a
# larger number in a query is an error there, not "no such row"), so lookups check it first.
MAX_ID = 2**31 - 1

# How SQLite reports a MATCH expression it cannot parse (as opposed to a database failure).
_FTS_QUERY_ERRORS = ("fts5:", "no such column", "unterminated string", "unknown special query",
                     "expected integer")
# What one full-text search may cost: longer queries, more words, or more time are refused
# (a few hundred prefix terms kept a CPU busy for minutes, long after the client left).
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
SEARCH_SECONDS = 5.0
_WORD = re.compile(r"\w+")


class BadRecordLike(Protocol):
    """What `Store.quarantine` needs of a bad record (`amberline.ingest.records.BadRecord`)."""

    file: str
    line: int | None
    reason: str
    excerpt: str
    # and, where the kind has one, `code`: the reason's stable short code (else "bad_record")


def _enable_wal(cursor: Any, patience: float = 30.0) -> None:
    """Switch a SQLite file to WAL, waiting while another process holds a lock on it.

    Changing the journal mode does not go through SQLite's busy handler: when two processes
    open a brand-new file at once and one is already migrating it, the other's PRAGMA fails
    at once with "database is locked". The mode is stored in the file, so once any process has
    set it the PRAGMA is a no-op; until then, retry briefly.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# The execution option of the transactions that store a screened batch (`Store.write_new`).
BATCH_OPTION = "amberline_batch"
_TEMP_IN_MEMORY = "amberline_temp_in_memory"  # a connection's temp_store, in its pool record


def _temp_store(conn: sa.Connection, in_memory: bool) -> None:
    """Keep SQLite's temporary storage in memory for a batch's transaction, in files otherwise.

    Why: inside a transaction each multi-row INSERT keeps the original of every page it
    changes (its statement journal, so that a failing statement is undone alone), and past a
    small size SQLite spills that journal to a temporary file, page by page, thrown away when
    the statement ends; a batch's inserts each touch a bounded number of pages. A statement
    over a whole table (a migration's UPDATE of every ad, say) would hold that table in
    memory, so every other transaction keeps the files. Set before BEGIN, where SQLite reads
    it, and only when it changes.
    """
    info = conn.connection.info
    if info.get(_TEMP_IN_MEMORY, False) is not in_memory:
        conn.exec_driver_sql(f"PRAGMA temp_store={'MEMORY' if in_memory else 'DEFAULT'}")
        info[_TEMP_IN_MEMORY] = in_memory


# The page size of SQLite files made by a store. SQLite fixes it when the file is made (a WAL
# file cannot change it), so stores made by earlier releases keep their 4 KiB pages. Why larger
# pages: a batch's inserts change pages all over the ads' and identifiers' indexes and the
# full-text index, and each changed page is one WAL frame, written by two system calls per
# commit and again by the checkpoint; larger pages hold more of a batch's changes each, so a
# commit writes about as many bytes in far fewer frames, and ad rows rarely overflow.
PAGE_SIZE = 16384
# WAL bytes between automatic checkpoints: SQLite's default of 1,000 pages of its default
# 4 KiB, kept whatever the file's page size, so the WAL grows no larger than before.
CHECKPOINT_BYTES = 1000 * 4096


def make_engine(url_or_path: str | Path) -> sa.Engine:
    """An engine for a database URL, or for a SQLite file when given a plain path.

    SQLite connections get WAL (readers never block the writer), synchronous=NORMAL (safe with
    WAL, much faster than FULL), foreign keys on, and a busy timeout; files they make get
    `PAGE_SIZE` pages; a batch's transaction (`BATCH_OPTION`) keeps its temporary storage in
    memory. SQLAlchemy emits BEGIN itself so that transactions, including DDL, are real (see
    the SQLAlchemy SQLite docs).
    """
    text = str(url_or_path)
    if "://" in text:
        url = sa.make_url(text)
    else:
        if text != ":memory:":
            path = Path(text).expanduser().resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            text = str(path)
        url = sa.URL.create("sqlite+pysqlite", database=text)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, json_serializer=dump_json)

    engine = sa.create_engine(url, connect_args={"timeout": 30}, json_serializer=dump_json)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not sqlite3, emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before the file's first write
        _enable_wal(cursor)
        page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint={max(1, CHECKPOINT_BYTES // page_size)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # SQLite's page cache per connection. Beyond it pages come from the kernel's file
        # cache, so a larger cache mostly grows a long scan's memory as the file grows: the
        # batch's inserts touch the recent ends of the indexes, which stay cached.
        cursor.execute("PRAGMA cache_size=-16384")  # KiB
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE), waiting for it under the busy
        # timeout. A deferred transaction that has read anything (FTS5 reads its config when
        # first used) cannot wait when it upgrades to writing: it fails "database is locked".
        options = conn.get_execution_options()
        _temp_store(conn, in_memory=bool(options.get(BATCH_OPTION)))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")

    return engine


@contextmanager
def time_limit(conn: sa.Connection, seconds: float) -> Iterator[None]:
    """Stop what `conn` runs inside after `seconds`, in the database itself: SQLite through a
    progress handler that interrupts the statement, PostgreSQL through `statement_timeout` for
    this transaction only. Raises TimeoutError when a statement was stopped."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        try:
            yield
        except OperationalError as exc:
            if "interrupted" in str(exc.orig):
                raise TimeoutError(f"stopped after {seconds:g} s") from exc
            raise
        finally:
            raw.set_progress_handler(None, 0)
        return
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}")
    try:
        yield
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "57014":  # query_canceled
            raise TimeoutError(f"stopped after {seconds:g} s") from exc
        raise


def checked_query(query: str, literal: bool = False) -> str:
    """A full-text query as it will be run (every word quoted with `literal`); ValueError
    when it is empty, longer than MAX_QUERY_CHARS or has more than MAX_QUERY_TERMS words.
    Shared by every full-text search of the store (ads, conversations)."""
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"search query has {len(query):,} characters; at most "
                         f"{MAX_QUERY_CHARS} are allowed")
    if len(_WORD.findall(query)) > MAX_QUERY_TERMS:
        raise ValueError(f"search query has {len(_WORD.findall(query))} words; at most "
                         f"{MAX_QUERY_TERMS} are allowed")
    if literal:
        query = " ".join('"' + word.replace('"', '""') + '"' for word in query.split())
    if not query.strip():
        raise ValueError("search query is empty")
    return query


@contextmanager
def search_errors(conn: sa.Connection, query: str, timeout: float) -> Iterator[None]:
    """Run a full-text search on `conn` under `timeout`, turning a stopped search and a query
    FTS5 cannot parse into ValueError with a readable message."""
    try:
        with time_limit(conn, timeout):
            yield
    except TimeoutError as exc:
        raise ValueError(
            f"search stopped after {timeout:g} seconds, its limit; use fewer words or "
            "fewer prefix searches (word*)") from exc
    except OperationalError as exc:
        message = str(exc.orig)
        if not message.startswith(_FTS_QUERY_ERRORS):
            raise
        raise ValueError(
            f"search query {query!r} is not valid full-text syntax ({message}); "
            'put words in double quotes to search for them literally, e.g. "e-mail"'
        ) from exc


class Store:
    """The database of screened ads. Opening it migrates it to the current schema.

    `Store("scan.db")` opens (or creates) a SQLite file; `Store("postgresql+psycopg://...")`
    any SQLAlchemy URL. All results are small frozen records, never live database rows.
    """

    def __init__(self, url_or_path: str | Path) -> None:
        self.engine = make_engine(url_or_path)
        # The engine for every write transaction: on SQLite it takes the write lock up front
        # (BEGIN IMMEDIATE), so a writer waits for its turn instead of failing mid-transaction.
        self.writer = self.engine.execution_options(**{WRITE_OPTION: True})
        # The writer of screened batches (`write_new`): its statement journals stay in memory.
        self.batch_writer = self.writer.execution_options(**{BATCH_OPTION: True})
        try:
            self.migrated = upgrade(self.writer)
        except sa.exc.DatabaseError as exc:
            self.engine.dispose()
            raise ValueError(
                f"cannot open {url_or_path} as an Amberline store: {exc.orig}"
            ) from exc

    def close(self) -> None:
        """Release every connection (and the SQLite file handles)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """One connection for several reads that belong together (a case file, a takedown
        list), passed to the read functions of the `store` modules; callers outside `store/`
        run no SQL on it themselves."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One write transaction (on the writer engine: SQLite's write lock taken up front)
        for the write functions of the `store` modules, committed when the block ends."""
        with self.writer.begin() as conn:
            yield conn

    # -- scans -----------------------------------------------------------------------------

    def begin_scan(self, inputs: list[str]) -> int:
        """Record the start of a scan over `inputs`; returns its id. Scans this host started
        whose process is gone (killed, crashed) are marked "interrupted" first."""
        with self.writer.begin() as conn:
            interrupt_stale_scans(conn)
            result = conn.execute(
                scans.insert().values(started_at=utcnow(), inputs=list(inputs), status="running",
                                      owner=scan_owner())
            )
            return int(result.inserted_primary_key[0])

    def finish_scan(self, scan_id: int, counts: dict[str, int], status: str = "done") -> None:
        """Record a scan's end, its counts (read, stored, duplicate, ...) and status."""
        with self.writer.begin() as conn:
            updated = conn.execute(
                scans.update().where(scans.c.id == scan_id)
                .values(finished_at=utcnow(), counts=dict(counts), status=status)
            ).rowcount
        if updated != 1:
            raise KeyError(f"no scan with id {scan_id}")

    def scan(self, scan_id: int) -> ScanRecord | None:
        """One scan's record, or None."""
        with self.engine.connect() as conn:
            return queries.get_scan(conn, scan_id)

    # -- writes ----------------------------------------------------------------------------

    def write_batch(
        self, scan_id: int | None, items: list[tuple[Ad, Screening]]
    ) -> tuple[int, int]:
        """Store screened ads in one transaction; returns (stored, duplicates)."""
        stored = len(self.write_new(scan_id, items))
        return stored, len(items) - stored

    def write_new(
        self, scan_id: int | None, items: list[tuple[Ad, Screening]]
    ) -> dict[str, int]:
        """Store screened ads in one transaction; returns {key: id} of the ads it stored.

        An ad whose key is already stored (or repeats earlier in the batch) is a duplicate and
        nothing of it is written. If anything fails, nothing of the batch is written. Callers
        that act on new ads only (linking, alert matching) use the returned keys.
        """
        rows, _ = ad_rows(scan_id, items, utcnow())
        if not rows:
            return {}
        with self.batch_writer.begin() as conn:
            new_ids = insert_new_ads(conn, rows)
            if new_ids:
                insert_children(conn, items, new_ids)  # in input order, so by ad id
                index_text(conn, new_ids)
        return new_ids

    def quarantine(self, scan_id: int | None, bad: list[BadRecordLike]) -> int:
        """Keep records a reader could not use; returns how many were new.

        The same (file, line, reason) is kept once, so re-running a scan over the same bad
        input adds nothing; the entry keeps the scan that first saw it.
        """
        if not bad:
            return 0
        now = utcnow()
        # Its texts as the store keeps every text (`storable`): an entry names the hostile
        # record it keeps (an ad's source in its file and reason), and the database must not
        # refuse the entry that says why it refused the ad.
        # Sorted by the unique columns: concurrent scans of the same bad input lock them in one
        # order (see `rows.in_lock_order`).
        rows = sorted((
            {"scan_id": scan_id, "file": storable(str(b.file)), "line": b.line or 0,
             "reason": storable(b.reason),
             "excerpt": storable(b.excerpt), "recorded_at": now,
             "code": str(getattr(b, "code", "bad_record"))}
            for b in bad
        ), key=lambda r: (r["file"], r["line"], r["reason"]))
        insert = insert_ignore(quarantine, self.engine.dialect.name, ["file", "line", "reason"])
        with self.writer.begin() as conn:
            return len(conn.execute(insert.returning(quarantine.c.id), rows).all())

    # -- reads -----------------------------------------------------------------------------

    def top(self, n: int = 50, min_score: float = 0.0) -> list[AdSummary]:
        """The `n` highest-scoring ads at or above `min_score`, best first."""
        with self.engine.connect() as conn:
            return queries.top(conn, n, min_score)

    def get_ad(self, key_or_id: str | int) -> StoredAd | None:
        """One ad with its spans, flags and image hashes, by key or numeric id."""
        if isinstance(key_or_id, int) and not 0 < key_or_id <= MAX_ID:
            return None
        where = ads.c.id == key_or_id if isinstance(key_or_id, int) else ads.c.key == key_or_id
        with self.engine.connect() as conn:
            found = queries.get_ads(conn, where)
        return found[0] if found else None

    def ids_of_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """{key: id} of the stored ads among these keys (keys not stored are left out)."""
        with self.engine.connect() as conn:
            return queries.ids_of_keys(conn, keys)

    def search(
        self,
        query: str,
        limit: int = 50,
        marks: tuple[str, str] = ("[", "]"),
        literal: bool = False,
        timeout: float = SEARCH_SECONDS,
    ) -> list[SearchHit]:
        """Full-text search over titles and bodies, best match first.

        `query` uses SQLite FTS5 syntax (words, "phrases", AND/OR/NOT, prefix*). With
        `literal=True` every whitespace-separated word is quoted, so input such as an email
        address or "703-555" is searched as the words it contains, never parsed as syntax.
        Raises ValueError with a readable message when the query is not valid syntax, is
        longer than MAX_QUERY_CHARS or has more than MAX_QUERY_TERMS words, or was stopped
        after `timeout` seconds.
        """
        query = checked_query(query, literal)
        with self.engine.connect() as conn, search_errors(conn, query, timeout):
            return queries.search(conn, query, limit, marks)

    def find_by(self, kind: str, value: Any, limit: int = 1000) -> list[AdSummary]:
        """Ads with a `kind` span whose normalised value equals `value` (E.164 phone, lower-case
        email, handle, place, ...), or with that "city"/"region"/"country"; best first."""
        with self.engine.connect() as conn:
            return queries.find_by(conn, kind, value, limit)

    def counts(self) -> dict[str, int]:
        """Rows per table, `spans` and `flags` (in the ads' documents), and `flagged_ads`
        (ads with at least one flag)."""
        with self.engine.connect() as conn:
            return queries.counts(conn)

    def quarantine_codes(self) -> dict[str, int]:
        """{reason code: records quarantined with it}."""
        with self.engine.connect() as conn:
            return queries.quarantine_codes(conn)

    def quarantined(self, scan_id: int | None = None, code: str | None = None,
                    limit: int | None = None) -> list[QuarantineEntry]:
        """Quarantined records, all or those first recorded by one scan."""
        with self.engine.connect() as conn:
            return queries.quarantined(conn, scan_id, code, limit)

    def iter_ads(self, batch_size: int = 1000, after_id: int = 0) -> Iterator[list[StoredAd]]:
        """All ads with id > `after_id`, in id order, in batches (for linking).

        Each batch is its own short read, so a long linking run holds no transaction open;
        pass the last id seen as `after_id` to continue incrementally later.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        while True:
            ids = sa.select(ads.c.id).where(ads.c.id > after_id).order_by(ads.c.id)
            with self.engine.connect() as conn:
                batch = queries.get_ads(conn, ads.c.id.in_(ids.limit(batch_size).scalar_subquery()))
            if not batch:
                return
            yield batch
            after_id = batch[-1].id
