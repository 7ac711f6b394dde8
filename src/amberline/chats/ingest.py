"""Read conversations from chat logs and exports as a stream, quarantining what cannot be read.

Formats (picked by `detect_format` from the name, or forced with `ChatReadOptions.format`):

- ``jsonl``: JSON Lines, one conversation per line:
  ``{"id", "messages": [{"author", "time", "text"}], "label"?}``; a line with ``text`` instead
  of ``messages`` is a conversation of one message. Without ``id`` the id is the record number
  from 0.
- ``pan``: the PAN 2012 Sexual Predator Identification XML (``<conversation id><message
  line><author/><time/><text/></message></conversation>``), parsed incrementally with entity
  expansion, DTD loading and network access off.
- ``telegram``: a Telegram Desktop "Export chat history" JSON file (``result.json``): one chat
  (``{"name", "id", "messages": [...]}``) or a full export (``{"chats": {"list": [...]}}``).
  Text entities are joined to plain text; service messages and media-only messages (no text)
  are skipped, since media is never read.
- ``discord``: a DiscordChatExporter JSON export (``{"guild", "channel", "messages": [{"author":
  {"name"}, "timestamp", "content"}]}``); one conversation per channel file.
- ``csv`` / ``parquet``: one conversation per row, its text one message (`text_column`);
  `id_column` (when the column is absent the id is the row number from 0) and `label_column`.
  These reuse the ad readers (same quarantine of malformed rows, bad UTF-8, size limits).

Both JSON exports are single documents: they are read whole, up to `max_export_bytes`, and
every chat in them is checked on its own. Labels are 1 (act on) or 0; any other value is a
bad record rather than a guess.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from amberline.chats.records import Conversation, Message
from amberline.ingest.jsonl import READ_ERRORS, ByteMeter, open_stream, read_lines
from amberline.ingest.records import FIELD_KEYS, BadRecord, ReadOptions, excerpt_of
from amberline.model import Ad

Progress = Callable[[int], None] | None
FORMATS = ("jsonl", "pan", "telegram", "discord", "csv", "parquet")
_UNUSED = "\x00unused"  # a column name no input has: keeps the ad mapper off our columns


class UnsupportedChatInput(ValueError):
    """The input's format cannot be told or is not supported; the message names the fix."""


@dataclass
class ChatReadOptions:
    """How to read one input: format, the columns of tabular input, and size limits."""

    format: str | None = None
    text_column: str = "text"
    id_column: str = "id"
    label_column: str = "label"
    max_record_bytes: int = 16_000_000
    max_export_bytes: int = 1_000_000_000
    max_messages: int = 100_000


def detect_format(path: Path) -> str:
    """The reader for `path` by its name; a `.json` export is told apart by its content."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".xml"):
        return "pan"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".json"):
        return "json"  # telegram or discord: decided after parsing
    raise UnsupportedChatInput(
        f"{path}: cannot tell the format from the name (.jsonl, .xml, .json, .csv, .tsv,"
        f" .parquet); set it with --format ({', '.join(FORMATS)})"
    )


def read_conversations(
    path: Path, options: ChatReadOptions | None = None, progress: Progress = None
) -> Iterator[Conversation | BadRecord]:
    """Stream the conversations and bad records of one file, in input order."""
    options = options or ChatReadOptions()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    fmt = options.format or detect_format(path)
    if fmt not in (*FORMATS, "json"):
        raise UnsupportedChatInput(f"{path}: unknown format {fmt!r}; use one of {FORMATS}")
    if fmt == "jsonl":
        return _read_jsonl(path, options, progress)
    if fmt == "pan":
        return _read_pan(path, options, progress)
    if fmt in ("telegram", "discord", "json"):
        return _read_export(path, options, fmt, progress)
    return _read_table(path, options, fmt, progress)


# ------------------------------------------------------------------ shared checks


def parse_label(value: Any) -> int | None:
    """1 or 0 from the usual spellings; None for a missing value; ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false", "0.0",
                                                           "1.0"):
        return 1 if value.strip().lower() in ("1", "true", "1.0") else 0
    raise ValueError(f"label must be 0 or 1, got {excerpt_of(repr(value))}")


