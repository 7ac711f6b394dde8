"""PostgreSQL for teams: full-text search through PostgreSQL's own text search, and two scans
of overlapping input writing at the same time (separate processes) while a reader reads.

Runs against the server named by AMBERLINE_TEST_PG_URL (`.ci/services/postgres.sh` starts one
and exports it); skipped without it. Each test works in a schema of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from amberline.model import Ad, Flag, Screening
from amberline.store import Store
from pg_helpers import PG_URL, pg_schema

pytestmark = pytest.mark.skipif(not PG_URL, reason="set AMBERLINE_TEST_PG_URL to run on PostgreSQL")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    with pg_schema("amberline_scale") as url:
        yield url


def item(n: int, title: str, body: str) -> tuple[Ad, Screening]:
    ad = Ad(source="fixture", source_id=str(n), title=title, body=body)
    flags = [Flag("youth", "new", 0, 3, 1.0, "youth.new", "observed", 0.5)]
    return ad, Screening(ad.key, [], flags, 0.5 + n / 100, "test-1")


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    with Store(pg_url) as s:
        s.write_batch(None, [
            item(1, "Sweet new girl in town", "Ask for Mia, write to mia@example.org or 703-555"),
            item(2, "Quiet café in Town", "Number two, open late, ask for the menu"),
            item(3, "Garden tools", "Rakes and spades for sale, nothing else in town"),
        ])
        yield s


def keys(hits: list) -> list[str]:
    return [h.summary.key for h in hits]


def test_search_finds_whole_words_folds_case_and_accents(store: Store) -> None:
    assert set(keys(store.search("town"))) == {"fixture:1", "fixture:2", "fixture:3"}
    assert keys(store.search("CAFE")) == ["fixture:2"]  # accents and case folded (unaccent)
    assert keys(store.search("café")) == ["fixture:2"]
    assert keys(store.search("tow")) == []  # whole words, not prefixes
    assert keys(store.search("nowhere")) == []


def test_search_syntax_phrases_and_operators(store: Store) -> None:
    assert keys(store.search('"ask for mia"')) == ["fixture:1"]
    assert keys(store.search('"mia for ask"')) == []
    assert set(keys(store.search("ask AND late"))) == {"fixture:2"}
    assert set(keys(store.search("town NOT quiet"))) == {"fixture:1", "fixture:3"}
    assert set(keys(store.search("spades OR menu"))) == {"fixture:2", "fixture:3"}
    assert keys(store.search("!!! ((")) == []  # odd input is no error on PostgreSQL


def test_literal_search_and_snippets(store: Store) -> None:
    assert keys(store.search("mia@example.org", literal=True)) == ["fixture:1"]
    assert keys(store.search("703-555", literal=True)) == ["fixture:1"]
    hit = store.search('"ask for mia"', marks=("<b>", "</b>"))[0]
    assert "<b>Ask</b> <b>for</b> <b>Mia</b>" in hit.snippet
    assert len(store.search("town", limit=2)) == 2


def test_search_uses_the_gin_index(store: Store) -> None:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(
            "EXPLAIN SELECT id FROM ads WHERE amberline_search_doc(title, body)"
            " @@ amberline_search_query('town')"))
    assert "ads_fts_doc" in plan


def write_ads(path: Path, numbers: range) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in numbers:
            body = f"Hi, I'm Ann{i % 97}, new in Denver. Call 303 555 01{i % 100:02d}. Ref {i}."
            out.write(json.dumps({"id": f"a{i}", "source": "site.example", "body": body}) + "\n")


@pytest.mark.slow
def test_two_scans_of_overlapping_input_at_once_store_every_ad_once(
    pg_url: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_ads(first, range(0, 700))
    write_ads(second, range(350, 1050))  # 350 ads in both
    Store(pg_url).close()  # schema created once, before the writers start
    command = [sys.executable, "-m", "amberline.cli", "scan", "--database", pg_url,
               "--batch-size", "100"]
    procs = [subprocess.Popen([*command, str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for path in (first, second)]
    reads = 0
    with Store(pg_url) as reader:  # the web app's part: reading while both scans write
        while any(p.poll() is None for p in procs):
            counts = reader.counts()
            assert counts["ads"] <= 1050
            reader.top(5)
            reader.search("Denver", limit=5)
            reads += 1
            time.sleep(0.05)
        outputs = [p.communicate() for p in procs]
        for proc, (_, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
        with reader.engine.connect() as conn:
            total, distinct = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT key) FROM ads")).one()
            signatures = conn.execute(sa.text("SELECT count(*) FROM link_minhash")).scalar()
        assert total == distinct == 1050
        assert signatures == 1050  # the link-keys hook ran once per stored ad
        assert len(reader.search("Denver", limit=5000)) == 1050
    assert reads > 0
    stored = [_count(out, "stored") for out, _ in outputs]
    duplicates = [_count(out, "duplicate") for out, _ in outputs]
    assert sum(stored) == 1050 and sum(duplicates) == 350


def _count(table: str, name: str) -> int:
    for line in table.splitlines():
        if name in line:
            return int("".join(ch for ch in line.split(name, 1)[1] if ch.isdigit()))
    raise AssertionError(f"no {name} count in {table!r}")


NAME_ADS = [
    (1, "Sweet new girl in town", "Ask for Mia, write to mia@example.org or 703-555"),
    (2, "Quiet café in Town", "Number two, open late, ask for the menu"),
    (3, "Garden tools", "Rakes and spades for sale, nothing else in town"),
    (4, "Miami trip", "Visiting Miami this week, ask for Anne-Marie"),
    (5, "New in town", "Hi, I'm MIA, in town until Friday"),
]
PHRASES = ["Mia", "ask for mia", "mia for ask", "cafe", "CAFÉ", "Anne-Marie", "Miami",
           "mia@example.org", "in town", "nobody", "Mi", "!!!"]


def test_alert_name_lookup_uses_text_search_and_agrees_with_sqlite(
    pg_url: str, tmp_path: Path
) -> None:
    """Alerts look names and keywords up through PostgreSQL's text search (the GIN index of
    0005), with the same answers as SQLite's FTS5: whole words, case and accents folded."""
    from amberline.store.alert_candidates import phrase_query, with_phrase

    items = [item(*a) for a in NAME_ADS]
    found = {}
    for where in (pg_url, tmp_path / "names.db"):
        with Store(where) as s:
            s.write_batch(None, items)
            key_of = {a.id: a.key for a in s.top(100)}
            found[s.engine.dialect.name] = {
                p: sorted(key_of[i] for i in with_phrase(s, p)) for p in PHRASES}
    pg = found["postgresql"]
    assert pg["Mia"] == ["fixture:1", "fixture:5"]  # not "Miami"; "MIA" folded
    assert pg["ask for mia"] == ["fixture:1"] and pg["mia for ask"] == []
    assert pg["cafe"] == pg["CAFÉ"] == ["fixture:2"]
    assert pg["Anne-Marie"] == ["fixture:4"] and pg["mia@example.org"] == ["fixture:1"]
    assert pg["nobody"] == pg["Mi"] == pg["!!!"] == []
    assert pg == found["sqlite"]

    with Store(pg_url) as s, s.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        stmt = phrase_query("postgresql", ["ask", "for", "Mia"])
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
    assert "ads_fts_doc" in plan, plan


