"""The Dask engine: ingest, screening and key computation as tasks; storing in input order.

Why this shape: screening is the CPU-heavy part (pure, per partition) and scales with workers;
storing must be one writer per database transaction order to give the same rows, ids and
duplicates as a local scan. So workers run `tasks.ingest_split` (one per input or Parquet
row-group range) and `tasks.screen_partition` (one per partition of ads), exchanging Parquet
files in the work folder, and this driver stores finished partitions strictly in input order,
in `batch_size` transactions (`scan.store_batch`, as a local scan), while the workers carry on.
The workers also run the link-keys hook's pure `prepare` step (keys and MinHash signatures), so
the driver only writes them; every other hook prepares on the driver, as in a local scan. Then
`link_store` links, as after a local scan.

`scheduler` is "local" (a `LocalCluster` of worker processes on this machine, one thread
each; "local:N" for N workers) or the address of a running scheduler (tcp://host:8786), whose
workers must have Amberline installed and see the inputs and the work folder at the same paths.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from amberline.engines import EngineResult, frames, link_stage
from amberline.engines.logs import NullLog, StageLog, TimedHook
from amberline.engines.tasks import ingest_split, screen_partition
from amberline.engines.workdir import WorkDir, fingerprint, plan_splits
from amberline.ingest.records import ReadOptions
from amberline.link.hook import LinkKeysHook
from amberline.pipeline import ScreenConfig
from amberline.scan import DEFAULT_BATCH, ScanCounts, flagged, store_batch
from amberline.store.database import Store
from amberline.stored_batch import StoredBatchHook

DEFAULT_PARTITION = 5_000


@contextmanager
def dask_client(scheduler: str = "local", n_workers: int | None = None) -> Iterator[Any]:
    """A `distributed.Client` for "local", "local:N" or a scheduler address."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler == "local" or scheduler.startswith("local:"):
        count = n_workers or (int(scheduler[6:]) if scheduler[6:] else os.cpu_count() or 1)
        with LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None,
                          silence_logs=logging.WARNING) as cluster, Client(cluster) as client:
            yield client
        return
    with Client(scheduler) as client:
        yield client


class DaskEngine:
    """Runs a scan on a Dask cluster; see the module docstring."""

    name = "dask"

    def __init__(
        self,
        scheduler: str = "local",
        *,
        n_workers: int | None = None,
        config: ScreenConfig | None = None,
        work_dir: Path | None = None,
        partition_size: int = DEFAULT_PARTITION,
        keep_work: bool = False,
    ) -> None:
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.config = config or ScreenConfig()
        self.work_dir = work_dir
        self.partition_size = partition_size
        self.keep_work = keep_work

    def run(
        self,
        paths: list[Path],
        store: Store,
        options: ReadOptions | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        on_stored: Sequence[StoredBatchHook] = (),
        progress: Callable[[int], None] | None = None,
        log: StageLog | None = None,
        link: bool = False,
        resume: bool = False,
    ) -> EngineResult:
        log = log or NullLog()
        options = options or ReadOptions()
        began = time.perf_counter()
        paths = [Path(p).resolve() for p in paths]
        work = WorkDir(self.work_dir or Path("amberline-work"))
        splits = plan_splits(paths, options, self.partition_size)
        settings = {"config": repr(self.config), "partition_size": self.partition_size}
        resumed = work.prepare(fingerprint(paths, options, settings), splits, resume)
        log.event("plan", engine=self.name, splits=len(splits), resumed=resumed,
                  work_dir=str(work.root), scheduler=self.scheduler)
        run = _Run(store, work, log, batch_size, on_stored, progress)
        scan_id = store.begin_scan([str(p) for p in paths])
        run.scan_id = scan_id
        status = "failed"
        try:
            with dask_client(self.scheduler, self.n_workers) as client:
                run.drive(client, splits, options, self.config, self.partition_size)
            status = "finished"
        finally:
            store.finish_scan(scan_id, run.counts.as_dict(), status)
        if link:
            run.seconds.update(link_stage(store, log))
        if not self.keep_work:
            work.clear()
        run.seconds["total"] = time.perf_counter() - began
        log.event("done", engine=self.name, counts=run.counts.as_dict(), seconds=run.seconds,
                  partitions=run.partitions, resumed_partitions=run.resumed)
        return EngineResult(run.counts, run.seconds, run.partitions, run.resumed, scan_id)


