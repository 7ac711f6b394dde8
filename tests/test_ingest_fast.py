"""The readers' fast paths read every record as their general paths do: the JSON Lines reader's
orjson-on-bytes path against its decode-then-reference path, and `RecordMapper`'s kept plans
against trying every key of every field, on generated hostile records (wrong types, blanks,
U+0000, lone surrogates, floats, integers past 64 bits, nesting past the limit, bytes that
are not UTF-8, a byte order mark, JSON arrays)."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.ingest import jsonl
from amberline.ingest.json_record import UNREAD
from amberline.ingest.limits import MAX_JSON_DEPTH
from amberline.ingest.records import FIELD_KEYS, META_KEYS, BadRecord, ReadOptions, RecordMapper
from amberline.model import _TEXT_FIELDS, Ad

KEYS = sorted({key for keys in (*FIELD_KEYS.values(), *META_KEYS.values()) for key in keys}
              | {"source", "posted_at_unparsed", "other", "Title", "\ud800"})

any_char = st.characters(blacklist_categories=[])  # lone surrogates and U+0000 included
texts = st.text(any_char, max_size=12) | st.sampled_from(
    ["", " ", "\t\n", "Mia", "2021-03-04T05:06:07Z", "Tue, 02 Mar 2021 10:00:00 +0000",
     "1614679200", "9999-12-31T23:00:00-05:00", "a\x00b", "  Springfield,\n Downtown  "])
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.integers(min_value=2**63, max_value=2**70) | texts)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
fitting = st.sampled_from(["Mia", "  Springfield,\n Downtown  ", "23", "2021-03-04", "x" * 250,
                           "703 555 0142", 25, 7.5, "", " ", None])
records = st.builds(
    lambda known, other: {**other, **known},
    st.fixed_dictionaries({}, optional={key: fitting | values for key in KEYS}),
    st.dictionaries(texts, values, max_size=3),
)


def described(item: Ad | BadRecord) -> str:
    """Every field of a reader's item, with its types (1, 1.0 and True differ), as text."""
    if isinstance(item, Ad):
        fields = [(f.name, getattr(item, f.name)) for f in dataclasses.fields(item)
                  if f.name not in ("_digest", "_text")]
        return repr(("Ad", fields))
    return repr(("BadRecord", dataclasses.astuple(item)))


def deep(levels: int) -> str:
    return '{"title": "x", "n": ' + "[" * levels + "]" * levels + "}"


def line_bytes(kind: int, record: dict[str, Any], ascii_only: bool, junk: bytes) -> bytes:
    """One line of a hostile file: mostly records, some of every kind of refusal."""
    if kind == 0:
        return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if kind == 1:  # bytes that may not be UTF-8, inside a record
        text = json.dumps(record, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        return text[:1] + junk + text[1:]
    if kind == 2:
        return [b"", b"  \t", b"[", b"[1, 2]", b'"text"', b"null", b"{", b"\xef\xbb\xbf{}",
                b'{"body": NaN}', b'{"body": "x", "n": 1e400}', b'{"a": 1, "a": 2}'][len(junk) % 11]
    if kind == 3:
        return deep(MAX_JSON_DEPTH - 1 + len(junk) % 4).encode()
    return json.dumps(record, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


lines = st.lists(st.tuples(st.integers(0, 4), records, st.booleans(), st.binary(max_size=4)),
                 min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(lines, st.booleans())
def test_jsonl_fast_path_reads_every_line_as_the_reference_path(
    tmp_path_factory: Any, spec: list[tuple[int, dict[str, Any], bool, bytes]], bom: bool
) -> None:
    data = b"\n".join(line_bytes(*item) for item in spec)
    path = tmp_path_factory.mktemp("fast") / "ads.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    fast = [described(item) for item in jsonl.read_jsonl(path, ReadOptions())]
    with mock.patch.object(jsonl, "quick_decode", lambda data: UNREAD):
        reference = [described(item) for item in jsonl.read_jsonl(path, ReadOptions())]
    assert fast == reference


def test_jsonl_fast_path_keeps_line_numbers_excerpts_and_the_array_hint(tmp_path: Path) -> None:
    long_text = "🌹" * 300  # an excerpt made from the line's bytes could differ
    path = tmp_path / "ads.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": 1, "location": long_text}, ensure_ascii=False),
        deep(MAX_JSON_DEPTH + 1),
        "[",
    ]) + "\n", encoding="utf-8")
    items = list(jsonl.read_jsonl(path, ReadOptions()))
    assert [(b.line, b.code) for b in items if isinstance(b, BadRecord)] == [
        (1, "no_text"), (2, "too_deep"), (3, "bad_json")]
    assert items[0].excerpt == ('{"id": 1, "location": "' + long_text)[:199] + "…"
    assert "one JSON array" not in items[2].reason  # not the first line with content
    # A first line read by orjson, whether mapped or refused, is the file's first content.
    for first in ('{"body": "Mia"}', deep(MAX_JSON_DEPTH + 1)):
        path.write_text(f"\n{first}\n[\n", encoding="utf-8")
        last = list(jsonl.read_jsonl(path, ReadOptions()))[-1]
        assert isinstance(last, BadRecord) and last.line == 3
        assert last.reason.startswith("invalid JSON")