def test_the_workspace_search_page_on_postgresql(store: Store) -> None:
    """The web search page runs `Store.search` on PostgreSQL: hits, highlights, odd input."""
    from amberline.store.accounts import add_user
    from web_helpers import app_for, signed_in

    add_user(store, "ana", "analyst", "correct horse battery")
    client = signed_in(app_for(store), "ana")
    page = client.get("/search", params={"q": '"ask for mia"'})
    assert page.status_code == 200
    assert "Sweet new girl in town" in page.text and "Garden tools" not in page.text
    assert "<mark>Ask</mark> <mark>for</mark> <mark>Mia</mark>" in page.text
    assert "3 ads." in client.get("/search", params={"q": "town"}).text
    odd = client.get("/search", params={"q": "!!! (("})
    assert odd.status_code == 200 and "0 ads." in odd.text


@pytest.mark.parametrize("option", ["--db", "--database"])
def test_read_commands_take_a_database_url(store: Store, pg_url: str, option: str) -> None:
    """`--db` takes a URL as well as a path (a `Path` option collapsed the `//` of a URL), and
    `--database` stays as its old name."""
    from typer.testing import CliRunner

    from amberline.cli import app

    result = CliRunner().invoke(app, ["top", option, pg_url, "-n", "2"])
    assert result.exit_code == 0, result.output
    assert "Top 2 ads" in result.output
    result = CliRunner().invoke(app, ["search", "café", option, pg_url])
    assert result.exit_code == 0, result.output
    assert "1 ads match" in result.output
