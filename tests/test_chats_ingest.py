"""Conversation ingest: every supported format read into the same records, and every bad record
quarantined with a reason while the good ones around it still come through. All conversations
here are invented, clinical and non-explicit."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.chats.features import prefix, word_count
from amberline.chats.ingest import (
    _SLOW,
    ChatReadOptions,
    UnsupportedChatInput,
    _fast_decode,
    _from_json_record,
    parse_label,
    read_conversations,
)
from amberline.chats.records import Conversation, Message
from amberline.ingest import BadRecord

HELLO = [
    {"author": "a", "time": "10:00", "text": "hello, how was school today"},
    {"author": "b", "time": "10:01", "text": "fine thanks, lots of homework"},
]


def read(path: Path, **kw) -> tuple[list[Conversation], list[BadRecord]]:
    items = list(read_conversations(path, ChatReadOptions(**kw)))
    convs = [i for i in items if isinstance(i, Conversation)]
    bad = [i for i in items if isinstance(i, BadRecord)]
    assert len(convs) + len(bad) == len(items)
    return convs, bad


def test_jsonl_good_and_bad_records(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "c1", "messages": HELLO, "label": 1}),
        "{not json",
        json.dumps({"id": "c2", "messages": []}),
        json.dumps({"id": "c3", "messages": [{"author": "a", "text": 5}]}),
        "",
        json.dumps({"text": "one message only", "label": "0"}),
        json.dumps([1, 2]),
        json.dumps({"id": "c6", "messages": HELLO, "label": "maybe"}),
    ]
    path = tmp_path / "chats.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "x\xff"}\n')
    convs, bad = read(path)
    assert [c.id for c in convs] == ["c1", "4"]
    assert convs[0].label == 1 and convs[1].label == 0
    assert convs[0].messages[1] == Message("b", "fine thanks, lots of homework", "10:01")
    assert convs[1].messages == [Message("", "one message only")]
    reasons = {b.line: b.reason for b in bad}
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "no messages"
    assert reasons[4] == "message 0: text is not a string"
    assert "not an object" in reasons[7]
    assert "label must be 0 or 1" in reasons[8]
    assert reasons[9].startswith("invalid UTF-8")


def test_jsonl_lines_the_fast_decoder_leaves_to_json(tmp_path: Path) -> None:
    """Lines orjson refuses or would read otherwise are read by the `json` module as before:
    integers beyond 64 bits stay integers (not floats), NaN and a lone surrogate escape
    parse, a byte order mark is skipped."""
    lines = [
        '{"id": 12345678901234567890123, "messages": [{"author": 7, "text": "hi"}]}',
        '{"id": "t", "messages": [{"author": 123456789012345678901, "text": "hi", "time": '
        '123456789012345678901}]}',
        '123456789012345678901',
        '{"id": "n", "label": NaN, "messages": [{"text": "hi"}]}',
        '{"id": "s", "messages": [{"author": "a", "text": "half \\ud83d", "time": 5}]}',
        '\ufeff{"id": "b", "messages": [{"author": " a ", "text": "hi", "time": "t"}]}',
    ]
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    convs, bad = read(path)
    assert [c.id for c in convs] == ["12345678901234567890123", "t", "s", "b"]
    assert convs[0].messages == [Message("7", "hi")]
    assert convs[1].messages == [Message("123456789012345678901", "hi",
                                         "123456789012345678901")]
    assert convs[2].messages == [Message("a", "half \ud83d", "5")]
    assert convs[3].messages == [Message("a", "hi", "t")]
    assert [(b.line, b.reason) for b in bad[:1]] == [(3, "JSON int is not an object")]
    assert bad[1].line == 4 and "label must be 0 or 1" in bad[1].reason


@settings(max_examples=300, deadline=None)
@given(value=st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12), shape=st.sampled_from(["any", "record", "text"]))
def test_fast_decoder_reads_as_json_does(value, shape) -> None:
    """Whatever orjson reads equals the `json` module's value in every field a record is
    read from (floats by repr, so NaN and -0.0 count), and the same record comes of it;
    what it would read otherwise it leaves to the `json` module."""
    if shape == "record":
        value = {"id": value, "label": value, "messages": [{"author": value, "time": value,
                                                            "text": "x"}]}
    elif shape == "text":
        value = {"id": "x", "author": value, "text": "x"}
    line = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    fast = _fast_decode(line)
    if fast is _SLOW:
        return
    slow = json.loads(line.decode("utf-8"))
    if shape == "any" and not isinstance(slow, dict | list):
        assert repr(fast) == repr(slow)
    try:
        want = _from_json_record(slow, 3, "s")
    except (ValueError, RecursionError) as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            _from_json_record(fast, 3, "s")
    else:
        assert _from_json_record(fast, 3, "s") == want


def test_jsonl_record_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    big = {"id": "big", "messages": [{"author": "a", "text": "word " * 5000}]}
    path.write_text(json.dumps(big) + "\n" + json.dumps({"id": "ok", "messages": HELLO}) + "\n")
    convs, bad = read(path, max_record_bytes=1000)
    assert [c.id for c in convs] == ["ok"]
    assert bad[0].reason.startswith("record too large") and bad[0].line == 1


PAN = """<?xml version="1.0" encoding="UTF-8"?>
<conversations>
<conversation id="p1">
  <message line="1"><author>aa11</author><time>03:20</time><text>hi there</text></message>
  <message line="2"><author>bb22</author><time>03:21</time><text>hey, what grade</text></message>
