"""A scan: read inputs, screen them in batches, store each batch atomically.

Why batches and one transaction each: a scan killed at any point (even `kill -9`) leaves only
whole batches behind, and because the store ignores ads whose key it already holds, simply
rerunning the scan completes it with every record stored exactly once. Memory stays flat: only
one batch of ads is alive at a time, whatever the input size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from amberline.collector import collector_paused
from amberline.ingest.reader import ReadOptions, read_path
from amberline.ingest.records import BadRecord
from amberline.isolate import failure_record, screen_isolated, split_results
from amberline.model import Ad, Screening
from amberline.pipeline import Screener
from amberline.store.database import Store
from amberline.stored_batch import NewAd, StoredBatchHook, first_new

DEFAULT_BATCH = 1000
FLAG_THRESHOLD = 0.5  # an ad at or above this score counts as "flagged" in the summary


@dataclass(slots=True)
class ScanCounts:
    """The counts every scan ends with; nothing read goes uncounted."""

    read: int = 0
    stored: int = 0
    duplicate: int = 0
    quarantined: int = 0
    flagged: int = 0
    screening_errors: int = 0  # of `quarantined`: ads a pipeline stage raised on

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def input_size(paths: Iterable[Path]) -> int:
    """Total bytes under the inputs, for a progress bar by bytes."""
    total = 0
    for path in paths:
        if path.is_dir():
            total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        elif path.exists():
            total += path.stat().st_size
    return total


def _batches(
    paths: Iterable[Path], options: ReadOptions, progress: Callable[[int], None] | None, size: int
) -> Iterator[tuple[list[Ad], list[BadRecord]]]:
    """Records in batches of `size` (ads and bad records together), read with the cyclic
    collector paused (see `amberline.collector`)."""
    records = chain.from_iterable(read_path(path, options, progress) for path in paths)
    while True:
        ads: list[Ad] = []
        bad: list[BadRecord] = []
        with collector_paused():
            for item in records:
                if isinstance(item, Ad):
                    ads.append(item)
                else:
                    bad.append(item)
                if len(ads) + len(bad) >= size:
                    break
        if not ads and not bad:
            return
        yield ads, bad


def flagged(new: Sequence[NewAd]) -> int:
    """How many of the new ads count as flagged in a scan's summary."""
    return sum(1 for n in new if n.screening.score >= FLAG_THRESHOLD)


def store_batch(
    store: Store,
    scan_id: int | None,
    items: list[tuple[Ad, Screening]],
    hooks: Sequence[StoredBatchHook] = (),
    prepared: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[dict[str, int], list[NewAd]]:
    """Store one screened batch atomically, then run the hooks on what it newly stored.

    The one path from screened ads to the store for every entry point (scan, push API, Dask),
    so that hooks always see each new ad exactly once. `prepared` holds, per hook name, values
    a hook's `prepare` gave for all of `items` earlier (on a Dask worker); a hook without them
    prepares the new ads here. Returns ({key: id} of the new ads, the new ads, each key once).
    """
    with collector_paused():  # see `amberline.collector`
        new_ids = store.write_new(scan_id, items)
        positions = first_new(items, new_ids)
        new = [NewAd(new_ids[items[i][1].ad_key], *items[i]) for i in positions]
        if new:
            for hook in hooks:
                given = (prepared or {}).get(hook.name)
                values = ([given[i] for i in positions] if given is not None
                          else hook.prepare([items[i] for i in positions]))
                hook.write(store, new, values)
    return new_ids, new


def run_scan(
    paths: list[Path],
    store: Store,
    screener: Screener,
    options: ReadOptions | None = None,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    on_stored: Sequence[StoredBatchHook] = (),
) -> ScanCounts:
    """Scan `paths` into `store`; return the counts (also recorded on the scan's row)."""
    options = options or ReadOptions()
    counts = ScanCounts()
    scan_id = store.begin_scan([str(p) for p in paths])
    status = "failed"
    try:
        for ads, bad in _batches(paths, options, progress, batch_size):
            counts.read += len(ads) + len(bad)
            if bad:
                store.quarantine(scan_id, bad)
                counts.quarantined += len(bad)
            if ads:
                items, failures = split_results(ads, screen_isolated(screener, ads))
                if failures:
                    store.quarantine(scan_id, [failure_record(f) for f in failures])
                    counts.quarantined += len(failures)
                    counts.screening_errors += len(failures)
                new_ids, new = store_batch(store, scan_id, items, on_stored)
                counts.stored += len(new_ids)
                counts.duplicate += len(items) - len(new_ids)
                counts.flagged += flagged(new)
        status = "finished"
    finally:
        store.finish_scan(scan_id, counts.as_dict(), status)
    return counts
