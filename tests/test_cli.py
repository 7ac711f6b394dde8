"""The command line, run as a user would: a real subprocess for the machine interface and the
error path, typer's runner for the rest, all against a real SQLite file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amberline.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("cli")
    corpus, db = work / "ads.jsonl", work / "cli.db"
    result = runner.invoke(app, ["synth", "--ads", "400", "--seed", "3", "--out", str(corpus)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["scan", str(corpus), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "stored" in result.output and "400" in result.output
    return corpus, db


def test_top_lists_ads_by_descending_score(scanned: tuple[Path, Path]) -> None:
    _, db = scanned
    result = runner.invoke(app, ["top", "--db", str(db), "-n", "5"])
    assert result.exit_code == 0, result.output
    scores = [float(tok) for tok in re.findall(r"(?<![\d.])[01]\.\d{3}(?![\d.])", result.output)]
    assert len(scores) >= 5
    assert scores == sorted(scores, reverse=True)


def test_show_prints_evidence_and_breakdown(scanned: tuple[Path, Path]) -> None:
    corpus, db = scanned
    first = json.loads(corpus.read_text(encoding="utf-8").splitlines()[0])
    key = f"{first['source']}:{first['id']}"
    result = runner.invoke(app, ["show", key, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert key in result.output
    assert "what it is made of" in result.output


def test_search_and_find(scanned: tuple[Path, Path]) -> None:
    corpus, db = scanned
    result = runner.invoke(app, ["search", "available", "--db", str(db), "-n", "3"])
    assert result.exit_code == 0, result.output
    assert "match 'available'" in result.output
    truth = json.loads(corpus.with_name("ads.truth.json").read_text(encoding="utf-8"))
    phone = truth["networks"][0]["phones"][0]
    result = runner.invoke(app, ["find", "phone", phone, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"with phone {phone}" in result.output
    assert " 0 ads" not in result.output
    result = runner.invoke(app, ["find", "price", "150", "--db", str(db)])
    assert result.exit_code != 0 and "not indexed" in str(result.exception), result.output


def test_extract_machine_interface(tmp_path: Path) -> None:
    lines = [
        {"id": "m1", "text": "Hi, I'm Mia, 19 yrs, call seven zero three 555 O142, 150 roses/hr"},
        {"id": "m2", "title": "Visiting", "body": "Ask for Ruby, snap: ruby_22, 5'2 brown hair"},
        "not json",
        {"id": "m4", "text": ""},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "amberline.cli", "extract", str(source)],
        capture_output=True, text=True, check=True,
    )
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["m1", "m2", None, "m4"]
    m1, m2, bad, empty = out
    assert m1["phones"] == ["+17035550142"]
    assert m1["ages"] == [19]
    assert m1["age_details"] == [{"value": 19, "origin": "text"}]
    assert m1["names"] == ["Mia"]
    assert {"amount": 150, "currency": "USD", "minutes": 60} .items() <= m1["prices"][0].items()
    obscured = [f for f in m1["flags"] if f["category"] == "obscured_contact"]
    assert obscured and lines[0]["text"][obscured[0]["start"]:obscured[0]["end"]].startswith(
        "seven")
    assert 0 < m1["score"] <= 1
    assert {"platform": "snapchat", "handle": "ruby_22"} in m2["handles"]
    assert {"kind": "height_cm", "value": 157} in m2["descriptors"]
    assert bad["line"] == 3 and "error" in bad
    assert empty["score"] == 0 and empty["flags"] == []


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "amberline.cli", "top", "--db", str(tmp_path / "none.db")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "no such database" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_database_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path) -> None:
    """An unreachable server or a file that is not a store printed a long traceback."""
    not_a_store = tmp_path / "notes.db"
    not_a_store.write_bytes(b"this is not a database file" * 100)
    for db in (str(not_a_store), "postgresql+psycopg://nobody@127.0.0.1:1/none"):
        proc = subprocess.run([sys.executable, "-m", "amberline.cli", "top", "--db", db],
                              capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        assert "cannot open" in proc.stderr and "Traceback" not in proc.stderr
