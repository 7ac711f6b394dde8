"""Phone numbers: the identifier that links the most ads into networks.

Why this design: a crawl holds millions of ads and most digit runs in them are prices, ages,
dates and post ids, not phones. So one precompiled regex finds only runs of 7 or more digits
with the separators ads use (spaces, dots, dashes, slashes, parentheses, double quotes, a
leading "+"), and only
those candidates go to `phonenumbers`, whose results are cached by digit string (the same number
recurs across an advertiser's ads). `phonenumbers.PhoneNumberMatcher` is not used: it walks the
text in Python and is far too slow for batch screening.

A run may glue several numbers together ("age 24 703 555 0142", "703 555 0142 703 555 0143"),
so a run that does not parse whole is split at its digit groups and the longest valid piece
starting at each group wins.

Acceptance policy (documented because synthetic data uses the fictional 555-01XX range, which
`phonenumbers` treats as valid US numbers):
- `is_valid_number`: accepted; confidence 0.95 if written with separators or "+", else 0.9.
- only `is_possible_number` (right length, not in the numbering plan): accepted with confidence
  0.5 and attrs["valid"] False, and only when written in groups or with "+" and making up the
  whole run (a formatted number not in the plan yet is still an identifier); bare digit runs
  and pieces of longer runs ("4111 1111 1111 1111") that are merely possible are rejected.
Text the normaliser produced never contains newlines inside a number, so runs never cross lines
and therefore never cross the batch separator "\\n\\f\\n".

With the compiled core (`rust/src/phones.rs`) the runs are found, split and checked there, the
+1 numbers answered from the installed metadata's patterns and the US parsing rules
(`_core_regions`), a leading 0 or 1 included, and numbers written with "+" (or the US
international prefix) and another country code from every other country's metadata
(`_core_countries`, handed to the core at the first run it cannot decide without them: most
processes never need them). A run holding a digit string only `phonenumbers` can answer (a
national prefix its region rewrites) comes back as a run for `_split_run` here, a line
holding digits of another script (which the normaliser folds to ASCII) as a line for `_runs`,
both counted (`handed_back`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from amberline import disk_cache
from amberline.disk_cache import regex
from amberline.extract import _native, nanp
from amberline.extract._prefilter import Prefilter
from amberline.extract._program import Unsupported
from amberline.extract.base import Example, Extractor
from amberline.model import PHONE, Span

_SEP = r"[ \t.\-/()\"\u2010-\u2015]"  # '"' seen as a separator in real ads: 703"555"0142
# A run of >= 7 digits joined by at most 3 separator characters between digits. Not preceded by
# a digit, a currency sign, or URL/id punctuation (a number inside a path or query is an id), nor
# by "digit + decimal point" (3.14159265).
_CANDIDATE = regex(
    rf"(?<![\d$£€¥/=_#&%])(?<!\d[.,])(?:\+[ \t]?)?\(?\d(?:{_SEP}{{0,3}}\d){{6,}}"
)
_GROUP = regex(r"\d+")
_NON_DIGIT = regex(r"\D+")
# Hyperscan trigger: a run of >= 7 digits ending before a non-digit. It fires at the end of
# every digit group past the 7th digit; `_CONTINUES` skips all but the run's last group.
# "?" stands for the non-ASCII dashes in `_SEP` (see _prefilter).
_TRIGGER = r"(?:\+[ \t]?)?\(?[0-9](?:[ \t.\-/()\"?]{0,3}[0-9]){6,}(?:[^0-9]|$)"
_CONTINUES = regex(rf"{_SEP}{{0,3}}\d")
_MIN_DIGITS = 7
_MAX_DIGITS = 15
_MAX_GROUPS = 12  # longer runs are tables of numbers; only their first pieces are tried
T = TypeVar("T")


@lru_cache(maxsize=65536)
def parse_phone(digits: str, region: str) -> tuple[str, bool, str] | None:
    """Parse a digit string (optionally starting with "+") in `region`.

    Returns (E.164, is_valid, region code of the number) or None when the number is neither
    valid nor of a possible length. Cached: repeated numbers are the norm in ad crawls; and
    North American numbers are answered from their first seven digits (see `nanp`).
    """
    national = nanp.national(digits, region)
    if national is not None and nanp.shortcut_safe():
        valid, possible, code = nanp.classify(national)
        if not valid and not possible:
            return None
        return "+1" + national, valid, code or region
    return parse_with_phonenumbers(digits, region)


def parse_with_phonenumbers(digits: str, region: str) -> tuple[str, bool, str] | None:
    """`parse_phone` without the North American shortcut: the library's own answer."""
    import phonenumbers  # (imported at first use: a warm start-up with the core needs none)
    from phonenumbers import PhoneNumberFormat, ValidationResult

    try:
        num = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(num):
        valid = True
    elif phonenumbers.is_possible_number_with_reason(num) == ValidationResult.IS_POSSIBLE:
        valid = False
    else:
        return None
    code = phonenumbers.region_code_for_number(num) or region
    return phonenumbers.format_number(num, PhoneNumberFormat.E164), valid, code


