"""Hostile corpus through `scan`, `extract` and the push API: what goes in, what is stored,
what is quarantined, and how long each took. Nothing may be lost and nothing may hang.

The corpus is generated (synthetic, clinical) in a temporary folder: JSON Lines with every
ingest finding of issue 9 among ordinary ads, a CSV with a stray quote, an HTML folder with a
link out, a device, a pipe and a page of 86,000 nested <div>, a Parquet file with one bad
timestamp, and a WARC cut inside its last record.

    python bench/hostile.py [--ads 10000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from amberline.extract_command import extract_lines
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.store.accounts import add_user, new_token
from amberline.store.database import Store
from amberline.web.app import Settings, create_app

WORDS = ["puertorican", "africanamerican", "nativeamerican", "americanindian", "middleeastern",
         "mixedrace", "plussize", "smallframe", "darkbrown hair", "lightbrown hair",
         "jetblack hair", "dirtyblonde hair", "strawberryblonde hair"]
HOSTILE_LINES = [
    '{"id": "s", "body": "new in town \\ud83d"}',
    '{"id": "i", "body": "x", "n": ' + "9" * 5000 + "}",
    '{"id": "d", "body": "x", "n": ' + "[" * 1200 + "]" * 1200 + "}",
    '{"id": "late", "body": "call 703 555 0100", "date": "9999-12-31T23:00:00-05:00"}',
    '{"id": "early", "body": "call 703 555 0101", "date": "0001-01-01T00:30:00+05:00"}',
    "", "[1, 2]", "{not json", '{"id": "big", "body": "' + "z" * 1_100_000 + '"}',
]


def body(i: int) -> str:
    return f"New in town, {WORDS[i % len(WORDS)]}, call 703 555 {i % 10000:04d}"


def write_jsonl(folder: Path, n: int) -> tuple[Path, int]:
    lines = [json.dumps({"id": f"ad-{i}", "body": body(i)}) for i in range(n)]
    step = max(n // len(HOSTILE_LINES), 1)
    for k, line in enumerate(HOSTILE_LINES):
        lines.insert(k * step + step // 2, line)
    path = folder / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines)


def write_csv(folder: Path, n: int) -> tuple[Path, int]:
    rows = ["id,title,body", *(f"{i},Listing {i},{body(i).replace(',', ';')}" for i in range(n))]
    rows[n // 2] = f"{n // 2},Listing,\"call me now"
    path = folder / "stray_quote.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, n


def write_html(folder: Path, n: int) -> tuple[Path, int]:
    site = folder / "site"
    site.mkdir()
    for i in range(n):
        (site / f"p{i:05d}.html").write_text(f"<title>Listing {i}</title><p>{body(i)}</p>")
    secret = folder / "outside.html"
    secret.write_text("<p>outside the folder</p>")
    (site / "link_out.html").symlink_to(secret)
    (site / "zero.html").symlink_to("/dev/zero")
    os.mkfifo(site / "pipe.html")
    depth = 950_000 // 11
    (site / "deep.html").write_text("<body>" + "<div>" * depth + "x" + "</div>" * depth)
    return site, n + 4


def write_parquet(folder: Path, n: int) -> tuple[Path, int]:
    stamps = [1_767_225_600_000_000] * n
    stamps[n // 3] = 2**62
    table = pa.table({"id": [str(i) for i in range(n)], "body": [body(i) for i in range(n)],
                      "date": pa.array(stamps, pa.int64()).cast(pa.timestamp("us"))})
    path = folder / "bad_timestamp.parquet"
    pq.write_table(table, path, row_group_size=n)
    return path, n


def write_warc(folder: Path, n: int) -> tuple[Path, int]:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    for i in range(n):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                   protocol="HTTP/1.1")
        payload = io.BytesIO(f"<title>Listing {i}</title><p>{body(i)}</p>".encode())
        writer.write_record(writer.create_warc_record(
            f"http://ads.test/{i}", "response", payload=payload, http_headers=headers))
    data = buf.getvalue()
    path = folder / "truncated.warc"
    path.write_bytes(data[: len(data) - 60])
    return path, n


def timed(func: Callable[[], object]) -> tuple[object, float]:
    began = time.perf_counter()
    result = func()
    return result, time.perf_counter() - began


def bench_scan(folder: Path, screener: Screener, case: str, path: Path, records: int) -> None:
    store = Store(folder / f"{case}.db")
    counts, seconds = timed(lambda: run_scan([path], store, screener))
    print(f"scan     {case:16} in {records:7d}  stored {counts.stored:7d}  "  # type: ignore[attr-defined]
          f"quarantined {counts.quarantined:5d}  {seconds:7.2f} s")  # type: ignore[attr-defined]
    store.close()


def bench_extract(path: Path, screener: Screener, records: int) -> None:
    out = io.StringIO()
    with path.open(encoding="utf-8", errors="replace") as lines:
        errors, seconds = timed(lambda: extract_lines(lines, out, screener))
    answered = len(out.getvalue().splitlines())
    print(f"extract  {'mixed.jsonl':16} in {records:7d}  answered {answered:5d}  "
          f"errors {errors:5d}  {seconds:7.2f} s")


def bench_push(folder: Path, screener: Screener, n: int) -> None:
    store = Store(folder / "push.db")
    add_user(store, "bench", "analyst", "correct horse battery")
    app = create_app(store, Settings(secret_key="bench"))  # type: ignore[arg-type]
    app.state.screener = screener
    client = TestClient(app)
    auth = {"Authorization": f"Bearer {new_token(store, 'bench')}"}
    ads = [{"source": "platform-x", "source_id": f"p{i}", "body": body(i)} for i in range(n)]
    ads += [{"source": "a:b", "source_id": "c", "body": "first"},
            {"source": "a", "source_id": "b:c", "body": "second"}]
    began, stored, quarantined, refused = time.perf_counter(), 0, 0, 0
    for start in range(0, len(ads), 500):
        answer = client.post("/api/v1/ads", headers=auth, json={"ads": ads[start:start + 500]})
        answer.raise_for_status()
        stored += answer.json()["stored"]
        quarantined += answer.json()["quarantined"]
    for date in ("0001-01-01T00:30:00+05:00", "9999-12-31T23:00:00-05:00"):
        bad = {"ads": [{"source": "platform-x", "source_id": date, "body": "x",
                        "posted_at": date}]}
        refused += client.post("/api/v1/ads", headers=auth, json=bad).status_code == 422
    seconds = time.perf_counter() - began
    print(f"push API {'batches of 500':16} in {len(ads) + 2:7d}  stored {stored:7d}  "
          f"quarantined {quarantined:5d}  refused(422) {refused}  {seconds:7.2f} s")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ads", type=int, default=10_000)
    n = parser.parse_args().ads
    screener = Screener()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        jsonl = write_jsonl(folder, n)
        cases = {"mixed.jsonl": jsonl, "stray_quote.csv": write_csv(folder, n),
                 "site/": write_html(folder, min(n, 2000)),
                 "bad_ts.parquet": write_parquet(folder, n),
                 "truncated.warc": write_warc(folder, min(n, 2000))}
        for case, (path, records) in cases.items():
            bench_scan(folder, screener, case.replace("/", ""), path, records)
        bench_extract(jsonl[0], screener, jsonl[1])
        bench_push(folder, screener, n)


if __name__ == "__main__":
    main()
