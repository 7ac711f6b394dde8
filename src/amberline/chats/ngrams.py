"""Hashed word and character n-grams of many messages at once, computed with array operations.

A scikit-learn vectoriser cuts text into n-grams in Python, one string at a time, which caps
screening far below the speed a platform's message volume needs. Here a whole batch of messages
is one byte array (lower-cased UTF-8, whitespace folded to spaces) and every n-gram is a
polynomial hash of its bytes, computed for all positions at once; hashes fold into 2**bits
buckets (the "hashing trick"), so there is no vocabulary to store or look up. N-grams never
cross from one message into the next, so per-message sums add up to the conversation so far.

Words are runs of letters, digits, apostrophes and non-ASCII bytes; word bigrams join
neighbouring words of one message. Character n-grams (2 to 5 bytes) are taken over the folded
text, spaces included, so they see word edges. Each occurrence keeps its byte span, so the
n-gram behind a model weight can be shown to a reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

BITS = 20
CHAR_SIZES = (2, 3, 4, 5)
BLOCKS = ("word", "char")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(0x100000001B3)
_WORD_TABLE = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyz0123456789'":
    _WORD_TABLE[_c] = True
_WORD_TABLE[128:] = True
_FOLD = np.arange(256, dtype=np.uint8)
_FOLD[[0, 9, 10, 11, 12, 13]] = 32


@dataclass(slots=True)
class Grams:
    """Occurrences of one block's n-grams: message index, bucket, byte span in `data`."""

    owner: np.ndarray
    bucket: np.ndarray
    start: np.ndarray
    end: np.ndarray


@dataclass(slots=True)
class Occurrences:
    """All n-gram occurrences of a batch of messages, per block, and the bytes they index."""

    messages: int
    data: bytes
    word: Grams
    char: Grams

    def blocks(self) -> tuple[Grams, Grams]:
        return self.word, self.char

    def text(self, grams: Grams, i: int) -> str:
        return self.data[grams.start[i] : grams.end[i]].decode("utf-8", "replace")


def _bucket(h: np.ndarray, bits: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        mixed = h * _MIX
    return (mixed >> np.uint64(64 - bits)).astype(np.int64)


def _empty() -> Grams:
    z = np.zeros(0, dtype=np.int64)
    return Grams(z, z, z, z)


def occurrences(texts: Sequence[str], bits: int = BITS) -> Occurrences:
    """Word 1-2 grams and character 2-5 grams of each text, hashed into 2**bits buckets,
    ordered by message (then by position)."""
    if not texts:
        return Occurrences(0, b"", _empty(), _empty())
    encoded = [t.lower().encode("utf-8", "replace") for t in texts]
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    raw = b" ".join(encoded) + b" "
    data = _FOLD[np.frombuffer(raw, dtype=np.uint8)]
    size = len(data)
    owner = np.repeat(np.arange(len(encoded), dtype=np.int64), lens + 1)
    ends = np.cumsum(lens + 1) - 1  # where each message's separator sits
    remaining = np.repeat(ends, lens + 1) - np.arange(size)  # bytes left in the message
    b = data.astype(np.uint64)
    hashes = np.empty((size, len(CHAR_SIZES)), dtype=np.uint64)
    valid = np.empty((size, len(CHAR_SIZES)), dtype=bool)
    with np.errstate(over="ignore"):
        h = np.zeros(size, dtype=np.uint64)
        col = 0
        for k in range(max(CHAR_SIZES)):
            h[: size - k] = h[: size - k] * _BASE + b[k:]
            if k + 1 in CHAR_SIZES:
                hashes[:, col] = h ^ np.uint64(k + 1)
                valid[:, col] = remaining >= k + 1
                col += 1
    rows, cols = np.nonzero(valid)
    widths = np.asarray(CHAR_SIZES, dtype=np.int64)
    char = Grams(owner[rows], _bucket(hashes[valid], bits), rows, rows + widths[cols])
    is_word = _WORD_TABLE[data]
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    w_start = np.flatnonzero(edges == 1)
    w_end = np.flatnonzero(edges == -1)
    n_words = len(w_start)
    with np.errstate(over="ignore"):
        # a word's hash: sum of (byte + 1) * BASE^(offset in word), from global prefix sums
        powers = np.cumprod(np.full(size, _BASE, dtype=np.uint64))
        inverse = np.cumprod(np.full(size, np.uint64(pow(int(_BASE), -1, 1 << 64))))
        inverse = np.concatenate(([np.uint64(1)], inverse[:-1]))
        prefix = np.concatenate(([np.uint64(0)], np.cumsum((b + np.uint64(1)) * powers)))
        word_hash = (prefix[w_end] - prefix[w_start]) * inverse[w_start] * _BASE
        pair = np.empty((n_words, 2), dtype=np.uint64)
        pair[:, 0] = word_hash ^ np.uint64(101)
        pair[:-1, 1] = (word_hash[:-1] * _MIX + word_hash[1:]) ^ np.uint64(202)
    w_owner = owner[w_start]
    has_pair = np.zeros((n_words, 2), dtype=bool)
    has_pair[:, 0] = True
    has_pair[:-1, 1] = w_owner[1:] == w_owner[:-1]
    rows, cols = np.nonzero(has_pair)
    next_end = np.append(w_end[1:], 0)
    word = Grams(w_owner[rows], _bucket(pair[has_pair], bits), w_start[rows],
                 np.where(cols == 0, w_end[rows], next_end[rows]))
    return Occurrences(len(texts), raw, word, char)


def count_matrix(grams: Grams, rows: np.ndarray, n_rows: int, bits: int = BITS) -> sp.csr_matrix:
    """Counts per (row, bucket), where `rows[message]` is the row of each message (training)."""
    m = sp.csr_matrix((np.ones(len(grams.owner)), (rows[grams.owner], grams.bucket)),
                      shape=(n_rows, 1 << bits))
    m.sum_duplicates()
    return m
