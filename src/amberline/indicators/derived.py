"""Flags that come from what the extractors and the normaliser found, not from lexicon terms.

Some of the strongest indicators are not words at all: a stated age under 18, a phone number
written to dodge scrapers (the JIRN 2024 study found an obscured number a significant predictor),
several names or ages offered in one ad. Those facts already exist as `Span`s (ages, names,
phones, descriptors) and `Obfuscation`s (what the normaliser had to undo); this module turns
them into `Flag`s that point at the span that justifies them, under rules whose citations live
in the lexicon file (`[derived.*]`) like every other indicator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from amberline import core
from amberline.identifiers import CONTACT_KINDS
from amberline.indicators.lexicon import DerivedRule, Lexicon, LexiconError, load_lexicon
from amberline.model import AGE, DESCRIPTOR, NAME, Flag, Obfuscation, Span
from amberline.text.normalise import OBSCURING_KINDS

# In the order of the rule codes of `derive_columns` (and the core's `derive_rows`,
# rust/src/finish.rs).
DERIVED_RULES = (
    "stated_minor_age",
    "age_near_18",
    "multiple_providers",
    "obscured_contact",
    "ethnicity_named",
)
# A name read without a cue that ties it to the person (names.py gives those 0.6) is too weak
# to claim a second provider.
MIN_PROVIDER_NAME_CONFIDENCE = 0.7
_CONTACT_KINDS = frozenset(CONTACT_KINDS)


@lru_cache(maxsize=1)
def _default_rules() -> dict[str, DerivedRule]:
    return _rules_of(load_lexicon())


def derived_rules(lexicon: Lexicon) -> dict[str, DerivedRule]:
    """The lexicon's derived rules; LexiconError naming the first one it does not define."""
    return _rules_of(lexicon)


def _rules_of(lexicon: Lexicon) -> dict[str, DerivedRule]:
    missing = [name for name in DERIVED_RULES if name not in lexicon.derived]
    if missing:
        raise LexiconError(f"lexicon {lexicon.version}: no [derived.{missing[0]}] rule defined")
    return lexicon.derived


_MAKERS: dict[int, tuple[dict[str, DerivedRule], dict[str, Callable[[str, Span], Flag]]]] = {}


def _makers(rules: dict[str, DerivedRule]) -> dict[str, Callable[[str, Span], Flag]]:
    """Per rule, a function making its flag for a span: the rule's fields are read once per
    rules table (kept by identity, with the table itself so the id stays valid), not per flag."""
    hit = _MAKERS.get(id(rules))
    if hit is not None and hit[0] is rules:
        return hit[1]

    def maker(rule: DerivedRule) -> Callable[[str, Span], Flag]:
        category, weight, rule_id, citation = rule.category, rule.weight, rule.id, rule.citation

        def make(text: str, span: Span) -> Flag:
            start, end = span.start, span.end
            # A span from a source field (extract/fields.py) is empty: name the field instead.
            term = text[start:end] if end > start else field_term(span)
            return Flag(category, term, start, end, weight, rule_id, citation)

        return make

    made = {name: maker(rules[name]) for name in DERIVED_RULES}
    if len(_MAKERS) >= 64:
        _MAKERS.clear()
    _MAKERS[id(rules)] = (rules, made)
    return made


def field_term(span: Span) -> str:
    return f"{span.attrs.get('field', 'source')} field: {span.value}"


def _age(span: Span) -> int | None:
    """The span's age as an int, or None for a value that is none (an infinite float
    raises OverflowError, not ValueError)."""
    try:
        return int(span.value)
    except (TypeError, ValueError, OverflowError):
        return None


