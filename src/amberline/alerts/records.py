"""Alert records: a parsed CAP message as the row to store, stored rows as `StoredAlert`s.

Why split this way: the SQL (CAP identity, Update/Cancel effects, also when a referenced alert
arrives after the message that ends it) lives in `store/alerts.py`; this module turns a parsed
`CapAlert` into the row to store and stored rows into `StoredAlert` records, so the store never
imports the alerts domain. (It was `alerts/store.py`: named for the store, it held no SQL.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from amberline.alerts.cap import BadAlert, CapAlert
from amberline.alerts.descriptors import AlertDescriptors
from amberline.store import alerts as alert_sql
from amberline.store.alerts import ACTIVE, EFFECTS, SaveResult, close_alert
from amberline.store.database import Store
from amberline.store.schema import utcnow

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["ACTIVE", "EFFECTS", "SaveResult", "StoredAlert", "active_child_alerts",
           "close_alert", "get_alert", "list_alerts", "quarantine_bad", "save_alert"]


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


def _initial_state(alert: CapAlert) -> str:
    if alert.status == "Draft":
        return "draft"
    if alert.ends_alert:  # a Cancel, or an Alert/Update whose text says the child was found
        return "cancelled"
    return ACTIVE if alert.msg_type in ("Alert", "Update") else "info"


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
    effect = "cancelled" if alert.ends_alert else EFFECTS.get(alert.msg_type)
    return alert_sql.insert_alert(store, row, effect,
                                  [(r.sender, r.identifier) for r in alert.references])


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
    return [_stored(r) for r in alert_sql.alert_rows(store, state, child_only, ids)]


def get_alert(store: Store, alert_id: int) -> StoredAlert | None:
    found = list_alerts(store, ids=[alert_id])
    return found[0] if found else None


def active_child_alerts(store: Store) -> list[StoredAlert]:
    """The alerts every new ad is matched against."""
    return list_alerts(store, state=ACTIVE, child_only=True)
