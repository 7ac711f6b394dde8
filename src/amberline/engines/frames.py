"""Parquet as the interchange format between engine stages: ads, bad records, screened ads.

Why Parquet and not pickles between tasks: partitions written to a shared folder are what
lets a distributed scan resume (a finished partition is a file), lets any worker on any node
pick up any partition, and leaves files a data engineer can open with their own tools. The
conversions are lossless for what the store keeps: a screened partition read back gives the
same `Ad`s and `Screening`s that went in (tests compare them field by field), so storing from
Parquet is storing what the local engine stores.

Span values use the store's own encoding (`encode_value`), dict fields (`raw`, `attrs`, image
hashes) are JSON text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from amberline.engines.workdir import temp_beside
from amberline.ingest.records import BadRecord
from amberline.link.hook import LinkInputs
from amberline.model import Ad, Flag, Obfuscation, Screening, Span, raw_with_meta, split_meta
from amberline.store.schema import decode_value, dump_json, encode_value

_TS = pa.timestamp("us", tz="UTC")
AD_FIELDS = [
    ("source", pa.string()), ("source_id", pa.string()), ("title", pa.string()),
    ("body", pa.string()), ("url", pa.string()), ("posted_at", _TS), ("city", pa.string()),
    ("region", pa.string()), ("country", pa.string()), ("image_hashes", pa.string()),
    ("raw", pa.string()), ("origin_file", pa.string()), ("origin_line", pa.int64()),
]
AD_SCHEMA = pa.schema(AD_FIELDS)
BAD_SCHEMA = pa.schema([
    ("file", pa.string()), ("line", pa.int64()), ("reason", pa.string()), ("excerpt", pa.string()),
    ("code", pa.string()),
])
SPAN_TYPE = pa.struct([
    ("kind", pa.string()), ("value", pa.string()), ("value_json", pa.bool_()),
    ("start", pa.int64()), ("end", pa.int64()), ("extractor", pa.string()),
    ("confidence", pa.float64()), ("attrs", pa.string()),
])
FLAG_TYPE = pa.struct([
    ("category", pa.string()), ("term", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
    ("weight", pa.float64()), ("rule", pa.string()), ("citation", pa.string()),
    ("contribution", pa.float64()),
])
OBF_TYPE = pa.struct([
    ("start", pa.int64()), ("end", pa.int64()), ("kind", pa.string()), ("original", pa.string()),
])
SCREENED_SCHEMA = pa.schema([
    ("key", pa.string()), *AD_FIELDS,
    ("score", pa.float64()), ("pipeline_version", pa.string()),
    ("spans", pa.list_(SPAN_TYPE)), ("flags", pa.list_(FLAG_TYPE)),
    ("obfuscations", pa.list_(OBF_TYPE)),
    # The linking input computed on the worker by the scan hook's own `prepare` (the MinHash
    # signature blob), so the driver only inserts it. Link keys are no column: a link run
    # derives them from the stored identifier rows.
    ("link_signature", pa.binary()), ("link_empty", pa.bool_()),
])


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file so that it either exists whole or not at all (resume relies on it)."""
    tmp = temp_beside(path)
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _json(value: Any) -> str | None:
    return dump_json(value) if value else None


def ad_columns(ads: list[Ad]) -> dict[str, list[Any]]:
    return {
        "source": [a.source for a in ads], "source_id": [a.source_id for a in ads],
        "title": [a.title for a in ads], "body": [a.body for a in ads],
        "url": [a.url for a in ads], "posted_at": [a.posted_at for a in ads],
        "city": [a.city for a in ads], "region": [a.region for a in ads],
        "country": [a.country for a in ads],
        "image_hashes": [_json(a.image_hashes) for a in ads],
        "raw": [_json(raw_with_meta(a)) for a in ads],
        "origin_file": [a.origin_file for a in ads], "origin_line": [a.origin_line for a in ads],
    }


