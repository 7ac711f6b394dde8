"""Tests of the store against real SQLite files (WAL, FTS5, migrations, idempotent writes).

Tests taking the `store` fixture also run on PostgreSQL when AMBERLINE_TEST_PG_URL names a
database that may be wiped (e.g. postgresql+psycopg://amber@127.0.0.1:55432/amber_test).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from amberline.model import Ad, Flag, Obfuscation, Screening, Span
from amberline.store import Store
from amberline.store.database import CHECKPOINT_BYTES, PAGE_SIZE
from amberline.store.migrate import (
    SchemaTooNewError,
    alembic_config,
    current_revision,
    file_head,
    head_revision,
)
from amberline.store.schema import identifiers, include_name
from amberline.store.tables import metadata
from pg_helpers import BACKENDS, store_at

TABLES = {"ads", "identifiers", "flag_categories", "image_hashes", "quarantine", "scans",
          "ads_fts"}


def screened(
    n: int,
    *,
    body: str = "Sweet new girl in town, ask for Mia, call 703 555 0142",
    phone: str = "+17035550142",
    score: float = 1.0,
    source_id: str | None = None,
    city: str | None = "Springfield",
) -> tuple[Ad, Screening]:
    """A clinical test ad with a phone span, a name span, an age span and one flag."""
    ad = Ad(
        source="fixture", title=f"Ad number {n}", body=body,
        source_id=source_id if source_id is not None else str(n), city=city,
        posted_at=datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-4))),
        image_hashes=[{"pdq": f"{n:064x}", "quality": 90, "md5": f"{n:032x}", "frame": 0}],
        raw={"n": n, "tags": ["a", "b"]},
    )
    text = ad.text
    spans = []
    if "703 555 0142" in text:
        start = text.index("703 555 0142")
        spans.append(Span("phone", phone, start, start + 12, "phone", 0.9, {"region": "US"}))
    if "Mia" in text:
        start = text.index("Mia")
        spans.append(Span("name", "Mia", start, start + 3, "name"))
    spans.append(Span("age", 19, 0, 2, "age", attrs={"unit": "years"}))
    new = text.find("new girl")
    flags = [Flag("youth", "new girl", new, new + 8, 1.5, "youth.new_girl", "observed", 0.7)]
    screening = Screening(ad.key, spans, flags, score, "test-1",
                          [Obfuscation(5, 9, "spelled_digits", "seven")])
    return ad, screening




@pytest.fixture(params=BACKENDS)
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a new, empty store goes on each backend: a SQLite file path, or a PostgreSQL URL
    whose search_path is a schema of its own (so tests may run in parallel, pytest -n),
    dropped afterwards."""
    with store_at(request.param, tmp_path / "amber.db", "amberline_test") as where:
        yield where


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    """A freshly migrated store on each backend."""
    s = Store(store_location)
    yield s
    s.close()


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """For what only SQLite has: pragmas, the FTS5 index and its query syntax."""
    s = Store(tmp_path / "amber.db")
    yield s
    s.close()


def sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migration_creates_every_table_on_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"
    with Store(path) as s:
        assert s.migrated
        with s.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    assert TABLES | {"alembic_version"} <= sqlite_tables(path)


