"""Hyperscan prefilter shared by the contact extractors.

Why: Python's `re` scans at 10-40 MB/s when a pattern has no literal prefix (it tries every
position), which alone would spend the whole screening budget (>= 15 MB/s for everything).
Hyperscan scans for many patterns at once at hundreds of MB/s and reports where they end; the
extractor then runs its exact Python regex only at those few places. So the Python regexes stay
the single definition of what matches, and Hyperscan only has to be a superset trigger.

Hyperscan works on bytes. The text is encoded with `ascii`/`replace`, which keeps one byte per
character (every non-ASCII character becomes "?"), so byte offsets are character offsets;
trigger patterns must allow "?" wherever the exact regex allows a non-ASCII character.
Hyperscan is an optional dependency (x86-64 only): without it `Prefilter.available` is False and
extractors fall back to running their exact regex over the whole text, with the same results.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

try:  # pragma: no cover - depends on the platform
    import hyperscan
except ImportError:  # pragma: no cover
    hyperscan = None


class Prefilter:
    """One compiled Hyperscan database; `scan` returns (pattern index, start, end) triggers.

    `start` is exact only for patterns compiled with `som=True` (start-of-match costs scan
    speed, so use it for rare triggers); otherwise it is -1.
    """

    def __init__(
        self, patterns: Sequence[str], *, caseless: bool = False, som: bool = False
    ) -> None:
        self.available = hyperscan is not None and bool(patterns)
        if not self.available:
            return
        flags = 0
        if caseless:
            flags |= hyperscan.HS_FLAG_CASELESS
        if som:
            flags |= hyperscan.HS_FLAG_SOM_LEFTMOST
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[p.encode("ascii") for p in patterns],
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[flags] * len(patterns),
        )
        self._som = som

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        """Triggers in order of end offset (ties in pattern order); empty text gives none."""
        if not text:
            return []
        hits: list[tuple[int, int, int]] = []
        append = hits.append
        som = self._som

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            append((pid, start if som else -1, end))

        self._db.scan(text.encode("ascii", "replace"), match_event_handler=on_match)
        return hits

    def find_all(self, text: str, exact: Sequence[re.Pattern[str]]) -> list[list[re.Match[str]]]:
        """For each pattern index i, the non-overlapping matches of `exact[i]` in `text`, the same
        as `exact[i].finditer(text)` provided every match of `exact[i]` starts where trigger i
        starts (trigger i compiled with `som=True` and a superset of `exact[i]`)."""
        if not self.available:
            return [list(p.finditer(text)) for p in exact]
        starts: list[set[int]] = [set() for _ in exact]
        for pid, start, _ in self.scan(text):
            starts[pid].add(start)
        found: list[list[re.Match[str]]] = []
        for pid, pattern in enumerate(exact):
            matches: list[re.Match[str]] = []
            done = 0
            for start in sorted(starts[pid]):
                if start < done:
                    continue
                m = pattern.match(text, start)
                if m is not None:
                    matches.append(m)
                    done = max(m.end(), start + 1)
            found.append(matches)
        return found

    def find_near(
        self, text: str, exact: re.Pattern[str], *, back: int, forward: int, token: bool = False
    ) -> list[re.Match[str]]:
        """Matches of `exact` that contain a trigger end, found by searching a window around
        each trigger (for triggers compiled without `som`, which scan ~10x faster).

        The window reaches `back` characters before and `forward` after the trigger end; with
        `token=True` it is also clipped to the whitespace-free token around the trigger. The
        same as `exact.finditer(text)` for matches that fit the window and contain a trigger.
        """
        if not self.available:
            return list(exact.finditer(text))
        found: list[re.Match[str]] = []
        done = 0
        n = len(text)
        for _, _, end in self.scan(text):
            if end <= done:
                continue
            lo, hi = max(done, end - back), min(n, end + forward)
            if token:
                lo = max(lo, *(text.rfind(ch, lo, end - 1) + 1 for ch in " \t\n"))
                ws = _WHITESPACE.search(text, end - 1, hi)
                hi = ws.start() if ws else hi
            m = exact.search(text, lo, hi)
            while m is not None and m.start() < end:
                found.append(m)
                done = m.end()
                if done >= end:
                    break
                m = exact.search(text, done, hi)
        return found


_WHITESPACE = re.compile(r"\s")
