"""Extractors backed by the compiled core: building their reader, running it, pickling.

Why: an extractor ported to the core (`rust/src/profile.rs`) keeps its Python code as the
reference and fallback; when the core is active (`amberline.core`) it builds the core's reader
from its own patterns (`_program.program`) and tables at construction and runs that instead.
The reader reads a text as rows of integers, one per span, which the extractor turns into
spans; a panic inside it raises `core.CoreFailure`, so the batch is screened again ad by ad
and only the ad that caused it is quarantined.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from amberline import core
from amberline.extract._program import Unsupported
from amberline.text import native


@cache
def char_tables() -> tuple[bytes, list[tuple[int, int]], list[tuple[int, int]]]:
    """(flags, folds, decimal digits) of this Python, as every reader takes them: `\\w`,
    `\\d`, `\\s`, the letters case-insensitive `re` matches to ASCII ones, and the value
    `int()` gives each character `\\d` matches."""
    tables = native.unicode_tables()
    flags = np.frombuffer(tables.flags, dtype=np.uint8)
    decimals = np.flatnonzero(flags & native.DECIMAL).tolist()
    digits = [(c, unicodedata.decimal(chr(c))) for c in decimals]
    return tables.flags, list(tables.folds), digits


def build(name: str, factory: Callable[[Any], object]) -> object | None:
    """The core's reader `name` made by `factory(module)`, or None when the Python reference
    runs (no core, or a pattern the core's engine cannot run exactly: one warning)."""
    if not core.provides(name):
        return None
    try:
        return factory(core.load())
    except Unsupported as exc:
        if core.choice() == "rust":
            raise
        warnings.warn(f"{name}: the core cannot run this extractor's patterns ({exc}); "
                      "it uses the Python reference.", core.CoreMissingWarning, stacklevel=3)
        return None


def rows(reader: Any, text: str, width: int, *options: object) -> list[list[int]]:
    """The reader's rows for one text (each without the text index), as lists of ints;
    `options`: what the reader's `extract_batch` takes after the text (the profile readers:
    whether, per trigger set, they try their pattern only near their triggers, as the
    reference does when its Hyperscan prefilter is available; otherwise both try everywhere)."""
    data, errors = reader.extract_batch(*core.batch_buffer([text]), *options)
    core.raise_failures(type(reader).__name__, errors)
    return np.frombuffer(data, dtype="<i8").reshape(-1, width + 1)[:, 1:].tolist()


class CoreBacked:
    """Pickles without the core's reader (it does not pickle) and rebuilds it on load."""

    _core: object | None

    def _build_core(self) -> object | None:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_core"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._core = self._build_core()
