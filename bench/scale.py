"""Scale benchmark: the local engine vs the Dask engine on 1 and 2 workers, SQLite vs PostgreSQL.

    python bench/scale.py --ads 200000 [--pg-url postgresql+psycopg://...]

Each engine scans the same synthetic corpus (JSON Lines) into a fresh SQLite file with the
scan hooks every scan runs (link keys and signatures); linking itself is left out (it is the
same code after either engine). Figures are printed as ratios to the local engine measured in
the same run, never as absolute promises. The store comparison writes the same pre-screened
ads, in the scan's batches of 1000, into SQLite and into PostgreSQL (`--pg-url`, or
AMBERLINE_TEST_PG_URL), in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from amberline.engines.dask_engine import DaskEngine
from amberline.engines.local import LocalEngine
from amberline.ingest.reader import ReadOptions, read_path
from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.scan_hooks import default_hooks
from amberline.store import Store
from amberline.synth.generate import write_corpus


def scan(engine: LocalEngine | DaskEngine, corpus: Path, db: Path) -> tuple[float, int]:
    with Store(db) as store:
        began = time.perf_counter()
        result = engine.run([corpus], store, on_stored=default_hooks(store))
        return time.perf_counter() - began, result.counts.stored


def store_time(url: str, items: list, batch: int = 1000) -> float:
    with Store(url) as store:
        began = time.perf_counter()
        for start in range(0, len(items), batch):
            store.write_new(None, items[start : start + batch])
        return time.perf_counter() - began


def pg_schema_url(pg_url: str) -> tuple[str, str]:
    schema = f"amberline_bench_{uuid.uuid4().hex[:8]}"
    with sa.create_engine(pg_url).begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ads", type=int, default=200_000)
    parser.add_argument("--store-ads", type=int, default=50_000)
    parser.add_argument("--pg-url", default=os.environ.get("AMBERLINE_TEST_PG_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amberline-bench-") as tmp:
        folder = Path(tmp)
        corpus = folder / "ads.jsonl"
        write_corpus(corpus, args.ads, 7)
        mb = corpus.stat().st_size / 1e6
        print(f"corpus: {args.ads} synthetic ads, {mb:.1f} MB, {os.cpu_count()} cores")
        runs = {
            "local": LocalEngine(),
            "dask, 1 worker": DaskEngine("local:1", work_dir=folder / "w1"),
            "dask, 2 workers": DaskEngine("local:2", work_dir=folder / "w2"),
        }
        base = None
        for name, engine in runs.items():
            seconds, stored = scan(engine, corpus, folder / f"{name.replace(' ', '')}.db")
            base = base or seconds
            print(f"{name:<16} {stored / seconds:9.0f} ads/s {mb / seconds:6.2f} MB/s"
                  f"  x{base / seconds:.2f} of local")

        ads = [a for a in read_path(corpus, ReadOptions()) if isinstance(a, Ad)]
        ads = ads[: args.store_ads]
        items = list(zip(ads, Screener().screen_batch(ads), strict=True))
        lite = store_time(str(folder / "store.db"), items)
        print(f"store {len(items)} screened ads: SQLite {len(items) / lite:.0f} ads/s")
        if args.pg_url:
            url, schema = pg_schema_url(args.pg_url)
            try:
                pg = store_time(url, items)
            finally:
                with sa.create_engine(args.pg_url).begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            print(f"                 PostgreSQL {len(items) / pg:.0f} ads/s"
                  f"  x{lite / pg:.2f} of SQLite")
        else:
            print("PostgreSQL: not measured (give --pg-url or set AMBERLINE_TEST_PG_URL)")


if __name__ == "__main__":
    main()
