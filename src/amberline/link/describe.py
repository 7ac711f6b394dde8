"""One network as the store keeps it: shared keys, features, explained score, template.

Why separate from `result.py`: a full build describes every network at once, while an
incremental link run describes only the networks whose membership changed, from member
records loaded for them alone. Both need the same description; this module gives it for one
network from its own records, as JSON-ready values.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np

from amberline.identifiers import image_keys
from amberline.model import LinkRecord

from .components import components
from .features import network_features
from .keys import SUPPORT_KINDS
from .network_score import score_network
from .record import LinkConfig
from .result import derive_cluster_template
from .templates import Template


def network_id(first_ad_key: str) -> str:
    """A network's id derives from its earliest ad, so it stays put as the network grows."""
    return "N" + hashlib.sha1(first_ad_key.encode()).hexdigest()[:12]


def template_json(tpl: Template | None, ad_keys: Sequence[str]) -> dict[str, Any] | None:
    """A template with its slots marked: fixed text as strings, slots as label + values."""
    if tpl is None:
        return None
    parts: list[Any] = [
        p if isinstance(p, str) else {"slot": p.label, "values": p.distinct[:20]}
        for p in tpl.parts
    ]
    return {"text": tpl.text, "parts": parts, "fixed_share": round(tpl.fixed_share, 3),
            "ads": [ad_keys[i] for i in tpl.ads]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def describe_network(
    records: Sequence[LinkRecord],
    text_pairs: tuple[np.ndarray, np.ndarray],
    edge_kinds: dict[str, int],
    cut_names: set[str],
    config: LinkConfig,
) -> dict[str, Any]:
    """The `networks` row of one network. `records` are its members in ad order (with text,
    for the template); `text_pairs` the member positions joined by near-duplicate or
    template edges."""
    recs = list(records)
    shared: Counter[str] = Counter()
    for r in recs:
        shared.update({f"{k}:{v}" for k, v in [*r.keys, *image_keys(r.images)]
                           if k not in SUPPORT_KINDS})
    keys = [[*name.split(":", 1), n] for name, n in shared.most_common()
            if n >= 2 and name not in cut_names]
    labels = components(len(recs), *text_pairs)
    sizes = np.bincount(labels)
    clusters = [np.flatnonzero(labels == c).tolist() for c in np.flatnonzero(
        sizes >= max(config.template_min_ads, 2))]
    template_of = {m: c for c, members in enumerate(clusters) for m in members}
    feats = network_features(recs, template_of, range(len(recs)), config.movement_window_days)
    score, parts = score_network(feats, [r.score for r in recs])
    tpl = None
    if clusters:
        largest = max(clusters, key=len)
        tpl = derive_cluster_template(recs, largest, config.template_sample)
    ad_keys = [r.ad_key for r in recs]
    return {
        "id": network_id(ad_keys[0]),
        "score": float(score),
        "size": len(recs),
        "keys": keys,
        "edge_kinds": edge_kinds,
        "features": _jsonable(asdict(feats)),
        "contributions": [asdict(c) for c in parts],
        "template": template_json(tpl, ad_keys),
    }
