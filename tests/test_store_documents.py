"""One document per ad (migration 0012): a database made by the previous release, with one row
per span and per flag, reads the same after the upgrade, and back after the downgrade.

The previous release's rows are written here as its store wrote them (`spans`, `flags` and
`image_hashes` rows beside each ad row, the full-text index filled by its trigger), on a
database migrated to the revision before 0012; its answers are read with the SQL it ran. Runs
on SQLite and, with AMBERLINE_TEST_PG_URL, on PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from amberline.model import PRICE, Ad, Flag, Screening, Span
from amberline.pipeline import Screener
from amberline.store import Store, documents
from amberline.store.database import make_engine
from amberline.store.migrate import WRITE_OPTION, alembic_config, current_revision
from amberline.store.rows import AD_COLUMNS, ad_rows
from amberline.store.schema import ads, decode_value, encode_value, image_hashes, utcnow
from amberline.synth.generate import generate
from pg_helpers import BACKENDS, store_at

PREVIOUS = ScriptDirectory.from_config(alembic_config()).get_revision("0012").down_revision
assert isinstance(PREVIOUS, str)

OLD_SPANS = sa.table("spans", *(sa.column(c) for c in (
    "id", "ad_id", "kind", "value", "value_json", "start", "end", "extractor", "confidence")),
    sa.column("attrs", sa.JSON(none_as_null=True)))
OLD_FLAGS = sa.table("flags", *(sa.column(c) for c in (
    "id", "ad_id", "category", "term", "start", "end", "weight", "contribution", "rule",
    "citation")))



@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_at(request.param, tmp_path / "old.db", "amberline_docs") as where:
        yield where


@pytest.fixture(scope="module")
def items() -> list[tuple[Ad, Screening]]:
    """Screened synthetic ads (names, ages, prices with attributes, descriptors with
    structured values, flags) and two made by hand: one with no evidence at all, and one whose
    flags repeat a term in other cases and give a category several flags."""
    rows = list(itertools.islice(generate(120, seed=3)[0], 120))
    ads_ = [Ad(source=r["source"], source_id=r["id"], title=r.get("title", ""),
               body=r.get("body", ""), city=r.get("city"),
               image_hashes=[{"pdq": f"{i:064x}", "quality": 80, "md5": f"{i:032x}",
                              "frame": 1}] if i % 7 == 0 else [])
            for i, r in enumerate(rows)]
    out = list(zip(ads_, Screener().screen_batch(ads_), strict=True))
    empty = Ad(source="fixture", source_id="empty", title="Nothing here", body="plain text")
    out.append((empty, Screening(empty.key, [], [], 0.0, "test-1")))
    repeat = Ad(source="fixture", source_id="repeat", title="Sweet SWEET sweet", body="x")
    flags = [Flag("youth", term, i * 6, i * 6 + 5, 1.0, "youth.sweet", "cited", 0.2)
             for i, term in enumerate(("Sweet", "SWEET", "sweet"))]
    flags.append(Flag("control", "x", 18, 19, 0.5, "control.x", "", 0.1))
    spans = [Span("price", 120, 0, 5, "price", 0.8, {"amount": 120.0, "currency": "USD"}),
             Span("age", 19, 6, 11, "age"), Span("age", 19, 12, 17, "age")]
    out.append((repeat, Screening(repeat.key, spans, flags, 2.5, "test-1")))
    assert sum(len(s.flags) for _, s in out) > 40 and sum(len(s.spans) for _, s in out) > 300
    return out


def write_previous_release(conn: sa.Connection, items: list[tuple[Ad, Screening]]
                           ) -> dict[str, int]:
    """Store `items` in the previous release's layout; returns {key: ad id}."""
    rows, _ = ad_rows(None, items, utcnow())
    ids: dict[str, int] = {}
    for values in rows:
        row = dict(zip(AD_COLUMNS, values, strict=True))
        old = {k: v for k, v in row.items() if k not in ("screening", "flag_count")}
        ids[row["key"]] = conn.execute(ads.insert().values(**old)).inserted_primary_key[0]
    for ad, s in items:
        ad_id = ids[s.ad_key]
        for span in s.spans:
            value, is_json = encode_value(span.value)
            conn.execute(OLD_SPANS.insert().values(
                ad_id=ad_id, kind=span.kind, value=value, value_json=is_json, start=span.start,
                end=span.end, extractor=span.extractor, confidence=span.confidence,
                attrs=span.attrs or None))
        for f in s.flags:
            conn.execute(OLD_FLAGS.insert().values(
                ad_id=ad_id, category=f.category, term=f.term, start=f.start, end=f.end,
                weight=f.weight, contribution=f.contribution, rule=f.rule, citation=f.citation))
        for h in ad.image_hashes:
            conn.execute(image_hashes.insert().values(
                ad_id=ad_id, pdq=h["pdq"], quality=h["quality"], md5=h["md5"],
                attrs={"frame": h["frame"]}))
    return ids