# A phone found in a run: (E.164, valid, region), start and end in the run, formatted.
_Piece = tuple[tuple[str, bool, str], int, int, bool]


@lru_cache(maxsize=16384)
def _pieces(run: str, region: str) -> tuple[_Piece, ...]:
    """The phones in a candidate run that does not parse whole: the longest valid piece
    starting at each digit group, left to right.

    Memoised (bounded): a pure function of the run as written. Such runs (a number glued to
    an age, a price or a second number) cost up to a `parse_phone` per pair of groups, and an
    advertiser's runs recur across their ads. Runs that parse whole take the fast path in
    `PhoneExtractor._split_run` and are not kept here (a cache entry costs more than that
    path on a number seen once).
    """
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)][:_MAX_GROUPS]
    plus = run[0] == "+"
    n = len(groups)
    found: list[_Piece] = []
    i = 0
    while i < n:
        piece = None
        for j in range(n, i, -1):
            digits = "".join(run[a:b] for a, b in groups[i:j])
            if len(digits) > _MAX_DIGITS:
                continue
            if len(digits) < _MIN_DIGITS:
                break
            piece = _accept(run, groups, i, j, digits, plus and i == 0, region)
            if piece is not None:
                found.append(piece)
                i = j
                break
        if piece is None:
            i += 1
    return tuple(found)


def nanp_grouping(lengths: list[int]) -> bool:
    """Whether digit groups of these lengths can be one North American number as people write
    it: breaks where the 3-3-4 plan has them (after a leading 1 too), the last four digits
    split further ("703 555 01 42"), 3-4-3 ("703 5550 142"), digits spaced out one by one.
    Not "60/80/120/160" (a rate card) nor "99368891 - 25" (a foreign number and an age). Only
    breaks between groups of two or more digits are judged: single digits are spacing."""
    total = sum(lengths)
    if len(lengths) == 1 or total not in (10, 11):
        return True
    base = total - 10  # a leading 1
    cuts: list[int] = []
    judged: list[int] = []
    cut = 0
    for left, right in pairwise(lengths):
        cut += left
        cuts.append(cut - base)
        if left > 1 and right > 1:
            judged.append(cut - base)
    return all(c in (3, 6) or (c == 7 and 3 in cuts) or (c > 6 and 6 in cuts) for c in judged)


def _accept(
    run: str,
    groups: list[tuple[int, int]],
    i: int,
    j: int,
    digits: str,
    international: bool,
    region: str,
) -> _Piece | None:
    parsed = parse_phone("+" + digits if international else digits, region)
    if parsed is None:
        return None
    if not international and parsed[0].startswith("+1") and not nanp_grouping(
            [b - a for a, b in groups[i:j]]):
        return None
    valid = parsed[1]
    formatted = international or j - i > 1
    if not valid and (not formatted or i > 0 or j < len(groups)):
        return None  # merely possible: only a whole, formatted run counts
    start = 0 if international else groups[i][0]
    if start > 0 and run[start - 1] == "(":
        start -= 1  # "(703) 555-0142": the evidence includes the parenthesis
    return parsed, start, groups[j - 1][1], formatted


# The descriptions `phonenumberutil._number_type_helper` tries after the general one, in its
# order (fixed line and mobile last, as the core takes them).
_TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
               "uan", "voicemail", "fixed_line", "mobile")


def _desc(desc: Any) -> tuple[list[int], str | None] | None:
    if desc is None:
        return None
    return list(desc.possible_length), desc.national_number_pattern


