"""Interpretable text templates: the fixed skeleton a group of ads shares, and its slots.

A controller posting the same ad in eight cities changes the name, the city, the price and the
phone, and keeps the rest. Like InfoShield's templates, we align the ads' tokens against one
member (difflib's SequenceMatcher, exact and deterministic), keep the tokens every member shares
as fixed text, and turn every stretch that varies into a slot: "Hi gentlemen, I'm {NAME}, new in
{CITY} ...". Slots are labelled from what linking already knows about each ad (its names, city,
prices, phones), so an analyst reads both what stays and what changes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import pairwise

_TOKEN = re.compile(r"\w+|[^\w\s]")
_NUMERIC = re.compile(r"[\d\s().+$€£-]+")


@dataclass(slots=True)
class Slot:
    """A varying stretch: its label and the value each sampled member has there."""

    label: str
    values: list[str]

    @property
    def distinct(self) -> list[str]:
        return [v for v, _ in Counter(v for v in self.values if v).most_common()]


@dataclass(slots=True)
class Template:
    """Skeleton shared by `ads` (indices); `parts` alternates fixed text and `Slot`s."""

    ads: list[int]
    parts: list[str | Slot] = field(default_factory=list)
    fixed_share: float = 0.0

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else "{" + p.label + "}" for p in self.parts)

    @property
    def slots(self) -> list[Slot]:
        return [p for p in self.parts if isinstance(p, Slot)]


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Lower-cased word and punctuation tokens with their offsets."""
    return [(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def alignment_ratio(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of tokens two ads have in aligned order (1.0 = same token sequence)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _label(values: Sequence[str], hints: Sequence[dict[str, str]]) -> str:
    votes: Counter[str] = Counter()
    for value, hint in zip(values, hints, strict=True):
        v = value.strip().lower()
        if not v:
            continue
        if v in hint:
            votes[hint[v]] += 1
        elif _NUMERIC.fullmatch(v):
            number = digits(v)
            if len(number) >= 7 or _part_of_phone(number, hint):
                votes["PHONE"] += 1
            else:
                votes[hint.get(number, "NUMBER")] += 1
        else:
            votes["TEXT"] += 1
    return votes.most_common(1)[0][0] if votes else "TEXT"


def _part_of_phone(number: str, hint: dict[str, str]) -> bool:
    """Is this run of 3+ digits a piece of one of the ad's phones ("703 555 {PHONE}": a
    template that keeps the area code and exchange fixed and varies the line number)?"""
    return len(number) >= 3 and any(
        label == "PHONE" and number in value for value, label in hint.items())


def digits(text: str) -> str:
    """The digits of `text`, as template hints key phone numbers and numeric slots."""
    return "".join(c for c in text if c.isdigit())


def derive_template(
    texts: Sequence[str],
    ads: Sequence[int],
    hints: Sequence[dict[str, str]] | None = None,
    min_fixed_share: float = 0.5,
) -> Template | None:
    """Align `texts` on the first one; None if they share less than `min_fixed_share` of it.

    `hints[i]` maps a lower-cased value in ad i to a slot label ("NAME", "CITY", "PRICE",
    "AGE", "PHONE" with the phone's digits); numeric slots without a hint become PHONE (7+
    digits, or a piece of one of the ad's phones) or NUMBER.
    """
    if len(texts) < 2:
        return None
    hints = list(hints) if hints is not None else [{} for _ in texts]
    toks = [tokenize(t) for t in texts]
    base = [t[0] for t in toks[0]]
    if not base:
        return None
    # matched[m][k]: position in member m of base token k, or -1
    matched: list[list[int]] = []
    fixed = [True] * len(base)
    for member in toks:
        pos = [-1] * len(base)
        sm = SequenceMatcher(None, base, [t[0] for t in member], autojunk=False)
        for block in sm.get_matching_blocks():
            for k in range(block.size):
                pos[block.a + k] = block.b + k
        matched.append(pos)
        fixed = [f and p >= 0 for f, p in zip(fixed, pos, strict=True)]
    anchors = [-1, *[k for k, f in enumerate(fixed) if f], len(base)]
    share = (len(anchors) - 2) / len(base)
    if share < min_fixed_share:
        return None
    base_text, base_toks = texts[0], toks[0]
    parts: list[str | Slot] = []
    for prev, nxt in pairwise(anchors):
        values, gaps = [], []
        for m, member in enumerate(toks):
            lo = matched[m][prev] + 1 if prev >= 0 else 0
            hi = matched[m][nxt] if nxt < len(base) else len(member)
            gaps.append(tuple(t[0] for t in member[lo:hi]))
            values.append(texts[m][member[lo][1] : member[hi - 1][2]] if hi > lo else "")
        if len(set(gaps)) > 1:
            gap_lo = base_toks[prev][2] if prev >= 0 else 0
            space = " " if prev + 1 == nxt and prev >= 0 else ""
            if prev + 1 < nxt:
                space = base_text[gap_lo : base_toks[prev + 1][1]]
            parts.append(space)
            parts.append(Slot(_label(values, hints), values))
            start = base_toks[nxt - 1][2] if prev + 1 < nxt else gap_lo
        else:
            start = base_toks[prev][2] if prev >= 0 else 0
        if nxt < len(base):
            parts.append(base_text[start : base_toks[nxt][2]])
    merged: list[str | Slot] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return Template(ads=list(ads), parts=merged, fixed_share=share)


def shared_spans(a: str, b: str, min_tokens: int = 4, limit: int = 3,
                 width: int = 80) -> list[str]:
    """The longest runs of tokens two texts share, in `a`'s wording, longest first: what an
    analyst reads to see why a text edge was made (and whether it is only boilerplate)."""
    ta, tb = tokenize(a), tokenize(b)
    sm = SequenceMatcher(None, [t[0] for t in ta], [t[0] for t in tb], autojunk=False)
    blocks = sorted((m for m in sm.get_matching_blocks() if m.size >= min_tokens),
                    key=lambda m: -m.size)[:limit]
    out = []
    for m in blocks:
        text = " ".join(a[ta[m.a][1] : ta[m.a + m.size - 1][2]].split())
        out.append(text if len(text) <= width else text[: width - 1] + "…")
    return out
