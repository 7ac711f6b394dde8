"""Match records and their table: which ad matched which alert or watchlist entry, and why.

One row per (ad, subject) with subject "alert:<id>" or "entry:<id>", so the scan hook and a
retroactive run that both find an ad store it once; only newly stored matches are returned to
be notified, so nobody is told twice about the same ad.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from amberline.store import alerts as alert_sql
from amberline.store.database import Store
from amberline.store.schema import utcnow


@dataclass(frozen=True, slots=True)
class Match:
    """A found match before it is stored: the ad, what it matched, the score and its terms."""

    ad_id: int
    ad_key: str
    alert_id: int | None
    entry_id: int | None
    score: float
    terms: list[dict[str, Any]]

    @property
    def subject(self) -> str:
        return f"alert:{self.alert_id}" if self.alert_id is not None else f"entry:{self.entry_id}"


@dataclass(frozen=True, slots=True)
class StoredMatch:
    """A stored match with what an analyst needs to read it in a list."""

    id: int
    ad_id: int
    ad_key: str
    ad_title: str
    ad_url: str | None
    subject: str
    alert_id: int | None
    entry_id: int | None
    label: str
    score: float
    terms: list[dict[str, Any]]
    via: str
    matched_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "ad_id": self.ad_id, "ad_key": self.ad_key, "ad_title": self.ad_title,
            "ad_url": self.ad_url, "subject": self.subject, "alert_id": self.alert_id,
            "entry_id": self.entry_id, "label": self.label, "score": self.score,
            "terms": self.terms, "via": self.via, "matched_at": self.matched_at.isoformat(),
        }


def save_matches(store: Store, found: Iterable[Match], via: str) -> list[StoredMatch]:
    """Store matches once each; returns only those that were new."""
    now = utcnow()
    rows = [{"ad_id": m.ad_id, "subject": m.subject, "alert_id": m.alert_id,
             "entry_id": m.entry_id, "score": m.score, "terms": m.terms, "via": via,
             "matched_at": now} for m in found]
    if not rows:
        return []
    new_ids = alert_sql.insert_matches(store, rows)
    return list_matches(store, ids=new_ids) if new_ids else []


def list_matches(store: Store, *, alert_id: int | None = None, entry_id: int | None = None,
                 min_score: float = 0.0, ids: Iterable[int] | None = None,
                 limit: int = 1000) -> list[StoredMatch]:
    """Stored matches, best first (then newest)."""
    found = alert_sql.match_rows(store, alert_id=alert_id, entry_id=entry_id,
                                 min_score=min_score, ids=ids, limit=limit)
    return [StoredMatch(r.id, r.ad_id, r.key, r.title, r.url, r.subject, r.alert_id,
                        r.entry_id, r.what or r.subject, r.score, r.terms or [], r.via,
                        r.matched_at) for r in found]
