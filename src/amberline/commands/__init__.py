"""Command groups beyond the screening core, one module per area, each with `register(app)`.

Keeping each area's commands in its own module lets the areas grow without touching `cli.py`.
"""

from __future__ import annotations

import typer

from amberline.commands import alerts, chats, link, quarantine, reports, scale, workspace

AREAS = (link, workspace, alerts, reports, scale, chats, quarantine)


def register_all(app: typer.Typer) -> None:
    for area in AREAS:
        area.register(app)
