"""The alert desk's tables: CAP alerts, watchlist entries, matches and notification deliveries.

Why here: SQL lives in `store/`, one module per area; `alerts/` keeps the domain (parsing,
scoring, matching decisions, sending) and calls these functions. CAP identity is (sender,
identifier): saving the same message twice stores it once. An Update supersedes and a Cancel
(or any message whose text cancels the alert or reports the child found) deactivates the alerts
it references, also when the referenced alert arrives after it (feeds are not ordered), so an
alert that was called off is never matched again. Rows are returned as they are stored; the
records analysts read are built from them in `alerts/`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from amberline.store.database import Store
from amberline.store.rows import insert_ignore
from amberline.store.schema import ads, utcnow
from amberline.store.schema_alerts import alerts, matches, notifications, watchlist_entries

ACTIVE = "active"
EFFECTS = {"Update": "superseded", "Cancel": "cancelled"}


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What saving one alert did: its id, whether it was new, and alerts it ended."""

    alert_id: int
    new: bool
    ended: list[int]


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


def insert_alert(store: Store, row: dict[str, Any], effect: str | None,
                 references: Iterable[tuple[str, str]]) -> SaveResult:
    """Store one alert row (once) and end the alerts it references (sender, identifier) with
    `effect`, and itself if an already stored later message references it."""
    sender, identifier = row["sender"], row["identifier"]
    insert = insert_ignore(alerts, store.engine.dialect.name, ["sender", "identifier"])
    with store.writer.begin() as conn:
        inserted = conn.execute(insert.returning(alerts.c.id), [row]).scalars().all()
        if not inserted:
            existing = conn.execute(sa.select(alerts.c.id).where(
                alerts.c.sender == sender, alerts.c.identifier == identifier)
            ).scalar_one()
            return SaveResult(existing, False, [])
        alert_id = inserted[0]
        ended: list[int] = []
        if effect:
            for ref_sender, ref_identifier in references:
                ended += _end(conn, ref_sender, ref_identifier, effect, alert_id)
        # A later message that already arrived may reference this one (feeds are unordered).
        for later in conn.execute(sa.select(alerts.c.id, alerts.c.msg_type, alerts.c.state,
                                            alerts.c.references)
                                  .where(sa.or_(alerts.c.msg_type.in_(list(EFFECTS)),
                                                alerts.c.state == "cancelled"),
                                         alerts.c.id != alert_id)):
            refs = later.references or []
            if any(r["sender"] == sender and r["identifier"] == identifier for r in refs):
                effect = "cancelled" if later.state == "cancelled" else EFFECTS[later.msg_type]
                ended += _end(conn, sender, identifier, effect, later.id)
    return SaveResult(alert_id, True, ended)


def alert_rows(store: Store, state: str | None = None, child_only: bool = False,
               ids: Iterable[int] | None = None) -> list[sa.Row[Any]]:
    """Stored alert rows, newest first; optionally one state, child abductions only, or ids."""
    query = sa.select(alerts).order_by(alerts.c.sent.desc(), alerts.c.id.desc())
    if state is not None:
        query = query.where(alerts.c.state == state)
    if child_only:
        query = query.where(alerts.c.is_child_abduction.is_(True))
    if ids is not None:
        query = query.where(alerts.c.id.in_(list(ids)))
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def close_alert(store: Store, alert_id: int) -> bool:
    """An analyst ends matching for an alert (child found); returns whether it was active."""
    with store.writer.begin() as conn:
        closed = conn.execute(alerts.update().where(alerts.c.id == alert_id,
                                                    alerts.c.state == ACTIVE)
                              .values(state="closed")).rowcount == 1
        if closed:
            _stop_watching(conn, [alert_id])
        return closed


