"""The one interface every extractor implements.

An extractor is a small object that finds one kind of entity in normalised text and returns
`Span`s with offsets into that text. It holds only what it compiled at construction (patterns,
gazetteers), so `extract` is a pure function of its input: the pipeline may call it on one ad's
text or on many ads' texts joined together, and drops any span that crosses an ad boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from amberline.model import Span

# Joins ads' texts when a batch is extracted in one pass. Form feeds never occur in normalised
# text (the normaliser turns them into newlines) and patterns do not match across them.
BATCH_SEPARATOR = "\n\f\n"


@dataclass(frozen=True, slots=True)
class Example:
    """A clinical test case an extractor ships with: text in, the values it must find."""

    text: str
    values: tuple[Any, ...]


class Extractor(ABC):
    """Finds one kind of entity. Subclasses set `name` and `kind` and implement `extract`."""

    name: ClassVar[str]
    kind: ClassVar[str]

    @abstractmethod
    def extract(self, text: str) -> list[Span]:
        """Return the spans found in `text`, offsets into `text`, in order of start."""

    @classmethod
    def examples(cls) -> list[Example]:
        """Hand-written clinical cases; a shared test runs every extractor on its examples."""
        return []
