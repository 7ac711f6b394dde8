"""The text normaliser: undo the obfuscation ads use to hide contact details, keep a map back.

Why: extractors should see "703 555 0142" whether the ad wrote "７０３ 555 0142",
"seven zero three 555 O142" or "703🔥555🔥0142", while analysts must see every finding
highlighted in the ad exactly as posted, and the indicator stage must know *that* something was
hidden (an obscured phone number is one of the few indicators with empirical support). So
`normalise` returns the clean text, an offset map back to the original, and one `Obfuscation`
per stretch it had to undo.

Speed: most ads are plain text with nothing to undo. One Hyperscan pass over a whole batch
(`gate.py`, `normalise_batch`), plus for non-ASCII text `unicodedata.is_normalized` and two
regex searches, decides that without per-character Python and returns the text itself with
`offsets=None`. Otherwise two stages run, each a list of edits found by C-level scans:
characters (`chars.py`), then number runs (`numbers.py`, only in the stretches around the
gate's hits); only the edited stretches cost Python time. `_slow(text, ..., None, True)` is
the reference the fast paths are tested against.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from typing import overload
from unicodedata import is_normalized

import numpy as np

from amberline.model import Obfuscation
from amberline.text import chars, native, numbers
from amberline.text.edits import Edit, apply_edits, compose
from amberline.text.gate import ODD_CASE, Gate

_ORDER = attrgetter("start", "end", "kind")

# Every kind of Obfuscation the normaliser records.
KINDS = (
    chars.COMPAT_FORM,
    chars.SCRIPT_DIGITS,
    chars.TYPOGRAPHY,
    chars.INVISIBLE,
    chars.CONTROL,
    chars.HOMOGLYPH,
    numbers.SPELLED_DIGITS,
    numbers.LETTER_DIGITS,
    numbers.EMOJI_SEPARATOR,
)
# The kinds that disguise what a character *is* (rather than its layout): an indicator stage
# that wants "obscured contact" without no-break spaces or stray controls can filter on these.
OBSCURING_KINDS = frozenset(
    {
        chars.COMPAT_FORM,
        chars.SCRIPT_DIGITS,
        chars.INVISIBLE,
        chars.HOMOGLYPH,
        numbers.SPELLED_DIGITS,
        numbers.LETTER_DIGITS,
        numbers.EMOJI_SEPARATOR,
    }
)


@dataclass(slots=True)
class NormalisedText:
    """Normalised text with the map back to the ad as written and what was undone.

    `offsets` is None when nothing changed (`text is original`); otherwise it has len(text) + 1
    entries: offsets[i] is where normalised character i starts in `original`, and the last entry
    is len(original). `obfuscations` are in normalised offsets. The maps are lists, ranges, or
    (from the core) int64 arrays: read an entry with `int()`.
    """

    original: str
    text: str
    offsets: Sequence[int] | None
    obfuscations: list[Obfuscation]
    # Where each normalised character *ends* in `original`, so that spans next to removed
    # characters map to the smallest covering stretch. Filled by `normalise`.
    _ends: Sequence[int] | None = field(default=None, init=False, repr=False, compare=False)
    # True when every edit replaced its stretch by as many characters ("💋" -> " ", "O" ->
    # "0"): the maps are then the identity and a caller may skip mapping offsets back.
    _same_offsets: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def same_offsets(self) -> bool:
        """Every edit kept its length: offsets need no mapping back to the original."""
        return self._same_offsets

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised [start, end) span to the smallest original span covering it."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside normalised text of {len(self.text)}")
        offsets = self.offsets
        if offsets is None:
            return start, end
        first = int(offsets[start])  # the core's maps are int32 arrays
        if start == end:
            return first, first
        return first, int(self._ends[end - 1] if self._ends is not None else offsets[end])


@dataclass(frozen=True, slots=True)
class JoinedMaps:
    """The offset maps of a batch's texts whose offsets moved (`offsets` not None and not
    `same_offsets`), one after the other: what the pipeline maps a whole batch's findings
    back with, in one gather, instead of one lookup per finding."""

    ads: list[int]  # the texts whose offsets moved, ascending
    lengths: np.ndarray  # len(text) of each of `ads` (int64)
    # (integer arrays: int32 from the core, int64 from the reference)
    heads: np.ndarray  # each one's `offsets` (len(text) + 1 entries), in the order of `ads`
    tails: np.ndarray  # each one's ends (len(text) entries: `_ends`, or `offsets[1:]`)


class NormalisedBatch(Sequence[NormalisedText]):
    """`normalise_batch`'s result: a sequence of `NormalisedText`, and the same batch read
    whole, which is how the pipeline reads it: `texts[i]` and `obfuscations[i]` (the very
    list of `self[i].obfuscations`) of every text, and `maps`, the moved texts' offset maps
    joined. The core hands those over as columns for the whole batch; a text's
    `NormalisedText`, with its own views of the maps, is only made when it is asked for."""

    __slots__ = ("_items", "_make", "_maps", "obfuscations", "texts")

    def __init__(
        self,
        texts: list[str],
        obfuscations: list[list[Obfuscation]],
        make: Callable[[int], NormalisedText] | None = None,
        items: list[NormalisedText] | None = None,
        maps: JoinedMaps | None = None,
    ) -> None:
        self.texts = texts
        self.obfuscations = obfuscations
        self._make = make
        self._items: list[NormalisedText | None] = (
            list(items) if items is not None else [None] * len(texts))
        self._maps = maps

    @classmethod
    def of(cls, items: list[NormalisedText]) -> NormalisedBatch:
        """The batch of results already made (the Python reference's)."""
        return cls([r.text for r in items], [r.obfuscations for r in items], items=items)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> NormalisedText: ...
    @overload
    def __getitem__(self, index: slice) -> list[NormalisedText]: ...
    def __getitem__(self, index: int | slice) -> NormalisedText | list[NormalisedText]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self._items[index]
        if item is None:
            assert self._make is not None
            item = self._items[index] = self._make(index % len(self._items))
        return item

    def __iter__(self) -> Iterator[NormalisedText]:
        return map(self.__getitem__, range(len(self._items)))

    @property
    def maps(self) -> JoinedMaps:
        """The moved texts' offset maps joined (made from the results when the core did not
        hand them over)."""
        if self._maps is None:
            self._maps = _joined_maps(list(self))
        return self._maps


def _joined_maps(items: Sequence[NormalisedText]) -> JoinedMaps:
    ads = [i for i, r in enumerate(items) if r.offsets is not None and not r.same_offsets]
    empty = np.zeros(0, dtype=np.int64)
    if not ads:
        return JoinedMaps(ads, empty, empty, empty)
    moved = [items[i] for i in ads]
    heads = np.concatenate([r.offsets for r in moved], dtype=np.int64)  # type: ignore[misc]
    tails = [r._ends if r._ends is not None else r.offsets[1:]  # type: ignore[index]
             for r in moved]
    return JoinedMaps(ads, np.array([len(r.text) for r in moved], dtype=np.int64), heads,
                      np.concatenate([empty, *(t for t in tails if len(t))], dtype=np.int64))


@dataclass(frozen=True, slots=True)
class _Compiled:
    tables: chars.CharTables
    gate: Gate


@cache
def _compiled() -> _Compiled:
    """Compile once per process, on first use (keeps `import` cheap for the CLI)."""
    return _Compiled(tables=chars.build_tables(), gate=Gate())


def prepare() -> None:
    """Compile the normaliser's tables and gate (or the core's tables) now rather than on
    the first text: long-lived users (the `Screener`) call it at start-up, so no batch pays
    for it."""
    if native.normaliser() is None:
        _compiled()


def normalise(text: str) -> NormalisedText:
    """Undo compatibility forms, homoglyphs, invisibles, controls and obfuscated number runs."""
    return normalise_batch([text])[0]


def normalise_batch(texts: Sequence[str]) -> NormalisedBatch:
    """`normalise` for many texts: by the compiled core when it is built (`amberline.core`),
    else by the Python reference, `reference_batch`; both give identical results."""
    compiled = native.normaliser()
    if compiled is None:
        return NormalisedBatch.of(reference_batch(texts))
    return native.normalise_batch(texts, compiled)


def reference_batch(texts: Sequence[str]) -> list[NormalisedText]:
    """The Python reference for many texts, with one gate pass over all of them (the batch
    fast path).

    Per text, Python only asks C whether the text is ASCII and, if not, whether it is NFKC and
    free of characters the character stage rewrites; texts the gate does not hit and that need
    no character work come back as themselves, without an offset map. The texts the character
    stage changed go through the gate again, together.
    """
    compiled = _compiled()
    needs_work = compiled.tables.needs_work.search
    glyph = compiled.tables.homoglyph_any.search
    out: list[NormalisedText | None] = [None] * len(texts)
    staged: list[tuple[int, _Stage]] = []  # texts that went through the character stage
    for i, (text, hit) in enumerate(zip(texts, compiled.gate.scan(texts), strict=True)):
        seeds = None if hit is None else hit[0]
        if text.isascii():
            need_chars = hit is not None and hit[1]  # the gate reports ASCII controls
        elif ODD_CASE.search(text) is not None:  # the gate cannot read these: full scan
            need_chars, seeds = True, None
        else:
            need_chars = (
                not is_normalized("NFKC", text)
                or needs_work(text) is not None
                or glyph(text) is not None  # a look-alike may hide in a word: stage one decides
            )
            seeds = [] if seeds is None and need_chars else seeds
        if need_chars:
            stage = _char_stage(text, compiled.tables)
            if stage[0] is text:  # unchanged: the gate's hits in `text` stand
                out[i] = _number_stage(text, stage, seeds)
            else:
                staged.append((i, stage))
        elif hit is None:
            out[i] = NormalisedText(text, text, None, [])
        else:
            out[i] = _number_stage(text, (text, None, None, []), seeds)
    if staged:
        readable = [(i, stage) for i, stage in staged if ODD_CASE.search(stage[0]) is None]
        hits = compiled.gate.scan([stage[0] for _, stage in readable])
        seeds_of = {i: [] if hit is None else hit[0]
                    for (i, _), hit in zip(readable, hits, strict=True)}
        for i, stage in staged:
            out[i] = _number_stage(texts[i], stage, seeds_of.get(i))
    return out  # type: ignore[return-value]


# The character stage's result: (text1, starts, ends, edited spans); see `_char_stage`.
_Stage = tuple[str, list[int] | None, list[int] | None, list[tuple[int, int, str]]]


def _slow(
    text: str, compiled: _Compiled, seeds: list[int] | None, need_chars: bool
) -> NormalisedText:
    """Both stages for one text. `seeds` are the gate's hits in `text` ([] for none, None for
    "scan the whole text"); when the character stage changes the text, the gate reads it
    again. `_slow(text, compiled, None, True)` is the reference the fast paths must equal."""
    stage: _Stage = _char_stage(text, compiled.tables) if need_chars else (text, None, None, [])
    text1 = stage[0]
    if text1 is not text:
        if ODD_CASE.search(text1) is None:
            hit = compiled.gate.scan([text1])[0]
            seeds = [] if hit is None else hit[0]
        else:
            seeds = None
    return _number_stage(text, stage, seeds)


def _number_stage(text: str, stage: _Stage, seeds: list[int] | None) -> NormalisedText:
    """Stage two on the character stage's output, and the result with its offset maps."""
    text1, starts, ends, spans = stage
    edits_b = numbers.number_edits(text1, seeds) if seeds != [] else []
    if not spans and not edits_b:
        return NormalisedText(text, text, None, [])
    final = text1
    if edits_b:
        final, starts2, ends2 = apply_edits(text1, edits_b)
        if starts is None or ends is None:  # stage one changed nothing: text1 is the original
            if not spans:  # the usual case: where each edit lands follows from the edits
                landed, same = _landed(edits_b)
                result = NormalisedText(text, final, starts2, _merge(text, landed))
                result._ends = ends2
                result._same_offsets = same
                return result
            spans = spans + [(e.start, e.end, e.kind) for e in edits_b]
            starts, ends = starts2, ends2
        else:
            spans = spans + [(starts[e.start], ends[e.end - 1], e.kind) for e in edits_b]
            starts, ends = compose(starts, ends, starts2, ends2, len(text))
    result = NormalisedText(text, final, starts, _obfuscations(text, spans, starts))
    result._ends = ends
    return result


def _char_stage(
    text: str, tables: chars.CharTables
) -> tuple[str, list[int] | None, list[int] | None, list[tuple[int, int, str]]]:
    """Stage one, repeated until nothing changes (removing an invisible can join a look-alike
    to a Latin word; NFKC can produce a keycap), at most three rounds.

    Returns the text, its start/end maps to `text` (None if unchanged) and the edited spans in
    `text` coordinates.
    """
    current, starts, ends = text, None, None
    spans: list[tuple[int, int, str]] = []
    for _round in range(3):
        edits = chars.char_edits(current, tables)
        if not edits:
            break
        current, starts2, ends2 = apply_edits(current, edits)
        if starts is None or ends is None:
            spans += [(e.start, e.end, e.kind) for e in edits]
            starts, ends = starts2, ends2
        else:
            spans += [(starts[e.start], ends[e.end - 1], e.kind) for e in edits]
            starts, ends = compose(starts, ends, starts2, ends2, len(text))
    return current, starts, ends, spans


def _obfuscations(
    original: str, spans: list[tuple[int, int, str]], starts: Sequence[int]
) -> list[Obfuscation]:
    """Original-coordinate edit spans -> merged Obfuscations in normalised coordinates."""
    n = len(starts) - 1
    return _merge(
        original,
        [(bisect_left(starts, s, 0, n), bisect_left(starts, e, 0, n), kind, s, e)
         for s, e, kind in spans],
    )


def _landed(edits: list[Edit]) -> tuple[list[tuple[int, int, str, int, int]], bool]:
    """`_obfuscations`' mapped spans of one list of sorted edits applied to the original text,
    without searching the offset map: an edit of [s, e) lands at s plus the change in length
    of the edits before it, and ends after its replacement (what `bisect_left` finds there:
    the first new character that does not come from before `s`, or from before `e`).
    Also whether every edit kept its length (the offset maps are then the identity)."""
    out = []
    add = out.append
    shift = 0
    same = True
    for s, e, repl, kind in edits:
        ns = s + shift
        r = len(repl)
        add((ns, ns + r, kind, s, e))
        if r != e - s:
            shift += r - (e - s)
            same = False
    return out, same


def _merge(original: str, mapped: list[tuple[int, int, str, int, int]]) -> list[Obfuscation]:
    """(normalised start, end, kind, original start, end) per edit -> merged Obfuscations.

    Spans of one kind that touch or overlap once mapped become one Obfuscation (a spelled
    number's words and the gaps dropped between them are one stretch)."""
    mapped.sort()
    last_of: dict[str, list] = {}  # kind -> its last run [start, end, orig start, orig end, kind]
    runs: list[list] = []
    for ns, ne, kind, s, e in mapped:
        last = last_of.get(kind)
        if last is not None and last[1] >= ns:
            if ne > last[1]:
                last[1] = ne
            if s < last[2]:
                last[2] = s
            if e > last[3]:
                last[3] = e
        else:
            last = last_of[kind] = [ns, ne, s, e, kind]
            runs.append(last)
    out = [Obfuscation(ns, ne, kind, original[s:e]) for ns, ne, s, e, kind in runs]
    if len(out) > 1:
        out.sort(key=_ORDER)
    return out
