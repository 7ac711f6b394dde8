"""decode_record: the orjson path gives the values, codes and messages of the `json` reference
(`reference_decode`) on every line, hostile ones included."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.ingest.codes import Code
from amberline.ingest.json_record import RecordError, decode_record, reference_decode
from amberline.ingest.limits import MAX_JSON_DEPTH


def outcome(decode: Any, text: str) -> tuple[str, Any]:
    """What a decoder makes of `text`: ("value", value with its types) or the refusal."""
    try:
        return "value", typed(decode(text))
    except RecordError as exc:
        return "record", (exc.code, str(exc))
    except json.JSONDecodeError as exc:
        return "json", (exc.msg, exc.pos)


def typed(value: Any) -> Any:
    """`value` with each scalar's type beside it (1 == 1.0 == True in Python), NaN comparable."""
    if isinstance(value, dict):
        return {"dict": [(k, typed(v)) for k, v in value.items()]}
    if isinstance(value, list):
        return {"list": [typed(v) for v in value]}
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def same(text: str) -> None:
    assert outcome(decode_record, text) == outcome(reference_decode, text)


HOSTILE = [
    '{"id": 18446744073709551616, "title": "x"}',  # past 64 bits: orjson gives a float
    '{"id": -9223372036854775809}', '[18446744073709551615]', '{"id": 9223372036854775807}',
    '{"n": 1e400}', '{"n": -1e400}', '{"n": NaN}', '[Infinity]', '[1.5e-400]', '-0', '[-0.0]',
    '{"t": "\\ud83d"}', '{"t": "\\udc00\\ud800"}', '{"t": "\\ud83d\\ude00"}', '{"\\ud800": 1}',
    '{"t": "a\tb"}', '{"t": "\\u0000"}', '{"a": 1, "a": 2}', ' {} ', '{"a": 1,}', "", "nul",
    '{"n": ' + "9" * 1001 + "}", '{"n": ' + "9" * 5000 + "}", '{"n": 1.' + "5" * 400 + "}",
    "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1),
    "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH,
    "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
    '{"a": [1, {"b": ' * 40 + "1" + "}]" * 40 + "}", '[{"price": 12.5, "id": 3}]', "2.5",
    '{"a": ' * 70 + "1" + "}" * 70, "[" * 1100 + "]" * 1100, "[" * 5000 + "]" * 5000,
    '{"title": "x", "images": [{"path": "a.jpg"}], "meta": {"k": [1, 2.5, null, true]}}',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_lines_decode_as_the_reference(text: str) -> None:
    same(text)


def test_the_refusals_keep_their_codes() -> None:
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    for text, code in [(deep, Code.TOO_DEEP), ("[" * 5000 + "]" * 5000, Code.TOO_DEEP),
                       ('{"n": ' + "9" * 1001 + "}", Code.BIG_NUMBER),
                       ('{"t": "\\ud83d"}', Code.BAD_ENCODING)]:
        with pytest.raises(RecordError) as caught:
            decode_record(text)
        assert caught.value.code == code
    with pytest.raises(json.JSONDecodeError):
        decode_record('{"a": 1,}')
    assert decode_record('{"id": 18446744073709551616}') == {"id": 18446744073709551616}
    assert isinstance(decode_record('[-9223372036854775809]')[0], int)


any_char = st.characters(blacklist_categories=[])  # lone surrogates included
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(any_char, max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(any_char, max_size=6), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values, st.booleans())
def test_generated_records_decode_as_the_reference(value: Any, ascii_only: bool) -> None:
    same(json.dumps(value, ensure_ascii=ascii_only))


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from('{}[]",:0123456789-+.eE \t\nnulltruefalseNaN\\ud83dx\u00e9'),
               max_size=40))
def test_arbitrary_text_decodes_as_the_reference(text: str) -> None:
    same(text)
