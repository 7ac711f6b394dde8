"""Every hostile-input finding of issue 9 about ingest: each record costs itself, never the run.

One test per finding. Each builds the hostile input (synthetic, clinical), runs the real reader
or a real scan into a SQLite file, and checks that the bad record is quarantined with its file,
line and code while every other record is stored.
"""

from __future__ import annotations

import io
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile_support import ad, screener, write_jsonl
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from amberline.ingest.reader import read_path
from amberline.ingest.records import BadRecord, ReadOptions
from amberline.model import Ad
from amberline.scan import run_scan
from amberline.store.database import Store
from web_helpers import BACKENDS, database


@pytest.fixture
def deadline() -> Iterator[None]:
    """Turn a hang (a FIFO read, a runaway parse) into a failure instead of a stuck suite."""

    def stop(*_: object) -> None:
        raise TimeoutError("the reader hung")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _scan(tmp_path: Path, path: Path) -> tuple[Store, object]:
    store = Store(tmp_path / "h.db")
    return store, run_scan([path], store, screener(), batch_size=4)


def _split(items: list[Ad | BadRecord]) -> tuple[list[Ad], list[BadRecord]]:
    return ([i for i in items if isinstance(i, Ad)],
            [i for i in items if isinstance(i, BadRecord)])


JSON_CASES = {
    "lone_surrogate": ('{"id": "x", "body": "new in town \\ud83d"}', "bad_encoding"),
    "big_integer": ('{"id": "x", "body": "hello", "n": ' + "7" * 5000 + "}", "big_number"),
    "deep_nesting": ('{"id": "x", "body": "hello", "n": ' + "[" * 1200 + "]" * 1200 + "}",
                     "too_deep"),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_one_bad_json_record_is_quarantined_and_the_scan_goes_on(tmp_path: Path,
                                                                  case: str) -> None:
    line, code = JSON_CASES[case]
    records = [ad(i) for i in range(9)]
    path = write_jsonl(tmp_path / "ads.jsonl", [*records[:5], line, *records[5:]])
    store, counts = _scan(tmp_path, path)
    assert (counts.read, counts.stored, counts.quarantined) == (10, 9, 1)
    assert [(q.line, q.code) for q in store.quarantined()] == [(6, code)]
    assert store.scan(1).status == "finished"


@pytest.mark.parametrize("date", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00",
                                  "0001-01-01"])
def test_dates_near_year_1_and_9999_keep_the_ad_without_the_date(tmp_path: Path,
                                                                 date: str) -> None:
    """The ad is screened and stored; the date it cannot have is kept as text in raw."""
    path = write_jsonl(tmp_path / "ads.jsonl", [ad(0), {**ad(1), "date": date}, ad(2)])
    store, counts = _scan(tmp_path, path)
    assert (counts.stored, counts.quarantined) == (3, 0)
    stored = store.get_ad("ads:ad-1")
    assert stored is not None and stored.ad.posted_at is None
    assert stored.ad.raw["posted_at_unparsed"] == date


def test_a_stray_csv_quote_costs_one_row_not_the_rest_of_the_file(tmp_path: Path) -> None:
    rows = ["id,title,body", *(f"{i},Listing {i},call 703 555 {i:04d}" for i in range(300))]
    rows[51] = '50,Listing 50,"call me now'  # a quote that never closes
    rows[11] = '10,Listing 10,"two lines\nof body, kept"'  # a real multi-line field
    path = tmp_path / "ads.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ads, bad = _split(list(read_path(path, ReadOptions())))
    assert [(b.line, b.code) for b in bad] == [(53, "quote_run")]
    assert len(ads) == 299 and ads[10].body == "two lines\nof body, kept"
    assert [a.source_id for a in ads[50:52]] == ["51", "52"]
    assert max(len(a.body) for a in ads) < 40


def test_html_folder_reads_no_links_out_devices_or_pipes(tmp_path: Path, deadline) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text("<title>Listing</title><p>call 703 555 0142</p>")
    outside = tmp_path / "secret.html"
    outside.write_text("<p>not part of the scan</p>")
    (site / "out.html").symlink_to(outside)
    (site / "zero.html").symlink_to("/dev/zero")
    os.mkfifo(site / "pipe.html")
    (site / "same.html").symlink_to(site / "a.html")  # a link inside the folder is read
    ads, bad = _split(list(read_path(site, ReadOptions())))
    assert sorted(a.source_id for a in ads) == ["a.html", "same.html"]
    assert sorted((Path(b.file).name, b.code) for b in bad) == [
        ("out.html", "not_regular"), ("pipe.html", "not_regular"), ("zero.html", "not_regular")]


def test_a_page_of_deeply_nested_divs_is_set_aside_unparsed(tmp_path: Path, deadline) -> None:
    site = tmp_path / "site"
    site.mkdir()
    depth = 950_000 // 11
    (site / "deep.html").write_text("<body>" + "<div>" * depth + "x" + "</div>" * depth)
    (site / "ok.html").write_text("<title>Listing</title><p>call 703 555 0142</p>")
    ads, bad = _split(list(read_path(site, ReadOptions(max_record_bytes=2_000_000))))
    assert [a.source_id for a in ads] == ["ok.html"]
    assert [(Path(b.file).name, b.code) for b in bad] == [("deep.html", "bad_html")]
    assert "deep" in bad[0].reason


