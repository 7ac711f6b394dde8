"""Shared, clinical fixtures for the report tests: a few screened ads in a fresh store.

The ads are synthetic and non-explicit; two of them share a phone number, so cases have a
related ad and networks have more than one member.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from amberline.model import Ad, Screening
from amberline.pipeline import Screener
from amberline.store import Store

ADS = [
    Ad(source="site.example", source_id="101", title="Sweet new girl in town",
       body="Ask for Mia, 17 yrs, call 703 555 0142 or mia.fun@example.com",
       url="https://site.example/ad/101", posted_at=datetime(2024, 5, 1, 12, tzinfo=UTC),
       city="Springfield"),
    Ad(source="site.example", source_id="102", title="New in town this week",
       body="Young and fresh, call 703 555 0142 today",
       url="https://site.example/ad/102", posted_at=datetime(2024, 5, 3, 12, tzinfo=UTC),
       city="Dayton"),
    Ad(source="board.example", source_id="7", title="Relaxing massage studio",
       body="Licensed therapists, walk-ins welcome, call 312 555 0199",
       url=None, posted_at=None, city="Chicago"),
]
KEY_A, KEY_B, KEY_C = (ad.key for ad in ADS)


@cache
def screened() -> tuple[tuple[Ad, Screening], ...]:
    return tuple(zip(ADS, Screener().screen_batch(ADS), strict=True))


def make_store(tmp_path: Path) -> Store:
    """A fresh store holding the fixture ads (ids 1, 2, 3 in order)."""
    store = Store(tmp_path / "cases.db")
    ids = store.write_new(None, list(screened()))
    assert list(ids) == [KEY_A, KEY_B, KEY_C]
    return store


def add_network(store: Store, network_id: str, ad_ids: list[int]) -> None:
    """Store a network and its members the way linking does (tables from schema_networks)."""
    from amberline.store.schema import utcnow
    from amberline.store.schema_networks import network_members, networks

    with store.engine.begin() as conn:
        conn.execute(networks.insert().values(id=network_id, score=0.8, size=len(ad_ids),
                                              updated_at=utcnow()))
        conn.execute(network_members.insert(),
                     [{"network_id": network_id, "ad_id": a} for a in ad_ids])
