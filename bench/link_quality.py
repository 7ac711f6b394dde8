"""Link quality against the synthetic ground truth, through the real store.

    .venv/bin/python bench/link_quality.py [--ads 20000] [--seed 11] [--out bench/out/lq]

Generates a corpus with `amberline.synth.write_corpus` (fixed seed), scans it into SQLite
(the scan hook stores link keys and signatures), links it with `link_store`, and compares the
networks found with the planted ones (`<stem>.truth.json`; independents are singletons):
pairwise precision and recall, and the adjusted Rand index, overall and per edge kind (a
relink of the same store with only that kind enabled). Per kind, recall is also given over
the planted networks that were built to be joined by that kind (`link_kinds` in the truth).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from amberline.link.edges import KINDS
from amberline.link.record import LinkConfig
from amberline.link.store_link import link_store
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.database import Store
from amberline.store.schema import ads
from amberline.store.schema_networks import network_members
from amberline.synth.generate import truth_path, write_corpus


def pair_count(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def scores(found: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise precision, recall and adjusted Rand index of two labelings (one per ad)."""
    _, f = np.unique(found, return_inverse=True)
    _, t = np.unique(truth, return_inverse=True)
    both = pair_count(f.astype(np.int64) * (t.max() + 1) + t)
    pf, pt = pair_count(f), pair_count(t)
    n = len(found)
    total = n * (n - 1) / 2
    expected = pf * pt / total if total else 0.0
    top = (pf + pt) / 2 - expected
    return {"precision": both / pf if pf else 1.0, "recall": both / pt if pt else 1.0,
            "ari": (both - expected) / top if top else 1.0}


def found_labels(store: Store, keys: list[str]) -> np.ndarray:
    """Network of each ad (in `keys` order); an ad in no network is its own singleton."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(ads.c.key, network_members.c.network_id).join(
            network_members, network_members.c.ad_id == ads.c.id)).all()
    net = {k: n for k, n in rows}
    return np.array([net.get(k, f"single:{k}") for k in keys])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("bench/out/link_quality"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    corpus, db = args.out / "ads.jsonl", args.out / "links.db"
    for path in args.out.glob("links.db*"):
        path.unlink()
    write_corpus(corpus, args.ads, args.seed)
    truth = json.loads(truth_path(corpus).read_text(encoding="utf-8"))
    store = Store(db)
    t = time.perf_counter()
    run_scan([corpus], store, Screener(), on_stored=default_hooks(store))
    t_scan = time.perf_counter() - t
    with store.engine.connect() as conn:
        keys = [k for (k,) in conn.execute(sa.select(ads.c.key).order_by(ads.c.id))]
    net_of = {ad: n["id"] for n in truth["networks"] for ad in n["ads"]}
    kinds_of = {n["id"]: set(n["link_kinds"]) for n in truth["networks"]}
    ad_ids = [k.split(":", 1)[1] for k in keys]
    truth_labels = np.array([net_of.get(a, f"single:{a}") for a in ad_ids])

    t = time.perf_counter()
    summary = link_store(store, rebuild=True)
    t_link = time.perf_counter() - t
    overall = scores(found_labels(store, keys), truth_labels)
    print(f"{args.ads:,} ads (seed {args.seed}), {len(truth['networks']):,} planted networks; "
          f"scan {t_scan:.1f}s, link {t_link:.1f}s; {summary.networks:,} networks found")
    print(f"edges {summary.edges}; cut keys: {[c.message for c in summary.cut_keys[:5]]}")
    print(f"{'kinds':<10} {'precision':>9} {'recall':>7} {'ARI':>7} {'recall(own)':>11}")
    print(f"{'all':<10} {overall['precision']:>9.4f} {overall['recall']:>7.4f} "
          f"{overall['ari']:>7.4f}")
    for kind in KINDS:
        if kind in ("pdq", "md5") and not truth.get("with_images"):
            continue
        link_store(store, LinkConfig(kinds=(kind,)), rebuild=True)
        s = scores(found_labels(store, keys), truth_labels)
        own = np.array([net_of.get(a) is not None and kind in kinds_of[net_of[a]]
                        for a in ad_ids])
        r_own = scores(found_labels(store, keys)[own], truth_labels[own])["recall"] \
            if own.any() else float("nan")
        print(f"{kind:<10} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['ari']:>7.4f} "
              f"{r_own:>11.4f}")
    link_store(store, rebuild=True)


if __name__ == "__main__":
    main()
