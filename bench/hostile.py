"""Hostile corpus through `scan`, `extract`, the push API and `alerts load`: what goes in, what
is stored, what is quarantined, and how long each took. Nothing may be lost and nothing may hang.

The corpus is generated (synthetic, clinical) in a temporary folder: JSON Lines with every
ingest finding of issue 9 among ordinary ads, a CSV with a stray quote, an HTML folder with a
link out, a device, a pipe and a page of 86,000 nested <div>, a Parquet file with one bad
timestamp, and a WARC cut inside its last record. For alerts: a folder of CAP documents (good,
broken, schema-invalid, an external entity, nested entity expansion) and a feed server on
loopback that links to itself and drips one byte a second.

    python bench/hostile.py [--ads 10000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from amberline.alerts import service
from amberline.alerts.feeds import FetchLimits, read_target
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


FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "alert_fixtures"
HOSTILE_CAP = {
    "external_entity.xml": '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM '
                           '"file:///etc/hostname">]><alert>&e;</alert>',
    "entity_expansion.xml": '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa">'
                            + "".join(f'<!ENTITY {x} "&{y};&{y};&{y};&{y};&{y};&{y};&{y};&{y};">'
                                      for x, y in zip("bcdefgh", "abcdefg", strict=True))
                            + "]><alert>&h;</alert>",
}


def _feed_server() -> tuple[str, Callable[[], None]]:
    """A loopback server: /feed links to itself; /drip sends one byte a second for a minute."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path.startswith("/feed"):
                body = (f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="{base}'
                        f'/feed?{self.path}x"/></entry></feed>').encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Length", "60")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server.shutdown


def bench_alerts(folder: Path) -> None:
    caps = folder / "caps"
    caps.mkdir()
    for name in ("amber_1_2.xml", "broken.xml", "invalid_schema.xml"):
        (caps / name).write_bytes((FIXTURES / name).read_bytes())
    for name, text in HOSTILE_CAP.items():
        (caps / name).write_text(text, encoding="utf-8")
    base, stop = _feed_server()
    loopback = FetchLimits(fetch_seconds=3.0, load_seconds=10.0, allow_networks=("127.0.0.1/32",))
    targets = {"folder of 5 docs": (str(caps), FetchLimits()),
               "self-linking feed": (f"{base}/feed", loopback),
               "dripping server": (f"{base}/drip", loopback),
               "loopback refused": (f"{base}/feed", FetchLimits())}
    try:
        for case, (target, limits) in targets.items():
            store = Store(folder / "alerts.db")

            def load(store: Store = store, target: str = target,
                     limits: FetchLimits = limits) -> object:
                try:
                    return service.ingest(store, read_target(target, limits))
                except OSError as exc:  # the whole target refused: said, never a hang
                    return exc

            report, seconds = timed(load)
            if isinstance(report, OSError):
                print(f"alerts   {case:16} refused: {type(report).__name__}  {seconds:7.2f} s")
            else:
                print(f"alerts   {case:16} in {report.read:7d}  "  # type: ignore[attr-defined]
                      f"stored {report.stored:7d}  quarantined {report.quarantined:5d}  "  # type: ignore[attr-defined]
                      f"{seconds:7.2f} s")
            store.close()
    finally:
        stop()


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
        bench_alerts(folder)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
