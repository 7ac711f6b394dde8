"""Typed records that flow through the pipeline.

Every stage speaks in these records so that stages can be tested alone and run anywhere
(in-process or on Dask workers): an `Ad` comes in, a `Screening` goes out, and every `Flag`
points at the `Span` of text that justifies it. Records are plain dataclasses: cheap to
create in bulk, picklable, and easy to turn into JSON.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Span kinds, shared by extractors, the store and the machine interface.
PHONE = "phone"
EMAIL = "email"
URL = "url"
HANDLE = "handle"
AGE = "age"
PRICE = "price"
PLACE = "place"
NAME = "name"
DESCRIPTOR = "descriptor"

# Source metadata an ad may carry beside its text (`Ad.meta`), as the source stated it.
META_LOCATION = "location"
META_AGE = "age"
META_PHONE = "phone"
META_FIELDS = (META_LOCATION, META_AGE, META_PHONE)
# Where `Ad.meta` is kept in a stored or serialised ad's `raw` mapping (see `raw_with_meta`).
META_RAW_KEY = "_source_meta"


_TEXT_FIELDS = ("source", "title", "body", "source_id", "url", "city", "region", "country")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with U+0000 and lone surrogates (which PostgreSQL text and UTF-8 cannot hold)
    replaced by U+FFFD, one for one, so offsets into it stay right. The one rule for every
    text the store keeps: ads, conversations, quarantine excerpts, audit entries."""
    return _UNSTORABLE.sub("\ufffd", text)


@dataclass(slots=True)
class Ad:
    """One online ad or post as ingested, before any analysis.

    `source` + `source_id` identify the ad where the source gives an id; otherwise the content
    hash does, so that scanning the same input twice stores nothing new. `meta` holds the
    metadata the source gave beside the text (`META_FIELDS`: the location, the age the poster
    typed into the site's age field, a contact phone), as text: extraction reads an age or a
    phone there as it reads one in the text, with the origin `field`.
    """

    source: str
    title: str = ""
    body: str = ""
    source_id: str | None = None
    url: str | None = None
    posted_at: datetime | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    image_hashes: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    # Where the reader found it (file, 1-based line or row), so a failure later in the
    # pipeline can quarantine it at its place in the input. Not stored, not compared.
    origin_file: str | None = field(default=None, compare=False, repr=False)
    origin_line: int | None = field(default=None, compare=False, repr=False)
    # (title, body, content hash): the hash of the text it was computed from, so a scan
    # hashes an ad once however many stages ask for its key or hash. Checked by identity of
    # the two strings, so an ad whose title or body is replaced is hashed again.
    _digest: tuple[str, str, str] | None = field(default=None, init=False, compare=False,
                                                 repr=False)
    # (title, body, text): `text` as built from those two strings, kept as `_digest` is: a
    # scan asks for it in three stages (screening, the content hash, the link signature).
    _text: tuple[str, str, str] | None = field(default=None, init=False, compare=False,
                                               repr=False)

    def __post_init__(self) -> None:
        # U+0000 means nothing in an ad, and PostgreSQL cannot store it in text: left in, one ad
        # holding it failed its whole batch. U+FFFD keeps every offset where it was. Every ad
        # is built here and nearly none holds one, so the fields are first asked plainly
        # (`getattr` by name costs a call per field).
        if ((self.source is not None and "\x00" in self.source)
                or (self.title is not None and "\x00" in self.title)
                or (self.body is not None and "\x00" in self.body)
                or (self.source_id is not None and "\x00" in self.source_id)
                or (self.url is not None and "\x00" in self.url)
                or (self.city is not None and "\x00" in self.city)
                or (self.region is not None and "\x00" in self.region)
                or (self.country is not None and "\x00" in self.country)):
            for name in _TEXT_FIELDS:
                value = getattr(self, name)
                if value is not None and "\x00" in value:  # surrogates: refused by the readers
                    setattr(self, name, storable(value))

    @property
    def text(self) -> str:
        """The text that is screened: title and body, as the reader saw them."""
        memo = self._text
        if memo is not None and memo[0] is self.title and memo[1] is self.body:
            return memo[2]
        title, body = self.title, self.body
        text = f"{title}\n{body}" if title and body else title or body
        self._text = (title, body, text)
        return text

    @property
    def content_hash(self) -> str:
        """SHA-256 of the screened text, the identity of an ad that has no source id."""
        memo = self._digest
        if memo is not None and memo[0] is self.title and memo[1] is self.body:
            return memo[2]
        digest = hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()
        self._digest = (self.title, self.body, digest)
        return digest

    @property
    def key(self) -> str:
        """Stable identity: `source:source_id`, else `sha256:<content hash>` (see `ad_key`)."""
        return ad_key(self.source, self.source_id, self.content_hash if not self.source_id
                      else "")