def _ident(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _checked(conv: Conversation, options: ChatReadOptions) -> str | None:
    """Why `conv` cannot be screened, or None."""
    if not conv.messages:
        return "no messages"
    if len(conv.messages) > options.max_messages:
        return f"too many messages ({len(conv.messages)} > {options.max_messages})"
    if not any(m.text.strip() for m in conv.messages):
        return "no text in any message"
    return None


def _message(item: Any, index: int) -> Message:
    """A JSON message object -> Message; ValueError names the message index and the fault."""
    if not isinstance(item, dict):
        raise ValueError(f"message {index}: not an object")
    text = item.get("text", "")
    if not isinstance(text, str):
        raise ValueError(f"message {index}: text is not a string")
    # the usual shapes (a string or no author, a string or no time) without the general
    # checks: a message of a few bytes is read faster than these calls run
    author = item.get("author")
    author = author.strip() if type(author) is str else _ident(author) or ""
    when = item.get("time")
    if when is not None and type(when) is not str:
        when = str(when) if isinstance(when, str | int | float) else None
    return Message(author, text, when)


def _messages(raw: list) -> list[Message]:
    """`_message` of each item, the usual shape (string text and author, a string time or
    none) taken without a call per message."""
    out = []
    append = out.append
    for i, item in enumerate(raw):
        if type(item) is dict:
            text = item.get("text", "")
            author = item.get("author")
            when = item.get("time")
            if type(text) is str and type(author) is str and (when is None or type(when) is str):
                append(Message(author.strip(), text, when))
                continue
        append(_message(item, i))
    return out


def _from_json_record(value: Any, number: int, source: str) -> Conversation:
    if not isinstance(value, dict):
        raise ValueError(f"JSON {type(value).__name__} is not an object")
    cid = _ident(value.get("id"))
    label = parse_label(value.get("label"))
    raw = value.get("messages")
    if raw is None and isinstance(value.get("text"), str):
        messages = [Message(_ident(value.get("author")) or "", value["text"])]
    elif isinstance(raw, list):
        messages = _messages(raw)
    else:
        raise ValueError("no messages: expected a 'messages' list (or a 'text')")
    return Conversation(cid if cid is not None else str(number), messages, label, source)


# ------------------------------------------------------------------ JSON Lines

_SLOW = object()


def _fast_decode(line: bytes) -> Any:
    """The line's value by orjson, or `_SLOW` for the `json` module to decode: orjson takes
    exactly the JSON the `json` module takes, apart from what it refuses (NaN, Infinity,
    1e400, lone surrogate escapes, a byte order mark, deep nests: the `json` module then
    decides, as before) and integers beyond 64 bits, which it reads as floats: a line with a
    float where one would be read otherwise than that integer goes to the `json` module."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return _SLOW
    if type(value) is dict:
        label = value.get("label")  # a bad label's reason shows it, nested floats too
        if (float in (type(value.get("id")), type(value.get("author")))
                or (label is not None and type(label) not in (str, int, bool))):
            return _SLOW
        raw = value.get("messages")
        if type(raw) is list:
            for item in raw:
                if type(item) is dict and (type(item.get("author")) is float
                                           or type(item.get("time")) is float):
                    return _SLOW
    elif type(value) is float:
        return _SLOW
    return value
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _SLOW


def _read_jsonl(path: Path, options: ChatReadOptions, progress: Progress):
    file, source = str(path), path.name
    decode = json.JSONDecoder().decode
    number = -1
    lineno = 0
    with open_stream(path) as (raw, stream):
        meter = ByteMeter(raw, progress)
        try:
            for lineno, line, too_large in read_lines(stream, options.max_record_bytes):
                meter.tick()
                if not line.strip():
                    continue
                number += 1
                if too_large:
                    reason = f"record too large (over {options.max_record_bytes} bytes)"
                    yield BadRecord(file, lineno, reason, excerpt_of(line))
                    continue
                try:
                    value = _fast_decode(line)
                    if value is _SLOW:
                        value = decode(line.decode("utf-8").lstrip("\ufeff"))
                    conv = _from_json_record(value, number, source)
                except UnicodeDecodeError as exc:
                    reason = f"invalid UTF-8 at byte {exc.start + 1} of the line"
                    yield BadRecord(file, lineno, reason, excerpt_of(line))
                    continue
                except json.JSONDecodeError as exc:
                    reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
                    yield BadRecord(file, lineno, reason, excerpt_of(line))
                    continue
                except (ValueError, RecursionError) as exc:
                    yield BadRecord(file, lineno, str(exc), excerpt_of(line))
                    continue
                problem = _checked(conv, options)
                if problem:
                    yield BadRecord(file, lineno, problem, excerpt_of(line))
                else:
                    yield conv
        except READ_ERRORS as exc:
            reason = f"cannot read past this point (corrupt or truncated file): {exc}"
            yield BadRecord(file, lineno + 1, reason, "")
        meter.finish()


# ------------------------------------------------------------------ PAN 2012 XML


def _read_pan(path: Path, options: ChatReadOptions, progress: Progress):
    from lxml import etree

    file, source = str(path), path.name
    with open_stream(path) as (raw, stream):
        meter = ByteMeter(raw, progress)
        parser = etree.iterparse(
            stream, events=("end",), tag="conversation", resolve_entities=False,
            no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
        )
        number = -1
        try:
            for _, elem in parser:
                meter.tick()
                number += 1
                line = elem.sourceline
                try:
                    conv = _pan_conversation(elem, number, source, options)
                except ValueError as exc:
                    yield BadRecord(file, line, str(exc), excerpt_of(etree.tostring(elem)[:400]))
                else:
                    problem = _checked(conv, options)
                    if problem:
                        yield BadRecord(file, line, problem, f"conversation {conv.id}")
                    else:
                        yield conv
                elem.clear()
                while elem.getprevious() is not None:
                    del elem.getparent()[0]
        except etree.XMLSyntaxError as exc:
            reason = f"malformed XML, rest of file not read: {exc.msg}"
            yield BadRecord(file, exc.lineno, reason, "")
        except READ_ERRORS as exc:
            reason = f"cannot read past this point (corrupt or truncated file): {exc}"
            yield BadRecord(file, None, reason, "")
        meter.finish()


def _pan_conversation(elem, number: int, source: str, options: ChatReadOptions) -> Conversation:
    cid = _ident(elem.get("id"))
    messages = []
    for i, msg in enumerate(elem.iterchildren("message")):
        if len(messages) > options.max_messages:
            break
        author = msg.findtext("author") or ""
        when = msg.findtext("time")
        text = msg.findtext("text") or ""
        if not isinstance(text, str):
            raise ValueError(f"message {i}: unreadable text")
        messages.append(Message(author.strip(), text, when.strip() if when else None))
    return Conversation(cid if cid is not None else str(number), messages, None, source)


# ------------------------------------------------------------------ Telegram / Discord JSON


def _read_export(path: Path, options: ChatReadOptions, fmt: str, progress: Progress):
    file, source = str(path), path.name
    size = path.stat().st_size
    if size > options.max_export_bytes:
        reason = f"export too large to read whole (over {options.max_export_bytes} bytes)"
        yield BadRecord(file, None, reason, "")
        return
    with open_stream(path) as (_, stream):
        try:
            data = stream.read(options.max_export_bytes + 1)
        except READ_ERRORS as exc:
            yield BadRecord(file, None, f"cannot read the file (corrupt or truncated): {exc}", "")
            return
    if progress is not None:
        progress(size)
    try:
        doc = json.loads(data.decode("utf-8").lstrip("\ufeff"))
    except UnicodeDecodeError as exc:
        yield BadRecord(file, None, f"invalid UTF-8 at byte {exc.start + 1}", excerpt_of(data))
        return
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = f"invalid JSON: {getattr(exc, 'msg', exc)}"
        yield BadRecord(file, getattr(exc, "lineno", None), reason, excerpt_of(data))
        return
    if fmt == "json":
        fmt = export_kind(doc)
        if fmt is None:
            reason = ("JSON export not recognised: expected a Telegram Desktop export (messages"
                      " or chats.list) or a DiscordChatExporter export (channel and messages)")
            yield BadRecord(file, None, reason, excerpt_of(data))
            return
    if fmt == "discord":
        chats = [doc]
        convert = _discord_chat
    else:
        chats = doc.get("chats", {}).get("list", []) if isinstance(doc, dict) and "chats" in doc \
            else [doc]
        convert = _telegram_chat
    for number, chat in enumerate(chats):
        try:
            conv = convert(chat, number, source)
        except (ValueError, TypeError, AttributeError) as exc:
            yield BadRecord(file, None, f"chat {number}: {exc}", excerpt_of(repr(chat)[:400]))
            continue
        problem = _checked(conv, options)
        if problem:
            yield BadRecord(file, None, f"chat {number} ({conv.id}): {problem}", "")
        else:
            yield conv


def export_kind(doc: Any) -> str | None:
    """'telegram', 'discord' or None, from the top-level keys of a parsed export."""
    if not isinstance(doc, dict):
        return None
    if "channel" in doc and isinstance(doc.get("messages"), list):
        return "discord"
    if isinstance(doc.get("messages"), list) or isinstance(doc.get("chats"), dict):
        return "telegram"
    return None


def _telegram_text(value: Any) -> str:
    """Telegram's text: a string, or a list of strings and entity objects with a `text`."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return ""


def _telegram_chat(chat: Any, number: int, source: str) -> Conversation:
    if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
        raise ValueError("no 'messages' list")
    cid = _ident(chat.get("id")) or _ident(chat.get("name")) or str(number)
    messages = []
    for item in chat["messages"]:
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            continue  # service messages (joins, calls, pins) carry no conversation text
        text = _telegram_text(item.get("text"))
        if not text.strip():
            continue  # media without a caption: media is never read
        author = _ident(item.get("from")) or _ident(item.get("from_id")) or ""
        when = item.get("date")
        messages.append(Message(author, text, when if isinstance(when, str) else None))
    meta = {"name": chat["name"]} if isinstance(chat.get("name"), str) else {}
    return Conversation(cid, messages, None, source, meta)


def _discord_chat(doc: Any, number: int, source: str) -> Conversation:
    channel = doc.get("channel") if isinstance(doc.get("channel"), dict) else {}
    cid = _ident(channel.get("id")) or _ident(channel.get("name")) or str(number)
    messages = []
    for item in doc["messages"]:
        if not isinstance(item, dict):
            continue
        text = item.get("content")
        if not isinstance(text, str) or not text.strip():
            continue  # attachments, embeds and stickers only: media is never read
        author = item.get("author") if isinstance(item.get("author"), dict) else {}
        name = _ident(author.get("name")) or _ident(author.get("id")) or ""
        when = item.get("timestamp")
        messages.append(Message(name, text, when if isinstance(when, str) else None))
    meta = {"name": channel["name"]} if isinstance(channel.get("name"), str) else {}
    return Conversation(cid, messages, None, source, meta)


# ------------------------------------------------------------------ CSV / Parquet


def _read_table(path: Path, options: ChatReadOptions, fmt: str, progress: Progress):
    """One conversation per row, through the ad readers: their quarantine rules apply as is."""
    from amberline.ingest.csv_reader import read_csv
    from amberline.ingest.parquet_reader import read_parquet

    column_map = {name: _UNUSED for name in FIELD_KEYS}
    column_map.update(body=options.text_column, source_id=options.id_column,
                      source=_UNUSED, images=_UNUSED)
    read_options = ReadOptions(source=path.name, column_map=column_map,
                               max_record_bytes=options.max_record_bytes)
    reader = read_csv if fmt == "csv" else read_parquet
    file = str(path)
    for number, item in enumerate(reader(path, read_options, progress)):
        if isinstance(item, BadRecord):
            if item.reason.startswith("no text"):
                item.reason = f"no text in column {options.text_column!r}"
            yield item
            continue
        yield from _row_conversation(item, number, file, options)


def _row_conversation(ad: Ad, number: int, file: str, options: ChatReadOptions):
    try:
        label = parse_label(ad.raw.get(options.label_column))
    except ValueError as exc:
        yield BadRecord(file, None, f"row {number}: {exc}", excerpt_of(ad.body))
        return
    cid = ad.source_id if ad.source_id is not None else str(number)
    yield Conversation(cid, [Message("", ad.body)], label, ad.source)
