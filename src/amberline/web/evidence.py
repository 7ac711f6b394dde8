"""Evidence highlighting: an ad's text cut into pieces, each with the flags and entities over it.

Why pieces and not nested tags: flags and entity spans overlap freely (a name inside a flagged
phrase, a phone that is also an obscured contact), and nested markup cannot express crossing
ranges. Cutting the text at every boundary gives runs that are each covered by a fixed set of
annotations; the template renders each run once, escaped, with the rules behind it on hover.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from amberline.model import Flag, Span


@dataclass(frozen=True, slots=True)
class Note:
    """One annotation over a run: a flag (category, rule, citation) or an entity (kind)."""

    kind: str  # "flag" or "entity"
    label: str  # flag category or entity kind
    detail: str  # what shows on hover


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    notes: tuple[Note, ...]

    @property
    def classes(self) -> str:
        names = {f"{n.kind}-{n.label}" for n in self.notes}
        names.update(n.kind for n in self.notes)
        return " ".join(sorted(names))

    @property
    def title(self) -> str:
        return "\n".join(n.detail for n in self.notes)


def _flag_note(f: Flag) -> Note:
    cite = f" — {f.citation}" if f.citation else ""
    return Note("flag", f.category,
                f"{f.category}: {f.term!r} (rule {f.rule}, +{f.contribution:.2f}){cite}")


def _span_note(s: Span) -> Note:
    return Note("entity", s.kind, f"{s.kind}: {s.value} ({s.extractor})")


def pieces(text: str, spans: list[Span], flags: list[Flag]) -> list[Piece]:
    """Cut `text` at every annotation boundary; offsets outside the text are clipped."""
    n = len(text)
    ranges: list[tuple[int, int, Note]] = []
    for f in flags:
        ranges.append((max(0, f.start), min(n, f.end), _flag_note(f)))
    for s in spans:
        ranges.append((max(0, s.start), min(n, s.end), _span_note(s)))
    ranges = [r for r in ranges if r[0] < r[1]]
    cuts = sorted({0, n, *(r[0] for r in ranges), *(r[1] for r in ranges)})
    out: list[Piece] = []
    for a, b in pairwise(cuts):
        notes = tuple(note for start, end, note in ranges if start <= a and b <= end)
        out.append(Piece(text[a:b], notes))
    return out


def legend(flags: list[Flag], spans: list[Span]) -> dict[str, list[str]]:
    """The flag categories and entity kinds present, for the legend beside the text."""
    return {
        "flag": sorted({f.category for f in flags}),
        "entity": sorted({s.kind for s in spans}),
    }
