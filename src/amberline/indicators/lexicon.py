"""Load and validate the indicator lexicon, and compile its small pattern language.

Indicators are data, not code: `lexicon.toml` says what each term is, which category it
belongs to, how strongly it counts within that category, and where its use is documented. This
module turns that file into typed, validated records, so that a mistake in the data (a typo in a
category, a pattern that could never match, a missing citation) is one clear error at load time
naming the entry, not a silent hole at scan time.

Patterns use a deliberately small syntax, so that every pattern can be compiled both for
Hyperscan and, when Hyperscan is unavailable, expanded into a finite set of literals for
Aho-Corasick:

- ordinary characters (letters, digits, emoji, ``%``, ``/``, ``'``, ...) match themselves,
  caselessly; ``\\`` escapes any other character (``\\.``, ``\\+``, ``\\(``);
- a space, ``\\s`` or ``\\s+`` matches one or more whitespace characters, never a form feed
  (so no match can cross the ``\\n\\f\\n`` that joins ads in a batch); a space followed by
  ``?``, ``\\s?`` or ``\\s*`` matches zero or more;
- ``(a|b|c)`` alternatives, ``[abc]`` / ``[0-9]`` one character of a set, ``\\d`` a digit;
- ``?`` after a character, set or group makes it optional; ``|`` at top level separates
  alternatives.

A pattern whose first (last) character is a word character is matched at a word boundary on
that side; one that starts (ends) with a symbol or emoji is not. A pattern may not mix the two
at one end (split it into two patterns instead).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from amberline.config_files import read_toml

MAX_VARIANTS = 512  # literal expansions allowed per pattern (keeps the fallback finite)
_WS_CLASS = r"[^\S\f]"  # whitespace except form feed
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SPECIAL = set("()[]|?\\*+{}.^$")


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file, entry and fix."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled pattern: its source, a Hyperscan regex, and its literal expansions."""

    source: str
    regex: str
    variants: tuple[str, ...]  # lower-case literals; a single space stands for any whitespace run
    word_start: bool
    word_end: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon entry: an indicator term family within a category, with its source."""

    id: str
    category: str
    patterns: tuple[Pattern, ...]
    weight: float
    citation: str
    # Terms an ad also writes to refuse the thing ("NO BB"): a match right after a refusal
    # ("no", "not", "never", "without", 🚫, ❌) in the same clause is not a flag (matcher.py).
    refusable: bool = False


@dataclass(frozen=True, slots=True)
class DerivedRule:
    """A rule computed from extracted spans rather than matched in text (see derived.py)."""

    id: str
    category: str
    weight: float
    citation: str
    description: str


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A validated lexicon: its version, known categories, entries and derived rules."""

    version: str
    categories: dict[str, str]
    entries: tuple[Entry, ...]
    derived: dict[str, DerivedRule]


# ---------------------------------------------------------------- pattern language
# Nodes: ("lit", ch) | ("ws", min) | ("set", chars) | ("alt", [seq, ...]) | ("opt", node)


