"""Shared by the core's differential tests: the clinical strings the other tests hold."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import strategies as st

from amberline import core

TESTS = Path(__file__).parent


def fixture_strings(*names: str) -> list[str]:
    """Every string constant in the named test files (those that exist)."""
    out: list[str] = []
    for name in names:
        path = TESTS / name
        if not path.exists():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out += [n.value for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return out


def hostile_texts(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Fuzzed texts for a differential test: runs of the stage's own `pieces` (glued, and
    spaced), random text, and any code point including lone surrogates."""
    return st.one_of(
        st.lists(pieces, max_size=40).map("".join),
        st.lists(pieces, max_size=25).map(" ".join),
        st.text(),
        st.text(alphabet=st.characters(codec=None)),
    )


def built_core() -> ModuleType | None:
    """`amberline._core`, or None where it is not built (an error if AMBERLINE_CORE=rust)."""
    try:
        from amberline import _core
    except ImportError:  # pragma: no cover - depends on the build
        if core.choice() == "rust":
            raise
        return None
    return _core


def needs_active_core() -> pytest.MarkDecorator:
    """Skip a test module where the core is not built or not chosen."""
    return pytest.mark.skipif(built_core() is None or not core.active(),
                              reason="amberline._core is not built or not chosen")
