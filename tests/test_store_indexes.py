"""The indexes on `ads` (migration 0013) and `link_keys` (0014, the table gone in 0015): lookups
by city still walk an index after the single-column city index went, link keys (derived from
`identifiers` since 0015) are read through the ad id index, and each migration keeps every
stored row both ways.

Runs on SQLite and, with AMBERLINE_TEST_PG_URL, on PostgreSQL (the query plans: SQLite only).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from amberline.link.record import LinkConfig
from amberline.link.store_link import link_store
from amberline.model import Ad, Screening, Span
from amberline.scan import store_batch
from amberline.scan_hooks import default_hooks
from amberline.store import Store
from amberline.store.migrate import alembic_config, current_revision, head_revision
from amberline.store.network_reads import keys_of_members
from amberline.store.networks import stored_keys
from amberline.store.queue import QueueFilter, page
from amberline.store.schema_networks import networks
from pg_helpers import BACKENDS, store_at

GONE = {"ix_ads_city", "ix_ads_content_hash"}
CITIES = ("Springfield", "Shelbyville", None)


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_at(request.param, tmp_path / "ix.db", "amberline_ix") as where:
        yield where


def items(n: int) -> list[tuple[Ad, Screening]]:
    """Clinical ads in three cities (one without), some without a source id."""
    out = []
    for i in range(n):
        ad = Ad(source="fixture", source_id=str(i) if i % 3 else None, title=f"Ad {i}",
                body=f"call 703 555 01{i % 100:02d}", city=CITIES[i % 3])
        spans = [Span("phone", f"+17035550{i % 100:03d}", 8, 20, "phone")]
        out.append((ad, Screening(ad.key, spans, [], (i * 37 % 100) / 10, "test-1")))
    return out


def ad_indexes(store: Store, table: str = "ads") -> set[str]:
    with store.reading() as conn:
        return {ix["name"] for ix in sa.inspect(conn).get_indexes(table) if ix["name"]}


def reads(store: Store) -> dict[str, Any]:
    """What the lookups that could use the dropped indexes answer."""
    return {
        "top": [(s.key, s.score) for s in store.top(n=1000)],
        "cities": {c: [s.key for s in store.find_by("city", c)] for c in CITIES if c},
        "keys": store.ids_of_keys(ad.key for ad, _ in items(60)),
        "queue": [r.key for r in page(store, QueueFilter(city="Springfield"), limit=100).rows],
    }


def test_migration_0013_keeps_every_ad_down_and_up(location: str) -> None:
    with Store(location) as store:
        assert store.write_batch(None, items(60)) == (60, 0)
        assert not GONE & ad_indexes(store)
        assert {"ix_ads_city_score", "ix_ads_score"} <= ad_indexes(store)
        before = reads(store)
        assert len(before["cities"]["Springfield"]) == 20 and len(before["keys"]) == 60
        with store.writing() as conn:
            command.downgrade(alembic_config(conn), "0012")
            assert current_revision(conn) == "0012"
        assert ad_indexes(store) >= GONE
        assert reads(store) == before
    with Store(location) as store:  # opening migrates to head again
        assert store.migrated
        with store.reading() as conn:
            assert current_revision(conn) == head_revision()
        assert not GONE & ad_indexes(store)
        assert reads(store) == before


def plans(store: Store, run: Any, table: str = "ads") -> list[str]:
    """SQLite's query plan of every SELECT on `table` that `run()` executes."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f" {table}" in statement:
            seen.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    assert seen
    with store.reading() as conn:
        raw = conn.connection.driver_connection
        return [" | ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
                for sql, params in seen]


def test_city_lookups_walk_the_city_score_index(tmp_path: Path) -> None:
    with Store(tmp_path / "plan.db") as store:
        store.write_batch(None, items(300))
        for run in (lambda: store.find_by("city", "Springfield"),
                    lambda: page(store, QueueFilter(city="Springfield"))):
            found = plans(store, run)
            assert any("ix_ads_city_score" in plan for plan in found), found
            assert not any("SCAN ads" in plan for plan in found), found


KEY_INDEX = "ix_link_keys_kind_value"


def linked(store: Store) -> None:
    """The fixture ads stored as a scan stores them (link keys included), then linked: ads
    sharing a phone form networks."""
    store_batch(store, None, items(60), default_hooks(store))
    link_store(store, LinkConfig(max_key_ads=5))


def key_reads(store: Store) -> dict[str, Any]:
    """Every ad's link keys, and each network's members' keys (the network page's read)."""
    with store.reading() as conn:
        ids = conn.execute(sa.select(networks.c.id).order_by(networks.c.id)).scalars().all()
        return {
            "keys": [(ad_id, kind, value) for ad_id, found in
                     stored_keys(conn, lambda col: col > 0).items() for kind, value in found],
            "members": {nid: keys_of_members(conn, nid) for nid in ids},
        }


def stored_key_rows(store: Store) -> list[tuple[int, str, str]]:
    """The rows of the `link_keys` table of revisions before 0015, in id order."""
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(
            sa.text("SELECT ad_id, kind, value FROM link_keys ORDER BY id"))]


def test_migration_0014_keeps_every_link_key_down_and_up(location: str) -> None:
    with Store(location) as store:
        linked(store)
        assert "link_keys" not in sa.inspect(store.engine).get_table_names()
        before = key_reads(store)
        assert len(before["keys"]) == 60 and before["members"]
        with store.writing() as conn:
            command.downgrade(alembic_config(conn), "0013")
            assert current_revision(conn) == "0013"
        assert KEY_INDEX in ad_indexes(store, "link_keys")
        assert "ix_link_keys_ad_id" in ad_indexes(store, "link_keys")
        assert stored_key_rows(store) == before["keys"]
        assert key_reads(store) == before
    with Store(location) as store:  # opening migrates to head again
        assert store.migrated
        assert "link_keys" not in sa.inspect(store.engine).get_table_names()
        assert key_reads(store) == before


def test_link_key_reads_walk_the_ad_id_index(tmp_path: Path) -> None:
    """Every read of link keys the code makes (a link run's records, a network's page) is a
    search of the identifiers' ad id index, never a scan of the table."""
    with Store(tmp_path / "keys.db") as store:
        store_batch(store, None, items(300), default_hooks(store))

        def run() -> None:
            link_store(store, LinkConfig(max_key_ads=5))
            with store.reading() as conn:
                ids = conn.execute(sa.select(networks.c.id)).scalars().all()
                assert ids
                for nid in ids:
                    keys_of_members(conn, nid)

        found = plans(store, run, table="identifiers")
        assert all("SEARCH identifiers USING INDEX ix_identifiers_ad_id" in plan
                   for plan in found), found
