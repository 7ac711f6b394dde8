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
from amberline.chats.ngrams import Occurrences, occurrences
from amberline.chats.records import ChatFlag, Conversation
from amberline.chats.rules import ChatRules

TOP_CONTRIBUTIONS = 12
_CANDIDATES = 24  # strongest occurrences looked at when naming the top n-grams


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
    occ = occurrences(texts, model.bits)
    n = len(texts)
    # per message: sum of occurrence weights and n-gram count, per block
    sums, totals, per_occ = [], [], []
    for name, grams in zip(("word", "char"), occ.blocks(), strict=True):
        w = model.weights[name][grams.bucket]
        per_occ.append(w)
        sums.append(np.bincount(grams.owner, weights=w, minlength=n))
        totals.append(np.bincount(grams.owner, minlength=n).astype(np.float64))
    per_message = np.zeros((n, len(model.categories)))
    column = {c: i for i, c in enumerate(model.categories)}
    offset = 0
    for cv, fl in zip(conversations, all_flags, strict=True):
        for flag in fl:
            per_message[offset + flag.message, column[flag.category]] += 1
        offset += len(cv.messages)
    results = []
    start = 0
    for cv, fl, verdict in zip(conversations, all_flags, verdicts, strict=True):
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
        contributions = _contributions(model, occ, per_occ, totals, start, stop, fl)
        results.append(ChatScreening(
            cv.id, score, score >= model.threshold, int(crossed[0]) if crossed.size else None,
            fl, contributions, verdict.score, model.threshold, m, _authors(fl)))
        start = stop
    return results


def _contributions(model: ChatModel, occ: Occurrences, per_occ: list[np.ndarray],
                   totals: list[np.ndarray], start: int, stop: int,
                   flags: list[ChatFlag]) -> list[dict[str, Any]]:
    """The features that moved the whole conversation's score most (log-odds before
    calibration), strongest first: n-grams as written (lower-cased), and flag categories."""
    out: list[tuple[str, float]] = []
    for name, grams, w, t in zip(("word", "char"), occ.blocks(), per_occ, totals, strict=True):
        lo, hi = np.searchsorted(grams.owner, [start, stop])
        if hi <= lo:
            continue
        norm = float(np.sqrt(t[start:stop].sum())) or 1.0
        ws = w[lo:hi]
        k = min(_CANDIDATES, hi - lo)
        buckets = grams.bucket[lo:hi]
        candidates = np.unique(buckets[np.argpartition(-np.abs(ws), k - 1)[:k]])
        where, slot = np.nonzero(buckets[:, None] == candidates[None, :])
        values = np.bincount(slot, weights=ws[where], minlength=len(candidates)) / norm
        first = np.full(len(candidates), len(where))
        np.minimum.at(first, slot, np.arange(len(where)))
        for j in np.argsort(-np.abs(values))[:TOP_CONTRIBUTIONS]:
            out.append((f"{name}:{occ.text(grams, lo + int(where[first[j]]))}", float(values[j])))
    if flags:
        counts = flag_matrix([flags], model.categories)[0]
        for i in np.flatnonzero(counts):
            out.append((f"flags:{model.categories[i]}",
                        float(np.log1p(counts[i]) * model.flag_weights[i])))
    out.sort(key=lambda kv: -abs(kv[1]))
    return [{"feature": f, "value": round(v, 6)} for f, v in out[:TOP_CONTRIBUTIONS] if v]
