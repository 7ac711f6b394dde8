"""`amberline extract`: JSON Lines in, one JSON line out per input line, nothing stored.

Every input line gets exactly one output line, in order, so a harness can zip inputs and
outputs; a line that cannot be screened (blank, not JSON, over a reader limit, or an ad a
pipeline stage raised on) gets `{"id": ..., "line": N, "error": reason}` instead of
disappearing. Lines are screened in batches for speed; a batch that fails is screened ad by ad
(`amberline.isolate`), so one bad ad costs its own line only.
Source metadata keys (`location`, `age`/`age_field`, `phone`: see
`ingest.records.META_KEYS`) are read as `scan` reads them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from amberline.cli_shared import UserError, screen_config, screener
from amberline.collector import collector_paused
from amberline.ingest.codes import Code
from amberline.ingest.json_record import RecordError, decode_record, json_line
from amberline.ingest.limits import MAX_RECORD_BYTES
from amberline.ingest.records import take_meta
from amberline.isolate import ScreeningFailure, screen_isolated
from amberline.machine_output import screening_record
from amberline.model import Ad
from amberline.pipeline import Screener

BATCH = 500


def run(file: str = "-", region: str = "US", lexicon: Path | None = None,
        weights: Path | None = None) -> None:
    """The command: read `file` (- for stdin), write to stdout."""
    path = Path(file)
    if file == "-":
        stream: Iterable[str] = sys.stdin
    elif not path.exists():
        raise UserError(f"{path}: no such file")
    else:
        stream = path.open(encoding="utf-8", errors="replace")
    with collector_paused():  # a start-up: see `amberline.collector`
        screening = screener(screen_config(region, lexicon, weights))
    extract_lines(stream, sys.stdout, screening, err_name=file)


def _ad_from(obj: Any) -> Ad:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    text = obj.get("text")
    title, body = obj.get("title") or "", obj.get("body") or ""
    if text is not None:
        if not isinstance(text, str):
            raise ValueError("'text' is not a string")
        title, body = "", text
    if not isinstance(title, str) or not isinstance(body, str):
        raise ValueError("'title'/'body' are not strings")
    ad_id = obj.get("id")
    return Ad(source="extract", source_id=None if ad_id is None else str(ad_id),
              title=title, body=body, meta=take_meta(obj, consume=False))


def extract_lines(
    lines: Iterable[str], out: TextIO, screener: Screener, err_name: str = "-"
) -> int:
    """Screen each JSON line of `lines`, write results to `out`; return the count of errors."""
    errors = 0
    pending: list[tuple[int, Any, Ad | str]] = []

    def flush() -> None:
        nonlocal errors
        ads = [item for _, _, item in pending if isinstance(item, Ad)]
        results = iter(screen_isolated(screener, ads))
        for line_no, ad_id, item in pending:
            result = next(results) if isinstance(item, Ad) else item
            if isinstance(result, ScreeningFailure):
                errors += 1
                result = f"{err_name}:{line_no}: {Code.SCREENING_ERROR}: {result.message}"
            record = ({"id": ad_id, "line": line_no, "error": result} if isinstance(result, str)
                      else screening_record(ad_id, result))
            out.write(json_line(record) + "\n")
        pending.clear()

    for line_no, line in enumerate(lines, start=1):
        ad_id = None
        try:
            if not line.strip():
                raise RecordError(Code.NO_TEXT, "blank line")
            if len(line) > MAX_RECORD_BYTES:  # characters: at most 4x the bytes, a cheap test
                raise RecordError(Code.TOO_LARGE, f"record too large (over {MAX_RECORD_BYTES})")
            obj = decode_record(line)
            ad_id = obj.get("id") if isinstance(obj, dict) else None
            pending.append((line_no, ad_id, _ad_from(obj)))
        except ValueError as exc:  # json.JSONDecodeError and RecordError are ValueErrors
            errors += 1
            code = exc.code if isinstance(exc, RecordError) else Code.BAD_JSON
            pending.append((line_no, ad_id, f"{err_name}:{line_no}: {code}: {exc}"))
        if len(pending) >= BATCH:
            flush()
    flush()
    return errors
