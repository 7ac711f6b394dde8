"""The Python reference's Hyperscan databases against each pattern alone and against `re`.

Why: the reference is what the compiled core is checked against, so a database that misses a
match makes a wrong answer look right. The `hyperscan` wheel is built on Vectorscan, whose
engine missed the normaliser gate's symbol pattern after a long run of separators (compiled
alone as well as beside the gate's other patterns, and only in buffers past its small-write
size: see `text/gate.py`). So every database the reference compiles is scanned here on
adversarial text (its own literals spliced together, separator runs, digits, emoji,
homoglyphs, the letters `re` folds to ASCII, a long lead that sends the scan to the engine
that missed) and each pattern's matches must be those it has compiled alone and those Python's
`re` finds (on ASCII text, where Hyperscan's byte semantics and `re`'s agree): every end, and
with start-of-match the leftmost start for each end. The gazetteer (thousands of literal
names) is checked against `str.find`, and the gate, whose patterns `re` runs far too slowly,
through its contract: the reference with the gate equals the full scan.

Set AMBERLINE_HS_EXAMPLES for a longer run than CI's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

hyperscan = pytest.importorskip("hyperscan")

from amberline import disk_cache  # noqa: E402

_EXAMPLES = int(os.environ.get("AMBERLINE_HS_EXAMPLES", "25"))
_LEAD = "y" * 80  # past the small-write size: the scan runs the engine that missed
_PIECES = [" ", "  ", "\t", "\n", ".", "-", "_", ":", "/", "(", ")", "|", "@", "$", "%", "'",
           ",", "+", "#", "[", "0", "7", "18", "150", "703", "555", "0142", "000", "0000",
           "\u017f", "\u0131", "\u0130", "\u212a", "😍", "🔥", "🌹", "€", "é", "Ⓐ", "０", "а",
           "\u200b", "?", "~", "\x00", "oh", "one", "seven", "l", "o", "i", "I"]
_RUN_CHARS = [" ", "_", "-", "|", "~", ".", ":", "🔥", "a", "0", "-|"]


def _literals(patterns: list[bytes]) -> list[str]:
    """Words and non-ASCII runs written in the patterns, to splice into the text."""
    found: set[str] = set()
    for pattern in patterns:
        source = pattern.decode("utf-8", "replace")
        found.update(re.findall(r"[A-Za-z0-9]{2,}", source))
        found.update(re.findall(r"[^\x00-\x7f]+", source))
    return sorted(found)


def _text(literals: list[str]) -> st.SearchStrategy[str]:
    run = st.tuples(st.sampled_from(_RUN_CHARS), st.sampled_from([5, 13, 14, 15, 16, 27, 30, 40]))
    piece = st.one_of(
        st.sampled_from(literals or _PIECES),
        st.sampled_from(literals or _PIECES).map(str.upper),
        st.sampled_from(_PIECES),
        run.map(lambda r: r[0] * r[1]),
    )
    return st.tuples(st.booleans(), st.lists(piece, max_size=24)).map(
        lambda t: (_LEAD if t[0] else "") + "".join(t[1]))


# --- the databases -----------------------------------------------------------------------------

class _Database:
    """One recorded database: its patterns and flags, compiled whole and one by one."""

    def __init__(self, name: str, expressions: list[bytes], flags: list[int]) -> None:
        self.name, self.expressions, self.flags = name, expressions, flags
        self.som = [bool(f & hyperscan.HS_FLAG_SOM_LEFTMOST) for f in flags]
        self.utf8 = any(f & hyperscan.HS_FLAG_UTF8 for f in flags)
        self.whole = _compile(expressions, flags)
        self.alone = [_compile([e], [f]) for e, f in zip(expressions, flags, strict=True)]
        self.exact = [_EveryMatch(e, f) for e, f in zip(expressions, flags, strict=True)]

    def data(self, text: str) -> bytes:
        """The bytes its scanner gives it: UTF-8 for a database with non-ASCII patterns, else
        one byte per character."""
        if self.utf8:
            return text.encode("utf-8", "surrogatepass")
        return text.encode("ascii", "replace")


def _compile(expressions: list[bytes], flags: list[int]) -> tuple[Any, Any]:
    db = hyperscan.Database()
    db.compile(expressions=expressions, ids=list(range(len(expressions))),
               elements=len(expressions), flags=flags)
    return db, hyperscan.Scratch(db)


def _scan(compiled: tuple[Any, Any], data: bytes, som: list[bool]) -> dict[int, set]:
    db, scratch = compiled
    found: dict[int, set] = {}

    def on_match(pid: int, start: int, end: int, _flags: int, _ctx: object) -> None:
        found.setdefault(pid, set()).add((start if som[pid] else 0, end))

    db.scan(data, match_event_handler=on_match, scratch=scratch)
    return found


class _EveryMatch:
    """`re`'s answer to Hyperscan's question: at which ends does a match end (and, with
    start-of-match, from which leftmost start)? One search per end, the end pinned by a
    lookahead over the one character after it (so a closing \\b sees it), "$" rewritten."""

    def __init__(self, pattern: bytes, flags: int) -> None:
        options = re.IGNORECASE if flags & hyperscan.HS_FLAG_CASELESS else 0
        if flags & hyperscan.HS_FLAG_DOTALL:
            options |= re.DOTALL

        def pinned(dollar: bytes, tail: bytes) -> re.Pattern[bytes]:
            return re.compile(b"(?:" + _dollar(pattern, dollar) + b")" + tail, options)

        self.inside = pinned(rb"(?!)", rb"(?=[\s\S]\Z)")
        self.before_last = pinned(rb"(?=\n\Z)", rb"(?=[\s\S]\Z)")
        self.at_end = pinned(rb"\Z", rb"\Z")
        self.som = bool(flags & hyperscan.HS_FLAG_SOM_LEFTMOST)

    def matches(self, data: bytes) -> set:
        n, found = len(data), set()
        for end in range(n + 1):
            if end == n:
                m = self.at_end.search(data)
            else:
                m = (self.before_last if end == n - 1 else self.inside).search(data, 0, end + 1)
            if m is not None:
                found.add((m.start() if self.som else 0, end))
        return found


def _dollar(pattern: bytes, replacement: bytes) -> bytes:
    """`pattern` with each "$" outside a class replaced."""
    out, i, in_class = bytearray(), 0, False
    while i < len(pattern):
        c = pattern[i:i + 1]
        if c == b"\\":
            out += pattern[i:i + 2]
            i += 2
            continue
        if in_class:
            in_class = c != b"]"
        elif c == b"[":
            in_class = True
            out += c
            i += 1
            for lead in (b"^", b"]"):
                if pattern[i:i + 1] == lead:
                    out += lead
                    i += 1
            continue
        elif c == b"$":
            out += replacement
            i += 1
            continue
        out += c
        i += 1
    return bytes(out)


def _recorded() -> Iterator[tuple[str, list[bytes], list[int]]]:
    """Every database the reference's scanners compile (recorded as they are built), but the
    gazetteer's and the gate's (their own tests below)."""
    from amberline.extract.ages import AgeExtractor
    from amberline.extract.descriptors import DescriptorExtractor
    from amberline.extract.emails import EmailExtractor
    from amberline.extract.handles import HandleExtractor
    from amberline.extract.names import NameExtractor
    from amberline.extract.phones import PhoneExtractor
    from amberline.extract.prices import PriceExtractor
    from amberline.extract.urls import UrlExtractor
    from amberline.indicators.matcher import IndicatorMatcher
    from amberline.text import boilerplate
    from amberline.text.boilerplate import Triggers

    made: list[tuple[str, list[bytes], list[int]]] = []
    original = disk_cache.hyperscan_database
    builders = [(c.__name__, c) for c in (AgeExtractor, DescriptorExtractor, EmailExtractor,
                                          HandleExtractor, NameExtractor, PhoneExtractor,
                                          PriceExtractor, UrlExtractor)]
    builders += [("lexicon", lambda: IndicatorMatcher(engine="hyperscan")),
                 ("boilerplate", lambda: Triggers(boilerplate._trigger_patterns("iks")))]
    for name, build in builders:
        def record(expressions: Any, flags: Any, ids: Any = None, _name: str = name) -> Any:
            made.append((_name, list(expressions), list(flags)))
            return original(expressions, flags, ids)

        disk_cache.hyperscan_database = record
        try:
            build()
        finally:
            disk_cache.hyperscan_database = original
    return iter(made)


_DATABASES = list(_recorded())


def test_every_scanner_database_is_recorded() -> None:
    """The recording sees the databases (a renamed constructor would silently test none)."""
    sizes = sorted(len(e) for _, e, _ in _DATABASES)
    assert len(_DATABASES) >= 10 and sizes[-1] > 100  # the lexicon's


@pytest.fixture(scope="module", params=range(len(_DATABASES)),
                ids=[f"{n}-{len(e)}" for n, e, _ in _DATABASES])
def database(request: pytest.FixtureRequest) -> _Database:
    name, expressions, flags = _DATABASES[request.param]
    return _Database(name, expressions, flags)


def _check(db: _Database, text: str) -> None:
    data = db.data(text)
    whole = _scan(db.whole, data, db.som)
    for i, alone in enumerate(db.alone):
        by_itself = _scan(alone, data, db.som[i:i + 1]).get(0, set())
        assert whole.get(i, set()) == by_itself, (db.name, i, data)
    ascii_data = text.encode("ascii", "replace")
    whole = _scan(db.whole, ascii_data, db.som)
    for i, exact in enumerate(db.exact):
        assert whole.get(i, set()) == exact.matches(ascii_data), (db.name, i, ascii_data)


@pytest.mark.parametrize("lead", ["", _LEAD])
def test_spliced_literals(database: _Database, lead: str) -> None:
    """Each database's own literals, one after another and between separator runs."""
    words = _literals(database.expressions)[:200]
    for sep in ["", " ", "  ", "_" * 14, "|" * 20, "\u017f"]:
        _check(database, lead + sep.join(words[:40]))
        _check(database, lead + sep.join(reversed(words[-40:])))