def _region_row(meta: Any) -> tuple[Any, ...]:
    """A region's metadata as the core takes it (see `PhoneScanner`)."""
    return (meta.leading_digits, _desc(meta.general_desc),
            [_desc(getattr(meta, name, None)) for name in _TYPE_DESCS],
            bool(meta.same_mobile_and_fixed_line_pattern))


def _lengths(country_code: int) -> tuple[list[int], list[int]]:
    """The national number lengths `is_possible_number_with_reason` calls IS_POSSIBLE, and
    TOO_LONG, for `country_code` (its main region's metadata decides them)."""
    import phonenumbers
    from phonenumbers import PhoneNumber, ValidationResult

    reason = {n: phonenumbers.is_possible_number_with_reason(
        PhoneNumber(country_code=country_code, national_number=int("2" * n)))
        for n in range(1, 18)}
    return ([n for n, r in reason.items() if r == ValidationResult.IS_POSSIBLE],
            [n for n, r in reason.items() if r == ValidationResult.TOO_LONG])


# How the US region's digit strings parse: (national prefix for parsing, international prefix,
# general description's national number pattern), when both prefixes are plain digits.
_Parsing = tuple[str, str, str] | None
_Regions = tuple[list[str], list[tuple[Any, ...]], list[int], list[int], _Parsing]


@cache
def _core_regions() -> _Regions:
    """(region codes, their metadata as the core takes it, possible national lengths, too
    long national lengths, how the US parses) of +1: what validity, the region and
    possibility of a +1 number depend on, in the order `region_code_for_number` tries the
    regions, and what `phonenumbers.parse` strips from a US digit string. Kept in the disk
    cache, keyed by the installed metadata (`nanp.metadata_stamp`) and this module."""
    return _metadata_cached("phone regions", _read_regions, _decode_regions)


def _metadata_cached(kind: str, read: Callable[[], T], decode: Callable[[bytes], T]) -> T:
    """`read()`'s value (read from the installed metadata) kept as JSON in the disk cache."""
    key = disk_cache.fingerprint(Path(__file__), nanp.metadata_stamp())
    return disk_cache.cached(kind, key, read, lambda r: json.dumps(r).encode("utf-8"), decode)


def _read_regions() -> _Regions:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

    codes: list[str] = []
    regions: list[tuple[Any, ...]] = []
    for code in COUNTRY_CODE_TO_REGION_CODE[1]:
        meta = PhoneMetadata.metadata_for_region(code.upper(), None)
        if meta is None:
            continue  # skipped by region_code_for_number too
        codes.append(code)
        regions.append(_region_row(meta))
    possible, too_long = _lengths(1)  # `_test_number_length` of +1 (the US metadata's)
    us = PhoneMetadata.metadata_for_region("US", None)
    parsing: _Parsing = None
    if (us is not None and us.country_code == 1 and not us.national_prefix_transform_rule
            and re.fullmatch(r"[0-9]+", us.national_prefix_for_parsing or "")
            and re.fullmatch(r"[0-9]+", us.international_prefix or "")
            and us.general_desc is not None and us.general_desc.national_number_pattern):
        parsing = (us.national_prefix_for_parsing, us.international_prefix,
                   us.general_desc.national_number_pattern)
    return codes, regions, possible, too_long, parsing


def _decoded_rows(codes: Any, regions: Any) -> list[tuple[Any, ...]]:
    """Region rows (`_region_row`) read back from JSON, tuples where they have tuples;
    ValueError (or TypeError) unless every part has its type."""
    def desc(d: Any) -> tuple[list[int], str | None] | None:
        if d is None:
            return None
        lengths, pattern = d
        if not _int_list(lengths) or not (pattern is None or isinstance(pattern, str)):
            raise ValueError("not a number description")
        return list(lengths), pattern

    out = [(leading, desc(general), [desc(d) for d in types], same)
           for leading, general, types, same in regions]
    if (not all(isinstance(c, str) for c in codes) or len(codes) != len(out)
            or not all((leading is None or isinstance(leading, str)) and type(same) is bool
                       and len(types) == len(_TYPE_DESCS) for leading, _, types, same in out)):
        raise ValueError("not a list of regions")
    return out


