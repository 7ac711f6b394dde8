"""The compiled screening core (`amberline._core`), and when the Python reference runs instead.

Why: the Rust core (`rust/`, built by `pip install -e .` where cargo is installed) runs the
screening stages it implements without the interpreter's per-character cost, while the Python
modules stay the reference implementation that a differential test holds it to. A clone
without Rust, or a checkout used through `PYTHONPATH=src` without a build, must still work:
the package then falls back to the Python reference with one warning. `AMBERLINE_CORE`
chooses explicitly:

- unset or `auto`: the core if it is built, else the Python reference (one warning);
- `python`: always the Python reference (to compare, or to rule the core out);
- `rust`: the core, and an error if it is not built (CI sets this, so that a broken build
  cannot pass unnoticed as the fallback).

In a checkout, a core built from other sources than the crate beside the package counts as
not built (see `_stale`).
"""

from __future__ import annotations

import os
import sys
import warnings
import zlib
from collections.abc import Callable, Sequence
from functools import cache
from itertools import accumulate
from pathlib import Path
from types import ModuleType

ENV_VAR = "AMBERLINE_CORE"
CHOICES = ("auto", "python", "rust")


class CoreMissingWarning(RuntimeWarning):
    """The compiled core is not built: screening runs on the slower Python reference."""


class CoreFailure(RuntimeError):
    """The core failed on one input (a panic inside it, caught at the boundary)."""


def choice() -> str:
    """The `AMBERLINE_CORE` setting, checked."""
    value = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if value not in CHOICES:
        raise ValueError(f"{ENV_VAR}={value!r}: expected one of {', '.join(CHOICES)}")
    return value


@cache
def load() -> ModuleType | None:
    """The core module, or None when the Python reference is to run (decided once)."""
    wanted = choice()
    if wanted == "python":
        return None
    try:
        from amberline import _core
    except ImportError as exc:
        if wanted == "rust":
            raise RuntimeError(
                f"{ENV_VAR}=rust but amberline._core is not built ({exc}); build it with "
                "`pip install -e .` on a machine with cargo"
            ) from exc
        warnings.warn(
            f"amberline._core is not built ({exc}): screening uses the Python reference, "
            "which gives the same results more slowly. `pip install -e .` with Rust "
            f"(cargo) installed builds it; {ENV_VAR}=python silences this.",
            CoreMissingWarning,
            stacklevel=2,
        )
        return None
    stale = _stale(_core)
    if stale:
        if wanted == "rust":
            raise RuntimeError(f"{ENV_VAR}=rust but {stale}")
        warnings.warn(f"{stale}: screening uses the Python reference.", CoreMissingWarning,
                      stacklevel=2)
        return None
    return _core


# The crate beside the package in a checkout (src/amberline/core.py -> rust/); an installed
# wheel has none, and its core is the one it was built with.
CRATE = Path(__file__).resolve().parents[2] / "rust"


def source_fingerprint(crate: Path) -> str:
    """The fingerprint `rust/build.rs` embeds as `_core.SOURCES`: CRC-32 over each source
    file's relative path and bytes, in path order (the same files, the same framing)."""
    files = [crate / "Cargo.toml", crate / "Cargo.lock", crate / "build.rs",
             *(crate / "src").rglob("*.rs")]
    crc = 0
    for name, path in sorted((p.relative_to(crate).as_posix(), p) for p in files):
        for part in (name.encode(), b"\0", path.read_bytes(), b"\0"):
            crc = zlib.crc32(part, crc)
    return f"{crc:08x}"


def _stale(module: ModuleType, crate: Path | None = None) -> str | None:
    """Why the built core does not belong to the checkout's sources, or None. A core built
    before a pull can keep every class yet give other output than the sources it is tested
    against, so a checkout's core must match its crate; an installed wheel has no crate."""
    crate = CRATE if crate is None else crate
    if not (crate / "Cargo.toml").is_file():
        return None
    try:
        here = source_fingerprint(crate)
    except OSError:
        return None
    built = getattr(module, "SOURCES", None)
    if built == here:
        return None
    return (f"amberline._core was built from other sources than {crate} (built {built}, "
            f"sources {here}); rebuild it with `pip install -e .` (or `make`)")