def insert_watch_entry(store: Store, values: dict[str, Any]) -> sa.Row[Any]:
    """Add one watchlist entry row, or return the identical active one already there (same
    kind, value, age range and alert)."""
    same = (watchlist_entries.c.kind == values["kind"],
            watchlist_entries.c.value == values["value"], watchlist_entries.c.active.is_(True))
    key = (values["min_age"], values["max_age"], values["alert_id"])
    with store.writer.begin() as conn:
        for row in conn.execute(sa.select(watchlist_entries).where(*same)):
            if (row.min_age, row.max_age, row.alert_id) == key:
                return row
        row_id = conn.execute(watchlist_entries.insert().values(
            **values, active=True, created_at=utcnow())).inserted_primary_key[0]
        return conn.execute(sa.select(watchlist_entries)
                            .where(watchlist_entries.c.id == row_id)).one()


# Whether any alert or watchlist entry is in force: built once, as a scan asks it per batch.
_ANYTHING_TO_MATCH = sa.select(sa.or_(
    sa.exists().where(alerts.c.state == ACTIVE, alerts.c.is_child_abduction.is_(True)),
    sa.exists().where(watchlist_entries.c.active.is_(True))))


def anything_to_match(store: Store) -> bool:
    """Whether new ads have anything to be matched against (an active child-abduction alert,
    an active watchlist entry): one query, so that a scan into a store with neither, the
    common case, skips reading both lists for every batch."""
    with store.engine.connect() as conn:
        return bool(conn.execute(_ANYTHING_TO_MATCH).scalar())


def watch_entry_rows(store: Store, active_only: bool = True) -> list[sa.Row[Any]]:
    query = sa.select(watchlist_entries).order_by(watchlist_entries.c.id)
    if active_only:
        query = query.where(watchlist_entries.c.active.is_(True))
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def deactivate(store: Store, entry_id: int) -> bool:
    """Stop matching one watchlist entry; returns whether it existed."""
    with store.writer.begin() as conn:
        return conn.execute(watchlist_entries.update().where(watchlist_entries.c.id == entry_id)
                            .values(active=False)).rowcount == 1


def insert_matches(store: Store, rows: list[dict[str, Any]]) -> list[int]:
    """Store match rows once per (ad, subject); returns the ids of those that were new."""
    insert = insert_ignore(matches, store.engine.dialect.name, ["ad_id", "subject"])
    with store.writer.begin() as conn:
        return list(conn.execute(insert.returning(matches.c.id), rows).scalars().all())


def match_rows(store: Store, *, alert_id: int | None = None, entry_id: int | None = None,
               min_score: float = 0.0, ids: Iterable[int] | None = None,
               limit: int = 1000) -> list[sa.Row[Any]]:
    """Stored match rows with the ad's key, title and url and what matched ("what"), best
    first (then newest)."""
    label = sa.func.coalesce(alerts.c.headline, watchlist_entries.c.kind + ": "
                             + watchlist_entries.c.label)
    query = (
        sa.select(matches, ads.c.key, ads.c.title, ads.c.url, label.label("what"))
        .join(ads, ads.c.id == matches.c.ad_id)
        .outerjoin(alerts, alerts.c.id == matches.c.alert_id)
        .outerjoin(watchlist_entries, watchlist_entries.c.id == matches.c.entry_id)
        .where(matches.c.score >= min_score)
        .order_by(matches.c.score.desc(), matches.c.id.desc())
        .limit(limit)
    )
    if alert_id is not None:
        query = query.where(matches.c.alert_id == alert_id)
    if entry_id is not None:
        query = query.where(matches.c.entry_id == entry_id)
    if ids is not None:
        query = query.where(matches.c.id.in_(list(ids)))
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def insert_notifications(store: Store, records: list[dict[str, Any]]) -> None:
    """Record deliveries (one row per target a payload was sent to, or failed to reach)."""
    with store.writer.begin() as conn:
        conn.execute(notifications.insert(), records)


def update_notification(store: Store, notification_id: int, **values: Any) -> None:
    """Record the outcome of delivering a dead letter again."""
    with store.writer.begin() as conn:
        conn.execute(notifications.update().where(notifications.c.id == notification_id)
                     .values(**values))


def dead_letters(store: Store) -> list[dict[str, Any]]:
    """Deliveries that failed after their last retry, oldest first."""
    query = sa.select(notifications).where(notifications.c.status == "dead").order_by(
        notifications.c.id)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
