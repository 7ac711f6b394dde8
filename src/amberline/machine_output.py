"""The machine interface's record: one JSON object per screened ad.

Evaluation harnesses and other programs read this shape (`amberline extract`), so it is kept
flat and stable: identifiers as plain values, structured entities as small objects, every flag
with its evidence offsets into the ad's text (title and body joined by a newline).
"""

from __future__ import annotations

from typing import Any

from amberline.extract.places import is_listed
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
    Screening,
    Span,
)


def _unique(values: list[Any]) -> list[Any]:
    """Distinct values in order of first appearance (values may be unhashable dicts)."""
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _price(span: Span) -> dict[str, Any]:
    attrs = span.attrs
    price = {
        "amount": attrs.get("amount", span.value),
        "currency": attrs.get("currency"),
        "minutes": attrs.get("minutes"),
    }
    if attrs.get("code_word"):
        price["code_word"] = attrs["code_word"]
    return price


def screening_record(ad_id: str, screening: Screening) -> dict[str, Any]:
    """Turn a screening into the machine interface's JSON-ready dict."""
    by_kind: dict[str, list[Span]] = {}
    for span in screening.spans:
        by_kind.setdefault(span.kind, []).append(span)

    def values(kind: str) -> list[Any]:
        return _unique([s.value for s in by_kind.get(kind, [])])

    return {
        "id": ad_id,
        "phones": values(PHONE),
        "emails": values(EMAIL),
        "urls": values(URL),
        "handles": _unique(
            [
                {"platform": s.attrs.get("platform", "unknown"), "handle": s.value}
                for s in by_kind.get(HANDLE, [])
            ]
        ),
        "ages": values(AGE),
        "age_details": _unique(
            [{"value": s.value, "origin": s.attrs.get("origin", "text")}
             for s in by_kind.get(AGE, [])]
        ),
        "prices": _unique([_price(s) for s in by_kind.get(PRICE, [])]),
        "places": _unique([s.value for s in by_kind.get(PLACE, []) if not is_listed(s)]),
        "listed_places": _unique([s.value for s in by_kind.get(PLACE, []) if is_listed(s)]),
        "names": values(NAME),
        "descriptors": _unique(
            [
                {"kind": s.attrs.get("kind"), "value": s.attrs.get("value", s.value)}
                for s in by_kind.get(DESCRIPTOR, [])
            ]
        ),
        "flags": [
            {
                "category": f.category,
                "term": f.term,
                "start": f.start,
                "end": f.end,
                "rule": f.rule,
                "contribution": round(f.contribution, 4),
            }
            for f in screening.flags
        ],
        "score": round(screening.score, 4),
        "excluded": [
            {"reason": e.reason, "start": e.start, "end": e.end} for e in screening.exclusions
        ],
    }
