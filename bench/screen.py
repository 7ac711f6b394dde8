"""Screening benchmark: Amberline's screener against a naive baseline, in the same run.

Prints, over the synthetic demo corpus (100k ads by default):
- screening alone (normalise + extract + indicate + score): ads/s and MB/s on one core;
- the naive baseline (one `re.search` per lexicon pattern with re.IGNORECASE, plus
  `phonenumbers.PhoneNumberMatcher` over the whole text) on a sample, and the ratio;
- scan into SQLite as `amberline scan` runs it (read + screen + store + link keys + alert
  matching, one process): MB/s by CPU and wall time, on the real dev ads when present (their
  text alone, and the export as it is, with its fields; the median of 3 processes each) and
  on 10k and 100k synthetic ads, with the peak memory (max RSS) of each scan in its own
  process, to show that memory stays flat as input grows;
- the compiled core (`amberline._core`) against the Python reference, measured in the same
  run (CPU time, best of 3, alternating, warm: the machine is shared, and CPU time moves
  less with its load than wall time): the normaliser stage alone, the lexicon matcher alone
  and full screening, on the first `--core-ads` synthetic ads and, when
  `../shared/data/ads-dev/backpage-dev.jsonl` exists, on those real ads (title and body),
  with a check that both give identical output (normalised texts; scores, flags and spans),
  full screening also cold (each ad once in a fresh process, as a run's first ads) and, on
  the real ads, steady (each ad once after 3,000 other ads, as a long run's later ads; both
  the median of 3 fresh processes), the naive reference on a sample of the same ads and
  both ratios against it; and the start-up of `amberline extract` with the core's table
  cache cold and warm, and without the core;
- when `../shared/data/ads-dev/dig-ads-training.csv` exists: screening of those 494 real ads
  (repeated `--real-repeat` times for a stable time), whose text is far sparser in entities and
  obfuscation than the synthetic corpus, against the naive baseline on the same ads.

`--cold-stages` prints only what a cold run pays, stage by stage (`cold_stages`), on the real
dev ads.

Usage: python bench/screen.py [--ads 100000] [--baseline-sample 2000] [--real-repeat 20]
       [--core-ads 20000] [--skip-scan] [--core-only] [--cold-stages]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from amberline import core
from amberline.collector import collector_paused
from amberline.model import Ad, Flag, Obfuscation, Screening, Span
from amberline.pipeline import Screener
from amberline.synth.generate import write_corpus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extract_quality import REAL_ADS, load_real_ads

MB = 1_000_000
BACKPAGE_DEV = Path(__file__).resolve().parents[1].parent / "shared/data/ads-dev/backpage-dev.jsonl"


def load_ads(path: Path) -> list[Ad]:
    ads = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            obj = json.loads(line)
            ads.append(Ad(source=obj["source"], source_id=obj["id"],
                          title=obj.get("title", ""), body=obj.get("body", "")))
    return ads


def text_bytes(ads: list[Ad]) -> int:
    return sum(len(ad.text.encode("utf-8")) for ad in ads)


def bench_screener(ads: list[Ad], batch: int = 1000) -> float:
    """CPU seconds to screen `ads` once with a new Screener (built outside the timing)."""
    return bench_screener_with(Screener(), ads, batch, clock=time.process_time)


def naive_patterns(screener: Screener) -> list[re.Pattern[str]]:
    """One regex per lexicon entry (its patterns as alternatives), as a naive tool would."""
    return [
        re.compile("|".join(f"(?:{p.regex})" for p in entry.patterns), re.IGNORECASE)
        for entry in screener.lexicon.entries
    ]


def bench_naive(ads: list[Ad], patterns: list[re.Pattern[str]]) -> float:
    # (imported here, not with this module: `cold_screening`'s fresh processes import this
    # module, and their screening must pay for `phonenumbers` as a real run's first ads do)
    import phonenumbers

    started = time.perf_counter()
    for ad in ads:
        text = ad.text
        for pattern in patterns:
            pattern.search(text)
        for _ in phonenumbers.PhoneNumberMatcher(text, "US"):
            pass
    return time.perf_counter() - started


def record_floor(ads: list[Ad], naive_mb: float, target_mb: float = 15.0) -> None:
    """What building the screening's result records alone costs, against the per-ad budgets
    of the targets (15 MB/s per core; 100x the naive baseline): a floor for any CPython
    screener that returns them as objects, whatever it does to find them. CPU time, best of
    5, with the cyclic collector paused as `Screener.screen_batch` pauses it."""
    screenings = Screener().screen_batch(ads)
    rows = [(s.ad_key, [(x.kind, x.value, x.start, x.end, x.extractor, x.confidence, x.attrs)
                        for x in s.spans],
             [(f.category, f.term, f.start, f.end, f.weight, f.rule, f.citation,
               f.contribution) for f in s.flags],
             s.score, s.pipeline_version, [(o.start, o.end, o.kind, o.original)
                                           for o in s.obfuscations]) for s in screenings]
    best = float("inf")
    gc.disable()
    try:
        for _ in range(5):
            began = time.process_time()
            rebuilt = [Screening(key, [Span(*x) for x in sp], [Flag(*f) for f in fl], score,
                                 version, [Obfuscation(*o) for o in ob])
                       for key, sp, fl, score, version, ob in rows]
            best = min(best, time.process_time() - began)
            del rebuilt
    finally:
        gc.enable()
    objects = sum(1 + len(s.spans) + len(s.flags) + len(s.obfuscations) for s in screenings)
    mb_per_ad = text_bytes(ads) / MB / len(ads)
    print(f"result records alone:   {best / len(ads) * 1e6:7.1f} µs/ad of CPU to build "
          f"({objects / len(ads):.1f} objects per ad); budget per ad at {target_mb:g} MB/s "
          f"per core {mb_per_ad / target_mb * 1e6:.1f} µs, at 100x naive "
          f"{mb_per_ad / (100 * naive_mb) * 1e6:.1f} µs")


def scan_peak_rss(corpus: Path, db: Path) -> tuple[float, float, float, float | None]:
    """Run a scan as `amberline scan` runs it (screen, store, and the stored-batch hooks:
    link keys and signatures, alert matching) in a fresh process; return (seconds, CPU
    seconds of the scan, peak RSS in MB of the whole process, seconds the scan waited for a
    core, or None where the kernel does not tell).

    The wait is the scheduler's run delay of the scanning thread (`/proc/self/schedstat`,
    Linux): on a shared machine it is what separates wall time from CPU time.

    The peak is the process's own high-water mark (VmHWM in /proc/self/status on Linux), not
    `ru_maxrss`: Linux carries `ru_maxrss` over from the forking parent, so a child of this
    (large) benchmark process would report at least the benchmark's own size.
    """
    code = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from amberline.pipeline import Screener\n"
        "from amberline.scan import run_scan\n"
        "from amberline.scan_hooks import default_hooks\n"
        "from amberline.store.database import Store\n"
        "store, screener = Store(Path(sys.argv[2])), Screener()\n"
        "hooks = default_hooks(store)\n"
        "def waited():\n"
        "    try:\n"
        "        return int(Path('/proc/self/schedstat').read_text().split()[1]) / 1e9\n"
        "    except (OSError, IndexError, ValueError):\n"
        "        return float('nan')\n"
        "t, cpu, wait = time.perf_counter(), time.process_time(), waited()\n"
        "run_scan([Path(sys.argv[1])], store, screener, on_stored=hooks)\n"
        "seconds, cpu = time.perf_counter() - t, time.process_time() - cpu\n"
        "wait = waited() - wait\n"
        "try:\n"
        "    status = Path('/proc/self/status').read_text().splitlines()\n"
        "    peak = int(next(x for x in status if x.startswith('VmHWM:')).split()[1])\n"
        "except (OSError, StopIteration):\n"
        "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(seconds, cpu, peak, wait)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(corpus), str(db)],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    wait = float(out[3])
    return float(out[0]), float(out[1]), int(out[2]) / 1024, None if math.isnan(wait) else wait


def scan_figures(label: str, corpus: Path, db: Path, size: int, count: int, runs: int = 1
                 ) -> float:
    """Scan `corpus` (`count` ads, `size` bytes of ad text) into a new SQLite file, in `runs`
    fresh processes (each into a new file); print MB/s of ad text by CPU and by wall time of
    the run with the median CPU time; return its peak RSS in MB."""
    scans = []
    for run in range(runs):
        scans.append(scan_peak_rss(corpus, db.with_name(f"{db.stem}.{run}{db.suffix}")))
    seconds, cpu, rss, wait = sorted(scans, key=lambda scan: scan[1])[len(scans) // 2]
    waited = "" if wait is None else f", of which {wait / count * 1e6:.0f} waiting for a core"
    median = f"; median of {runs} processes" if runs > 1 else ""
    print(f"scan into SQLite, {label} ({count:,} ads; screen + store + keys + alerts, one "
          f"process{median}): {size / MB / cpu:6.2f} MB/s CPU ({cpu / count * 1e6:.0f} µs/ad), "
          f"{size / MB / seconds:6.2f} MB/s wall ({seconds / count * 1e6:.0f} µs/ad{waited}); "
          f"peak RSS {rss:.0f} MB ({load_average()} at the end)")
    return rss


def use_core(on: bool) -> None:
    """Switch every later `normalise_batch` and new `Screener` to the core or to the Python
    reference."""
    from amberline.text import native
    from amberline.text.normalise import prepare

    os.environ[core.ENV_VAR] = "rust" if on else "python"
    core.reset()
    native.normaliser.cache_clear()
    prepare()  # the tables are built here, outside any timing


def _listed(offsets: object) -> list[int] | None:
    """An offset map as a list (the core's are int64 arrays or ranges, the reference's lists)."""
    return None if offsets is None else [int(x) for x in offsets]  # type: ignore[attr-defined]


def _normalised(ads: list[Ad]) -> list[tuple]:
    from amberline.text.normalise import normalise_batch

    out = []
    for i in range(0, len(ads), 1000):
        out += [(r.text, _listed(r.offsets), _listed(r._ends), r.same_offsets, r.obfuscations)
                for r in normalise_batch([ad.text for ad in ads[i : i + 1000]])]
    return out


def _screened(screener: Screener, ads: list[Ad]) -> list[dict]:
    """Every field of every screening (spans with their attrs, flags with their
    contributions, score, obfuscations, exclusions), for the identity check."""
    out = []
    for i in range(0, len(ads), 1000):
        out += [asdict(s) for s in screener.screen_batch(ads[i : i + 1000])]
    return out


def load_average() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def stage_pass(screener: Screener, ads: list[Ad], batch: int = 1000,
               faults: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds of each stage of `Screener._screen_batch` over `ads` (the same steps,
    timed one by one), and into `faults`, when given, the minor page faults of each (memory
    the process touches for the first time). With the core, dealing findings to their ads is
    part of the batch finish ("finish"); "deal" is then only the joining of the texts, and
    each extractor's stage is what `Screener.extract` asks of it (its columns, whose spans
    the finish makes)."""
    from itertools import accumulate

    from amberline.extract import BATCH_SEPARATOR
    from amberline.pipeline import _deal
    from amberline.text import boilerplate
    from amberline.text.normalise import normalise_batch

    clock = time.process_time
    sep = len(BATCH_SEPARATOR)
    spent: dict[str, float] = {}
    paged = [resource.getrusage(resource.RUSAGE_SELF).ru_minflt]

    def tick(name: str, began: float) -> float:
        now = clock()
        spent[name] = spent.get(name, 0.0) + now - began
        if faults is not None:
            count = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            faults[name] = faults.get(name, 0) + count - paged[0]
            paged[0] = count
        return clock()

    for i in range(0, len(ads), batch):
        chunk = ads[i : i + batch]
        t = clock()
        norms = normalise_batch([a.text for a in chunk])
        t = tick("normalise", t)
        texts = norms.texts
        starts = [0, *accumulate(len(x) + sep for x in texts[:-1])]
        limits = [start + len(x) for start, x in zip(starts, texts, strict=True)]
        joined = BATCH_SEPARATOR.join(texts)
        found_all = []
        t = tick("deal", t)
        for extractor in screener.extractors:
            found_all.append(screener.extract(extractor, joined))
            t = tick(f"extract:{extractor.name}", t)
        found_flags = screener._indicate(joined)
        t = tick("lexicon", t)
        found_excluded = boilerplate.find_batch(joined, starts, screener._boilerplate)
        core.forget_batch()  # (as `Screener._screen_batch` does)
        t = tick("boilerplate", t)
        if screener._batched:  # dealing is part of the batch finish
            screener._finish_batch(chunk, norms, starts, limits, found_all, found_flags,
                                   found_excluded)
        else:
            spans: list[list] = [[] for _ in chunk]
            flags: list[list] = [[] for _ in chunk]
            excluded: list[list] = [[] for _ in chunk]
            for found in found_all:
                _deal(found, starts, limits, spans)
            _deal(found_flags, starts, limits, flags)
            _deal(found_excluded, starts, limits, excluded)
            t = tick("deal", t)
            for x in zip(chunk, norms, spans, flags, excluded, strict=True):
                screener._finish(*x)
        tick("finish", t)
        del norms  # (the batch's own, dropped before the next as `screen_batch` drops them)
    return spent


