"""Source metadata beside the text (issue 10 item 4): the location, the poster's age field and a
contact phone are mapped on ingest for every format, kept on the ad (also through the store and
the engines' files), and extraction reads the age and phone fields with the origin `field`.

Every record here is invented and clinical.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amberline.engines.frames import ads_table, read_ads
from amberline.extract.places import own_places
from amberline.extract_command import extract_lines
from amberline.ingest import BadRecord, ReadOptions, read_path
from amberline.ingest.records import labelled_meta
from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.store.database import Store

BODY = "Quiet company downtown, call 703 555 0142"
RECORD = {"id": "m1", "title": "Visiting", "body": BODY, "location": "Springfield, Downtown",
          "age_field": 23, "phone": "(202) 555-0199", "posted": "2024-03-05T10:00:00Z"}
META = {"location": "Springfield, Downtown", "age": "23", "phone": "(202) 555-0199"}


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


def _ads(path: Path, **kw) -> list[Ad]:
    items = list(read_path(path, ReadOptions(**kw)))
    assert not [i for i in items if isinstance(i, BadRecord)]
    return [i for i in items if isinstance(i, Ad)]


def test_jsonl_csv_and_parquet_map_the_same_metadata(tmp_path: Path) -> None:
    jsonl = tmp_path / "ads.jsonl"
    jsonl.write_text(json.dumps(RECORD) + "\n", encoding="utf-8")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(RECORD))
    writer.writeheader()
    writer.writerow(RECORD)
    (tmp_path / "ads.csv").write_text(buf.getvalue(), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist([RECORD]), tmp_path / "ads.parquet")
    for name in ("ads.jsonl", "ads.csv", "ads.parquet"):
        (ad,) = _ads(tmp_path / name)
        assert ad.meta == META, name
        assert ad.posted_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC), name
        assert not {"location", "age_field", "phone", "posted"} & set(ad.raw), name


def test_column_map_names_a_metadata_field(tmp_path: Path) -> None:
    path = tmp_path / "ads.jsonl"
    path.write_text(json.dumps({"body": BODY, "years": "19", "age": "not this"}) + "\n")
    (ad,) = _ads(path, column_map={"age": "years"})
    assert ad.meta == {"age": "19"} and ad.raw == {"age": "not this"}


def test_html_page_label_lines(tmp_path: Path) -> None:
    page = ("<html><head><title>Visiting - 23</title></head><body><main>"
            "<p>Quiet company downtown</p><p>Poster's age: 23</p>"
            "<p>Location: Springfield, Downtown</p><p>The age: of reason is a book title</p>"
            "</main></body></html>")
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (ad,) = _ads(tmp_path / "a.html")
    assert ad.meta == {"age": "23", "location": "Springfield, Downtown"}
    assert labelled_meta("Call me\nphone: 703 555 0142\nTel: 202 555 0199") == {
        "phone": "703 555 0142"}


def test_age_field_is_an_age_with_origin_field(screener: Screener) -> None:
    ad = Ad(source="t", title="Quiet company", body="Call after six", meta={"age": "17"})
    screening = screener.screen(ad)
    ages = [(s.value, s.attrs["origin"], s.start, s.end) for s in screening.spans_of("age")]
    assert ages == [(17, "field", 0, 0)]
    (flag,) = [f for f in screening.flags if f.category == "stated_minor_age"]
    assert flag.term == "age field: 17"


@pytest.mark.parametrize("value", ["n/a", "", "23 or so", "150", "7"])
def test_age_field_that_states_no_age(screener: Screener, value: str) -> None:
    screening = screener.screen(Ad(source="t", body="Call after six", meta={"age": value}))
    assert screening.spans_of("age") == []


@pytest.mark.parametrize("value", ["19", " 19 yrs ", "19 years old", "nineteen"])
def test_age_field_forms(screener: Screener, value: str) -> None:
    screening = screener.screen(Ad(source="t", body="Call after six", meta={"age": value}))
    assert [s.value for s in screening.spans_of("age")] == [19]


def test_field_stated_in_the_text_too_keeps_the_text_as_evidence(screener: Screener) -> None:
    ad = Ad(source="t", title="Quiet company downtown - 23", body=BODY,
            meta={"age": "23", "phone": "703-555-0142"})
    screening = screener.screen(ad)
    assert [(s.value, s.attrs["origin"]) for s in screening.spans_of("age")] == [
        (23, "title_suffix")]
    (phone,) = screening.spans_of("phone")
    assert phone.end > phone.start


def test_phone_field_adds_a_contact(screener: Screener) -> None:
    screening = screener.screen(Ad(source="t", body=BODY, meta={"phone": "(202) 555-0199"}))
    assert sorted(s.value for s in screening.spans_of("phone")) == [
        "+12025550199", "+17035550142"]


def test_location_field_gives_the_ads_own_places(screener: Screener) -> None:
    # A lone ambiguous name in the field is the city ("in Austin"); a place the text states
    # keeps the text as evidence; the field's places are the ad's own, never "listed".
    ad = Ad(source="t", body="Quiet company in Dallas, TX, call after six",
            meta={"location": "Downtown, Austin, Dallas"})
    screening = screener.screen(ad)
    places = [(s.value, s.attrs.get("origin"), s.start == s.end)
              for s in screening.spans_of("place")]
    assert places == [("Austin, TX", "field", True), ("Dallas, TX", None, False)]
    assert own_places(screening.spans)[0].attrs["field"] == "location"
    lines = [json.dumps({"id": "a", "text": "Quiet company", "location": "Springfield, IL"})]
    out = io.StringIO()
    assert extract_lines(lines, out, screener) == 0
    assert json.loads(out.getvalue())["places"] == ["Springfield, IL"]


def test_empty_location_field_adds_nothing(screener: Screener) -> None:
    screening = screener.screen(Ad(source="t", body="Quiet company", meta={"location": "  "}))
    assert screening.spans_of("place") == []


def test_extract_reads_metadata_keys(screener: Screener) -> None:
    lines = [json.dumps({"id": "a", "text": "Quiet company\nCall after six", "age_field": 21}),
             json.dumps({"id": "b", "text": "Quiet company - 22\nI am 22 years old"})]
    out = io.StringIO()
    assert extract_lines(lines, out, screener) == 0
    a, b = (json.loads(line) for line in out.getvalue().splitlines())
    assert a["ages"] == [21] and a["age_details"] == [{"value": 21, "origin": "field"}]
    assert b["ages"] == [22] and b["age_details"] == [
        {"value": 22, "origin": "title_suffix"}, {"value": 22, "origin": "text"}]


def test_metadata_survives_the_store_and_engine_files(tmp_path: Path,
                                                      screener: Screener) -> None:
    corpus = tmp_path / "ads.jsonl"
    corpus.write_text(json.dumps(RECORD) + "\n", encoding="utf-8")
    store = Store(tmp_path / "a.db")
    run_scan([corpus], store, screener)
    stored = store.get_ad("ads:m1")
    assert stored is not None and stored.ad.meta == META
    assert "_source_meta" not in stored.ad.raw
    (ad,) = _ads(corpus)
    pq.write_table(ads_table([ad]), tmp_path / "frame.parquet")
    (back,) = read_ads(tmp_path / "frame.parquet")
    assert back.meta == META and back.raw == ad.raw