def _parse(src: str) -> list:
    pos = 0

    def fail(msg: str) -> LexiconError:
        return LexiconError(f"pattern {src!r}: {msg} at position {pos}")

    def parse_alt(depth: int) -> list:
        nonlocal pos
        branches = [parse_seq(depth)]
        while pos < len(src) and src[pos] == "|":
            pos += 1
            branches.append(parse_seq(depth))
        return branches

    def parse_seq(depth: int) -> list:
        nonlocal pos
        seq: list = []
        while pos < len(src) and src[pos] not in "|)":
            ch = src[pos]
            if ch == "(":
                pos += 1
                branches = parse_alt(depth + 1)
                if pos >= len(src) or src[pos] != ")":
                    raise fail("unclosed '('")
                pos += 1
                node = ("alt", branches)
            elif ch == "[":
                end = src.find("]", pos + 1)
                if end < 0:
                    raise fail("unclosed '['")
                node = ("set", _expand_set(src[pos + 1 : end], fail))
                pos = end + 1
            elif ch == "\\":
                if pos + 1 >= len(src):
                    raise fail("dangling '\\'")
                esc = src[pos + 1]
                pos += 2
                if esc == "s":
                    node = ("ws", 1)
                    if pos < len(src) and src[pos] in "+*?":
                        node = ("ws", 1 if src[pos] == "+" else 0)
                        pos += 1
                    seq.append(node)
                    continue
                node = ("set", "0123456789") if esc == "d" else ("lit", esc)
                if (esc.isalnum() and esc != "d") or ord(esc) <= 32:
                    raise fail(f"unsupported escape of {esc!r}")
            elif ch == " ":
                while pos < len(src) and src[pos] == " ":
                    pos += 1
                optional = pos < len(src) and src[pos] == "?"
                pos += optional
                seq.append(("ws", 0 if optional else 1))
                continue
            elif ch in _SPECIAL or ch.isspace() or ord(ch) < 32:
                raise fail(f"character {ch!r} needs a '\\' or is not supported")
            else:
                node = ("lit", ch)
                pos += 1
            if pos < len(src) and src[pos] == "?":
                node = ("opt", node)
                pos += 1
            seq.append(node)
        return seq

    branches = parse_alt(0)
    if pos != len(src):
        raise fail("unmatched ')'")
    return [("alt", branches)]


def _expand_set(body: str, fail) -> str:
    chars: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = body[i], body[i + 2]
            if ord(hi) < ord(lo) or ord(hi) - ord(lo) > 64:
                raise fail(f"bad range {lo}-{hi}")
            chars.extend(chr(c) for c in range(ord(lo), ord(hi) + 1))
            i += 3
        else:
            if body[i] in "\\^[" or ord(body[i]) < 32:
                raise fail(f"character {body[i]!r} not supported inside [...]")
            chars.append(body[i])
            i += 1
    if not chars:
        raise fail("empty [...]")
    if any(ord(c) <= 32 for c in chars):  # whitespace belongs outside sets; \f never matches
        raise fail("whitespace or control characters inside [...]; use a space outside it")
    return "".join(dict.fromkeys(chars))


def _esc(ch: str) -> str:
    return ch if ch in _WORD or ord(ch) > 127 else "\\" + ch


def _to_regex(seq: list) -> str:
    out = []
    for node in seq:
        kind = node[0]
        if kind == "lit":
            out.append(_esc(node[1]))
        elif kind == "ws":
            out.append(_WS_CLASS + ("+" if node[1] else "*"))
        elif kind == "set":
            out.append("[" + "".join(_esc(c) for c in node[1]) + "]")
        elif kind == "alt":
            out.append("(?:" + "|".join(_to_regex(b) for b in node[1]) + ")")
        else:  # opt
            out.append("(?:" + _to_regex([node[1]]) + ")?")
    return "".join(out)


def _variants(seq: list) -> list[str]:
    parts: list[list[str]] = []
    for node in seq:
        kind = node[0]
        if kind == "lit":
            parts.append([node[1].lower()])
        elif kind == "ws":
            parts.append([" "] if node[1] else ["", " "])
        elif kind == "set":
            parts.append(sorted({c.lower() for c in node[1]}))
        elif kind == "alt":
            parts.append([v for b in node[1] for v in _variants(b)])
        else:
            parts.append(["", *_variants([node[1]])])
        total = 1
        for p in parts:
            total *= len(p)
        if total > MAX_VARIANTS:
            raise LexiconError(f"expands to more than {MAX_VARIANTS} variants; simplify it")
    return ["".join(p) for p in itertools.product(*parts)]