def stage_figures(screener: Screener, ads: list[Ad], batch: int = 1000) -> dict[str, float]:
    """CPU µs per ad of each stage (`stage_pass`; best of 2 passes after a warm-up)."""
    with collector_paused():
        stage_pass(screener, ads, batch)
        runs = [stage_pass(screener, ads, batch) for _ in range(2)]
    return {name: min(r[name] for r in runs) / len(ads) * 1e6 for name in runs[0]}


def cold_stages(ads: list[Ad], warm_runs: int = 3) -> None:
    """What a cold run pays, stage by stage: in this process (call it first), the stages'
    first pass over `ads` (every memo, lazy table and page of memory new) against the best of
    `warm_runs` later passes, CPU µs per ad, with each stage's minor page faults in the first
    pass and the whole pass's system CPU (the kernel zeroing new memory)."""
    screener = Screener()
    faults: dict[str, int] = {}
    before = os.times()
    cold = stage_pass(screener, ads, faults=faults)
    after = os.times()
    warm = [stage_pass(screener, ads) for _ in range(warm_runs)]
    n = len(ads)
    best = {name: min(r[name] for r in warm) for name in cold}
    system = (after.system - before.system) / n * 1e6
    print(f"cold vs warm by stage, {n:,} ads ({load_average()}), CPU µs/ad: first pass "
          f"{sum(cold.values()) / n * 1e6:.1f} (system {system:.1f}, "
          f"{sum(faults.values()):,} minor page faults), best of {warm_runs} later "
          f"{sum(best.values()) / n * 1e6:.1f}")
    for name in sorted(cold, key=lambda k: best[k] - cold[k]):
        print(f"  {name:22s} cold {cold[name] / n * 1e6:6.1f}  warm {best[name] / n * 1e6:6.1f}"
              f"  +{(cold[name] - best[name]) / n * 1e6:5.1f}  faults {faults.get(name, 0):6,}")


