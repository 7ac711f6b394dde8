"""What commands share that needs no command-line framework: the user-error type and the
checked screening configuration.

Why apart from `commands.common` (and outside `commands`, whose package imports every command
area): `amberline.cli` runs the plain forms of `amberline extract` without importing Typer and
Rich (their start-up is most of a short run's), and needs these.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from amberline.pipeline import ScreenConfig, Screener


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


def screen_config(
    region: str = "US", lexicon: Path | None = None, weights: Path | None = None
) -> ScreenConfig:
    """The one screening configuration of a command, checked now: a lexicon or weights file
    that cannot be used is a user error before any record is read."""
    from amberline.indicators.lexicon import LexiconError, load_lexicon
    from amberline.pipeline import ScreenConfig
    from amberline.score.scorer import Scorer, WeightsError

    for given in (lexicon, weights):
        if given is not None and not given.is_file():
            raise UserError(f"{given}: no such file")
    try:
        Scorer.from_file(weights, load_lexicon(lexicon).categories)
    except (LexiconError, WeightsError) as exc:
        raise UserError(str(exc)) from None
    return ScreenConfig(default_region=region, lexicon_path=lexicon, weights_path=weights)


def screener(config: ScreenConfig) -> Screener:
    from amberline.pipeline import Screener

    return Screener(config)
