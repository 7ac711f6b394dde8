"""Evidence highlighting on the workspace's ad page: the runs of `amberline.evidence` with the
rule, citation and contribution behind each, shown on hover; the template renders each run
once, escaped."""

from __future__ import annotations

from dataclasses import dataclass

from amberline.evidence import segments
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
    """The runs of `amberline.evidence.segments` with the notes the page shows on hover."""
    return [Piece(seg.text, (*(_flag_note(flags[i]) for i in seg.flags),
                             *(_span_note(spans[i]) for i in seg.spans)))
            for seg in segments(text, spans, flags)]


def legend(flags: list[Flag], spans: list[Span]) -> dict[str, list[str]]:
    """The flag categories and entity kinds present, for the legend beside the text."""
    return {
        "flag": sorted({f.category for f in flags}),
        "entity": sorted({s.kind for s in spans}),
    }
