"""An exception while screening one ad costs that ad, never the run (issue 10 item 1).

A tripwire extractor raises on one ad's text; scan, extract, the push API and the Dask
engine's screening task must store (or output) every other ad exactly once and quarantine the
tripped ad with code `screening_error`, its stage and its error.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from hostile_support import TRIP, ad, tripwire_screener, write_jsonl

from amberline.extract_command import extract_lines
from amberline.scan import run_scan
from amberline.store.database import Store
from amberline.store.schema import ads
from web_helpers import PASSWORD, bearer

N = 25
BAD = {7, 18}


def _records() -> list[dict]:
    return [ad(i, f"Listing text {TRIP} here" if i in BAD else None) for i in range(N)]


def _keys(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [k for (k,) in conn.execute(sa.select(ads.c.key))]


def test_scan_quarantines_only_the_ads_that_fail(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "ads.jsonl", _records())
    store = Store(tmp_path / "s.db")
    counts = run_scan([path], store, tripwire_screener(), batch_size=10)
    keys = _keys(store)
    assert sorted(keys) == sorted(f"ads:ad-{i}" for i in range(N) if i not in BAD)
    assert len(keys) == len(set(keys))
    assert (counts.read, counts.stored, counts.quarantined, counts.screening_errors) == (
        N, N - 2, 2, 2)
    bad = store.quarantined()
    assert [(b.line, b.code) for b in bad] == [(8, "screening_error"), (19, "screening_error")]
    assert all("extract:tripwire" in b.reason and "RuntimeError" in b.reason for b in bad)
    assert store.scan(1).status == "finished"
    again = run_scan([path], store, tripwire_screener(), batch_size=10)  # a rerun adds nothing
    assert (again.stored, again.duplicate, len(store.quarantined())) == (0, N - 2, 2)


def test_extract_writes_an_error_line_for_the_failing_ad_only() -> None:
    lines = [json.dumps({"id": r["id"], "text": r["body"]}) + "\n" for r in _records()]
    out = io.StringIO()
    errors = extract_lines(lines, out, tripwire_screener())
    results = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(results) == N and errors == len(BAD)
    for i, rec in enumerate(results):
        assert rec["id"] == f"ad-{i}"
        if i in BAD:
            assert rec["line"] == i + 1 and "screening_error" in rec["error"]
            assert "extract:tripwire" in rec["error"]
        else:
            assert "error" not in rec and "phones" in rec


def test_push_api_stores_the_rest_and_reports_the_failure(tmp_path: Path) -> None:
    from amberline.store.accounts import add_user
    from amberline.web.app import Settings, create_app

    store = Store(tmp_path / "w.db")
    add_user(store, "ana", "analyst", PASSWORD)
    app = create_app(store, Settings(secret_key="test-secret"))  # type: ignore[arg-type]
    app.state.screener = tripwire_screener()
    pushed = [{"source": "platform-x", "source_id": r["id"], "title": r["title"],
               "body": r["body"]} for r in _records()]
    response = TestClient(app).post("/api/v1/ads", headers=bearer(store, "ana"),
                                    json={"ads": pushed})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stored"], body["quarantined"]) == (N - 2, 2)
    statuses = [r["status"] for r in body["results"]]
    assert [i for i, s in enumerate(statuses) if s == "quarantined"] == sorted(BAD)
    assert "extract:tripwire" in body["results"][7]["error"]
    keys = _keys(store)
    assert sorted(keys) == sorted(f"platform-x:ad-{i}" for i in range(N) if i not in BAD)
    assert [b.code for b in store.quarantined()] == ["screening_error"] * 2
    store.close()


def test_dask_screening_task_sets_failures_aside(tmp_path: Path, monkeypatch) -> None:
    """The Dask engine's screening task (run in-process) writes the failing ads beside its
    output, and the driver quarantines them (the engine's own test covers the driver)."""
    from amberline.engines import frames, tasks
    from amberline.engines.workdir import WorkDir
    from amberline.pipeline import ScreenConfig

    monkeypatch.setattr(tasks, "cached_screener", lambda config: tripwire_screener())
    work = WorkDir(tmp_path / "work")
    work.ads_path("p0").parent.mkdir(parents=True)
    work.screened_path("p0").parent.mkdir(parents=True)
    from amberline.model import Ad

    batch = [Ad(source="s", source_id=r["id"], title=r["title"], body=r["body"],
                origin_file="in.jsonl", origin_line=i + 1) for i, r in enumerate(_records())]
    frames.write_atomic(frames.ads_table(batch), work.ads_path("p0"))
    result = tasks.screen_partition("p0", ScreenConfig(), str(work.root), 10)
    assert result["ads"] == N - 2
    failed = frames.read_bad(work.failed_path("p0"))
    assert [(b.file, b.line, b.code) for b in failed] == [
        ("in.jsonl", 8, "screening_error"), ("in.jsonl", 19, "screening_error")]
    items, _ = frames.read_screened(work.screened_path("p0"))
    assert len(items) == N - 2