def compile_pattern(src: str) -> Pattern:
    """Parse one pattern of the lexicon syntax; raise LexiconError naming the problem."""
    src = src.strip()
    if not src:
        raise LexiconError("empty pattern")
    seq = _parse(src)
    try:
        spelled = _variants(seq)
    except LexiconError as exc:
        raise LexiconError(f"pattern {src!r}: {exc}") from None
    if any(v != v.strip() for v in spelled):
        # The literal engines match a variant without its edge whitespace and the regex
        # engine with it: the engines would give different spans for one pattern.
        raise LexiconError(f"pattern {src!r} has whitespace at the edge of an alternative "
                           "(\"(a |some )\"); move it between the words it separates")
    variants = sorted(set(spelled))
    if "" in variants:
        raise LexiconError(f"pattern {src!r} can match the empty string")
    ends = []
    for side in (0, -1):
        kinds = {v[side] in _WORD for v in variants}
        if len(kinds) > 1:
            raise LexiconError(
                f"pattern {src!r} mixes word and non-word characters at its "
                f"{'start' if side == 0 else 'end'}; split it into two patterns"
            )
        ends.append(kinds.pop())
    regex = _to_regex(seq)
    regex = ("\\b" if ends[0] else "") + regex + ("\\b" if ends[1] else "")
    return Pattern(src, regex, tuple(variants), ends[0], ends[1])


# ---------------------------------------------------------------- file loading


