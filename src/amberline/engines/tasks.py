"""What Dask workers run: ingest a split into partitions, screen a partition.

Why plain functions of picklable arguments: a worker on another node receives only a split or
a partition id, the read options, the screening config and the work folder, and does its part
with the same library code as a local scan (`read_path`, `Screener.screen_batch`,
`LinkKeysHook.prepare`): there is no second copy of any logic here, only the moving of
records between Parquet files. Compiled objects (the `Screener`, the link hook's `MinHasher`)
are built once per worker process and cached, as compiling the lexicon and extractors is the
slow part of starting."""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from amberline.engines import frames
from amberline.engines.workdir import Split, WorkDir, part_id, write_json
from amberline.ingest.reader import ReadOptions, read_path
from amberline.ingest.records import BadRecord
from amberline.isolate import failure_record, screen_isolated, split_results
from amberline.link.hook import LinkKeysHook
from amberline.model import Ad
from amberline.pipeline import ScreenConfig, Screener


@lru_cache(maxsize=4)
def cached_screener(config: ScreenConfig) -> Screener:
    """One `Screener` per process and config (the config is frozen, so it is a cache key)."""
    return Screener(config)


@lru_cache(maxsize=1)
def cached_link_hook() -> LinkKeysHook:
    """The link-keys hook of the default link settings, whose pure `prepare` step (keys and
    MinHash signatures) runs here, where the ads were screened."""
    return LinkKeysHook()


def _records(split: Split, options: ReadOptions):
    path = Path(split.path)
    if split.row_groups is not None:
        from amberline.ingest.parquet_reader import read_parquet

        return read_parquet(path, options, row_groups=split.row_groups)
    return read_path(path, options)


def ingest_split(
    split: Split, options: ReadOptions, root: str, partition_size: int
) -> list[dict[str, Any]]:
    """Read one split into partitions of `partition_size` ads (Parquet), in input order.

    Returns (and records in `ingested/`) one entry per partition: its id and its numbers of
    ads and bad records. Bad records go with the partition that was being filled when they
    were read, so the driver quarantines them in input order.
    """
    work = WorkDir(Path(root))
    began = time.perf_counter()
    parts: list[dict[str, Any]] = []
    ads: list[Ad] = []
    bad: list[BadRecord] = []

    def flush() -> None:
        part = part_id(split.index, len(parts))
        frames.write_atomic(frames.ads_table(ads), work.ads_path(part))
        if bad:
            frames.write_atomic(frames.bad_table(bad), work.bad_path(part))
        parts.append({"id": part, "ads": len(ads), "bad": len(bad)})

    for item in _records(split, options):
        if isinstance(item, Ad):
            ads.append(item)
            if len(ads) >= partition_size:
                flush()
                ads, bad = [], []
        else:
            bad.append(item)
    if ads or bad:
        flush()
    write_json(work.ingested_path(split.index), parts)
    seconds = time.perf_counter() - began
    return [{**p, "seconds": seconds / max(len(parts), 1), "pid": os.getpid()} for p in parts]


def screen_partition(
    part: str, config: ScreenConfig, root: str, batch_size: int
) -> dict[str, Any]:
    """Screen one ingested partition and compute its linking inputs; write `screened/`.

    Screens in batches of `batch_size`, as a local scan does (results do not depend on the
    batch, but memory and cache behaviour are then the same). Idempotent: only the driver
    deletes a partition's files, after storing it, so a second task of the same partition
    finds either the input or the finished output.
    """
    work = WorkDir(Path(root))
    began = time.perf_counter()
    try:
        ads = [] if work.screened_path(part).exists() else frames.read_ads(work.ads_path(part))
    except FileNotFoundError:
        ads = []  # the driver stored it and removed its input meanwhile
    if not ads and (work.screened_path(part).exists() or work.stored(part) is not None):
        # Already screened by an earlier task of this partition (one a crashed driver left
        # running): its output stands, and this task has nothing to add.
        return {"id": part, "ads": 0, "pid": os.getpid(), "seconds": {}}
    read = time.perf_counter()
    screener = cached_screener(config)
    results = []
    for start in range(0, len(ads), batch_size):
        results += screen_isolated(screener, ads[start : start + batch_size])
    items, failures = split_results(ads, results)
    if failures:
        frames.write_atomic(frames.bad_table([failure_record(f) for f in failures]),
                            work.failed_path(part))
    ads, screenings = [a for a, _ in items], [s for _, s in items]
    screened = time.perf_counter()
    links = cached_link_hook().prepare(items)
    keyed = time.perf_counter()
    frames.write_atomic(frames.screened_table(ads, screenings, links), work.screened_path(part))
    done = time.perf_counter()
    return {
        "id": part, "ads": len(ads), "pid": os.getpid(),
        "seconds": {"read": read - began, "screen": screened - read, "keys": keyed - screened,
                    "write": done - keyed},
    }
