"""The explainable half of conversation screening: lexicon flags per message, and a rules score.

The lexicon (`lexicon.toml` beside this module) uses the ad lexicon's format and pattern
language, so it is validated by the same loader and matched by the same `IndicatorMatcher` (one
Hyperscan pass over all messages of a batch). Messages go through the shared text normaliser
first, so look-alike characters and invisible separators do not hide a term; offsets are mapped
back to the message as written.

Scoring without a model is deliberately simple and readable: each category counts once, with
its strongest entry; categories combine as independent evidence (noisy-OR), and a cross-author
term is added when one participant states a minor's age while another writes a grooming
indicator. A conversation without author names cannot show that, so there the categories the
lexicon lists as `needs_authors` (a stated minor's age) are flagged but not scored: the rules
alone then alert only on conduct that two teenagers' own chat does not show. A running score
per message gives `first_alert`, the message at which the rules alone would have raised an
alert.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np

from amberline.chats.records import ChatFlag, Conversation
from amberline.config_files import read_toml
from amberline.indicators.lexicon import Lexicon, LexiconError, parse_lexicon
from amberline.indicators.matcher import IndicatorMatcher
from amberline.text import normalise_batch

CROSS_AUTHOR = "cross_author"


@dataclass(frozen=True, slots=True)
class RuleScoring:
    """How the rules alone score: category weights, the cross-author term, the threshold."""

    threshold: float
    categories: dict[str, float]
    cross_author: float
    cross_author_categories: frozenset[str]
    needs_authors: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ChatLexicon:
    """The validated conversation lexicon and its scoring section."""

    lexicon: Lexicon
    scoring: RuleScoring


def _scoring(raw: Any, lexicon: Lexicon, origin: str) -> RuleScoring:
    if not isinstance(raw, dict):
        raise LexiconError(f"{origin}: missing [scoring] table")
    cats = raw.get("categories", {})
    unknown = set(cats) - set(lexicon.categories)
    if unknown:
        raise LexiconError(f"{origin}: [scoring.categories] names unknown {sorted(unknown)}")
    missing = set(lexicon.categories) - set(cats)
    if missing:
        raise LexiconError(f"{origin}: [scoring.categories] has no weight for {sorted(missing)}")
    for name, w in cats.items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w < 1:
            raise LexiconError(f"{origin}: weight of {name} must be in [0, 1), got {w!r}")
    threshold = raw.get("threshold", 0.5)
    cross = raw.get("cross_author", 0.0)
    for name, value in (("threshold", threshold), ("cross_author", cross)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            raise LexiconError(f"{origin}: [scoring] {name} must be in [0, 1), got {value!r}")
    cross_cats = raw.get("cross_author_categories", [])
    if not set(cross_cats) <= set(lexicon.categories):
        raise LexiconError(f"{origin}: cross_author_categories names an unknown category")
    needs = raw.get("needs_authors", [])
    if not isinstance(needs, list) or not set(needs) <= set(lexicon.categories):
        raise LexiconError(f"{origin}: needs_authors names an unknown category")
    return RuleScoring(float(threshold), {k: float(v) for k, v in cats.items()}, float(cross),
                       frozenset(cross_cats), frozenset(needs))


def load_chat_lexicon(path: str | Path | None = None) -> ChatLexicon:
    """Load the conversation lexicon; `None` loads the packaged one."""
    data, origin = read_toml("amberline.chats", "lexicon.toml", path, LexiconError)
    scoring = data.pop("scoring", None)
    lexicon = parse_lexicon(data, origin)
    return ChatLexicon(lexicon, _scoring(scoring, lexicon, origin))


@cache
def default_rules() -> ChatRules:
    """The packaged lexicon compiled once per process."""
    return ChatRules(load_chat_lexicon())


@dataclass(slots=True)
class RuleResult:
    """The rules' verdict on one conversation."""

    flags: list[ChatFlag]
    score: float
    first_alert: int | None
    contributions: dict[str, float]


