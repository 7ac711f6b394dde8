"""Turn one input record (a mapping from any reader) into an `Ad`, or say why it cannot be one.

Every reader (JSON Lines, CSV, HTML, WARC) ends in the same mapping rules so that an analyst
learns them once: which keys are the id, title, body, date and place, which are source metadata
(`META_KEYS`: location, age field, phone, kept in `Ad.meta`), how `column_map`
overrides them, and that everything not mapped stays in `Ad.raw`. A record that cannot become
an ad is not an exception that stops a scan of millions of records: it becomes a `BadRecord`
that names the file, the line and the reason, so it can be quarantined, counted and fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amberline.ingest.codes import Code
from amberline.ingest.images import IMAGES_KEY, attach_images
from amberline.ingest.limits import EARLIEST_YEAR, LATEST_YEAR, MAX_RECORD_BYTES
from amberline.model import META_AGE, META_LOCATION, META_PHONE, Ad, storable

EXCERPT_CHARS = 200

# Our field -> the input keys tried, in order, when `column_map` does not name one.
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "source_id": ("id", "ad_id", "source_id"),
    "title": ("title",),
    "body": ("body", "text", "description", "content", "extracted_text"),
    "url": ("url",),
    "posted_at": ("posted_at", "posted", "date", "timestamp"),
    "city": ("city",),
    "region": ("region", "state"),
    "country": ("country",),
}

# Source metadata kept in `Ad.meta` (model.META_FIELDS) -> the input keys tried, in order.
META_KEYS: dict[str, tuple[str, ...]] = {
    META_LOCATION: ("location",),
    META_AGE: ("age", "age_field", "poster_age"),
    META_PHONE: ("phone", "phone_number"),
}
META_CHARS = 200  # a longer "age" or "phone" value is not one; a location is cut to this

# Epoch numbers above this are taken as milliseconds (1e11 s is the year 5138).
_EPOCH_MS_THRESHOLD = 100_000_000_000
_NUMBERS = (int, float)  # made once: `int | float` would build a union object per call
_UNPARSED_DATE = "posted_at_unparsed"  # where a date that does not parse is kept in `raw`
# Plans kept per input (`RecordMapper._plan`): a crawl's records share a few key sets, while
# hostile input could make every record's different, so the memo is bounded.
_PLANS = 256
_PLAN_KEYS = 64
# A plan: each field (its place among Ad's parameters) with the keys tried for it, whether the
# source key is tried, each metadata name with the keys tried for it (`RecordMapper._plan`).
_Plan = tuple[list[tuple[int, tuple[str, ...]]], bool, list[tuple[str, tuple[str, ...]]]]
# Ad's parameters in order, read from the model: the mapper passes them by position, because
# a call by keyword costs a dict per ad on its way into the dataclass's `__init__`.
_AD_PARAMETERS = [f for f in fields(Ad) if f.init]
_AT = {f.name: at for at, f in enumerate(_AD_PARAMETERS)}
_SOURCE, _TITLE, _BODY, _POSTED_AT = _AT["source"], _AT["title"], _AT["body"], _AT["posted_at"]
_RAW, _META, _FILE, _LINE = _AT["raw"], _AT["meta"], _AT["origin_file"], _AT["origin_line"]
# Parameters made afresh for each ad (a mutable default), other than the two the mapper gives.
_FACTORIES = [(at, f.default_factory) for at, f in enumerate(_AD_PARAMETERS)
              if f.default_factory is not MISSING and at not in (_RAW, _META)]


@dataclass(slots=True)
class BadRecord:
    """An input record that could not become an ad, kept for the quarantine.

    `line` is 1-based (for CSV, the physical line where the row starts) or None where a format
    has no lines (WARC: the byte offset is in `reason`). `excerpt` is at most 200 characters,
    for a human to recognise the record; it is never parsed again. `code` is the stable short
    code of `reason` (`amberline.ingest.codes.Code`), which is the message.
    """

    file: str
    line: int | None
    reason: str
    excerpt: str
    code: str = Code.BAD_RECORD

    def __post_init__(self) -> None:
        if len(self.excerpt) > EXCERPT_CHARS:
            self.excerpt = excerpt_of(self.excerpt)


@dataclass
class ReadOptions:
    """How to read one input: names, column mapping and limits, the same for every format.

    `image_root` confines image paths named in records (default: the input file's folder), so
    a crafted record cannot make the reader open files elsewhere on the analyst's machine.
    """

    source: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    max_record_bytes: int = MAX_RECORD_BYTES
    default_format: str | None = None
    image_root: Path | None = None


def excerpt_of(value: str | bytes) -> str:
    """A short, printable excerpt; bytes that are not UTF-8 are shown as escapes."""
    if isinstance(value, bytes):
        value = value[: EXCERPT_CHARS * 4].decode("utf-8", "backslashreplace")
    value = storable(value)
    if len(value) > EXCERPT_CHARS:
        value = value[: EXCERPT_CHARS - 1] + "…"
    return value


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601, RFC 2822 or epoch seconds (or milliseconds) -> aware UTC datetime, else None.

    Naive times are taken as UTC: crawlers that drop the zone almost always logged UTC, and a
    wrong guess shifts an ad by hours, not days. Dates outside EARLIEST_YEAR..LATEST_YEAR are
    None: they are errors or attacks ("9999-12-31T23:00:00-05:00" overflows on conversion to
    UTC; year 1 breaks date filters), and the caller keeps the text as unparsed.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return _from_epoch(float(text))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # on first use: its import is costly

    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            parsed = parse(text)
        except (ValueError, TypeError, IndexError, OverflowError):
            continue
        return _in_range(parsed)
    return None


def _in_range(parsed: datetime) -> datetime | None:
    """`parsed` in UTC, or None when it is outside the years a posting date can have."""
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(seconds: float) -> datetime | None:
    if seconds != seconds:  # NaN
        return None
    if abs(seconds) >= _EPOCH_MS_THRESHOLD:
        seconds /= 1000.0
    try:
        return _in_range(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def take_meta(raw: dict[str, Any],
              keys: Iterable[tuple[str, tuple[str, ...]]] = META_KEYS.items(),
              consume: bool = True) -> dict[str, str]:
    """The source metadata of one record (`META_KEYS`, or `keys` as its items), as short
    text; the keys used are removed from `raw` when `consume` (they then live in `Ad.meta`,
    not twice)."""
    meta: dict[str, str] = {}
    for name, names in keys:
        for key in names:
            value = raw.get(key)
            if value is None:
                continue
            if value.__class__ is str:
                if value.isspace() or not value:  # as `_as_text` says, without its call
                    continue
            elif value.__class__ is int:
                value = str(value)  # as `_as_text` says, without its call
            else:
                value = _as_text(value)
                if value is None:
                    continue
            if name != META_LOCATION and len(value) > META_CHARS:
                continue
            meta[name] = " ".join(value.split())[:META_CHARS]
            if consume:
                del raw[key]
            break
    return meta


# A page's own label line, as classified sites print their form fields ("Poster's age: 23",
# "Location: Springfield, Downtown"): the whole line is the label and its value.
_LABEL_LINE = re.compile(
    r"^[^\S\n]*(?:poster'?s[^\S\n]+)?(?P<label>age|location|phone|tel|telephone)[^\S\n]*:"
    r"[^\S\n]*(?P<value>\S[^\n]{0,150}?)[^\S\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
_LABELS = {"age": META_AGE, "location": META_LOCATION, "phone": META_PHONE, "tel": META_PHONE,
           "telephone": META_PHONE}


def labelled_meta(text: str) -> dict[str, str]:
    """Source metadata from a page's label lines (the first of each label); for pages, whose
    fields are printed rather than kept in columns."""
    meta: dict[str, str] = {}
    for m in _LABEL_LINE.finditer(text):
        meta.setdefault(_LABELS[m.group("label").lower()], m.group("value"))
    return meta


def _as_text(value: Any) -> str | None:
    """Strings as they are; numbers as their text (ids are often numeric); else None."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, _NUMBERS) and not isinstance(value, bool):
        return str(value)
    return None


class RecordMapper:
    """Maps records of one input to ads; the key lookups are resolved once per input.

    A key is consumed (left out of `raw`) only when its value was used; a date that does not
    parse stays `None` and its original text is kept in `raw["posted_at_unparsed"]`. The
    mapping passed in is consumed: it becomes the ad's `raw` (readers pass fresh dicts, which
    saves a copy per record).

    Why plans: the records of one input nearly always share their keys, and trying every key
    each field may have (a score per record, most of them absent) cost more than the rest of
    the mapping. So the keys of a record's key set that the mapping can use are found once
    and kept (`_plan`); looking up a key that is absent gives what trying it gave: nothing.
    """

    def __init__(self, options: ReadOptions, default_source: str, file: str, base_dir: Path):
        cmap = options.column_map
        self._fields = [
            (_AT[name], (cmap[name],) if name in cmap else keys)
            for name, keys in FIELD_KEYS.items()
        ]
        # Ad's parameters as a record with none of its fields would give them.
        self._args = [None if f.default is MISSING else f.default for f in _AD_PARAMETERS]
        self._args[_FILE] = file
        self._source = options.source
        self._source_key = cmap.get("source", "source")
        self._default_source = default_source
        self._images_key = cmap.get("images", IMAGES_KEY)
        self._file = file
        self._base_dir = base_dir
        self._image_root = options.image_root or base_dir
        self._meta = [(name, (cmap[name],) if name in cmap else keys)
                      for name, keys in META_KEYS.items()]
        tried = [cmap.get(f) or "/".join(FIELD_KEYS[f]) for f in ("title", "body")]
        self._no_text = f"no text: no title or body (looked for {', '.join(tried)})"
        self._every_key: _Plan = (self._fields, True, self._meta)
        wanted = {key for _, keys in self._fields for key in keys}
        wanted.update(key for _, keys in self._meta for key in keys)
        wanted.add(self._source_key)
        # A key the mapping adds to a record while mapping it is not in the record's key set
        # beforehand: with a column map naming that key, every key is tried, as before plans.
        self._plans: dict[tuple[Any, ...], _Plan] | None = (
            None if _UNPARSED_DATE in wanted else {})

    def _plan(self, keys: tuple[Any, ...]) -> _Plan:
        """(each field with its keys among `keys`, whether the source key is among them, each
        metadata name with its keys among them), in the order they are tried; kept."""
        present = set(keys)
        plan = (
            [(at, kept) for at, names in self._fields
             if (kept := tuple(key for key in names if key in present))],
            self._source_key in present,
            [(name, kept) for name, names in self._meta
             if (kept := tuple(key for key in names if key in present))],
        )
        plans = self._plans
        if plans is not None and len(plans) < _PLANS and len(keys) <= _PLAN_KEYS:
            plans[keys] = plan
        return plan

    def to_ad(self, raw: dict[str, Any], line: int | None = None) -> Ad | None:
        """The ad for one record (images not yet hashed) found at `line` of the input, or None
        when it has no text."""
        plans = self._plans
        if plans is None:
            fields, has_source, meta_keys = self._every_key
        else:
            keys = tuple(raw)
            fields, has_source, meta_keys = plans.get(keys) or self._plan(keys)
        args = self._args.copy()
        for at, keys in fields:
            for key in keys:
                value = raw.get(key)
                if value is None:
                    continue
                if at == _POSTED_AT:
                    parsed = parse_datetime(value)
                    if parsed is not None:
                        args[at] = parsed
                        del raw[key]
                    elif value != "":
                        raw[_UNPARSED_DATE] = raw.pop(key)
                    break
                if value.__class__ is not str:
                    value = _as_text(value)
                    if value is None:
                        continue
                elif value.isspace() or not value:  # as `_as_text` says, without its call
                    continue
                args[at] = value
                del raw[key]
                break
        if not (args[_TITLE] or args[_BODY]):  # a text found is never empty
            return None
        source = self._source
        if source is None and has_source:
            source = _as_text(raw.get(self._source_key))
            if source is not None:
                del raw[self._source_key]
        args[_SOURCE] = source or self._default_source
        args[_RAW] = raw
        args[_META] = take_meta(raw, meta_keys) if meta_keys else {}
        args[_LINE] = line
        for at, make in _FACTORIES:
            args[at] = make()
        return Ad(*args)

    def ads(
        self, raw: dict[str, Any], line: int | None, excerpt: str | bytes
    ) -> list[Ad | BadRecord]:
        """[ad, *one BadRecord per unreadable image], or [BadRecord] when there is no text or
        the record cannot be mapped (any exception here is about this record alone)."""
        try:
            ad = self.to_ad(raw, line)
        except Exception as exc:  # hostile values must cost the record, never the run
            reason = f"record cannot be mapped: {type(exc).__name__}: {exc}"[:500]
            return [BadRecord(self._file, line, reason, excerpt_of(excerpt), Code.BAD_RECORD)]
        if ad is None:
            return [BadRecord(self._file, line, self._no_text, excerpt_of(excerpt), Code.NO_TEXT)]
        if self._images_key not in raw:
            return [ad]
        failures = attach_images(ad, self._base_dir, self._image_root, self._images_key)
        out: list[Ad | BadRecord] = [ad]
        out.extend(BadRecord(self._file, line, reason, ex, Code.BAD_IMAGE)
                   for reason, ex in failures)
        return out


_KNOWN_SUFFIXES = (".gz", ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".warc", ".html", ".htm")


def source_stem(path: Path) -> str:
    """The default source name for a file: its name without format suffixes (`ads.jsonl.gz`
    -> `ads`); for a folder, its name."""
    name = path.name
    while True:
        lower = name.lower()
        suffix = next((s for s in _KNOWN_SUFFIXES if lower.endswith(s) and len(name) > len(s)), "")
        if not suffix:
            return name or str(path)
        name = name[: -len(suffix)]
