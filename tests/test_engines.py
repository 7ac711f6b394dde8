"""The Dask engine gives the local engine's results, ad by ad and network by network.

A real `distributed.LocalCluster` (2 worker processes, 1 thread each) is started once for the
module; the corpus is the synthetic one (a few thousand clinical ads with planted networks)
plus bad lines and repeats, split over a JSON Lines file and a Parquet file of small row
groups, so that several splits and partitions must be stored back in input order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")
pa = pytest.importorskip("pyarrow")

import sqlalchemy as sa  # noqa: E402

from amberline.engines.dask_engine import DaskEngine  # noqa: E402
from amberline.engines.local import LocalEngine  # noqa: E402
from amberline.engines.logs import StageLog  # noqa: E402
from amberline.scan_hooks import default_hooks  # noqa: E402
from amberline.store import Store  # noqa: E402
from amberline.store.networks import stored_keys  # noqa: E402
from amberline.store.schema_networks import (  # noqa: E402
    link_minhash,
    network_members,
    networks,
)
from amberline.stored_batch import StoredBatchHook  # noqa: E402
from amberline.synth.generate import write_corpus  # noqa: E402

N_ADS = 3000


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=logging.WARNING,
    ) as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Synthetic ads: the first part as JSON Lines (with bad lines and repeats), the rest as
    a Parquet file with row groups of 400 rows."""
    folder = tmp_path_factory.mktemp("corpus")
    full = folder / "full.jsonl"
    write_corpus(full, N_ADS, 11)
    lines = full.read_text(encoding="utf-8").splitlines()
    head, tail = lines[: N_ADS // 2], lines[N_ADS // 2 :]
    head[10:10] = ["{not json", "", json.dumps({"id": "x1", "title": ""}), head[3]]
    jsonl = folder / "ads.jsonl"
    jsonl.write_text("\n".join(head) + "\n", encoding="utf-8")
    records = [json.loads(line) for line in tail] + [json.loads(head[5])]
    for record in records:  # Parquet columns need one type each
        record.pop("images", None)
    parquet = folder / "more.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet, row_group_size=400)
    return [jsonl, parquet]


def snapshot(store: Store) -> dict[str, object]:
    """Everything the two engines must agree on, keyed so that row order shows too."""
    ads = [(s.id, s.ad, s.screening) for batch in store.iter_ads(500) for s in batch]
    with store.engine.connect() as conn:
        key_of = dict(conn.execute(sa.text("SELECT id, key FROM ads")).all())
        keys = sorted((key_of[ad_id], kind, value) for ad_id, found in stored_keys(
            conn, lambda col: col > 0).items() for kind, value in found)
        sigs = {key_of[r.ad_id]: (r.signature, r.empty) for r in conn.execute(
            sa.select(link_minhash))}
        members: dict[str, set[str]] = {}
        for r in conn.execute(sa.select(network_members)):
            members.setdefault(r.network_id, set()).add(key_of[r.ad_id])
        nets = {r.id: (r.score, r.size, r.keys, r.edge_kinds, r.features, members[r.id])
                for r in conn.execute(sa.select(networks))}
        quarantine = sorted(conn.execute(
            sa.text("SELECT file, line, reason, excerpt FROM quarantine")).all())
    return {"ads": ads, "keys": keys, "sigs": sigs, "networks": nets, "quarantine": quarantine}


@pytest.mark.slow
def test_dask_engine_matches_the_local_engine(
    tmp_path: Path, corpus: list[Path], cluster: object
) -> None:
    with Store(tmp_path / "local.db") as local:
        expected = LocalEngine().run(corpus, local, on_stored=default_hooks(local), link=True)
        want = snapshot(local)
    with Store(tmp_path / "dask.db") as store:
        engine = DaskEngine(cluster.scheduler_address, work_dir=tmp_path / "work",
                            partition_size=700)
        got = engine.run(corpus, store, on_stored=default_hooks(store), link=True)
        have = snapshot(store)

    assert got.counts == expected.counts
    assert expected.counts.quarantined == 2 and expected.counts.duplicate == 2
    assert got.partitions >= 5  # 1500 JSON Lines ads in 700s, Parquet in 400-row groups
    assert len(have["ads"]) == N_ADS
    for (gid, gad, gscreen), (wid, wad, wscreen) in zip(have["ads"], want["ads"], strict=True):
        assert (gid, gad.key) == (wid, wad.key)
        assert gad == wad
        assert gscreen.spans == wscreen.spans, gad.key
        assert gscreen.flags == wscreen.flags, gad.key
        assert (gscreen.score, gscreen.obfuscations) == (wscreen.score, wscreen.obfuscations)
    assert have["keys"] == want["keys"] and have["sigs"] == want["sigs"]
    assert have["quarantine"] == want["quarantine"]
    assert len(want["networks"]) > 50
    assert have["networks"].keys() == want["networks"].keys()
    for network_id, network in want["networks"].items():
        assert have["networks"][network_id] == network, network_id
    assert not (tmp_path / "work").exists()  # a finished scan leaves no work folder


class Crash(RuntimeError):
    pass


def test_resume_continues_a_scan_that_stopped(
    tmp_path: Path, corpus: list[Path], cluster: object
) -> None:
    calls = []

    class CrashOnThirdBatch(StoredBatchHook):
        def write(self, store: Store, new: list, prepared: list) -> None:
            calls.append(len(new))
            if len(calls) == 3:
                raise Crash("the driver died here")

    crash_on_third_batch = CrashOnThirdBatch()

    work = tmp_path / "work"
    engine = DaskEngine(cluster.scheduler_address, work_dir=work, partition_size=700)
    with Store(tmp_path / "d.db") as store:
        with pytest.raises(Crash):
            engine.run(corpus, store, on_stored=[crash_on_third_batch], batch_size=500)
        assert work.exists() and any((work / "stored").iterdir())
        partial = store.counts()["ads"]
        assert 0 < partial < N_ADS

        lines: list[str] = []
        log = StageLog(_Lines(lines))
        result = engine.run(corpus, store, log=log, resume=True, batch_size=500)
        assert result.resumed_partitions >= 1
        assert store.counts()["ads"] == N_ADS  # every ad once, none lost, none doubled
        with store.engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT count(DISTINCT key) FROM ads")).scalar()
        assert keys == N_ADS
    events = [json.loads(line) for line in lines]
    assert events[0]["stage"] == "plan" and events[0]["resumed"] is True
    screened = [e for e in events if e["stage"] == "screen"]
    assert len(screened) <= result.partitions - result.resumed_partitions
    done = events[-1]
    assert done["stage"] == "done" and done["counts"]["read"] == result.counts.read
    assert set(done["seconds"]) >= {"ingest", "screen", "keys", "store", "total"}


def test_a_partition_screened_twice_at_once_is_screened_once(
    tmp_path: Path, corpus: list[Path]
) -> None:
    """A crashed driver may leave a screen task running while the resumed run submits the same
    partition again: whichever runs second must neither fail nor change the first's output."""
    from amberline.engines.tasks import ingest_split, screen_partition
    from amberline.engines.workdir import WorkDir, plan_splits
    from amberline.ingest.records import ReadOptions
    from amberline.pipeline import ScreenConfig

    work = WorkDir(tmp_path / "work")
    split = plan_splits(corpus[:1], ReadOptions(), 700)[0]
    work.prepare("fingerprint", [split], resume=False)
    part = ingest_split(split, ReadOptions(), str(work.root), 700)[0]["id"]
    first = screen_partition(part, ScreenConfig(), str(work.root), 500)
    assert first["ads"] == 700
    output = work.screened_path(part).read_bytes()

    again = screen_partition(part, ScreenConfig(), str(work.root), 500)
    assert again["ads"] == 0 and work.screened_path(part).read_bytes() == output

    work.mark_stored(part, {"read": 700})  # the driver stores it and removes its input
    work.ads_path(part).unlink()
    late = screen_partition(part, ScreenConfig(), str(work.root), 500)
    assert late["ads"] == 0 and work.screened_path(part).read_bytes() == output


def test_resume_refuses_a_work_folder_of_other_inputs(
    tmp_path: Path, corpus: list[Path], cluster: object
) -> None:
    work = tmp_path / "work"
    engine = DaskEngine(cluster.scheduler_address, work_dir=work, keep_work=True)
    with Store(tmp_path / "d.db") as store:
        engine.run(corpus[:1], store)
        with pytest.raises(ValueError, match="other inputs"):
            engine.run(corpus, store, resume=True)


class _Lines:
    """A text stream that keeps each written line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> None:
        self.lines.extend(t for t in text.splitlines() if t)

    def flush(self) -> None:
        pass
