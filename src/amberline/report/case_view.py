"""What a case file shows, computed once for both renderers (HTML and PDF).

Why separate from rendering: the timeline and the movement path are facts about the case; the
HTML and the PDF must show the same ones, so they are computed here and only drawn there (the
evidence highlighting is `amberline.evidence`, shared with the workspace).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from amberline.extract.places import own_places
from amberline.report.case import Case


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: str  # posted | decision | audit
    text: str


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _audit_time(entry: dict[str, Any]) -> datetime | None:
    for name in ("at", "created_at", "recorded_at", "timestamp", "decided_at"):
        value = entry.get(name)
        if isinstance(value, datetime):
            return _aware(value)
        if isinstance(value, str):
            try:
                return _aware(datetime.fromisoformat(value))
            except ValueError:
                continue
    return None


def timeline(case: Case) -> list[Event]:
    """Postings, decisions and audit entries in time order (undated audit entries last)."""
    events = [
        Event(_aware(s.ad.posted_at), "posted", f"{s.ad.key} posted in "
              f"{city_of(s) or 'unknown place'} (score {s.screening.score:.2f})")
        for s in case.ads if s.ad.posted_at is not None
    ]
    for d in case.decisions:
        target = f"ad {d.ad_key}" if d.ad_key else f"network {d.network_id}"
        events.append(Event(_aware(d.decided_at), "decision",
                            f"{d.action} on {target} by {d.user_name}: {d.note}"))
    for entry in case.audit:
        when = _audit_time(entry)
        if when is not None:
            events.append(Event(when, "audit", ", ".join(f"{k}={v}" for k, v in entry.items())))
    return sorted(events, key=lambda e: e.at)


def city_of(stored: Any) -> str | None:
    """The ad's city field, else the first place named in its text."""
    if stored.ad.city:
        return stored.ad.city
    places = own_places(stored.screening.spans)
    return str(places[0].value) if places else None


@dataclass(frozen=True, slots=True)
class Stop:
    city: str
    first: datetime
    last: datetime
    ads: int


def movement(case: Case) -> list[Stop]:
    """The places the case's dated ads were posted in, in time order, repeats merged."""
    stops: list[Stop] = []
    dated = sorted((s for s in case.ads if s.ad.posted_at is not None),
                   key=lambda s: _aware(s.ad.posted_at))
    for stored in dated:
        city = city_of(stored)
        if city is None:
            continue
        at = _aware(stored.ad.posted_at)
        if stops and stops[-1].city == city:
            last = stops[-1]
            stops[-1] = Stop(city, last.first, at, last.ads + 1)
        else:
            stops.append(Stop(city, at, at, 1))
    return stops
