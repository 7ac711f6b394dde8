"""The result of linking: networks with features, scores and templates, edges with evidence.

This is what the store and the CLI consume: networks ranked by score, each with its member ad
keys, the keys its members share, which kinds of edges hold it together, its template(s), its
features and the explained score; the cut hubs with a readable message; and every edge with
evidence an analyst can check.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from amberline.identifiers import image_keys
from amberline.model import PHONE, LinkRecord

from .components import components
from .edges import COPY_KINDS, KINDS, CutKey, Edge
from .features import NetworkFeatures, network_features
from .keys import MD5, PDQ, SUPPORT_KINDS
from .network_score import Contribution, score_network
from .record import LinkConfig
from .templates import Template, derive_template, digits

if TYPE_CHECKING:
    from .linker import Linker


@dataclass(slots=True)
class Network:
    """One connected group of ads. `id` derives from its earliest ad, so it is stable as the
    network grows; `keys` are (kind, value, ads) shared by at least two members."""

    id: str
    members: list[int]
    ads: list[str]
    keys: list[tuple[str, str, int]]
    edge_kinds: dict[str, int]
    templates: list[int]
    features: NetworkFeatures
    score: float
    contributions: list[Contribution] = field(default_factory=list)


@dataclass(slots=True)
class LinkResult:
    """Everything `link_records` found; `edges()` yields them with readable evidence.

    `template_clusters` are groups of ads joined by text edges; `Network.templates` index them.
    """

    records: list[LinkRecord]
    labels: np.ndarray
    networks: list[Network]
    template_clusters: list[list[int]]
    template_sample: int
    cut_keys: list[CutKey]
    columns: tuple[np.ndarray, ...]
    key_names: list[str]
    pdq_hex: list[str]
    config: LinkConfig = field(default_factory=LinkConfig)
    support_names: list[str] = field(default_factory=list)
    _template_cache: dict[int, Template | None] = field(default_factory=dict)

    def template(self, cluster: int) -> Template | None:
        """Template of a text cluster (index as in `Network.templates`), derived on first use:
        alignment costs milliseconds per cluster, so it is paid only for clusters shown."""
        if cluster not in self._template_cache:
            self._template_cache[cluster] = derive_cluster_template(
                self.records, self.template_clusters[cluster], self.template_sample
            )
        return self._template_cache[cluster]

    @property
    def templates(self) -> list[Template]:
        """All templates that have slots (derives every cluster: for small corpora)."""
        out = [self.template(c) for c in range(len(self.template_clusters))]
        return [t for t in out if t is not None]

    def edges(self) -> Iterator[Edge]:
        a, b, kind, value, ref, ref2 = self.columns
        for i in range(len(a)):
            k = KINDS[kind[i]]
            yield Edge(self.records[a[i]].ad_key, self.records[b[i]].ad_key, k,
                       self._evidence(k, float(value[i]), int(ref[i]), int(ref2[i])))

    def _evidence(self, kind: str, value: float, ref: int, ref2: int) -> str:
        return edge_evidence(kind, value, ref, ref2, self.key_names, self.pdq_hex, self.config,
                             self.support_names)

    def edge_counts(self) -> dict[str, int]:
        counts = np.bincount(self.columns[2], minlength=len(KINDS))
        return {k: int(c) for k, c in zip(KINDS, counts, strict=True) if c}


def edge_evidence(kind: str, value: float, ref: int, ref2: int, key_names: list[str],
                  pdq_hex: list[str], config: LinkConfig | None = None,
                  support_names: list[str] | None = None) -> str:
    """What an analyst reads for one edge: the shared key, or the similarity, its measures
    and the thresholds it passed. Text edges carry their rarity-weighted score and raw
    Jaccard in permille in `ref`/`ref2`; place edges the id of their typed location among
    `support_names`."""
    cfg = config or LinkConfig()
    if kind == "place":
        place = (support_names or [])[ref].partition(":")[2] if support_names else "?"
        return (f"same typed location '{place}' and text in common: Jaccard {value:.2f} >= "
                f"{cfg.place_text_min:.2f} (weak edge: the location alone is not enough)")
    if kind in ("near_dup", "template"):
        raw = f"raw Jaccard {ref2 / 1000:.2f}" if ref2 >= 0 else ""
        rare = (f"rarity-weighted score {ref / 1000:.2f} >= "
                f"{cfg.near_dup_score if kind == 'near_dup' else cfg.template_score:.2f}; "
                if ref >= 0 else "")
        if kind == "near_dup":
            strength = "strong" if value >= cfg.strong_text_score else "weak"
            return (f"near-duplicate text: {rare}{raw or f'Jaccard {value:.2f}'} >= "
                    f"{cfg.near_dup_threshold:.2f} ({strength} edge: strong from "
                    f"{cfg.strong_text_score:.2f})")
        return (f"same text template: token alignment {value:.2f} >= {cfg.template_ratio:.2f}; "
                f"{rare}{raw} (weak edge)")
    if kind == PDQ and ref2 >= 0:
        return (f"similar image, PDQ distance {int(value)}: "
                f"{pdq_hex[ref][:16]}… ~ {pdq_hex[ref2][:16]}…")
    key_kind, _, key_value = key_names[ref].partition(":")
    if key_kind in (PDQ, MD5):
        return f"same image ({key_kind} {key_value[:16]}…)"
    return f"same {key_kind}: {key_value}"


def _groups(labels: np.ndarray, min_size: int) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return [g for g in np.split(order, cuts) if len(g) >= min_size]


def _hints(rec: LinkRecord) -> dict[str, str]:
    hints = {n.lower(): "NAME" for n in rec.names}
    if rec.city:
        hints[rec.city.lower()] = "CITY"
    for p in rec.prices:
        for form in {f"{p:g}", f"{p:.0f}", f"{p:.2f}"}:
            hints[form] = "PRICE"
    for age in rec.ages:
        hints.setdefault(str(age), "AGE")
    for kind, value in rec.keys:
        if kind == PHONE:
            hints[digits(value)] = "PHONE"
    return hints


def _template_clusters(linker: Linker, live: np.ndarray) -> list[list[int]]:
    """Groups of ads joined by near-duplicate or template edges (templates derive lazily)."""
    a, b, kind, *_ = linker.edges.columns()
    text = live & np.isin(kind, COPY_KINDS)
    labels = components(len(linker.records), a[text], b[text])
    return [g.tolist() for g in _groups(labels, max(linker.config.template_min_ads, 2))]


def derive_cluster_template(
    records: list[LinkRecord], ads: list[int], sample: int = 50
) -> Template | None:
    """The template of one cluster, aligned over its first `sample` ads; None if no slots."""
    recs = [records[i] for i in ads[:sample]]
    tpl = derive_template([r.text for r in recs], ads[:sample], [_hints(r) for r in recs])
    if tpl is None or not tpl.slots:
        return None
    tpl.ads = list(ads)
    return tpl


def build_result(linker: Linker) -> LinkResult:
    cfg = linker.config
    cols = linker.edges.columns()
    live = linker.used_mask()
    labels = linker.labels()
    clusters = _template_clusters(linker, live)
    template_of = {ad: t for t, ads in enumerate(clusters) for ad in ads}
    cut_names = {linker.keys.names[i] for i in linker.keys.cut_ids()}
    a, kind = cols[0][live], cols[2][live]
    kinds_of: dict[int, dict[str, int]] = {}
    for (lab, k), c in Counter(zip(labels[a].tolist(), kind.tolist(), strict=True)).items():
        kinds_of.setdefault(lab, {})[KINDS[k]] = c
    networks = []
    for group in _groups(labels, cfg.min_network_ads):
        members = group.tolist()
        recs = [linker.records[i] for i in members]
        shared: Counter[str] = Counter()
        for r in recs:
            shared.update({f"{k}:{v}" for k, v in [*r.keys, *image_keys(r.images)]
                           if k not in SUPPORT_KINDS})
        keys = [(*name.split(":", 1), n) for name, n in shared.most_common()
                if n >= 2 and name not in cut_names]
        kinds = kinds_of.get(int(labels[members[0]]), {})
        feats = network_features(recs, template_of, members, cfg.movement_window_days)
        score, parts = score_network(feats, [r.score for r in recs])
        anchor = recs[0].ad_key
        networks.append(Network(
            id="N" + hashlib.sha1(anchor.encode()).hexdigest()[:12],
            members=members,
            ads=[r.ad_key for r in recs],
            keys=keys,
            edge_kinds=kinds,
            templates=sorted({template_of[m] for m in members if m in template_of}),
            features=feats,
            score=score,
            contributions=parts,
        ))
    networks.sort(key=lambda net: -net.score)
    return LinkResult(
        records=linker.records,
        labels=labels,
        networks=networks,
        template_clusters=clusters,
        template_sample=cfg.template_sample,
        cut_keys=linker.keys.cut(),
        columns=tuple(c[live] for c in cols),
        key_names=linker.keys.names,
        support_names=linker.support.names,
        pdq_hex=linker.pdq_hex,
        config=cfg,
    )
