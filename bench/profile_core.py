"""The profile extractors (descriptors, ages, prices): the core's readers against the Python
reference, one extractor at a time, in the same run.

For the synthetic corpus and, when present, `../shared/data/ads-dev/backpage-dev.jsonl` (title
and body, read at run time): the ads are normalised and joined a batch at a time as the
pipeline joins them, then each extractor's `extract` (the core's reader, which finds its
triggers itself) and `extract_reference` (the Python reference) run over every batch: CPU
time per ad, best of `--repeat` alternating runs, the ratio, and whether both give identical
spans (kind, value, offsets, confidence, attributes, order). Prints no ad text.

Usage: python bench/profile_core.py [--synthetic 3000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from amberline import core
from amberline.extract import BATCH_SEPARATOR
from amberline.extract.ages import AgeExtractor
from amberline.extract.descriptors import DescriptorExtractor
from amberline.extract.prices import PriceExtractor
from amberline.synth.generate import generate
from amberline.text.normalise import normalise_batch
from screen import backpage_dev_ads, load_average

EXTRACTORS = (DescriptorExtractor, AgeExtractor, PriceExtractor)


def joined_batches(texts: list[str], batch: int = 1000) -> list[str]:
    return [BATCH_SEPARATOR.join(n.text for n in normalise_batch(texts[i : i + batch]))
            for i in range(0, len(texts), batch)]


def _key(spans) -> list[tuple]:
    return [(s.kind, s.value, s.start, s.end, s.confidence, s.attrs) for s in spans]


def figures(label: str, texts: list[str], repeat: int) -> None:
    joined = joined_batches(texts)
    print(f"{label}: {len(texts):,} ads ({load_average()})")
    for cls in EXTRACTORS:
        extractor = cls()
        if extractor._core is None:
            print(f"  {cls.name:12s} no core reader")
            continue
        same = all(_key(extractor.extract(j)) == _key(extractor.extract_reference(j))
                   for j in joined)
        best = {"core": float("inf"), "python": float("inf")}
        for _ in range(repeat):
            for side, run in (("core", extractor.extract),
                              ("python", extractor.extract_reference)):
                started = time.process_time()
                for j in joined:
                    run(j)
                best[side] = min(best[side], time.process_time() - started)
        per_ad = {side: spent / len(texts) * 1e6 for side, spent in best.items()}
        print(f"  {cls.name:12s} core {per_ad['core']:6.1f} µs/ad   python "
              f"{per_ad['python']:6.1f} µs/ad   {per_ad['python'] / per_ad['core']:4.1f}x   "
              f"identical output: {'yes' if same else 'NO'}")
    print(f"  ({load_average()} at the end)")


def corpora(synthetic: int) -> list[tuple[str, list[str]]]:
    """(label, texts): `synthetic` generated ads, and the real dev ads when present."""
    ads, _truth = generate(synthetic, 7)
    out = [("synthetic", [f"{a['title']}\n{a['body']}" for a in ads])]
    real = backpage_dev_ads()
    if real:
        out.append(("backpage-dev (real)", [ad.text for ad in real]))
    return out


def compare(figures: Callable[[str, list[str], int], None], description: str | None,
            repeat: int) -> None:
    """The command line of a core benchmark: `figures(label, texts, repeat)` on each corpus."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--synthetic", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=repeat)
    args = parser.parse_args()
    if not core.active():
        raise SystemExit("the compiled core is not in use: nothing to compare")
    for label, texts in corpora(args.synthetic):
        figures(label, texts, args.repeat)


if __name__ == "__main__":
    compare(figures, __doc__, repeat=5)