def cache_dir() -> Path:
    """Where the core leaves what it computes once per machine (tables keyed by a hash of
    what they depend on): `AMBERLINE_CACHE_DIR`, else the user's cache directory."""
    explicit = os.environ.get("AMBERLINE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "amberline"


def active() -> bool:
    """Is the compiled core in use?"""
    return load() is not None


@cache
def provides(name: str) -> bool:
    """Does the loaded core have `name` (a class of a later stage)? A core built from older
    sources (an editable install not rebuilt after a pull) lacks it: that stage then runs
    on the Python reference with one warning, or, with `rust`, is an error naming the fix."""
    module = load()
    if module is None:
        return False
    if hasattr(module, name):
        return True
    message = (f"amberline._core is out of date (it has no {name}); rebuild it with "
               "`pip install -e .` (or `make`)")
    if choice() == "rust":
        raise RuntimeError(f"{ENV_VAR}=rust but {message}")
    warnings.warn(f"{message}: that stage uses the Python reference.", CoreMissingWarning,
                  stacklevel=2)
    return False


def reset() -> None:
    """Forget the decisions above (tests change `AMBERLINE_CORE` within one process)."""
    load.cache_clear()
    provides.cache_clear()


# The last single text's buffer, by identity: a batch's joined text goes to several core
# stages (the lexicon matcher, names, places, contact details), each asking for its buffer.
# Swapped in whole, so threads may share it (one that finds another's entry encodes again).
_LAST_ONE: list[tuple[str, bytes]] = []


# What stages keep of the last text they read, by identity (its buffers and their rows), each
# registered with `keeps_last` to be dropped by `forget_batch`.
_KEEPERS: list[Callable[[], None]] = []


def keeps_last(forget: Callable[[], None]) -> None:
    """Register `forget`, which drops what a stage keeps of the last text it read (this
    thread's entry), for `forget_batch`."""
    _KEEPERS.append(forget)


def forget_batch() -> None:
    """Drop what the stages keep of the batch just screened (`keeps_last`).

    Why: a batch's joined text and its buffers are megabytes; kept until the next batch
    replaced them, each batch's were made while the last one's were still held, in memory
    touched for the first time (a page fault per page), instead of where the last ones were.
    Another thread's entries dropped here are made again when it asks for them."""
    _LAST_ONE.clear()
    for forget in _KEEPERS:
        forget()


def batch_buffer(texts: Sequence[str]) -> tuple[bytes, list[int]]:
    """A batch as the core takes it: one UTF-32 buffer and the character bounds of each text."""
    if len(texts) == 1:
        text = texts[0]
        last = next(iter(_LAST_ONE), None)  # (one step: another thread may empty it)
        if last is not None and last[0] is text:
            return last[1], [0, len(text)]
        data = _utf32(text)
        _LAST_ONE[:] = [(text, data)]
        return data, [0, len(text)]
    module = load()
    encode = getattr(module, "utf32_batch", None) if module is not None else None
    if encode is not None:
        # (the texts straight into one buffer: a joined str would be as large, made only to
        # be copied once more)
        data, bounds = encode(texts)
        return data, bounds
    bounds = [0, *accumulate(map(len, texts))]
    return _utf32("".join(texts)), bounds


def _utf32(text: str) -> bytes:
    """`text` as little-endian UTF-32 (lone surrogates as their code points): by the core's
    copy of the str's storage when it has one (see `rust/src/lib.rs`), else by the codec."""
    module = load()
    encode = getattr(module, "utf32", None) if module is not None else None
    if encode is None:
        return text.encode("utf-32-le", "surrogatepass")
    return encode(text)


def raise_failures(stage: str, errors: Sequence[tuple[int, str]]) -> None:
    """Raise `CoreFailure` naming the first text a core stage panicked on (the caller's batch
    fails, and `amberline.isolate` quarantines just that ad)."""
    if errors:
        index, message = errors[0]
        raise CoreFailure(f"the core's {stage} failed on text {index} of the batch "
                          f"({len(errors)} failed): {message}")
