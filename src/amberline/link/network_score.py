"""A network's score in [0, 1): its members' evidence plus structure, every part explained.

A network ranks for review, like an ad does; it never decides anything. So it is scored the
way an ad is (`amberline/score/scorer.py`), on the same scale, so that analysts read 0.8 the
same on an ad and on a network:

1. Each signal i has a weight w_i in [0, 1) (`network_weights.toml`) and a strength s_i in
   [0, 1] taken from the network: the strongest and the average member ad score, the share of
   members flagged, the size (log2, full at `size_full_ads`), and three structural signals
   counting only what exceeds the innocent case (one name per phone, one city, one phone per
   template), full at `cap` extra.
2. Evidence units L_i = -ln(1 - w_i * s_i) add up; score = 1 - exp(-sum L), i.e. the noisy-OR
   1 - prod(1 - w_i * s_i).
3. contribution_i = score * L_i / sum L: the contributions add up to the score exactly, and a
   signal at strength 0 shows 0.

The score never reaches 1 (every weight is below 1), more evidence never lowers it, and one
signal cannot drown the rest because each is capped at its weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from amberline.config_files import read_toml
from amberline.score.combine import combine, log_strength

from .features import NetworkFeatures

SIGNALS = ("member_max_score", "member_mean_score", "flagged_share", "ads",
           "names_per_phone", "cities_in_window", "phones_per_template")


class NetworkWeightsError(ValueError):
    """A network weights file that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Contribution:
    """One signal's part of a network score: its raw value, its share, and what it means."""

    signal: str
    value: float
    contribution: float
    why: str


@dataclass(frozen=True, slots=True)
class NetworkWeights:
    """Weights of the network score, loaded from TOML like the ad-score weights."""

    weights: dict[str, float] = field(default_factory=dict)
    cap: int = 5
    size_full_ads: int = 64
    version: str = ""
    origin: str = "<weights>"

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> NetworkWeights:
        """Load weights; `None` loads the packaged `link/network_weights.toml`."""
        data, origin = read_toml(
            "amberline.link", "network_weights.toml", path, NetworkWeightsError)
        return cls.from_dict(data, origin)

    @classmethod
    def from_dict(cls, data: dict, origin: str = "<weights>") -> NetworkWeights:
        """Validate a parsed weights document: every signal weighted in [0, 1), nothing else."""
        extra = set(data) - {"version", "weights", "params"}
        if extra:
            raise NetworkWeightsError(f"{origin}: unknown top-level keys {sorted(extra)}")
        version = data.get("version")
        if not isinstance(version, str) or not version:
            raise NetworkWeightsError(f"{origin}: missing 'version = \"...\"'")
        weights = data.get("weights")
        if not isinstance(weights, dict):
            raise NetworkWeightsError(f"{origin}: missing [weights] table")
        unknown = sorted(set(weights) - set(SIGNALS))
        if unknown:
            raise NetworkWeightsError(f"{origin}: unknown signal {unknown[0]!r} in [weights]; "
                                      f"known: {', '.join(SIGNALS)}")
        missing = [s for s in SIGNALS if s not in weights]
        if missing:
            raise NetworkWeightsError(f"{origin}: no weight for signal {missing[0]!r}; add it")
        for name, w in weights.items():
            if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w < 1:
                raise NetworkWeightsError(
                    f"{origin}: weight of {name!r} must be in [0, 1), got {w!r}")
        params = data.get("params", {})
        unknown_p = sorted(set(params) - {"cap", "size_full_ads"})
        if unknown_p:
            raise NetworkWeightsError(f"{origin}: unknown [params] {unknown_p}")
        ints = {}
        for name, default, least in (("cap", 5, 1), ("size_full_ads", 64, 3)):
            v = params.get(name, default)
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise NetworkWeightsError(
                    f"{origin}: {name} must be an integer >= {least}, got {v!r}")
            ints[name] = v
        return cls({k: float(weights[k]) for k in SIGNALS}, ints["cap"],
                   ints["size_full_ads"], version, origin)


@lru_cache(maxsize=1)
def default_weights() -> NetworkWeights:
    """The packaged weights, read once per process."""
    return NetworkWeights.from_file()


def _strengths(f: NetworkFeatures, scores: list[float], w: NetworkWeights
               ) -> list[tuple[str, float, float, str]]:
    """(signal, raw value, strength in [0, 1], why) per signal, in `SIGNALS` order."""
    clip = lambda x: min(max(float(x), 0.0), 1.0)  # noqa: E731
    top, mean = max(scores), sum(scores) / len(scores)
    size = clip(math.log2(max(f.ads, 1)) / math.log2(w.size_full_ads))
    extra = lambda v: clip((v - 1) / w.cap)  # noqa: E731
    return [
        ("member_max_score", top, clip(top), "strongest member ad score"),
        ("member_mean_score", mean, clip(mean), "average member ad score"),
        ("flagged_share", f.flagged_share, clip(f.flagged_share),
         "share of member ads flagged"),
        ("ads", f.ads, size, f"network size (log2, full at {w.size_full_ads} ads)"),
        ("names_per_phone", f.max_names_per_phone, extra(f.max_names_per_phone),
         f"most distinct names advertised with one phone (full at {w.cap + 1})"),
        ("cities_in_window", f.max_cities_in_window, extra(f.max_cities_in_window),
         f"most distinct cities posted within the movement window (full at {w.cap + 1})"),
        ("phones_per_template", f.max_phones_per_template, extra(f.max_phones_per_template),
         f"most distinct phones using one text template (full at {w.cap + 1})"),
    ]


def score_network(
    features: NetworkFeatures, member_scores: list[float], weights: NetworkWeights | None = None
) -> tuple[float, list[Contribution]]:
    """(score in [0, 1), contributions): the contributions sum to the score."""
    w = weights or default_weights()
    rows = _strengths(features, list(member_scores) or [0.0], w)
    score, shares = combine(
        [log_strength(w.weights[signal] * strength) for signal, _, strength, _ in rows])
    return score, [Contribution(signal, float(value), share, why)
                   for (signal, value, _, why), share in zip(rows, shares, strict=True)]
