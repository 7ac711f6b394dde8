"""Scale-out and operations: `amberline export`, `doctor`, and the scan's engine options.

Thin: parses options, calls the library, prints. Registered on the main app by `register`;
`scan` (in cli.py) takes the engine options defined here and hands engine scans to
`scan_with_engine`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from amberline.commands.common import DbOption, UserError, console, err

if TYPE_CHECKING:
    from amberline.ingest.records import ReadOptions
    from amberline.pipeline import ScreenConfig
    from amberline.store.database import Store

EngineOption = Annotated[str, typer.Option(
    "--engine", help="local (this process) or dask (ingest, screening and keys as Dask tasks;"
    " ends by linking).")]
SchedulerOption = Annotated[str, typer.Option(
    "--scheduler", help="Dask scheduler: local (a cluster of one worker per core on this"
    " machine), local:N (N workers) or an address such as tcp://10.0.0.5:8786.")]
ResumeOption = Annotated[bool, typer.Option(
    "--resume", help="Continue a Dask scan that stopped part-way (same inputs and --work-dir):"
    " finished partitions are not redone. Local scans resume by simply running them again.")]
LogJsonOption = Annotated[bool, typer.Option(
    "--log-json", help="Write JSON log lines (counts and timings per stage) to stderr.")]
WorkDirOption = Annotated[Path | None, typer.Option(
    "--work-dir", help="Folder for a Dask scan's Parquet partitions (shared by all workers);"
    " default: DB.work next to a SQLite file, else ./amberline-work.")]



def default_work_dir(db: str) -> Path:
    return Path("amberline-work") if "://" in db else Path(f"{db}.work")


def scan_with_engine(
    paths: list[Path], store: Store, options: ReadOptions, db: str, *, engine: str,
    scheduler: str, resume: bool, log_json: bool, work_dir: Path | None, batch_size: int,
    config: ScreenConfig,
) -> None:
    """`amberline scan --engine ...` / `--log-json` / `--resume`: run an engine, print counts."""
    from amberline import display
    from amberline.engines import ENGINES, dask_available
    from amberline.engines.logs import NullLog, StageLog
    from amberline.scan_hooks import default_hooks

    if engine not in ENGINES:
        raise UserError(f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
    log = StageLog() if log_json else NullLog()
    if engine == "local":
        from amberline.engines.local import LocalEngine

        result = LocalEngine(config).run(paths, store, options, batch_size=batch_size,
                                         on_stored=default_hooks(store), log=log)
    else:
        if not dask_available():
            raise UserError("--engine dask needs dask and pyarrow: "
                            "pip install 'dask[distributed]' pyarrow")
        from amberline.engines.dask_engine import DaskEngine

        runner = DaskEngine(scheduler, config=config, work_dir=work_dir or default_work_dir(db))
        try:
            result = runner.run(paths, store, options, batch_size=batch_size,
                                on_stored=default_hooks(store), log=log, link=True,
                                resume=resume)
        except ValueError as exc:  # a --resume of another scan's folder
            raise UserError(str(exc)) from exc
    title = f"Scan into {db} ({engine})"
    console.print(display.counts_table(result.counts.as_dict(), title=title))
    if result.resumed_partitions:
        console.print(f"resumed: {result.resumed_partitions} of {result.partitions} partitions "
                      "were stored by the earlier run")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""

    @app.command()
    def export(
        out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
        db: DbOption = "amberline.db",
        format_: Annotated[str, typer.Option("--format", help="parquet")] = "parquet",
    ) -> None:
        """Export ads, spans, flags, keys and networks as Parquet files (one per table)."""
        from amberline.commands.common import open_store

        if format_ != "parquet":
            raise UserError(f"--format {format_!r}: only parquet is supported")
        from amberline.commands.common import cli_actor
        from amberline.store import audit
        from amberline.store.parquet_export import export_parquet

        with open_store(db) as store:
            written = export_parquet(store, out)
            if written:
                audit.append(store, cli_actor(), "export", "parquet",
                             {"kind": "parquet", "out": str(out), "rows": written})
        if not written:
            raise UserError(f"{db}: nothing to export; scan some ads first")
        for name, rows in written.items():
            console.print(f"{out / (name + '.parquet')}: {rows} rows")

    @app.command()
    def doctor(
        db: DbOption = "amberline.db",
        scheduler: Annotated[str | None, typer.Option(
            "--scheduler", help="Also check this Dask scheduler address.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Check the database, its migrations, the lexicon and the engines; changes nothing."""
        from amberline.doctor import run_checks

        checks = run_checks(db, scheduler)
        failed = [c for c in checks if not c.ok and c.required]
        if as_json:
            print(json.dumps([{"name": c.name, "ok": c.ok, "required": c.required,
                               "detail": c.detail} for c in checks]))
        else:
            for c in checks:
                bad = "[red]FAIL[/]" if c.required else "[yellow]--[/]"
                mark = "[green]ok[/]" if c.ok else bad
                console.print(f"{mark:>16} {c.name:<17} {c.detail}", highlight=False)
        if failed:
            err.print(f"amberline doctor: {len(failed)} check(s) failed", highlight=False)
            raise typer.Exit(1)
