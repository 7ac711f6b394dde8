"""MinHash signatures of ad text, computed for a whole batch at once with numpy.

Copied ads differ in phone numbers, prices and ages far more than in wording, so the text is
lower-cased and every digit masked to "0" before it is cut into word shingles (3 tokens by
default). One MinHash object per ad would cost interpreted work per shingle; here the tokens of a
chunk of texts are hashed together by a vectorised CRC-32 (`token_hashes`), shingles are
combined and permuted as uint32 array operations, and the per-ad minimum is one
`np.minimum.reduceat`. The permutations are datasketch's `affine32` scheme with the same seed,
so a signature equals `datasketch.MinHash(scheme="affine32", hashfunc=identity)` fed the same
shingle hashes (the tests check this value for value).

With the compiled core (`amberline.core`), `rust/src/minhash.rs` computes the same signatures
in one pass per text; this module's numpy code stays the reference and computes the texts the
core declines (a token with a character whose lower case depends on more than itself) or fails
on (with a warning: the signature is still exact, and the failure is not hidden).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from functools import cache
from itertools import chain
from typing import Any

import numpy as np

from amberline import core

_TOKEN = re.compile(r"[^\W_]+")
_MASK_DIGITS = re.compile(r"\d")
_COMBINE = np.uint32(0x01000193)
_EMPTY = np.uint32(0xFFFFFFFF)
_CHUNK_SHINGLES = 1 << 15
_CHUNK_TEXTS = 8192  # texts tokenised at a time: bounds the Python lists of token hashes
# Characters whose `str.lower` the core's one-to-one table cannot give: the dotted capital I
# (two characters) and the capital sigma (final or not by its context). A test checks that no
# other character lowers to anything but one character.
HARD_LOWER = ("\u0130", "\u03a3")


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (the premix datasketch applies), element-wise."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(2246822507)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(3266489909)
    return h ^ (h >> np.uint32(16))


def _crc_table() -> np.ndarray:
    poly, table = 0xEDB88320, np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table[i] = c
    return table


_CRC_TABLE = _crc_table()


def token_hashes(toks: Sequence[str]) -> np.ndarray:
    """CRC-32 (zlib's) of each lower-cased, digit-masked token, for all tokens at once.

    Why not `zlib.crc32` per token: a corpus has as many distinct tokens as ads (names, ids,
    typos), so a per-token Python call (or a cache of them) was most of the MinHash time. The
    tokens are joined with NUL (never part of a token), lower-cased and masked in one pass,
    encoded once, and the table-driven CRC runs byte position by byte position over every
    token still that long (tokens sorted by length, so the active ones are a prefix).
    """
    if not toks:
        return np.zeros(0, dtype=np.uint32)
    joined = _MASK_DIGITS.sub("0", "\x00".join(toks).lower())
    buf = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    ends = np.flatnonzero(buf == 0)
    starts = np.concatenate([[0], ends + 1])
    lengths = np.concatenate([ends, [len(buf)]]) - starts
    order = np.argsort(-lengths, kind="stable")
    pos, desc = starts[order], lengths[order]
    longer = np.searchsorted(-desc, -np.arange(int(desc[0])), side="left")  # tokens len > k
    crc = np.full(len(toks), 0xFFFFFFFF, dtype=np.uint32)
    for k, m in enumerate(longer.tolist()):
        c = crc[:m]
        c[:] = _CRC_TABLE[(c ^ buf[pos[:m] + k]) & 0xFF] ^ (c >> np.uint32(8))
    out = np.empty_like(crc)
    out[order] = crc ^ np.uint32(0xFFFFFFFF)
    return out


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
        self._a_bytes = self.a.astype("<u4").tobytes()
        self._b_bytes = self.b.astype("<u4").tobytes()

    def shingle_hashes_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Shingle hashes of all texts concatenated, and the number of shingles per text.

        A text shorter than the shingle size gives one shingle of all its tokens.
        """
        k = self.shingle_size
        per_text = [_TOKEN.findall(text) for text in texts]
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(texts))
        tok = token_hashes(list(chain.from_iterable(per_text)))
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
        plus one chunk's token hashes, whatever the batch size.
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

    def signature_rows(self, texts: Sequence[str]) -> tuple[list[bytes], list[bool]]:
        """Each text's signature as the blob the store keeps (`num_perm` little-endian uint32
        values) and whether the text is empty: what `signatures` gives, row by row.

        Why not `signatures` and a matrix: the core's bytes already are the blobs one after
        another, and a scan stores each new ad's blob, so they are sliced from there; the two
        copies into a uint32 matrix and back into bytes were work for nothing.
        """
        blobs: list[bytes] = []
        empty: list[bool] = []
        width = 4 * self.num_perm
        for lo in range(0, len(texts), _CHUNK_TEXTS):
            chunk = texts[lo : lo + _CHUNK_TEXTS]
            signed = self._core_signed(chunk, stacklevel=3)
            if signed is None:
                sig, none = self.reference_signatures(chunk)
                raw, redo = np.ascontiguousarray(sig, dtype="<u4").tobytes(), []
                none_list = none.tolist()
            else:
                raw, none_bytes, redo = signed
                none_list = list(map(bool, none_bytes))
            rows = [raw[i : i + width] for i in range(0, width * len(chunk), width)]
            if redo:
                sig, none = self.reference_signatures([chunk[i] for i in redo])
                again = np.ascontiguousarray(sig, dtype="<u4").tobytes()
                for k, (i, e) in enumerate(zip(redo, none.tolist(), strict=True)):
                    rows[i], none_list[i] = again[k * width : (k + 1) * width], e
            blobs += rows
            empty += none_list
        return blobs, empty

    def _signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        signed = self._core_signed(texts, stacklevel=4)
        if signed is None:
            return self.reference_signatures(texts)
        raw, none, redo = signed
        sig = np.frombuffer(raw, dtype="<u4").reshape(len(texts), self.num_perm).astype(np.uint32)
        empty = np.frombuffer(none, dtype=np.uint8).astype(bool)
        if redo:
            sig[redo], empty[redo] = self.reference_signatures([texts[i] for i in redo])
        return sig, empty

    def _core_signed(self, texts: Sequence[str], stacklevel: int
                     ) -> tuple[bytes, bytes, list[int]] | None:
        """The core's signature bytes of `texts`, one byte per text (1: empty) and the texts
        the reference must sign instead (declined, or failed with a warning); None without
        the core. `stacklevel` points the warning at the caller's caller."""
        signer = _signer() if texts and core.provides("MinHashSigner") else None
        if signer is None:
            return None
        data, bounds = core.batch_buffer(texts)
        raw, none, declined, errors = signer.signatures(
            data, bounds, self._a_bytes, self._b_bytes, self.shingle_size)
        if errors:
            index, message = errors[0]
            warnings.warn(f"the core's MinHash failed on {len(errors)} text(s) of the batch "
                          f"(text {index}: {message}); the reference signed them",
                          RuntimeWarning, stacklevel=stacklevel)
        return raw, none, sorted([*declined, *(i for i, _ in errors)])

    def reference_signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """`signatures` of the Python reference (what the core is held to)."""
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


@cache
def _signer(panic_on: str | None = None) -> Any:
    """The core's signer, built once per process from this Python's character tables."""
    from amberline.text.native import unicode_tables

    tables = unicode_tables()
    return core.load().MinHashSigner(  # type: ignore[union-attr]
        tables.flags, list(tables.lower), [ord(c) for c in HARD_LOWER],
        None if panic_on is None else ord(panic_on))


def jaccard_estimate(sig: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of pairs (i[k], j[k]): share of equal signature positions."""
    out = np.empty(len(i), dtype=np.float32)
    step = 1 << 16
    for lo in range(0, len(i), step):
        a, b = i[lo : lo + step], j[lo : lo + step]
        out[lo : lo + step] = (sig[a] == sig[b]).mean(axis=1)
    return out