def ads_table(ads: list[Ad]) -> pa.Table:
    return pa.Table.from_pydict(ad_columns(ads), schema=AD_SCHEMA)


def bad_table(bad: list[BadRecord]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"file": b.file, "line": b.line, "reason": b.reason, "excerpt": b.excerpt,
          "code": b.code} for b in bad],
        schema=BAD_SCHEMA,
    )


def _ad(row: dict[str, Any]) -> Ad:
    raw, meta = split_meta(json.loads(row["raw"]) if row["raw"] else {})
    return Ad(
        source=row["source"], title=row["title"], body=row["body"], source_id=row["source_id"],
        url=row["url"], posted_at=row["posted_at"], city=row["city"], region=row["region"],
        country=row["country"],
        image_hashes=json.loads(row["image_hashes"]) if row["image_hashes"] else [],
        raw=raw, meta=meta,
        origin_file=row["origin_file"], origin_line=row["origin_line"],
    )


def read_ads(path: Path) -> list[Ad]:
    return [_ad(row) for row in pq.read_table(path, schema=AD_SCHEMA).to_pylist()]


def read_bad(path: Path) -> list[BadRecord]:
    return [BadRecord(**row) for row in pq.read_table(path, schema=BAD_SCHEMA).to_pylist()]


def screened_table(
    ads: list[Ad], screenings: list[Screening], links: list[LinkInputs]
) -> pa.Table:
    columns: dict[str, list[Any]] = {"key": [s.ad_key for s in screenings], **ad_columns(ads)}
    columns["score"] = [s.score for s in screenings]
    columns["pipeline_version"] = [s.pipeline_version for s in screenings]
    columns["spans"] = [[_span_row(sp) for sp in s.spans] for s in screenings]
    columns["flags"] = [
        [{"category": f.category, "term": f.term, "start": f.start, "end": f.end,
          "weight": f.weight, "rule": f.rule, "citation": f.citation,
          "contribution": f.contribution} for f in s.flags]
        for s in screenings
    ]
    columns["obfuscations"] = [
        [{"start": o.start, "end": o.end, "kind": o.kind, "original": o.original}
         for o in s.obfuscations]
        for s in screenings
    ]
    columns["link_signature"] = [signature for signature, _ in links]
    columns["link_empty"] = [empty for _, empty in links]
    return pa.Table.from_pydict(columns, schema=SCREENED_SCHEMA)


def _span_row(span: Span) -> dict[str, Any]:
    value, is_json = encode_value(span.value)
    return {"kind": span.kind, "value": value, "value_json": is_json, "start": span.start,
            "end": span.end, "extractor": span.extractor, "confidence": span.confidence,
            "attrs": _json(span.attrs)}


def read_screened(path: Path) -> tuple[list[tuple[Ad, Screening]], list[LinkInputs]]:
    """A screened partition back as (ad, screening) pairs and each ad's linking inputs."""
    items: list[tuple[Ad, Screening]] = []
    links: list[LinkInputs] = []
    memo: dict[str, Any] = {}  # span attrs repeat ({"region": "US"}): parse each text once

    def parsed(text: str | None) -> dict[str, Any]:
        if not text:
            return {}
        found = memo.get(text)
        if found is None:
            found = memo[text] = json.loads(text)
        return dict(found)

    for row in pq.read_table(path, schema=SCREENED_SCHEMA).to_pylist():
        spans = [
            Span(s["kind"], decode_value(s["value"], s["value_json"]), s["start"], s["end"],
                 s["extractor"], s["confidence"], parsed(s["attrs"]))
            for s in row["spans"]
        ]
        flags = [Flag(**f) for f in row["flags"]]
        obfuscations = [Obfuscation(**o) for o in row["obfuscations"]]
        screening = Screening(row["key"], spans, flags, row["score"], row["pipeline_version"],
                              obfuscations)
        items.append((_ad(row), screening))
        links.append((row["link_signature"], row["link_empty"]))
    return items, links
