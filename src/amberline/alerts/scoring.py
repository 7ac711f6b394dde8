"""How well an ad fits a missing child: a weighted sum of term similarities, each explained.

Why a transparent sum and not a model: an alert desk must see at once why an ad was surfaced
("name Mia = Mia; stated age 15 vs 14 at the alert; Fairfax, VA 0 km from the last-seen place;
blonde hair = blonde") and decide; the score only orders the queue. Each term has a weight
(configurable) and a similarity in [0, 1]; the score is the sum of weight x similarity over the
terms the alert gives data for, divided by their weights. An ad that does not mention a trait
gets 0 for it: evidence absent is not evidence present.

The ad side comes from the screening: NAME spans, AGE spans, DESCRIPTOR spans (height_cm,
weight_kg, hair, eyes, ethnicity) and PLACE spans with coordinates, plus `Ad.city`.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from amberline.alerts.descriptors import Person
from amberline.model import AGE, DESCRIPTOR, NAME, PLACE, Ad, Screening

DEFAULT_WEIGHTS = {"name": 0.30, "age": 0.20, "place": 0.20, "time": 0.05, "height": 0.05,
                   "weight": 0.05, "hair": 0.05, "eyes": 0.05, "race": 0.05}


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Weights and distances of alert matching; `threshold` is the score a match needs."""

    threshold: float = 0.5
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    near_km: float = 50.0  # places this close count as the same place
    far_km: float = 300.0  # similarity falls by 1/e every this many km beyond near_km
    fade_days: float = 60.0  # similarity of time falls by 1/e every this many days


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a match score, with the ad evidence (text and offsets) behind it."""

    term: str
    weight: float
    similarity: float
    contribution: float
    evidence: str
    start: int | None = None
    end: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ChildProfile:
    """What matching needs of one child in an alert."""

    alert_id: int
    person: Person
    first_name: str | None
    seen_at: datetime
    lat: float | None
    lon: float | None
    place_label: str | None

    @classmethod
    def build(cls, alert_id: int, person: Person, sent: datetime, area: str) -> ChildProfile:
        seen = sent
        if person.last_seen_time and "T" in person.last_seen_time:
            seen = datetime.fromisoformat(person.last_seen_time)
        place = person.place or locate(area)
        first = person.name.split()[0] if person.name else None
        return cls(alert_id, person, first, seen, place and place.get("lat"),
                   place and place.get("lon"), place and place.get("label"))


@lru_cache(maxsize=4096)
def locate(text: str | None) -> dict[str, Any] | None:
    """The gazetteer entry a place text names (the last one), or None."""
    if not text:
        return None
    from amberline.alerts.descriptors import _places

    spans = _places().extract(text)
    if not spans:
        return None
    return {"label": spans[-1].value, "lat": spans[-1].attrs.get("lat"),
            "lon": spans[-1].attrs.get("lon")}


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _descriptors(screening: Screening) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for span in screening.spans:
        if span.kind == DESCRIPTOR:
            found.setdefault(span.attrs.get("kind", ""), []).append(span)
    return found


def _name(child: ChildProfile, ad: Ad, screening: Screening) -> tuple[float, str, Any]:
    first = (child.first_name or "").lower()
    for span in screening.spans:
        if span.kind == NAME and str(span.value).lower() == first:
            return 1.0, f"name {span.value} = {child.first_name}", span
    full = child.person.name or ""
    text = ad.text
    if " " in full and (m := re.search(r"\b" + re.escape(full) + r"\b", text, re.I)):
        return 1.0, f"full name {m[0]!r} in the text", m.span()
    if first and (m := re.search(r"\b" + re.escape(first) + r"\b", text, re.I)):
        return 0.7, f"{m[0]!r} in the text (not as a stated name)", m.span()
    return 0.0, f"no {child.first_name}", None


def _age(child: ChildProfile, ad: Ad, screening: Screening) -> tuple[float, str, Any]:
    base = child.person.age or 0
    when = ad.posted_at or datetime.now(UTC)
    now_age = base + max(0, int((when - child.seen_at).days // 365.25))
    best: tuple[float, str, Any] = (0.0, "no stated age", None)
    for span in screening.spans:
        if span.kind != AGE or not isinstance(span.value, int):
            continue
        diff = abs(span.value - now_age)
        sim = 1.0 if diff <= 1 else 0.5 if diff <= 3 else 0.4 if now_age < 18 <= span.value <= 19 \
            else 0.0
        if sim > best[0] or best[2] is None:
            best = (sim, f"stated age {span.value} vs {now_age}", span)
    return best


def _place(child: ChildProfile, ad: Ad, screening: Screening, cfg: MatchConfig
           ) -> tuple[float, str, Any]:
    spots = [(s.value, s.attrs.get("lat"), s.attrs.get("lon"), s) for s in screening.spans
             if s.kind == PLACE and s.attrs.get("lat") is not None
             and s.attrs.get("lon") is not None]
    own = locate(", ".join(x for x in (ad.city, ad.region) if x)) if ad.city else None
    if own is not None and own["lat"] is not None and own["lon"] is not None:
        spots.append((own["label"], own["lat"], own["lon"], None))
    if not spots:
        return 0.0, "ad names no place", None
    km, label, span = min(((km_between(child.lat or 0, child.lon or 0, lat, lon), label, sp)
                           for label, lat, lon, sp in spots), key=lambda found: found[0])
    sim = 1.0 if km <= cfg.near_km else math.exp(-(km - cfg.near_km) / cfg.far_km)
    return sim, f"{label} is {km:.0f} km from {child.place_label}", span


def _time(child: ChildProfile, ad: Ad, cfg: MatchConfig) -> tuple[float, str, Any]:
    if ad.posted_at is None:
        return 0.5, "ad has no date", None
    days = (ad.posted_at - child.seen_at).total_seconds() / 86400
    if days < -2:
        return 0.0, f"posted {-days:.0f} days before the child was last seen", None
    sim = 1.0 if days <= 1 else math.exp(-(days - 1) / cfg.fade_days)
    return sim, f"posted {days:+.1f} days from last seen", None


def _physical(key: str, wanted: Any, found: dict[str, list[Any]]) -> tuple[float, str, Any]:
    kind = {"height": "height_cm", "weight": "weight_kg", "race": "ethnicity"}.get(key, key)
    best: tuple[float, str, Any] = (0.0, f"no {key} stated", None)
    for span in found.get(kind, []):
        value = span.attrs.get("group", span.value) if key == "race" else span.value
        if key in ("height", "weight"):
            diff = abs(float(value) - float(wanted))
            sim = 1.0 if diff <= 5 else 0.5 if diff <= 10 else 0.0
        else:
            sim = 1.0 if str(value).lower() == str(wanted).lower() else 0.0
        if sim >= best[0]:
            best = (sim, f"{key} {value} vs {wanted}", span)
    return best


def _offsets(where: Any) -> tuple[int | None, int | None]:
    """Offsets into `Ad.text` of a term's evidence: a Span, a (start, end) pair, or nothing."""
    if where is None:
        return None, None
    if isinstance(where, tuple):
        return where
    return where.start, where.end