def previous_answers(conn: sa.Connection) -> dict[str, Any]:
    """What the previous release's reads returned, by the SQL it ran."""
    spans: dict[int, list[Span]] = {}
    for r in conn.execute(sa.select(OLD_SPANS).order_by(OLD_SPANS.c.id)):
        spans.setdefault(r.ad_id, []).append(Span(
            r.kind, decode_value(r.value, r.value_json), r.start, r.end, r.extractor,
            r.confidence, r.attrs or {}))
    flags: dict[int, list[Flag]] = {}
    for r in conn.execute(sa.select(OLD_FLAGS).order_by(OLD_FLAGS.c.id)):
        flags.setdefault(r.ad_id, []).append(Flag(
            r.category, r.term, r.start, r.end, r.weight, r.rule, r.citation, r.contribution))
    nflags = dict(conn.exec_driver_sql(
        "SELECT ads.id, (SELECT count(DISTINCT rule || ' ' || lower(term)) FROM flags"
        " WHERE flags.ad_id = ads.id) FROM ads").all())
    found: dict[tuple[str, str, bool], set[int]] = {}
    for ad_id, kind, value, is_json in conn.execute(sa.select(
            OLD_SPANS.c.ad_id, OLD_SPANS.c.kind, OLD_SPANS.c.value, OLD_SPANS.c.value_json)):
        found.setdefault((kind, value, bool(is_json)), set()).add(ad_id)
    categories = Counter((r.ad_id, r.category) for r in conn.execute(sa.select(OLD_FLAGS)))
    search = None
    if conn.dialect.name == "sqlite":
        search = [r[0] for r in conn.exec_driver_sql(
            "SELECT rowid FROM ads_fts WHERE ads_fts MATCH 'sweet OR new' ORDER BY rowid")]
    return {"spans": spans, "flags": flags, "nflags": nflags, "found": found,
            "categories": dict(categories), "search": search}


def assert_same_reads(store: Store, before: dict[str, Any], items: list[tuple[Ad, Screening]],
                      ids: dict[str, int], added: tuple[int, ...] = ()) -> None:
    """The previous release's answers, plus `added`: ads stored since without evidence."""
    for ad, screening in items:
        stored = store.get_ad(ids[screening.ad_key])
        assert stored is not None
        ad_id = stored.id
        assert stored.screening.spans == before["spans"].get(ad_id, []) == screening.spans
        assert stored.screening.flags == before["flags"].get(ad_id, []) == screening.flags
        assert stored.ad.image_hashes == ad.image_hashes
    summaries = {s.id: s.flag_count for s in store.top(n=10_000)}
    assert summaries == {**before["nflags"], **dict.fromkeys(added, 0)}
    assert summaries[ids["fixture:repeat"]] == 2  # "Sweet", "SWEET", "sweet" are one
    for (kind, value, is_json), expected in before["found"].items():
        looked_up = decode_value(value, is_json)
        if kind == PRICE:
            with pytest.raises(ValueError, match="not indexed"):
                store.find_by(kind, looked_up)
            continue
        assert {s.id for s in store.find_by(kind, looked_up, 10_000)} == expected, (kind, value)
    with store.reading() as conn:
        categories = {(a, c): n for a, c, n in conn.exec_driver_sql(
            "SELECT ad_id, category, flags FROM flag_categories")}
    assert categories == before["categories"]
    counts = store.counts()
    assert counts["spans"] == sum(map(len, before["spans"].values()))
    assert counts["flags"] == sum(map(len, before["flags"].values()))
    assert counts["flagged_ads"] == len(before["flags"])
    if before["search"] is not None:
        hits = store.search("sweet OR new", limit=10_000)
        assert sorted(h.summary.id for h in hits) == sorted(before["search"] + list(added))


