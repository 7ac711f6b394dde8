"""End-to-end scans into a real SQLite file: idempotence, crash recovery, quarantine."""

from __future__ import annotations

import gc
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from amberline.collector import start_up_frozen
from amberline.ingest.reader import ReadOptions
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.store.database import Store
from amberline.stored_batch import NewAd, StoredBatchHook

CITIES = ["Denver", "Phoenix", "Houston", "Atlanta", "Seattle"]


def write_ads(path: Path, n: int, start: int = 0) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(start, start + n):
            body = (
                f"Hi, I'm Ann{i % 97}, new in {CITIES[i % 5]}. Available 24/7, "
                f"call 303 555 01{i % 100:02d}. Rates 150/hr. Ref {i}."
            )
            out.write(json.dumps({"id": f"a{i}", "source": "site.example", "body": body}) + "\n")


def ad_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from ads").fetchone()[0]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


def test_rescan_stores_nothing_new(tmp_path: Path, screener: Screener) -> None:
    corpus, db = tmp_path / "ads.jsonl", tmp_path / "a.db"
    write_ads(corpus, 300)
    first = run_scan([corpus], Store(db), screener, batch_size=64)
    assert (first.read, first.stored, first.duplicate) == (300, 300, 0)
    second = run_scan([corpus], Store(db), screener, batch_size=64)
    assert (second.read, second.stored, second.duplicate) == (300, 0, 300)
    assert second.flagged == 0
    assert ad_count(db) == 300


def test_ads_without_id_are_keyed_by_content(tmp_path: Path, screener: Screener) -> None:
    corpus, db = tmp_path / "noid.jsonl", tmp_path / "b.db"
    lines = [{"body": "Hi, I'm Ann, call 303 555 0101"}, {"body": "Hi, I'm Bea, call 303 555 0102"}]
    lines.append(lines[0])  # the same content again: a duplicate, not a new ad
    corpus.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    counts = run_scan([corpus], Store(db), screener)
    assert (counts.stored, counts.duplicate) == (2, 1)


def test_every_kind_of_bad_record_is_quarantined(tmp_path: Path, screener: Screener) -> None:
    corpus, db = tmp_path / "mixed.jsonl", tmp_path / "c.db"
    good = json.dumps({"id": "ok1", "body": "Hi, I'm Ann, call 303 555 0101"}).encode()
    rows = [
        good,
        b"{not json",
        json.dumps({"id": "empty", "body": ""}).encode(),
        b'{"id": "bad-utf8", "body": "caf\xe9 \xff"}',
        json.dumps({"id": "huge", "body": "x" * 5000}).encode(),
        json.dumps(["a", "list"]).encode(),
        json.dumps({"id": "ok2", "body": "Hi, I'm Bea, call 303 555 0102"}).encode(),
    ]
    corpus.write_bytes(b"\n".join(rows) + b"\n")
    options = ReadOptions(max_record_bytes=2000)
    counts = run_scan([corpus], Store(db), screener, options)
    assert (counts.read, counts.stored, counts.quarantined) == (7, 2, 5)
    with sqlite3.connect(db) as conn:
        lines = sorted(conn.execute("select line, reason from quarantine").fetchall())
    assert [line for line, _ in lines] == [2, 3, 4, 5, 6]
    assert all(reason for _, reason in lines)
    # Scanning again keeps the quarantine as it was: no duplicate entries.
    run_scan([corpus], Store(db), screener, options)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from quarantine").fetchone()[0] == 5


@pytest.mark.slow
def test_killed_scan_rerun_stores_each_record_once(tmp_path: Path) -> None:
    corpus, db = tmp_path / "big.jsonl", tmp_path / "k.db"
    total = 30_000
    write_ads(corpus, total)
    cmd = [sys.executable, "-m", "amberline.cli", "scan", str(corpus), "--db", str(db),
           "--batch-size", "200"]
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 600  # generous: a loaded machine starts the CLI slowly
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db.exists():
            try:
                stored = ad_count(db)
            except sqlite3.OperationalError:
                continue
            if stored >= 2000:
                break
    assert proc.poll() is None, "scan finished before it could be killed; make the input bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = ad_count(db)
    assert 0 < partial < total

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    assert "stored" in rerun.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from ads").fetchone()[0] == total
        assert conn.execute("select count(distinct key) from ads").fetchone()[0] == total
        # Identifiers were written with their ads: no ad lost its phone to the crash.
        no_phone = conn.execute(
            "select count(*) from ads where id not in"
            " (select ad_id from identifiers where kind='phone')"
        ).fetchone()[0]
    assert no_phone == 0


