"""Extractors backed by the compiled core: building their reader, running it, pickling.

Why: an extractor ported to the core (`rust/src/profile.rs`) keeps its Python code as the
reference and fallback; when the core is active (`amberline.core`) it builds the core's reader
from its own patterns (`_program.program`) and tables at construction and runs that instead.
The reader reads a text as rows of integers, one per span, which the extractor turns into
spans; a panic inside it raises `core.CoreFailure`, so the batch is screened again ad by ad
and only the ad that caused it is quarantined.
"""

from __future__ import annotations

import contextlib
import json
import re
import re._constants as _constants
import threading
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from amberline import core, disk_cache
from amberline.extract._prefilter import CoreTriggers, any_item, core_triggers
from amberline.extract._program import Unsupported, program
from amberline.model import Span
from amberline.text import native


@cache
def char_tables() -> tuple[bytes, list[tuple[int, int]], list[tuple[int, int]]]:
    """(flags, folds, decimal digits) of this Python, as every reader takes them: `\\w`,
    `\\d`, `\\s`, the letters case-insensitive `re` matches to ASCII ones, and the value
    `int()` gives each character `\\d` matches."""
    tables = native.unicode_tables()
    return tables.flags, list(tables.folds), list(native.decimal_digits())


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


def pattern(regex: re.Pattern[str]) -> object | None:
    """`regex` on the core's engine (`_core.Pattern`: `re`'s semantics with this Python's
    tables), or None when `re` runs it (no core, or a pattern the engine cannot run exactly:
    one warning, as `build`)."""
    def compile_core(module: Any) -> object:
        flags, folds, _ = char_tables()
        return module.Pattern(program(regex), flags, folds)

    return build("Pattern", compile_core)


def rows(reader: Any, text: str, width: int, *options: object) -> list[list[int]]:
    """The reader's rows for one text (each without the text index), as lists of ints;
    `options`: what the reader's `extract_batch` takes after the text (the profile readers:
    whether, per trigger set, they try their pattern only near their triggers, as the
    reference does when its Hyperscan prefilter is available; otherwise both try everywhere)."""
    return row_array(reader, text, width, *options).tolist()


def row_array(reader: Any, text: str, width: int, *options: object) -> np.ndarray:
    """`rows` as an int64 array of `width` columns."""
    data, errors = reader.extract_batch(*core.batch_buffer([text]), *options)
    core.raise_failures(type(reader).__name__, errors)
    return np.frombuffer(data, dtype="<i8").reshape(-1, width + 1)[:, 1:]


@dataclass(slots=True)
class SpanColumns:
    """An extractor's spans of one text as columns: row k is the span
    `Span(kind, values[k], starts[k], ends[k], extractor, confidences[k], attrs[k])`.

    Why: with the compiled core, the batch finish reads every span's offsets, maps them to
    the ad's original text and sets them again; an extractor that hands over its rows as
    columns (`extract_columns`) has its spans made once, by the core, at their final offsets
    (`pipeline.Screener._finish_batch`), and no Python object per match before that.
    `spans()` makes them here, for `extract`."""

    kind: str
    extractor: str
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    values: list[Any]
    confidences: list[float]
    attrs: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.values)

    def spans(self) -> list[Span]:
        return list(map(Span, repeat(self.kind), self.values, self.starts.tolist(),
                        self.ends.tolist(), repeat(self.extractor), self.confidences,
                        self.attrs))


class CoreBacked:
    """Pickles without the core's reader (it does not pickle) and rebuilds it on load."""

    _core: object | None
    # The readers run together with other extractors' (`run_together`), when they are.
    _together: Together | None = None

    def _build_core(self) -> object | None:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_core"] = None
        state.pop("_together", None)  # (rebuilt on load: each runs its own reader)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._core = self._build_core()