def _req(table: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise LexiconError(f"{where}: missing '{key}'")
    if not isinstance(table[key], typ):
        raise LexiconError(f"{where}: '{key}' has the wrong type ({type(table[key]).__name__})")
    return table[key]


def _weight(table: dict[str, Any], where: str) -> float:
    w = table.get("weight", 1.0)
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0 < w <= 1:
        raise LexiconError(f"{where}: weight must be a number in (0, 1], got {w!r}")
    return float(w)


def parse_lexicon(data: dict[str, Any], origin: str = "<lexicon>") -> Lexicon:
    """Validate a parsed TOML document and build the Lexicon; errors name `origin`."""
    version = _req(data, "version", str, origin)
    categories = _req(data, "categories", dict, origin)
    unknown_keys = set(data) - {"version", "categories", "entry", "derived"}
    if unknown_keys:
        raise LexiconError(f"{origin}: unknown top-level keys {sorted(unknown_keys)}")
    entries: list[Entry] = []
    seen: set[str] = set()
    known = _compiled_patterns(data.get("entry", []))
    for i, raw in enumerate(data.get("entry", [])):
        where = f"{origin}: entry #{i + 1} ({raw.get('id', '?')})"
        eid = _req(raw, "id", str, where)
        if eid in seen:
            raise LexiconError(f"{where}: duplicate id {eid!r}")
        seen.add(eid)
        cat = _req(raw, "category", str, where)
        if cat not in categories:
            raise LexiconError(f"{where}: unknown category {cat!r}; declare it in [categories]")
        pats = _req(raw, "patterns", list, where)
        if not pats or not all(isinstance(p, str) for p in pats):
            raise LexiconError(f"{where}: 'patterns' must be a non-empty list of strings")
        citation = _req(raw, "citation", str, where).strip()
        if not citation:
            raise LexiconError(f'{where}: empty citation (use a source or "observed")')
        extra = set(raw) - {"id", "category", "patterns", "weight", "citation", "refusable"}
        if extra:
            raise LexiconError(f"{where}: unknown keys {sorted(extra)}")
        try:
            compiled = tuple(known.get(p) or compile_pattern(p) for p in pats)
        except LexiconError as exc:
            raise LexiconError(f"{where}: {exc}") from None
        refusable = raw.get("refusable", False)
        if not isinstance(refusable, bool):
            raise LexiconError(f"{where}: 'refusable' must be true or false")
        entries.append(Entry(eid, cat, compiled, _weight(raw, where), citation, refusable))
    derived: dict[str, DerivedRule] = {}
    for name, raw in data.get("derived", {}).items():
        where = f"{origin}: [derived.{name}]"
        cat = _req(raw, "category", str, where)
        if cat not in categories:
            raise LexiconError(f"{where}: unknown category {cat!r}; declare it in [categories]")
        derived[name] = DerivedRule(
            id=f"derived:{name}",
            category=cat,
            weight=_weight(raw, where),
            citation=_req(raw, "citation", str, where),
            description=raw.get("description", ""),
        )
    return Lexicon(version, dict(categories), tuple(entries), derived)


def _compiled_patterns(entries: object) -> dict[str, Pattern]:
    """`compile_pattern` of every pattern of the entries that compiles, from the disk cache
    when an earlier process compiled the same patterns with this code (parsing them is most
    of the lexicon's start-up). A pattern that does not compile is left out: `parse_lexicon`
    compiles it itself and names its entry."""
    from amberline import disk_cache

    sources = list(dict.fromkeys(
        p for raw in (entries if isinstance(entries, list) else [])
        if isinstance(raw, dict) and isinstance(raw.get("patterns"), list)
        for p in raw["patterns"] if isinstance(p, str)))

    def compute() -> dict[str, Pattern]:
        out = {}
        for src in sources:
            try:
                out[src] = compile_pattern(src)
            except LexiconError:
                continue
        return out

    def decode(payload: bytes) -> dict[str, Pattern]:
        patterns = _decode_patterns(payload)
        if not patterns.keys() <= set(sources):
            raise ValueError("patterns the lexicon does not have")
        return patterns

    return disk_cache.cached("lexicon patterns", disk_cache.fingerprint(Path(__file__), *sources),
                             compute, _encode_patterns, decode)


def _encode_patterns(patterns: dict[str, Pattern]) -> bytes:
    from amberline import disk_cache

    values = list(patterns.values())
    return disk_cache.pack([
        disk_cache.strings(list(patterns)), disk_cache.strings([p.source for p in values]),
        disk_cache.strings([p.regex for p in values]),
        disk_cache.ints([len(p.variants) for p in values]),
        disk_cache.strings([v for p in values for v in p.variants]),
        disk_cache.ints([p.word_start for p in values]),
        disk_cache.ints([p.word_end for p in values])])


def _decode_patterns(payload: bytes) -> dict[str, Pattern]:
    """`_encode_patterns` back; ValueError for anything malformed."""
    from amberline import disk_cache

    keys_b, sources_b, regexes_b, counts_b, variants_b, starts_b, ends_b = disk_cache.unpack(
        payload, 7)
    keys, sources = disk_cache.unstrings(keys_b), disk_cache.unstrings(sources_b)
    regexes, variants = disk_cache.unstrings(regexes_b), disk_cache.unstrings(variants_b)
    counts = disk_cache.unints(counts_b).tolist()
    starts, ends = disk_cache.unints(starts_b).tolist(), disk_cache.unints(ends_b).tolist()
    if not len(keys) == len(sources) == len(regexes) == len(counts) == len(starts) == len(ends):
        raise ValueError("pattern columns of different lengths")
    if min(counts, default=1) < 1 or sum(counts) != len(variants) or not {*starts, *ends} <= {0, 1}:
        raise ValueError("pattern variants or word ends out of range")
    out, at = {}, 0
    for key, src, regex, count, start, end in zip(keys, sources, regexes, counts, starts, ends,
                                                  strict=True):
        out[key] = Pattern(src, regex, tuple(variants[at : at + count]), bool(start), bool(end))
        at += count
    if len(out) != len(keys):
        raise ValueError("a pattern twice")
    return out


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Load a lexicon file; `None` gives the one packaged with Amberline, parsed once per
    process (the screener, the matcher, derived rules and the scorer all ask for it)."""
    if path is None:
        return _packaged_lexicon()
    data, origin = read_toml("amberline.indicators", "lexicon.toml", path, LexiconError)
    return parse_lexicon(data, origin)


@cache
def _packaged_lexicon() -> Lexicon:
    data, origin = read_toml("amberline.indicators", "lexicon.toml", None, LexiconError)
    return parse_lexicon(data, origin)
