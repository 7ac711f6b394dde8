"""The linker: turns batches of `LinkRecord`s into edges and growing networks.

One code path serves the full build and incremental linking: a full build is a single batch,
and each later batch computes only the edges that involve its new ads (key lookups against
the keys seen so far, LSH buckets that contain a new ad, PDQ queries for new hashes), then
merges them into the persistent union-find. Signatures, verified pairs and alignments of old
ads are never recomputed. `result()` gives the same partition as a rebuild over all records;
if a key crossed the hub limit after earlier batches had used it, its edges are dropped and
components recomputed from the stored edges (one scipy call), and the cut says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from amberline.identifiers import TEXT_KEY_KINDS, image_keys
from amberline.model import LinkRecord

from .components import UnionFind, bridged_components, components, contact_groups, separate
from .edges import KIND_CODE, TEXT_KINDS, EdgeTable, KeyGrouper
from .keys import PDQ, SUPPORT_KINDS
from .minhash import MinHasher, jaccard_estimate
from .neardup import banded_pairs, similar_pairs
from .pdq_index import PDQIndex
from .pdq_words import hex_to_words
from .rarity import ValueCounts
from .record import LinkConfig
from .templates import alignment_ratio, tokenize

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier: mixes a location into a value
_CONTACT_CODES = [KIND_CODE[k] for k in TEXT_KEY_KINDS]  # key edges of contacts (and URLs)

# Stored edges as `restore` takes them: ad index a, b, kind code, value, key (see `edge_keys`).
StoredEdges = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Sequence[str | None]]


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What one `Linker.add` did: ads added, edges made, new ads that joined an existing
    network, and merges of two or more existing networks (a bridging ad)."""

    added: int
    edges: int
    joined: int
    merges: int


