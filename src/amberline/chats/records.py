"""Typed records for conversations: a `Message`, a `Conversation`, and a message-level flag.

Kept apart from `amberline.model` (ads) because a conversation is a sequence of authored texts
rather than one text: every offset is into one message's text, and every flag names that
message's index and author so a reviewer sees who said what, and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Message:
    """One message as ingested: who wrote it, when (as given, unparsed), and its text."""

    author: str
    text: str
    time: str | None = None


@dataclass(slots=True)
class Conversation:
    """One conversation: an id unique within its input, its messages in order, and an optional
    training label (1 = a conversation to act on, 0 = not; None = unknown)."""

    id: str
    messages: list[Message]
    label: int | None = None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Characters of message text (what screening reads)."""
        return sum(len(m.text) for m in self.messages)


@dataclass(slots=True)
class ChatFlag:
    """A lexicon indicator found in one message: `start`/`end` are offsets into that message's
    text; `rule` and `citation` name the lexicon entry, `author` who wrote the message."""

    category: str
    term: str
    message: int
    start: int
    end: int
    author: str
    rule: str
    weight: float
    citation: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "term": self.term,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "author": self.author,
            "rule": self.rule,
        }