class Together:
    """The age, price and descriptor extractors' core readers run as one (the core's
    `ProfileReaders`): each batch's text is decoded once and their triggers found in one
    pass (over their merged triggers' `trigger_automaton` when there are such), and each
    extractor takes its own rows, the same its reader gives alone. Kept for the last text by
    identity, as `contact_core.scan` keeps its result.

    With `names` (a `NameExtractor` with its core scanner), the merged triggers and the
    names' cue triggers are found in one pass for both stages (`shared_triggers`: the scan
    costs about as much per character for both as for one); each stage hands its group of
    starts to its core call (`starts`)."""

    def __init__(self, extractors: tuple[Any, Any, Any],
                 merged: CoreTriggers | None = None, names: CoreTriggers | None = None) -> None:
        self.extractors = extractors
        self.readers = tuple(e._core for e in extractors)
        _TOGETHER.add(self)
        automaton = None if merged is None else trigger_automaton(merged)
        self.core = core.load().ProfileReaders(*self.readers, automaton)  # type: ignore[union-attr]
        self._last = threading.local()
        self._shared = None
        if merged is not None and names is not None and core.provides("SharedTriggers"):
            # ValueError: the two views cannot be merged, and each stage scans its own.
            with contextlib.suppress(ValueError):
                # (the names' cue forms find the same wherever more places are tried)
                self._shared = shared_triggers([(merged, False), (names, True)])

    def starts(self, text: str, group: int) -> tuple[Any, int] | None:
        """The shared scan's starts of `text` for `group` (0: the profile readers' merged
        sets, 1: the names'), as the core calls take them (`starts=`); None without one."""
        if self._shared is None:
            return None
        last = getattr(self._last, "starts", None)
        if last is None or last[0] is not text:
            found = self._shared.starts_batch(*core.batch_buffer([text]))
            last = self._last.starts = (text, found)
        return last[1], group

    def _triggers(self) -> tuple[bool, tuple[bool, bool], bool]:
        ages, prices, descriptors = self.extractors
        return (ages._prefilter.available,
                (prices._prefilter.available, prices._slash_prefilter.available),
                descriptors._prefilter.available)

    def rows(self, extractor: Any, text: str, width: int) -> list[list[int]] | None:
        """`extractor`'s rows for `text` (as `rows` gives them), or None when its reader is
        no longer the one this was built with (it then runs its own)."""
        found = self.row_array(extractor, text, width)
        return None if found is None else found.tolist()

    def row_array(self, extractor: Any, text: str, width: int) -> np.ndarray | None:
        """`rows` as an int64 array of `width` columns (`row_array`)."""
        slot = next(i for i, e in enumerate(self.extractors) if e is extractor)
        if extractor._core is not self.readers[slot]:
            return None
        triggers = self._triggers()
        last = getattr(self._last, "entry", None)
        if last is None or last[0] is not text or last[1] != triggers:
            starts = self.starts(text, 0) if any((triggers[0], *triggers[1], triggers[2])) else None
            found = self.core.extract_batch(*core.batch_buffer([text]), triggers, starts)
            last = self._last.entry = (text, triggers, found)
        data, errors = last[2][slot]
        core.raise_failures(type(extractor._core).__name__, errors)
        return np.frombuffer(data, dtype="<i8").reshape(-1, width + 1)[:, 1:]


# Every `Together`, whose last text's entries `core.forget_batch` drops (this thread's).
_TOGETHER: weakref.WeakSet[Together] = weakref.WeakSet()


def _forget() -> None:
    for together in list(_TOGETHER):
        vars(together._last).clear()


core.keeps_last(_forget)


def run_together(ages: Any, prices: Any, descriptors: Any, names: Any = None) -> None:
    """Have these extractors' core readers run as one (`Together`), when all three have one
    and the core can; with `names` (a `NameExtractor` whose core scanner finds its cue
    triggers), its triggers are found in the same pass."""
    extractors = (ages, prices, descriptors)
    if any(e._core is None for e in extractors) or not core.provides("ProfileReaders"):
        return
    name_triggers = None if names is None else names.core_triggers()
    together = Together(extractors, merged_triggers(
        [ages._prefilter, prices._prefilter, prices._slash_prefilter, descriptors._prefilter]),
        name_triggers)
    for extractor in extractors:
        extractor._together = together
    if together._shared is not None:
        names._together = together


# (one automaton per trigger form in a process: they are immutable and shared)
_AUTOMATA: dict[str, Any] = {}


def trigger_automaton(form: CoreTriggers) -> Any:
    """The core's `TriggerAutomaton` of these trigger sets: their DFA built whole, which a
    lazy DFA would build state by state while the first texts are scanned (the first batch
    of every process paid for it). Building it takes long, so it is built once per machine
    and kept in the disk cache, keyed by the trigger sets and the core's sources (its
    builder and the DFA format); the core validates the bytes when it loads them."""
    return _cached_automaton("trigger automaton", "TriggerAutomaton", form)


