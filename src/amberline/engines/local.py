"""The local engine: `run_scan` in this process, with per-stage timings and JSON logs.

Why a wrapper and not a second scan loop: `amberline.scan.run_scan` is the reference scan
(batches, one transaction each, quarantine, hooks); the Dask engine is checked against it. This
module only measures it, by timing the screener, the store writes and the hooks it is given,
so `--log-json` reports the same stages for both engines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from amberline.engines import EngineResult, link_stage
from amberline.engines.logs import NullLog, StageLog, TimedHook, timed
from amberline.ingest.records import ReadOptions
from amberline.pipeline import ScreenConfig, Screener
from amberline.scan import DEFAULT_BATCH, run_scan
from amberline.store.database import Store
from amberline.stored_batch import NewAd, StoredBatchHook


class _Clock:
    """Adds up the seconds spent in the calls it wraps, per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"screen": 0.0, "store": 0.0, "hooks": 0.0}

    def wrap(self, stage: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            with timed(self.seconds, stage):
                return func(*args, **kwargs)

        return timed_call


class _TimedScreener:
    def __init__(self, screener: Screener, clock: _Clock) -> None:
        self.screen_batch = clock.wrap("screen", screener.screen_batch)


class _TimedStore:
    """The store as `run_scan` sees it: writes timed, everything else passed through."""

    def __init__(self, store: Store, clock: _Clock) -> None:
        self._store = store
        self.write_new = clock.wrap("store", store.write_new)
        self.quarantine = clock.wrap("store", store.quarantine)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class LocalEngine:
    """Scans in this process; `screener` may be shared with other work (it is pure)."""

    name = "local"

    def __init__(self, config: ScreenConfig | None = None, screener: Screener | None = None):
        self.screener = screener or Screener(config)

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
    ) -> EngineResult:
        log = log or NullLog()
        clock = _Clock()
        log.event("plan", engine=self.name, inputs=[str(p) for p in paths])
        hooks = [TimedHook(hook, clock.seconds) for hook in on_stored]
        began = time.perf_counter()
        counts = run_scan(
            list(paths), _TimedStore(store, clock), _TimedScreener(self.screener, clock),  # type: ignore[arg-type]
            options, batch_size=batch_size, progress=progress,
            on_stored=[*hooks, _BatchLog(log)],
        )
        total = time.perf_counter() - began
        seconds = dict(clock.seconds)
        seconds["read"] = max(total - sum(seconds.values()), 0.0)
        if link:
            seconds.update(link_stage(store, log))
        seconds["total"] = time.perf_counter() - began
        log.event("done", engine=self.name, counts=counts.as_dict(), seconds=seconds)
        return EngineResult(counts, seconds)


class _BatchLog(StoredBatchHook):
    name = "log"

    def __init__(self, log: StageLog) -> None:
        self.log = log

    def write(self, store: Store, new: list[NewAd], prepared: list[Any]) -> None:
        self.log.event("store", stored=len(new))
