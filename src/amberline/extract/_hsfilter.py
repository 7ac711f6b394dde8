"""Run a Python regex only where Hyperscan says a match may start.

The profile extractors (ages, prices, descriptors) need Python `re` for what Hyperscan cannot
do (lookarounds, named groups), but a Python regex with many alternatives tries every one at
every character and reads only a few MB/s. So each extractor also gives *triggers*: simple
Hyperscan patterns (no lookarounds) whose leftmost starts include every position where its
regex can match. Hyperscan finds them in one pass at hundreds of MB/s, and the Python regex is
tried only there, with `match` (anchored), left to right and without overlaps, which gives the
same matches as `finditer` over the whole text. A test checks that equality on random text.

Where Hyperscan is not installed (it is x86-64 only) the plain `finditer` is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

try:  # pragma: no cover - depends on the platform
    import hyperscan
except ImportError:  # pragma: no cover
    hyperscan = None


def char_offsets(data: bytes, offsets: list[int]) -> list[int]:
    """Character offsets of UTF-8 byte offsets into `data` (each must start a character,
    or be len(data))."""
    arr = np.frombuffer(data, dtype=np.uint8)
    starts = np.flatnonzero((arr & 0xC0) != 0x80)  # byte offset of each character
    return np.searchsorted(starts, np.asarray(offsets, dtype=np.int64)).tolist()


class Prefilter:
    """A compiled Python pattern plus the Hyperscan database of its trigger patterns.

    `probe` is how many positions from a trigger's start the pattern is tried at (a trigger
    such as "19 y" may start one digit before the match, e.g. in "119 yrs").
    """

    def __init__(self, pattern: re.Pattern[str], triggers: list[str], probe: int = 2) -> None:
        self.pattern = pattern
        self.triggers = list(triggers)
        self.probe = probe
        self._db: Any = None
        self._scratch: Any = None
        if hyperscan is not None:
            self._compile()

    def _compile(self) -> None:
        flags = (hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_UTF8
                 | hyperscan.HS_FLAG_CASELESS)
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(
            expressions=[t.encode("utf-8") for t in self.triggers],
            ids=list(range(len(self.triggers))),
            flags=[flags] * len(self.triggers),
        )
        self._db = db
        self._scratch = hyperscan.Scratch(db)

    def __getstate__(self) -> dict[str, Any]:
        # Hyperscan objects do not pickle; workers recompile (once per process).
        return {"pattern": self.pattern, "triggers": self.triggers, "probe": self.probe}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["pattern"], state["triggers"], state["probe"])  # type: ignore[misc]

    def starts(self, text: str) -> list[int]:
        """Sorted character offsets where a trigger starts."""
        data = text.encode("utf-8", "surrogatepass")
        found: set[int] = set()
        add = found.add

        def on_match(_id: int, start: int, _end: int, _flags: int, _ctx: object) -> None:
            add(start)

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        if found and len(data) != len(text):
            return sorted(set(char_offsets(data, list(found))))
        return sorted(found)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches `self.pattern.finditer(text)` gives, found in far less time."""
        if self._db is None:
            yield from self.pattern.finditer(text)
            return
        match = self.pattern.match
        last_end = 0
        n = len(text)
        for start in self.starts(text):
            for pos in range(max(start, last_end), min(start + self.probe, n)):
                m = match(text, pos)
                if m is not None and m.end() > pos:
                    yield m
                    last_end = m.end()
                    break
