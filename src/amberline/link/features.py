"""What an analyst wants to know about a network, computed from its member ads.

The features are the ones casework relies on: how many ads, phones and names; where and when
(first/last seen, the movement path of cities over time with repeats collapsed, the posting
rate); the price range; how many members were flagged and which flags recur. Three structural
signals feed the network score: the most names seen on one phone, the most cities within a
short window, and the most phones using one template.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from amberline.model import PHONE, LinkRecord


@dataclass(slots=True)
class NetworkFeatures:
    """Summary of one network's members. Dates are None when no member has one."""

    ads: int
    phones: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    movement: list[str] = field(default_factory=list)
    posting_rate: float | None = None  # ads per day over the seen period
    price_min: float | None = None
    price_max: float | None = None
    flagged_share: float = 0.0
    recurring_flags: dict[str, int] = field(default_factory=dict)
    max_names_per_phone: int = 0
    max_cities_in_window: int = 0
    max_phones_per_template: int = 0


def _distinct(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _max_cities_in_window(dated: list[tuple[datetime, str]], window_days: float) -> int:
    """Most distinct cities among ads posted within any window of `window_days`."""
    best, lo = 0, 0
    for hi in range(len(dated)):
        while (dated[hi][0] - dated[lo][0]).total_seconds() > window_days * 86400:
            lo += 1
        best = max(best, len({c for _, c in dated[lo : hi + 1]}))
    return best


def network_features(
    records: Sequence[LinkRecord],
    template_of: dict[int, int] | None = None,
    members: Sequence[int] | None = None,
    window_days: float = 7.0,
) -> NetworkFeatures:
    """Features of the network made of `records` (whose corpus indices are `members`).

    `template_of` maps a corpus index to its template id, for phones-per-template.
    """
    members = list(members) if members is not None else list(range(len(records)))
    phones_of = [[v for k, v in r.keys if k == PHONE] for r in records]
    names_on_phone: dict[str, set[str]] = defaultdict(set)
    for r, phones in zip(records, phones_of, strict=True):
        for phone in phones:
            names_on_phone[phone].update(n.lower() for n in r.names)
    dated = sorted(
        ((r.posted_at, r.city) for r in records if r.posted_at is not None),
        key=lambda pair: pair[0],
    )
    movement: list[str] = []
    for _, city in dated:
        if city and (not movement or movement[-1] != city):
            movement.append(city)
    first = dated[0][0] if dated else None
    last = dated[-1][0] if dated else None
    rate = None
    if first is not None and last is not None:
        days = max((last - first).total_seconds() / 86400, 1.0)
        rate = len(dated) / days
    prices = [p for r in records for p in r.prices]
    flag_ads: Counter[str] = Counter(f for r in records for f in set(r.flags))
    phones_per_template: dict[int, set[str]] = defaultdict(set)
    for idx, phones in zip(members, phones_of, strict=True):
        if template_of and idx in template_of:
            phones_per_template[template_of[idx]].update(phones)
    return NetworkFeatures(
        ads=len(records),
        phones=_distinct(p for ps in phones_of for p in ps),
        names=_distinct(n for r in records for n in r.names),
        cities=_distinct(r.city for r in records),
        first_seen=first,
        last_seen=last,
        movement=movement,
        posting_rate=rate,
        price_min=min(prices) if prices else None,
        price_max=max(prices) if prices else None,
        flagged_share=sum(1 for r in records if r.flags) / len(records) if records else 0.0,
        recurring_flags={f: c for f, c in flag_ads.most_common() if c >= 2},
        max_names_per_phone=max((len(v) for v in names_on_phone.values()), default=0),
        max_cities_in_window=_max_cities_in_window(
            [(t, c) for t, c in dated if c], window_days
        ),
        max_phones_per_template=max((len(v) for v in phones_per_template.values()), default=0),
    )
