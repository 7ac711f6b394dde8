"""A team's own lexicon, end to end through the command line: a new category works when a
weights file weighs it, is refused at start-up (one line, no traceback) when none does, and a
lexicon that leaves out packaged categories works with the packaged weights."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

PACKAGED = resources.files("amberline.indicators").joinpath("lexicon.toml").read_text("utf-8")
WEIGHTS = resources.files("amberline.score").joinpath("weights.toml").read_text("utf-8")
AD = {"id": "c1", "text": "Paper lantern workshop, call 703 555 0142, new in town"}


def _custom_lexicon(tmp_path: Path) -> Path:
    text = PACKAGED.replace(
        "[categories]\n", '[categories]\nlantern_talk = "a made-up category for the test"\n', 1
    )
    text += (
        '\n[[entry]]\nid = "custom.lantern"\ncategory = "lantern_talk"\n'
        'patterns = ["paper lantern"]\ncitation = "observed"\n'
    )
    path = tmp_path / "lexicon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _extract(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    ads = tmp_path / "ads.jsonl"
    ads.write_text(json.dumps(AD) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "amberline.cli", "extract", str(ads), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_a_new_category_scores_when_the_weights_file_weighs_it(tmp_path: Path) -> None:
    weights = tmp_path / "weights.toml"
    weights.write_text(WEIGHTS.replace("[weights]\n", "[weights]\nlantern_talk = 0.3\n", 1))
    lexicon = _custom_lexicon(tmp_path)
    proc = _extract(tmp_path, "--lexicon", str(lexicon), "--weights", str(weights))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    custom = [f for f in out["flags"] if f["category"] == "lantern_talk"]
    assert [f["term"].lower() for f in custom] == ["paper lantern"]
    assert custom[0]["contribution"] > 0 and out["score"] > 0


def test_a_new_category_without_a_weight_is_refused_before_reading(tmp_path: Path) -> None:
    proc = _extract(tmp_path, "--lexicon", str(_custom_lexicon(tmp_path)))
    assert proc.returncode == 2
    assert "no weight for category 'lantern_talk'" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize("dropped", ["events", "movement"])
def test_a_lexicon_without_some_packaged_categories_uses_the_packaged_weights(
    tmp_path: Path, dropped: str
) -> None:
    lines = [
        line for line in PACKAGED.splitlines(keepends=True) if not line.startswith(f"{dropped} =")
    ]
    text = "".join(lines)
    # Drop the category's entries too: each [[entry]] block up to the next blank line.
    blocks = text.split("\n\n")
    kept = [b for b in blocks if f'category = "{dropped}"' not in b]
    lexicon = tmp_path / "lexicon.toml"
    lexicon.write_text("\n\n".join(kept), encoding="utf-8")
    proc = _extract(tmp_path, "--lexicon", str(lexicon))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == "c1"
