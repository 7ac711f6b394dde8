"""Holding the cyclic garbage collector off while a batch is worked on.

Why: a batch allocates tens of thousands of container objects (ads, spans, flags, attrs,
table rows, match lists) and keeps most of them until it is done, so the collector's
allocation-count trigger fires hundreds of times per 10,000 ads, and every pass (each full
pass walking every live object) finds nothing to free: screening and storing build no
reference cycles (a collection after a batch screened with the collector off found none), so
those passes are pure cost (measured in docs/notes/screening-performance.md). Reference
counting still frees everything as usual; only cycle detection waits for the end of the batch.

When the collector resumes, what the batch made and its caller still holds (its screenings:
spans, flags, lists) is the young generation, so the next pass, due at once (the batch's
allocations were counted), would walk all of it and free nothing. Instead it is moved to the
oldest generation unexamined (`gc.freeze` then `gc.unfreeze`), as it would be after surviving
two passes anyway. Cyclic garbage among it is found by the next full collection, which runs
here once about ten batches' worth has been moved since the last (memory stays bounded by a
few batches, however long the run). A process that froze objects itself (a server forking
workers, or `start_up_frozen`) is left to the collector's usual passes.

A start-up (importing the modules, building the screener's tables) is held off the same way:
it too makes tens of thousands of objects that live to the end of the process and very little
garbage, so the passes its allocations trigger walk it for nothing (its pause counts as a
batch, the largest, for when the next full collection is due). And a command about to end
leaves everything to the end (`leave_to_exit`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_PAUSE_LOCK = threading.Lock()
_pause = {"depth": 0, "resume": False, "moved": 0, "most": 0}
# How many times the largest batch's young objects (since the last full collection) may be
# moved to the oldest generation before the next (see the module's docstring).
_MOVED_BATCHES = 10


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
        full = False
        with _PAUSE_LOCK:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["resume"]:
                full = not _age_young()
                gc.enable()
        if full:
            gc.collect()  # outside the lock: finalizers may screen or store


def _age_young() -> bool:
    """Move the young objects to the oldest generation unexamined, unless the process froze
    objects itself or enough have been moved since the last full collection; False when a
    full collection is due (called with `_PAUSE_LOCK` held, the collector off).

    `start_up_frozen`'s own freeze is asked first: `gc.get_freeze_count` counts the frozen
    objects one by one, and inside a scan, with its start-up frozen, that walk at every
    batch's end cost more than the pass it saves."""
    with _FREEZE_LOCK:
        if _frozen["depth"] > 0 or gc.get_freeze_count() != 0:
            return True
        young = gc.get_count()[0]
        _pause["most"] = max(_pause["most"], young)
        if _pause["moved"] + young > _MOVED_BATCHES * _pause["most"]:
            _pause["moved"] = _pause["most"] = 0  # the batches since this one set the bound
            return False
        _pause["moved"] += young
        gc.freeze()
        gc.unfreeze()
        return True


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


def leave_to_exit() -> None:
    """Leave every object alive now out of the collector's passes for the rest of the process
    (`gc.freeze`): for a command's entry point once its work is done, never for a library call.

    Why: ending, the interpreter tears its modules down and runs full collections as it goes,
    which walk everything the process built (the modules, the screener's tables) to free
    memory that goes back to the system with the process anyway; for a short command such as
    `amberline extract` that was a large part of its run. Plain reference counting still frees
    what it can, files and streams are still flushed and closed by their owners, and atexit
    handlers still run; only reference cycles among these objects are never collected.
    """
    gc.freeze()
