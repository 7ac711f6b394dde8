"""How rare is the text two ads share? Boilerplate learned from the corpus itself.

Why: real ads share site boilerplate (disclaimers, "100% real", emoji banners, rate-table
scaffolding). A plain Jaccard counts a shared disclaimer as much as a shared sentence nobody
else wrote, so ads of unrelated posters look like copies. Like a hub key, a piece of text that
recurs across many ads says little about who wrote it.

How, without keeping every shingle of every ad: each MinHash position holds the hash of one
shingle of the ad (the one with the smallest permuted hash). How many ads hold the same value
at the same position is a document frequency of that shingle, seen through the signature. The
counts are kept in one table indexed by a hash of (position, value), updated batch by batch,
so an incremental run and a rebuild see the same counts once all ads are added. A value held by
`c` ads weighs `log(1 + scale / c)`, and 0 above `cut` ads (cut like a hub key). Two ads'
score is the weighted share of positions on which they agree (a weighted Jaccard): identical
texts still score 1, but two texts that agree mostly on common boilerplate score low.

Counts are over distinct posters as far as linking knows them: ads joined by identifiers
(phones, e-mails, handles) count a value once. When every number is masked that is mostly one
ad per poster; reposts of one ad then raise the counts of its own text, but they raise both
sides of the ratio alike, so copies of one ad keep a high score with each other.
"""

from __future__ import annotations

import numpy as np

_TABLE_BITS = 24  # 16M counters (64 MB, allocated lazily by the OS until touched)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_ROWS = 1 << 15  # signature rows hashed at a time (bounds the temporary arrays)


class ValueCounts:
    """Ads per (signature position, value), approximately (hashed; collisions only add)."""

    def __init__(self, num_perm: int, scale: float = 50.0, cut: int = 500) -> None:
        self.table = np.zeros(1 << _TABLE_BITS, dtype=np.int32)
        salt = np.random.RandomState(7).randint(1, 1 << 62, num_perm, dtype=np.int64)
        self.salt = salt.astype(np.uint64)
        self.scale, self.cut = float(scale), int(cut)

    def _slots(self, sig: np.ndarray) -> np.ndarray:
        h = (sig.astype(np.uint64) ^ self.salt[None, :]) * _MIX
        return (h >> np.uint64(64 - _TABLE_BITS)).astype(np.int64)

    def add(self, sig: np.ndarray, empty: np.ndarray, rows: np.ndarray | None = None,
            poster: np.ndarray | None = None) -> None:
        """Count the signatures `sig[rows]` of new ads (all rows by default; empty texts hold
        no shingle and are skipped). `poster[r]` is the first ad of row r's poster (ads joined
        by identifiers): a value that ad already holds at the same position is not counted
        again, so a poster's reposts count once, like one poster."""
        rows = np.arange(len(sig)) if rows is None else np.asarray(rows, dtype=np.int64)
        rows = rows[~np.asarray(empty, dtype=bool)[rows]]
        for lo in range(0, len(rows), _ROWS):
            part = rows[lo : lo + _ROWS]
            block = sig[part]
            slots = self._slots(block)
            if poster is not None:
                lead = poster[part]
                again = (block == sig[lead]) & (lead != part)[:, None]
                slots = slots[~again]
            self.table += np.bincount(slots.ravel(), minlength=len(self.table)).astype(np.int32)

    def weights(self, sig: np.ndarray) -> np.ndarray:
        """(rows, num_perm) float32: the weight of each signature value of these ads."""
        out = np.empty(sig.shape, dtype=np.float32)
        for lo in range(0, len(sig), _ROWS):
            c = self.table[self._slots(sig[lo : lo + _ROWS])].astype(np.float32)
            w = np.log1p(self.scale / np.maximum(c, 1.0))
            w[c > self.cut] = 0.0
            out[lo : lo + _ROWS] = w
        return out

    def scores(self, sig: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Rarity-weighted agreement of pairs (i[k], j[k]) in [0, 1]: the weight of the
        positions where both hold the same value over the mean weight of both ads."""
        out = np.zeros(len(i), dtype=np.float32)
        if not len(i):
            return out
        ads, inv = np.unique(np.concatenate([i, j]), return_inverse=True)
        w = self.weights(sig[ads])
        total = w.sum(axis=1)
        ii, jj = inv[: len(i)], inv[len(i):]
        step = 1 << 16
        for lo in range(0, len(i), step):
            a, b = ii[lo : lo + step], jj[lo : lo + step]
            agree = sig[ads[a]] == sig[ads[b]]
            shared = (w[a] * agree).sum(axis=1)
            whole = (total[a] + total[b]) / 2
            out[lo : lo + step] = np.where(whole > 0, shared / np.maximum(whole, 1e-9), 0.0)
        return out