def _int_list(values: Any) -> bool:
    """A list of lengths or indices, as the core takes them."""
    return isinstance(values, list) and all(type(n) is int and 0 <= n < 1 << 31 for n in values)


def _decode_regions(blob: bytes) -> _Regions:
    """`_read_regions`' value from its JSON (tuples where it has tuples); ValueError unless
    every part has its type."""
    try:
        codes, regions, possible, too_long, parsing = json.loads(blob)
        out = _decoded_rows(codes, regions)
        if parsing is not None:
            if not (isinstance(parsing, list) and len(parsing) == 3
                    and all(isinstance(p, str) for p in parsing)
                    and all(re.fullmatch("[0-9]+", p) for p in parsing[:2])):
                raise ValueError("not how the US parses")
            parsing = tuple(parsing)
    except (TypeError, RecursionError) as exc:
        raise ValueError(f"not the +1 regions: {exc}") from None
    if not _int_list(possible) or not _int_list(too_long):
        raise ValueError("not the +1 regions")
    return codes, out, possible, too_long, parsing


# Every country code but 1: (region codes, their rows, per country code (code, index of its
# first region, number of regions (0: left to phonenumbers), national prefix for parsing,
# rewritten after it, general pattern, possible lengths, too long lengths)).
_Country = tuple[int, int, int, str | None, bool, str | None, list[int], list[int]]
_Countries = tuple[list[str], list[tuple[Any, ...]], list[_Country]]


@cache
def _core_countries() -> _Countries:
    """What the core needs to read and decide a number with "+" and a country code other
    than 1 as `phonenumbers` does: each code's regions in the order `region_code_for_number`
    tries them (the main region first, whose national prefix and general pattern `parse`
    uses). Kept in the disk cache as `_core_regions` is; read only when a process meets such
    a number."""
    return _metadata_cached("phone countries", _read_countries, _decode_countries)


def _read_countries() -> _Countries:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

    codes: list[str] = []
    regions: list[tuple[Any, ...]] = []
    countries: list[_Country] = []
    for country_code, names in COUNTRY_CODE_TO_REGION_CODE.items():
        if country_code == 1:
            continue
        metas = [PhoneMetadata.metadata_for_region_or_calling_code(country_code, name.upper())
                 for name in names]
        main = metas[0] if metas else None
        if main is None or any(meta is None for meta in metas):
            countries.append((country_code, len(codes), 0, None, False, None, [], []))
            continue  # (none such in the metadata read so far)
        general = main.general_desc.national_number_pattern if main.general_desc else None
        countries.append((country_code, len(codes), len(names), main.national_prefix_for_parsing,
                          bool(main.national_prefix_transform_rule), general,
                          *_lengths(country_code)))
        codes += names
        regions += [_region_row(meta) for meta in metas]
    return codes, regions, countries


def _decode_countries(blob: bytes) -> _Countries:
    """`_read_countries`' value from its JSON; ValueError unless every part has its type."""
    try:
        codes, regions, countries = json.loads(blob)
        rows = _decoded_rows(codes, regions)
        out = [(code, first, count, prefix, transform, general, possible, too_long)
               for code, first, count, prefix, transform, general, possible, too_long
               in countries]
    except (TypeError, RecursionError) as exc:
        raise ValueError(f"not the country codes: {exc}") from None
    if not all(type(code) is int and type(first) is int and type(count) is int
               and type(transform) is bool and _int_list(possible) and _int_list(too_long)
               and 1 < code < 1000 and _int_list([first, count]) and first + count <= len(rows)
               and all(p is None or isinstance(p, str) for p in (prefix, general))
               for code, first, count, prefix, transform, general, possible, too_long in out):
        raise ValueError("not the country codes")
    return codes, rows, out


def build_scanner(region: str, panic_on: str | None = None) -> object | None:
    """The core's scanner, or None (see `_native`): only for the US region, whose digit
    strings it knows how `phonenumbers` parses, and only while the +1 shortcut of `nanp`
    holds (`panic_on`: tests only, a character that makes the core panic on a text)."""
    if region != "US" or not nanp.shortcut_safe():
        return None

    def compile_core(module: Any) -> object:
        _, regions, possible, too_long, parsing = _core_regions()
        digits = _native.char_tables()[2]
        try:
            return module.PhoneScanner(digits, regions, possible, too_long, parsing,
                                       None if panic_on is None else ord(panic_on))
        except ValueError as exc:  # a metadata pattern the regex crate does not take
            raise Unsupported(str(exc)) from exc

    return _native.build("PhoneScanner", compile_core)


