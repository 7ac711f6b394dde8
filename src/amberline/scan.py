"""A scan: read inputs, screen them in batches, store each batch atomically.

Why batches and one transaction each: a scan killed at any point (even `kill -9`) leaves only
whole batches behind, and because the store ignores ads whose key it already holds, simply
rerunning the scan completes it with every record stored exactly once. Memory stays flat: only
one batch of ads is alive at a time, whatever the input size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path
from typing import Protocol

from amberline.collector import collector_paused
from amberline.ingest.reader import ReadOptions, read_path
from amberline.ingest.records import BadRecord
from amberline.isolate import failure_record, screen_isolated, split_results
from amberline.model import Ad, Screening
from amberline.pipeline import Screener
from amberline.store.database import Store

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


class StoredBatchHook(Protocol):
    """Acts on the ads a batch newly stored (linking keys, alert matching, ...).

    Called after the batch's transaction committed, with `new_ids` mapping each new ad's key
    to its row id; duplicates of earlier scans are not passed again.
    """

    def __call__(
        self, store: Store, items: list[tuple[Ad, Screening]], new_ids: dict[str, int]
    ) -> None: ...


def first_of_each(
    items: list[tuple[Ad, Screening]], new_ids: dict[str, int]
) -> list[tuple[Ad, Screening]]:
    """The newly stored items, each key once (a key repeated within a batch is stored once,
    so hooks must see it once too)."""
    seen: set[str] = set()
    out = []
    for ad, screening in items:
        key = ad.key
        if key in new_ids and key not in seen:
            seen.add(key)
            out.append((ad, screening))
    return out


def store_batch(
    store: Store,
    scan_id: int | None,
    items: list[tuple[Ad, Screening]],
    hooks: Sequence[StoredBatchHook] = (),
) -> tuple[dict[str, int], list[tuple[Ad, Screening]]]:
    """Store one screened batch atomically, then run the hooks on what it newly stored.

    The one path from screened ads to the store for every entry point (scan, push API), so
    that hooks always see each new ad exactly once. Returns ({key: id} of the new ads, the new
    items, each key once).
    """
    with collector_paused():  # see `amberline.collector`
        new_ids = store.write_new(scan_id, items)
        new_items = first_of_each(items, new_ids)
        if new_items:
            for hook in hooks:
                hook(store, new_items, new_ids)
    return new_ids, new_items


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
                new_ids, new_items = store_batch(store, scan_id, items, on_stored)
                counts.stored += len(new_ids)
                counts.duplicate += len(items) - len(new_ids)
                counts.flagged += sum(1 for _, s in new_items if s.score >= FLAG_THRESHOLD)
        status = "finished"
    finally:
        store.finish_scan(scan_id, counts.as_dict(), status)
    return counts
