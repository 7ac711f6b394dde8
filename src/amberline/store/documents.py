"""An ad's screening evidence as one stored document, and the rows indexed beside it.

Why one document: an ad's spans and flags are always read together and whole (the evidence
view, a case file, linking, alert checks); as one row per span and per flag, each with its
indexes, they were most of what a scan spent writing. So `ads.screening` holds them as one
compact JSON document (bytes; spans and flags as arrays in a fixed field order). What is
looked up across ads stays indexed rows:
- `identifiers`: one row per distinct (kind, value) of an ad, for the kinds that exact lookups
  ask for (`INDEXED_KINDS`: everything but prices), value encoded as `encode_value` encodes it;
- `flag_categories`: one row per flag category of an ad with its number of flags (the
  workspace's category filter and counts);
- `ads.flag_count`: the ad's distinct (rule, term) pairs, the number ranked lists show.
Image hashes keep their own table (`image_hashes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

import orjson

from amberline.model import (
    AGE,
    DESCRIPTOR,
    EMAIL,
    HANDLE,
    NAME,
    PHONE,
    PLACE,
    PRICE,
    URL,
    Flag,
    Span,
)
from amberline.store.schema import encode_value, json_bytes

# Span kinds with identifier rows: those an exact lookup asks for (find, alerts, networks).
INDEXED_KINDS = frozenset({PHONE, EMAIL, URL, HANDLE, AGE, PLACE, NAME, DESCRIPTOR})
UNINDEXED_KINDS = frozenset({PRICE})  # span kinds no lookup asks for
FORMAT = 1  # the document's layout version, stored in it as "v"


def encode(spans: Iterable[Span], flags: Iterable[Flag]) -> bytes:
    """The stored document of an ad's spans and flags.

    Raises ValueError, before anything of the batch is written, for a span or flag without
    integer offsets: evidence must point at its text (the per-row tables refused it too).
    """
    # Tuples, each checked as it is built: a scan encodes one document per ad, and JSON
    # writes a tuple as the array a list gives.
    span_list = []
    for s in spans:
        start, end = s.start, s.end
        if type(start) is not int or type(end) is not int:
            _not_offsets(s.kind, s.value, start, end)
        span_list.append((s.kind, s.value, start, end, s.extractor, s.confidence,
                          s.attrs or None))
    flag_list = []
    for f in flags:
        start, end = f.start, f.end
        if type(start) is not int or type(end) is not int:
            _not_offsets(f.category, f.term, start, end)
        flag_list.append((f.category, f.term, start, end, f.weight, f.rule, f.citation,
                          f.contribution))
    return json_bytes({"v": FORMAT, "s": span_list, "f": flag_list})


def _not_offsets(kind: str, value: Any, start: Any, end: Any) -> NoReturn:
    raise ValueError(f"{kind} {value!r} has offsets {start!r}..{end!r}; "
                     "evidence needs integer offsets into the ad's text")


def decode(document: bytes | None) -> tuple[list[Span], list[Flag]]:
    """Spans and flags of a stored document (none when there is no document)."""
    if not document:
        return [], []
    doc = orjson.loads(document)
    if doc.get("v") != FORMAT:
        raise ValueError(f"stored screening document has format {doc.get('v')!r}, "
                         f"this version reads {FORMAT}")
    spans = [Span(kind, value, start, end, extractor, conf, attrs or {})
             for kind, value, start, end, extractor, conf, attrs in doc["s"]]
    return spans, [Flag(*fields) for fields in doc["f"]]


def decode_spans(document: bytes | None) -> list[Span]:
    """Only the spans of a stored document."""
    return decode(document)[0]


def identifier_rows(ad_id: int, spans: Iterable[Span]) -> list[tuple[int, str, str]]:
    """The ad's `identifiers` rows: (ad_id, kind, stored value text) of each distinct
    (kind, value) of the indexed kinds, in first-seen order.

    Rows rather than (kind, value) pairs: a scan makes them for every ad, and the pairs were
    only ever copied into rows by the caller, a second loop and tuple per identifier.
    """
    out: dict[tuple[int, str, str], None] = {}
    for s in spans:
        kind = s.kind
        if kind in INDEXED_KINDS:
            value = s.value
            if type(value) is not str:  # ages: `encode_value`'s text of an int, made here
                value = str(value) if type(value) is int else encode_value(value)[0]
            out[ad_id, kind, value] = None
    return list(out)


def category_counts(flags: Iterable[Flag]) -> dict[str, int]:
    """{category: number of flags}, in first-seen order."""
    counts: dict[str, int] = {}
    for f in flags:  # a few flags per ad: a plain loop costs less than building a Counter
        counts[f.category] = counts.get(f.category, 0) + 1
    return counts


def flag_count(flags: Iterable[Flag]) -> int:
    """Distinct (rule, term) pairs, case folded: one emoji repeated twelve times is one flag
    in a listing, as it is in the score (the document keeps every span)."""
    return len({(f.rule, f.term.lower()) for f in flags})


def as_rows(document: bytes | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The document's spans and flags as the row dicts of the per-span and per-flag tables of
    earlier releases (the Parquet export's spans and flags files, migration 0012's downgrade)."""
    spans, flags = decode(document)
    span_rows = []
    for s in spans:
        text, is_json = encode_value(s.value)
        span_rows.append({"kind": s.kind, "value": text, "value_json": is_json,
                          "start": s.start, "end": s.end, "extractor": s.extractor,
                          "confidence": s.confidence, "attrs": s.attrs or None})
    flag_rows = [{"category": f.category, "term": f.term, "start": f.start, "end": f.end,
                  "weight": f.weight, "contribution": f.contribution, "rule": f.rule,
                  "citation": f.citation} for f in flags]
    return span_rows, flag_rows