def _with_countries(scanner: Any) -> bool:
    """Hand `scanner` every country code but 1 (`_core_countries`) unless it has them;
    whether it got them now (its answers that were undecided may then be decided)."""
    if scanner.has_countries():
        return False
    _, regions, countries = _core_countries()
    scanner.add_countries(regions, countries)
    return True


def _read_again(scanner: Any, text: str, found: np.ndarray) -> np.ndarray:
    """`found` (the scanner's rows of `text`) with each run it handed back read again, now
    that it has every country code. A run is read alone: what precedes a run in its text only
    decides where the run starts, and nothing after it is read."""
    parts: list[np.ndarray] = []
    done = 0
    for k in np.flatnonzero(found[:, 0] == 1).tolist():
        start, end = found[k, 1:3].tolist()
        again = _native.row_array(scanner, text[start:end], 7).copy()
        again[:, 1:3] += start
        parts += [found[done:k], again]
        done = k + 1
    return np.concatenate([*parts, found[done:]])


@cache
def _region_codes(with_countries: bool, default: str) -> tuple[str, ...]:
    """The region codes of the core's rows, by region index; `default` last (index -1: no
    region matched, and `parse_phone` gives the default region)."""
    codes = [*_core_regions()[0], *(_core_countries()[0] if with_countries else ())]
    return (*codes, default)


@cache
def _quick_scanner() -> object | None:
    return build_scanner("US")


def parse_phone_quick(digits: str, region: str) -> tuple[str, bool, str] | None:
    """`parse_phone`'s answer, from the core's +1 plan where the core decides the string (the
    same answer: `tests/test_core_phones.py`), else from `parse_phone`.

    For callers outside screening (the identifier keys of newly stored ads): with the core,
    screening's digit strings never reach `parse_phone`, so its cache is cold for the phones a
    scan then normalises again, and each miss costs `phonenumbers` work. Screening's own
    reference path keeps calling `parse_phone`, so the differential tests still compare the
    core with `phonenumbers`.
    """
    scanner: Any = _quick_scanner() if region == "US" else None
    if scanner is not None:
        answer = scanner.parse(digits)
        if answer[0] < 0 and _with_countries(scanner):
            answer = scanner.parse(digits)
        kind, e164, valid, index = answer
        if kind == 0:
            return None
        if kind == 1:
            return f"+{e164}", bool(valid), _region_codes(scanner.has_countries(), region)[index]
    return parse_phone(digits, region)


