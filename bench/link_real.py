"""Link quality on real ads: do text-linked networks hold ads that share a phone?

    .venv/bin/python bench/link_real.py [--data ../shared/data/ads-dev/backpage-dev.jsonl]

Why: the synthetic corpus has little boilerplate, real ads have a lot (site disclaimers, emoji
banners, rate tables), so text linking must be judged on real text too. The method is the one
of `../shared/data/README.md`: every digit of the ads is masked (as when numbers are hidden in
images or rotated), the masked ads are scanned and linked in a temporary database, and every
network is compared with the pairs of ads that share a phone number on the unmasked text
(phones as our extractor finds them). The scoring is `../shared/eval/pairs_vs_phones.py`
itself, run as a child process on the files written here. Printed: the default linking and
the `REAL_TEXT` profile (`amberline link --real-text`), that profile per edge kind (a relink
with only that kind, and without place edges), each with its link time, a plain MinHash LSH
baseline (Jaccard >= 0.7 over word 5-shingles,
components of the pairs) on the same masked text, and the same with the digits left in
(there also identifier keys alone, whose wrong pairs come from ads listing two phones, and
identifier keys under the contact bridge rule that `REAL_TEXT` applies).

The data lives beside the repository (`../shared`), never in it: without it this says so and
exits 0. Nothing of the ads' text is printed or written outside the temporary directory.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from amberline.link.components import components
from amberline.link.edges import KINDS
from amberline.link.keys import normalise_key
from amberline.link.minhash import MinHasher
from amberline.link.neardup import similar_pairs
from amberline.link.record import REAL_TEXT, LinkConfig
from amberline.link.store_link import link_store
from amberline.model import PHONE
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.database import Store
from amberline.store.schema import ads, identifiers
from amberline.store.schema_networks import network_members

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "ads-dev" / "backpage-dev.jsonl"
SCORER = SHARED / "eval" / "pairs_vs_phones.py"
TEXT_FIELDS = ("title", "body", "location", "url", "age_field")
KIND_ROWS = ("near_dup", "template", "place", "handle", "email", "url")
IDENTIFIERS = ("phone", "email", "handle", "url")
_DIGIT = re.compile(r"\d")


def masked(record: dict) -> dict:
    """The record with every digit of every text field replaced by '#'."""
    out = dict(record)
    for f in TEXT_FIELDS:
        if isinstance(out.get(f), str):
            out[f] = _DIGIT.sub("#", out[f])
    return out


def scan(path: Path, db: Path) -> Store:
    store = Store(db)
    run_scan([path], store, Screener(), on_stored=default_hooks(store))
    return store


def ad_ids(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [k for (k,) in conn.execute(sa.select(ads.c.key).order_by(ads.c.id))]


def phones(store: Store) -> dict[str, list[str]]:
    """Phones per ad id (the part of the ad key after the source), as the extractor found
    them on the unmasked text, normalised like link keys."""
    out: dict[str, set[str]] = {k.split(":")[-1]: set() for k in ad_ids(store)}
    with store.engine.connect() as conn:
        q = (sa.select(ads.c.key, identifiers.c.value)
             .join(identifiers, identifiers.c.ad_id == ads.c.id)
             .where(identifiers.c.kind == PHONE))
        for key, value in conn.execute(q):
            norm = normalise_key(PHONE, value)
            if norm:
                out[key.split(":")[-1]].add(norm)
    return {k: sorted(v) for k, v in out.items()}


def stored_networks(store: Store) -> list[list[str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(network_members.c.network_id, ads.c.key).join(
            ads, ads.c.id == network_members.c.ad_id).order_by(ads.c.id)).all()
    nets: dict[str, list[str]] = {}
    for nid, key in rows:
        nets.setdefault(nid, []).append(key)
    return list(nets.values())


def judge(nets: list[list[str]], phones_file: Path, work: Path) -> tuple[float, float, float]:
    """(precision, recall, F1) from the shared scorer, run on these networks."""
    clusters = work / "clusters.jsonl"
    with clusters.open("w", encoding="utf-8") as fh:
        for members in nets:
            fh.write(json.dumps({"ads": members}) + "\n")
    out = subprocess.run([sys.executable, str(SCORER), str(clusters), str(phones_file)],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"precision ([\d.]+) recall ([\d.]+) F1 ([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"unexpected scorer output: {out!r}")
    return tuple(float(x) for x in found.groups())  # type: ignore[return-value]


def baseline(store: Store, threshold: float = 0.7, shingle: int = 5) -> list[list[str]]:
    """Plain MinHash LSH: Jaccard >= threshold over word `shingle`-shingles of title + body,
    networks = connected components of the pairs. No boilerplate handling, no keys."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(ads.c.key, ads.c.title, ads.c.body)
                            .order_by(ads.c.id)).all()
    texts = [f"{t or ''}\n{b or ''}" for _, t, b in rows]
    sig, empty = MinHasher(128, shingle, 1).signatures(texts)
    i, j, _ = similar_pairs(sig, empty, threshold)
    labels = components(len(rows), i, j)
    nets: dict[int, list[str]] = {}
    for (key, _, _), lab in zip(rows, labels.tolist(), strict=True):
        nets.setdefault(lab, []).append(key)
    return [m for m in nets.values() if len(m) > 1]