def test_one_bad_parquet_timestamp_costs_its_row_not_the_row_group(tmp_path: Path) -> None:
    n = 500
    stamps = [1_767_225_600_000_000] * n
    stamps[7] = 2**62  # past year 9999 once converted
    table = pa.table({"id": [str(i) for i in range(n)], "body": ["call 703 555 0142"] * n,
                      "date": pa.array(stamps, pa.int64()).cast(pa.timestamp("us"))})
    pq.write_table(table, tmp_path / "ads.parquet", row_group_size=n)
    ads, bad = _split(list(read_path(tmp_path / "ads.parquet", ReadOptions())))
    assert len(ads) == n - 1
    assert [(b.line, b.code) for b in bad] == [(8, "bad_row")]


def _warc(gz: bool) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for i in range(3):
        body = f"<title>Listing {i}</title><p>call 703 555 014{i}</p>".encode()
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"http://ads.test/{i}", "response", payload=io.BytesIO(body),
            http_headers=headers))
    return buf.getvalue()


@pytest.mark.parametrize("gz", [False, True])
def test_a_cut_in_the_last_warc_record_is_always_reported(tmp_path: Path, gz: bool) -> None:
    """Every cut inside the last record (its headers, its HTTP headers, its payload) leaves two
    ads and one quarantined record; cuts in the line ends after it lose nothing."""
    data = _warc(gz)
    whole = list(read_path(_write(tmp_path, data, gz), ReadOptions()))
    assert len(_split(whole)[0]) == 3
    starts = [r.raw["warc_offset"] for r in whole]
    last = starts[-1]
    missed = []
    for cut in range(last + 12, len(data) - 12):
        ads, bad = _split(list(read_path(_write(tmp_path, data[:cut], gz), ReadOptions())))
        if len(ads) != 2 or [b.code for b in bad] != ["truncated"]:
            missed.append(cut)
    assert missed == []


def _write(tmp_path: Path, data: bytes, gz: bool) -> Path:
    path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    path.write_bytes(data)
    return path


def test_extract_answers_blank_and_oversized_lines_in_place() -> None:
    """`extract` skipped blank lines, so its outputs no longer lined up with its inputs."""
    from amberline.extract_command import extract_lines

    good = json.dumps({"id": "a", "text": "call 703 555 0142"}) + "\n"
    huge = json.dumps({"id": "h", "text": "z" * 1_100_000}) + "\n"
    out = io.StringIO()
    extract_lines([good, "\n", "   \n", huge, good], out, screener())
    results = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(results) == 5
    assert [r.get("error", "").split(": ")[1:2] for r in results] == [
        [], ["no_text"], ["no_text"], ["too_large"], []]


def test_a_field_with_a_bare_carriage_return_between_line_breaks_is_read(tmp_path: Path) -> None:
    """Found by the CSV round-trip property test: the stray-quote check read each later line of
    a multi-line field on its own, and a line holding a bare carriage return raised csv.Error,
    which ended the read."""
    import csv

    path = tmp_path / "cr.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "body"], ["1", "\n\r0\n"], ["2", "plain"]])
    records = list(read_path(path, ReadOptions(), None))
    assert [(r.source_id, r.body) for r in records if isinstance(r, Ad)] == [
        ("1", "\n\r0\n"), ("2", "plain")]


def test_extract_output_is_one_line_per_ad_for_every_line_splitter() -> None:
    """A body holding U+0085, U+2028 or U+2029 came out raw inside the JSON string: valid JSON,
    but `str.splitlines()` and JavaScript readers cut the record there."""
    from amberline.extract_command import extract_lines

    body = "new in town\u0085call\u2028703 555 0142\u2029ask for Mia"
    out = io.StringIO()
    ad_id = "ad\u2028one\u0085"  # ids are echoed as given
    extract_lines([json.dumps({"id": ad_id, "text": body}) + "\n"], out, screener())
    (line,) = out.getvalue().splitlines()
    result = json.loads(line)
    assert result["id"] == ad_id and result["phones"] and "error" not in result


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_nul_character_costs_nothing_on_either_backend(tmp_path: Path, backend: str) -> None:
    """U+0000 in an ad (a JSON escape, or a raw byte in a CSV cell) failed the whole batch on
    PostgreSQL, which stores no U+0000 in text: one such ad hid every ad batched with it."""
    nul = {"id": "n\u0000ul", "body": "new in town\u0000 call 703 555 0142",
           "city": "Spring\u0000field", "extra": "x\u0000y"}
    path = write_jsonl(tmp_path / "ads.jsonl", [ad(0), json.dumps(nul), ad(1), "{\u0000"])
    with database(backend, tmp_path, "nul.db") as db:
        store = Store(db)
        counts = run_scan([path], store, screener(), batch_size=4)
        assert (counts.stored, counts.quarantined) == (3, 1)
        stored = store.get_ad("ads:n\ufffdul")
        assert stored is not None and stored.ad.body == "new in town\ufffd call 703 555 0142"
        assert stored.ad.city == "Spring\ufffdfield"
        assert [s.value for s in stored.screening.spans if s.kind == "phone"] == ["+17035550142"]
        assert "\u0000" not in store.quarantined()[0].excerpt
        store.close()
