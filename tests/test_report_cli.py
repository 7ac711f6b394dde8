"""The report commands end to end through the real CLI: decide, takedowns, case-file,
report build and report submit (against the local stand-in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from amberline.cli import app
from amberline.commands.common import UserError
from amberline.report.cybertip_schema import validate_report
from amberline.report.standin import StandinServer
from amberline.store.accounts import add_user
from report_fixtures import KEY_A, KEY_B, make_store

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    store = make_store(tmp_path)
    add_user(store, "ana", "analyst", "a long enough password")  # `decide --user` names her
    store.close()
    return tmp_path / "cases.db"


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def reporter_config(tmp_path: Path, base_url: str = "") -> Path:
    path = tmp_path / "reporter.toml"
    path.write_text(
        '[reporter]\nfirst_name = "Ana"\nlast_name = "Lee"\nemail = "ana@ngo.example"\n'
        f'[cybertip]\nusername = "amberline"\npassword_env = "TEST_CT_PASSWORD"\n'
        f'test_url = "{base_url}"\n', encoding="utf-8")
    return path


def test_decide_then_takedowns(db: Path) -> None:
    result = run("decide", KEY_A, "--action", "takedown", "--note", "minor indicated",
                 "--user", "ana", "--db", db)
    assert result.exit_code == 0, result.output
    result = run("takedowns", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(t["ad_key"], t["reason"]) for t in data["takedowns"]] == [
        (KEY_A, "minor indicated")]
    result = run("takedowns", "--db", db)
    assert result.stdout.splitlines()[1].startswith(f"1,{KEY_A},")


def test_decide_rejects_bad_input(db: Path) -> None:
    result = run("decide", KEY_A, "--action", "nuke", "--note", "x", "--user", "ana",
                 "--db", db)
    assert isinstance(result.exception, UserError) and "nuke" in str(result.exception)
    result = run("decide", "--action", "clear", "--note", "x", "--user", "ana", "--db", db)
    assert isinstance(result.exception, UserError)


def test_case_file_command(db: Path, tmp_path: Path) -> None:
    result = run("case-file", KEY_B, "--out", tmp_path / "out", "--db", db)
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".html", ".pdf"]


def test_report_build_and_submit(db: Path, tmp_path: Path) -> None:
    assert run("decide", KEY_A, "--action", "report", "--note", "stated age 17",
               "--user", "ana", "--db", db).exit_code == 0
    with StandinServer("amberline", "s3cret") as server:
        config = reporter_config(tmp_path, server.base_url)
        out = tmp_path / "report.xml"
        result = run("report", "build", KEY_A, "--reporter-config", config, "--out", out,
                     "--db", db)
        assert result.exit_code == 0, result.output
        assert validate_report(out.read_bytes()) == []
        assert etree.parse(str(out)).getroot().findtext(
            "internetDetails/webPageIncident/url") == "https://site.example/ad/101"
        log = tmp_path / "calls.jsonl"
        result = run("report", "submit", KEY_A, "--reporter-config", config, "--env", "test",
                     "--call-log", log, "--db", db, env={"TEST_CT_PASSWORD": "s3cret"})
        assert result.exit_code == 0, result.output
        (report,) = server.reports.values()
        assert report.state == "finished" and len(report.files) == 1
        assert len(log.read_text().splitlines()) == 4
        missing = run("report", "submit", KEY_A, "--reporter-config", config, "--db", db,
                      env={"TEST_CT_PASSWORD": ""})
        assert isinstance(missing.exception, UserError)
        assert "TEST_CT_PASSWORD" in str(missing.exception)


def test_report_build_refuses_an_undecided_ad(db: Path, tmp_path: Path) -> None:
    result = run("report", "build", KEY_B, "--reporter-config", reporter_config(tmp_path),
                 "--out", tmp_path / "r.xml", "--db", db)
    assert isinstance(result.exception, UserError)
    assert "has no decision" in str(result.exception)
    assert not (tmp_path / "r.xml").exists()
