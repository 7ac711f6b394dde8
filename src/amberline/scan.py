"""A scan: read inputs, screen them in batches, store each batch atomically.

Why batches and one transaction each: a scan killed at any point (even `kill -9`) leaves only
whole batches behind, and because the store ignores ads whose key it already holds, simply
rerunning the scan completes it with every record stored exactly once. Memory stays flat: only
one batch of ads is alive at a time, whatever the input size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from amberline.ingest.reader import ReadOptions, read_path
from amberline.ingest.records import BadRecord
from amberline.model import Ad
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
    ads: list[Ad] = []
    bad: list[BadRecord] = []
    for path in paths:
        for item in read_path(path, options, progress):
            if isinstance(item, Ad):
                ads.append(item)
            else:
                bad.append(item)
            if len(ads) + len(bad) >= size:
                yield ads, bad
                ads, bad = [], []
    if ads or bad:
        yield ads, bad


def run_scan(
    paths: list[Path],
    store: Store,
    screener: Screener,
    options: ReadOptions | None = None,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
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
                screenings = screener.screen_batch(ads)
                stored, duplicate = store.write_batch(
                    scan_id, list(zip(ads, screenings, strict=True))
                )
                counts.stored += stored
                counts.duplicate += duplicate
                counts.flagged += _flagged_new(store, screenings, stored, len(ads))
        status = "finished"
    finally:
        store.finish_scan(scan_id, counts.as_dict(), status)
    return counts


def _flagged_new(store: Store, screenings: list, stored: int, total: int) -> int:
    """Flagged ads among those this batch stored (a rerun does not count old ones again)."""
    flagged = [s for s in screenings if s.score >= FLAG_THRESHOLD]
    if stored == total:
        return len(flagged)
    if not flagged or stored == 0:
        return 0
    scan_keys = store.keys_stored_by_scan if hasattr(store, "keys_stored_by_scan") else None
    if scan_keys is None:
        return 0
    return sum(1 for s in flagged if s.ad_key in scan_keys)
