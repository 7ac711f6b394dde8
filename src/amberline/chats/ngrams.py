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

Two consumers, one hashing: training needs every occurrence (`occurrences`, numpy, counted
into a sparse matrix); screening needs only each message's sum of weights and, to explain a
score, each conversation's strongest n-grams. `weight_sums` does that in compiled loops (numba,
as `link/pdq_index.py`) that hash the same way, one pass over the bytes, without holding a
table per n-gram or sorting the occurrences; a test checks both routes agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

BITS = 20
CHAR_SIZES = (2, 3, 4, 5)
BLOCKS = ("word", "char")
_HASH = np.uint32
_MIX = np.uint32(0x9E3779B1)
_BASE = np.uint32(0x01000193)
_INVERSE = _HASH(pow(int(_BASE), -1, 1 << 32))
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
class Batch:
    """A batch of messages as one byte array: each message followed by one separator byte,
    so message i spans `starts[i]` up to its separator at `ends[i]`."""

    data: bytes
    codes: np.ndarray  # folded bytes (uint8)
    starts: np.ndarray
    ends: np.ndarray

    @property
    def messages(self) -> int:
        return len(self.starts)

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace")

    def owner_of(self, positions: np.ndarray) -> np.ndarray:
        """The message holding each byte position."""
        return np.searchsorted(self.starts, positions, side="right") - 1


def encode(texts: Sequence[str]) -> Batch:
    encoded = [t.lower().encode("utf-8", "replace") for t in texts]
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    raw = b" ".join(encoded) + b" " if encoded else b""
    ends = np.cumsum(lens + 1) - 1
    return Batch(raw, _FOLD[np.frombuffer(raw, dtype=np.uint8)], ends - lens, ends)


