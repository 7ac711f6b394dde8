"""Edges between ads, and the hub cut that keeps common keys from gluing a corpus together.

Edges are kept column-wise (numpy arrays of ad index, kind code, value, evidence reference)
because a million-ad corpus has millions of them; `Edge` objects with readable evidence are
made only when someone asks for them. Ads sharing a key are joined as a star around the first
ad seen with it (n-1 edges, not n^2 pairs), which gives the same components.

Hub cut: a phone in 5,000 ads is a site's support line or a scraping artefact, not a network.
A key shared by more than `max_key_ads` ads makes no edges and is reported as a `CutKey`, so an
analyst sees what was left out and why instead of one giant component.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KINDS = ("phone", "email", "handle", "url", "pdq", "md5", "near_dup", "template", "place")
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
# edges made by text likeness (a "place" edge is a shared poster-written location that the
# text supports: see `Linker._place_edges`); all of them are weak or scored, never a key
TEXT_KINDS = (KIND_CODE["near_dup"], KIND_CODE["template"], KIND_CODE["place"])
# text edges between copies of one text: they make the template clusters
COPY_KINDS = (KIND_CODE["near_dup"], KIND_CODE["template"])


@dataclass(frozen=True, slots=True)
class Edge:
    """One reason two ads belong together: `kind` and human-readable `evidence`."""

    ad_a: str
    ad_b: str
    kind: str
    evidence: str


@dataclass(frozen=True, slots=True)
class CutKey:
    """A key left out of linking because too many ads share it."""

    kind: str
    value: str
    ads: int
    limit: int
    after_linking: bool = False  # crossed the limit after earlier batches had used it

    @property
    def message(self) -> str:
        note = " (was used by earlier batches; networks recomputed)" if self.after_linking else ""
        return f"{self.kind} {self.value} in {self.ads:,} ads: cut (limit {self.limit:,}){note}"


class EdgeTable:
    """Growable columns: a, b (ad indices), kind (code), value (float), ref, ref2 (evidence).

    `value` is the Jaccard estimate, alignment ratio or PDQ distance; `ref` is the key id for
    key edges and the hash ids for PDQ edges.
    """

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._cache: tuple[np.ndarray, ...] | None = None

    def append(self, a, b, kind, value=None, ref=None, ref2=None) -> None:
        """Add edges; `kind` and the evidence columns may be scalars or arrays."""
        a = np.asarray(a, dtype=np.int64)
        if not len(a):
            return
        n = len(a)
        col = lambda x, dt, fill: (  # noqa: E731
            np.full(n, fill, dt) if x is None else np.broadcast_to(np.asarray(x, dt), (n,))
        )
        self._parts.append((
            a, np.asarray(b, dtype=np.int64), col(kind, np.int8, 0),
            col(value, np.float32, 0.0), col(ref, np.int64, -1), col(ref2, np.int64, -1),
        ))
        self._cache = None

    def columns(self) -> tuple[np.ndarray, ...]:
        """(a, b, kind, value, ref, ref2), concatenated."""
        if self._cache is None:
            if self._parts:
                self._cache = tuple(np.concatenate(c) for c in zip(*self._parts, strict=True))
            else:
                e = np.empty(0, np.int64)
                self._cache = (e, e, e.astype(np.int8), e.astype(np.float32), e, e)
            self._parts = [self._cache]
        return self._cache

    def __len__(self) -> int:
        return sum(len(p[0]) for p in self._parts)


class KeyGrouper:
    """Key string -> id, ad count and leader ad; turns shared keys into star edges.

    Incremental: `add` is called once per batch with the new ads' keys and returns only the
    new edges; counts carry over, so a key is cut as soon as it exceeds the limit.
    """

    def __init__(self, max_key_ads: int) -> None:
        self.max_key_ads = max_key_ads
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.counts = np.zeros(0, dtype=np.int64)
        self.leader = np.zeros(0, dtype=np.int64)
        self.used = np.zeros(0, dtype=bool)  # made at least one edge

    def add(self, ads: Sequence[int], keys: Sequence[str]) -> tuple[np.ndarray, ...]:
        """(leader ad, ad, key id) edges for new (ad, key) pairs; ads ascending, all new."""
        index, names = self.index, self.names

        def key_id(key: str) -> int:
            i = index.get(key)
            if i is None:
                i = index[key] = len(names)
                names.append(key)
            return i

        ids = np.fromiter(map(key_id, keys), dtype=np.int64, count=len(keys))
        grow = len(index) - len(self.counts)
        if grow:
            self.counts = np.concatenate([self.counts, np.zeros(grow, np.int64)])
            self.leader = np.concatenate([self.leader, np.full(grow, -1, np.int64)])
            self.used = np.concatenate([self.used, np.zeros(grow, bool)])
        ad = np.asarray(ads, dtype=np.int64)
        n = np.int64(max(len(self.counts), 1))
        codes = np.unique(ad * n + ids)  # sorted by ad, then key; one row per (ad, key)
        ad, ids = codes // n, codes % n
        self.counts += np.bincount(ids, minlength=len(self.counts))
        fresh = self.leader[ids] < 0
        first_ids, first_pos = np.unique(ids[fresh], return_index=True)
        self.leader[first_ids] = ad[fresh][first_pos]
        lead = self.leader[ids]
        keep = (lead != ad) & (self.counts[ids] <= self.max_key_ads)
        self.used[ids[keep]] = True
        return lead[keep], ad[keep], ids[keep]

    def cut(self) -> list[CutKey]:
        """Keys over the limit, most shared first."""
        over = np.flatnonzero(self.counts > self.max_key_ads)
        over = over[np.argsort(-self.counts[over], kind="stable")]
        out = []
        for i in over:
            kind, _, value = self.names[i].partition(":")
            out.append(CutKey(kind, value, int(self.counts[i]), self.max_key_ads,
                              bool(self.used[i])))
        return out

    def cut_ids(self) -> np.ndarray:
        return np.flatnonzero(self.counts > self.max_key_ads)
