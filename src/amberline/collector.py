"""Holding the cyclic garbage collector off while a batch is worked on.

Why: a batch allocates tens of thousands of container objects (ads, spans, flags, attrs,
table rows, match lists) and keeps most of them until it is done, so the collector's
allocation-count trigger fires hundreds of times per 10,000 ads, and every pass (each full
pass walking every live object) finds nothing to free: screening and storing build no
reference cycles (a collection after a batch screened with the collector off found none), so
those passes are pure cost (measured in docs/notes/screening-performance.md). Reference
counting still frees everything as usual; only cycle detection waits for the end of the batch.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_PAUSE_LOCK = threading.Lock()
_pause = {"depth": 0, "resume": False}


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector is off inside (process-wide), and back as it was after.

    Nested and concurrent batches (threads) share one counter, so the collector is resumed
    when the last of them ends, and only if it was enabled before the first began (a caller
    that disabled it keeps it disabled).
    """
    with _PAUSE_LOCK:
        if _pause["depth"] == 0:
            _pause["resume"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["resume"]:
                gc.enable()


_FREEZE_LOCK = threading.Lock()
_frozen = {"depth": 0, "ours": False}


@contextmanager
def start_up_frozen() -> Iterator[None]:
    """Every object alive on entry is left out of the collector's passes inside (`gc.freeze`),
    and handed back to it after.

    Why: a scan's process holds what it built before its first ad (modules, the screener's
    tables, the database engine) until it ends, and a full collection walks all of it: in a
    scan of a few thousand ads one such pass cost as much as storing a fifth of them. Objects
    made inside are collected as usual. Nested and concurrent users share one counter, so
    the objects are handed back when the last of them ends. A process that froze objects
    itself (a server forking workers) keeps its own freeze: nothing is frozen or handed back.
    """
    with _FREEZE_LOCK:
        if _frozen["depth"] == 0:
            _frozen["ours"] = gc.get_freeze_count() == 0
            if _frozen["ours"]:
                gc.freeze()
        _frozen["depth"] += 1
    try:
        yield
    finally:
        with _FREEZE_LOCK:
            _frozen["depth"] -= 1
            if _frozen["depth"] == 0 and _frozen["ours"]:
                gc.unfreeze()