COLUMNS = ["id", "title", "body", "text", "location", "age", "source", "posted_at_unparsed",
           "date", "phone", "city"]
column_maps = st.dictionaries(st.sampled_from([*FIELD_KEYS, *META_KEYS, "source"]),
                              st.sampled_from(COLUMNS), max_size=3)


@settings(max_examples=300, deadline=None)
@given(column_maps, st.sampled_from([None, "given"]), st.lists(records, max_size=12))
def test_mapper_plans_map_as_trying_every_key(
    column_map: dict[str, str], source: str | None, raws: list[dict[str, Any]]
) -> None:
    options = ReadOptions(source=source, column_map=column_map)
    planned = RecordMapper(options, "stem", "f.jsonl", Path("."))
    every = RecordMapper(options, "stem", "f.jsonl", Path("."))
    every._plans = None
    for line, raw in enumerate([*raws, *raws]):  # the second round maps by kept plans
        raw = {key: value for key, value in raw.items() if key != "images"}
        a, b = copy.deepcopy(raw), copy.deepcopy(raw)
        got = [described(item) for item in planned.ads(a, line, "excerpt")]
        assert got == [described(item) for item in every.ads(b, line, "excerpt")]
        assert repr(a) == repr(b)


def test_mapper_plans_are_bounded_and_still_right() -> None:
    planned = RecordMapper(ReadOptions(), "stem", "f.jsonl", Path("."))
    every = RecordMapper(ReadOptions(), "stem", "f.jsonl", Path("."))
    every._plans = None
    wide = {f"k{i}": i for i in range(100)}
    for n in range(400):
        raw = {f"extra{n}": 1, "id": n, "body": "Mia", "location": " x  y ", **wide}
        if n % 3:
            raw.pop("location")
        got = planned.to_ad(copy.deepcopy(raw))
        assert got == every.to_ad(copy.deepcopy(raw)) and got is not None
        assert got.meta == ({"location": "x y"} if n % 3 == 0 else {})
    assert planned._plans is not None and len(planned._plans) == 0  # over the key limit
    narrow = RecordMapper(ReadOptions(), "stem", "f.jsonl", Path("."))
    for n in range(400):
        assert narrow.to_ad({f"extra{n}": 1, "title": "t", "source": "s"}) is not None
    assert narrow._plans is not None and len(narrow._plans) == 256


def test_a_column_map_naming_the_unparsed_date_key_tries_every_key() -> None:
    mapper = RecordMapper(ReadOptions(column_map={"city": "posted_at_unparsed"}), "stem",
                          "f.jsonl", Path("."))
    ad = mapper.to_ad({"body": "Mia", "posted_at": "not a date"})
    assert ad is not None and ad.city == "not a date" and ad.raw == {}


def test_every_text_field_of_an_ad_loses_its_nul() -> None:
    for name in _TEXT_FIELDS:
        ad = Ad(**{"source": "s", "body": "b", name: "a\x00b"})
        assert getattr(ad, name) == "a\ufffdb"
        assert all("\x00" not in (getattr(ad, other) or "") for other in _TEXT_FIELDS)


def test_mapper_builds_the_ad_a_call_by_keywords_builds() -> None:
    mapper = RecordMapper(ReadOptions(), "stem", "f.jsonl", Path("."))
    record = {"id": 7, "title": "T", "body": "B", "url": "U", "posted_at": 1709632800,
              "city": "C", "state": "R", "country": "K", "location": " L  1 ", "age": 23,
              "source": "S", "other": [1]}
    first, second = (mapper.ads(dict(record), line, "excerpt")[0] for line in (3, 4))
    assert isinstance(first, Ad) and isinstance(second, Ad)
    expected = Ad(source="S", title="T", body="B", source_id="7", url="U",
                  posted_at=first.posted_at, city="C", region="R", country="K",
                  raw={"other": [1]}, meta={"location": "L 1", "age": "23"})
    assert described(first) == described(dataclasses.replace(
        expected, origin_file="f.jsonl", origin_line=3))
    assert first.posted_at is not None and first.posted_at.timestamp() == 1709632800
    assert (second.origin_file, second.origin_line) == ("f.jsonl", 4)
    assert first.image_hashes == [] and first.image_hashes is not second.image_hashes
    bare = mapper.ads({"body": "B"}, 5, "excerpt")[0]
    assert described(bare) == described(Ad(source="stem", body="B", origin_file="f.jsonl",
                                           origin_line=5))
    blank = mapper.ads({"body": "B", "location": " \n", "age": "", "age_field": "23"}, 6, "")[0]
    assert isinstance(blank, Ad) and blank.meta == {"age": "23"}
    assert blank.raw == {"location": " \n", "age": ""}
    flags = mapper.ads({"body": "B", "id": True, "ad_id": 8, "age": True, "poster_age": 7},
                       7, "")[0]
    assert isinstance(flags, Ad) and (flags.source_id, flags.meta) == ("8", {"age": "7"})
    assert flags.raw == {"id": True, "age": True}  # a flag is no text
