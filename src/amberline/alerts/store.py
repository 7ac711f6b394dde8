"""Alerts in the store: saving CAP messages with their Update/Cancel effects, and reading them.

Why here and not in `Store`: alerts are one area's concern; these functions take a `Store` and
use its engine, so `store/database.py` stays the shared core. CAP identity is (sender,
identifier): saving the same message twice stores it once. An Update supersedes and a Cancel
(or any message whose text cancels the alert or reports the child found: `ends_alert`)
deactivates the alerts it references, also when the referenced alert arrives after it (feeds are
not ordered), so an alert that was called off is never matched again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from amberline.alerts.cap import BadAlert, CapAlert
from amberline.alerts.descriptors import AlertDescriptors
from amberline.store.database import Store
from amberline.store.rows import insert_ignore
from amberline.store.schema import utcnow
from amberline.store.schema_alerts import alerts, watchlist_entries

ACTIVE = "active"
EFFECTS = {"Update": "superseded", "Cancel": "cancelled"}


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One stored CAP alert with its current state (active, superseded, cancelled, ...)."""

    id: int
    sender: str
    identifier: str
    sent: datetime
    status: str
    msg_type: str
    event: str
    headline: str
    is_child_abduction: bool
    references: list[dict[str, str]]
    descriptors: AlertDescriptors
    area: str
    state: str
    replaced_by: int | None
    origin: str
    stored_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "sender": self.sender, "identifier": self.identifier,
            "sent": self.sent.isoformat(), "status": self.status, "msgType": self.msg_type,
            "event": self.event, "headline": self.headline,
            "is_child_abduction": self.is_child_abduction, "references": self.references,
            "descriptors": self.descriptors.as_dict(), "area": self.area, "state": self.state,
            "replaced_by": self.replaced_by, "origin": self.origin,
        }


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What saving one alert did: its id, whether it was new, and alerts it ended."""

    alert_id: int
    new: bool
    ended: list[int]


def _initial_state(alert: CapAlert) -> str:
    if alert.status == "Draft":
        return "draft"
    if alert.ends_alert:  # a Cancel, or an Alert/Update whose text says the child was found
        return "cancelled"
    return ACTIVE if alert.msg_type in ("Alert", "Update") else "info"


def _end(conn: sa.Connection, sender: str, identifier: str, state: str, by: int) -> list[int]:
    found = conn.execute(
        sa.select(alerts.c.id).where(alerts.c.sender == sender,
                                     alerts.c.identifier == identifier,
                                     alerts.c.state == ACTIVE)).scalars().all()
    if found:
        conn.execute(alerts.update().where(alerts.c.id.in_(found))
                     .values(state=state, replaced_by=by))
        _stop_watching(conn, found)
    return list(found)


def _stop_watching(conn: sa.Connection, alert_ids: Iterable[int]) -> None:
    """Watchlist entries made from ended alerts (`watchlist from-alert`) stop matching too."""
    conn.execute(watchlist_entries.update().where(watchlist_entries.c.alert_id.in_(
        list(alert_ids))).values(active=False))


def save_alert(store: Store, alert: CapAlert) -> SaveResult:
    """Store one alert (once) and apply its references; returns what it did."""
    row = {
        "sender": alert.sender, "identifier": alert.identifier, "sent": alert.sent,
        "status": alert.status, "msg_type": alert.msg_type, "version": alert.version,
        "event": alert.event, "headline": alert.headline,
        "is_child_abduction": alert.is_child_abduction,
        "references": [r.as_dict() for r in alert.references],
        "descriptors": alert.descriptors.as_dict(), "area": alert.area,
        "expires": alert.expires, "state": _initial_state(alert), "replaced_by": None,
        "origin": alert.origin, "xml": alert.xml, "stored_at": utcnow(),
    }
    insert = insert_ignore(alerts, store.engine.dialect.name, ["sender", "identifier"])
    with store.writer.begin() as conn:
        inserted = conn.execute(insert.returning(alerts.c.id), [row]).scalars().all()
        if not inserted:
            existing = conn.execute(sa.select(alerts.c.id).where(
                alerts.c.sender == alert.sender, alerts.c.identifier == alert.identifier)
            ).scalar_one()
            return SaveResult(existing, False, [])
        alert_id = inserted[0]
        ended: list[int] = []
        effect = "cancelled" if alert.ends_alert else EFFECTS.get(alert.msg_type)
        if effect:
            for ref in alert.references:
                ended += _end(conn, ref.sender, ref.identifier, effect, alert_id)
        # A later message that already arrived may reference this one (feeds are unordered).
        for later in conn.execute(sa.select(alerts.c.id, alerts.c.msg_type, alerts.c.state,
                                            alerts.c.references)
                                  .where(sa.or_(alerts.c.msg_type.in_(list(EFFECTS)),
                                                alerts.c.state == "cancelled"),
                                         alerts.c.id != alert_id)):
            refs = later.references or []
            if any(r["sender"] == alert.sender and r["identifier"] == alert.identifier
                   for r in refs):
                effect = "cancelled" if later.state == "cancelled" else EFFECTS[later.msg_type]
                ended += _end(conn, alert.sender, alert.identifier, effect, later.id)
    return SaveResult(alert_id, True, ended)


def quarantine_bad(store: Store, bad: Iterable[BadAlert]) -> int:
    """Keep unusable alert documents in the shared quarantine table; returns how many were new."""
    return store.quarantine(None, list(bad))


def _stored(row: sa.Row[Any]) -> StoredAlert:
    return StoredAlert(
        row.id, row.sender, row.identifier, row.sent, row.status, row.msg_type, row.event,
        row.headline, row.is_child_abduction, row.references or [],
        AlertDescriptors.from_dict(row.descriptors), row.area, row.state, row.replaced_by,
        row.origin, row.stored_at,
    )


def list_alerts(store: Store, state: str | None = None, child_only: bool = False,
                ids: Iterable[int] | None = None) -> list[StoredAlert]:
    """Stored alerts, newest first; optionally one state, child abductions only, or some ids."""
    query = sa.select(alerts).order_by(alerts.c.sent.desc(), alerts.c.id.desc())
    if state is not None:
        query = query.where(alerts.c.state == state)
    if child_only:
        query = query.where(alerts.c.is_child_abduction.is_(True))
    if ids is not None:
        query = query.where(alerts.c.id.in_(list(ids)))
    with store.engine.connect() as conn:
        return [_stored(r) for r in conn.execute(query)]


def get_alert(store: Store, alert_id: int) -> StoredAlert | None:
    found = list_alerts(store, ids=[alert_id])
    return found[0] if found else None


def active_child_alerts(store: Store) -> list[StoredAlert]:
    """The alerts every new ad is matched against."""
    return list_alerts(store, state=ACTIVE, child_only=True)


def close_alert(store: Store, alert_id: int) -> bool:
    """An analyst ends matching for an alert (child found); returns whether it was active."""
    with store.writer.begin() as conn:
        closed = conn.execute(alerts.update().where(alerts.c.id == alert_id,
                                                    alerts.c.state == ACTIVE)
                              .values(state="closed")).rowcount == 1
        if closed:
            _stop_watching(conn, [alert_id])
        return closed