</conversation>
<conversation id="p2"></conversation>
<conversation id="p3">
  <message line="1"><author>cc33</author><time>04:00</time><text>see you &amp; bye</text></message>
</conversation>
<conversation id="p4">
  <message line="1"><author>dd</author><text>cut off
"""


def test_pan_xml_streams_and_reports_malformed_tail(tmp_path: Path) -> None:
    path = tmp_path / "pan.xml"
    path.write_text(PAN)
    convs, bad = read(path)
    assert [c.id for c in convs] == ["p1", "p3"]
    assert convs[0].messages[1] == Message("bb22", "hey, what grade", "03:21")
    assert convs[1].messages[0].text == "see you & bye"
    assert bad[0].reason == "no messages" and bad[0].line == 7
    assert bad[-1].reason.startswith("malformed XML")


def test_pan_xml_entities_are_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<conversations><conversation id="e"><message line="1"><author>a</author>'
        "<text>hello &x; there</text></message></conversation></conversations>"
    )
    convs, _ = read(path)
    text = " ".join(m.text for c in convs for m in c.messages)
    assert "root:" not in text


def test_telegram_single_chat_and_full_export(tmp_path: Path) -> None:
    chat = {
        "name": "Study group", "type": "personal_chat", "id": 4242,
        "messages": [
            {"id": 1, "type": "message", "date": "2024-05-01T10:00:00", "from": "Alex",
             "text": "did you finish the reading"},
            {"id": 2, "type": "service", "action": "pin_message", "actor": "Alex"},
            {"id": 3, "type": "message", "date": "2024-05-01T10:02:00", "from": "Sam",
             "text": ["yes, see ", {"type": "link", "text": "the notes"}, " page 3"]},
            {"id": 4, "type": "message", "from": "Sam", "photo": "photos/x.jpg", "text": ""},
        ],
    }
    one = tmp_path / "result.json"
    one.write_text(json.dumps(chat))
    convs, bad = read(one)
    assert not bad
    assert convs[0].id == "4242"
    assert [m.text for m in convs[0].messages] == ["did you finish the reading",
                                                   "yes, see the notes page 3"]
    assert [m.author for m in convs[0].messages] == ["Alex", "Sam"]
    full = tmp_path / "export.json"
    full.write_text(json.dumps({"chats": {"list": [chat, {"id": 7, "messages": "oops"}]}}))
    convs, bad = read(full)
    assert [c.id for c in convs] == ["4242"]
    assert bad[0].reason.startswith("chat 1:")


def test_discord_export(tmp_path: Path) -> None:
    doc = {
        "guild": {"id": "1", "name": "Guild"},
        "channel": {"id": "99", "name": "general"},
        "messages": [
            {"id": "m1", "timestamp": "2024-05-01T10:00:00+00:00", "content": "hello all",
             "author": {"id": "u1", "name": "river"}, "attachments": []},
            {"id": "m2", "timestamp": "2024-05-01T10:01:00+00:00", "content": "",
             "author": {"id": "u2", "name": "stone"}, "attachments": [{"url": "x.png"}]},
            {"id": "m3", "timestamp": "2024-05-01T10:02:00+00:00", "content": "hi river",
             "author": {"id": "u2", "name": "stone"}},
        ],
    }
    path = tmp_path / "channel.json"
    path.write_text(json.dumps(doc))
    convs, bad = read(path)
    assert not bad
    assert convs[0].id == "99"
    assert [(m.author, m.text) for m in convs[0].messages] == [("river", "hello all"),
                                                               ("stone", "hi river")]


def test_unrecognised_json_export_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"hello": 1}))
    convs, bad = read(path)
    assert not convs and "not recognised" in bad[0].reason
    path.write_text("{broken")
    assert read(path)[1][0].reason.startswith("invalid JSON")


def test_csv_one_conversation_per_row(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["segment", "label"])
        w.writerow(["first conversation text", "1"])
        w.writerow(["", "0"])
        w.writerow(["third conversation text", "0", "extra"])
        w.writerow(["fourth conversation text", "0"])
    convs, bad = read(path, text_column="segment")
    assert [(c.id, c.label) for c in convs] == [("0", 1), ("3", 0)]
    assert convs[0].messages == [Message("", "first conversation text")]
    assert {b.reason for b in bad} == {"no text in column 'segment'",
                                       "wrong number of fields: expected 2, got 3"}


def test_csv_id_and_label_columns(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("key,body,flag\nk1,some text,1\nk2,more text,yes\n")
    convs, bad = read(path, text_column="body", id_column="key", label_column="flag")
    assert [(c.id, c.label) for c in convs] == [("k1", 1)]
    assert "label must be 0 or 1" in bad[0].reason


def test_parquet_rows(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": ["alpha text", None, "gamma text"], "label": [0, 1, 1]}),
                   path)
    convs, bad = read(path)
    assert [(c.id, c.label, c.messages[0].text) for c in convs] == [("0", 0, "alpha text"),
                                                                    ("2", 1, "gamma text")]
    assert len(bad) == 1


def test_format_by_name_and_forced(tmp_path: Path) -> None:
    path = tmp_path / "chats.txt"
    path.write_text(json.dumps({"id": "x", "messages": HELLO}) + "\n")
    with pytest.raises(UnsupportedChatInput):
        read(path)
    convs, _ = read(path, format="jsonl")
    assert convs[0].id == "x"


@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("0", 0), ("true", 1), (None, None),
                                                 (False, 0), ("1.0", 1)])
def test_parse_label(value, expected) -> None:
    assert parse_label(value) == expected


def test_prefix_cuts_by_words_across_messages() -> None:
    conv = Conversation("c", [Message("a", "one two three"), Message("b", "four five six seven"),
                              Message("a", "eight nine ten")], 1)
    assert word_count(conv) == 10
    cut = prefix(conv, 0.5)
    assert [m.text for m in cut.messages] == ["one two three", "four five"]
    assert cut.label == 1
    assert [m.text for m in prefix(conv, 0.01).messages] == ["one"]
    assert prefix(conv, 1.0).messages == conv.messages
