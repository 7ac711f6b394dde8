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

import sqlalchemy as sa

from amberline.collector import collector_paused, start_up_frozen
from amberline.ingest.codes import Code
from amberline.ingest.reader import ReadOptions, read_path
from amberline.ingest.records import BadRecord
from amberline.isolate import ad_record, failure_record, screen_isolated, split_results
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


def _next_batch(records: Iterator[Ad | BadRecord], size: int) -> tuple[list[Ad], list[BadRecord]]:
    """The next `size` records (ads and bad records apart); both lists empty at the end.

    A plain function, not a generator: a suspended generator would keep the batch it last
    gave alive while the collector runs (see `_scan_batch`)."""
    ads: list[Ad] = []
    bad: list[BadRecord] = []
    for item in records:
        if isinstance(item, Ad):
            ads.append(item)
        else:
            bad.append(item)
        if len(ads) + len(bad) >= size:
            break
    return ads, bad


def flagged(new: Sequence[NewAd]) -> int:
    """How many of the new ads count as flagged in a scan's summary."""
    return sum(1 for n in new if n.screening.score >= FLAG_THRESHOLD)


# What the store raises when the database refuses a value of one ad (as opposed to a lost
# connection or a full disk, which must stop the run): its batch is then stored around it.
STORE_REFUSALS: tuple[type[Exception], ...] = (
    sa.exc.DataError, sa.exc.IntegrityError, OverflowError, ValueError)


@dataclass(slots=True)
class StoredBatch:
    """What `store_batch` did: {key: id} of the new ads, the new ads (each key once), and
    {key: quarantine entry} of the ads the database refused."""

    new_ids: dict[str, int]
    new: list[NewAd]
    refused: dict[str, BadRecord]


def store_batch(
    store: Store,
    scan_id: int | None,
    items: list[tuple[Ad, Screening]],
    hooks: Sequence[StoredBatchHook] = (),
    prepared: Mapping[str, Sequence[Any]] | None = None,
) -> StoredBatch:
    """Store one screened batch atomically, then run the hooks on what it newly stored.

    The one path from screened ads to the store for every entry point (scan, push API, Dask),
    so that hooks always see each new ad exactly once. `prepared` holds, per hook name, values
    a hook's `prepare` gave for all of `items` earlier (on a Dask worker); a hook without them
    prepares the new ads here. When the database refuses the batch, it is stored in halves
    until the ads it refuses are alone; those are quarantined (`store_error`) and the rest of
    the batch is stored, so one ad never stops a run.
    """
    with collector_paused():  # see `amberline.collector`
        new_ids, refused = _write_around_refusals(store, scan_id, items)
        if refused:
            store.quarantine(scan_id, list(refused.values()))
        positions = first_new(items, new_ids)
        chosen = list(map(items.__getitem__, positions))  # the new ads' items, in order
        new = [NewAd(new_ids[screening.ad_key], ad, screening) for ad, screening in chosen]
        if new:
            for hook in hooks:
                given = (prepared or {}).get(hook.name)
                values = ([given[i] for i in positions] if given is not None
                          else hook.prepare(list(chosen)))
                hook.write(store, new, values)
    return StoredBatch(new_ids, new, refused)


def _write_around_refusals(
    store: Store, scan_id: int | None, items: list[tuple[Ad, Screening]]
) -> tuple[dict[str, int], dict[str, BadRecord]]:
    try:
        return store.write_new(scan_id, items), {}
    except STORE_REFUSALS as exc:
        if len(items) == 1:
            cause = getattr(exc, "orig", None) or exc  # the driver's words, not the SQL
            why = str(cause).splitlines()[0][:300] if str(cause) else ""
            message = f"the database refused the ad: {type(cause).__name__}: {why}"
            return {}, {items[0][1].ad_key: ad_record(items[0][0], message, Code.STORE_ERROR)}
    half = len(items) // 2
    first, refused_first = _write_around_refusals(store, scan_id, items[:half])
    second, refused_second = _write_around_refusals(store, scan_id, items[half:])
    return {**first, **second}, {**refused_first, **refused_second}


def _scan_batch(
    store: Store,
    scan_id: int,
    screener: Screener,
    records: Iterator[Ad | BadRecord],
    counts: ScanCounts,
    on_stored: Sequence[StoredBatchHook],
    batch_size: int,
) -> bool:
    """Read, screen and store the next batch of records, adding to `counts`; False when none
    is left.

    A function of its own so that the batch's ads, screenings and rows are freed when it
    returns, while the collector is still paused: resumed with them alive, its next pass
    would walk every one of them for nothing."""
    ads, bad = _next_batch(records, batch_size)
    if not ads and not bad:
        return False
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
        done = store_batch(store, scan_id, items, on_stored)
        counts.stored += len(done.new_ids)
        counts.quarantined += len(done.refused)
        counts.duplicate += len(items) - len(done.new_ids) - len(done.refused)
        counts.flagged += flagged(done.new)
    return True


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
        with start_up_frozen():
            records = chain.from_iterable(read_path(path, options, progress) for path in paths)
            while True:
                with collector_paused():  # one pause per batch: see `amberline.collector`
                    if not _scan_batch(store, scan_id, screener, records, counts, on_stored,
                                       batch_size):
                        break
        status = "finished"
    finally:
        store.finish_scan(scan_id, counts.as_dict(), status)
    return counts
