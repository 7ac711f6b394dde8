"""Benchmark the linking core on synthetic LinkRecords: time per stage and peak memory.

    .venv/bin/python bench/link_core.py --ads 100000 [--pdq 50000] [--brute-sample 50000]

Reports: full link time (ads/s), MinHash signature and LSH candidate-generation rates, pairwise
precision/recall against the generator's ground truth, and PDQ index vs brute-force scan.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from amberline.link import link_records
from amberline.link.minhash import MinHasher
from amberline.link.neardup import band_keys, candidate_pairs, lsh_params
from amberline.link.pdq_index import PDQIndex, brute_force_pairs
from amberline.link.synthetic import make_corpus


def _pairs_scores(labels: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall of a partition against ground truth (-1 = singleton)."""
    truth = truth.copy()
    truth[truth < 0] = truth.max() + 1 + np.arange((truth < 0).sum())

    def same_pairs(a: np.ndarray, b: np.ndarray | None = None) -> int:
        codes = a if b is None else a * (b.max() + 1) + b
        _, counts = np.unique(codes, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    both = same_pairs(labels.astype(np.int64), truth.astype(np.int64))
    found, true = same_pairs(labels), same_pairs(truth)
    return both / max(found, 1), both / max(true, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--pdq", type=int, default=50_000)
    parser.add_argument("--brute-sample", type=int, default=50_000)
    args = parser.parse_args()

    networks = args.ads // 10
    records, truth = make_corpus(networks, 8, singletons=args.ads - networks * 8, seed=0)
    texts = [r.text for r in records]

    t = time.perf_counter()
    sig, empty = MinHasher().signatures(texts)
    t_sig = time.perf_counter() - t
    print(f"minhash signatures: {len(texts):,} ads in {t_sig:.2f}s = {len(texts) / t_sig:,.0f}/s")
    for threshold in (0.6, 0.3):
        bands, rows = lsh_params(threshold, sig.shape[1])
        t = time.perf_counter()
        keys = band_keys(sig, bands, rows)
        i, _ = candidate_pairs(keys, ~empty)
        t_cand = time.perf_counter() - t
        print(f"LSH candidates ({bands}x{rows} bands, threshold {threshold}): {len(i):,} pairs "
              f"in {t_cand:.2f}s = {len(texts) / t_cand:,.0f} ads/s")

    t = time.perf_counter()
    result = link_records(records)
    t_link = time.perf_counter() - t
    precision, recall = _pairs_scores(result.labels, np.array(truth))
    print(f"link_records: {len(records):,} ads in {t_link:.2f}s = {len(records) / t_link:,.0f}/s; "
          f"{len(result.networks):,} networks (truth {networks:,}), "
          f"{len(result.template_clusters):,} template clusters, edges {result.edge_counts()}")
    print(f"pairwise precision {precision:.4f} recall {recall:.4f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS so far: {peak_mb:,.0f} MB")

    rng = np.random.default_rng(1)
    words = rng.integers(0, 2**64, size=(args.pdq, 4), dtype=np.uint64)
    planted = words[::10][: len(words[1::10])].copy()
    planted[:, 0] ^= np.uint64(0xFF)  # 8-bit neighbours
    words[1::10] = planted
    t = time.perf_counter()
    index = PDQIndex(31)
    index.add(words)
    q, ids, _ = index.query(words)
    t_mih = time.perf_counter() - t
    found = int((q < ids).sum())
    print(f"PDQ index: {args.pdq:,} hashes self-join in {t_mih:.2f}s, {found:,} pairs")
    n = min(args.brute_sample, args.pdq)
    t = time.perf_counter()
    a, _ = brute_force_pairs(words[:n], 31)
    t_brute = time.perf_counter() - t
    at_full = t_brute * (args.pdq / n) ** 2
    print(f"PDQ brute force: {n:,} hashes in {t_brute:.2f}s ({len(a):,} pairs); "
          f"at {args.pdq:,}: ~{at_full:.1f}s -> index {at_full / t_mih:.0f}x faster")


if __name__ == "__main__":
    main()