def cold_screening(corpus: str, count: int, on: bool, warm_up: str = "") -> float:
    """CPU seconds to screen the corpus once in a fresh process (`on`: with the core), the
    Screener built before the clock starts. Without `warm_up`, as a real run's first ads are
    screened: every memo and lazily built automaton empty. With `warm_up` (a synthetic corpus
    path), as a long run's later ads are: the process has first screened 3,000 ads of that
    corpus and the DIG ads when present, so its automata have their states, but the memos
    of values (a phone number's type, a name's form) hold only what those other ads had,
    which a second pass over the same ads ("warm") would find filled."""
    code = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "from screen import corpus_ads, load_real_ads, REAL_ADS\n"
        "from amberline.pipeline import Screener\n"
        "ads = corpus_ads(sys.argv[1], int(sys.argv[2]))\n"
        "screener = Screener()\n"
        "if sys.argv[3]:\n"
        "    other = corpus_ads(sys.argv[3], 3000) + load_real_ads(REAL_ADS)\n"
        "    for i in range(0, len(other), 1000):\n"
        "        screener.screen_batch(other[i : i + 1000])\n"
        "started = time.process_time()\n"
        "for i in range(0, len(ads), 1000):\n"
        "    screener.screen_batch(ads[i : i + 1000])\n"
        "print(time.process_time() - started)\n"
    )
    env = {**os.environ, core.ENV_VAR: "rust" if on else "python"}
    out = subprocess.run([sys.executable, "-c", code, corpus, str(count), warm_up], env=env,
                         check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def fresh_processes(corpus: str, count: int, warm_up: str = "", runs: int = 3
                    ) -> dict[bool, float]:
    """`cold_screening` with the core and without, in `runs` fresh processes each
    (alternating): the median of each. One process screens each ad once, so it cannot take
    the best of several passes as the warm figures do, and on a shared machine a single
    process's CPU time moves with the load by more than the code's changes."""
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(runs):
        for on in (True, False):
            times[on].append(cold_screening(corpus, count, on, warm_up))
    return {on: statistics.median(seconds) for on, seconds in times.items()}


def corpus_ads(corpus: str, count: int) -> list[Ad]:
    """The ads of a corpus by name: "real" (backpage-dev), else a synthetic JSONL path."""
    ads = backpage_dev_ads() if corpus == "real" else load_ads(Path(corpus))
    return ads[:count]


def core_figures(label: str, ads: list[Ad], naive_sample: int, corpus: str,
                 targets: bool = False, warm_up: str = "") -> None:
    """The core against the Python reference on `ads` (`corpus` names them for a fresh
    process): each ad screened once in a fresh process (cold: memos empty, as in a real
    run's first ads; with `warm_up`, also "steady": after other ads, as in a long run's
    later ads, see `cold_screening`), then in this process the normaliser alone, the
    lexicon matcher alone (on the normalised texts, a batch joined as the pipeline joins it)
    and full screening, best of 3 alternating runs after a warm-up of each (warm); the
    core's stages one by one; whether
    both give identical output (normalised texts with their maps and obfuscations; every
    field of every screening); the naive reference on the first `naive_sample` ads, and
    both against it. `targets`: say whether issue 14's targets hold on these ads."""
    from amberline.extract import BATCH_SEPARATOR
    from amberline.text.normalise import normalise_batch, reference_batch

    if not ads:
        return
    size = text_bytes(ads)
    texts = [ad.text for ad in ads]
    began_load = load_average()
    cold = fresh_processes(corpus, len(ads))
    steady = fresh_processes(corpus, len(ads), warm_up) if warm_up else {}
    joined = [BATCH_SEPARATOR.join(n.text for n in reference_batch(texts[i : i + 1000]))
              for i in range(0, len(texts), 1000)]

    def normaliser() -> float:
        started = time.process_time()
        for i in range(0, len(texts), 1000):
            normalise_batch(texts[i : i + 1000])
        return time.process_time() - started

    def matcher(screener: Screener) -> float:
        started = time.process_time()
        for batch in joined:
            screener.matcher.match(batch)
        return time.process_time() - started

    best: dict[tuple[str, bool], float] = {}
    screeners = {}
    for on in (True, False):
        use_core(on)
        screeners[on] = Screener()
        normaliser()
        bench_screener_with(screeners[on], ads)
    for _ in range(3):
        for on in (True, False):
            use_core(on)
            stages = (("normaliser", normaliser),
                      ("lexicon", lambda s=screeners[on]: matcher(s)),
                      ("screening", lambda s=screeners[on]: bench_screener_with(
                          s, ads, clock=time.process_time)))
            for stage, run in stages:
                best[stage, on] = min(best.get((stage, on), float("inf")), run())
    use_core(True)
    parts = stage_figures(screeners[True], ads)
    with_core = _normalised(ads), _screened(screeners[True], ads)
    use_core(False)
    identical = [a == b for a, b in zip(with_core, (_normalised(ads), _screened(screeners[False],
                                                                                 ads)),
                                        strict=True)]
    engines = f"core matcher engine {screeners[True].matcher.engine!r}, " \
              f"reference {screeners[False].matcher.engine!r}"
    sample = ads[:naive_sample]
    naive_s = bench_naive_cpu(sample, naive_patterns(screeners[False]))
    naive_mb = text_bytes(sample) / MB / naive_s
    os.environ.pop(core.ENV_VAR, None)
    core.reset()
    print(f"core vs Python reference, {label} ({len(ads):,} ads, {size / MB:.2f} MB, "
          f"{size / len(ads):.0f} bytes/ad; {engines}; {began_load} at the start, "
          f"{load_average()} at the end)")
    print(f"  output identical: normaliser {'yes' if identical[0] else 'NO'}, screening "
          f"(every field of every screening) {'yes' if identical[1] else 'NO'}")
    rows = [("screening, cold", cold[True], cold[False])]
    if steady:
        rows.append(("screening, steady", steady[True], steady[False]))
    print("  (cold and steady: median of 3 fresh processes each; warm: best of 3 passes)")
    rows += [(f"{stage}, warm", best[stage, True], best[stage, False])
             for stage in ("screening", "normaliser", "lexicon")]
    for stage, fast, slow in rows:
        print(f"  {stage + ':':19} CPU: core {size / MB / fast:7.2f} MB/s "
              f"({fast / len(ads) * 1e6:6.1f} µs/ad)   python {size / MB / slow:7.2f} MB/s "
              f"({slow / len(ads) * 1e6:6.1f} µs/ad)   ratio {slow / fast:5.1f}x")
    print("  core stages, warm (CPU µs/ad): " + ", ".join(
        f"{name} {value:.1f}" for name, value in sorted(parts.items(), key=lambda kv: -kv[1])))
    warm = size / MB / best["screening", True]
    slow = size / MB / best["screening", False]
    cold_mb = size / MB / cold[True]
    steady_mb = size / MB / steady[True] if steady else None
    print(f"  naive reference (CPU, first {len(sample):,} ads): {naive_mb:.2f} MB/s; "
          f"screening vs naive: core {warm / naive_mb:.1f}x warm, {cold_mb / naive_mb:.1f}x "
          f"cold; python {slow / naive_mb:.1f}x warm")
    if targets:
        def verdict(ok: bool) -> str:
            return "met" if ok else "NOT met"

        print(f"  issue 14 targets on these ads (core, one core): >= 15 MB/s: {warm:.2f} warm "
              f"{verdict(warm >= 15)}, {cold_mb:.2f} cold {verdict(cold_mb >= 15)}"
              + (f", {steady_mb:.2f} steady {verdict(steady_mb >= 15)}" if steady_mb else "")
              + "; "
              f">= 100x naive: {warm / naive_mb:.1f}x {verdict(warm / naive_mb >= 100)}; "
              f"identical output: {verdict(all(identical))}")


def bench_naive_cpu(ads: list[Ad], patterns: list[re.Pattern[str]]) -> float:
    """`bench_naive` in CPU time, as the core figures are measured."""
    started = time.process_time()
    bench_naive(ads, patterns)
    return time.process_time() - started


def startup_figures() -> None:
    """CPU and wall time of `amberline extract` on empty input, each in a fresh process:
    with the core, its disk cache (`amberline.disk_cache`) and the interpreter's bytecode
    cache cold (empty directories) and then warm (best of 5), and with the Python reference
    (warm). The bytecode goes to a temporary directory (`PYTHONPYCACHEPREFIX`), as an
    installed package has its own; `PYTHONDONTWRITEBYTECODE` is ignored here."""
    def run(env: dict[str, str]) -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "amberline.cli", "extract", "-"], env=env,
                       input="", check=True, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime), wall

    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as pyc:
        env = {**os.environ, "AMBERLINE_CACHE_DIR": cache, core.ENV_VAR: "rust",
               "PYTHONPYCACHEPREFIX": pyc}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cold = run(env)
        warm = min(run(env) for _ in range(5))
        python = min(run({**env, core.ENV_VAR: "python"}) for _ in range(5))
    print("start-up, `amberline extract` on empty input (CPU s / wall s): "
          f"core cold caches {cold[0]:.2f} / {cold[1]:.2f}, core warm caches (best of 5) "
          f"{warm[0]:.2f} / {warm[1]:.2f}, Python reference (best of 5) "
          f"{python[0]:.2f} / {python[1]:.2f}")