def _bucket(h: np.ndarray, bits: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        mixed = h * _MIX
    mixed >>= _HASH(32 - bits)
    return mixed.astype(np.intp)


def char_buckets(batch: Batch, bits: int) -> Iterator[tuple[int, np.ndarray]]:
    """Per width (2 to 5 bytes), the bucket of the character n-gram starting at every byte
    position; positions whose n-gram would leave its message (`dead_positions`) hold junk."""
    size = len(batch.codes)
    b = batch.codes.astype(_HASH)
    with np.errstate(over="ignore"):
        h = np.zeros(size, dtype=_HASH)
        for k in range(max(CHAR_SIZES)):
            h[: size - k] *= _BASE
            h[: size - k] += b[k:]
            if k + 1 in CHAR_SIZES:
                yield k + 1, _bucket(h ^ _HASH(k + 1), bits)


def dead_positions(batch: Batch, width: int) -> np.ndarray:
    """Byte positions where no n-gram of `width` bytes fits inside the message (the last
    `width - 1` bytes of each message and its separator); may repeat a position."""
    back = batch.ends[:, None] - np.arange(width)[None, :]
    return np.maximum(back, batch.starts[:, None]).ravel()


@dataclass(slots=True)
class Words:
    """Word unigrams (column 0) and bigrams (column 1) per word of a batch: bucket, whether the
    n-gram exists (a bigram needs a next word in the same message), owner message, span."""

    bucket: np.ndarray
    valid: np.ndarray
    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**(i+1) and BASE**-i for i < size (per call: training batches can be large, and
    keeping the largest between calls would hold its memory for the process's life)."""
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(size, _BASE, dtype=_HASH), dtype=_HASH)
        inverse = np.cumprod(np.full(size, _INVERSE, dtype=_HASH), dtype=_HASH)
    return powers, np.concatenate((np.ones(1, dtype=_HASH), inverse[:-1]))[:size]


def word_grams(batch: Batch, bits: int) -> Words:
    """Word 1-2 grams of a batch, hashed into 2**bits buckets."""
    data = batch.codes
    is_word = _WORD_TABLE[data]
    edges = np.diff(is_word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    w_start = np.flatnonzero(edges == 1)
    w_end = np.flatnonzero(edges == -1)
    n_words = len(w_start)
    powers, inverse = _powers(len(data))
    with np.errstate(over="ignore"):
        # a word's hash: sum of (byte + 1) * BASE^(offset in word), from global prefix sums
        terms = data.astype(_HASH)
        terms += _HASH(1)
        terms *= powers
        prefix = np.concatenate((np.zeros(1, dtype=_HASH), np.cumsum(terms, dtype=_HASH)))
        word_hash = (prefix[w_end] - prefix[w_start]) * inverse[w_start] * _BASE
        pair = np.zeros((n_words, 2), dtype=_HASH)
        pair[:, 0] = word_hash ^ _HASH(101)
        pair[:-1, 1] = (word_hash[:-1] * _MIX + word_hash[1:]) ^ _HASH(202)
    w_owner = batch.owner_of(w_start)
    valid = np.zeros((n_words, 2), dtype=bool)
    valid[:, 0] = True
    valid[:-1, 1] = w_owner[1:] == w_owner[:-1]
    ends = np.stack((w_end, np.append(w_end[1:], 0)), axis=1)
    return Words(_bucket(pair, bits), valid, w_owner, w_start, ends)


def occurrences(texts: Sequence[str], bits: int = BITS) -> Occurrences:
    """Every n-gram occurrence of each text (training), per block."""
    batch = encode(texts)
    words = word_grams(batch, bits)
    rows, cols = np.nonzero(words.valid)
    word = Grams(words.owner[rows], words.bucket[rows, cols], words.start[rows],
                 words.end[rows, cols])
    size = len(batch.codes)
    owner = np.repeat(np.arange(batch.messages), batch.ends - batch.starts + 1)
    parts = []
    for width, bucket in char_buckets(batch, bits):
        alive = np.ones(size, dtype=bool)
        alive[dead_positions(batch, width)] = False
        pos = np.flatnonzero(alive)
        parts.append((owner[pos], bucket[pos], pos, pos + width))
    char = Grams(*(np.concatenate(p) for p in zip(*parts, strict=True)))
    return Occurrences(batch.messages, batch.data, word, char)


def count_matrix(grams: Grams, rows: np.ndarray, n_rows: int, bits: int = BITS) -> sp.csr_matrix:
    """Counts per (row, bucket), where `rows[message]` is the row of each message (training)."""
    m = sp.csr_matrix((np.ones(len(grams.owner)), (rows[grams.owner], grams.bucket)),
                      shape=(n_rows, 1 << bits))
    m.sum_duplicates()
    return m


@dataclass(slots=True)
class Top:
    """Per conversation, the strong n-grams (|weight| at or above a cut-off) with the largest
    summed weight, largest first: byte span of one occurrence and the sum; start -1 where a
    conversation has fewer."""

    start: np.ndarray
    end: np.ndarray
    value: np.ndarray


@dataclass(slots=True)
class Sums:
    """Per message and block: summed weights and n-gram counts; per conversation and block,
    the strongest n-grams."""

    batch: Batch
    sums: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    top: dict[str, Top]


@dataclass(frozen=True, slots=True)
class StrongSet:
    """The buckets whose |weight| is at least a cut-off, as an open-addressing hash set small
    enough to stay in cache (a per-bucket array of 2**bits ids would not): `keys` per slot
    (the bucket, or -1) and `weights` per slot. The slots index a per-conversation
    accumulator."""

    keys: np.ndarray
    weights: np.ndarray


def strong_set(weights: np.ndarray, cutoff: float) -> StrongSet:
    w = weights.astype(np.float32, copy=False)
    strong = np.flatnonzero(np.abs(w) >= np.float32(cutoff))
    size = 16
    while size < 2 * len(strong):
        size *= 2
    keys = np.full(size, -1, dtype=np.int32)
    _fill(keys, strong.astype(np.int64))
    slot_weight = np.zeros(size, dtype=np.float32)
    taken = keys >= 0
    slot_weight[taken] = w[keys[taken]]
    return StrongSet(keys, slot_weight)


@numba.njit(cache=True, inline="always")
def _home(keys, bucket):  # pragma: no cover - compiled
    return ((bucket * 0x9E3779B1) >> 7) & (len(keys) - 1)


@numba.njit(cache=True)
def _fill(keys, buckets):  # pragma: no cover - compiled
    mask = len(keys) - 1
    for b in buckets:
        slot = _home(keys, b)
        while keys[slot] != -1:
            slot = (slot + 1) & mask
        keys[slot] = b


@numba.njit(cache=True, inline="always")
def _slot(keys, bucket):  # pragma: no cover - compiled
    """The slot of a bucket that is in the set."""
    mask = len(keys) - 1
    slot = _home(keys, bucket)
    while keys[slot] != bucket:
        slot = (slot + 1) & mask
    return slot


def weight_sums(texts: Sequence[str], first: np.ndarray, weights: dict[str, np.ndarray],
                cutoffs: dict[str, float], strong: dict[str, StrongSet], top: int,
                bits: int = BITS) -> Sums:
    """Each message's summed n-gram weights and n-gram count per block, and per conversation
    (`first[j]` is conversation j's first message; `first[-1]` the number of messages) the
    `top` n-grams whose |weight| is at least the block's cut-off with the largest summed
    weight in absolute value (`strong`: `strong_set` of each block's weights and cut-off).

    Compiled (numba) loops over each message's bytes, with the same hashes as `occurrences`:
    the numpy route costs a dozen passes over (bytes x widths) arrays per batch and a sort of
    every strong occurrence, these loops one pass over the bytes and a dense accumulator per
    conversation, and nothing is allocated per n-gram.
    """
    batch = encode(texts)
    shift = 32 - bits
    bounds = np.asarray(first, dtype=np.int64)
    sums, counts, tops = {}, {}, {}
    for name in BLOCKS:
        args = (batch.codes, batch.starts, batch.ends, bounds,
                weights[name].astype(np.float32, copy=False), np.float32(cutoffs[name]),
                strong[name].keys, strong[name].weights, shift, top)
        if name == "char":
            sums[name], counts[name], code, value = _char_pass(*args)
            start = np.where(code >= 0, code >> 3, -1)
            tops[name] = Top(start, np.where(code >= 0, start + (code & 7), -1), value)
        else:
            sums[name], counts[name], start, end, value = _word_pass(*args)
            tops[name] = Top(start, end, value)
    return Sums(batch, sums, counts, tops)


# uint64 arithmetic masked to 32 bits in the compiled loops, to equal numpy's uint32 hashes
_M64 = np.uint64(0xFFFFFFFF)
_MIX64 = np.uint64(int(_MIX))
_BASE64 = np.uint64(int(_BASE))
_MAX_WIDTH = max(CHAR_SIZES)
_MIN_WIDTH = min(CHAR_SIZES)


@numba.njit(cache=True)
def _take_top(keys, acc_count, slot_weight, acc_start, acc_end, used, filled, out_start,
              out_end, out_value, conv):  # pragma: no cover - compiled
    """Copy a conversation's largest sums (count x weight, by absolute value; ties: lower
    bucket) to row `conv` of the outputs, and empty the accumulator."""
    for t in range(min(out_start.shape[1], filled)):
        pick = -1
        best = -1.0
        for u in range(filled):
            slot = used[u]
            if slot < 0:
                continue
            size = abs(acc_count[slot] * slot_weight[slot])
            if size > best or (size == best and keys[slot] < keys[used[pick]]):
                pick, best = u, size
        slot = used[pick]
        out_start[conv, t] = acc_start[slot]
        out_end[conv, t] = acc_end[slot]
        out_value[conv, t] = acc_count[slot] * np.float64(slot_weight[slot])
        used[pick] = -1 - slot
    for u in range(filled):
        slot = used[u]
        acc_count[slot if slot >= 0 else -1 - slot] = 0


@numba.njit(cache=True)
def _buffers(n, n_conv, top, n_slots):  # pragma: no cover - compiled
    """Outputs (per message: sums, counts; per conversation: top spans and sums) and the
    per-conversation accumulator (counts per strong-set slot, zero between conversations;
    first span; the slots in use)."""
    return (np.zeros(n), np.zeros(n, np.int64), np.full((n_conv, top), -1, np.int64),
            np.full((n_conv, top), -1, np.int64), np.zeros((n_conv, top)),
            np.zeros(n_slots, np.int32), np.zeros(n_slots, np.int64),
            np.zeros(n_slots, np.int64), np.zeros(n_slots, np.int64))


@numba.njit(cache=True)
def _char_pass(codes, starts, ends, first, weights, cutoff, keys, slot_weight, shift, top
               ):  # pragma: no cover - compiled
    """Character 2-5 grams: per message the summed weights and the count; per conversation
    the `top` strong n-grams (see `weight_sums`) as start * 8 + width, and their sums."""
    n_conv = len(first) - 1
    (total, count, out_start, _, out_value, acc_count, acc_start, _,
     used) = _buffers(len(starts), n_conv, top, len(slot_weight))  # acc_start: start*8+width
    for conv in range(n_conv):
        filled = 0
        for i in range(first[conv], first[conv + 1]):
            lo, hi = starts[i], ends[i]
            acc = 0.0
            for p in range(lo, hi):
                h = np.uint64(0)
                for k in range(min(_MAX_WIDTH, hi - p)):
                    h = (h * _BASE64 + np.uint64(codes[p + k])) & _M64
                    if k + 1 < _MIN_WIDTH:
                        continue
                    b = np.int64((((h ^ np.uint64(k + 1)) * _MIX64) & _M64) >> np.uint64(shift))
                    w = weights[b]
                    acc += w
                    if abs(w) >= cutoff:
                        slot = _slot(keys, b)
                        if acc_count[slot] == 0:  # first occurrence in this conversation
                            acc_start[slot] = p * 8 + k + 1
                            used[filled] = slot
                            filled += 1
                        acc_count[slot] += 1
            total[i] = acc
            m = hi - lo
            for width in range(_MIN_WIDTH, _MAX_WIDTH + 1):
                if m >= width:
                    count[i] += m - width + 1
        _take_top(keys, acc_count, slot_weight, acc_start, acc_start, used, filled, out_start,
                  out_start, out_value, conv)
    return total, count, out_start, out_value


@numba.njit(cache=True)
def _word_pass(codes, starts, ends, first, weights, cutoff, keys, slot_weight, shift, top
               ):  # pragma: no cover - compiled
    """Word 1-2 grams, as `_char_pass`; a bigram's span runs from its first word's start to
    its second word's end."""
    n_conv = len(first) - 1
    (total, count, out_start, out_end, out_value, acc_count, acc_start, acc_end,
     used) = _buffers(len(starts), n_conv, top, len(slot_weight))
    table = _WORD_TABLE
    for conv in range(n_conv):
        filled = 0
        for i in range(first[conv], first[conv + 1]):
            lo, hi = starts[i], ends[i]
            acc = 0.0
            grams = 0
            prev = np.uint64(0)
            prev_start = -1
            p = lo
            while p < hi:
                if not table[codes[p]]:
                    p += 1
                    continue
                q = p
                h = np.uint64(0)
                power = (_BASE64 * _BASE64) & _M64
                while q < hi and table[codes[q]]:
                    h = (h + (np.uint64(codes[q]) + np.uint64(1)) * power) & _M64
                    power = (power * _BASE64) & _M64
                    q += 1
                for gram in range(2):
                    if gram == 0:
                        key = h ^ np.uint64(101)
                        g_start = p
                    elif prev_start >= 0:
                        key = ((prev * _MIX64 + h) & _M64) ^ np.uint64(202)
                        g_start = prev_start
                    else:
                        continue
                    b = np.int64(((key * _MIX64) & _M64) >> np.uint64(shift))
                    w = weights[b]
                    acc += w
                    grams += 1
                    if abs(w) >= cutoff:
                        slot = _slot(keys, b)
                        if acc_count[slot] == 0:  # first occurrence in this conversation
                            acc_start[slot] = g_start
                            acc_end[slot] = q
                            used[filled] = slot
                            filled += 1
                        acc_count[slot] += 1
                prev, prev_start = h, p
                p = q
            total[i] = acc
            count[i] = grams
        _take_top(keys, acc_count, slot_weight, acc_start, acc_end, used, filled, out_start,
                  out_end, out_value, conv)
    return total, count, out_start, out_end, out_value
