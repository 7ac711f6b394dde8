"""Screen conversations: flags with their evidence, a score in [0, 1], and the first alert.

One function for the CLI, the benchmark and the store: `screen_batch` reads each message once
(one lexicon pass and one n-gram pass over all messages of the batch) and returns, per
conversation, the lexicon flags (message index, offsets, author, rule), the score (the model's
calibrated probability, or the rules' score without a model), whether it alerts, and
`first_alert`: the first message after which the score of the conversation so far crossed the
threshold, the point at which a moderator could have been warned. With a model, a running
score before the last message is held to the model's early threshold (a conversation read in
part gives less evidence, so an early alert must clear a higher bar, chosen in training), the
last message to the alert threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import numpy as np

from amberline.chats.model import ChatModel
from amberline.chats.ngrams import BLOCKS, Batch, weight_sums
from amberline.chats.records import ChatFlag, Conversation
from amberline.chats.rules import ChatRules
from amberline.ingest.json_record import json_line, one_line

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


    def json_line(self) -> str:
        """`as_dict` as `amberline.ingest.json_record.json_line` writes it, byte for byte,
        without the dict: a conversation of short messages is screened in less time than the
        general encoder takes to write it. Strings go through the `json` module's own string
        encoder, numbers through the `repr` it uses; a value of a type this writer does not
        expect goes to the general encoder (a test holds both to the same bytes)."""
        try:
            flags = ", ".join([
                f'{{"category": {_string(f.category)}, "term": {_string(f.term)}, '
                f'"message": {_int(f.message)}, "start": {_int(f.start)}, '
                f'"end": {_int(f.end)}, "author": {_string(f.author)}, '
                f'"rule": {_string(f.rule)}}}' for f in self.flags])
            parts = ", ".join([
                f'{{"feature": {_string(c["feature"])}, "value": {_number(c["value"])}}}'
                if len(c) == 2 else _unusual() for c in self.contributions])  # as made below
            authors = ", ".join([
                f'{_string(a)}: [{", ".join([_string(c) for c in cats])}]'
                for a, cats in self.authors.items()])
            first = "null" if self.first_alert is None else _int(self.first_alert)
            alert = self.alert
            return (
                f'{{"id": {_string(self.id)}, "score": {_number(round(self.score, 6))}, '
                f'"alert": {"true" if alert is True else "false" if alert is False else _unusual()}'
                f', "first_alert": {first}, "flags": [{flags}], "contributions": [{parts}], '
                f'"rules_score": {_number(round(self.rules_score, 6))}, '
                f'"threshold": {_number(self.threshold)}, "messages": {_int(self.messages)}, '
                f'"authors": {{{authors}}}}}')
        except (_Unusual, KeyError, TypeError, AttributeError):
            return json_line(self.as_dict())


class _Unusual(Exception):
    """A value `ChatScreening.json_line` leaves to the general encoder."""


def _unusual() -> str:
    raise _Unusual


_ESCAPED: dict[str, str] = {}  # category, rule, author and n-gram names repeat: encoded once


def _string(text: str) -> str:
    """A JSON string as `json_line` writes it."""
    if type(text) is not str:
        raise _Unusual
    out = _ESCAPED.get(text)
    if out is not None:
        return out
    out = encode_basestring(text)
    if not text.isascii():
        out = one_line(out)
    if len(text) <= 64:
        if len(_ESCAPED) >= 100_000:
            _ESCAPED.clear()
        _ESCAPED[text] = out
    return out


def _number(x: float) -> str:
    """A float as `json.dumps` writes it (its `repr`, or NaN / Infinity)."""
    if type(x) is not float and not isinstance(x, float):
        raise _Unusual
    if x - x == 0.0:
        return float.__repr__(x)
    return "NaN" if x != x else "Infinity" if x > 0 else "-Infinity"


def _int(x: int) -> str:
    if type(x) is not int:
        raise _Unusual
    return int.__repr__(x)


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
                          v.score, threshold, len(cv.messages), _authors(fl) if fl else {})
            for cv, fl, v in zip(conversations, all_flags, verdicts, strict=True)
        ]
    texts = [m.text for cv in conversations for m in cv.messages]
    sizes = np.fromiter((len(cv.messages) for cv in conversations), dtype=np.int64,
                        count=len(conversations))
    conv_of_message = np.repeat(np.arange(len(conversations)), sizes)
    first = np.cumsum(sizes) - sizes  # each conversation's first message in the batch
    found = weight_sums(texts, np.append(first, len(texts)), model.weights,
                        {b: model.strong(b) for b in BLOCKS},
                        {b: model.strong_set(b) for b in BLOCKS}, TOP_CONTRIBUTIONS, model.bits)
    z = np.full(len(texts), model.intercept)
    names, starts, ends, values = [], [], [], []
    for name in BLOCKS:
        running = _running(found.sums[name], first, sizes)
        norm = np.sqrt(_running(found.counts[name].astype(np.float64), first, sizes))
        norm[norm == 0] = 1.0
        z += running / norm
        whole = np.sqrt(np.bincount(conv_of_message, weights=found.counts[name],
                                    minlength=len(sizes)))
        top = found.top[name]
        names += [name] * top.start.shape[1]
        starts.append(top.start)
        ends.append(top.end)
        values.append(top.value / np.maximum(whole, 1.0)[:, None])
    column = {c: i for i, c in enumerate(model.categories)}
    flagged = [(first_j + flag.message, column[flag.category])
               for first_j, fl in zip(first.tolist(), all_flags, strict=True) for flag in fl]
    per_message = np.zeros((len(texts), len(model.categories)))
    per_conversation = np.zeros((len(conversations), len(model.categories)))
    if flagged:
        at, cats = np.array(flagged, dtype=np.int64).T
        np.add.at(per_message, (at, cats), 1)
        np.add.at(per_conversation, (conv_of_message[at], cats), 1)
        z += np.log1p(_running(per_message, first, sizes)) @ model.flag_weights
    probs = model.calibrate(z)
    # before its last message a conversation is read in part: the early threshold applies;
    # on the last one, the whole conversation's alert threshold
    last = np.zeros(len(texts), dtype=bool)
    last[(first + sizes - 1)[sizes > 0]] = True
    crossed = np.flatnonzero(probs >= np.where(last, model.threshold, model.early))
    convs, at = np.unique(conv_of_message[crossed], return_index=True)
    first_alert = dict(zip(convs.tolist(), (crossed[at] - first[convs]).tolist(), strict=True))
    grams = _strongest(found.batch, names, np.hstack(starts), np.hstack(ends),
                       np.hstack(values))
    results = []
    for j, (cv, fl, verdict) in enumerate(zip(conversations, all_flags, verdicts, strict=True)):
        m = len(cv.messages)
        score = float(probs[first[j] + m - 1]) if m else float(model.calibrate(model.intercept))
        parts = grams[j]
        if fl:
            counts = per_conversation[j]
            parts = parts + [(f"flags:{model.categories[i]}",
                              float(np.log1p(counts[i]) * model.flag_weights[i]))
                             for i in np.flatnonzero(counts)]
            parts.sort(key=lambda kv: -abs(kv[1]))
        contributions = [{"feature": f, "value": round(v, 6)}
                         for f, v in parts[:TOP_CONTRIBUTIONS] if v]
        results.append(ChatScreening(
            cv.id, score, score >= model.threshold, first_alert.get(j), fl, contributions,
            verdict.score, model.threshold, m, _authors(fl) if fl else {}))
    return results


def _running(values: np.ndarray, first: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Running sums of per-message values within each conversation (rows: messages of all
    conversations in order)."""
    total = np.cumsum(values, axis=0)
    if not len(values):
        return total
    before = np.concatenate((np.zeros((1, *values.shape[1:])), total[:-1]))
    return total - np.repeat(before[np.minimum(first, len(values) - 1)], sizes, axis=0)


def _strongest(batch: Batch, names: list[str], starts: np.ndarray, ends: np.ndarray,
               values: np.ndarray) -> list[list[tuple[str, float]]]:
    """Per conversation (rows), the n-grams among the model's strongest weights that moved its
    score most (count x weight / norm, log-odds before calibration), strongest first, named
    as `block:text` (columns: each block's candidates, start -1 where there are none)."""
    magnitude = np.where(starts >= 0, np.abs(values), -1.0)
    order = np.argsort(-magnitude, axis=1, kind="stable")[:, :TOP_CONTRIBUTIONS]
    rows = np.arange(len(values))[:, None]
    data = batch.data
    out = []
    for cols, s_row, e_row, v_row in zip(order.tolist(), starts[rows, order].tolist(),
                                         ends[rows, order].tolist(), values[rows, order].tolist(),
                                         strict=True):
        out.append([(f"{names[c]}:{data[s:e].decode('utf-8', 'replace')}", v)
                    for c, s, e, v in zip(cols, s_row, e_row, v_row, strict=True) if s >= 0])
    return out
