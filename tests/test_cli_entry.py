"""The entry point's own reading of plain `amberline extract` command lines: it must mean
exactly what the Typer application means, hand everything else to it, and not load it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amberline.cli import plain_extract
from amberline.cli_app import app

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.mark.parametrize(("args", "expected"), [
    (["extract"], ("-", "US", None, None)),
    (["extract", "-"], ("-", "US", None, None)),
    (["extract", "ads.jsonl", "--region", "GB"], ("ads.jsonl", "GB", None, None)),
    (["extract", "--region=CA", "--lexicon", "l.toml", "--weights=w.toml", "x"],
     ("x", "CA", Path("l.toml"), Path("w.toml"))),
])
def test_plain_forms_are_read(args, expected) -> None:
    got = plain_extract(args)
    assert got is not None
    assert (got["file"], got["region"], got["lexicon"], got["weights"]) == expected


@pytest.mark.parametrize("args", [
    [], ["scan", "x"], ["extract", "--help"], ["extract", "-h"], ["extract", "a", "b"],
    ["extract", "--region"], ["extract", "--region", "US", "--region", "GB"],
    ["extract", "--region="], ["extract", "--region", "--lexicon"], ["extract", "--"],
    ["extract", "--unknown", "x"], ["extract", "--lexicon", "-x"], ["extract", "-x"],
])
def test_anything_else_goes_to_the_application(args) -> None:
    assert plain_extract(args) is None


_ENVIRON = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}


def _entry(args: list[str], stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    code = ("import sys; from amberline.cli import main\n"
            "try:\n    main()\nfinally:\n"
            "    import os; print('openblas', os.environ.get('OPENBLAS_NUM_THREADS'),"
            " file=sys.stderr)\n"
            "    import gc; print('collector', gc.isenabled(), 'frozen', gc.get_freeze_count() > 0,"
            " file=sys.stderr)\n"
            "    print('typer loaded' if 'typer' in sys.modules else 'typer not loaded',"
            " file=sys.stderr)\n")
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, text=True,
                          capture_output=True, env={**_ENVIRON, "PYTHONPATH": SRC, **env},
                          check=False)


def test_plain_extract_matches_the_application(tmp_path) -> None:
    ads = tmp_path / "ads.jsonl"
    lines = [{"id": "a1", "title": "Mia", "body": "Call 702-555-0142, Dallas TX, 19 yrs"},
             {"id": "a2", "text": "Sweet Dani in Reno"}, "not json", {"id": 3, "body": ""}]
    ads.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    args = ["extract", str(ads), "--region=US"]
    fast = _entry(args)
    assert fast.stderr.endswith("typer not loaded\n")
    assert "openblas 1\n" in fast.stderr  # numpy's BLAS threads are not started for extract
    # The start-up's pause is over, and what the run made is left to the process's end.
    assert "collector True frozen True\n" in fast.stderr
    assert "openblas 4\n" in _entry(args, OPENBLAS_NUM_THREADS="4").stderr  # the user's choice
    typer_run = CliRunner().invoke(app, args)
    assert fast.returncode == typer_run.exit_code == 0
    assert fast.stdout == typer_run.stdout
    assert len(fast.stdout.splitlines()) == 4
    # The same from stdin (errors then name "-").
    from_stdin = _entry(["extract"], ads.read_text()).stdout
    assert from_stdin == CliRunner().invoke(app, ["extract"], input=ads.read_text()).stdout
    assert from_stdin.splitlines()[0] == fast.stdout.splitlines()[0]


def test_user_errors_and_help(tmp_path) -> None:
    missing = _entry(["extract", str(tmp_path / "none.jsonl")])
    assert missing.returncode == 2 and "typer not loaded" in missing.stderr
    assert "collector True frozen False\n" in missing.stderr  # the pause ended with the error
    assert missing.stderr.startswith(f"amberline: {tmp_path / 'none.jsonl'}: no such file")
    lexicon = _entry(["extract", "-", "--lexicon", str(tmp_path / "none.toml")])
    assert lexicon.returncode == 2 and "no such file" in lexicon.stderr
    helped = _entry(["extract", "--help"])
    assert helped.returncode == 0 and "--lexicon" in helped.stdout
    assert helped.stderr.endswith("typer loaded\n")


def test_the_screener_is_built_with_the_collector_paused(tmp_path, monkeypatch, capsys) -> None:
    import gc

    from amberline import extract_command

    seen: list[bool] = []
    real = extract_command.screener

    def screener(config):
        seen.append(gc.isenabled())
        return real(config)

    monkeypatch.setattr(extract_command, "screener", screener)
    ads = tmp_path / "ads.jsonl"
    ads.write_text('{"id": "a1", "text": "Mia, 19 yrs, Reno"}\n')
    assert gc.isenabled()
    extract_command.run(str(ads))
    assert seen == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0  # a library call leaves no freeze
    assert len(capsys.readouterr().out.splitlines()) == 1
