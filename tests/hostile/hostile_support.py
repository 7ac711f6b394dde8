"""Shared pieces of the hostile-input suite: a screener with a tripwire extractor, and small
writers of hostile inputs. All text is synthetic and clinical."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from amberline.extract.base import Extractor
from amberline.model import Span
from amberline.pipeline import Screener

TRIP = "TRIPWIRE"


class TripwireExtractor(Extractor):
    """Raises on any text holding TRIP: stands in for a bug one ad's text sets off."""

    name: ClassVar[str] = "tripwire"
    kind: ClassVar[str] = "name"

    def extract(self, text: str) -> list[Span]:
        if TRIP in text:
            raise RuntimeError("tripwire set off")
        return []


_TRIPPED: Screener | None = None
_PLAIN: Screener | None = None


def screener() -> Screener:
    """The packaged `Screener`, built once for the suite."""
    global _PLAIN
    if _PLAIN is None:
        _PLAIN = Screener()
    return _PLAIN


def tripwire_screener() -> Screener:
    """A real `Screener` with the tripwire appended to its extractors (built once)."""
    global _TRIPPED
    if _TRIPPED is None:
        _TRIPPED = Screener()
        _TRIPPED.extractors.append(TripwireExtractor())
    return _TRIPPED


def ad(i: int, text: str | None = None) -> dict[str, Any]:
    return {"id": f"ad-{i}", "title": f"Listing {i}",
            "body": text or f"New in town, call 703 555 {i % 10000:04d}"}


def write_jsonl(path: Path, records: list[Any]) -> Path:
    """One line per record: dicts and lists as JSON, strings as they are (raw lines). A lone
    surrogate in a raw line is written as the bytes a careless scraper writes for it (not
    valid UTF-8), for the reader to set aside."""
    with path.open("w", encoding="utf-8", errors="surrogatepass", newline="\n") as fh:
        for r in records:
            fh.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path
