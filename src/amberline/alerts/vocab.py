"""The alert-text vocabulary (`data/vocabulary.toml`), loaded once, and regex helpers over it.

Word lists are data, not code, so an alert desk can add a code or a vehicle make without
touching the parser.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, dict[str, str]]:
    """Every table of `data/vocabulary.toml`, keys as written there."""
    data = resources.files("amberline.alerts").joinpath("data", "vocabulary.toml").read_bytes()
    return tomllib.loads(data.decode("utf-8"))


def table(name: str) -> dict[str, str]:
    """One table with lower-case keys whose internal spaces/hyphens are single spaces."""
    return {canon(k): v for k, v in vocabulary()[name].items()}


def canon(term: str) -> str:
    return " ".join(re.split(r"[\s-]+", term.strip().lower()))


def alternation(name: str) -> str:
    """A regex alternation of one table's terms, longest first; spaces match space or hyphen."""
    words = sorted(vocabulary()[name], key=len, reverse=True)
    return "|".join(
        re.escape(w).replace(r"\ ", r"[\s-]?").replace(r"\-", r"[\s-]?") for w in words
    )


def tidy_case(text: str) -> str:
    """ALL-CAPS words (as police texts write names and models) in Title Case; others kept."""
    return re.sub(r"[A-Za-z]{2,}", lambda m: m[0].capitalize() if m[0].isupper() else m[0], text)