def test_previous_release_database_reads_the_same_after_upgrade_and_downgrade(
        location: str, items: list[tuple[Ad, Screening]]) -> None:
    engine = make_engine(location)
    writer = engine.execution_options(**{WRITE_OPTION: True})
    with writer.begin() as conn:
        command.upgrade(alembic_config(conn), PREVIOUS)
        ids = write_previous_release(conn, items)
        before = previous_answers(conn)
    assert len(before["found"]) > 100

    with Store(location) as store:  # opening migrates to head
        assert store.migrated
        assert_same_reads(store, before, items, ids)
        # The converted store takes new ads in the new layout, full-text index included.
        extra = Ad(source="fixture", source_id="after", title="Sweet note", body="new text")
        new = store.write_new(None, [(extra, Screening(extra.key, [], [], 0.0, "test-1"))])
        if engine.dialect.name == "sqlite":
            assert new["fixture:after"] in {h.summary.id for h in store.search("note")}

    with writer.begin() as conn:
        command.downgrade(alembic_config(conn), PREVIOUS)
        assert current_revision(conn) == PREVIOUS
        after_downgrade = previous_answers(conn)
    for key in ("spans", "flags", "nflags", "found", "categories"):
        expected = before[key]
        if key == "nflags":
            expected = {**expected, new["fixture:after"]: 0}
        assert after_downgrade[key] == expected, key
    if engine.dialect.name == "sqlite":  # the per-row trigger is back
        count = "SELECT count(*) FROM ads_fts WHERE ads_fts MATCH 'sweet'"
        with writer.begin() as conn:
            had = conn.exec_driver_sql(count).scalar()
            conn.exec_driver_sql(
                "INSERT INTO ads (key, source, title, body, content_hash, score,"
                " pipeline_version, stored_at) VALUES ('k:1', 'k', 'Sweet', 'x', 'h', 0, 'v',"
                " '2026-01-01 00:00:00')")
            assert conn.exec_driver_sql(count).scalar() == had + 1
        with writer.begin() as conn:
            conn.exec_driver_sql("DELETE FROM ads WHERE key = 'k:1'")
    engine.dispose()

    with Store(location) as store:  # and up again
        assert_same_reads(store, before, items, ids, (new["fixture:after"],))


def test_evidence_without_offsets_fails_the_batch_before_writing(tmp_path: Path) -> None:
    ad = Ad(source="fixture", source_id="1", title="t", body="b")
    for bad in ([Span("name", "Mia", None, 3, "name")], []):  # type: ignore[arg-type]
        flags = [] if bad else [Flag("youth", "t", 0, None, 1.0, "r")]  # type: ignore[arg-type]
        with Store(tmp_path / "s.db") as store, pytest.raises(ValueError, match="offsets"):
            store.write_new(None, [(ad, Screening(ad.key, bad, flags, 0.0, "test-1"))])
        with Store(tmp_path / "s.db") as store:
            assert store.counts()["ads"] == 0


def test_document_round_trip_keeps_values_and_order() -> None:
    spans = [Span("descriptor", {"kind": "hair", "value": "red"}, 3, 6, "d", 0.5),
             Span("age", 2**70, 0, 2, "age"), Span("name", "Zoë", 7, 10, "name", 1.0, {"a": 1})]
    flags = [Flag("youth", "Zoë", 7, 10, 1.5, "youth.x", "c", 0.25)]
    assert documents.decode(documents.encode(spans, flags)) == (spans, flags)
    assert documents.decode(None) == ([], [])
    assert documents.identifier_rows(7, spans + spans) == [
        (7, "descriptor", '{"kind":"hair","value":"red"}'), (7, "age", str(2**70)),
        (7, "name", "Zoë")]


def test_values_sqlite3_would_adapt_are_bound_as_before_without_a_failed_lookup() -> None:
    """The adapters `store.rows` registers for None, bytes, memoryview and bool store exactly
    what sqlite3 stored for them without one (the same type and value)."""
    import sqlite3
    from contextlib import closing

    from amberline.store.rows import _SAME_AS_BOUND

    values: list[Any] = [None, b"a\x00b", b"", memoryview(b"doc"), True, False]
    protocol = sqlite3.PrepareProtocol

    def stored() -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(":memory:")) as conn:
            conn.execute("CREATE TABLE t (v)")
            conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
            return conn.execute("SELECT v, typeof(v) FROM t ORDER BY rowid").fetchall()

    registered = {kind: sqlite3.adapters.get((kind, protocol)) for kind, _ in _SAME_AS_BOUND}
    assert all(registered.values()), "every type of the list has its adapter"
    with_adapters = stored()
    try:
        for kind in registered:
            del sqlite3.adapters[kind, protocol]
        without = stored()
    finally:
        for kind, adapter in registered.items():
            sqlite3.register_adapter(kind, adapter)
    assert with_adapters == without == [
        (None, "null"), (b"a\x00b", "blob"), (b"", "blob"), (b"doc", "blob"),
        (1, "integer"), (0, "integer")]
