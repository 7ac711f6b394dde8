"""The names extractor with and without the core, on real dev ads and the synthetic corpus.

The ads are normalised and joined a batch at a time as the pipeline joins them; then
`NameExtractor.extract` runs over every batch with the core's scanner and with the Python
reference (`_scanner` set to None): CPU time per ad, best of `--repeat` alternating runs, and
whether both give identical spans. With `--profile`, a cProfile of the core's side too
(function names and times only; prints no ad text).

Usage: python bench/names_core.py [--synthetic 3000] [--repeat 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from amberline.extract.names import NameExtractor
from amberline.synth.generate import generate
from profile_core import joined_batches
from screen import backpage_dev_ads, load_average


def _key(spans) -> list[tuple]:
    return [(s.kind, s.value, s.start, s.end, s.confidence, s.attrs) for s in spans]


def figures(label: str, texts: list[str], repeat: int, profile: bool) -> None:
    joined = joined_batches(texts)
    names = NameExtractor()
    scanner = names._scanner
    print(f"{label}: {len(texts):,} ads ({load_average()})")
    if scanner is None:
        print("  no core scanner")
        return

    def run(on: bool) -> list[list[tuple]]:
        names._scanner = scanner if on else None
        return [_key(names.extract(j)) for j in joined]

    same = run(True) == run(False)
    best = {True: float("inf"), False: float("inf")}
    for _ in range(repeat):
        for on in (True, False):
            started = time.process_time()
            run(on)
            best[on] = min(best[on], time.process_time() - started)
    core_us, py_us = (best[on] / len(texts) * 1e6 for on in (True, False))
    print(f"  names  core {core_us:6.1f} µs/ad   python {py_us:6.1f} µs/ad   "
          f"{py_us / core_us:4.1f}x   identical: {same}   ({load_average()})")
    if profile:
        prof = cProfile.Profile()
        prof.runcall(run, True)
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)
    names._scanner = scanner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    real = backpage_dev_ads()
    if real:
        figures("real dev ads", [a.text for a in real], args.repeat, args.profile)
    ads, _ = generate(args.synthetic, 7)
    figures("synthetic", [f"{a['title']}\n{a['body']}" for a in ads], args.repeat, args.profile)


if __name__ == "__main__":
    main()
