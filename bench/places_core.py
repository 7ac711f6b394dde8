"""The place extractor three ways in one run: the core deciding every candidate
(`PlaceScanner.extract_batch`), the core's candidates decided in Python (`_resolve`, as before
the core took the decisions) and the Python reference (no core at all).

For the synthetic corpus and, when present, `../shared/data/ads-dev/backpage-dev.jsonl` (title
and body, read at run time): the ads are normalised and joined a batch at a time as the
pipeline joins them; CPU time per ad, best of `--repeat` alternating runs, and whether all
three give identical spans. Prints no ad text.

Usage: python bench/places_core.py [--synthetic 3000] [--repeat 7]
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from amberline.extract.places import PlaceExtractor
from profile_core import _key, compare, joined_batches
from screen import load_average


def _sides(extractor: PlaceExtractor) -> dict[str, Callable[[], None]]:
    """Switches of `extractor` to each way of extracting."""
    scanner, places = extractor._scanner, extractor._core_places

    def to(scan: object, core_places: object) -> Callable[[], None]:
        def switch() -> None:
            extractor._scanner, extractor._core_places = scan, core_places
        return switch

    return {"core": to(scanner, places), "core scan + python": to(scanner, None),
            "python": to(None, None)}


def figures(label: str, texts: list[str], repeat: int) -> None:
    joined = joined_batches(texts)
    print(f"{label}: {len(texts):,} ads ({load_average()})")
    extractor = PlaceExtractor()
    sides = _sides(extractor)
    outputs = []
    for switch in sides.values():
        switch()
        outputs.append([_key(extractor.extract(j)) for j in joined])
    best = dict.fromkeys(sides, float("inf"))
    enabled = gc.isenabled()
    gc.disable()  # as `Screener.screen_batch` runs the extractors
    try:
        for _ in range(repeat):
            for side, switch in sides.items():
                switch()
                started = time.process_time()
                for j in joined:
                    extractor.extract(j)
                best[side] = min(best[side], time.process_time() - started)
    finally:
        if enabled:
            gc.enable()
    for side, spent in best.items():
        print(f"  {side:20s} {spent / len(texts) * 1e6:6.2f} µs/ad")
    print(f"  identical output: {'yes' if all(o == outputs[0] for o in outputs) else 'NO'}"
          f"  ({load_average()} at the end)")


if __name__ == "__main__":
    compare(figures, __doc__, repeat=7)