def score(child: ChildProfile, ad: Ad, screening: Screening, cfg: MatchConfig
          ) -> tuple[float, list[Term]]:
    """The match score of an ad for one child, and its terms (one per trait the alert gives)."""
    person = child.person
    raw: list[tuple[str, tuple[float, str, Any]]] = []
    if child.first_name:
        raw.append(("name", _name(child, ad, screening)))
    if person.age is not None:
        raw.append(("age", _age(child, ad, screening)))
    if child.lat is not None:
        raw.append(("place", _place(child, ad, screening, cfg)))
    raw.append(("time", _time(child, ad, cfg)))
    found = _descriptors(screening)
    for key, wanted in (("height", person.height_cm), ("weight", person.weight_kg),
                        ("hair", person.hair), ("eyes", person.eyes), ("race", person.race)):
        if wanted is not None:
            raw.append((key, _physical(key, wanted, found)))
    total = sum(cfg.weights.get(k, 0.0) for k, _ in raw) or 1.0
    terms = []
    for key, (sim, evidence, where) in raw:
        weight = cfg.weights.get(key, 0.0) / total
        start, end = _offsets(where)
        terms.append(Term(key, round(weight, 4), round(sim, 3), round(weight * sim, 4),
                          evidence, start, end))
    return round(sum(t.contribution for t in terms), 4), terms
