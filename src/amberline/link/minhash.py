"""MinHash signatures of ad text, computed for a whole batch at once with numpy.

Copied ads differ in phone numbers, prices and ages far more than in wording, so the text is
lower-cased and every digit masked to "0" before it is cut into word shingles (3 tokens by
default). One MinHash object per ad would cost ~100 µs of Python per ad; here tokens are hashed
once through a cache, shingles are combined and permuted as uint32 array operations, and the
per-ad minimum is one `np.minimum.reduceat`. The permutations are datasketch's `affine32`
scheme with the same seed, so a signature equals `datasketch.MinHash(scheme="affine32",
hashfunc=identity)` fed the same shingle hashes (the tests check this value for value).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"[^\W_]+")
_MASK_DIGITS = re.compile(r"\d")
_COMBINE = np.uint32(0x01000193)
_EMPTY = np.uint32(0xFFFFFFFF)
_CHUNK_SHINGLES = 1 << 15
_CACHE_TOKENS = 1 << 20  # token-hash cache entries kept; cleared beyond (random ids, typos)
_CHUNK_TEXTS = 8192  # texts tokenised at a time: bounds the Python lists of token hashes


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (the premix datasketch applies), element-wise."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(2246822507)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(3266489909)
    return h ^ (h >> np.uint32(16))


class _TokenHashes(dict):
    """Raw token -> CRC-32 of the lower-cased, digit-masked token, computed once per token.

    Masking inside the cache means the text itself is never rewritten: one regex pass per ad.
    """

    def __missing__(self, token: str) -> int:
        masked = _MASK_DIGITS.sub("0", token.lower())
        value = zlib.crc32(masked.encode("utf-8", "surrogatepass"))
        self[token] = value
        return value


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens with every digit masked to 0 (also used by templates)."""
    return _TOKEN.findall(_MASK_DIGITS.sub("0", text.lower()))


class MinHasher:
    """Vectorised MinHash: `signatures(texts)` -> (n, num_perm) uint32 matrix.

    A text with no tokens gets an all-0xFFFFFFFF row and `empty` marks it, so that LSH never
    pairs empty ads with each other.
    """

    def __init__(self, num_perm: int = 128, shingle_size: int = 3, seed: int = 1) -> None:
        if num_perm < 1 or shingle_size < 1:
            raise ValueError("num_perm and shingle_size must be positive")
        gen = np.random.RandomState(seed)
        self.a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        self.b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self._hashes = _TokenHashes()

    def shingle_hashes_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Shingle hashes of all texts concatenated, and the number of shingles per text.

        A text shorter than the shingle size gives one shingle of all its tokens.
        """
        k = self.shingle_size
        lookup = self._hashes.__getitem__
        lengths = np.zeros(len(texts), dtype=np.int64)
        flat: list[int] = []
        for i, text in enumerate(texts):
            toks = _TOKEN.findall(text)
            lengths[i] = len(toks)
            flat.extend(map(lookup, toks))
        tok = np.fromiter(flat, dtype=np.uint32, count=len(flat))
        total = len(tok)
        starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        doc = np.repeat(np.arange(len(texts)), lengths)
        pos = np.arange(total, dtype=np.int64) - starts[doc]
        remaining = lengths[doc] - pos  # tokens left in the doc from this position, >= 1
        valid = (remaining >= k) | ((pos == 0) & (lengths[doc] < k))
        padded = np.concatenate([tok, np.zeros(k, dtype=np.uint32)])
        h = tok.copy()
        for i in range(1, k):
            nxt = padded[i : total + i]
            h = np.where(remaining > i, (h * _COMBINE) ^ nxt, h)
        counts = np.bincount(doc[valid], minlength=len(texts)) if total else lengths * 0
        return h[valid], counts.astype(np.int64)

    def shingle_hashes(self, text: str) -> np.ndarray:
        """Shingle hashes of one text (the values a datasketch.MinHash would be updated with)."""
        return self.shingle_hashes_batch([text])[0]

    def signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(signature matrix (n, num_perm) uint32, empty mask (n,) bool) for a batch.

        Texts are tokenised `_CHUNK_TEXTS` at a time, so that peak memory is the output matrix
        plus one chunk's token hashes, whatever the batch size (10^6 ads fit in 1 GB).
        """
        n = len(texts)
        if n <= _CHUNK_TEXTS:
            return self._signatures(texts)
        sig = np.empty((n, self.num_perm), dtype=np.uint32)
        empty = np.empty(n, dtype=bool)
        for lo in range(0, n, _CHUNK_TEXTS):
            hi = min(lo + _CHUNK_TEXTS, n)
            sig[lo:hi], empty[lo:hi] = self._signatures(texts[lo:hi])
        return sig, empty

    def _signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        if len(self._hashes) > _CACHE_TOKENS:
            self._hashes.clear()
        shingles, counts = self.shingle_hashes_batch(texts)
        n = len(texts)
        sig = np.full((n, self.num_perm), _EMPTY, dtype=np.uint32)
        empty = counts == 0
        if not len(shingles):
            return sig, empty
        mixed = fmix32(shingles)
        docs = np.flatnonzero(~empty)
        doc_counts = counts[docs]
        doc_starts = np.zeros(len(docs), dtype=np.int64)
        np.cumsum(doc_counts[:-1], out=doc_starts[1:])
        doc_ends = doc_starts + doc_counts
        first = 0
        while first < len(docs):
            # take docs until the chunk holds _CHUNK_SHINGLES shingles (at least one doc)
            limit = doc_starts[first] + _CHUNK_SHINGLES
            last = max(first + 1, int(np.searchsorted(doc_ends, limit, side="right")))
            lo, hi = doc_starts[first], doc_ends[last - 1]
            # (num_perm, shingles): reduceat along the contiguous axis is ~20x faster
            permuted = self.a[:, None] * mixed[None, lo:hi] + self.b[:, None]
            sig[docs[first:last]] = np.minimum.reduceat(
                permuted, doc_starts[first:last] - lo, axis=1
            ).T
            first = last
        return sig, empty


def jaccard_estimate(sig: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of pairs (i[k], j[k]): share of equal signature positions."""
    out = np.empty(len(i), dtype=np.float32)
    step = 1 << 16
    for lo in range(0, len(i), step):
        a, b = i[lo : lo + step], j[lo : lo + step]
        out[lo : lo + step] = (sig[a] == sig[b]).mean(axis=1)
    return out