class _Run:
    """The driver's state during one run: what is ingested, screened, stored; counts; clock."""

    def __init__(self, store: Store, work: WorkDir, log: StageLog, batch_size: int,
                 hooks: Sequence[StoredBatchHook], progress: Callable[[int], None] | None):
        self.store, self.work, self.log, self.batch_size = store, work, log, batch_size
        self.hook_seconds = {"hooks": 0.0}
        self.hooks = [TimedHook(h, self.hook_seconds) for h in hooks]
        self.progress = progress
        self.counts = ScanCounts()
        self.seconds = {"ingest": 0.0, "screen": 0.0, "keys": 0.0, "store": 0.0, "hooks": 0.0}
        self.partitions = self.resumed = 0
        self.scan_id: int | None = None
        self._next = (0, 0)  # (split, partition within it) to store next

    def drive(self, client: Any, splits: list, options: ReadOptions, config: ScreenConfig,
              partition_size: int) -> None:
        from distributed import as_completed

        root = str(self.work.root.resolve())
        parts: dict[int, list[str]] = {}  # split -> its partition ids, once ingested
        screened: set[str] = set()
        futures = as_completed()
        for split in splits:
            done = self.work.ingested(split.index)
            if done is None:
                futures.add(client.submit(ingest_split, split, options, root, partition_size,
                                          key=f"ingest-{split.index}-{os.urandom(4).hex()}"))
            else:
                self._ingested(client, futures, split.index, done, config, parts, screened)
        self._next = (0, 0)
        self._drain(splits, parts, screened)
        for future in futures:
            result = future.result()
            if isinstance(result, list):  # an ingest split: its partitions
                index = int(future.key.split("-")[1])
                self.seconds["ingest"] += sum(p["seconds"] for p in result)
                self.log.event("ingest", split=index, partitions=len(result),
                               ads=sum(p["ads"] for p in result),
                               bad=sum(p["bad"] for p in result))
                self._ingested(client, futures, index, result, config, parts, screened)
            else:
                screened.add(result["id"])
                for stage, secs in result["seconds"].items():
                    key = "screen" if stage != "keys" else "keys"
                    self.seconds[key] += secs
                self.log.event("screen", part=result["id"], ads=result["ads"],
                               seconds=result["seconds"])
            future.release()
            self._drain(splits, parts, screened)
        if self._next[0] < len(splits):
            raise RuntimeError("the Dask scan ended before every partition was stored")

    def _drain(self, splits: list, parts: dict[int, list[str]], screened: set[str]) -> None:
        """Store every partition that is next in input order and screened."""
        split, part = self._next
        while split < len(splits) and split in parts:
            ids = parts[split]
            while part < len(ids) and ids[part] in screened:
                self._store(ids[part])
                part += 1
            if part < len(ids):
                break
            split, part = split + 1, 0
        self._next = (split, part)

    def _ingested(self, client: Any, futures: Any, index: int, result: list[dict[str, Any]],
                  config: ScreenConfig, parts: dict[int, list[str]], screened: set[str]) -> None:
        parts[index] = [p["id"] for p in result]
        self.partitions += len(result)
        for p in result:
            part = p["id"]
            if self.work.stored(part) is not None or self.work.screened_path(part).exists():
                screened.add(part)
                continue
            futures.add(client.submit(screen_partition, part, config,
                                      str(self.work.root.resolve()), self.batch_size,
                                      key=f"screen-{part}-{os.urandom(4).hex()}"))

    def _store(self, part: str) -> None:
        """Store one screened partition as `run_scan` stores batches (quarantine, then
        `store_batch`), then mark it stored."""
        earlier = self.work.stored(part)
        if earlier is not None:  # stored by the run being resumed
            self.resumed += 1
            for name, value in earlier.items():
                setattr(self.counts, name, getattr(self.counts, name) + value)
            return
        began = time.perf_counter()
        mine = ScanCounts()
        # Records the reader could not use, then ads screening failed on (`screen_partition`).
        for bad_path, failed in ((self.work.bad_path(part), False),
                                 (self.work.failed_path(part), True)):
            if bad_path.exists():
                bad = frames.read_bad(bad_path)
                mine.read += len(bad)
                self.store.quarantine(self.scan_id, bad)
                mine.quarantined += len(bad)
                mine.screening_errors += len(bad) if failed else 0
        items, links = frames.read_screened(self.work.screened_path(part))
        hooked = self.hook_seconds["hooks"]
        for start in range(0, len(items), self.batch_size):
            batch = items[start : start + self.batch_size]
            # The link keys were prepared by the worker that screened the partition.
            prepared = {LinkKeysHook.name: links[start : start + self.batch_size]}
            done = store_batch(self.store, self.scan_id, batch, self.hooks, prepared)
            mine.read += len(batch)
            mine.stored += len(done.new_ids)
            mine.quarantined += len(done.refused)
            mine.duplicate += len(batch) - len(done.new_ids) - len(done.refused)
            mine.flagged += flagged(done.new)
        hooks_seconds = self.hook_seconds["hooks"] - hooked
        self.work.mark_stored(part, mine.as_dict())
        self.work.ads_path(part).unlink(missing_ok=True)  # keeps the work folder bounded
        for name, value in mine.as_dict().items():
            setattr(self.counts, name, getattr(self.counts, name) + value)
        seconds = time.perf_counter() - began
        self.seconds["store"] += seconds - hooks_seconds
        self.seconds["hooks"] += hooks_seconds
        self.log.event("store", part=part, **mine.as_dict(), seconds=seconds)
        if self.progress is not None:
            self.progress(len(items))
