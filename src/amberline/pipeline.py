"""Screening: normalise → extract → indicate → score, for a batch of ads at a time.

Screening an ad is a pure function of the ad and what the `Screener` compiled at start-up
(extractors, lexicon, weights), so the same object serves the CLI, the web app and Dask
workers. For speed, a batch is screened as ONE text: the ads' normalised texts are joined with
`BATCH_SEPARATOR`, every extractor and the indicator matcher make a single C-level pass over it,
and the spans are then dealt back to their ads by offset. Per-ad Python work is only what is
proportional to what was found: spans and flags are created once by the extractors and the
matcher and then only moved (their offsets are rewritten in place, as the pipeline owns them),
and an ad whose text the normaliser left alone skips the offset mapping altogether.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from operator import attrgetter
from pathlib import Path

import numpy as np

from amberline import __version__
from amberline.collector import collector_paused
from amberline.extract import BATCH_SEPARATOR, build_extractors
from amberline.extract.fields import field_spans
from amberline.extract.phones import PhoneExtractor
from amberline.extract.places import PlaceExtractor
from amberline.indicators.derived import derive_flags, derived_rules
from amberline.indicators.lexicon import load_lexicon
from amberline.indicators.matcher import IndicatorMatcher
from amberline.model import Ad, Exclusion, Flag, Obfuscation, Screening, Span
from amberline.score.scorer import Scorer
from amberline.text import boilerplate
from amberline.text.boilerplate import is_excluded, whole_ad
from amberline.text.normalise import NormalisedText, normalise_batch, prepare

_BY_POSITION = attrgetter("start", "end")
_START = attrgetter("start")
_SEP_LEN = len(BATCH_SEPARATOR)
_FAR = 1 << 62  # past the end of any batch


@dataclass(frozen=True, slots=True)
class ScreenConfig:
    """What a team may tune without touching code."""

    default_region: str = "US"
    lexicon_path: Path | None = None
    weights_path: Path | None = None


class ScreeningError(Exception):
    """Screening failed in `stage` ("normalise", "extract:<name>", "indicate", ...); the
    original exception is `cause` (and `__cause__`). The stage tells a developer where to
    look and an analyst which ads a bug is costing."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage}: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.cause = cause


@dataclass(slots=True)
class _Stage:
    """The stage a batch is in, kept so a failure can name it."""

    name: str = "start"


class Screener:
    """Compiles the extractors, lexicon and weights once; screens batches of ads."""

    def __init__(self, config: ScreenConfig | None = None) -> None:
        self.config = config or ScreenConfig()
        self.extractors = build_extractors(self.config.default_region)
        self._phones = next(e for e in self.extractors if isinstance(e, PhoneExtractor))
        self._places = next((e for e in self.extractors if isinstance(e, PlaceExtractor)), None)
        self.lexicon = load_lexicon(self.config.lexicon_path)
        # Derived rules come from the configured lexicon (checked here, so a lexicon without
        # them fails at start-up); the packaged one's are cached by `derive_flags` itself.
        self._derive_lexicon = None if self.config.lexicon_path is None else self.lexicon
        derived_rules(self.lexicon)
        self.matcher = IndicatorMatcher(self.lexicon)
        self.scorer = Scorer.from_file(self.config.weights_path, self.lexicon.categories)
        self.version = f"amberline-{__version__}+lexicon-{self.lexicon.version}"
        prepare()  # everything is compiled here, none of it on the first batch
        boilerplate.prepare()

    def screen(self, ad: Ad) -> Screening:
        return self.screen_batch([ad])[0]

    def screen_batch(self, ads: Sequence[Ad]) -> list[Screening]:
        """Screen many ads with one pass of each extractor over their joined texts.

        Raises `ScreeningError` (naming the stage) if any stage fails on the batch; callers
        that must not lose the batch use `amberline.isolate.screen_isolated`."""
        if not ads:
            return []
        stage = _Stage()
        with collector_paused():
            try:
                return self._screen_batch(ads, stage)
            except Exception as exc:
                raise ScreeningError(stage.name, exc) from exc

    def _screen_batch(self, ads: Sequence[Ad], stage: _Stage) -> list[Screening]:
        stage.name = "normalise"
        norms = normalise_batch([ad.text for ad in ads])
        texts = [norm.text for norm in norms]
        starts = [0, *accumulate(len(t) + _SEP_LEN for t in texts[:-1])]
        limits = [start + len(t) for start, t in zip(starts, texts, strict=True)]
        joined = BATCH_SEPARATOR.join(texts)

        spans: list[list[Span]] = [[] for _ in ads]
        for extractor in self.extractors:
            stage.name = f"extract:{extractor.name}"
            _deal(extractor.extract(joined), starts, limits, spans)
        stage.name = "indicate"
        flags: list[list[Flag]] = [[] for _ in ads]
        _deal(self.matcher.match(joined), starts, limits, flags)
        stage.name = "boilerplate"
        excluded: list[list[Exclusion]] = [[] for _ in ads]
        _deal(boilerplate.find_batch(joined, starts), starts, limits, excluded)
        stage.name = "score"

        finish = self._finish
        return [
            finish(ad, norm, ad_spans, ad_flags, ad_excluded)
            for ad, norm, ad_spans, ad_flags, ad_excluded
            in zip(ads, norms, spans, flags, excluded, strict=True)
        ]

    def _finish(
        self, ad: Ad, norm: NormalisedText, spans: list[Span], flags: list[Flag],
        exclusions: list[Exclusion],
    ) -> Screening:
        """Drop what lies in the site's boilerplate, derive the span-based flags, map
        everything back to the original text, score."""
        if exclusions:
            exclusions = whole_ad(exclusions, len(norm.text))
            spans = [s for s in spans if not is_excluded(s.start, s.end, exclusions)]
            flags = [f for f in flags if not is_excluded(f.start, f.end, exclusions)]
        if len(spans) > 1:
            spans.sort(key=_BY_POSITION)
        if ad.meta:
            # empty spans at 0 lead
            spans[:0] = field_spans(ad.meta, spans, self._phones, self._places)
        obfuscations = norm.obfuscations
        if spans:
            derived = derive_flags(spans, obfuscations, norm.text, self._derive_lexicon)
            if derived:
                flags.extend(derived)
        if norm.offsets is not None and not norm.same_offsets:
            _to_original(chain(spans, flags, obfuscations, exclusions), norm)
        if len(flags) > 1:
            flags.sort(key=_BY_POSITION)
            flags = _one_per_span(flags)
        score = self.scorer.score(flags) if flags else 0.0
        # `obfuscations` is the normaliser's fresh list for this ad, used nowhere else.
        return Screening(ad.key, spans, flags, score, self.version, obfuscations, exclusions)