def test_a_scan_hashes_each_ads_text_once(tmp_path: Path, screener: Screener,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Ads without an id are keyed by their text's hash; screening, storing and every hook ask
    # for the key, and each used to hash the text again.
    import hashlib
    from types import SimpleNamespace

    import amberline.model
    from amberline.scan_hooks import default_hooks
    from amberline.store import link_runs

    corpus, db = tmp_path / "noid.jsonl", tmp_path / "h.db"
    lines = [{"body": f"Hi, I'm Ann{i}, call 303 555 01{i:02d}"} for i in range(40)]
    corpus.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    hashed: list[bytes] = []

    def counting(data: bytes = b"") -> object:
        hashed.append(data)
        return hashlib.sha256(data)

    monkeypatch.setattr(amberline.model, "hashlib", SimpleNamespace(sha256=counting))
    with Store(db) as store:
        counts = run_scan([corpus], store, screener, on_stored=default_hooks(store))
        assert counts.stored == 40
        assert link_runs.unsigned_ids(store) == []  # the link hook wrote every ad's keys
    assert len(hashed) == 40 and len(set(hashed)) == 40


def test_hooks_see_each_new_ad_once_with_values_prepared_earlier(tmp_path: Path,
                                                                screener: Screener) -> None:
    from amberline.model import Ad
    from amberline.scan import store_batch

    class Recorder(StoredBatchHook):
        name = "recorder"

        def __init__(self) -> None:
            self.prepared_for: list[str] = []
            self.written: list[tuple[int, str, object]] = []

        def prepare(self, items):
            self.prepared_for += [s.ad_key for _, s in items]
            return [f"fresh {s.ad_key}" for _, s in items]

        def write(self, store, new, prepared):
            self.written += [(n.id, n.key, p) for n, p in zip(new, prepared, strict=True)]

    ads = [Ad("site.example", body=f"ad {i}", source_id=f"x{i}") for i in (1, 2, 1, 3)]
    items = list(zip(ads, screener.screen_batch(ads), strict=True))
    with Store(tmp_path / "p.db") as store:
        store_batch(store, None, items[3:], [])  # x3 is stored already: not new
        local, worker = Recorder(), Recorder()
        worker.name = "worker"
        done = store_batch(store, None, items, [local, worker],
                           {"worker": ["w1", "w2", "w1 again", "w3"]})
    new_ids, new = done.new_ids, done.new
    assert [n.key for n in new] == ["site.example:x1", "site.example:x2"]
    assert local.prepared_for == ["site.example:x1", "site.example:x2"]  # new ads only
    assert [w[2] for w in local.written] == ["fresh site.example:x1", "fresh site.example:x2"]
    assert worker.prepared_for == [] and [w[2] for w in worker.written] == ["w1", "w2"]
    assert [w[0] for w in worker.written] == [new_ids["site.example:x1"],
                                              new_ids["site.example:x2"]]


def test_a_scan_loads_no_linker(tmp_path: Path) -> None:
    """A scan's hooks (link keys, alert matching) import neither the linker nor what only it
    needs (scipy, numba): a fresh process scans a record and lists what it imported. The
    link package's names still resolve when asked for."""
    path = tmp_path / "ads.jsonl"
    write_ads(path, 1)
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from amberline.pipeline import Screener\n"
            "from amberline.scan import run_scan\n"
            "from amberline.scan_hooks import default_hooks\n"
            "from amberline.store.database import Store\n"
            "with Store(Path(sys.argv[2])) as store:\n"
            "    counts = run_scan([Path(sys.argv[1])], store, Screener(),\n"
            "                      on_stored=default_hooks(store))\n"
            "print(counts.stored, *sorted(m for m in ('scipy', 'numba', 'amberline.link.linker')\n"
            "                             if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "a.db")],
                         check=True, capture_output=True, text=True).stdout.split()
    assert out == ["1"]
    import amberline.link as link

    assert all(getattr(link, name) is not None for name in link.__all__)
    with pytest.raises(AttributeError):
        _ = link.no_such_name


class _CollectorProbe(StoredBatchHook):
    """Records, per stored batch, whether the collector runs and how much is frozen."""

    name = "collector_probe"

    def __init__(self) -> None:
        self.seen: list[tuple[bool, int]] = []

    def write(self, store: Store, new: list[NewAd], prepared: list[Any]) -> None:
        self.seen.append((gc.isenabled(), gc.get_freeze_count()))


def test_a_scan_pauses_the_collector_per_batch_and_hands_back_start_up_objects(
        tmp_path: Path, screener: Screener) -> None:
    corpus, db = tmp_path / "gc.jsonl", tmp_path / "gc.db"
    write_ads(corpus, 150)
    probe = _CollectorProbe()
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    counts = run_scan([corpus], Store(db), screener, batch_size=64, on_stored=[probe])
    assert counts.stored == 150
    assert len(probe.seen) == 3
    assert all(not enabled and frozen > 0 for enabled, frozen in probe.seen)
    assert gc.get_freeze_count() == 0 and gc.isenabled()  # as it found them


def test_start_up_frozen_nests_and_survives_an_error() -> None:
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), start_up_frozen():
        assert gc.get_freeze_count() > 0
        with start_up_frozen():
            pass
        assert gc.get_freeze_count() > 0  # the outer one still holds them
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def test_start_up_frozen_leaves_a_freeze_of_the_process_alone() -> None:
    gc.freeze()
    try:
        # Made after the freeze: a freeze inside would add them. The count may fall meanwhile
        # (another test's thread freeing frozen objects), never rise or drop to zero.
        young = [[] for _ in range(1000)]
        frozen = gc.get_freeze_count()
        with start_up_frozen():
            assert 0 < gc.get_freeze_count() <= frozen  # nothing frozen: it is not ours
        assert 0 < gc.get_freeze_count() <= frozen  # not handed back: it was not ours
        assert len(young) == 1000
    finally:
        gc.unfreeze()
