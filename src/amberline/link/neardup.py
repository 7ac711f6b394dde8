"""Near-duplicate text: LSH banding over the MinHash matrix, then verification.

Comparing every pair of 10^6 ads is 5*10^11 comparisons; banding makes ads meet only when all
`rows` positions of some band agree, which happens with probability 1-(1-J^rows)^bands for a
pair of Jaccard J. Each band is hashed to one uint64 per ad, sorted, and equal runs become
candidate pairs, all in numpy. Runs larger than `max_bucket` (boilerplate posted thousands of
times) are chained, ad to next ad, so that they still connect without n^2 pairs. Candidates
are then verified on the full signature, so banding only has to be generous, not exact.

`new_from` lets the incremental linker ask only for pairs that involve ads it has just added:
indices are appended in order, so a pair is new exactly when its larger index is.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .minhash import jaccard_estimate

_PRIME64 = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, fn_weight: float = 0.7) -> tuple[int, int]:
    """(bands, rows) minimising weighted false-positive and false-negative probability mass.

    False negatives weigh more than false positives by default: candidates are verified
    afterwards, while a missed pair is lost for good.
    """
    grid = np.linspace(0.0, 1.0, 1001)
    below, above = grid <= threshold, grid >= threshold
    best, best_cost = (1, num_perm), float("inf")
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        p = 1.0 - (1.0 - grid**rows) ** bands
        fp = np.trapezoid(p[below], grid[below]) if below.sum() > 1 else 0.0
        fn = np.trapezoid(1.0 - p[above], grid[above]) if above.sum() > 1 else 0.0
        cost = (1.0 - fn_weight) * fp + fn_weight * fn
        if cost < best_cost:
            best, best_cost = (bands, rows), cost
    return best


def band_key(sig: np.ndarray, band: int, rows: int) -> np.ndarray:
    """(n,) uint64: one hash of the `rows` signature positions of `band`, per ad."""
    h = np.zeros(sig.shape[0], dtype=np.uint64)
    for col in range(band * rows, (band + 1) * rows):
        h = (h ^ sig[:, col].astype(np.uint64)) * _PRIME64
        h ^= h >> np.uint64(31)
    return h


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: one hash per band of `rows` signature positions."""
    keys = np.zeros((sig.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        keys[:, band] = band_key(sig, band, rows)
    return keys


def _bucket_pairs(
    keys: np.ndarray, ids: np.ndarray, new_from: int, max_bucket: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of ids sharing a key; ids must be ascending."""
    order = np.argsort(keys, kind="stable")
    k, ids = keys[order], ids[order]
    same = k[1:] == k[:-1]
    in_run = np.zeros(len(k), dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    k, ids = k[in_run], ids[in_run]
    if len(k) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    start = np.r_[True, k[1:] != k[:-1]]
    run_id = np.cumsum(start) - 1
    run_start = np.flatnonzero(start)
    run_size = np.diff(np.r_[run_start, len(k)])
    size = run_size[run_id]
    out_i, out_j = [], []
    small_max = int(run_size[run_size <= max_bucket].max(initial=2))
    for d in range(1, small_max):
        p = np.flatnonzero((size[:-d] > d) if d > 1 else np.ones(len(k) - 1, bool))
        if d > 1:
            p = p[size[p] <= max_bucket]
        p = p[run_id[p] == run_id[p + d]]
        a, b = ids[p], ids[p + d]
        keep = b >= new_from
        out_i.append(a[keep])
        out_j.append(b[keep])
    return np.concatenate(out_i), np.concatenate(out_j)


def candidate_pairs(
    keys: np.ndarray, active: np.ndarray, new_from: int = 0, max_bucket: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct candidate pairs (i < j) over all bands among `active` ad indices."""
    return banded_pairs(lambda band: keys[:, band], keys.shape[1], active, new_from, max_bucket)


def banded_pairs(key_of, bands: int, active: np.ndarray, new_from: int, max_bucket: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs band by band; codes i * n + j are merged and deduplicated every few
    bands, so memory holds one band's keys and the distinct pairs, not every band's copy."""
    ids = np.flatnonzero(active)
    n = np.int64(len(active))
    unique = np.empty(0, np.int64)
    codes: list[np.ndarray] = []
    for band in range(bands):
        i, j = _bucket_pairs(key_of(band)[ids], ids, new_from, max_bucket)
        codes.append(i.astype(np.int64) * n + j)
        if len(codes) == 8 or band == bands - 1:
            unique = np.unique(np.concatenate([unique, *codes]))
            codes = []
    return unique // n, unique % n


def similar_pairs(
    sig: np.ndarray,
    empty: np.ndarray,
    threshold: float,
    new_from: int = 0,
    max_bucket: int = 50,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j, estimated Jaccard) with estimate >= threshold, via LSH then verification."""
    bands, rows = lsh_params(round(threshold, 4), sig.shape[1])
    i, j = banded_pairs(lambda band: band_key(sig, band, rows), bands, ~empty, new_from, max_bucket)
    est = jaccard_estimate(sig, i, j)
    keep = est >= threshold
    return i[keep], j[keep], est[keep]
