"""A network's score: its members' scores plus structural signals, every part explained.

A network ranks for review, like an ad does; it never decides anything. The score adds the
members' evidence (their strongest and their average ad score, the share that was flagged)
to structure the literature associates with controllers: many names on one phone, many cities
in a short time, one template used across many phones. Each part is a `Contribution`
(signal, value, contribution, why), so the number can always be taken apart. Structural
signals count only what exceeds the innocent case (one name per phone, one city, one phone)
and are capped so that one signal cannot drown the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .features import NetworkFeatures


@dataclass(frozen=True, slots=True)
class Contribution:
    signal: str
    value: float
    contribution: float
    why: str


@dataclass(frozen=True, slots=True)
class NetworkWeights:
    """Weights of the network score; configurable like the ad-score weights."""

    member_max: float = 0.5
    member_mean: float = 0.5
    flagged_share: float = 2.0
    size_log2: float = 0.5
    extra_names_per_phone: float = 1.0
    extra_cities_in_window: float = 1.0
    extra_phones_per_template: float = 0.5
    cap: int = 5


def score_network(
    features: NetworkFeatures, member_scores: list[float], weights: NetworkWeights | None = None
) -> tuple[float, list[Contribution]]:
    """(score, contributions) of a network; the score is the sum of the contributions."""
    w = weights or NetworkWeights()
    scores = member_scores or [0.0]
    parts = [
        Contribution("member_max_score", max(scores), w.member_max * max(scores),
                     "strongest member ad score"),
        Contribution("member_mean_score", sum(scores) / len(scores),
                     w.member_mean * sum(scores) / len(scores), "average member ad score"),
        Contribution("flagged_share", features.flagged_share,
                     w.flagged_share * features.flagged_share, "share of member ads flagged"),
        Contribution("ads", features.ads, w.size_log2 * math.log2(max(features.ads, 1)),
                     "network size (log2)"),
    ]
    structural = [
        ("names_per_phone", features.max_names_per_phone, w.extra_names_per_phone,
         "most distinct names advertised with one phone"),
        ("cities_in_window", features.max_cities_in_window, w.extra_cities_in_window,
         "most distinct cities posted within the movement window"),
        ("phones_per_template", features.max_phones_per_template, w.extra_phones_per_template,
         "most distinct phones using one text template"),
    ]
    for signal, value, weight, why in structural:
        extra = min(max(value - 1, 0), w.cap)
        parts.append(Contribution(signal, value, weight * extra, why))
    return sum(p.contribution for p in parts), parts
