"""`amberline quarantine`: what a scan, the push API or the alert desk could not use, and why.

Thin: parses options, reads the store, prints. Nothing is lost silently only if what was set
aside can be seen: this lists each quarantined record with its file and line, its reason code
and message, after a count per code.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from amberline.commands.common import DbOption, console, open_store


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""
    app.command("quarantine")(quarantine)


def quarantine(
    db: DbOption = "amberline.db",
    code: Annotated[str | None, typer.Option(
        help="Only records of this reason code (screening_error, bad_json, too_large, ...).")]
    = None,
    scan: Annotated[int | None, typer.Option(help="Only records first seen by this scan.")]
    = None,
    n: Annotated[int, typer.Option("-n", help="At most this many records.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List quarantined records with their reason code, message, file and line."""
    from amberline.ingest.json_record import json_line

    store = open_store(db)
    entries = store.quarantined(scan, code, n)
    if as_json:
        for e in entries:
            typer.echo(json_line({"file": e.file, "line": e.line, "code": e.code,
                                  "reason": e.reason, "excerpt": e.excerpt, "scan": e.scan_id}))
        return
    totals = store.quarantine_codes()
    summary = ", ".join(f"{c}: {k}" for c, k in totals.items()) or "nothing quarantined"
    console.print(f"Quarantine of {db}: {summary}", highlight=False)
    table = Table("file:line", "code", "reason", "excerpt")
    for e in entries:
        table.add_row(f"{e.file}:{e.line}", e.code, e.reason, e.excerpt[:60])
    if entries:
        console.print(table)