class ChatRules:
    """Matches the conversation lexicon in messages and scores conversations by rules alone."""

    def __init__(self, chat_lexicon: ChatLexicon) -> None:
        self.chat_lexicon = chat_lexicon
        self.scoring = chat_lexicon.scoring
        self.matcher = IndicatorMatcher(chat_lexicon.lexicon)
        self.categories = tuple(chat_lexicon.lexicon.categories)

    def flags_batch(self, conversations: Sequence[Conversation]) -> list[list[ChatFlag]]:
        """Flags of every message of every conversation, in message order, offsets into the
        message as written."""
        texts = [m.text for conv in conversations for m in conv.messages]
        normal = normalise_batch(texts)
        # the batch's strings as a whole; a message's result (its offset map) is made only
        # for a matched message the normaliser changed (an unchanged one keeps its string)
        normal_texts = normal.texts
        found = self.matcher.match_sparse(normal_texts)
        out: list[list[ChatFlag]] = [[] for _ in conversations]
        # only the messages with a match are visited (most short messages have none); in
        # increasing k, so each conversation's flags stay in message order
        hits = sorted(found)
        if not hits:
            return out
        sizes = [len(conv.messages) for conv in conversations]
        first = list(accumulate(sizes, initial=0))
        owner = np.repeat(np.arange(len(conversations)), sizes)[hits].tolist()
        for k, j in zip(hits, owner, strict=True):
            index = k - first[j]
            message = conversations[j].messages[index]
            norm = None if normal_texts[k] is message.text else normal[k]
            flags = out[j]
            for flag in found[k]:
                start, end = flag.start, flag.end
                if norm is not None and norm.offsets is not None:
                    start, end = norm.to_original(start, end)
                flags.append(ChatFlag(flag.category, message.text[start:end], index, start,
                                      end, message.author, flag.rule, flag.weight,
                                      flag.citation))
        return out

    def score(self, conv: Conversation, flags: list[ChatFlag]) -> RuleResult:
        """Rules-alone score, running score's first alert, and each category's share."""
        if not flags:  # most conversations: nothing to combine
            return RuleResult(flags, 0.0, None, {})
        s = self.scoring
        best: dict[str, float] = {}
        minor_authors: set[str] = set()
        groom_authors: set[str] = set()
        cross = False
        first_alert = None
        checked: tuple | None = None
        by_message: dict[int, list[ChatFlag]] = {}
        for flag in flags:
            by_message.setdefault(flag.message, []).append(flag)
        # without authors (a conversation given as one text, the PAN segments) a category in
        # `needs_authors` cannot be told apart from the participants' own talk: two teenagers
        # state their ages too. It stays a flag but adds nothing to the rules' score.
        anonymous = not any(m.author for m in conv.messages)
        for index in sorted(by_message):
            for flag in by_message[index]:
                if anonymous and flag.category in s.needs_authors:
                    continue
                best[flag.category] = max(best.get(flag.category, 0.0), flag.weight)
                if flag.category == "has_minor":
                    minor_authors.add(flag.author)
                elif flag.category in s.cross_author_categories:
                    groom_authors.add(flag.author)
            # someone stated a minor's age, and someone who did not wrote the indicator
            cross = bool(minor_authors) and bool(groom_authors - minor_authors)
            # the same evidence as at the last check gives the same score: not rechecked
            state = (tuple(best.values()), cross)
            if first_alert is None and state != checked:
                checked = state
                if self._combine(best, cross)[0] >= s.threshold:
                    first_alert = index
        score, parts = self._combine(best, cross)
        return RuleResult(flags, score, first_alert, parts)

    def _combine(self, best: dict[str, float], cross: bool) -> tuple[float, dict[str, float]]:
        """Noisy-OR of the category terms; each term's share of the score by its log weight."""
        terms = {c: self.scoring.categories.get(c, 0.0) * w for c, w in best.items()}
        if cross:
            terms[CROSS_AUTHOR] = self.scoring.cross_author
        logs = {c: -math.log1p(-min(t, 0.999999)) for c, t in terms.items() if t > 0}
        total = sum(logs.values())
        score = 1.0 - math.exp(-total)
        if total == 0:
            return 0.0, {}
        return score, {c: round(score * v / total, 6) for c, v in logs.items()}
