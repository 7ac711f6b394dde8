"""The analyst workspace: `amberline serve`, `users`, `audit`.

Thin: parses options, calls the library, prints. Registered on the main app by `register`.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""
