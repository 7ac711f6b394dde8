"""The command line's Typer application: parses options, calls the library, prints. No
business logic here. (`amberline.cli` is the entry point; it runs the plain forms of
`amberline extract` without loading this module, see there.)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from amberline import display
from amberline.commands import scale
from amberline.commands.common import (
    DbOption,
    LexiconOption,
    RegionOption,
    UserError,
    WeightsOption,
    console,
    err,
    screen_config,
)
from amberline.commands.common import open_store as _open_store
from amberline.commands.common import screener as _screener

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Amberline: screen online ads for indicators of child trafficking, with evidence.",
)


def _column_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise UserError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. --map body=text_col")
        mapping[field.strip()] = column.strip()
    return mapping


@app.command()
def scan(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders: JSONL, CSV, HTML, WARC, Parquet.")
    ],
    db: DbOption = "amberline.db",
    source: Annotated[str | None, typer.Option(help="Source name for records without one.")] = None,
    map_: Annotated[
        list[str], typer.Option("--map", help="Field mapping FIELD=COLUMN (repeatable).")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    batch_size: Annotated[int, typer.Option(help="Ads per batch and per transaction.")] = 1000,
    region: RegionOption = "US",
    lexicon: LexiconOption = None,
    weights: WeightsOption = None,
    engine: scale.EngineOption = "local",
    scheduler: scale.SchedulerOption = "local",
    resume: scale.ResumeOption = False,
    log_json: scale.LogJsonOption = False,
    work_dir: scale.WorkDirOption = None,
) -> None:
    """Ingest, screen and store ads; prints counts at the end."""
    from amberline.ingest.reader import ReadOptions
    from amberline.scan import input_size, run_scan
    from amberline.scan_hooks import default_hooks

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UserError(f"{missing[0]}: no such file or folder")
    options = ReadOptions(source=source, column_map=_column_map(map_))
    config = screen_config(region, lexicon, weights)
    store = _open_store(db, must_exist=False)
    if engine != "local" or resume or log_json:
        scale.scan_with_engine(
            paths, store, options, db, engine=engine, scheduler=scheduler, resume=resume,
            log_json=log_json, work_dir=work_dir, batch_size=batch_size, config=config,
        )
        return
    screener = _screener(config)
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn())
    with Progress(*columns, TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task("scanning", total=input_size(paths))
        counts = run_scan(
            paths,
            store,
            screener,
            options,
            batch_size=batch_size,
            progress=lambda n: bar.advance(task, n),
            on_stored=default_hooks(store),
        )
    console.print(display.counts_table(counts.as_dict(), title=f"Scan into {db}"))


@app.command()
def extract(
    file: Annotated[
        str, typer.Argument(help="JSON Lines with id and text (or title and body); - for stdin.")
    ] = "-",
    region: RegionOption = "US",
    lexicon: LexiconOption = None,
    weights: WeightsOption = None,
) -> None:
    """Screen JSON Lines and write one JSON line per ad; nothing is stored."""
    from amberline.extract_command import run

    run(file, region, lexicon, weights)


@app.command()
def show(
    ad_id: Annotated[str, typer.Argument(help="Ad key (source:id) or numeric id.")],
    db: DbOption = "amberline.db",
) -> None:
    """Print one ad with its evidence highlighted and its score broken down."""
    stored = _open_store(db).get_ad(ad_id)
    if stored is None:
        raise UserError(f"{ad_id}: no such ad in {db}")
    display.show_ad(console, stored)


@app.command()
def top(
    db: DbOption = "amberline.db",
    n: Annotated[int, typer.Option("-n", help="How many ads.")] = 50,
    min_score: Annotated[float, typer.Option(help="Only ads at or above this score.")] = 0.0,
) -> None:
    """List the highest-scoring ads."""
    rows = _open_store(db).top(n, min_score=min_score)
    console.print(display.summary_table(rows, title=f"Top {len(rows)} ads in {db}"))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Full-text query (SQLite FTS5 syntax).")],
    db: DbOption = "amberline.db",
    n: Annotated[int, typer.Option("-n", help="How many ads.")] = 50,
) -> None:
    """Full-text search over stored ads."""
    try:
        rows = _open_store(db).search(query, limit=n)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    console.print(display.search_table(rows, title=f"{len(rows)} ads match {query!r}"))


@app.command()
def find(
    kind: Annotated[str, typer.Argument(help="phone, email, handle, place, name, url.")],
    value: Annotated[str, typer.Argument(help="Exact normalised value, e.g. +17035550142.")],
    db: DbOption = "amberline.db",
    region: RegionOption = "US",
) -> None:
    """Find ads by an exact identifier (phones are normalised to E.164 first)."""
    if kind == "phone":
        value = display.e164(value, region) or value
    try:
        rows = _open_store(db).find_by(kind, value)
    except ValueError as exc:  # a kind that is not indexed (prices)
        raise UserError(str(exc)) from exc
    console.print(display.summary_table(rows, title=f"{len(rows)} ads with {kind} {value}"))


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="JSON Lines file to write.")] = Path("demo/ads.jsonl"),
    ads: Annotated[int, typer.Option(help="How many ads.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same corpus).")] = 7,
    images: Annotated[bool, typer.Option(help="Attach generated pattern images.")] = False,
    chats: Annotated[int, typer.Option(help="Also write this many synthetic conversations.")] = 0,
    chats_out: Annotated[Path, typer.Option(help="JSON Lines file for the conversations.")]
    = Path("demo/chats.jsonl"),
) -> None:
    """Write a synthetic, clinical demo corpus with planted networks and its ground truth
    (`--ads 0` for none), and with `--chats N` conversations with planted grooming patterns."""
    from amberline.synth.generate import write_corpus

    if ads > 0:
        out.parent.mkdir(parents=True, exist_ok=True)
        summary = write_corpus(out, ads, seed, with_images=images)
        console.print(f"wrote {out}: {summary}")
    if chats > 0:
        from amberline.chats.synth import write_chats

        kinds = write_chats(chats_out, chats, seed)
        console.print(f"wrote {chats_out}: {chats} conversations {kinds}")


def _register_areas() -> None:
    from amberline.commands import register_all

    register_all(app)


_register_areas()


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 2."""
    try:
        app()
    except UserError as exc:
        print(f"amberline: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
