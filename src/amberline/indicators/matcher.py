"""One-pass multi-pattern matcher over the whole lexicon.

Screening a crawl means scanning gigabytes of ad text against a hundred-odd patterns; a loop of
regexes per entry is two orders of magnitude too slow. So every pattern of every entry is
compiled once, at construction, into ONE Hyperscan database (caseless, UTF-8, leftmost start of
match) and each call is a single C-level pass over the text. Python only touches the (sparse)
matches: it keeps the leftmost-longest non-overlapping match per entry and converts Hyperscan's
UTF-8 byte offsets to character offsets — and skips that conversion for ASCII text, the common
case.

Where Hyperscan cannot be imported (non-x86 machines), the same lexicon runs on pyahocorasick:
the small pattern syntax (see lexicon.py) expands to a finite set of literals, and the text is
lower-cased and has whitespace runs folded to one space (with an offset map back). Both engines
give the same flags; a test checks it.

Where the compiled core is built (`amberline.core`), the `core` engine runs instead: a Rust
port of the Aho-Corasick engine, whose definition above is the specification, refusals
included. It takes a batch as one buffer and gives back columns (text, entry, start, end);
`tests/test_core_matcher.py` holds it to the Python engines' output.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from itertools import pairwise
from operator import getitem

import numpy as np

from amberline import core, disk_cache
from amberline.indicators.lexicon import Entry, Lexicon, LexiconError, load_lexicon
from amberline.model import Flag
from amberline.text.encoded import char_starts, encoded

try:
    import hyperscan
except ImportError:  # pragma: no cover - exercised on machines without Hyperscan
    hyperscan = None

# Same value as amberline.extract.base.BATCH_SEPARATOR (a test checks); not imported from there
# because importing amberline.extract loads every extractor.
BATCH_SEPARATOR = "\n\f\n"
# A refusal just before a term, in the same clause: "no", "not", "never", "don't", "without",
# "w/o" or a prohibition emoji, then at most a short list ("NO GREEK, BB") before the term.
# The core reads the same rule from these pieces.
_REFUSAL_WORDS = ("no", "not", "never", "don't", "dont", "without", "w/o")
_REFUSAL_MARKS = ("🚫", "❌", "⛔")
_REFUSAL_STOPS = ".!?\n\f"  # a clause ends at these
_REFUSAL_GAP = 20  # at most this many characters between the refusal and the term
_REFUSAL_WINDOW = 32
_REFUSAL = re.compile(
    rf"(?:\b(?:{'|'.join(map(re.escape, _REFUSAL_WORDS))})\b|{'|'.join(_REFUSAL_MARKS)})"
    rf"[^{re.escape(_REFUSAL_STOPS)}]{{0,{_REFUSAL_GAP}}}\Z",
    re.IGNORECASE,
)
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_ASCII_WS = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\v": " "})


def _leftmost_longest(hits: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Keep, per entry, the leftmost-longest matches that do not overlap each other.

    `hits` are (start, -end, entry) so that one native tuple sort orders them by position,
    longest first; the result is (start, end, entry) in that order.
    """
    hits.sort()
    kept: list[tuple[int, int, int]] = []
    add = kept.append
    last_end: dict[int, int] = {}
    get = last_end.get
    for start, neg_end, entry in hits:
        if start >= get(entry, -1):
            last_end[entry] = -neg_end
            add((start, -neg_end, entry))
    return kept


ENGINES = ("hyperscan", "ahocorasick", "core")