def derive_flags(
    spans: list[Span],
    obfuscations: list[Obfuscation],
    text: str,
    lexicon: Lexicon | None = None,
) -> list[Flag]:
    """Flags for one ad from its spans and obfuscations; offsets are those of the spans.

    - stated_minor_age: each AGE span whose value is under 18;
    - age_near_18: each AGE span of 18 or 19;
    - multiple_providers: when there are two or more distinct names, one flag per distinct name
      (at its first mention); likewise for two or more distinct ages stated in the text. The
      poster's age field (printed after the title, or a source column) is not a second
      person: posters let it go stale, so "- 23" beside "22 years old" is one person. Names the
      name extractor is least sure of (a capitalised word alone) are not counted either;
    - obscured_contact: each PHONE/EMAIL/HANDLE span that an obfuscation of a kind in
      `OBSCURING_KINDS` overlaps (spelled or look-alike digits, invisibles, emoji between
      digits; not a no-break space or a stray control character, which disguise nothing);
    - ethnicity_named: each DESCRIPTOR span whose attrs say kind = "ethnicity".
    """
    made = _makers(_default_rules() if lexicon is None else _rules_of(lexicon))
    flags: list[Flag] = []
    append = flags.append
    hidden = [(o.start, o.end) for o in obfuscations if o.kind in OBSCURING_KINDS]
    first_name: dict[str, Span] = {}
    first_age: dict[int, Span] = {}
    for span in spans:
        kind = span.kind
        if kind == AGE:
            value = span.value
            age = value if type(value) is int else _age(span)
            if age is None:
                continue
            if age < 18:
                append(made["stated_minor_age"](text, span))
            elif age <= 19:
                append(made["age_near_18"](text, span))
            if (span.attrs or {}).get("origin", "text") == "text":
                first_age.setdefault(age, span)
        elif kind == NAME:
            if span.value and span.confidence >= MIN_PROVIDER_NAME_CONFIDENCE:
                first_name.setdefault(str(span.value).casefold(), span)
        elif kind == DESCRIPTOR:
            if (span.attrs or {}).get("kind") == "ethnicity":
                append(made["ethnicity_named"](text, span))
        elif hidden and kind in _CONTACT_KINDS:
            start, end = span.start, span.end
            for a, b in hidden:
                if a < end and start < b:
                    append(made["obscured_contact"](text, span))
                    break
    for group in (first_name, first_age):
        if len(group) >= 2:
            multiple = made["multiple_providers"]
            for span in group.values():
                append(multiple(text, span))
    if len(flags) > 1:
        flags.sort(key=_order)
    return flags


def _order(flag: Flag) -> tuple[int, int, str]:
    return flag.start, flag.end, flag.rule



def derive_columns(
    spans: list[Span],
    ads: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    obfuscations: Sequence[list[Obfuscation]],
    lexicon: Lexicon | None = None,
) -> np.ndarray:
    """`derive_flags` for a whole batch in one pass over its spans, each ad's spans one after
    the other, as rows rather than flags: `ads[k]`, `starts[k]` and `ends[k]` (int64 columns)
    are the ad of `spans[k]` and its offsets in that ad's normalised text (read from these
    columns, not from the span, which the caller may not have placed yet);
    `obfuscations[i]` are ad i's. Returns int64 rows (span, rule) where rule indexes
    `DERIVED_RULES`, ordered as `derive_flags` orders each ad's flags (by ad, then position,
    rule id and the order it makes them): the caller makes each flag once, with its final
    offsets (`derived_flag_info` gives a rule's fields). With the compiled core, its
    `derive_rows` reads the spans."""
    rules = _default_rules() if lexicon is None else _rules_of(lexicon)
    # The rules' places when their ids are sorted: flags at one place go by rule id.
    ids = sorted(rules[name].id for name in DERIVED_RULES)
    ranks = [ids.index(rules[name].id) for name in DERIVED_RULES]
    compiled = core.load()
    if compiled is not None and core.provides("derive_rows"):
        found_rows = compiled.derive_rows(  # type: ignore[attr-defined]
            spans, ads.astype("<i8").tobytes(), starts.astype("<i8").tobytes(),
            ends.astype("<i8").tobytes(), list(obfuscations), OBSCURING_KINDS,
            (AGE, NAME, DESCRIPTOR), list(CONTACT_KINDS), MIN_PROVIDER_NAME_CONFIDENCE, ranks)
        return np.frombuffer(found_rows, dtype="<i8").reshape(-1, 2).astype(np.int64)
    return _derive_rows(spans, ads.tolist(), starts.tolist(), ends.tolist(), obfuscations, ranks)


