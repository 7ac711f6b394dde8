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
from typing import IO, Any


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
