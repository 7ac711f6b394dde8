"""Workspace benchmark: queue page latency on a large store, and push-API throughput.

Seeds a SQLite store with N synthetic ads (1M by default): a pool of distinct synthetic ads is
screened once, then stored again and again under new source ids (screenings re-keyed, so the
spans, flags and full-text index are real), with posting dates spread over a year. Then, in
the same run and against the same store:
- queue pages (HTML, through the whole app in-process) for the first page, filtered pages and
  a page deep in the ranking by keyset cursor: p50/p95 latency; the baseline is the same deep
  page fetched with OFFSET, as a conventional pager would;
- push API throughput in ads/s with batches of 500, against one ad per request.

Usage: python bench/web.py [--ads 1000000] [--db bench/out/web.db] [--requests 100]
The store is kept and reused by later runs with the same --ads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from fastapi.testclient import TestClient

from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.store import queue
from amberline.store.accounts import add_user, get_user, new_token
from amberline.store.database import Store
from amberline.store.schema import ads
from amberline.synth.generate import write_corpus
from amberline.web.app import Settings, create_app

POOL = 5000


def pool(screener: Screener) -> list[tuple[Ad, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ads.jsonl"
        write_corpus(path, POOL, seed=23)
        ads = []
        for line in path.open(encoding="utf-8"):
            o = json.loads(line)
            ads.append(Ad(source=o["source"], source_id=o["id"], title=o.get("title", ""),
                          body=o.get("body", ""), city=o.get("city"), region=o.get("region")))
    return list(zip(ads, screener.screen_batch(ads), strict=True))


def seed(store: Store, n: int, screener: Screener) -> None:
    have = store.counts()["ads"]
    if have >= n:
        print(f"store already holds {have:,} ads")
        return
    base = pool(screener)
    start, t0 = datetime(2025, 1, 1, tzinfo=UTC), time.perf_counter()
    for lo in range(have, n, 5000):
        items = []
        for i in range(lo, min(n, lo + 5000)):
            ad, s = base[i % POOL]
            new = replace(ad, source_id=f"{ad.source_id}-{i}",
                          posted_at=start + timedelta(minutes=(i * 7919) % 525_600))
            items.append((new, replace(s, ad_key=new.key)))
        store.write_new(None, items)
        if lo % 100_000 == 0:
            print(f"  seeded {lo:,} ads ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"seeded {n - have:,} ads in {time.perf_counter() - t0:.0f} s")


def timed(client: TestClient, url: str, n: int) -> list[float]:
    client.get(url)  # warm
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return out


def report(name: str, ms: list[float]) -> tuple[float, float]:
    p50 = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 20 else max(ms)
    print(f"  {name:<44} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    return p50, p95


def _ms(fn, n: int) -> list[float]:
    fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def queue_bench(app, store: Store, n: int) -> None:
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {new_token(store, 'bench')}"
    category = app.state.facets.get()["categories"][0]
    total = store.counts()["ads"]
    depth = (total * 9 // 10) // 50 * 50  # 90% of the way down the ranking
    with store.engine.connect() as conn:
        last = conn.execute(sa.select(ads.c.score, ads.c.id)
                            .order_by(ads.c.score.desc(), ads.c.id.desc())
                            .offset(depth - 1).limit(1)).one()
    cursor = f"{last.score!r}:{last.id}"
    page_no = depth // 50 + 1
    print(f"queue pages (50 rows, whole app, HTML), {n} requests each:")
    p95s = [
        report("first page", timed(client, "/", n))[1],
        report(f"filter category={category}", timed(client, f"/?category={category}", n))[1],
        report("filter city + min_score", timed(client, "/?city=Houston&min_score=0.3", n))[1],
        report("filter status=open", timed(client, "/?status=open", n))[1],
        report("filter posted 2025-03-01..2025-03-07", timed(
            client, "/?posted_from=2025-03-01&posted_to=2025-03-07", n))[1],
        report(f"page {page_no:,} by keyset cursor", timed(
            client, f"/?after={quote(cursor)}", n))[1],
    ]
    print(f"  worst p95 {max(p95s):.1f} ms (target < 150 ms)")
    print(f"deep page {page_no:,}, query only, {max(5, n // 5)} each:")
    f = queue.QueueFilter()
    keyset = report("keyset (score, id) < cursor", _ms(lambda: queue.page(store, f, cursor),
                                                        max(5, n // 5)))
    offset = report(f"baseline: OFFSET {depth:,}", _ms(
        lambda: queue.offset_page(store, f, depth // 50), max(5, n // 5)))
    print(f"  keyset is {offset[0] / keyset[0]:.0f}x faster than OFFSET at p50")


def push_bench(app, store: Store, screener: Screener, batches: int) -> None:
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {new_token(store, 'bench')}"
    ads = [{"source": "bench-push", "source_id": f"{time.time_ns()}-{i}", "title": a.title,
            "body": a.body, "city": a.city, "region": a.region}
           for i, (a, _) in enumerate(pool(screener)[:500 * batches])]
    t = time.perf_counter()
    for lo in range(0, len(ads), 500):
        r = client.post("/api/v1/ads", json={"ads": ads[lo:lo + 500]})
        assert r.status_code == 200, r.text
    batched = len(ads) / (time.perf_counter() - t)
    single = [dict(a, source_id=a["source_id"] + "-single") for a in ads[:200]]
    t = time.perf_counter()
    for a in single:
        assert client.post("/api/v1/ads", json={"ads": [a]}).status_code == 200
    one = len(single) / (time.perf_counter() - t)
    print(f"push API: {batched:,.0f} ads/s in batches of 500 (target >= 500); "
          f"baseline one ad per request {one:,.0f} ads/s; ratio {batched / one:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--push-batches", type=int, default=8)
    args = parser.parse_args()
    db = args.db or Path("bench/out") / f"web-{args.ads}.db"
    store = Store(db)
    screener = Screener()
    seed(store, args.ads, screener)
    if get_user(store, "bench") is None:
        add_user(store, "bench", "analyst", "bench-password")
    app = create_app(store, Settings(secret_key="bench"))
    app.state.screener = screener
    print(f"store {db}: {store.counts()['ads']:,} ads")
    queue_bench(app, store, args.requests)
    push_bench(app, store, screener, args.push_batches)


if __name__ == "__main__":
    main()
