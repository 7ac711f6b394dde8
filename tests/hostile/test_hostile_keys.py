"""Ad keys cannot collide (issue 9, Medium: "Ad keys `source:source_id` are not escaped").

("a:b", "c") and ("a", "b:c") were one key, so the second ad was dropped as a duplicate;
a source named "sha256" could pose as a content hash. Keys now escape the source, migration
0008 rewrites stored keys, and ordinary keys (and `amberline show KEY`) are unchanged.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from hostile_support import tripwire_screener
from typer.testing import CliRunner

from amberline.cli import app
from amberline.model import Ad
from amberline.store.database import Store, make_engine
from amberline.store.migrate import WRITE_OPTION, alembic_config
from amberline.store.schema import ads


def _ad(source: str, source_id: str | None, body: str = "Listing text") -> Ad:
    return Ad(source=source, source_id=source_id, title="t", body=body)


def test_keys_of_distinct_source_and_id_pairs_differ() -> None:
    pairs = [("a:b", "c"), ("a", "b:c"), ("a%3Ab", "c"), ("sha256", "0" * 64), ("a", "b%3Ac")]
    keys = [_ad(s, i).key for s, i in pairs]
    assert len(set(keys)) == len(keys)
    assert _ad("x", None, "same text").key.startswith("sha256:")
    assert _ad("sha256", "0" * 64).key != "sha256:" + "0" * 64
    assert _ad("platform-x", "p1").key == "platform-x:p1"  # ordinary keys as before


def test_both_ads_are_stored_and_show_finds_an_ordinary_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "k.db")
    batch = [_ad("a:b", "c", "first listing"), _ad("a", "b:c", "second listing"),
             _ad("plain", "p1", "third listing")]
    screenings = tripwire_screener().screen_batch(batch)
    assert len(store.write_new(None, list(zip(batch, screenings, strict=True)))) == 3
    store.close()
    result = CliRunner().invoke(app, ["show", "plain:p1", "--db", str(tmp_path / "k.db")])
    assert result.exit_code == 0 and "third listing" in result.output


def test_migration_0008_rewrites_stored_keys(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "old.db")
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        command.upgrade(alembic_config(conn), "0007")
        rows = [("a:b:c", "a:b", "c"), ("plain:p1", "plain", "p1"), ("pc%:1", "pc%", "1")]
        for key, source, source_id in rows:
            conn.execute(sa.text(
                "INSERT INTO ads (key, source, source_id, title, body, content_hash, score,"
                " pipeline_version, stored_at, raw) VALUES (:k, :s, :i, '', 'x', :k, 0, 'v',"
                " '2026-01-01 00:00:00', '{}')"), {"k": key, "s": source, "i": source_id})
    engine.dispose()
    store = Store(tmp_path / "old.db")  # opening migrates to head
    with store.engine.connect() as conn:
        keys = sorted(k for (k,) in conn.execute(sa.select(ads.c.key)))
    assert keys == ["a%3Ab:c", "pc%25:1", "plain:p1"]
    assert store.get_ad("plain:p1") is not None
    store.close()