def test_adversarial_text(database: _Database) -> None:
    literals = _literals(database.expressions)

    @settings(max_examples=_EXAMPLES, deadline=None)
    @given(_text(literals))
    def check(text: str) -> None:
        _check(database, text)

    check()


# --- the gazetteer and the gate ----------------------------------------------------------------

@settings(max_examples=_EXAMPLES, deadline=None)
@given(st.data())
def test_gazetteer_finds_every_name(data: st.DataObject) -> None:
    """The gazetteer's literal names: every occurrence, as `str.find` gives it."""
    from amberline.extract.places import load_gazetteer

    keys = load_gazetteer().keys
    names = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=8))
    text = data.draw(_text(names)).lower()
    raw = text.encode("utf-8", "surrogatepass")
    db = load_gazetteer().matcher
    found: set[tuple[int, int]] = set()
    db.scan(raw, match_event_handler=lambda i, _s, e, _f, _c: found.add((i, e)),
            scratch=hyperscan.Scratch(db))
    want = set()
    for i, key in enumerate(keys):
        encoded = key.encode("utf-8")
        if encoded not in raw:
            continue
        at = raw.find(encoded)
        while at >= 0:
            want.add((i, at + len(encoded)))
            at = raw.find(encoded, at + 1)
    assert found == want


