"""PDQ hashes as 64-bit words and their Hamming distances, in plain numpy.

Why apart from `pdq_index`: alert matching compares a few hashes at a time and needs only
these two functions; `pdq_index` compiles its join with numba, whose import costs every scan
(alert matching is a scan hook) more CPU than a batch of ads takes to store.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def hex_to_words(hashes: Sequence[str]) -> np.ndarray:
    """(n, 4) uint64 words of 64-hex-digit PDQ strings (most significant word first)."""
    if not hashes:
        return np.empty((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(hashes))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(hashes), 4)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distance of two (n, 4) uint64 arrays."""
    return np.bitwise_count(a ^ b).sum(axis=1, dtype=np.int64)