class PhoneExtractor(_native.CoreBacked, Extractor):
    """Finds phone numbers and normalises them to E.164 ("+17035550142").

    `default_region` is the ISO 3166 region used for numbers written without "+CC"; numbers with
    "+CC" parse in their own region. attrs: {"valid": bool, "region": "US"}.
    """

    name = "phones"
    kind = PHONE

    def __init__(self, default_region: str = "US") -> None:
        self.region = default_region.upper()
        self._prefilter = Prefilter([_TRIGGER], som=True)
        nanp.shortcut_safe()  # checked once, here, against the installed metadata
        self.handed_back = 0  # runs the core left to `_split_run`
        self._core = self._build_core()

    def _build_core(self, panic_on: str | None = None) -> object | None:
        return build_scanner(self.region, panic_on)

    def extract(self, text: str) -> list[Span]:
        if self._core is None:
            return self.extract_reference(text)
        return self.extract_columns(text).spans()  # type: ignore[union-attr]

    def extract_columns(self, text: str) -> _native.SpanColumns | list[Span]:
        """`extract` as columns, by the core when it is built (`_native.SpanColumns`); the
        runs it hands back are read by the reference, their spans taken apart into the
        columns in their place."""
        if self._core is None:
            return self.extract_reference(text)
        scanner: Any = self._core
        found = _native.row_array(scanner, text, 7)
        if found[:, 0].any() and _with_countries(scanner):
            found = _read_again(scanner, text, found)
        regions = _region_codes(scanner.has_countries(), self.region)
        values: list[Any] = []
        confidences: list[float] = []
        attrs: list[dict[str, Any]] = []
        starts_at: list[int] = []
        ends_at: list[int] = []
        for kind, start, end, e164, valid, formatted, region in found.tolist():
            if kind == 0:
                starts_at.append(start)
                ends_at.append(end)
                values.append(f"+{e164}")
                confidences.append((0.95 if formatted else 0.9) if valid else 0.5)
                attrs.append({"valid": valid == 1, "region": regions[region]})
                continue
            spans: list[Span] = []
            self.handed_back += 1
            if kind == 1:  # handed back: a digit string only phonenumbers answers
                self._split_run(text[start:end], start, spans)
            else:  # a line with digits of another script: the reference reads it
                for m in self._runs(text[start:end]):
                    self._split_run(m.group(), start + m.start(), spans)
            for span in spans:
                starts_at.append(span.start)
                ends_at.append(span.end)
                values.append(span.value)
                confidences.append(span.confidence)
                attrs.append(span.attrs)
        return _native.SpanColumns(PHONE, self.name, np.array(starts_at, dtype=np.int64),
                                   np.array(ends_at, dtype=np.int64), values, confidences,
                                   attrs)

    def extract_reference(self, text: str) -> list[Span]:
        """The Python reference (what the core's scanner is held to)."""
        spans: list[Span] = []
        for m in self._runs(text):
            self._split_run(m.group(), m.start(), spans)
        return spans

    def _runs(self, text: str) -> Iterator[re.Match[str]]:
        """Candidate runs: the exact regex, run only near prefilter triggers when possible."""
        if not self._prefilter.available:
            yield from _CANDIDATE.finditer(text)
            return
        done = 0
        for _, start, end in self._prefilter.scan(text):
            last = end - 1 if end < len(text) or not text[-1].isdigit() else end
            if end <= done or _CONTINUES.match(text, last):
                continue
            start = max(done, start)
            m = _CANDIDATE.match(text, start, end)
            if m is not None and not _CONTINUES.match(text, m.end()):
                yield m  # the common case: the trigger is exactly the run
                done = max(end, m.end())
                continue
            for m in _CANDIDATE.finditer(text, start, end):
                yield m
                done = m.end()
            done = max(done, end)

    def _split_run(self, run: str, offset: int, out: list[Span]) -> None:
        """Emit the phones in one candidate run: the whole run if it parses, else the
        longest valid piece starting at each digit group, left to right (`_pieces`)."""
        digits = _NON_DIGIT.sub("", run)
        if _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:  # fast path: the run is one number
            international = run[0] == "+"
            parsed = parse_phone("+" + digits if international else digits, self.region)
            if parsed is not None and not international and parsed[0].startswith("+1") and (
                    not nanp_grouping([len(g) for g in _GROUP.findall(run)])):
                parsed = None  # not written as one number: try its pieces
            if parsed is not None and (parsed[1] or len(digits) + international < len(run)):
                out.append(self._span(parsed, offset, offset + len(run), international
                                      or len(digits) < len(run)))
                return
        for parsed, start, end, formatted in _pieces(run, self.region):
            out.append(self._span(parsed, offset + start, offset + end, formatted))

    def _span(self, parsed: tuple[str, bool, str], start: int, end: int, formatted: bool) -> Span:
        e164, valid, region = parsed
        confidence = (0.95 if formatted else 0.9) if valid else 0.5
        attrs = {"valid": valid, "region": region}
        return Span(PHONE, e164, start, end, self.name, confidence, attrs)

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("Sweet new girl in town, ask for Mia, call 703 555 0142", ("+17035550142",)),
            Example("Text (703) 555-0142 anytime", ("+17035550142",)),
            Example("call 1-703-555-0142 or +1 212.555.0199", ("+17035550142", "+12125550199")),
            Example("London visit, ring +44 20 7946 0958", ("+442079460958",)),
            Example("Age 24, 5'4, 120 lbs, $150/hr, zip 22201, posted 2024-05-06", ()),
            Example("Post ID: 6048613, ref 12345678901234567890", ()),
            Example("7035550142 7035550143", ("+17035550142", "+17035550143")),
            Example('call 703"555"0142, 5\'4" 120 lbs', ("+17035550142",)),
        ]
