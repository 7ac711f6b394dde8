"""The alert desk's operations, as plain functions the CLI, the API and the poller share.

Loading alerts stores them (Update/Cancel applied), keeps bad ones in quarantine, matches each
new active child-abduction alert against every stored ad and notifies the new matches, and
tells watchers when a message ends an alert (a Cancel, or text reporting the child found); adding a
watchlist entry matches it retroactively the same way. Keeping this in one place means the
command line and the web app cannot drift apart in what "load an alert" does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from amberline.alerts.cap import BadAlert, CapAlert
from amberline.alerts.matches import StoredMatch
from amberline.alerts.matching import MatchHook, match_alert, match_entry
from amberline.alerts.notify import Notifier, NotifyConfig
from amberline.alerts.records import ACTIVE, SaveResult, get_alert, quarantine_bad, save_alert
from amberline.alerts.scoring import MatchConfig
from amberline.alerts.watchlists import WatchEntry, add_entry, entries_from_alert
from amberline.store.database import Store


@dataclass(slots=True)
class LoadReport:
    """Counts of one load: nothing read goes uncounted."""

    read: int = 0
    stored: int = 0
    duplicate: int = 0
    quarantined: int = 0
    ended: int = 0
    matches: list[StoredMatch] = field(default_factory=list)
    bad: list[BadAlert] = field(default_factory=list)
    alert_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "stored": self.stored, "duplicate": self.duplicate,
                "quarantined": self.quarantined, "ended": self.ended,
                "matches": len(self.matches)}


def default_notifier() -> Notifier | None:
    """The notifier AMBERLINE_NOTIFY_CONFIG configures, or None."""
    config = NotifyConfig.from_env()
    return Notifier(config) if config else None


def ended_payload(alert: CapAlert, saved: SaveResult) -> dict[str, Any]:
    """What watchers are told when a message ends an alert (a Cancel, or the child found)."""
    return {"event": "amberline.alert_ended", "alert_id": saved.alert_id,
            "sender": alert.sender, "identifier": alert.identifier, "msgType": alert.msg_type,
            "reason": alert.ends_reason, "ended_alert_ids": saved.ended,
            "label": f"alert {alert.identifier} ended: {alert.ends_reason}"}


def ingest(store: Store, items: Iterable[CapAlert | BadAlert], cfg: MatchConfig | None = None,
           notifier: Notifier | None = None) -> LoadReport:
    """Store alerts, quarantine bad ones, match new active alerts retroactively, notify."""
    report = LoadReport()
    for item in items:
        report.read += 1
        if isinstance(item, BadAlert):
            report.bad.append(item)
            continue
        saved = save_alert(store, item)
        report.alert_ids.append(saved.alert_id)
        if not saved.new:
            report.duplicate += 1
            continue
        report.stored += 1
        report.ended += len(saved.ended)
        if item.ends_alert and notifier is not None:
            notifier.deliver(store, ended_payload(item, saved))
        stored = get_alert(store, saved.alert_id)
        if stored is not None and stored.state == ACTIVE and stored.is_child_abduction:
            new = match_alert(store, saved.alert_id, cfg)
            report.matches += new
            if new and notifier is not None:
                notifier.notify_matches(store, new)
    report.quarantined = len(report.bad)
    quarantine_bad(store, report.bad)
    return report


def watch(store: Store, kind: str, value: str, notifier: Notifier | None = None,
          **options: Any) -> tuple[WatchEntry, list[StoredMatch]]:
    """Add a watchlist entry and match it against every stored ad; notify new matches."""
    entry = add_entry(store, kind, value, **options)
    new = match_entry(store, entry)
    if new and notifier is not None:
        notifier.notify_matches(store, new)
    return entry, new


def watch_alert(store: Store, alert_id: int, notifier: Notifier | None = None
                ) -> tuple[list[WatchEntry], list[StoredMatch]]:
    """Watchlist entries from an alert's child (name, descriptors, plate), matched at once."""
    entries = entries_from_alert(store, alert_id)
    found: list[StoredMatch] = []
    for entry in entries:
        new = match_entry(store, entry)
        found += new
        if new and notifier is not None:
            notifier.notify_matches(store, new)
    return entries, found


def scan_hook(store: Store) -> MatchHook:
    """The hook `scan_hooks.default_hooks` adds: match new ads, notify per the environment."""
    del store  # the hook reads active alerts from the store it is called with
    return MatchHook(MatchConfig(), default_notifier())