class Linker:
    """Holds the linking state of a corpus; `add` a batch, then ask for `result()`."""

    def __init__(self, config: LinkConfig | None = None) -> None:
        self.config = cfg = config or LinkConfig()
        self.records: list[LinkRecord] = []
        self.minhasher = MinHasher(cfg.num_perm, cfg.shingle_size, cfg.seed)
        self.sig = np.zeros((0, cfg.num_perm), dtype=np.uint32)
        self.empty = np.zeros(0, dtype=bool)
        self.keys = KeyGrouper(cfg.max_key_ads)
        # supporting keys (typed locations): counted and cut like identifier keys, never
        # joined as keys (`_place_edges`)
        self.support = KeyGrouper(cfg.max_key_ads)
        self.place_of = np.zeros(0, dtype=np.int64)  # per ad: its typed location's id, or -1
        # rarity-weighted text scores only when a threshold asks for them (REAL_TEXT)
        self.counts = ValueCounts(cfg.num_perm, cfg.rarity_scale, cfg.max_key_ads) \
            if cfg.near_dup_score > 0 or cfg.template_score > 0 else None
        # (ad, key id) of identifier keys, for the bridge rule's "each side has its own"
        self._id_pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self._grouped: tuple[tuple[int, ...], np.ndarray, np.ndarray] | None = None
        # analyst decisions: pairs of ad indices never to be put in one network
        self.not_linked: list[tuple[int, int]] = []
        self.key_kind: list[int] = []
        self.edges = EdgeTable()
        self.uf = UnionFind()
        self.pdq = PDQIndex(cfg.pdq_max_distance)
        self.pdq_ids: dict[str, int] = {}
        self.pdq_hex: list[str] = []
        # Restored (stored) ads may come without text; this loads it for the few that a new
        # ad's template alignment needs: indices -> texts.
        self.text_loader: Callable[[list[int]], list[str]] | None = None
        self._text_missing: set[int] = set()

    def add(self, records: Iterable[LinkRecord],
            signatures: tuple[np.ndarray, np.ndarray] | None = None) -> BatchReport:
        """Link a batch of new ads. `signatures` (sig, empty) computed earlier (at scan time)
        spare the MinHash work; records given with them may leave `text` empty, and it is
        then fetched by `text_loader` only if a template alignment needs it."""
        new = list(records)
        base = len(self.records)
        self.records.extend(new)
        n = len(self.records)
        if signatures is not None:
            self._text_missing.update(i for i, r in enumerate(new, start=base) if not r.text)
        edges_before = len(self.edges)
        self._key_edges(new, base)
        self._text_edges(new, base, signatures)
        self._place_keys(new, base)
        self._place_edges(base)
        self._image_edges(new)
        a, b, *_ = self.edges.columns()
        a, b = a[edges_before:], b[edges_before:]
        self.uf.grow(n)
        merged = self.uf.union(a, b)
        roots = self.uf.find(np.arange(base, n))
        return BatchReport(
            added=len(new),
            edges=len(a),
            joined=int((roots < base).sum()),
            merges=sum(1 for g in merged if int((g < base).sum()) >= 2),
        )

    def _key_pairs(self, new: Sequence[LinkRecord], base: int) -> tuple[list[int], list[str]]:
        ads: list[int] = []
        keys: list[str] = []
        min_q = self.config.pdq_min_quality
        for i, rec in enumerate(new, start=base):
            for kind, value in [*rec.keys, *image_keys(rec.images, min_q)]:
                if kind in KIND_CODE and kind not in SUPPORT_KINDS and self.config.enabled(kind):
                    ads.append(i)
                    keys.append(f"{kind}:{value}")
        return ads, keys

    def _key_edges(self, new: list[LinkRecord], base: int) -> None:
        ads, keys = self._key_pairs(new, base)
        if not ads:
            return
        known = len(self.keys.names)
        lead, ad, kid = self.keys.add(ads, keys)
        if self.config.bridge_contested or self.config.bridge_contacts:
            self._note_identifiers(ads, keys)
        self.key_kind.extend(KIND_CODE[k.partition(":")[0]] for k in self.keys.names[known:])
        kinds = np.asarray(self.key_kind, dtype=np.int8)[kid]
        self.edges.append(lead, ad, kinds, ref=kid)

    def _note_identifiers(self, ads: Sequence[int], keys: Sequence[str]) -> None:
        index = self.keys.index
        pick = [(a, index[k]) for a, k in zip(ads, keys, strict=True)
                if k.partition(":")[0] in TEXT_KEY_KINDS]
        if pick:
            arr = np.asarray(pick, dtype=np.int64)
            self._id_pairs.append((arr[:, 0], arr[:, 1]))

    def posters(self) -> np.ndarray:
        """Per ad, the first ad of its poster as identifiers (keys, images) tell it so far."""
        a, b, kind, *_ = self.edges.columns()
        keyed = ~np.isin(kind, TEXT_KINDS) & self.live_mask()
        labels = components(len(self.records), a[keyed], b[keyed])
        _, first = np.unique(labels, return_index=True)
        return first[labels]

    def has_identifiers(self) -> np.ndarray:
        """Per ad: does it carry an identifier key (phone, e-mail, handle, URL) not cut?"""
        out = np.zeros(len(self.records), dtype=bool)
        if self._id_pairs:
            ads = np.concatenate([p[0] for p in self._id_pairs])
            kid = np.concatenate([p[1] for p in self._id_pairs])
            out[ads[~np.isin(kid, self.keys.cut_ids())]] = True
        return out

    def _text_edges(self, new: list[LinkRecord], base: int,
                    signatures: tuple[np.ndarray, np.ndarray] | None) -> None:
        cfg = self.config
        if signatures is None:
            signatures = self.minhasher.signatures([r.text for r in new])
        sig, empty = signatures
        if len(self.sig):
            self.sig = np.concatenate([self.sig, sig])
            self.empty = np.concatenate([self.empty, empty])
        else:  # first batch (a full build): no copy of the largest array linking holds
            self.sig, self.empty = np.asarray(sig, dtype=np.uint32), np.asarray(empty, bool)
        if self.counts is not None:
            self.counts.add(self.sig, self.empty, np.arange(base, len(self.records)),
                            self.posters())
        near_on, template_on = cfg.enabled("near_dup"), cfg.enabled("template")
        if not (near_on or template_on):
            return
        lower = min(cfg.template_threshold, cfg.near_dup_threshold)
        i, j, est = similar_pairs(self.sig, self.empty, lower, base, cfg.max_bucket_pairs)
        # the edge score: how much of what the two ads share is rare in the corpus (without
        # rarity counts, the raw estimate; its permille is then -1: "not measured")
        scored = self.counts is not None
        score = self.counts.scores(self.sig, i, j) if scored else est
        near = (est >= cfg.near_dup_threshold) & (score >= cfg.near_dup_score)

        def permille(x: np.ndarray, measured: bool = True) -> np.ndarray:
            return np.round(x * 1000).astype(np.int64) if measured else np.full(len(x), -1)

        if near_on:
            self.edges.append(i[near], j[near], KIND_CODE["near_dup"], score[near],
                              ref=permille(score[near], scored), ref2=permille(est[near]))
        rest = ~near & (score >= cfg.template_score)
        i, j, est, score = i[rest], j[rest], est[rest], score[rest]
        if not len(i) or not template_on:
            return
        # align only pairs not already joined by text edges: the rest add nothing to templates
        ea, eb, kind, *_ = self.edges.columns()
        text = np.isin(kind, TEXT_KINDS)
        label = components(len(self.records), ea[text], eb[text])
        apart = label[i] != label[j]
        i, j, est, score = i[apart], j[apart], est[apart], score[apart]
        self._load_texts(np.union1d(i, j).tolist())
        cache: dict[int, list[str]] = {}

        def toks(k: int) -> list[str]:
            if k not in cache:
                cache[k] = [t[0] for t in tokenize(self.records[k].text)]
            return cache[k]

        pairs = zip(i.tolist(), j.tolist(), strict=True)
        ratio = np.array([alignment_ratio(toks(x), toks(y)) for x, y in pairs], np.float32)
        ok = ratio >= cfg.template_ratio
        self.edges.append(i[ok], j[ok], KIND_CODE["template"], ratio[ok],
                          ref=permille(score[ok], scored), ref2=permille(est[ok]))

    def _place_keys(self, records: Sequence[LinkRecord], base: int) -> None:
        """Count the typed locations (supporting keys) of ads base.. and note each ad's
        (only when place edges are on: a run's settings hold for the store until a rebuild)."""
        ads: list[int] = []
        keys: list[str] = []
        on = self.config.place_edges and self.config.enabled("place")
        for i, rec in enumerate(records if on else (), start=base):
            found = next((f"{k}:{v}" for k, v in rec.keys if k in SUPPORT_KINDS), None)
            if found is not None:
                ads.append(i)
                keys.append(found)
        place = np.full(len(records), -1, dtype=np.int64)
        if ads:
            self.support.add(ads, keys)
            index = self.support.index
            place[np.asarray(ads, dtype=np.int64) - base] = [index[k] for k in keys]
        self.place_of = np.concatenate([self.place_of, place])

    def _place_edges(self, base: int) -> None:
        """Edges between ads whose posters typed the same location and whose texts agree on
        at least `place_text_min` of their MinHash positions.

        Why both: a typed location is shared by unrelated posters of one town, and a little
        shared text by unrelated posters copying the same phrases; an operator posting many
        different texts under one number keeps typing the same location. Candidates without
        pairing every two ads of a location: per MinHash position, ads are bucketed by
        (location, value), like LSH bands of one row, so two ads meet when they agree on a
        position at all (a pair that passes agrees on several), and buckets larger than
        `max_bucket_pairs` are chained. A location held by more than `max_key_ads` ads is a
        hub and pairs nothing."""
        cfg = self.config
        kid = self.place_of
        active = (kid >= 0) & ~self.empty
        active[active] = self.support.counts[kid[active]] <= cfg.max_key_ads
        if not active[base:].any():
            return
        salt = kid.astype(np.uint64) * _MIX

        def key_of(band: int) -> np.ndarray:
            h = (self.sig[:, band].astype(np.uint64) ^ salt) * _MIX
            return h ^ (h >> np.uint64(29))

        i, j = banded_pairs(key_of, self.sig.shape[1], active, base, cfg.max_bucket_pairs)
        same = kid[i] == kid[j]
        i, j = i[same], j[same]
        est = jaccard_estimate(self.sig, i, j)
        keep = est >= cfg.place_text_min
        self.edges.append(i[keep], j[keep], KIND_CODE["place"], est[keep], ref=kid[i[keep]])

    def _fresh_pdq(self, records: Sequence[LinkRecord]) -> list[str]:
        """Register PDQ hashes not seen before; returns them in order."""
        fresh: list[str] = []
        for rec in records:
            for kind, value in image_keys(rec.images, self.config.pdq_min_quality):
                if kind == PDQ and value not in self.pdq_ids:
                    self.pdq_ids[value] = len(self.pdq_hex)
                    self.pdq_hex.append(value)
                    fresh.append(value)
        return fresh

    def _load_texts(self, indices: list[int]) -> None:
        missing = [k for k in indices if k in self._text_missing]
        if not missing or self.text_loader is None:
            return
        for k, text in zip(missing, self.text_loader(missing), strict=True):
            self.records[k].text = text
            self._text_missing.discard(k)

    def _image_edges(self, new: list[LinkRecord]) -> None:
        if not self.config.enabled(PDQ):
            return
        fresh = self._fresh_pdq(new)
        if not fresh:
            return
        first = len(self.pdq)
        words = hex_to_words(fresh)
        self.pdq.add(words)
        q, ids, dist = self.pdq.query(words)
        q = q + first
        keep = ids < q  # each pair once; new hashes have the larger ids
        q, ids, dist = q[keep], ids[keep], dist[keep]
        index = self.keys.index
        kq = np.array([index[f"{PDQ}:{self.pdq_hex[u]}"] for u in q.tolist()], dtype=np.int64)
        ki = np.array([index[f"{PDQ}:{self.pdq_hex[u]}"] for u in ids.tolist()], dtype=np.int64)
        limit = self.config.max_key_ads
        ok = (self.keys.counts[kq] <= limit) & (self.keys.counts[ki] <= limit)
        self.keys.used[kq[ok]] = True
        self.keys.used[ki[ok]] = True
        self.edges.append(
            self.keys.leader[ki[ok]], self.keys.leader[kq[ok]], KIND_CODE[PDQ],
            dist[ok], ref=ids[ok], ref2=q[ok],
        )

    def restore(self, records: Sequence[LinkRecord], sig: np.ndarray, empty: np.ndarray,
                edges: StoredEdges) -> None:
        """Take up the state an earlier run left in the store, recomputing nothing costly.

        `records` are the linked ads in order (text may be empty: `text_loader` fetches it when
        a new ad needs aligning against one), `sig`/`empty` their stored signatures, `edges`
        the stored edges with their keys. Key counts, leaders and the PDQ index are rebuilt
        from the records' keys (dictionary and numpy work, no hashing of text), and the
        union-find from the live edges, so that `add` then links new ads exactly as if this
        linker had seen every earlier batch itself.
        """
        if self.records:
            raise ValueError("restore needs a fresh Linker")
        self.records = list(records)
        self.sig, self.empty = sig, empty
        self._text_missing = {i for i, r in enumerate(self.records) if not r.text}
        ads, names = self._key_pairs(self.records, 0)
        if ads:
            self.keys.add(ads, names)
            if self.config.bridge_contested or self.config.bridge_contacts:
                self._note_identifiers(ads, names)
            self.key_kind = [KIND_CODE[k.partition(":")[0]] for k in self.keys.names]
        self.keys.used[:] = False  # set below from the edges really made
        self._place_keys(self.records, 0)  # counts and each ad's; the edges are stored
        if self.config.enabled(PDQ):
            fresh = self._fresh_pdq(self.records)
            if fresh:
                self.pdq.add(hex_to_words(fresh))
        a, b, kind, value, key = edges
        ref = np.full(len(a), -1, dtype=np.int64)
        ref2 = ref.copy()
        index, pdq_ids = self.keys.index, self.pdq_ids
        for e, name in enumerate(key):
            if name is None:
                continue
            if kind[e] == KIND_CODE["place"]:
                ref[e] = self.support.index[name]
            elif "~" in name:  # near-identical images: "pdq:<older hex>~<newer hex>"
                older, _, newer = name.partition(":")[2].partition("~")
                ref[e], ref2[e] = pdq_ids[older], pdq_ids[newer]
                self.keys.used[[index[f"{PDQ}:{older}"], index[f"{PDQ}:{newer}"]]] = True
            else:
                ref[e] = index[name]
                self.keys.used[ref[e]] = True
        self.edges.append(a, b, kind, value, ref, ref2)
        self.uf.grow(len(self.records))
        live = self.live_mask()
        self.uf.union(np.asarray(a)[live], np.asarray(b)[live])
        if self.counts is not None:
            self.counts.add(self.sig, self.empty, poster=self.posters())

    def edge_keys(self, lo: int, hi: int) -> list[str | None]:
        """The key behind each edge lo..hi-1, in the form `restore` takes back."""
        _, _, kind, _, ref, ref2 = self.edges.columns()
        out: list[str | None] = []
        for k, r, r2 in zip(kind[lo:hi].tolist(), ref[lo:hi].tolist(), ref2[lo:hi].tolist(),
                            strict=True):
            if k == KIND_CODE["place"]:
                out.append(self.support.names[r])
            elif k in TEXT_KINDS:
                out.append(None)
            elif k == KIND_CODE[PDQ] and r2 >= 0:
                out.append(f"{PDQ}:{self.pdq_hex[r]}~{self.pdq_hex[r2]}")
            else:
                out.append(self.keys.names[r])
        return out

    def live_mask(self) -> np.ndarray:
        """Edges still valid: none through a key (or image hash, or typed location) that is
        now cut."""
        _, _, kind, _, ref, ref2 = self.edges.columns()
        cut = self.keys.cut_ids()
        place = kind == KIND_CODE["place"]
        dead = place & np.isin(ref, self.support.cut_ids())
        if not len(cut):
            return ~dead
        is_key = ~np.isin(kind, TEXT_KINDS) & (kind != KIND_CODE[PDQ])
        dead |= is_key & np.isin(ref, cut)
        pdq = np.flatnonzero(kind == KIND_CODE[PDQ])
        if len(pdq):
            index = self.keys.index
            hex_key = [index[f"{PDQ}:{h}"] for h in self.pdq_hex]
            key_of = np.asarray(hex_key, dtype=np.int64)
            exact = pdq[ref2[pdq] < 0]  # exact-hash star edges carry the key id in ref
            near = pdq[ref2[pdq] >= 0]
            dead[exact] = np.isin(ref[exact], cut)
            dead[near] = np.isin(key_of[ref[near]], cut) | np.isin(key_of[ref2[near]], cut)
        return ~dead

    def weak_mask(self) -> np.ndarray:
        """Edges the bridge rule treats as weak: templates, places, and near-duplicates whose
        score is below `strong_text_score` (a near-copy of rare text is strong, like a key)."""
        _, _, kind, value, *_ = self.edges.columns()
        return np.isin(kind, (KIND_CODE["template"], KIND_CODE["place"])) | (
            (kind == KIND_CODE["near_dup"]) & (value < self.config.strong_text_score))

    def _contact_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Edges (first ad of its contact group, ad) under the contact bridge rule
        (`components.contact_groups`); copies of one text (equal MinHash signatures, numbers
        masked) vouch once."""
        n = len(self.records)
        if not self._id_pairs:
            e = np.empty(0, dtype=np.int64)
            return e, e
        ads = np.concatenate([p[0] for p in self._id_pairs])
        kid = np.concatenate([p[1] for p in self._id_pairs])
        keep = ~np.isin(kid, self.keys.cut_ids())
        ads, kid = ads[keep], kid[keep]
        m = np.int64(len(self.keys.names))
        multi = np.flatnonzero(np.bincount(np.unique(ads * m + kid) // m, minlength=n) >= 2)
        text = np.full(n, -1, dtype=np.int64)
        if len(multi):
            _, inverse = np.unique(self.sig[multi], axis=0, return_inverse=True)
            text[multi] = inverse.reshape(-1)
        group = contact_groups(n, ads, kid, text, self.config.bridge_support)
        member = np.flatnonzero((group >= 0) & (group != np.arange(n)))
        return group[member], member

    def _grouping(self) -> tuple[np.ndarray, np.ndarray]:
        state = (len(self.edges), len(self.keys.cut_ids()), len(self.support.cut_ids()),
                 len(self.not_linked))
        if self._grouped is None or self._grouped[0] != state:
            a, b, kind, value, *_ = self.edges.columns()
            live = self.live_mask()
            cfg = self.config
            n = len(self.records)
            # the edges grouping works on: live edges, and with the contact bridge rule the
            # contact-key edges replaced by edges within each contact group
            keep = live.copy()
            if cfg.bridge_contacts:
                contact = np.isin(kind, _CONTACT_CODES)
                keep &= ~contact
                xa, xb = self._contact_edges()
            else:
                xa = xb = np.empty(0, dtype=np.int64)
            ea, eb = np.concatenate([a[keep], xa]), np.concatenate([b[keep], xb])
            extra = np.zeros(len(xa), dtype=bool)
            text = np.isin(kind, TEXT_KINDS)
            strength = None  # strongest first where edges are rejoined one by one
            if cfg.bridge_contested or self.not_linked:
                strength = np.where(text, value, 2.0)
                strength[kind == KIND_CODE["template"]] = 0.0
                strength = np.concatenate([strength[keep], np.full(len(xa), 2.0)])
            if cfg.bridge_rule:
                labels, used = bridged_components(
                    n, ea, eb, np.concatenate([text[keep], extra]),
                    np.concatenate([self.weak_mask()[keep], extra]),
                    self.has_identifiers() if cfg.bridge_contested else None,
                    cfg.bridge_min_ads, cfg.bridge_support, strength)
            else:
                labels = components(n, ea, eb)
                used = np.ones(len(ea), dtype=bool)
            if self.not_linked:
                assert strength is not None
                labels, used = separate(n, ea, eb, strength, used, labels, self.not_linked)
            mask = np.zeros(len(a), dtype=bool)
            mask[np.flatnonzero(keep)] = used[: int(keep.sum())]
            if cfg.bridge_contacts:
                held = np.flatnonzero(live & contact)
                mask[held] = labels[a[held]] == labels[b[held]]
            self._grouped = (state, labels, mask)
        return self._grouped[1], self._grouped[2]

    def used_mask(self) -> np.ndarray:
        """Edges that hold networks together: live (no cut key), kept by the bridge rule and
        by the analysts' "not linked" decisions."""
        return self._grouping()[1]

    def labels(self) -> np.ndarray:
        """Canonical network label per ad, identical to a full rebuild's: the components of
        the live edges under the bridge rule (`components.bridged_components`)."""
        return self._grouping()[0]

    def result(self):
        from .result import build_result

        return build_result(self)


def link_records(records: Iterable[LinkRecord], config: LinkConfig | None = None):
    """Link a corpus in one batch: edges, networks with features and scores, cut hubs."""
    linker = Linker(config)
    linker.add(records)
    return linker.result()
