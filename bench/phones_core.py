"""The phone extractor: the core's scan against the Python reference.

For the synthetic corpus and, when present, `../shared/data/ads-dev/backpage-dev.jsonl` (title
and body, read at run time): the ads are normalised and joined a batch at a time as the
pipeline joins them; then the extractor with the core and its Python reference (with its
Hyperscan prefilter where installed): CPU time per ad, best of `--repeat` runs, warm (every
number seen before) and cold (a fresh extractor, every number answered afresh), the ratio,
whether both give identical spans (kind, value, offsets, confidence, attributes, order), and
how many candidate runs the core handed back to the reference. Prints no ad text.

Usage: python bench/phones_core.py [--synthetic 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from amberline.extract import nanp, phones
from amberline.extract.phones import PhoneExtractor
from amberline.synth.generate import generate
from contact_core import _best
from profile_core import _key, joined_batches
from screen import backpage_dev_ads, load_average


def figures(label: str, texts: list[str], repeat: int) -> None:
    joined = joined_batches(texts)
    print(f"{label}: {len(texts):,} ads ({load_average()})")
    extractor = PhoneExtractor()
    if extractor._core is None:
        print("  no core scanner")
        return
    same = all(_key(extractor.extract(j)) == _key(extractor.extract_reference(j))
               for j in joined)
    found = sum(len(extractor.extract_reference(j)) for j in joined)
    extractor.handed_back = 0
    for j in joined:
        extractor.extract(j)
    handed = extractor.handed_back
    c = _best(lambda: [extractor.extract(j) for j in joined], repeat) / len(texts) * 1e6
    p = _best(lambda: [extractor.extract_reference(j) for j in joined], repeat)
    p = p / len(texts) * 1e6
    print(f"  warm     core {c:6.2f} µs/ad   python {p:6.2f} µs/ad   {p / c:4.1f}x   "
          f"identical: {'yes' if same else 'NO'}   phones {found:,}, runs handed back "
          f"{handed:,}")

    def cold(side: str) -> Callable[[], None]:
        def go() -> None:  # a fresh extractor, and no number answered before
            for cache in (phones.parse_phone, phones._pieces, nanp._classify):
                cache.cache_clear()
            fresh = PhoneExtractor()
            run = fresh.extract if side == "core" else fresh.extract_reference
            for j in joined:
                run(j)
        return go

    c = _best(cold("core"), repeat) / len(texts) * 1e6
    p = _best(cold("python"), repeat) / len(texts) * 1e6
    print(f"  cold     core {c:6.2f} µs/ad   python {p:6.2f} µs/ad   {p / c:4.1f}x   "
          "(each number answered afresh, the extractor built in the timing)")
    print(f"  ({load_average()} at the end)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ads, _ = generate(args.synthetic, 7)
    figures("synthetic", [f"{a['title']}\n{a['body']}" for a in ads], args.repeat)
    real = backpage_dev_ads()
    if real:
        figures("backpage-dev", [ad.text for ad in real], args.repeat)


if __name__ == "__main__":
    main()