def bench_screener_with(screener: Screener, ads: list[Ad], batch: int = 1000,
                        clock=time.perf_counter) -> float:
    started = clock()
    for i in range(0, len(ads), batch):
        screener.screen_batch(ads[i : i + batch])
    return clock() - started


def backpage_dev_ads() -> list[Ad]:
    """The real Backpage dev ads (read at run time, never stored), or [] when absent."""
    if not BACKPAGE_DEV.exists():
        return []
    with BACKPAGE_DEV.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [Ad(source="backpage-dev", source_id=str(row.get("id", i)),
               title=row.get("title") or "", body=row.get("body") or "")
            for i, row in enumerate(rows)]


def real_figures(repeat: int) -> None:
    """Screening speed on the real dev ads (read at run time, never stored), if present."""
    real = load_real_ads(REAL_ADS)
    if not real:
        print(f"real dev ads: none at {REAL_ADS} (skipped)")
        return
    ads = [Ad(source=ad.source, source_id=f"{r}:{ad.source_id}", body=ad.body)
           for r in range(repeat) for ad in real]
    size = text_bytes(ads)
    seconds = bench_screener(ads, batch=500)
    naive_s = bench_naive_cpu(real, naive_patterns(Screener()))
    naive_mb = text_bytes(real) / MB / naive_s
    print(f"real dev ads ({len(real)} x {repeat}, {size / MB:.1f} MB): "
          f"{len(ads) / seconds:10,.0f} ads/s  {size / MB / seconds:7.2f} MB/s per core; "
          f"naive {naive_mb:.2f} MB/s, speed-up {size / MB / seconds / naive_mb:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2000)
    parser.add_argument("--real-repeat", type=int, default=20)
    parser.add_argument("--core-ads", type=int, default=20_000,
                        help="synthetic ads for the core against the Python reference")
    parser.add_argument("--skip-scan", action="store_true", help="screening figures only")
    parser.add_argument("--core-only", action="store_true",
                        help="only the core against the Python reference, and start-up")
    parser.add_argument("--cold-stages", action="store_true",
                        help="only what a cold run pays, stage by stage, on the real dev ads")
    args = parser.parse_args()
    if args.cold_stages:
        real = backpage_dev_ads()
        if real:
            cold_stages(real)
        else:
            print(f"real dev ads: none at {BACKPAGE_DEV} (skipped)")
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        big, small = work / "ads.jsonl", work / "small.jsonl"
        write_corpus(big, args.ads, seed=11)
        write_corpus(small, max(args.ads // 10, 1), seed=11)
        ads = load_ads(big)
        size = text_bytes(ads)
        print(f"corpus: {len(ads):,} ads, {size / MB:.1f} MB of ad text")
        print(f"compiled core: {'in use' if core.active() else 'not in use (Python reference)'}")
        if core.active():
            core_figures("synthetic", ads[: args.core_ads], args.baseline_sample, str(big))
            core_figures("backpage-dev (real)", backpage_dev_ads(), args.baseline_sample, "real",
                         targets=True, warm_up=str(big))
            startup_figures()
        if args.core_only:
            return

        fast_s = bench_screener(ads)
        fast_ads, fast_mb = len(ads) / fast_s, size / MB / fast_s
        print(f"screening (amberline):  {fast_ads:10,.0f} ads/s  {fast_mb:7.2f} MB/s per core"
              f" (CPU time; {load_average()})")

        sample = ads[: args.baseline_sample]
        naive_s = bench_naive_cpu(sample, naive_patterns(Screener()))
        naive_ads = len(sample) / naive_s
        naive_mb = text_bytes(sample) / MB / naive_s
        print(f"screening (naive):      {naive_ads:10,.0f} ads/s  {naive_mb:7.2f} MB/s per core"
              f"  (sample of {len(sample):,})")
        print(f"speed-up over naive:    {fast_mb / naive_mb:10.1f}x")
        record_floor(ads[:10_000], naive_mb)

        real_figures(args.real_repeat)
        if args.skip_scan:
            return
        real = backpage_dev_ads()
        if real:  # a temporary copy for the scan's reader, deleted with `work`
            with (work / "real.jsonl").open("w", encoding="utf-8") as handle:
                for ad in real:
                    handle.write(json.dumps({"source": ad.source, "id": ad.source_id,
                                             "title": ad.title, "body": ad.body}) + "\n")
            scan_figures("backpage-dev (real)", work / "real.jsonl", work / "real.db",
                         text_bytes(real), len(real), runs=3)
            # The export itself: its age, location and URL fields read, screened and stored
            # as a real scan of it does (the copy above holds the ads' text only).
            scan_figures("backpage-dev as exported, with its fields", BACKPAGE_DEV,
                         work / "export.db", text_bytes(real), len(real), runs=3)
        small_ads = load_ads(small)
        rss_small = scan_figures("synthetic", small, work / "small.db", text_bytes(small_ads),
                                 len(small_ads))
        rss_big = scan_figures("synthetic", big, work / "big.db", size, len(ads))
        print(f"peak RSS of the scans: {rss_small:.0f} MB for {len(small_ads):,} ads, "
              f"{rss_big:.0f} MB for {len(ads):,} (ratio {rss_big / rss_small:.2f}x for "
              f"{len(ads) / len(small_ads):.0f}x the input)")
        print(f"bench process peak RSS: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