def test_migrated_schema_matches_the_metadata(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": include_name, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []


def test_sqlite_pragmas(lite: Store) -> None:
    with lite.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 0  # DEFAULT: files
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == PAGE_SIZE
        assert (conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                == CHECKPOINT_BYTES // PAGE_SIZE)


def test_a_sqlite_file_keeps_the_page_size_it_was_made_with(tmp_path: Path) -> None:
    """Stores made by earlier releases (4 KiB pages) keep them, with a WAL checkpoint after
    as many bytes as a new store's, and are read and written as before."""
    path = tmp_path / "old.db"
    made = sqlite3.connect(path)
    made.execute("PRAGMA page_size=4096")
    made.execute("PRAGMA journal_mode=WAL")
    made.execute("CREATE TABLE made_before (x)")
    made.close()
    with Store(path) as old:
        assert old.write_batch(None, [screened(i) for i in range(3)]) == (3, 0)
        assert len(old.search("number")) == 3
        with old.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
            assert (conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                    == CHECKPOINT_BYTES // 4096)


def test_only_a_batchs_transaction_keeps_temporary_storage_in_memory(lite: Store) -> None:
    """A batch's statement journals stay in memory; every other transaction keeps SQLite's
    temporary files, so a statement over a whole table never holds that table in memory."""
    seen: list[tuple[str, int]] = []

    @sa.event.listens_for(lite.engine, "after_cursor_execute")
    def probe(conn: sa.Connection, cursor: sqlite3.Cursor, statement: str, *_: object) -> None:
        if statement.startswith(("INSERT INTO ads ", "INSERT INTO identifiers ")):
            mode = cursor.connection.execute("PRAGMA temp_store").fetchone()[0]
            seen.append((statement.split()[2], mode))

    assert lite.write_batch(None, [screened(i) for i in range(3)]) == (3, 0)
    assert {table for table, _ in seen} == {"ads", "identifiers"}
    assert {mode for _, mode in seen} == {2}  # MEMORY
    with lite.writing() as conn:
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 0
    assert lite.write_batch(None, [screened(7)]) == (1, 0)
    assert {mode for _, mode in seen} == {2}
    with lite.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 0


def test_reopening_an_existing_file_keeps_data_and_does_not_migrate(tmp_path: Path) -> None:
    path = tmp_path / "amber.db"
    with Store(path) as s:
        s.write_batch(None, [screened(1)])
    with Store(path) as s:
        assert not s.migrated
        assert s.counts()["ads"] == 1
        assert s.get_ad("fixture:1") is not None


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    """The files' head is what `Store` compares the database with before it imports Alembic."""
    assert file_head() == head_revision()


PREVIOUS_HEAD = ScriptDirectory.from_config(alembic_config()).get_revision(
    head_revision()).down_revision


def test_reopening_a_database_at_head_needs_no_alembic(store_location: str) -> None:
    """An up-to-date database opens on plain reads of `alembic_version` (a fresh process: no
    Alembic imported); one a revision behind is still migrated by Alembic."""
    Store(store_location).close()
    code = ("import sys\n"
            "from amberline.store import Store\n"
            "with Store(sys.argv[1]) as s:\n"
            "    from amberline.ingest.records import BadRecord\n"
            "    s.quarantine(None, [BadRecord('f', 1, 'bad', '', 'bad_json')])\n"
            "    print(s.migrated, 'alembic' in sys.modules,\n"
            "          'sqlalchemy.dialects.postgresql' in sys.modules)\n")
    # A SQLite store writing (an INSERT ... ON CONFLICT, `rows.insert_ignore`) needs no
    # PostgreSQL dialect either.
    at_head = "False False False" if "://" not in store_location else "False False True"

    def reopen() -> str:
        return subprocess.run([sys.executable, "-c", code, store_location], check=True,
                              capture_output=True, text=True).stdout.split("\n")[0]

    assert reopen() == at_head
    with Store(store_location) as s, s.writer.begin() as conn:
        command.downgrade(alembic_config(conn), PREVIOUS_HEAD)
    with Store(store_location) as s:
        assert s.migrated
        with s.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    assert reopen() == at_head


def test_write_batch_is_idempotent(store: Store) -> None:
    scan = store.begin_scan(["a.jsonl"])
    items = [screened(i) for i in range(20)]
    assert store.write_batch(scan, items) == (20, 0)
    before = store.counts()
    assert before["ads"] == 20 and before["spans"] == 60 and before["flags"] == 20
    assert before["image_hashes"] == 20 and before["flagged_ads"] == 20

    assert store.write_batch(scan, items) == (0, 20)
    assert store.counts() == before
    # A batch mixing new and already stored ads stores only the new ones, with their children.
    assert store.write_batch(scan, [screened(5), screened(20)]) == (1, 1)
    after = store.counts()
    assert after["ads"] == 21 and after["spans"] == 63


def test_repeated_key_within_one_batch_is_stored_once(store: Store) -> None:
    ad, screening = screened(1)
    assert store.write_batch(None, [(ad, screening), (ad, screening)]) == (1, 1)
    assert store.counts()["spans"] == 3


def test_ads_without_source_id_are_identified_by_content(store: Store) -> None:
    first = screened(1, source_id="")
    same_text = screened(1, source_id="")
    assert first[0].key.startswith("sha256:")
    assert store.write_batch(None, [first]) == (1, 0)
    assert store.write_batch(None, [same_text]) == (0, 1)


def test_an_ads_text_and_hash_follow_its_title_and_body() -> None:
    """`text` and `content_hash` are kept once made (a scan asks for both in several stages),
    by identity of the title and body they were made from: an ad whose title or body is
    replaced is read anew."""
    ad = Ad(source="fixture", title="Sweet", body="one")
    text, digest = ad.text, ad.content_hash
    assert text == "Sweet\none" and ad.text is text
    ad.body = "two"
    assert ad.text == "Sweet\ntwo" and ad.content_hash != digest
    ad.title = ""
    assert ad.text == "two" and ad.content_hash == Ad(source="x", body="two").content_hash
    assert ad == Ad(source="fixture", body="two")  # (the memos are not compared)


def test_a_failing_batch_leaves_nothing_behind(store: Store) -> None:
    items = [screened(i) for i in range(5)]
    items[-1][1].flags[0].category = None  # NOT NULL violated after the ads are inserted
    with pytest.raises(sa.exc.IntegrityError):
        store.write_batch(None, items)
    counts = store.counts()
    assert counts["ads"] == counts["spans"] == counts["flags"] == counts["image_hashes"] == 0
    if store.engine.dialect.name == "sqlite":
        assert store.search("Sweet") == []  # the FTS rows written by the trigger went too
    # The same ads, fixed, then store normally: nothing half-written blocks them.
    assert store.write_batch(None, [screened(i) for i in range(5)]) == (5, 0)


def test_a_screening_paired_with_the_wrong_ad_is_refused(store: Store) -> None:
    ad, _ = screened(1)
    _, other = screened(2)
    with pytest.raises(ValueError, match="paired"):
        store.write_batch(None, [screened(3), (ad, other)])
    assert store.counts()["ads"] == 0


def test_get_ad_rebuilds_ad_and_screening(store: Store) -> None:
    ad, screening = screened(7)
    scan = store.begin_scan(["x"])
    store.write_batch(scan, [(ad, screening)])
    got = store.get_ad("fixture:7")
    assert got is not None and got.scan_id == scan
    assert got.ad.key == ad.key and got.ad.content_hash == ad.content_hash
    assert got.ad.text == ad.text and got.ad.raw == ad.raw and got.ad.city == "Springfield"
    assert got.ad.posted_at == ad.posted_at and got.ad.posted_at.tzinfo is not None
    assert got.ad.posted_at.utcoffset() == timedelta(0)
    assert got.ad.image_hashes == ad.image_hashes
    assert got.screening == screening
    age = got.screening.spans_of("age")[0]
    assert age.value == 19 and isinstance(age.value, int)
    assert store.get_ad(got.id) == got
    assert store.get_ad("fixture:404") is None
    assert store.get_ad(10_000) is None


def test_find_by_identifier_and_place(store: Store) -> None:
    store.write_batch(None, [
        screened(1, score=2.0),
        screened(2, score=3.0, body="Call 703 555 0142 today", city="Shelbyville"),
        screened(3, body="Ask for Mia, text 202 555 0199", phone="+12025550199"),
    ])
    b = store.get_ad("fixture:3")
    assert b is not None
    extra = [Span("email", "mia.fixture@example.org", 0, 5, "email"),
             Span("handle", "@mia_fixture", 0, 5, "handle", attrs={"platform": "x"}),
             Span("place", "Springfield", 0, 5, "place")]
    ad4, s4 = screened(4, body="Contact by mail only")
    s4.spans.extend(extra)
    store.write_batch(None, [(ad4, s4)])

    assert [a.key for a in store.find_by("phone", "+17035550142")] == ["fixture:2", "fixture:1"]
    assert [a.key for a in store.find_by("email", "mia.fixture@example.org")] == ["fixture:4"]
    assert [a.key for a in store.find_by("handle", "@mia_fixture")] == ["fixture:4"]
    assert [a.key for a in store.find_by("place", "Springfield")] == ["fixture:4"]
    assert {a.key for a in store.find_by("city", "Springfield")} == {
        "fixture:1", "fixture:3", "fixture:4"}
    assert [a.key for a in store.find_by("city", "Shelbyville")] == ["fixture:2"]
    assert len(store.find_by("age", 19)) == 4 == len(store.find_by("age", "19"))
    assert store.find_by("phone", "+10000000000") == []
    assert store.find_by("email", "+17035550142") == []  # kind matters, not just the value


def test_search_finds_words_and_returns_a_snippet(lite: Store) -> None:
    lite.write_batch(None, [
        screened(1),
        screened(2, body="Relaxing café visit, ask for Ana", city=None),
    ])
    hits = lite.search("town")
    assert [h.summary.key for h in hits] == ["fixture:1"]
    assert "[town]" in hits[0].snippet
    assert [h.summary.key for h in lite.search("cafe")] == ["fixture:2"]  # diacritics folded
    assert {h.summary.key for h in lite.search("tow")} == set()  # whole words, not prefixes
    assert {h.summary.key for h in lite.search("number")} == {"fixture:1", "fixture:2"}
    hit = lite.search('"ask for mia"', marks=("<b>", "</b>"))[0]
    assert "<b>ask for Mia</b>" in hit.snippet
    assert lite.search("nowhere") == []


@pytest.mark.parametrize(
    "bad", ['"unbalanced', "AND", "title:", "e-mail", "(a OR", "mia@example.org", "*"]
)
def test_invalid_search_query_gives_a_clear_error(lite: Store, bad: str) -> None:
    lite.write_batch(None, [screened(1)])
    with pytest.raises(ValueError, match="not valid full-text syntax"):
        lite.search(bad)


def test_literal_search_quotes_what_would_be_syntax(lite: Store) -> None:
    lite.write_batch(None, [
        screened(1, body="Write to mia@example.org or call 703-555-0142", city=None),
        screened(2, body="Write to ana@example.net", city=None),
    ])
    assert [h.summary.key for h in lite.search("mia@example.org", literal=True)] == ["fixture:1"]
    assert [h.summary.key for h in lite.search("703-555", literal=True)] == ["fixture:1"]
    assert len(lite.search('write "to', literal=True)) == 2


def test_empty_search_query_is_refused(lite: Store) -> None:
    with pytest.raises(ValueError, match="empty"):
        lite.search("   ")


def test_top_orders_by_score_then_id(store: Store) -> None:
    scores = [0.5, 4.0, 2.0, 4.0, 0.0]
    store.write_batch(None, [screened(i, score=s) for i, s in enumerate(scores)])
    assert [a.key for a in store.top()] == [f"fixture:{i}" for i in (1, 3, 2, 0, 4)]
    assert [a.score for a in store.top(n=2)] == [4.0, 4.0]
    assert [a.key for a in store.top(min_score=1.0)] == ["fixture:1", "fixture:3", "fixture:2"]
    assert store.top()[0].flag_count == 1


@dataclass
class Bad:
    file: str
    line: int | None
    reason: str
    excerpt: str


def test_quarantine_is_idempotent(store: Store) -> None:
    first = store.begin_scan(["in.jsonl"])
    bad = [Bad("in.jsonl", 3, "invalid JSON", "{oops"), Bad("in.jsonl", 9, "no text", "{}"),
           Bad("in.jsonl", None, "file truncated", "")]
    assert store.quarantine(first, [*bad, bad[0]]) == 3  # a repeat within one call, too
    second = store.begin_scan(["in.jsonl"])
    assert store.quarantine(second, bad) == 0
    assert store.quarantine(second, [Bad("in.jsonl", 3, "other reason", "{oops")]) == 1
    entries = store.quarantined()
    assert [(e.line, e.reason) for e in entries] == [
        (0, "file truncated"), (3, "invalid JSON"), (3, "other reason"), (9, "no text")]
    assert len(store.quarantined(first)) == 3 and len(store.quarantined(second)) == 1
    assert store.counts()["quarantine"] == 4


def test_scans_record_inputs_counts_and_status(store: Store) -> None:
    scan = store.begin_scan(["a.jsonl", "b.csv"])
    running = store.scan(scan)
    assert running is not None and running.status == "running" and running.finished_at is None
    counts = {"read": 3, "stored": 2, "duplicate": 1, "quarantined": 0, "flagged": 2}
    store.finish_scan(scan, counts, "done")
    done = store.scan(scan)
    assert done is not None and done.counts == counts and done.inputs == ["a.jsonl", "b.csv"]
    assert done.finished_at is not None and done.finished_at >= done.started_at
    assert done.status == "done"
    with pytest.raises(KeyError):
        store.finish_scan(scan + 100, counts)


def test_iter_ads_covers_every_ad_in_batches(store: Store) -> None:
    store.write_batch(None, [screened(i) for i in range(25)])
    batches = list(store.iter_ads(batch_size=10))
    assert [len(b) for b in batches] == [10, 10, 5]
    ids = [a.id for b in batches for a in b]
    assert ids == sorted(ids) and len(set(ids)) == 25
    assert all(len(a.screening.spans) == 3 for b in batches for a in b)
    rest = [a.id for b in store.iter_ads(batch_size=10, after_id=ids[19]) for a in b]
    assert rest == ids[20:]


def test_deleting_an_ad_cascades_and_leaves_search(lite: Store) -> None:
    lite.write_batch(None, [screened(1), screened(2)])
    with lite.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM ads WHERE key = 'fixture:1'")
    assert lite.counts()["spans"] == 3
    assert [h.summary.key for h in lite.search("Sweet")] == ["fixture:2"]


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 200)
    with pytest.raises(ValueError, match="cannot open"):
        Store(path)


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "amber.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaTooNewError, match="9999"):
        Store(path)


def test_timestamps_are_utc(store: Store) -> None:
    scan = store.begin_scan([])
    record = store.scan(scan)
    assert record is not None and record.started_at.tzinfo == UTC
    assert abs(record.started_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_concurrent_writers_store_each_ad_once(store: Store) -> None:
    """Two stores (two connections) writing overlapping batches at once: each key once."""
    other = Store(store.engine.url.render_as_string(hide_password=False))
    ranges = {store: range(0, 200), other: range(100, 300)}
    results: dict[Store, list[tuple[int, int]]] = {store: [], other: []}

    def write(s: Store) -> None:
        ids = list(ranges[s])
        for k in range(0, len(ids), 20):
            results[s].append(s.write_batch(None, [screened(i) for i in ids[k:k + 20]]))

    threads = [threading.Thread(target=write, args=(s,)) for s in (store, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    stored = sum(r[0] for rs in results.values() for r in rs)
    duplicates = sum(r[1] for rs in results.values() for r in rs)
    assert (stored, duplicates) == (300, 100)
    assert store.counts()["ads"] == 300 and store.counts()["spans"] == 900


@pytest.mark.slow
def test_a_batch_larger_than_one_sqlite_statement_is_stored_whole(store: Store) -> None:
    """A SQLite statement takes a limited number of bound values (999 in builds before 3.32,
    as set here), so a batch of 2,500 ads (19 values each) and 7,500 spans (9 each) is written
    in many statements, in one transaction: every ad once, ids in input order, children and
    search intact."""
    if store.engine.dialect.name == "sqlite":
        sa.event.listen(store.engine, "connect", lambda dbapi, _: dbapi.setlimit(
            sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999))
        store.engine.dispose()
    items = [screened(i) for i in range(2500)]
    new = store.write_new(None, items)
    assert [new[ad.key] for ad, _ in items] == sorted(new.values())
    counts = store.counts()
    assert (counts["ads"], counts["spans"], counts["flags"]) == (2500, 7500, 2500)
    again = store.write_new(None, [*items[1000:1900], screened(2500)])
    assert list(again) == ["fixture:2500"] and again["fixture:2500"] > max(new.values())
    last = store.get_ad(new["fixture:2499"])
    assert last.ad.title == "Ad number 2499" and last.screening == items[2499][1]
    if store.engine.dialect.name == "sqlite":
        assert [h.summary.id for h in store.search('"number 2499"')] == [new["fixture:2499"]]


def test_batches_of_any_size_reuse_a_few_insert_statements(lite: Store) -> None:
    """The sqlite3 module keeps its last 128 prepared statements; a multi-row insert for every
    possible batch size filled that cache with huge statements (memory grew by ~270 MB over
    50,000 ads). Batches of 40 different sizes must use a handful of statements per table."""
    seen: set[str] = set()
    sa.event.listen(lite.engine, "before_cursor_execute",
                    lambda conn, cursor, sql, *rest: seen.add(sql))
    start = 0
    for size in range(1, 41):
        lite.write_new(None, [screened(i) for i in range(start, start + size * 7)])
        start += size * 7
    inserts = {table: {sql for sql in seen if sql.startswith(f"INSERT INTO {table} ")}
               for table in ("ads", "identifiers", "flag_categories", "image_hashes")}
    assert lite.counts()["ads"] == start
    assert all(0 < len(found) <= 10 for found in inserts.values()), {
        table: len(found) for table, found in inserts.items()}


def test_a_scans_batches_of_ads_reuse_one_insert_statement(lite: Store) -> None:
    """SQLite compiles each distinct multi-row insert once per connection, at about the cost
    of running it, so a scan's full batches of ads must all go in through one statement (not
    a statement per power of two that sums to the batch), with every ad stored in input
    order."""
    from amberline.scan import DEFAULT_BATCH

    seen: list[str] = []
    sa.event.listen(lite.engine, "before_cursor_execute",
                    lambda conn, cursor, sql, *rest: seen.append(sql))
    ids: list[int] = []
    for k in range(2):
        items = [screened(i) for i in range(k * DEFAULT_BATCH, (k + 1) * DEFAULT_BATCH)]
        new = lite.write_new(None, items)
        ids += [new[ad.key] for ad, _ in items]
    assert ids == list(range(1, 2 * DEFAULT_BATCH + 1))
    inserts = [sql for sql in seen if sql.startswith("INSERT INTO ads ")]
    assert len(set(inserts)) == 1 and len(inserts) > 2, (len(set(inserts)), len(inserts))


def test_identifier_and_hash_ids_go_past_32_bits(store: Store) -> None:
    """Several rows per ad: at ~300 million ads the identifier ids pass 2^31, which a 32-bit id (and
    sequence, on PostgreSQL) cannot hold. Jump the ids past it and store more ads."""
    store.write_new(None, [screened(1)])
    big = 3_000_000_000
    with store.writer.begin() as conn:
        for table in ("identifiers", "image_hashes", "link_edges"):
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                             {"t": table, "n": big})
            elif table in ("identifiers", "image_hashes"):
                conn.execute(sa.text(f"UPDATE {table} SET id = id + {big}"))
    new = store.write_new(None, [screened(2)])
    with store.engine.connect() as conn:
        ids = conn.execute(sa.select(identifiers.c.id)
                           .where(identifiers.c.ad_id == new["fixture:2"]))
        assert min(ids.scalars()) > 2**31
    stored = store.get_ad(new["fixture:2"])
    assert stored is not None and stored.screening == screened(2)[1]


def test_write_batch_uses_a_few_statements_per_batch_not_per_ad(lite: Store) -> None:
    """Catches a per-row regression (a statement or commit per ad) without timing anything:
    the machines are shared, so speed lives in bench/ and this counts statements instead."""
    items = []
    for i in range(2000):
        ad, screening = screened(i, body=f"Sweet new girl in town, ask for Mia {i}. " * 10)
        screening.spans.extend(Span("descriptor", f"d{j}", j, j + 2, "d") for j in range(7))
        items.append((ad, screening))
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(lite.engine, "before_cursor_execute", count)
    try:
        for k in range(0, len(items), 1000):
            lite.write_batch(None, items[k:k + 1000])
    finally:
        sa.event.remove(lite.engine, "before_cursor_execute", count)
    assert lite.counts()["spans"] == 18_000  # name, age and 7 descriptors each
    assert len(statements) < 200, f"{len(statements)} statements for 2,000 ads"


# Run by each writer process of the tests below: waits for the common start time, then writes
# (or opens) and prints what it did as JSON.
_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from test_store import screened
from amberline.store import Store
url, mode, start = sys.argv[2], sys.argv[3], float(sys.argv[4])
while time.time() < start:
    pass
if mode == "open":
    with Store(url) as s:
        print(json.dumps({"migrated": s.migrated}))
    sys.exit(0)
stored = duplicates = 0
with Store(url) as s:
    for k in range(0, 2000, 100):  # the same 20 batches in the same sequence...
        numbers = range(k, k + 100)
        if mode == "down":  # ...but each batch's ads in the opposite order
            numbers = reversed(numbers)
        try:
            got = s.write_batch(None, [screened(i) for i in numbers])
        except Exception as exc:  # the driver's error alone (the statement is 100 rows long)
            sys.exit(f"batch {k}: {type(exc).__name__}: {str(getattr(exc, 'orig', exc))[:300]}")
        stored, duplicates = stored + got[0], duplicates + got[1]
print(json.dumps({"stored": stored, "duplicates": duplicates}))
"""


def _run_at_once(url: str, modes: list[str]) -> list[dict[str, int]]:
    """Start one process per mode, all starting their work at the same instant."""
    start = time.time() + 3.0  # time enough for every process to import and connect
    procs = [subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(Path(__file__).parent), url, mode, str(start)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for mode in modes]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def test_writers_inserting_the_same_ads_in_opposite_orders_do_not_deadlock(store: Store) -> None:
    """Two processes store the same new ads, batch by batch, each batch in opposite order. On
    PostgreSQL each would lock a key the other needs next (a deadlock, one batch lost) unless
    `write_new` takes the key locks in one order."""
    url = store.engine.url.render_as_string(hide_password=False)
    results = _run_at_once(url, ["up", "down"])
    assert sum(r["stored"] for r in results) == 2000
    assert sum(r["duplicates"] for r in results) == 2000
    counts = store.counts()
    assert counts["ads"] == 2000 and counts["spans"] == 6000 and counts["flags"] == 2000


def test_ids_follow_the_input_order_of_a_batch(store: Store) -> None:
    """Rows are inserted in key order (one lock order for all writers), but ids are still
    handed out in input order: the first ad of a batch gets the smallest id."""
    new = store.write_new(None, [screened(i) for i in (30, 4, 200, 11)])
    assert [new[f"fixture:{i}"] for i in (30, 4, 200, 11)] == sorted(new.values())
    assert store.get_ad(new["fixture:200"]).ad.title == "Ad number 200"


def test_processes_migrating_a_new_database_at_once_both_succeed(store_location: str) -> None:
    """Two processes open the same brand-new database at the same instant: one migrates, the
    other waits for it and finds the schema done (PostgreSQL: an advisory lock; SQLite: the
    write lock of BEGIN IMMEDIATE)."""
    results = _run_at_once(store_location, ["open", "open"])
    assert sorted(r["migrated"] for r in results) == [False, True]
    with Store(store_location) as s:
        assert not s.migrated
        with s.engine.connect() as conn:
            assert current_revision(conn) == head_revision()


def test_a_repeated_term_counts_once(store: Store) -> None:
    from amberline.pipeline import Screener

    screener = Screener()
    once = Ad(source="t", source_id="1", body="Quiet company 👑 call after six")
    often = Ad(source="t", source_id="2", body="Quiet company " + "👑 " * 12 + "call after six")
    s_once, s_often = screener.screen(once), screener.screen(often)
    crowns = [f for f in s_often.flags if f.term == "👑"]
    assert len(crowns) == 12  # every span stays evidence
    assert s_once.score > 0 and s_often.score == pytest.approx(s_once.score)
    store.write_batch(None, [(once, s_once), (often, s_often)])
    assert {a.key: a.flag_count for a in store.top()} == {"t:1": 1, "t:2": 1}


def test_an_ad_the_database_refuses_for_its_source_is_quarantined(store: Store) -> None:
    """A lone surrogate or NUL in an ad's source (a caller of `store_batch` that made its own
    ads; the readers refuse them earlier) makes the database refuse the ad, and its quarantine
    entry names that source: the entry is stored as every text is (`storable`), so the
    refused ad is kept aside with its reason and the rest of the batch stored, not the batch
    lost to the entry's own refusal."""
    from amberline.scan import store_batch

    items = [screened(i) for i in range(4)]
    items[1][0].source = "feed \ud800"
    items[2][0].source = "feed \x00"
    done = store_batch(store, None, items)
    assert sorted(done.refused) == sorted([items[1][1].ad_key, items[2][1].ad_key])
    assert sorted(done.new_ids) == sorted([items[0][1].ad_key, items[3][1].ad_key])
    entries = store.quarantined()
    assert [e.file for e in entries] == ["<feed \ufffd>"] * 2
    assert all("the database refused the ad" in e.reason for e in entries)