def _deal(
    items: Sequence[Span | Flag | Exclusion],
    starts: list[int],
    limits: list[int],
    out: list[list],
) -> None:
    """Give batch-level spans to the ads they lie in (offsets made local to the ad); drop any
    that crosses an ad boundary. The ad of an item is `bisect_right(starts, start) - 1`,
    looked up only when an item leaves the previous item's ad (items come mostly in order)."""
    if not items:
        return
    n = len(starts)
    index, low, high = 0, starts[0], starts[1] if n > 1 else _FAR
    for item in items:
        start = item.start
        if not low <= start < high:
            index = bisect_right(starts, start) - 1
            low = starts[index]
            high = starts[index + 1] if index + 1 < n else _FAR
        end = item.end
        if end > limits[index]:
            continue
        item.start = start - low
        item.end = end - low
        out[index].append(item)


def _one_per_span(flags: list[Flag]) -> list[Flag]:
    """Keep one flag per (category, start, end): the highest weight, the earlier on a tie.

    A derived flag and a lexicon flag of one category on the same words ("Asian" as a
    descriptor and as a lexicon term), or a derived rule firing twice on one span, are the
    same evidence: shown twice they clutter the explanation and add a repeat bonus for
    nothing. `flags` is sorted by position, so a duplicate has the same (start, end) as its
    neighbour: most ads have none and return at once, in place."""
    previous = flags[0]
    for flag in flags[1:]:
        if flag.start == previous.start and flag.end == previous.end:
            break
        previous = flag
    else:
        return flags
    best: dict[tuple[str, int, int], int] = {}
    kept: list[Flag] = []
    for flag in flags:
        key = (flag.category, flag.start, flag.end)
        index = best.get(key)
        if index is None:
            best[key] = len(kept)
            kept.append(flag)
        elif flag.weight > kept[index].weight:
            kept[index] = flag
    return kept


def _to_original(
    items: Iterable[Span | Flag | Obfuscation | Exclusion], norm: NormalisedText
) -> None:
    """Rewrite normalised offsets as offsets into the ad as written (in place: the pipeline
    owns these records), with the same rule as `NormalisedText.to_original`."""
    offsets = norm.offsets
    assert offsets is not None
    ends = norm._ends if norm._ends is not None else offsets[1:]
    # The core's maps are int64 arrays, whose `item` gives a Python int; lists and ranges
    # give ints by indexing.
    at = offsets.item if isinstance(offsets, np.ndarray) else offsets.__getitem__
    end_at = ends.item if isinstance(ends, np.ndarray) else ends.__getitem__
    for item in items:
        start, end = item.start, item.end
        item.start = first = at(start)
        item.end = end_at(end - 1) if end > start else first
