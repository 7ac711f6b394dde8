"""Watchlists: identifiers and descriptions an alert desk wants to hear about as soon as seen.

Kinds: a phone, email or social handle (exact, normalised the way the extractors normalise
them, so a lookup is one indexed query on identifiers (kind, value)); a name with an optional
age range; a PDQ image hash; a keyword or phrase; a descriptor set (e.g. red hair, green eyes,
150 cm). Entries are added from the CLI, a CSV, the API (plain functions here, a FastAPI router
in `api.py`) or created from an alert. Values are normalised on the way in and rejected with a
readable reason when they cannot be, never stored half-valid.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amberline import identifiers
from amberline.alerts.cap import BadAlert
from amberline.alerts.records import get_alert
from amberline.alerts.vocab import tidy_case
from amberline.store import alerts as alert_sql
from amberline.store.alerts import deactivate
from amberline.store.database import Store

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["KINDS", "WatchEntry", "add_entry", "deactivate", "entries_from_alert",
           "import_csv", "list_entries", "normalise", "parse_descriptor_set"]

KINDS = ("phone", "email", "handle", "name", "pdq", "keyword", "descriptors")
DESCRIPTOR_KEYS = {"height_cm": int, "weight_kg": float, "hair": str, "eyes": str,
                   "ethnicity": str}


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """One watchlist entry; `value` is normalised (E.164, lower case, JSON for descriptors)."""

    id: int
    kind: str
    value: str
    label: str
    min_age: int | None
    max_age: int | None
    attrs: dict[str, Any]
    alert_id: int | None
    active: bool
    created_by: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


def parse_descriptor_set(text: str) -> dict[str, Any]:
    """"hair=red, eyes=green, height_cm=150" (or a JSON object) as a checked dict."""
    items: dict[str, Any] = json.loads(text) if text.strip().startswith("{") else dict(
        part.split("=", 1) for part in re.split(r"[,;]\s*", text.strip()) if "=" in part)
    out: dict[str, Any] = {}
    for key, raw in items.items():
        key = key.strip().lower()
        if key not in DESCRIPTOR_KEYS:
            raise ValueError(f"descriptor {key!r} is not one of {', '.join(DESCRIPTOR_KEYS)}")
        kind = DESCRIPTOR_KEYS[key]
        out[key] = kind(raw) if kind is not str else str(raw).strip().lower()
    if not out:
        raise ValueError("a descriptor set needs at least one KEY=VALUE, e.g. hair=red")
    return out


def normalise(kind: str, value: str, region: str = "US") -> str:
    """The value as matching compares it; raises ValueError naming what is wrong."""
    value = value.strip()
    if kind not in KINDS:
        raise ValueError(f"unknown watchlist kind {kind!r}; use one of {', '.join(KINDS)}")
    if not value:
        raise ValueError(f"empty {kind} value")
    if kind in identifiers.REGISTRY:  # phone, email, handle, pdq: as extraction stores them
        return identifiers.normalise(kind, value, region)
    if kind == "name":
        return tidy_case(" ".join(w.capitalize() if w.islower() else w for w in value.split()))
    if kind == "keyword":
        return " ".join(value.lower().split())
    return json.dumps(parse_descriptor_set(value), sort_keys=True)


def _entry(row: sa.Row[Any]) -> WatchEntry:
    return WatchEntry(row.id, row.kind, row.value, row.label, row.min_age, row.max_age,
                      row.attrs or {}, row.alert_id, row.active, row.created_by, row.created_at)


def add_entry(store: Store, kind: str, value: str, *, label: str = "",
              min_age: int | None = None, max_age: int | None = None,
              alert_id: int | None = None, created_by: str = "cli",
              region: str = "US") -> WatchEntry:
    """Add one entry (or return the identical active one already there)."""
    kind = kind.strip().lower()
    norm = normalise(kind, value, region)
    if (min_age is not None or max_age is not None) and kind != "name":
        raise ValueError("an age range only applies to name entries")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ValueError(f"age range {min_age}-{max_age} is empty")
    attrs = json.loads(norm) if kind == "descriptors" else {}
    return _entry(alert_sql.insert_watch_entry(store, {
        "kind": kind, "value": norm, "label": label or value.strip(), "min_age": min_age,
        "max_age": max_age, "attrs": attrs, "alert_id": alert_id, "created_by": created_by}))


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip() else None


def import_csv(store: Store, path: Path, created_by: str = "csv"
               ) -> tuple[list[WatchEntry], list[BadAlert]]:
    """Entries from a CSV with columns kind, value and optional label, min_age, max_age.

    A row that cannot be used is returned as a bad record (file, line, reason), not dropped.
    """
    added: list[WatchEntry] = []
    bad: list[BadAlert] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"kind", "value"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            try:
                added.append(add_entry(
                    store, row["kind"] or "", row["value"] or "", label=row.get("label") or "",
                    min_age=_int(row.get("min_age")), max_age=_int(row.get("max_age")),
                    created_by=created_by))
            except ValueError as exc:
                bad.append(BadAlert(str(path), reader.line_num, str(exc), json.dumps(row)))
    return added, bad


def entries_from_alert(store: Store, alert_id: int) -> list[WatchEntry]:
    """Entries for an alert's child: name (with an age range), descriptors, and the plate."""
    alert = get_alert(store, alert_id)
    if alert is None:
        raise ValueError(f"no alert with id {alert_id}")
    out: list[WatchEntry] = []
    for child in alert.descriptors.children:
        if child.name:
            low = child.age if child.age is not None else None
            out.append(add_entry(store, "name", child.name, label=f"alert {alert_id}: name",
                                 min_age=low, max_age=None if low is None else max(low + 6, 19),
                                 alert_id=alert_id, created_by=f"alert:{alert_id}"))
        found = {"height_cm": child.height_cm, "weight_kg": child.weight_kg,
                 "hair": child.hair, "eyes": child.eyes, "ethnicity": child.race}
        found = {k: v for k, v in found.items() if v is not None}
        if len(found) >= 2:
            out.append(add_entry(store, "descriptors", json.dumps(found),
                                 label=f"alert {alert_id}: descriptors", alert_id=alert_id,
                                 created_by=f"alert:{alert_id}"))
    vehicle = alert.descriptors.vehicle
    if vehicle is not None and vehicle.plate:
        out.append(add_entry(store, "keyword", vehicle.plate, label=f"alert {alert_id}: plate",
                             alert_id=alert_id, created_by=f"alert:{alert_id}"))
    return out


def list_entries(store: Store, active_only: bool = True) -> list[WatchEntry]:
    return [_entry(r) for r in alert_sql.watch_entry_rows(store, active_only)]
