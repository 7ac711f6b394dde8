"""Screening: normalise → extract → indicate → score, for a batch of ads at a time.

Screening an ad is a pure function of the ad and what the `Screener` compiled at start-up
(extractors, lexicon, weights), so the same object serves the CLI, the web app and Dask
workers. For speed, a batch is screened as ONE text: the ads' normalised texts are joined with
`BATCH_SEPARATOR`, every extractor and the indicator matcher make a single C-level pass over it,
and the spans are then dealt back to their ads by offset. Per-ad Python work is only what is
proportional to what was found.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from amberline import __version__
from amberline.extract import BATCH_SEPARATOR, build_extractors
from amberline.indicators.derived import derive_flags
from amberline.indicators.lexicon import load_lexicon
from amberline.indicators.matcher import IndicatorMatcher
from amberline.model import Ad, Flag, Obfuscation, Screening, Span
from amberline.score.scorer import Scorer
from amberline.text.normalise import NormalisedText, normalise

T = TypeVar("T", Span, Flag, Obfuscation)


@dataclass(frozen=True, slots=True)
class ScreenConfig:
    """What a team may tune without touching code."""

    default_region: str = "US"
    lexicon_path: Path | None = None
    weights_path: Path | None = None


class Screener:
    """Compiles the extractors, lexicon and weights once; screens batches of ads."""

    def __init__(self, config: ScreenConfig | None = None) -> None:
        self.config = config or ScreenConfig()
        self.extractors = build_extractors(self.config.default_region)
        self.lexicon = load_lexicon(self.config.lexicon_path)
        self.matcher = IndicatorMatcher(self.lexicon)
        self.scorer = Scorer.from_file(self.config.weights_path)
        self.version = f"amberline-{__version__}+lexicon-{self.lexicon.version}"

    def screen(self, ad: Ad) -> Screening:
        return self.screen_batch([ad])[0]

    def screen_batch(self, ads: Sequence[Ad]) -> list[Screening]:
        """Screen many ads with one pass of each extractor over their joined texts."""
        if not ads:
            return []
        norms = [normalise(ad.text) for ad in ads]
        starts: list[int] = []
        position = 0
        for norm in norms:
            starts.append(position)
            position += len(norm.text) + len(BATCH_SEPARATOR)
        joined = BATCH_SEPARATOR.join(norm.text for norm in norms)

        spans: list[list[Span]] = [[] for _ in ads]
        for extractor in self.extractors:
            for span in extractor.extract(joined):
                _deal(span, starts, norms, spans)
        flags: list[list[Flag]] = [[] for _ in ads]
        for flag in self.matcher.match(joined):
            _deal(flag, starts, norms, flags)

        return [
            self._finish(ad, norm, ad_spans, ad_flags)
            for ad, norm, ad_spans, ad_flags in zip(ads, norms, spans, flags, strict=True)
        ]

    def _finish(
        self, ad: Ad, norm: NormalisedText, spans: list[Span], flags: list[Flag]
    ) -> Screening:
        """Derive the span-based flags, map everything back to the original text, score."""
        spans.sort(key=lambda s: (s.start, s.end))
        flags.extend(derive_flags(spans, norm.obfuscations, norm.text))
        if norm.offsets is not None:
            spans = [_to_original(s, norm) for s in spans]
            flags = [_to_original(f, norm) for f in flags]
            obfuscations = [_to_original(o, norm) for o in norm.obfuscations]
        else:
            obfuscations = list(norm.obfuscations)
        flags.sort(key=lambda f: (f.start, f.end))
        score = self.scorer.score(flags)
        return Screening(ad.key, spans, flags, score, self.version, obfuscations)


def _deal(
    item: Span | Flag, starts: list[int], norms: list[NormalisedText], out: list[list]
) -> None:
    """Give a batch-level span to the ad it lies in; drop it if it crosses an ad boundary."""
    index = bisect_right(starts, item.start) - 1
    base = starts[index]
    if item.end > base + len(norms[index].text):
        return
    item.start -= base
    item.end -= base
    out[index].append(item)


def _to_original(item: T, norm: NormalisedText) -> T:
    start, end = norm.to_original(item.start, item.end)
    return replace(item, start=start, end=end)