def derived_flag_info(lexicon: Lexicon | None = None) -> list[tuple[str, float, str, str]]:
    """(category, weight, rule id, citation) of each rule of `DERIVED_RULES`, in that order:
    the fields of the flags of `derive_columns`' rows."""
    rules = _default_rules() if lexicon is None else _rules_of(lexicon)
    return [(rules[name].category, rules[name].weight, rules[name].id, rules[name].citation)
            for name in DERIVED_RULES]


_MINOR, _NEAR, _MULTIPLE, _OBSCURED, _ETHNIC = range(len(DERIVED_RULES))


def _derive_rows(
    spans: list[Span],
    ads: list[int],
    starts: list[int],
    ends: list[int],
    obfuscations: Sequence[list[Obfuscation]],
    ranks: list[int],
) -> np.ndarray:
    """`derive_columns` without the core (its `derive_rows` in Python)."""
    hidden: dict[int, list[tuple[int, int]]] = {}
    for i, found in enumerate(obfuscations):
        if found:
            stretches = [(o.start, o.end) for o in found if o.kind in OBSCURING_KINDS]
            if stretches:
                hidden[i] = stretches
    # The spans of each kind, by a comparison of the whole kind column; each row made is
    # (span, phase, rule): `derive_flags` makes them span by span (phase 0), then for names
    # (1), then for ages (2), which with the span's index is the order it makes them in.
    kinds = np.array([span.kind for span in spans], dtype=object)
    rows: list[tuple[int, int, int]] = []
    add = rows.append
    first_age: dict[tuple[int, int], int] = {}
    for k in np.flatnonzero(kinds == AGE).tolist():
        span = spans[k]
        value = span.value
        age = value if type(value) is int else _age(span)
        if age is None:
            continue
        if age < 18:
            add((k, 0, _MINOR))
        elif age <= 19:
            add((k, 0, _NEAR))
        if (span.attrs or {}).get("origin", "text") == "text":
            first_age.setdefault((ads[k], age), k)
    for k in np.flatnonzero(kinds == DESCRIPTOR).tolist():
        if (spans[k].attrs or {}).get("kind") == "ethnicity":
            add((k, 0, _ETHNIC))
    if hidden:
        contact = np.isin(kinds, list(_CONTACT_KINDS)) & np.isin(ads, list(hidden))
        for k in np.flatnonzero(contact).tolist():
            start, end = starts[k], ends[k]
            for a, b in hidden[ads[k]]:
                if a < end and start < b:
                    add((k, 0, _OBSCURED))
                    break
    first_name: dict[tuple[int, str], int] = {}
    for k in np.flatnonzero(kinds == NAME).tolist():
        span = spans[k]
        if span.value and span.confidence >= MIN_PROVIDER_NAME_CONFIDENCE:
            first_name.setdefault((ads[k], str(span.value).casefold()), k)
    for phase, group in ((1, first_name), (2, first_age)):
        if len(group) >= 2:
            per_ad = Counter(i for i, _key in group)
            rows += [(k, phase, _MULTIPLE) for (i, _key), k in group.items() if per_ad[i] >= 2]
    found = np.array(rows, dtype=np.int64).reshape(-1, 3)
    at, phase, rule = found[:, 0], found[:, 1], found[:, 2]
    ad, start, end = (np.asarray(column, dtype=np.int64)[at] for column in (ads, starts, ends))
    order = np.lexsort((at, phase, np.asarray(ranks, dtype=np.int64)[rule], end, start, ad))
    return found[order][:, [0, 2]]