def escape_source(source: str) -> str:
    """`source` as written in an ad key: "%" and ":" percent-encoded, and a source named
    "sha256" written "%73ha256", so the first ":" of a key always ends the source and no
    source can pose as a content hash."""
    escaped = source.replace("%", "%25").replace(":", "%3A")
    return "%73ha256" if escaped == "sha256" else escaped


def ad_key(source: str, source_id: str | None, content_hash: str) -> str:
    """The key of an ad: `<escaped source>:<source_id>`, or `sha256:<content_hash>` when the
    source gives no id.

    Why escaped: unescaped, ("a:b", "c") and ("a", "b:c") had one key, so an advertiser could
    pick a source name that blocks another's ad as a "duplicate". Sources without "%" or ":"
    (nearly all) keep the plain `source:source_id` form an analyst types into `show`.
    """
    if source_id:
        return f"{escape_source(source)}:{source_id}"
    return f"sha256:{content_hash}"


def raw_with_meta(ad: Ad) -> dict[str, Any]:
    """The ad's `raw` with its `meta` inside, for stores and files that keep one JSON column;
    `split_meta` takes it out again."""
    return {**ad.raw, META_RAW_KEY: ad.meta} if ad.meta else ad.raw


def split_meta(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(raw, meta) of a mapping written by `raw_with_meta`."""
    meta = raw.get(META_RAW_KEY)
    if not isinstance(meta, dict):
        return raw, {}
    rest = {k: v for k, v in raw.items() if k != META_RAW_KEY}
    return rest, {str(k): str(v) for k, v in meta.items() if k in META_FIELDS}


@dataclass(slots=True)
class Span:
    """A piece of text an extractor recognised.

    `start`/`end` are character offsets (end exclusive). Extractors return them into the text
    they were given (the normalised text); the pipeline maps them back into the ad's original
    `Ad.text` before anything is stored or shown. `value` is the normalised value (E.164 for a
    phone, lower-case address for an email, the integer for an age); `attrs` carries structured
    parts (a price's amount, currency and minutes; a handle's platform; a descriptor's kind).
    """

    kind: str
    value: Any
    start: int
    end: int
    extractor: str
    confidence: float = 1.0
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Flag:
    """An indicator of a minor or of third-party control, with the evidence for it.

    `rule` names the lexicon entry or derived rule that fired and `citation` where its use is
    documented, so that every point of a score can be traced to text and to a source.
    `contribution` is filled in by the scorer: this flag's share of the ad's score.
    """

    category: str
    term: str
    start: int
    end: int
    weight: float
    rule: str
    citation: str = ""
    contribution: float = 0.0


@dataclass(slots=True)
class Obfuscation:
    """A stretch of text the normaliser had to undo (spelled digits, homoglyphs, emoji
    between digits, ...). Offsets into the normalised text."""

    start: int
    end: int
    kind: str
    original: str


@dataclass(slots=True)
class Exclusion:
    """A stretch of the ad's page that the site wrote, not the poster (a removed-ad notice, an
    age disclaimer, navigation): no entity or flag is read from it. `reason` is what the
    analyst is shown; `evidence` the words that identified it. Offsets as for `Obfuscation`
    until the pipeline maps them into `Ad.text`."""

    start: int
    end: int
    reason: str
    evidence: str


@dataclass(slots=True)
class Screening:
    """Everything the screening engine concluded about one ad. Offsets are into `Ad.text`."""

    ad_key: str
    spans: list[Span]
    flags: list[Flag]
    score: float
    pipeline_version: str
    obfuscations: list[Obfuscation] = field(default_factory=list)
    # What was left out of this ad's entities and flags, and why (`text.boilerplate`).
    exclusions: list[Exclusion] = field(default_factory=list)

    def spans_of(self, kind: str) -> list[Span]:
        return [s for s in self.spans if s.kind == kind]


@dataclass(slots=True)
class LinkRecord:
    """One ad as linking sees it: plain input, so that linking runs on stored keys rather
    than on the store (tested on small hand-built corpora, run over 10^6 ads in numpy
    batches), built from an `Ad` and its `Screening` by `link.keys.record_from_screening` or
    directly by the store.

    `keys` are normalised identifiers as (kind, value), e.g. ("phone", "+17035550142");
    `images` are hash dicts {"pdq": hex, "quality": int, "md5": hex} (never the image);
    `text` is the normalised ad text (numbers are masked by the MinHash stage, not here).
    """

    ad_key: str
    text: str = ""
    posted_at: datetime | None = None
    city: str | None = None
    score: float = 0.0
    flags: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    prices: list[float] = field(default_factory=list)
    ages: list[int] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
