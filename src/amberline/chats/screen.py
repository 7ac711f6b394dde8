"""Screen conversations: flags with their evidence, a score in [0, 1], and the first alert.

One function for the CLI, the benchmark and the store: `screen_batch` reads each message once
(one lexicon pass and one n-gram pass over all messages of the batch) and returns, per
conversation, the lexicon flags (message index, offsets, author, rule), the score (the model's
calibrated probability, or the rules' score without a model), whether it alerts, and
`first_alert`: the first message after which the score of the conversation so far crossed the
threshold, the point at which a moderator could have been warned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from amberline.chats.model import ChatModel, flag_matrix
from amberline.chats.ngrams import BLOCKS, Table, Tables, tables
from amberline.chats.records import ChatFlag, Conversation
from amberline.chats.rules import ChatRules

TOP_CONTRIBUTIONS = 12


@dataclass(slots=True)
class ChatScreening:
    """The result for one conversation; `as_dict` is the machine output line."""

    id: str
    score: float
    alert: bool
    first_alert: int | None
    flags: list[ChatFlag]
    contributions: list[dict[str, Any]]
    rules_score: float
    threshold: float
    messages: int = 0
    authors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 6),
            "alert": self.alert,
            "first_alert": self.first_alert,
            "flags": [f.as_dict() for f in self.flags],
            "contributions": self.contributions,
            "rules_score": round(self.rules_score, 6),
            "threshold": self.threshold,
            "messages": self.messages,
            "authors": self.authors,
        }


def _authors(flags: list[ChatFlag]) -> dict[str, list[str]]:
    """Per author, the categories their messages were flagged for: who said what."""
    out: dict[str, set[str]] = {}
    for flag in flags:
        out.setdefault(flag.author, set()).add(flag.category)
    return {a: sorted(c) for a, c in sorted(out.items())}


def screen_batch(
    conversations: Sequence[Conversation], rules: ChatRules, model: ChatModel | None = None
) -> list[ChatScreening]:
    """Screen a batch of conversations; results in the same order."""
    all_flags = rules.flags_batch(conversations)
    verdicts = [rules.score(cv, fl) for cv, fl in zip(conversations, all_flags, strict=True)]
    if model is None:
        threshold = rules.scoring.threshold
        return [
            ChatScreening(cv.id, v.score, v.score >= threshold, v.first_alert, fl,
                          [{"feature": f"category:{k}", "value": x}
                           for k, x in sorted(v.contributions.items(), key=lambda kv: -kv[1])],
                          v.score, threshold, len(cv.messages), _authors(fl))
            for cv, fl, v in zip(conversations, all_flags, verdicts, strict=True)
        ]
    texts = [m.text for cv in conversations for m in cv.messages]
    n = len(texts)
    sizes = np.fromiter((len(cv.messages) for cv in conversations), dtype=np.int64,
                        count=len(conversations))
    conv_of_message = np.repeat(np.arange(len(conversations)), sizes)
    tabs = tables(texts, model.bits)
    sums, totals, strongest = [], [], []
    for name, tab in zip(BLOCKS, tabs.blocks(), strict=True):
        w = model.weights[name][tab.bucket]
        w *= tab.valid
        sums.append(np.bincount(tab.owner, weights=w.sum(axis=1, dtype=np.float64),
                                minlength=n))
        counts = np.bincount(tab.owner, weights=tab.valid.sum(axis=1), minlength=n)
        totals.append(counts)
        per_conv = np.sqrt(np.bincount(conv_of_message, weights=counts,
                                       minlength=len(conversations)))
        strongest.append(_strongest(name, tab, tabs, w, conv_of_message, per_conv,
                                    model.strong(name), model.bits))
    per_message = np.zeros((n, len(model.categories)))
    column = {c: i for i, c in enumerate(model.categories)}
    offset = 0
    for cv, fl in zip(conversations, all_flags, strict=True):
        for flag in fl:
            per_message[offset + flag.message, column[flag.category]] += 1
        offset += len(cv.messages)
    results = []
    start = 0
    for j, (cv, fl, verdict) in enumerate(zip(conversations, all_flags, verdicts, strict=True)):
        m = len(cv.messages)
        stop = start + m
        z = np.full(m, model.intercept)
        for s, t in zip(sums, totals, strict=True):
            tot = np.sqrt(np.cumsum(t[start:stop]))
            tot[tot == 0] = 1.0
            z += np.cumsum(s[start:stop]) / tot
        if fl:
            z += np.log1p(per_message[start:stop].cumsum(axis=0)) @ model.flag_weights
        probs = model.calibrate(z)
        crossed = np.flatnonzero(probs >= model.threshold)
        score = float(probs[-1])
        parts = [item for block in strongest for item in block.get(j, ())]
        if fl:
            counts = flag_matrix([fl], model.categories)[0]
            parts += [(f"flags:{model.categories[i]}",
                       float(np.log1p(counts[i]) * model.flag_weights[i]))
                      for i in np.flatnonzero(counts)]
        parts.sort(key=lambda kv: -abs(kv[1]))
        contributions = [{"feature": str(f), "value": round(v, 6)}
                         for f, v in parts[:TOP_CONTRIBUTIONS] if v]
        results.append(ChatScreening(
            cv.id, score, score >= model.threshold, int(crossed[0]) if crossed.size else None,
            fl, contributions, verdict.score, model.threshold, m, _authors(fl)))
        start = stop
    return results


def _strongest(name: str, tab: Table, tabs: Tables, w: np.ndarray, conv_of_message: np.ndarray,
               norms: np.ndarray, cutoff: float, bits: int) -> dict[int, list[tuple[Any, float]]]:
    """Per conversation, the n-grams among the model's strongest weights that moved its score
    most (count x weight / norm, log-odds before calibration), strongest first; each named
    lazily (a `_Gram`) since only the overall top few are shown."""
    rows, cols = np.nonzero(np.abs(w) >= cutoff)
    if rows.size == 0:
        return {}
    conv = conv_of_message[tab.owner[rows]]
    keys = (conv << bits) | tab.bucket[rows, cols]
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    owner = unique >> bits
    values = np.bincount(inverse, weights=w[rows, cols]) / np.maximum(norms[owner], 1.0)
    order = np.lexsort((-np.abs(values), owner))
    grouped = owner[order]
    rank = np.arange(len(order)) - np.searchsorted(grouped, grouped)
    keep = order[rank < TOP_CONTRIBUTIONS]
    ends = tab.ends(rows[first[keep]], cols[first[keep]])
    out: dict[int, list[tuple[Any, float]]] = {}
    for i, end in zip(keep.tolist(), ends.tolist(), strict=True):
        out.setdefault(int(owner[i]), []).append(
            (_Gram(tabs, name, int(tab.start[rows[first[i]]]), end), float(values[i])))
    return out


@dataclass(frozen=True, slots=True)
class _Gram:
    """An n-gram named on demand: block and byte span in the batch's text."""

    tabs: Tables
    block: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.block}:{self.tabs.text(self.start, self.end)}"
