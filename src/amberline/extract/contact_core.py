"""The contact extractors (emails, URLs, handles) in the compiled core: one call, columns out.

Why: the three extractors' regexes are most of their cost, and each runs over every batch.
The core (`rust/src/contact.rs`) finds exactly their matches, the Python modules being the
specification, in one call for all three over a batch's joined text; each extractor then takes
its own rows, so the text is encoded and scanned once, not three times (the result is kept for
the last text, by identity, as `amberline.text.encoded` keeps its bytes). The core is given
this Python's Unicode tables and the extractors' word lists, so it decides what `re` decides.

Handles in a piece of text that names a WhatsApp phone (a "whatsapp" cue before a number, a
wa.me link) come back as a piece for the Python extractor: their value needs the phone parser.
A panic in the core raises `core.CoreFailure` naming the text, as the other core stages do.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np

from amberline import core

# Row kinds, as `rust/src/contact.rs` writes them.
EMAIL, EMAIL_SPELLED, URL, URL_BARE, HANDLE, HANDLE_PYTHON = range(6)
_COLUMNS = 8  # text index, kind, start, end, two kind-specific columns, value start and end
_ENGINES = ("auto", "python", "core")


@cache
def scanner() -> object | None:
    """The core's compiled contact extractors, or None when the Python reference runs."""
    if not core.provides("ContactScanner"):
        return None
    module = core.load()
    assert module is not None
    return build(module)


def build(module: object, panic_on: str | None = None) -> object:
    """A core scanner from this Python's tables and the extractors' word lists
    (`panic_on`: tests only, a character that makes the core panic on any text holding it)."""
    from amberline.extract import emails, handles, urls
    from amberline.extract.names import load_word_list
    from amberline.text.native import unicode_tables

    tables = unicode_tables()
    return module.ContactScanner(  # type: ignore[attr-defined]
        tables.flags,
        list(tables.folds),
        list(tables.lower),
        sorted(emails._load_tlds(), key=len, reverse=True),
        sorted(urls._WORDY_TLDS),
        sorted(emails._NOT_LOCAL),
        sorted(load_word_list("not_names.txt")),
        sorted(handles._NOT_PROFILE),
        None if panic_on is None else ord(panic_on),
    )


def use_core(engine: str) -> bool:
    """Whether an extractor built with `engine` ("auto", "python" or "core") runs the core."""
    if engine not in _ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {_ENGINES}")
    if engine == "python":
        return False
    if scanner() is None:
        if engine == "core":
            raise ImportError("amberline._core with ContactScanner is not built")
        return False
    return True


_last = threading.local()
core.keeps_last(lambda: vars(_last).pop("entry", None))


def scan(text: str, compiled: object | None = None) -> tuple[np.ndarray, str]:
    """(rows, values) of `text`: rows of (kind, start, end, a, b, value start, value end),
    each extractor's in its order; kept for the last text scanned (by identity)."""
    compiled = compiled if compiled is not None else scanner()
    last = getattr(_last, "entry", None)
    if last is not None and last[0] is text and last[1] is compiled:
        return last[2], last[3]
    rows_b, values, errors = compiled.scan_batch(  # type: ignore[union-attr]
        *core.batch_buffer([text]))
    core.raise_failures("contact extractors", errors)
    rows = np.frombuffer(rows_b, dtype="<i8").reshape(-1, _COLUMNS)[:, 1:]
    _last.entry = (text, compiled, rows, values)
    return rows, values


def rows_of(rows: np.ndarray, *kinds: int) -> list[list[int]]:
    """The rows of these kinds, in order, as lists."""
    if not len(rows):
        return []
    return rows[np.isin(rows[:, 0], kinds)].tolist()
