"""The contact extractors (emails, URLs, handles): the core's scan against the Python reference.

For the synthetic corpus and, when present, `../shared/data/ads-dev/backpage-dev.jsonl` (title
and body, read at run time): the ads are normalised and joined a batch at a time as the
pipeline joins them; then each extractor alone (the core's scan made afresh for it) and the
three in a row as the pipeline runs them (one scan of the batch serves all three), core and
Python reference (with its Hyperscan prefilters where installed): CPU time per ad, best of
`--repeat` runs, the ratio, and whether both give identical spans (kind, value, offsets,
confidence, attributes, order). Prints no ad text.

Usage: python bench/contact_core.py [--synthetic 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from amberline.extract import contact_core
from amberline.extract.emails import EmailExtractor
from amberline.extract.handles import HandleExtractor
from amberline.extract.urls import UrlExtractor
from amberline.synth.generate import generate
from profile_core import _key, joined_batches
from screen import backpage_dev_ads, load_average

EXTRACTORS = (EmailExtractor, UrlExtractor, HandleExtractor)


def _best(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def figures(label: str, texts: list[str], repeat: int) -> None:
    joined = joined_batches(texts)
    print(f"{label}: {len(texts):,} ads ({load_average()})")
    pairs = [(cls(engine="core"), cls(engine="python")) for cls in EXTRACTORS]

    def run(extractors, fresh: bool) -> Callable[[], None]:
        def go() -> None:
            for j in joined:
                if fresh:
                    contact_core._last.entry = None  # no scan of another extractor reused
                for x in extractors:
                    x.extract(j)
        return go

    for core_x, python_x in pairs:
        same = all(_key(core_x.extract(j)) == _key(python_x.extract(j)) for j in joined)
        c = _best(run([core_x], True), repeat) / len(texts) * 1e6
        p = _best(run([python_x], False), repeat) / len(texts) * 1e6
        print(f"  {core_x.name:8s} core {c:6.2f} µs/ad   python {p:6.2f} µs/ad   {p / c:4.1f}x   "
              f"identical: {'yes' if same else 'NO'}")
    c = _best(run([x for x, _ in pairs], True), repeat) / len(texts) * 1e6
    p = _best(run([x for _, x in pairs], False), repeat) / len(texts) * 1e6
    print(f"  all three core {c:6.2f} µs/ad   python {p:6.2f} µs/ad   {p / c:4.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if contact_core.scanner() is None:
        raise SystemExit("the core's contact scanner is not built")
    ads, _ = generate(args.synthetic, 7)
    figures("synthetic", [f"{a['title']}\n{a['body']}" for a in ads], args.repeat)
    real = backpage_dev_ads()
    if real:
        figures("backpage-dev", [ad.text for ad in real], args.repeat)


if __name__ == "__main__":
    main()
