"""What every command module shares: the user-error type, consoles, common options.

A `UserError` is a problem the user can fix: `amberline.cli.main` prints it as one line
(naming the file, line or option and the fix) and exits with status 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from amberline.pipeline import Screener
    from amberline.store.database import Store

console = Console()
err = Console(stderr=True)

DbOption = Annotated[str, typer.Option(
    "--db", "--database", help="SQLite file, or a database URL such as"
    " postgresql+psycopg://user:password@host/dbname (--database is the old name).")]
RegionOption = Annotated[
    str, typer.Option("--region", help="Default region for phone numbers (ISO 3166 code).")
]


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


def open_store(db: Path | str, must_exist: bool = True) -> Store:
    """Open the store at a path (SQLite) or URL; a missing SQLite file is a user error."""
    from amberline.store.database import Store

    if must_exist and "://" not in str(db) and not Path(db).exists():
        raise UserError(f"{db}: no such database; run `amberline scan PATH --db {db}` first")
    return Store(db)


def screener(region: str = "US") -> Screener:
    from amberline.pipeline import ScreenConfig, Screener

    return Screener(ScreenConfig(default_region=region))
