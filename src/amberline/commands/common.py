"""What every command module shares: the user-error type, consoles, common options.

A `UserError` is a problem the user can fix: `amberline.cli.main` prints it as one line
(naming the file, line or option and the fix) and exits with status 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from amberline.cli_shared import UserError, screen_config, screener  # noqa: F401 - shared

if TYPE_CHECKING:
    from amberline.store.database import Store

console = Console()
err = Console(stderr=True)

DbOption = Annotated[str, typer.Option(
    "--db", "--database", help="SQLite file, or a database URL such as"
    " postgresql+psycopg://user:password@host/dbname (--database is the old name).")]
RegionOption = Annotated[
    str, typer.Option("--region", help="Default region for phone numbers (ISO 3166 code).")
]


def open_store(db: Path | str, must_exist: bool = True) -> Store:
    """Open the store at a path (SQLite) or URL; a missing SQLite file is a user error."""
    from amberline.store.database import Store

    if must_exist and "://" not in str(db) and not Path(db).exists():
        raise UserError(f"{db}: no such database; run `amberline scan PATH --db {db}` first")
    try:
        return Store(db)
    except ValueError as exc:  # unreachable server, unknown database, not an Amberline store
        raise UserError(str(exc)) from exc


def cli_actor() -> str:
    """Who acts from the command line, for the audit log: the operating-system user."""
    import getpass

    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "cli"


LexiconOption = Annotated[
    Path | None, typer.Option("--lexicon", help="Indicator lexicon TOML (default: packaged).")
]
WeightsOption = Annotated[
    Path | None, typer.Option("--weights", help="Category weights TOML (default: packaged).")
]


