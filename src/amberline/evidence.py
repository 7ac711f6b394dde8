"""Evidence highlighting: an ad's text cut into runs, each knowing the flags and entity spans
over it. One cut for every view of an ad (the terminal, the workspace page, the HTML and PDF
case files), so they all highlight the same characters for the same reasons.

Why runs and not nested tags: flags and entity spans overlap freely (a name inside a flagged
phrase, a phone that is also an obscured contact), and nested markup cannot express crossing
ranges. Cutting the text at every boundary gives runs that are each covered by a fixed set of
annotations, which each renderer draws once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from amberline.model import Flag, Span


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text covered by the same flags and entity spans (indexes into the ad's)."""

    text: str
    start: int
    end: int
    flags: tuple[int, ...]
    spans: tuple[int, ...]


def segments(text: str, spans: list[Span], flags: list[Flag]) -> list[Segment]:
    """Cut `text` at every span and flag boundary; each run knows what covers it.

    Offsets outside the text are clipped, so a damaged record still renders.
    """
    n = len(text)
    cuts = {0, n}
    for item in (*spans, *flags):
        cuts.add(min(max(item.start, 0), n))
        cuts.add(min(max(item.end, 0), n))
    out = []
    for start, end in pairwise(sorted(cuts)):
        if start == end:
            continue
        out.append(Segment(
            text[start:end], start, end,
            tuple(i for i, f in enumerate(flags) if f.start <= start and end <= f.end),
            tuple(i for i, s in enumerate(spans) if s.start <= start and end <= s.end),
        ))
    return out
