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
