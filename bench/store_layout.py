"""What SQLite itself spends on each table and index a scan writes, and what a change of the
store's layout would save, before anyone writes a migration for it.

    python bench/store_layout.py [--copies 1] [--grown] [--rounds 4] [--variants base,...]

The real Backpage dev ads (read at run time when present, else 3,000 synthetic ads) are
screened and stored as a scan stores them (`store_batch` with the scan's hooks, batches of
1000) while every statement the store runs is recorded with its parameters; `--copies N`
stores them N times under other source ids, so the store grows. Those statements are then
replayed in plain `sqlite3` (the store's own PRAGMAs) into a fresh copy of the migrated empty
file, once per layout variant, in alternating rounds: process CPU per statement kind in µs
per ad, best round, counting the commits and the close (its checkpoint). That is SQLite's own
work and the driver's binding of the values, none of Amberline's Python. `--grown` times only
the second half of the copies (the same writes into a store already holding the first half).

Variants: `base` (the layout as migrated), `no <index>` for every index on a table the scan
writes (found in the file, so new indexes are covered), `no <table>` for each such table and
the full-text index (the upper bound of anything done to it), `one transaction` (the link keys
in the batch's own transaction), `checkpoint 16x` (16 times the store's WAL bytes between
checkpoints), `page size 4096` and `8192` (the file made with smaller pages, as earlier
releases made it; the checkpoint after as many bytes), `foreign keys off` (the upper bound of
anything done to their checks), `mmap 256 MiB`, `fts pgsz 8000`, `fts crisismerge 64`,
`fts detail=column`, `identifiers without rowid` (keyed by kind, value, ad id, with its ad id
index), `temp files` (statement journals spilled to SQLite's temporary files, as every
transaction but a batch's does), `partial city/date indexes` (the ads' city and posting-date
indexes without the rows that have none), and the upper bounds `no obfuscations` and `no
screening document` (that column of every ad row NULL). Single runs move 10-30% on a shared
machine: compare variants within one invocation.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.scan import store_batch
from amberline.scan_hooks import default_hooks
from amberline.store import Store
from amberline.store.database import CHECKPOINT_BYTES
from amberline.store.rows import AD_COLUMNS
from amberline.synth.generate import write_corpus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screen import backpage_dev_ads, load_ads

BATCH = 1000
Statement = tuple[str, Any, bool]
# The tables a scan writes, with the statement kinds reported for them.
SCAN_TABLES = ("ads", "identifiers", "flag_categories", "image_hashes", "link_minhash")
WITHOUT_ROWID_IDENTIFIERS = (
    "DROP TABLE identifiers",
    "CREATE TABLE identifiers (ad_id INTEGER NOT NULL REFERENCES ads(id) ON DELETE CASCADE,"
    " kind VARCHAR(32) NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, value, ad_id))"
    " WITHOUT ROWID",
    "CREATE INDEX ix_identifiers_ad_id ON identifiers (ad_id)",
)
FTS_DETAIL_COLUMN = (
    "DROP TABLE ads_fts",
    "CREATE VIRTUAL TABLE ads_fts USING fts5(title, body, content='ads', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', detail=column)",
)

PARTIAL_CITY_DATE = (
    "DROP INDEX ix_ads_city_score",
    "DROP INDEX ix_ads_posted_at",
    "CREATE INDEX ix_ads_city_score ON ads (city, score) WHERE city IS NOT NULL",
    "CREATE INDEX ix_ads_posted_at ON ads (posted_at) WHERE posted_at IS NOT NULL",
)


@dataclasses.dataclass
class Variant:
    ddl: tuple[str, ...] = ()  # run on the empty file before the replay
    skip: str | None = None  # statements inserting into this table are left out
    one_transaction: bool = False
    null_columns: tuple[int, ...] = ()  # positions in an ads row bound as NULL instead
    page_size: int | None = None  # the empty file rebuilt with these pages first
    checkpoint_bytes: int = CHECKPOINT_BYTES  # WAL bytes between automatic checkpoints


def capture(ads: list[Ad], copies: int) -> tuple[bytes, list[Statement], int]:
    """(the migrated empty file, every statement the store ran while a scan stored `ads`
    `copies` times, the number of ads stored)."""
    screener = Screener()
    items = []
    for at in range(0, len(ads), BATCH):
        chunk = ads[at : at + BATCH]
        items += list(zip(chunk, screener.screen_batch(chunk), strict=True))
    log: list[Statement] = []
    with tempfile.TemporaryDirectory() as tmp:
        Store(Path(tmp) / "empty.db").close()
        empty = (Path(tmp) / "empty.db").read_bytes()
        with Store(Path(tmp) / "scan.db") as store:
            hooks = default_hooks(store)
            scan_id = store.begin_scan(["bench"])

            @sa.event.listens_for(store.engine, "before_cursor_execute")
            def record(conn: Any, cursor: Any, statement: str, parameters: Any,
                       context: Any, executemany: bool) -> None:
                log.append((statement, _plain(parameters), executemany))

            for copy in range(copies):
                batch_items = items if not copy else [_renamed(ad, s, copy) for ad, s in items]
                for at in range(0, len(batch_items), BATCH):
                    store_batch(store, scan_id, batch_items[at : at + BATCH], hooks)
    return empty, log, len(items) * copies


def _renamed(ad: Ad, screening: Any, copy: int) -> tuple[Ad, Any]:
    ad = dataclasses.replace(ad, source_id=f"{ad.source_id}~{copy}")
    return ad, dataclasses.replace(screening, ad_key=ad.key)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return bytes(value) if isinstance(value, memoryview) else value


def variants(empty: bytes, written: set[str]) -> dict[str, Variant]:
    """Every variant this run can measure on the migrated file `empty`, for the tables the
    scan `written` to."""
    tables = [t for t in SCAN_TABLES if t in written]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.db"
        path.write_bytes(empty)
        con = sqlite3.connect(path)
        indexes = con.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({', '.join('?' * len(tables))}) ORDER BY tbl_name, name",
            tables).fetchall()
        con.close()
    out = {"base": Variant()}
    out.update({f"no {name}": Variant(ddl=(f"DROP INDEX {name}",)) for name, _ in indexes})
    out.update({f"no {table}": Variant(skip=table) for table in (*tables, "ads_fts")
                if table != "ads"})
    out["one transaction"] = Variant(one_transaction=True)
    out["checkpoint 16x"] = Variant(checkpoint_bytes=16 * CHECKPOINT_BYTES)
    out["fts detail=column"] = Variant(ddl=FTS_DETAIL_COLUMN)
    out["identifiers without rowid"] = Variant(ddl=WITHOUT_ROWID_IDENTIFIERS)
    out["temp files"] = Variant(ddl=("PRAGMA temp_store=DEFAULT",))
    out["partial city/date indexes"] = Variant(ddl=PARTIAL_CITY_DATE)
    out["foreign keys off"] = Variant(ddl=("PRAGMA foreign_keys=OFF",))
    out["page size 4096"] = Variant(page_size=4096)
    out["page size 8192"] = Variant(page_size=8192)
    out["mmap 256 MiB"] = Variant(ddl=("PRAGMA mmap_size=268435456",))
    out["fts pgsz 8000"] = Variant(ddl=("INSERT INTO ads_fts(ads_fts, rank) VALUES('pgsz', 8000)",))
    out["fts crisismerge 64"] = Variant(
        ddl=("INSERT INTO ads_fts(ads_fts, rank) VALUES('crisismerge', 64)",))
    out["no obfuscations"] = Variant(null_columns=(AD_COLUMNS.index("obfuscations"),))
    out["no screening document"] = Variant(null_columns=(AD_COLUMNS.index("screening"),))
    return out


_INSERT = re.compile(r"\s*INSERT INTO (\w+)")


def statement_kind(sql: str) -> str:
    found = _INSERT.match(sql)
    if found:
        return found.group(1)
    return "begin + commit" if sql.startswith("BEGIN") else "selects"


def replay(empty: bytes, log: list[Statement], variant: Variant, timed_from: int) -> Counter:
    """CPU seconds per statement kind of replaying `log` (from `timed_from` on) into a copy
    of `empty` under `variant`."""
    spent: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.db"
        path.write_bytes(empty)
        if variant.page_size:
            con = sqlite3.connect(path, isolation_level=None)
            for sql in ("PRAGMA journal_mode=DELETE", f"PRAGMA page_size={variant.page_size}",
                        "VACUUM"):
                con.execute(sql)
            con.close()
        con = sqlite3.connect(path, isolation_level=None)
        # The store's pragmas; temporary storage in memory as in a batch's transaction (the
        # keys' transaction, in files in the store, writes too few pages to spill).
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                       "cache_size=-16384", "temp_store=MEMORY"):
            con.execute(f"PRAGMA {pragma}")
        pages = variant.checkpoint_bytes // con.execute("PRAGMA page_size").fetchone()[0]
        con.execute(f"PRAGMA wal_autocheckpoint={pages}")
        con.execute("INSERT INTO scans (id, started_at, status) VALUES (1, '2000-01-01', 'x')")
        for sql in variant.ddl:
            con.execute(sql)
        open_transaction, after_text_index = False, False
        for i, (sql, params, many) in enumerate(log):
            if i == timed_from:
                spent.clear()
            kind = statement_kind(sql)
            if kind == variant.skip:
                continue
            began = time.process_time()
            if kind == "begin + commit":
                if variant.one_transaction and after_text_index and sql == "BEGIN IMMEDIATE":
                    continue  # the keys' transaction: its rows go into the batch's
                if open_transaction:
                    con.execute("COMMIT")
                con.execute(sql)
                open_transaction = True
            elif variant.null_columns and kind == "ads":
                values, width = list(params), len(AD_COLUMNS)
                for column in variant.null_columns:
                    values[column::width] = [None] * (len(values) // width)
                con.execute(sql, values)
            elif many:
                con.executemany(sql, params)
            else:
                con.execute(sql, params or ()).fetchall()
            after_text_index = kind == "ads_fts"
            spent[kind] += time.process_time() - began
        began = time.process_time()
        con.execute("COMMIT")
        con.close()
        spent["begin + commit"] += time.process_time() - began
    return spent


def scan_ads() -> list[Ad]:
    """The ads replayed: the real dev ads when present, else synthetic ones."""
    ads = backpage_dev_ads()
    if ads:
        return ads
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "ads.jsonl"
        write_corpus(corpus, 3000, seed=11)
        return load_ads(corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--grown", action="store_true",
                        help="time only the second half of the copies")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--variants", help="comma-separated names (default: all)")
    args = parser.parse_args()
    copies = max(args.copies, 2) if args.grown else args.copies
    ads = scan_ads()
    empty, log, stored = capture(ads, copies)
    timed_from = 0
    if args.grown:
        begins = [i for i, (sql, _, _) in enumerate(log) if sql == "BEGIN IMMEDIATE"]
        timed_from, stored = begins[len(begins) // 2], stored // 2
    known = variants(empty, {statement_kind(sql) for sql, _, _ in log})
    chosen = args.variants.split(",") if args.variants else list(known)
    best: dict[str, Counter] = {}
    for _ in range(args.rounds):
        for name in chosen:
            spent = replay(empty, log, known[name], timed_from)
            if name not in best or spent.total() < best[name].total():
                best[name] = spent
    per_ad = 1e6 / stored
    print(f"{stored:,} ads replayed{' onto as many' if args.grown else ''}; SQLite CPU µs/ad, "
          f"best of {args.rounds}; load average "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    base = best.get("base")
    for name in chosen:
        spent = best[name]
        delta = f" ({(spent.total() - base.total()) * per_ad:+5.1f})" if base else ""
        parts = ", ".join(f"{kind} {seconds * per_ad:.1f}" for kind, seconds in
                          spent.most_common())
        print(f"  {name:<44} {spent.total() * per_ad:6.1f}{delta}  {parts}")


if __name__ == "__main__":
    main()