def trigger_ends(form: CoreTriggers) -> Any:
    """The core's `TriggerEnds` of a reader's trigger sets: the forward DFA, built whole,
    that finds where the trigger matches from each start end (how far the reader tries its
    pattern), kept in the disk cache as `trigger_automaton` keeps its own."""
    return _cached_automaton("trigger ends", "TriggerEnds", form)


def shared_triggers(groups: list[tuple[CoreTriggers, bool]]) -> Any:
    """The core's `SharedTriggers` of these groups of trigger sets (one stage's each, and
    whether that stage takes a superset of its starts): one DFA of them all, kept as
    `trigger_automaton` keeps its own (ValueError when their views cannot be merged)."""
    return _cached_automaton("shared triggers", "SharedTriggers", groups)


def _cached_automaton(kind: str, cls: str, form: Any) -> Any:
    """The core's `cls(form)`, built once per machine (`trigger_automaton`)."""
    module = core.load()
    key = disk_cache.fingerprint(kind, str(getattr(module, "SOURCES", "")), json.dumps(form))
    found = _AUTOMATA.get(key)
    if found is None:
        build = getattr(module, cls)
        found = _AUTOMATA[key] = disk_cache.cached(
            kind, key, lambda: build(form), lambda a: a.to_bytes(),
            lambda blob: build(form, blob))
    return found


def merged_triggers(prefilters: list[Any]) -> CoreTriggers | None:
    """The prefilters' triggers as one set of the core's (`core_triggers`), when each set
    finds there just what it finds in its own: in one view of the text, a non-ASCII
    character another prefilter names has a byte of its own where its own view has "?", which
    no trigger tells apart from "?" unless it matches "?" itself (None then).

    From the disk cache when a previous process merged the same prefilters: deciding it
    parses every trigger with `re`'s parser, which was a large part of a warm start-up. The
    answer depends on the triggers, this code and `_prefilter`'s, and the Unicode tables the
    views read (`native`'s key; the interpreter is part of every key)."""
    from amberline.extract import _prefilter

    form = [(f.patterns, f.caseless, f.folds) for f in prefilters]
    key = disk_cache.fingerprint("merged triggers", json.dumps(form), native._cache_key(),
                                 Path(__file__), Path(_prefilter.__file__ or ""))
    return disk_cache.cached("merged triggers", key, lambda: _merged(prefilters),
                             lambda merged: json.dumps(merged).encode(), _decode_merged)


def _merged(prefilters: list[Any]) -> CoreTriggers | None:
    if any(_matches_question_mark(p) for f in prefilters for p in f.patterns):
        return None
    try:
        return core_triggers(prefilters)
    except ValueError:  # too many named characters for one view
        return None


def _decode_merged(blob: bytes) -> CoreTriggers | None:
    """`merged_triggers`' answer back from its JSON, as `core_triggers` makes it (tuples,
    which the core takes); ValueError for anything else, a named character or byte out of
    range included (the core would refuse it with an error no caller expects)."""
    merged = json.loads(blob)
    if merged is None:
        return None
    try:
        sets, named = merged
        form = ([(list(patterns), caseless) for patterns, caseless in sets],
                [(c, b) for c, b in named])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not merged triggers: {exc}") from exc
    if not (all(isinstance(p, str) for patterns, _ in form[0] for p in patterns)
            and all(isinstance(caseless, bool) for _, caseless in form[0])
            and all(type(c) is int and 0 <= c <= 0x10FFFF and type(b) is int and 0 <= b <= 0xFF
                    for c, b in form[1])):
        raise ValueError("not merged triggers: a value of the wrong type")
    return form


def _matches_question_mark(pattern: str) -> bool:
    """Does the pattern name "?" (a literal, in a set or a range, or "not ?")? Anything
    this cannot tell counts as yes."""
    question = ord("?")

    def names(op: Any, arg: Any) -> bool | None:
        if op in (_constants.LITERAL, _constants.NOT_LITERAL):
            return arg == question
        if op is _constants.RANGE:
            return arg[0] <= question <= arg[1]
        if op in (_constants.ANY, _constants.AT, _constants.CATEGORY, _constants.NEGATE):
            return False
        return None

    return any_item(pattern, names)
