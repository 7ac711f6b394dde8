"""The one rule that turns evidence strengths into an explained score.

Used for ads (`score.scorer`) and for networks (`link.network_score`) alike, so that both
scores read the same way: each piece of evidence has a log-strength L = -ln(1 - strength),
the score is 1 - exp(-sum L) (the noisy-OR of the strengths), and each piece's contribution
is its share of sum L times the score, so the contributions add up to the score exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def log_strength(strength: float) -> float:
    """L = -ln(1 - strength) for a strength in [0, 1)."""
    return -math.log1p(-strength)


def combine(units: Sequence[float]) -> tuple[float, list[float]]:
    """(score in [0, 1), contribution per unit) from log-strength units; the contributions
    sum to the score exactly (rounding is absorbed by the largest)."""
    total = math.fsum(units)
    if total <= 0.0:
        return 0.0, [0.0] * len(units)
    score = -math.expm1(-total)
    shares = [score * u / total for u in units]
    top = max(range(len(shares)), key=shares.__getitem__)
    shares[top] += score - math.fsum(shares)
    return score, shares
