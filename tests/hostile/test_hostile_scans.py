"""Killed scans do not stay "running", and the quarantine can be listed (issue 9 Low; issue 10
item 1: `amberline quarantine --db`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hostile_support import TRIP, ad, write_jsonl
from typer.testing import CliRunner

from amberline.cli import app
from amberline.store.database import Store

runner = CliRunner()


def test_a_killed_scan_is_marked_interrupted_by_the_next(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    Store(db).close()
    code = ("import os, sys; from amberline.store.database import Store;"
            "s = Store(sys.argv[1]); s.begin_scan(['x']); os._exit(9)")  # dies mid-scan
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code, str(db)], env=env, check=False, timeout=120)
    store = Store(db)
    assert store.scan(1).status == "running"
    live = store.begin_scan(["y"])  # this process is alive: its scan must stay running
    assert store.scan(1).status == "interrupted"
    store.begin_scan(["z"])
    assert store.scan(live).status == "running"
    store.close()


def test_quarantine_command_lists_codes_and_records(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "ads.jsonl", [ad(1), "{not json", ad(3, f"x {TRIP}"), "[1]"])
    db = str(tmp_path / "q.db")
    assert runner.invoke(app, ["scan", str(path), "--db", db]).exit_code == 0
    listed = runner.invoke(app, ["quarantine", "--db", db])
    assert listed.exit_code == 0 and "bad_json: 2" in listed.output
    rows = runner.invoke(app, ["quarantine", "--db", db, "--json", "--code", "bad_json"])
    records = [json.loads(x) for x in rows.output.splitlines()]
    assert [(r["line"], r["code"]) for r in records] == [(2, "bad_json"), (4, "bad_json")]
