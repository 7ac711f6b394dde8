"""The command line's entry point (`amberline`, `python -m amberline.cli`).

Why a module apart from the Typer application (`amberline.cli_app`): importing Typer, Rich
and pydantic and building a command's parameters costs more than the whole start-up a
harness can afford for `amberline extract`, which it may run once per file. So `main` runs
the plain forms of `extract` itself (a file or "-", and `--region`, `--lexicon`, `--weights`
each given once, as `--opt value` or `--opt=value`) and hands every other command line,
`--help`, anything unusual and every error in the options to the Typer application, which
stays the definition of the command line: both call `extract_command.run`. Attributes of the
application (`from amberline.cli import app`) are looked up there.

`extract` does no linear algebra, yet importing numpy loads its OpenBLAS, which starts a
thread per core that spins while it waits, a large part of a short run's CPU time. So the
plain `extract` asks OpenBLAS for one thread (unless the user's environment sets a number).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

_EXTRACT_OPTIONS = ("--region", "--lexicon", "--weights")


def plain_extract(args: list[str]) -> dict[str, Any] | None:
    """The arguments of `extract_command.run` for a plain `extract` command line, else None
    (the Typer application then reads it)."""
    if not args or args[0] != "extract":
        return None
    found: dict[str, str] = {}
    rest = args[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        name, eq, value = arg.partition("=")
        if name in _EXTRACT_OPTIONS:
            if not eq:
                if i + 1 == len(rest):
                    return None
                i += 1
                value = rest[i]
            key = name[2:]
        elif arg == "-" or not arg.startswith("-"):
            key, value = "file", arg
        else:
            return None  # --help, an unknown option, "--"
        if key in found or not value or (value.startswith("-") and value != "-"):
            return None
        found[key] = value
        i += 1
    return {"file": found.get("file", "-"), "region": found.get("region", "US"),
            "lexicon": Path(found["lexicon"]) if "lexicon" in found else None,
            "weights": Path(found["weights"]) if "weights" in found else None}


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 2."""
    plain = plain_extract(sys.argv[1:])
    if plain is None:
        from amberline.cli_app import main as application

        application()
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
    from amberline.collector import collector_paused, leave_to_exit

    with collector_paused():  # a start-up: see `amberline.collector`
        from amberline.cli_shared import UserError
        from amberline.extract_command import run

    try:
        run(**plain)
    except UserError as exc:
        print(f"amberline: {exc}", file=sys.stderr)
        sys.exit(2)
    leave_to_exit()


def __getattr__(name: str) -> Any:
    if name.startswith("__"):  # the import system asks for `__path__` and the like
        raise AttributeError(name)
    import amberline.cli_app

    return getattr(amberline.cli_app, name)


if __name__ == "__main__":
    main()