def _objects(values: tuple[object, ...]) -> np.ndarray:
    """`values` as a one-dimensional object array (picked from by an index column)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def core_unsupported(lexicon: Lexicon) -> str | None:
    """Why the core cannot run `lexicon` exactly as the reference does, or None.

    The core gives each character of the literals a one-byte id (so at most 255 distinct
    ones), and lower-cases one character at a time, where Python's `str.lower` writes a
    capital sigma as final or not by its neighbours: a lexicon spelling a sigma stays with
    the Python engines."""
    alphabet = {c for entry in lexicon.entries for pattern in entry.patterns
                for variant in pattern.variants for c in variant}
    if len(alphabet) > 255:
        return f"its literals use {len(alphabet)} distinct characters (the core takes 255)"
    if alphabet & {"σ", "ς"}:
        return "it spells a Greek sigma, which Python lower-cases by context"
    return None


class IndicatorMatcher:
    """Finds every lexicon entry in text and returns `Flag`s with character offsets.

    Build one per process (compilation is the expensive part) and call `match` on single ads or
    on many ads joined by `BATCH_SEPARATOR`; no match ever crosses a form feed.
    """

    def __init__(self, lexicon: Lexicon | None = None, engine: str = "auto") -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self._entries: tuple[Entry, ...] = self.lexicon.entries
        # (category, weight, rule, citation) per entry index, in Flag's argument order
        self._info = [(e.category, e.weight, e.id, e.citation) for e in self._entries]
        # The same four as object arrays, one per field, for the core's columns
        self._columns = tuple(_objects(column) for column in zip(*self._info, strict=True))
        self._refusable = frozenset(i for i, e in enumerate(self._entries) if e.refusable)
        if engine == "auto":
            if core.provides("LexiconMatcher") and core_unsupported(self.lexicon) is None:
                engine = "core"
            else:
                engine = "hyperscan" if hyperscan is not None else "ahocorasick"
        if engine not in ENGINES:
            raise ValueError(f"unknown matcher engine {engine!r}; use one of {ENGINES}")
        if engine == "hyperscan" and hyperscan is None:
            raise ImportError("hyperscan is not installed; use engine='ahocorasick'")
        self.engine = engine
        self._local = threading.local()
        if engine == "hyperscan":
            self._db = self._compile_hyperscan()
        elif engine == "core":
            self._core = self._compile_core()
        else:
            self._automaton = self._compile_ahocorasick()

    def __reduce__(self):
        # Compiled databases do not pickle; workers rebuild from the (picklable) lexicon.
        return (IndicatorMatcher, (self.lexicon, self.engine))

    # ------------------------------------------------------------------ compilation
    def _compile_hyperscan(self):
        exprs, ids = [], []
        for idx, entry in enumerate(self._entries):
            for pat in entry.patterns:
                exprs.append(pat.regex.encode("utf-8"))
                ids.append(idx)
        flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_UTF8
        if not exprs:
            return None
        try:
            return disk_cache.hyperscan_database(exprs, [flags] * len(exprs), ids)
        except hyperscan.HyperscanError as exc:  # find the culprit so the message names the entry
            for entry in self._entries:
                for pat in entry.patterns:
                    try:
                        hyperscan.Database().compile(expressions=[pat.regex.encode()], flags=flags)
                    except hyperscan.HyperscanError:
                        raise LexiconError(
                            f"entry {entry.id}: pattern {pat.source!r} rejected by Hyperscan"
                        ) from exc
            raise

    def _compile_ahocorasick(self):
        import ahocorasick

        automaton = ahocorasick.Automaton()
        table: dict[str, list[tuple[int, int, bool, bool]]] = {}
        for idx, entry in enumerate(self._entries):
            for pat in entry.patterns:
                for variant in pat.variants:
                    table.setdefault(variant, []).append(
                        (idx, len(variant), pat.word_start, pat.word_end)
                    )
        for key, value in table.items():
            automaton.add_word(key, value)
        if table:
            automaton.make_automaton()
        return automaton if table else None

    def _compile_core(self, panic_on: str | None = None):
        """The core's matcher for this lexicon (`panic_on`: tests only, a character that makes
        the core panic on any text holding it)."""
        module = core.load()
        if module is None:
            raise ImportError(f"amberline._core is not built; use engine='{ENGINES[0]}'")
        reason = core_unsupported(self.lexicon)
        if reason is not None:
            raise LexiconError(f"lexicon {self.lexicon.version}: the core cannot run it: {reason}")
        from amberline.text.native import unicode_tables

        tables = unicode_tables()
        literals = [(variant, idx, pat.word_start, pat.word_end)
                    for idx, entry in enumerate(self._entries)
                    for pat in entry.patterns for variant in pat.variants]
        refusal = (list(_REFUSAL_WORDS), list(_REFUSAL_MARKS), _REFUSAL_STOPS, _REFUSAL_WINDOW,
                   _REFUSAL_GAP)
        return module.LexiconMatcher(
            literals, len(self._entries), sorted(self._refusable), list(tables.lower),
            tables.flags, list(tables.folds), refusal, None if panic_on is None else ord(panic_on),
        )

    def match_columns(self, texts: list[str]) -> np.ndarray:
        """The core engine's matches in many texts at once: an int64 array of rows (text
        index, entry index, start, end), character offsets into that text, each text's rows
        ordered by start, longest first. Refused terms are already left out.

        Raises `core.CoreFailure` naming the text if the core panicked on one (the caller's
        batch fails, and `amberline.isolate` quarantines just that ad)."""
        if self.engine != "core":
            raise ValueError(f"match_columns needs the core engine, not {self.engine!r}")
        rows, errors = self._core.match_batch(*core.batch_buffer(texts))
        core.raise_failures("lexicon matcher", errors)
        return np.frombuffer(rows, dtype="<i8").reshape(-1, 4)

    def _flags_by_text(self, texts: list[str]) -> dict[int, list[Flag]]:
        """The core's flags by text index. Each column of the flags is made by C-level loops
        (the entries' fields picked by index from object arrays, the terms sliced by `map`),
        and `Flag` is called by `map` too: no interpreted step per flag."""
        rows = self.match_columns(texts)
        if not len(rows):
            return {}
        entries = rows[:, 1]
        starts, ends = rows[:, 2].tolist(), rows[:, 3].tolist()
        if len(texts) == 1:
            terms = map(texts[0].__getitem__, map(slice, starts, ends))
        else:
            terms = map(getitem, map(texts.__getitem__, rows[:, 0].tolist()),
                        map(slice, starts, ends))
        cats, weights, rules, citations = (column[entries].tolist() for column in self._columns)
        flags = list(map(Flag, cats, terms, starts, ends, weights, rules, citations))
        if len(texts) == 1:
            return {0: flags}
        ks = rows[:, 0]
        cuts = [0, *(np.flatnonzero(ks[1:] != ks[:-1]) + 1).tolist(), len(flags)]
        return {int(ks[a]): flags[a:b] for a, b in pairwise(cuts)}

    # ------------------------------------------------------------------ scanning
    def _scan_hyperscan(self, text: str) -> list[tuple[int, int, int]]:
        if self._db is None:
            return []
        ascii_ = text.isascii()
        data = text.encode("ascii") if ascii_ else encoded(text, "utf-8")  # shared with extractors
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        hits: list[tuple[int, int, int]] = []
        add = hits.append

        def on_match(entry: int, start: int, end: int, _flags: int, _ctx: object) -> None:
            add((start, -end, entry))

        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        hits = _leftmost_longest(hits)
        if ascii_ or not hits:
            return hits
        # UTF-8 byte offsets (all on character starts) -> character offsets, in one
        # vectorised pass: a character offset is the number of characters starting before it.
        at = char_starts(data)
        starts = np.searchsorted(at, np.asarray([s for s, _, _ in hits], dtype=np.int64))
        ends = np.searchsorted(at, np.asarray([e for _, e, _ in hits], dtype=np.int64))
        return [(s, e, i) for s, e, (_, _, i) in zip(starts.tolist(), ends.tolist(), hits,
                                                     strict=True)]

    def _scan_ahocorasick(self, text: str) -> list[tuple[int, int, int]]:
        if self._automaton is None:
            return []
        low = text.lower()
        if len(low) != len(text):  # a few characters lower-case to two; keep offsets aligned
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        low = low.translate(_ASCII_WS)
        runs_at: list[int] = []  # compressed index of each folded run's kept space
        removed: list[int] = []  # cumulative characters removed up to and including that run
        if "  " in low:
            parts, pos, total = [], 0, 0
            while (i := low.find("  ", pos)) >= 0:
                j = i + 2
                while j < len(low) and low[j] == " ":
                    j += 1
                parts.append(low[pos : i + 1])
                runs_at.append(i - total)
                total += j - i - 1
                removed.append(total)
                pos = j
            parts.append(low[pos:])
            low = "".join(parts)
        n = len(low)
        hits: list[tuple[int, int, int]] = []
        for last, value in self._automaton.iter(low):
            for entry, length, ws, we in value:
                start, end = last - length + 1, last + 1
                if ws and start > 0 and low[start - 1] in _WORD:
                    continue
                if we and end < n and low[end] in _WORD:
                    continue
                hits.append((start, -end, entry))
        hits = _leftmost_longest(hits)
        if not runs_at:
            return hits

        def orig(p: int) -> int:
            k = bisect_right(runs_at, p - 1)
            return p + (removed[k - 1] if k else 0)

        return [(orig(s), orig(e), i) for s, e, i in hits]

    def match(self, text: str) -> list[Flag]:
        """All lexicon flags in `text`, character offsets, ordered by start (longest first).

        No flag crosses a form feed: the pattern syntax has no construct that matches one.
        """
        if self.engine == "core":
            return self._flags_by_text([text]).get(0, [])
        if self.engine == "hyperscan":
            hits = self._scan_hyperscan(text)
        else:
            hits = self._scan_ahocorasick(text)
        info = self._info
        refusable = self._refusable
        flags = []
        add = flags.append
        for s, e, i in hits:
            if i in refusable and _REFUSAL.search(text, max(0, s - _REFUSAL_WINDOW), s):
                continue  # "NO BB": the ad refuses what the term names
            cat, weight, rule, citation = info[i]
            add(Flag(cat, text[s:e], s, e, weight, rule, citation))
        return flags

    def match_batch(self, texts: list[str]) -> list[list[Flag]]:
        """Match many ads in one pass; returns each ad's flags with offsets into that ad."""
        out: list[list[Flag]] = [[] for _ in texts]
        for k, flags in self.match_sparse(texts).items():
            out[k] = flags
        return out

    def match_sparse(self, texts: list[str]) -> dict[int, list[Flag]]:
        """`match_batch` for many short texts, most without a match: only the texts with
        flags, by their index."""
        if self.engine == "core":
            return self._flags_by_text(list(texts))
        joined = BATCH_SEPARATOR.join(texts)
        starts, pos = [], 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + len(BATCH_SEPARATOR)
        out: dict[int, list[Flag]] = {}
        for flag in self.match(joined):
            k = bisect_right(starts, flag.start) - 1
            base = starts[k]
            if flag.end > base + len(texts[k]):  # would straddle the separator; cannot occur
                continue
            flag.start -= base
            flag.end -= base
            out.setdefault(k, []).append(flag)
        return out
