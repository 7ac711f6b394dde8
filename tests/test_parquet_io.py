"""Parquet in and out: the Parquet reader, the engine's Parquet partitions, `amberline export`,
and `amberline doctor`, against real files and a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from typer.testing import CliRunner  # noqa: E402

from amberline.cli import app  # noqa: E402
from amberline.engines import frames  # noqa: E402
from amberline.ingest.parquet_reader import read_parquet  # noqa: E402
from amberline.ingest.reader import ReadOptions, read_path  # noqa: E402
from amberline.ingest.records import BadRecord  # noqa: E402
from amberline.model import Ad  # noqa: E402
from amberline.pipeline import Screener  # noqa: E402
from amberline.synth.generate import write_corpus  # noqa: E402

runner = CliRunner()

RECORDS = [
    {"id": "p1", "source": "site.example", "title": "New in town", "body": "Ask for Mia, "
     "call 703 555 0142", "posted_at": "2024-05-01T12:00:00Z", "city": "Denver", "extra": 7},
    {"id": "p2", "source": "site.example", "title": "", "body": "", "city": "Denver",
     "extra": 8},  # no text: quarantined
    {"id": "p3", "source": "site.example", "title": "Quiet café", "body": "Open late, text "
     "303 555 0101", "posted_at": "2024-05-02T08:30:00Z", "city": None, "extra": 9},
]


def test_parquet_rows_become_the_same_ads_as_json_lines(tmp_path: Path) -> None:
    jsonl = tmp_path / "ads.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    parquet = tmp_path / "ads.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS), parquet, row_group_size=2)

    from_json = list(read_path(jsonl, ReadOptions()))
    from_parquet = list(read_path(parquet, ReadOptions()))
    ads_j = [a for a in from_json if isinstance(a, Ad)]
    ads_p = [a for a in from_parquet if isinstance(a, Ad)]
    assert [a.key for a in ads_p] == ["site.example:p1", "site.example:p3"]
    for a, b in zip(ads_p, ads_j, strict=True):
        assert (a.key, a.title, a.body, a.posted_at, a.city) == (
            b.key, b.title, b.body, b.posted_at, b.city)
        assert a.raw["extra"] == b.raw["extra"]
    bad = [b for b in from_parquet if isinstance(b, BadRecord)]
    assert [(b.line, b.reason.startswith("no text")) for b in bad] == [(2, True)]
    assert bad[0].file == str(parquet)


def test_row_groups_are_read_alone_with_their_row_numbers(tmp_path: Path) -> None:
    parquet = tmp_path / "ads.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS), parquet, row_group_size=1)
    got = list(read_parquet(parquet, ReadOptions(), row_groups=[2]))
    assert [a.key for a in got if isinstance(a, Ad)] == ["site.example:p3"]
    only_bad = list(read_parquet(parquet, ReadOptions(), row_groups=[1]))
    assert [b.line for b in only_bad if isinstance(b, BadRecord)] == [2]


def test_timestamps_sizes_and_unreadable_files(tmp_path: Path) -> None:
    table = pa.Table.from_pylist([
        {"id": "t1", "body": "Call 703 555 0142", "posted_at": datetime(2024, 5, 1, tzinfo=UTC)},
        {"id": "t2", "body": "x" * 2000, "posted_at": None},
    ])
    parquet = tmp_path / "typed.parquet"
    pq.write_table(table, parquet)
    got = list(read_parquet(parquet, ReadOptions(max_record_bytes=1000)))
    assert isinstance(got[0], Ad) and got[0].posted_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert got[0].source == "typed"
    assert isinstance(got[1], BadRecord) and "too large" in got[1].reason and got[1].line == 2
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    (only,) = list(read_parquet(broken, ReadOptions()))
    assert isinstance(only, BadRecord) and "not a readable Parquet file" in only.reason


def test_screened_partitions_round_trip_exactly(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, 300, 5)
    ads = [a for a in read_path(corpus, ReadOptions()) if isinstance(a, Ad)]
    screenings = Screener().screen_batch(ads)
    links = [(bytes([i % 256]) * 8, i % 2 == 0)
             for i in range(len(ads))]
    path = tmp_path / "part.parquet"
    frames.write_atomic(frames.screened_table(ads, screenings, links), path)
    items, back = frames.read_screened(path)
    assert [a for a, _ in items] == ads
    assert [s for _, s in items] == screenings
    assert back == links
    assert sum(len(s.spans) for s in screenings) > 300  # the corpus did give spans to compare


def test_scan_parquet_then_export_parquet(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, 400, 9)
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    for record in records:
        record.pop("images", None)
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet, row_group_size=150)
    db = tmp_path / "a.db"
    result = runner.invoke(app, ["scan", str(parquet), "--db", str(db)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "export"
    result = runner.invoke(app, ["export", "--format", "parquet", "--out", str(out),
                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    ads = pq.read_table(out / "ads.parquet")
    spans = pq.read_table(out / "spans.parquet")
    flags = pq.read_table(out / "flags.parquet")
    keys = pq.read_table(out / "keys.parquet")
    assert ads.num_rows == 400
    assert set(spans.column("ad_id").to_pylist()) <= set(ads.column("id").to_pylist())
    assert flags.num_rows > 0 and keys.num_rows > 0
    assert ads.schema.field("posted_at").type == pa.timestamp("us", tz="UTC")
    raws = [r for r in ads.column("raw").to_pylist() if r is not None]
    assert all(isinstance(json.loads(r), dict) for r in raws)  # JSON columns as JSON text
    bad = runner.invoke(app, ["export", "--format", "csv", "--out", str(out), "--db", str(db)])
    assert bad.exit_code != 0


def test_doctor_reports_each_check(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["doctor", "--db", str(tmp_path / "none.db"), "--json"])
    assert missing.exit_code == 1
    checks = {c["name"]: c for c in json.loads(missing.stdout.splitlines()[0])}
    assert not checks["database"]["ok"] and checks["lexicon"]["ok"]
    assert checks["hyperscan"]["ok"] and checks["dask engine"]["ok"]
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, 20, 1)
    db = tmp_path / "a.db"
    assert runner.invoke(app, ["scan", str(corpus), "--db", str(db)]).exit_code == 0
    ok = runner.invoke(app, ["doctor", "--db", str(db), "--json"])
    assert ok.exit_code == 0, ok.output
    checks = {c["name"]: c for c in json.loads(ok.stdout.splitlines()[0])}
    assert checks["migrations"]["ok"] and "head" in checks["migrations"]["detail"]
