"""Cost of alert and watchlist matching, as ratios against a baseline measured in the same run.

1. Live: a scan of a synthetic corpus with the alert-matching hook (20 active alerts, 60
   watchlist entries) against the same scan without it.
2. Retroactive: matching one new alert, and one new phone entry, against the whole stored corpus,
   against the time of the scan that stored it.

    python bench/alerts.py [--ads 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from amberline.alerts.feeds import parse_document
from amberline.alerts.matching import MatchHook, match_alert, match_entry
from amberline.alerts.service import ingest
from amberline.alerts.watchlists import add_entry
from amberline.pipeline import ScreenConfig, Screener
from amberline.scan import run_scan
from amberline.store import Store
from amberline.synth.generate import write_corpus

ALERT = """<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>B-{n}</identifier>
<sender>bench@example.gov</sender><sent>2026-01-05T10:00:00-05:00</sent><status>Exercise</status>
<msgType>Alert</msgType><scope>Public</scope><info><category>Rescue</category>
<event>Child Abduction Emergency</event><urgency>Immediate</urgency><severity>Severe</severity>
<certainty>Likely</certainty><description>CHILD: {name} EXAMPLE, W/F, 15 YOA, 5'3 115 LBS
BRO/BLU. LAST SEEN 01/05/2026 AT 0900 HRS IN {city}.</description></info></alert>"""
NAMES = ["Mia", "Ruby", "Jade", "Candy", "Lily", "Emma", "Ava", "Zoe", "Nina", "Luna"]
CITIES = ["HOUSTON, TX", "ATLANTA, GA", "DENVER, CO", "NEWARK, NJ", "RENO, NV"]


def alerts(start: int, n: int) -> list:
    docs = [ALERT.format(n=i, name=NAMES[i % len(NAMES)].upper(), city=CITIES[i % len(CITIES)])
            for i in range(start, start + n)]
    return [a for d in docs for a in parse_document(d.encode(), "bench")]


def timed(fn):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ads", type=int, default=20000)
    args = parser.parse_args()
    screener = Screener(ScreenConfig())
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "ads.jsonl"
        write_corpus(corpus, args.ads, seed=7)
        with Store(Path(tmp) / "base.db") as store:
            base, _ = timed(lambda: run_scan([corpus], store, screener))
        with Store(Path(tmp) / "hooked.db") as store:
            ingest(store, alerts(0, 20))
            for i in range(60):
                add_entry(store, "phone", f"+1202555{i:04d}")
            hooked, _ = timed(lambda: run_scan([corpus], store, screener,
                                               on_stored=[MatchHook()]))
            report = ingest(store, alerts(100, 1))
            retro, found = timed(lambda: match_alert(store, report.alert_ids[0]))
            entry = add_entry(store, "phone", "+12025550999")
            retro_entry, _ = timed(lambda: match_entry(store, entry))
    print(f"ads: {args.ads}; scan without hook {base:.2f} s (baseline 1.00)")
    print(f"scan with matching hook (20 alerts, 60 entries): {hooked / base:.2f}x baseline")
    print(f"retroactive alert match over the store: {retro / base:.4f}x baseline "
          f"({retro * 1000:.0f} ms, {len(found)} new matches)")
    print(f"retroactive phone entry match: {retro_entry / base:.4f}x baseline "
          f"({retro_entry * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
