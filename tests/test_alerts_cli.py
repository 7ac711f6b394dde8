"""The alert desk's commands end to end: scan, alerts load/list, watchlist add/import, matches."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from alerts_support import FIXTURES
from amberline.cli import app

AD = {"id": "a1", "title": "New in Fairfax", "posted_at": "2024-03-16T20:00:00-04:00",
      "city": "Fairfax", "region": "VA",
      "body": "Ask for Mia, 15 years old, blonde hair, blue eyes, 5'2, 110 lbs, Fairfax, VA. "
              "Call 703 555 0142"}


def test_load_list_watch_and_matches(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "desk.db")
    ads = tmp_path / "ads.jsonl"
    ads.write_text(json.dumps(AD) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["scan", str(ads), "--db", db]).exit_code == 0

    loaded = runner.invoke(app, ["alerts", "load", str(FIXTURES), "--db", db])
    assert loaded.exit_code == 0, loaded.output
    # broken.xml, invalid_schema.xml and the RSS item linking to an unreachable alert
    assert "quarantined=3" in loaded.output and "matches=1" in loaded.output

    listed = runner.invoke(app, ["alerts", "list", "--db", db, "--json"])
    states = {json.loads(line)["identifier"]: json.loads(line)["state"]
              for line in listed.output.splitlines()}
    assert states["VA-SP-2024-0314-001"] == "superseded"
    assert states["VA-SP-2024-0314-002"] == "cancelled"
    assert states["IL-SPD-20240502-17"] == "active"

    added = runner.invoke(app, ["watchlist", "add", "phone", "703 555 0142", "--db", db])
    assert added.exit_code == 0 and "1 new matches" in added.output
    bad = runner.invoke(app, ["watchlist", "add", "pdq", "xyz", "--db", db])
    assert bad.exit_code != 0

    csv_file = tmp_path / "w.csv"
    csv_file.write_text("kind,value\nkeyword,blonde hair\nemail,bad\n", encoding="utf-8")
    imported = runner.invoke(app, ["watchlist", "import", str(csv_file), "--db", db])
    assert "added=1 quarantined=1 matches=1" in imported.output

    shown = runner.invoke(app, ["matches", "--db", db, "--json"])
    subjects = sorted(json.loads(line)["subject"].split(":")[0]
                      for line in shown.output.splitlines())
    assert subjects == ["alert", "entry", "entry"]
