"""Two link runs on one database: the second waits for the first (or says why it gave up),
and never dies on a duplicate network id."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from amberline.cli import app
from amberline.link.store_link import link_store
from amberline.store.database import Store
from amberline.store.link_lock import link_lock
from amberline.store.schema_networks import network_members, networks
from test_link_store import ADS, CONFIG, partition, scan, write

CLI = [sys.executable, "-c", "from amberline.cli import main; main()"]
EXPECTED = [["a1", "a2", "a3"], ["b1", "b2"]]


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "links.db")
    scan(store, write(tmp_path / "ads.jsonl", ADS))
    return store


def test_second_run_gives_up_with_one_line_when_the_lock_stays_held(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with link_lock(store):
        out = subprocess.run([*CLI, "link", "--db", str(tmp_path / "links.db"),
                              "--max-key-ads", "5", "--wait", "0.3"],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "another `amberline link` run is linking this database" in lines[0]
    assert "Traceback" not in out.stderr + out.stdout
    assert partition(store) == []  # nothing was written by the run that gave up
    after = CliRunner().invoke(app, ["link", "--db", str(tmp_path / "links.db"),
                                     "--max-key-ads", "5"])
    assert after.exit_code == 0, after.output  # the lock was released with the block


def test_second_run_waits_for_the_first_then_links(tmp_path: Path) -> None:
    store = _store(tmp_path)
    held, stages = threading.Event(), []

    def hold() -> None:
        with link_lock(store):
            held.set()
            time.sleep(1.0)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    began = time.perf_counter()
    summary = link_store(store, CONFIG, wait=30, progress=lambda s, d, t: stages.append(s))
    holder.join()
    assert time.perf_counter() - began >= 0.8
    assert stages[0] == "waiting for another link run"
    assert summary.networks == 2 and partition(store) == EXPECTED


def test_two_cli_runs_at_once_both_succeed_without_duplicates(tmp_path: Path) -> None:
    store = _store(tmp_path)
    cmd = [*CLI, "link", "--db", str(tmp_path / "links.db"), "--max-key-ads", "5", "--rebuild"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(120), *p.communicate()) for p in procs]
    assert [r[0] for r in results] == [0, 0], results
    with store.engine.connect() as conn:
        ids = conn.execute(sa.select(networks.c.id)).scalars().all()
        members = conn.execute(sa.select(sa.func.count()).select_from(network_members)).scalar()
    assert len(ids) == len(set(ids)) == 2 and members == 5
    assert partition(store) == EXPECTED
