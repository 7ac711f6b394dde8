"""Fuzz `extract` and `scan` with random JSON values and Unicode: nothing raises, and every
input line is accounted for (extract: one output line per input line, in order; scan: every
line stored, a duplicate, or quarantined)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hostile_support import screener, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amberline.extract_command import extract_lines
from amberline.scan import run_scan
from amberline.store.database import Store

# Any Unicode, surrogates included (json.dumps writes them as \\u escapes).
TEXT = st.text(st.characters(), max_size=60)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(TEXT, inner, max_size=3), max_leaves=12)
ADS = st.fixed_dictionaries({}, optional={
    "id": st.text(max_size=20) | st.integers(), "text": TEXT | VALUES, "title": TEXT | VALUES,
    "body": TEXT | VALUES, "date": TEXT | st.integers(), "source": TEXT | VALUES,
})
LINES = st.lists(ADS.map(json.dumps) | VALUES.map(json.dumps) | TEXT.map(
    lambda t: t.replace("\n", " ").replace("\r", " ")), min_size=1, max_size=12)
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(lines=LINES)
def test_extract_answers_every_line_in_order(lines: list[str]) -> None:
    out = io.StringIO()
    extract_lines([line + "\n" for line in lines], out, screener())
    # U+0085, U+2028 and U+2029 in a value are written escaped, so even str.splitlines(),
    # which cuts at them, reads one record per line.
    results = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(results) == len(lines)
    for number, result in enumerate(results, start=1):
        assert "error" not in result or result["line"] == number


@FUZZ
@given(lines=LINES)
def test_scan_accounts_for_every_line(tmp_path_factory, lines: list[str]) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = write_jsonl(Path(folder) / "ads.jsonl", lines)
    store = Store(Path(folder) / "f.db")
    counts = run_scan([path], store, screener(), batch_size=5)
    content = [line for line in lines if line.strip()]
    if content and _opens_an_array(content[0]):
        # The reader's rule for a JSON array file (tests/test_ingest.py): one quarantined
        # record with the reason and the fix, for the whole file.
        assert (counts.read, counts.quarantined) == (1, 1)
    else:
        assert counts.read == len(content)
    assert counts.stored + counts.duplicate + counts.quarantined == counts.read
    assert store.scan(1).status == "finished"
    store.close()


def _opens_an_array(line: str) -> bool:
    if not line.lstrip().startswith("["):
        return False
    try:
        json.loads(line)
    except ValueError:
        return True
    return False
