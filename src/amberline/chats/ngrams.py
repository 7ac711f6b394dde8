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
_HASH = np.uint32
_MIX = np.uint32(0x9E3779B1)
_BASE = np.uint32(0x01000193)
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


@dataclass(slots=True)
class Table:
    """One block's n-grams laid out by position: row r is a byte (character n-grams, one column
    per width) or a word (columns: the word, the word and the next one). `valid` marks the
    n-grams that exist (inside one message); `owner` is the message of each row."""

    bucket: np.ndarray
    valid: np.ndarray
    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray  # per cell, or per column (a width) for character n-grams
    end_is_width: bool = False

    def ends(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        if self.end_is_width:
            return self.start[rows] + self.end[cols]
        return self.end[rows, cols]

    def grams(self) -> Grams:
        rows, cols = np.nonzero(self.valid)
        return Grams(self.owner[rows], self.bucket[rows, cols], self.start[rows],
                     self.ends(rows, cols))


@dataclass(slots=True)
class Tables:
    """Both blocks' tables for a batch of messages, and the bytes they index."""

    messages: int
    data: bytes
    word: Table
    char: Table

    def blocks(self) -> tuple[Table, Table]:
        return self.word, self.char

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace")


def _bucket(h: np.ndarray, bits: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        mixed = h * _MIX
    return (mixed >> _HASH(32 - bits)).astype(np.intp)


def tables(texts: Sequence[str], bits: int = BITS) -> Tables:
    """Word 1-2 grams and character 2-5 grams of each text, hashed into 2**bits buckets."""
    encoded = [t.lower().encode("utf-8", "replace") for t in texts]
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    raw = b" ".join(encoded) + b" " if encoded else b""
    data = _FOLD[np.frombuffer(raw, dtype=np.uint8)]
    size = len(data)
    owner = np.repeat(np.arange(len(encoded), dtype=np.int64), lens + 1)
    ends = np.cumsum(lens + 1) - 1  # where each message's separator sits
    remaining = np.repeat(ends, lens + 1) - np.arange(size)  # bytes left in the message
    b = data.astype(_HASH)
    widths = np.asarray(CHAR_SIZES, dtype=np.int64)
    hashes = np.empty((size, len(CHAR_SIZES)), dtype=_HASH)
    with np.errstate(over="ignore"):
        h = np.zeros(size, dtype=_HASH)
        col = 0
        for k in range(max(CHAR_SIZES)):
            h[: size - k] = h[: size - k] * _BASE + b[k:]
            if k + 1 in CHAR_SIZES:
                hashes[:, col] = h ^ _HASH(k + 1)
                col += 1
    char = Table(_bucket(hashes, bits), remaining[:, None] >= widths[None, :], owner,
                 np.arange(size), widths, end_is_width=True)
    is_word = _WORD_TABLE[data]
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    w_start = np.flatnonzero(edges == 1)
    w_end = np.flatnonzero(edges == -1)
    n_words = len(w_start)
    with np.errstate(over="ignore"):
        # a word's hash: sum of (byte + 1) * BASE^(offset in word), from global prefix sums
        powers = np.cumprod(np.full(size, _BASE, dtype=_HASH), dtype=_HASH)
        inverse = np.cumprod(np.full(size, _HASH(pow(int(_BASE), -1, 1 << 32))), dtype=_HASH)
        inverse = np.concatenate((np.ones(1, dtype=_HASH), inverse[:-1]))
        prefix = np.concatenate((np.zeros(1, dtype=_HASH),
                                 np.cumsum((b + _HASH(1)) * powers, dtype=_HASH)))
        word_hash = (prefix[w_end] - prefix[w_start]) * inverse[w_start] * _BASE
        pair = np.zeros((n_words, 2), dtype=_HASH)
        pair[:, 0] = word_hash ^ _HASH(101)
        pair[:-1, 1] = (word_hash[:-1] * _MIX + word_hash[1:]) ^ _HASH(202)
    w_owner = owner[w_start]
    has_pair = np.zeros((n_words, 2), dtype=bool)
    has_pair[:, 0] = True
    has_pair[:-1, 1] = w_owner[1:] == w_owner[:-1]
    word_ends = np.stack((w_end, np.append(w_end[1:], 0)), axis=1)
    word = Table(_bucket(pair, bits), has_pair, w_owner, w_start, word_ends)
    return Tables(len(texts), raw, word, char)


def occurrences(texts: Sequence[str], bits: int = BITS) -> Occurrences:
    """Every n-gram occurrence of each text, ordered by message (then by position)."""
    t = tables(texts, bits)
    return Occurrences(t.messages, t.data, t.word.grams(), t.char.grams())


def count_matrix(grams: Grams, rows: np.ndarray, n_rows: int, bits: int = BITS) -> sp.csr_matrix:
    """Counts per (row, bucket), where `rows[message]` is the row of each message (training)."""
    m = sp.csr_matrix((np.ones(len(grams.owner)), (rows[grams.owner], grams.bucket)),
                      shape=(n_rows, 1 << bits))
    m.sum_duplicates()
    return m
