"""Link keys derived from the stored identifier rows (migration 0015) are the keys the scan
hook computed from each ad's spans before: for screened synthetic ads, for hand-made spans
whose values are not in canonical form, on the hosting site's domain or only a mail domain,
and for typed locations; and a store made with the `link_keys` table of revision 0014 keeps
every key through the upgrade and the downgrade.

Runs on SQLite and, with AMBERLINE_TEST_PG_URL, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from alembic import command

from amberline.ingest.reader import ReadOptions, read_path
from amberline.link.keys import link_keys
from amberline.model import META_LOCATION, Ad, Screening, Span
from amberline.pipeline import Screener
from amberline.scan import store_batch
from amberline.scan_hooks import default_hooks
from amberline.store import Store
from amberline.store.migrate import alembic_config, current_revision
from amberline.store.networks import stored_keys
from amberline.store.parquet_export import export_parquet
from amberline.synth.generate import write_corpus
from pg_helpers import BACKENDS, store_at

SITE = "board.example"


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_at(request.param, tmp_path / "keys.db", "amberline_lk") as where:
        yield where


def hand_made() -> list[tuple[Ad, Screening]]:
    """Ads whose spans hold values a screening would not give (mixed case, spacing, schemes,
    invalid forms), site and mail domains, repeats that normalise alike, and typed
    locations with digits, punctuation, only spaces, or none."""
    spans = [
        [Span("phone", "(703) 555-0142", 0, 1, "t"), Span("phone", "+17035550142", 0, 1, "t"),
         Span("email", "Desk@Example.ORG", 0, 1, "t"), Span("url", "example.org", 0, 1, "t"),
         Span("url", "HTTPS://www.Other.example/Page/", 0, 1, "t")],
        [Span("email", f"report@{SITE}", 0, 1, "t"), Span("url", f"www.{SITE}/report", 0, 1, "t"),
         Span("handle", "@Mia_Desk", 0, 1, "t"), Span("handle", "two words", 0, 1, "t"),
         Span("phone", "12", 0, 1, "t"), Span("name", "Mia", 0, 1, "t"),
         Span("age", 23, 0, 1, "t"), Span("place", "Riverton", 0, 1, "t")],
        [Span("url", "http://[broken/", 0, 1, "t"), Span("email", "not an address", 0, 1, "t")],
        [],
        [Span("handle", "mia_desk", 0, 1, "t"), Span("phone", "+442079460958", 0, 1, "t")],
    ]
    places = ["Harbour Side, North Quay 12!", "   ", None, "Downtown", "downtown"]
    out = []
    for i, (found, place) in enumerate(zip(spans, places, strict=True)):
        ad = Ad(source=SITE if i % 2 else f"www.{SITE.upper()}", source_id=f"h{i}",
                body=f"hand made {i}", meta={META_LOCATION: place} if place else {})
        out.append((ad, Screening(ad.key, found, [], 0.0, "test-1")))
    return out


def screened(tmp_path: Path, n: int) -> list[tuple[Ad, Screening]]:
    """Screened synthetic ads, every third with a typed location."""
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, n, 13)
    ads = [a for a in read_path(corpus, ReadOptions()) if isinstance(a, Ad)]
    for i, ad in enumerate(ads):
        if i % 3 == 0:
            ad.meta = {META_LOCATION: f"Area {i % 7}, Old Town"}
    return list(zip(ads, Screener().screen_batch(ads), strict=True))


def scan_time_keys(store: Store, items: list[tuple[Ad, Screening]]) -> dict[int, list]:
    """{ad id: keys} as the scan hook computed them before 0015 (`link_keys` of the ad and its
    screening), for the ads with keys."""
    with store.reading() as conn:
        ids = dict(conn.execute(sa.text("SELECT key, id FROM ads")).all())
    return {ids[ad.key]: found for ad, s in items if (found := link_keys(ad, s))}


def test_derived_keys_are_the_scan_hooks_keys(location: str, tmp_path: Path) -> None:
    items = [*hand_made(), *screened(tmp_path, 400)]
    with Store(location) as store:
        store_batch(store, None, items, default_hooks(store))
        expected = scan_time_keys(store, items)
        with store.reading() as conn:
            derived = stored_keys(conn, lambda col: col > 0)
    assert derived == expected
    kinds = {k for found in expected.values() for k, _ in found}
    assert kinds == {"phone", "email", "handle", "url", "place"}  # every kind was compared
    first = expected[min(expected)]
    assert first == [("phone", "+17035550142"), ("email", "desk@example.org"),
                     ("url", "other.example/Page"), ("place", "harbour side north quay 00")]


def test_unsigned_ads_have_no_derived_keys(tmp_path: Path) -> None:
    """Keys are those of the ads a link run knows (signed), as the table held them."""
    with Store(tmp_path / "u.db") as store:
        store_batch(store, None, hand_made())  # no hooks: no signatures
        with store.reading() as conn:
            assert stored_keys(conn, lambda col: col > 0) == {}


def test_a_store_with_link_keys_rows_upgrades_and_downgrades(location: str,
                                                           tmp_path: Path) -> None:
    """A store as revision 0014 left it (keys stored by the scan hook of that release, here
    written as it wrote them), upgraded: the derived keys are those rows; downgraded again:
    the same rows, ids included."""
    items = [*hand_made(), *screened(tmp_path, 150)]
    with Store(location) as store:
        store_batch(store, None, items, default_hooks(store))
        expected = scan_time_keys(store, items)
        old_rows = [(n, ad_id, kind, value) for n, (ad_id, kind, value) in enumerate(
            ((a, k, v) for a in sorted(expected) for k, v in expected[a]), start=1)]
        with store.writing() as conn:
            command.downgrade(alembic_config(conn), "0014")
            assert current_revision(conn) == "0014"
            conn.execute(sa.text("DELETE FROM link_keys"))
            for row in old_rows:
                conn.execute(sa.text("INSERT INTO link_keys (id, ad_id, kind, value)"
                                     " VALUES (:i, :a, :k, :v)"),
                             dict(zip("iakv", row, strict=True)))
    with Store(location) as store:  # opening migrates to head
        assert store.migrated
        assert "link_keys" not in sa.inspect(store.engine).get_table_names()
        with store.reading() as conn:
            assert stored_keys(conn, lambda col: col > 0) == expected
        # The Parquet export's keys file: the table's rows as before, in row groups of 7.
        assert export_parquet(store, tmp_path / "out", batch_size=7)["keys"] == len(old_rows)
        exported = pq.ParquetFile(tmp_path / "out" / "keys.parquet")
        assert exported.metadata.row_group(0).num_rows == 7
        assert list(zip(*exported.read().to_pydict().values(), strict=True)) == old_rows
        with store.writing() as conn:
            command.downgrade(alembic_config(conn), "0014")
        with store.reading() as conn:
            rows = [tuple(r) for r in conn.execute(
                sa.text("SELECT id, ad_id, kind, value FROM link_keys ORDER BY id"))]
    assert rows == old_rows and len(rows) > 150
