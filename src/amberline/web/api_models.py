"""The push API's request and response shapes (pydantic), which the OpenAPI schema publishes.

Why strict: platforms send whatever their systems hold. Unknown fields, empty ads, text that
cannot be stored (NUL, unpaired surrogates) and oversized fields are refused with a 422 naming
the field and the reason, before anything is screened or stored.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from amberline.chats.records import ChatFlag
from amberline.ingest.limits import EARLIEST_YEAR, LATEST_YEAR
from amberline.store.conversations import ConversationSummary
from amberline.store.database import MAX_ID
from amberline.store.network_reads import Member

MAX_BATCH = 1000
MAX_TEXT = 100_000
Action = Literal["escalate", "report", "takedown", "clear"]


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired surrogate (not valid Unicode text)") from None
    return value


class ImageHashIn(BaseModel):
    """Hashes of an image computed by the platform; images themselves are never accepted."""

    model_config = ConfigDict(extra="forbid")
    pdq: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    md5: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    quality: int | None = Field(None, ge=0, le=100)


class AdIn(BaseModel):
    """One ad as a platform pushes it. `source` + `source_id` make it idempotent."""

    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=255)
    source_id: str | None = Field(None, min_length=1, max_length=255)
    title: str = Field("", max_length=MAX_TEXT)
    body: str = Field("", max_length=MAX_TEXT)
    url: str | None = Field(None, max_length=4096)
    posted_at: datetime | None = None
    city: str | None = Field(None, max_length=255)
    region: str | None = Field(None, max_length=255)
    country: str | None = Field(None, max_length=64)
    image_hashes: list[ImageHashIn] = Field(default_factory=list, max_length=50)
    raw: dict[str, Any] = Field(default_factory=dict)

    @field_validator("source", "source_id", "title", "body", "url", "city", "region", "country")
    @classmethod
    def storable(cls, value: str | None) -> str | None:
        return None if value is None else _storable(value)

    @field_validator("posted_at")
    @classmethod
    def posted_in_range(cls, value: datetime | None) -> datetime | None:
        """A date near year 1 or 9999 cannot be converted to UTC or filtered on: refused."""
        if value is None:
            return None
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"a posting date must lie in the years {EARLIEST_YEAR}-{LATEST_YEAR}")
        return value

    @field_validator("raw")
    @classmethod
    def raw_storable(cls, value: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > MAX_TEXT:
            raise ValueError(f"raw metadata over {MAX_TEXT} characters as JSON")
        _storable(text.replace("\\u0000", "\x00"))
        return value

    @model_validator(mode="after")
    def has_text(self) -> AdIn:
        if not (self.title.strip() or self.body.strip()):
            raise ValueError("an ad needs a title or a body")
        return self


class PushIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ads: list[AdIn] = Field(min_length=1, max_length=MAX_BATCH)


class FlagOut(BaseModel):
    category: str
    term: str
    start: int
    end: int
    rule: str
    citation: str
    weight: float
    contribution: float


class SpanOut(BaseModel):
    kind: str
    value: Any
    start: int
    end: int
    extractor: str
    confidence: float
    attrs: dict[str, Any]


class PushResult(BaseModel):
    index: int
    key: str
    id: int
    status: Literal["stored", "duplicate", "quarantined"]
    score: float
    flags: list[FlagOut]
    error: str | None = None  # why a quarantined ad could not be screened (stage and error)


class PushOut(BaseModel):
    stored: int
    duplicates: int
    quarantined: int = 0
    results: list[PushResult]


class DecisionOut(BaseModel):
    id: int
    action: str
    note: str
    user_name: str
    decided_at: datetime
    network_id: str | None
    conversation_id: int | None = None


class AdOut(BaseModel):
    id: int
    key: str
    source: str
    source_id: str | None
    url: str | None
    posted_at: datetime | None
    title: str
    body: str
    city: str | None
    region: str | None
    country: str | None
    score: float
    pipeline_version: str
    spans: list[SpanOut]
    flags: list[FlagOut]
    image_hashes: list[dict[str, Any]]
    network_id: str
    decisions: list[DecisionOut]


class KeyOut(BaseModel):
    kind: str
    value: str
    ads: list[int]


class NetworkOut(BaseModel):
    id: str
    stored: bool
    score: float | None
    members: list[Member]  # the network page's own record, as the API's schema too
    keys: list[KeyOut]
    path: list[dict[str, Any]]
    decisions: list[DecisionOut]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ad_id: int | None = Field(None, ge=1, le=MAX_ID)
    network_id: str | None = Field(None, min_length=1, max_length=512)
    conversation_id: int | None = Field(None, ge=1, le=MAX_ID)
    action: Action
    note: str = Field(min_length=1, max_length=4000)

    @field_validator("note", "network_id")
    @classmethod
    def storable(cls, value: str | None) -> str | None:
        return None if value is None else _storable(value)

    @model_validator(mode="after")
    def one_target(self) -> DecisionIn:
        targets = (self.ad_id, self.network_id, self.conversation_id)
        if sum(t is not None for t in targets) != 1:
            raise ValueError("give exactly one of ad_id, network_id and conversation_id")
        if not self.note.strip():
            raise ValueError("note: a note is required")
        return self


class DecisionsOut(BaseModel):
    ids: list[int]


class MessageOut(BaseModel):
    position: int
    author: str
    time: str | None
    text: str


class ConversationHitOut(BaseModel):
    """A search hit: the conversation and its best-matching message (snippet marked with
    \\x02 ... \\x03 around the matched words)."""

    conversation: ConversationSummary
    position: int
    author: str
    snippet: str


class ConversationsOut(BaseModel):
    """One queue page (highest score first; `next` continues it as `after`), or search hits
    when `q` was given (then `items` is empty and `next` null)."""

    items: list[ConversationSummary]
    hits: list[ConversationHitOut]
    next: str | None


class ConversationOut(BaseModel):
    id: int
    key: str
    source: str
    external_id: str
    name: str | None
    label: int | None
    score: float
    alert: bool
    first_alert: int | None
    rules_score: float
    threshold: float
    scorer: str
    stored_at: datetime
    contributions: list[dict[str, Any]]
    authors: dict[str, list[str]]
    messages: list[MessageOut]
    flags: list[ChatFlag]  # offsets into the message's text
    decisions: list[DecisionOut]
