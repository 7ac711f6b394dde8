"""Retroactive candidates: which stored ads could match a new alert or watchlist entry.

Why indexed lookups: an archive holds millions of ads and an alert must be matched against it
in seconds. The lookups (spans index, full-text index) are in `store/alert_candidates.py`;
PDQ hashes are compared here as one vectorised popcount over the stored hash column.
Candidates are then checked and scored by exactly the code that checks new ads (`matching`),
so retroactive and live matching agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from amberline.link.pdq_words import hamming, hex_to_words
from amberline.model import Ad, Screening
from amberline.store import alert_candidates
from amberline.store.alert_candidates import with_phrase, with_span
from amberline.store.database import Store

__all__ = ["Candidate", "load_ads", "with_pdq", "with_phrase", "with_span"]


def with_pdq(store: Store, pdq: str, max_distance: int = 31) -> set[int]:
    """Ads with an image whose PDQ hash is within `max_distance` bits of `pdq`."""
    rows = alert_candidates.pdq_rows(store)
    if not rows:
        return set()
    words = hex_to_words([r.pdq for r in rows])
    target = np.repeat(hex_to_words([pdq]), len(rows), axis=0)
    near = hamming(words, target) <= max_distance
    return {rows[i].ad_id for i in np.flatnonzero(near)}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored ad as matching needs it: id, the ad, and its spans (flags are not read)."""

    id: int
    ad: Ad
    screening: Screening


def load_ads(store: Store, ids: Iterable[int]) -> list[Candidate]:
    """The stored ads with these ids, with spans and image hashes, in id order."""
    return [Candidate(*found) for found in alert_candidates.load_ads(store, ids)]
