"""Store benchmark: the CPU cost per ad of writing screened ads into SQLite, and of reading
them back.

    python bench/store.py [--ads 20000] [--repeat 3] [--real-only]

The ads are screened first (not measured), then stored as a scan stores them
(`amberline.scan.store_batch`, batches of 1000) into a fresh SQLite file, without hooks, with
the link keys hook, and with every hook a scan runs (`scan_hooks.default_hooks`). Figures are
process CPU time (best of `--repeat` runs: the machine is shared, and CPU time moves less with
its load than wall time), in microseconds per ad, with the kernel's share of it (the store's
file I/O: WAL frames and checkpoints), the wall time of that same run and the load average
beside them (wall time also holds the waits for a core of a shared machine):
- store: `write_new` alone (ad rows, evidence, identifier rows, full-text index);
- store + keys: with the scan hook's link keys and MinHash signatures (the link keys' memory of
  normalised values is emptied before each run, as in a fresh scan);
- store + keys + alerts: the scan's hooks, alert matching included (no alert is active in a
  fresh store: what every scan pays for the check);
- get_ad: reading one ad back with its evidence, by id, for 1000 random ids;
- find_by: one exact identifier lookup (phone), 1000 of them.
Corpora: the synthetic corpus, and the real Backpage dev ads when
`../shared/data/ads-dev/backpage-dev.jsonl` exists (read at run time, never stored).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from amberline import identifiers
from amberline.link import keys as link_keys
from amberline.link.hook import LinkKeysHook
from amberline.model import PHONE, Ad, Screening
from amberline.pipeline import Screener
from amberline.scan import store_batch
from amberline.scan_hooks import default_hooks
from amberline.store import Store
from amberline.synth.generate import write_corpus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screen import backpage_dev_ads, load_ads, text_bytes

MB = 1_000_000
BATCH = 1000


def screen_all(ads: list[Ad]) -> list[tuple[Ad, Screening]]:
    screener = Screener()
    out: list[tuple[Ad, Screening]] = []
    for at in range(0, len(ads), BATCH):
        chunk = ads[at : at + BATCH]
        out += zip(chunk, screener.screen_batch(chunk), strict=True)
    return out


def cpu(run: Callable[[], None]) -> float:
    began = time.process_time()
    run()
    return time.process_time() - began


def cpu_and_kernel(run: Callable[[], None]) -> tuple[float, float, float]:
    """(CPU seconds, of which in the kernel, wall seconds): the kernel's share is the store's
    file I/O (WAL frames, checkpoints), which grows with the size of the store's random
    indexes."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    began = time.perf_counter()
    took = cpu(run)
    wall = time.perf_counter() - began
    return took, resource.getrusage(resource.RUSAGE_SELF).ru_stime - before, wall


HOOKS = ("store", "store + keys", "store + keys + alerts")


def write_all(db: Path, items: list[tuple[Ad, Screening]],
              hooks: str) -> tuple[float, float, float]:
    """(CPU seconds, of which in the kernel, wall seconds) to write `items` into a fresh file
    with the `hooks` (one of `HOOKS`)."""
    with Store(db) as store:
        chosen = {"store": [], "store + keys": [LinkKeysHook()],
                  "store + keys + alerts": default_hooks(store)}[hooks]
        # The keys' memory (`identifiers.key_form`; older trees: `link.keys._normalised`, or none)
        forget = getattr(identifiers, "key_form", None) or getattr(link_keys, "_normalised", None)
        if forget is not None:
            forget.cache_clear()

        def run() -> None:
            for at in range(0, len(items), BATCH):
                batch = items[at : at + BATCH]
                store_batch(store, None, batch, chosen)

        return cpu_and_kernel(run)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def figures(label: str, ads: list[Ad], repeat: int) -> None:
    if not ads:
        return
    items = screen_all(ads)
    per_ad = 1e6 / len(items)
    size = text_bytes(ads) / MB
    print(f"{label}: {len(items):,} ads, {size:.1f} MB of ad text")
    with tempfile.TemporaryDirectory() as tmp:
        for n, hooks in enumerate(HOOKS):
            best, kernel, wall = min(write_all(Path(tmp) / f"s{n}{r}.db", items, hooks)
                                     for r in range(repeat))
            print(f"  {hooks:<22} {best * per_ad:7.1f} µs/ad CPU  ({size / best:6.2f} MB/s; "
                  f"kernel {kernel * per_ad:5.1f} µs/ad; wall {wall * per_ad:6.1f} µs/ad, "
                  f"{size / wall:6.2f} MB/s; {load()})")
        db = Path(tmp) / "s10.db"
        with Store(db) as store:
            ids = [s.id for s in store.top(n=len(items))]
            picks = random.Random(5).choices(ids, k=1000)
            took = min(cpu(lambda: [store.get_ad(i) for i in picks]) for _ in range(repeat))
            print(f"  {'get_ad':<22} {took * 1e6 / len(picks):7.1f} µs/read CPU")
            phones = [s.value for _, s_ in items[:1000] for s in s_.spans if s.kind == PHONE]
            if phones:
                took = min(cpu(lambda: [store.find_by(PHONE, p, 10) for p in phones])
                           for _ in range(repeat))
                print(f"  {'find_by phone':<22} {took * 1e6 / len(phones):7.1f} µs/lookup CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ads", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--real-only", action="store_true", help="skip the synthetic corpus")
    args = parser.parse_args()
    if not args.real_only:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "ads.jsonl"
            write_corpus(corpus, args.ads, seed=11)
            figures("synthetic", load_ads(corpus), args.repeat)
    figures("backpage-dev (real)", backpage_dev_ads()[: args.ads], args.repeat)


if __name__ == "__main__":
    main()
