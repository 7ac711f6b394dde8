"""Linking speed and memory at 10^5 and 10^6 ads, against a naive all-pairs baseline.

    .venv/bin/python bench/link.py [--sizes 100000 1000000] [--store 100000]

Each size runs in a child process (so that peak RSS is that run's own): synthetic
`LinkRecord`s from `amberline.link.synthetic.make_corpus` (networks of 8 plus singletons),
then `link_records` end to end, and LSH near-duplicate candidate generation alone. The
baseline is all-pairs signature Jaccard on a 5,000-ad sample, extrapolated to n^2 pairs;
figures are printed as ratios against it. `--store N` also scans a synthetic corpus of N ads
into SQLite and times `link_store` (a rebuild) and an incremental run adding 1% more ads.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def run_size(n: int) -> dict[str, float]:
    from amberline.link import link_records
    from amberline.link.minhash import MinHasher
    from amberline.link.neardup import band_keys, candidate_pairs, lsh_params
    from amberline.link.synthetic import make_corpus

    networks = n // 40
    t = time.perf_counter()
    records, _ = make_corpus(networks, 8, singletons=n - networks * 8, seed=0)
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    result = link_records(records)
    t_link = time.perf_counter() - t
    sig, empty = MinHasher().signatures([r.text for r in records[:200_000]])
    bands, rows = lsh_params(0.3, sig.shape[1])
    t = time.perf_counter()
    candidate_pairs(band_keys(sig, bands, rows), ~empty)
    t_cand = time.perf_counter() - t
    sample = sig[:5000]
    t = time.perf_counter()
    for i in range(len(sample) - 1):
        (sample[i + 1 :] == sample[i]).mean(axis=1)
    t_base = time.perf_counter() - t
    base_full = t_base * (n / len(sample)) ** 2
    return {"ads": n, "gen_s": t_gen, "link_s": t_link, "networks": len(result.networks),
            "cand_ads_per_s": len(sig) / t_cand, "baseline_s": base_full,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_store(n: int, out: Path) -> None:
    from amberline.link.store_link import link_store
    from amberline.pipeline import Screener
    from amberline.scan import run_scan
    from amberline.scan_hooks import default_hooks
    from amberline.store.database import Store
    from amberline.synth.generate import write_corpus

    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("store.db*"):
        p.unlink()
    corpus = out / "ads.jsonl"
    write_corpus(corpus, n + n // 100, 5)
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    (out / "first.jsonl").write_text("".join(lines[:n]), encoding="utf-8")
    (out / "later.jsonl").write_text("".join(lines[n:]), encoding="utf-8")
    store = Store(out / "store.db")
    t = time.perf_counter()
    run_scan([out / "first.jsonl"], store, Screener(), on_stored=default_hooks(store))
    t_scan = time.perf_counter() - t
    full = link_store(store, rebuild=True)
    run_scan([out / "later.jsonl"], store, Screener(), on_stored=default_hooks(store))
    inc = link_store(store)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"store {n:,} ads: scan (with link-key hook) {t_scan:.1f}s; link rebuild "
          f"{full.seconds:.1f}s ({n / full.seconds:,.0f} ads/s, {full.networks:,} networks); "
          f"incremental +{inc.ads_linked:,} ads {inc.seconds:.1f}s "
          f"({full.seconds / inc.seconds:.1f}x faster than the rebuild); peak {peak:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--store", type=int, default=100_000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path("bench/out/link"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one)))
        return
    for n in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                              text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{n:>9,} ads: link_records {r['link_s']:.1f}s ({n / r['link_s']:,.0f} ads/s), "
              f"{r['networks']:,} networks, peak {r['peak_mb']:,.0f} MB; LSH candidates "
              f"{r['cand_ads_per_s']:,.0f} ads/s; naive all-pairs ~{r['baseline_s']:,.0f}s "
              f"-> {r['baseline_s'] / r['link_s']:,.0f}x slower")
    if args.store:
        run_store(args.store, args.out)


if __name__ == "__main__":
    main()
