"""Structured logs: one JSON object per line, with counts and timings per stage.

Why JSON lines: a scan of an archive runs unattended on a cluster, and its operators feed logs
to whatever they already use (journald, Loki, Elasticsearch, `jq`). Every event names its
`stage` (plan, ingest, screen, store, link, done) and carries plain numbers, so a dashboard or
a one-line `jq` can add up throughput without parsing prose.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from amberline.model import Ad, Screening
from amberline.stored_batch import NewAd, StoredBatchHook

if TYPE_CHECKING:
    from amberline.store.database import Store


class StageLog:
    """Writes events as JSON lines to a stream (stderr by default); `None`-safe to call."""

    def __init__(self, stream: IO[str] | None = None, **context: Any) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.context = context
        self.began = time.perf_counter()

    def event(self, stage: str, **fields: Any) -> None:
        record = {"ts": round(time.time(), 3), "stage": stage,
                  "elapsed": round(time.perf_counter() - self.began, 3), **self.context}
        record.update({k: _plain(v) for k, v in fields.items()})
        self.stream.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self.stream.flush()


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


class NullLog(StageLog):
    """A log that drops everything (the default when `--log-json` is not given)."""

    def __init__(self) -> None:
        super().__init__(stream=None)

    def event(self, stage: str, **fields: Any) -> None:
        return None


@contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Add the wall seconds of the block to `seconds[stage]`, even when it raises: the one
    stage clock of both engines' logs."""
    began = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - began


class TimedHook(StoredBatchHook):
    """A hook whose two steps add their seconds to `seconds[stage]`, for both engines' logs;
    it keeps the hook's name, so values prepared under it still reach it."""

    def __init__(self, hook: StoredBatchHook, seconds: dict[str, float],
                 stage: str = "hooks") -> None:
        self.hook, self.seconds, self.stage, self.name = hook, seconds, stage, hook.name

    def prepare(self, items: Sequence[tuple[Ad, Screening]]) -> list[Any]:
        with timed(self.seconds, self.stage):
            return self.hook.prepare(items)

    def write(self, store: Store, new: list[NewAd], prepared: list[Any]) -> None:
        with timed(self.seconds, self.stage):
            self.hook.write(store, new, prepared)