def line(name: str, prf: tuple[float, float, float], nets: list[list[str]],
         seconds: float | None = None) -> str:
    p, r, f = prf
    in_nets = sum(len(m) for m in nets)
    took = f" {seconds:>6.2f}" if seconds is not None else ""
    return (f"{name:<24} {p:>9.3f} {r:>7.3f} {f:>6.3f} {len(nets):>9,} {in_nets:>7,}{took}")


def linked(store: Store, cfg: LinkConfig) -> tuple[list[list[str]], float]:
    """Relink the store with `cfg`; its networks and the link's CPU time (seconds: this
    process, SQLite included; wall time on a shared machine says more about the others)."""
    t = time.process_time()
    link_store(store, cfg, rebuild=True)
    return stored_networks(store), time.process_time() - t


def timed_baseline(store: Store) -> tuple[list[list[str]], float]:
    t = time.process_time()
    nets = baseline(store)
    return nets, time.process_time() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-kinds", action="store_true", help="skip the per-kind relinks")
    args = parser.parse_args()
    if not args.data.exists() or not SCORER.exists():
        print(f"skipped: {args.data} or {SCORER} not found (the reference data lives beside "
              "the repository, in ../shared)")
        return
    lines = args.data.read_text(encoding="utf-8").split("\n")
    records = [json.loads(x) for x in lines if x.strip()]
    with tempfile.TemporaryDirectory(prefix="amberline-link-real-") as tmp:
        work = Path(tmp)
        masked_file = work / "backpage.jsonl"
        plain_file = work / "plain" / "backpage.jsonl"
        plain_file.parent.mkdir()
        with plain_file.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in records)
        with masked_file.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(masked(r)) + "\n" for r in records)
        t = time.perf_counter()
        plain = scan(plain_file, work / "plain.db")
        masked_store = scan(masked_file, work / "masked.db")
        t_scan = time.perf_counter() - t
        truth = phones(plain)
        phones_file = work / "phones.jsonl"
        with phones_file.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps({"id": k, "phones": v}) + "\n" for k, v in truth.items())
        with_phone = sum(1 for v in truth.values() if v)
        print(f"{len(records):,} ads, {with_phone:,} with a phone on the unmasked text; "
              f"scan of both copies {t_scan:.1f}s")
        print(f"{'digits masked':<24} {'precision':>9} {'recall':>7} {'F1':>6} "
              f"{'networks':>9} {'in nets':>7} {'CPU s':>6}")
        for name, cfg in (("amberline default", LinkConfig()), ("amberline REAL_TEXT", REAL_TEXT)):
            nets, took = linked(masked_store, cfg)
            print(line(name, judge(nets, phones_file, work), nets, took))
        if not args.no_kinds:
            for kind in KIND_ROWS:
                nets, took = linked(masked_store, replace(REAL_TEXT, kinds=(kind,)))
                print(line(f"  {kind} only", judge(nets, phones_file, work), nets, took))
            others = tuple(k for k in KINDS if k != "place")
            nets, took = linked(masked_store, replace(REAL_TEXT, kinds=others))
            print(line("  REAL_TEXT w/o place", judge(nets, phones_file, work), nets, took))
        nets, took = timed_baseline(masked_store)
        print(line("MinHash LSH J>=0.7 5-sh", judge(nets, phones_file, work), nets, took))
        print("digits present")
        for name, cfg in (("amberline default", LinkConfig()), ("amberline REAL_TEXT", REAL_TEXT),
                          ("  identifiers only", LinkConfig(kinds=IDENTIFIERS)),
                          ("  identifiers, contacts", LinkConfig(kinds=IDENTIFIERS,
                                                                 bridge_contacts=True))):
            nets, took = linked(plain, cfg)
            print(line(name, judge(nets, phones_file, work), nets, took))
        nets, took = timed_baseline(plain)
        print(line("MinHash LSH J>=0.7 5-sh", judge(nets, phones_file, work), nets, took))
        print("CPU s: link_store --rebuild of the stored ads (signatures computed at scan "
              "time; networks described and written); the baseline's includes hashing the "
              "texts and writes nothing")
        for s in (plain, masked_store):
            s.engine.dispose()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