_NUMBERISH = st.lists(st.one_of(
    st.sampled_from(["0", "000", "0000", "703", "[", "(", "|", "-", ".", " ", "🔥", "one",
                     "oh", "l", "O", "seven", "a", "\n"]),
    st.tuples(st.sampled_from([" ", "_", "|", ":", "-|", "🔥", "/"]),
              st.integers(5, 40)).map(lambda r: r[0] * r[1])), max_size=16).map("".join)


@settings(max_examples=_EXAMPLES * 4, deadline=None)
@given(st.lists(_NUMBERISH, min_size=1, max_size=6))
@example(["_" * 14 + "000[0000"])
@example([" " * 30 + "000[0000"])
@example(["|" * 20 + "703(5550142"])
def test_gate_batches_equal_the_full_scan(texts: list[str]) -> None:
    """The gate's contract, in a batch long enough for the engine that missed: the reference
    with the gate gives what the full scan of each text gives."""
    from amberline.text.normalise import _compiled, _slow, reference_batch

    batch = [_LEAD, *texts]
    got = reference_batch(batch)[1:]
    for text, result in zip(texts, got, strict=True):
        want = _slow(text, _compiled(), None, True)
        assert (result.text, [(o.start, o.end, o.kind) for o in result.obfuscations]) == (
            want.text, [(o.start, o.end, o.kind) for o in want.obfuscations]), text
