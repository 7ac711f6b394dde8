"""PDQ near-match index: multi-index hashing over 16 slots of 16 bits.

Two 256-bit PDQ hashes within Hamming distance d agree, by pigeonhole, to within
floor(d / 16) bits on at least one of their 16 sixteen-bit slots. So for d = 31 a query only
has to look up, in each slot, its own value and the 16 values one bit away: 272 sorted-array
probes instead of a scan of every stored hash. Candidates are then checked with an exact
popcount (`np.bitwise_count`) on four uint64 words. All lookups are vectorised with
`np.searchsorted`, so a batch of 10^5 queries is a handful of numpy calls per probe.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

SLOTS = 16


def hex_to_words(hashes: Sequence[str]) -> np.ndarray:
    """(n, 4) uint64 words of 64-hex-digit PDQ strings (most significant word first)."""
    if not hashes:
        return np.empty((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(hashes))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(hashes), 4)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distance of two (n, 4) uint64 arrays."""
    return np.bitwise_count(a ^ b).sum(axis=1, dtype=np.int64)


def _slots(words: np.ndarray) -> np.ndarray:
    """(n, 16) uint16 slot values of (n, 4) words."""
    return words.astype(">u8").view(">u2").astype(np.uint16).reshape(len(words), SLOTS)


def _flip_masks(radius: int) -> np.ndarray:
    masks = [0]
    for r in range(1, radius + 1):
        masks += [sum(1 << b for b in bits) for bits in combinations(range(16), r)]
    return np.array(masks, dtype=np.uint16)


class PDQIndex:
    """Holds PDQ hashes; `query` returns stored hashes within `max_distance` of each query."""

    def __init__(self, max_distance: int = 31) -> None:
        if not 0 <= max_distance < 64:
            raise ValueError("max_distance must be in 0..63 (radius per slot <= 3)")
        self.max_distance = max_distance
        self._masks = _flip_masks(max_distance // SLOTS)
        self.words = np.empty((0, 4), dtype=np.uint64)
        self._sorted: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return len(self.words)

    def add(self, words: np.ndarray) -> None:
        """Append hashes (ids continue from the current size) and re-sort the slot tables."""
        self.words = np.concatenate([self.words, words])
        slots = _slots(self.words)
        self._sorted = []
        for s in range(SLOTS):
            order = np.argsort(slots[:, s], kind="stable")
            self._sorted.append((slots[order, s], order))

    def query(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query row, stored id, distance) for every stored hash within max_distance."""
        n = np.int64(max(len(self.words), 1))
        qslots = _slots(words)
        codes, dists = [], []
        for s, (values, order) in enumerate(self._sorted):
            for mask in self._masks:
                probe = qslots[:, s] ^ mask
                lo = np.searchsorted(values, probe, side="left")
                count = np.searchsorted(values, probe, side="right") - lo
                total = int(count.sum())
                if not total:
                    continue
                # verify each probe's candidates at once, so only true matches are kept
                q = np.repeat(np.arange(len(words), dtype=np.int64), count)
                offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
                ids = order[np.repeat(lo, count) + offsets]
                dist = hamming(words[q], self.words[ids])
                keep = dist <= self.max_distance
                codes.append(q[keep] * n + ids[keep])
                dists.append(dist[keep])
        if not codes:
            empty = np.empty(0, np.int64)
            return empty, empty, empty
        unique, first = np.unique(np.concatenate(codes), return_index=True)
        return unique // n, unique % n, np.concatenate(dists)[first]


def brute_force_pairs(words: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) within max_distance by a full scan: the baseline the index beats."""
    out_i, out_j = [], []
    for i in range(len(words) - 1):
        dist = np.bitwise_count(words[i + 1 :] ^ words[i]).sum(axis=1)
        j = np.flatnonzero(dist <= max_distance) + i + 1
        out_i.append(np.full(len(j), i, dtype=np.int64))
        out_j.append(j)
    if not out_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_i), np.concatenate(out_j)
