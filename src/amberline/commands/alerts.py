"""Alerts and watchlists: `amberline alerts ...`, `watchlist ...`, `matches`.

Thin: parses options, calls the library (`amberline.alerts.service` and friends), prints.
Registered on the main app by `register`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from amberline.commands.common import DbOption, UserError, cli_actor, console, err, open_store

if TYPE_CHECKING:
    from amberline.alerts.service import LoadReport
    from amberline.store.database import Store

alerts_app = typer.Typer(no_args_is_help=True, help="AMBER alerts in CAP: parse, load, poll.")
watch_app = typer.Typer(no_args_is_help=True, help="Watchlists: identifiers to watch for.")

ThresholdOption = Annotated[
    float, typer.Option(help="Score an alert-to-ad match needs (0-1).")
]
NotifyOption = Annotated[
    Path | None, typer.Option("--notify", help="Notification config (TOML); default: "
                              "$AMBERLINE_NOTIFY_CONFIG.")
]
AllowOption = Annotated[
    list[str] | None, typer.Option(
        "--allow-network", help="Fetch from this loopback/private network (CIDR) too; feeds "
        "and links are otherwise fetched from public addresses only. Repeatable.")
]


def _limits(allow: list[str] | None):  # type: ignore[no-untyped-def]
    import ipaddress

    from amberline.alerts.feeds import FetchLimits

    for net in allow or []:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError as exc:
            raise UserError(f"--allow-network {net!r}: {exc}") from exc
    return FetchLimits(allow_networks=tuple(allow or ()))


def _notifier(path: Path | None):  # type: ignore[no-untyped-def]
    from amberline.alerts.notify import Notifier, NotifyConfig
    from amberline.alerts.service import default_notifier

    if path is None:
        return default_notifier()
    if not path.exists():
        raise UserError(f"{path}: no such notification config")
    return Notifier(NotifyConfig.from_toml(path))


def _print_json(record: dict) -> None:
    from amberline.ingest.json_record import json_line

    sys.stdout.write(json_line(record) + "\n")


@alerts_app.command("parse")
def parse_cmd(files: Annotated[list[Path], typer.Argument(help="CAP files, Atom or RSS feeds.")]
              ) -> None:
    """Print one JSON line per alert; a file that is not valid CAP fails with its reason."""
    from amberline.alerts.cap import BadAlert
    from amberline.alerts.feeds import read_target

    failed = 0
    for file in files:
        if not file.exists():
            raise UserError(f"{file}: no such file")
        for item in read_target(file, fetch=None):
            if isinstance(item, BadAlert):
                failed += 1
                err.print(f"amberline: {item.file}:{item.line}: {item.reason}", highlight=False,
                          markup=False, soft_wrap=True)
            else:
                _print_json(item.as_dict())
    if failed:
        raise typer.Exit(1)


def _audit_load(store: Store, source: str, report: LoadReport) -> None:
    """Alerts change what is matched and may notify outside: the load is an audited action,
    named as the workspace names it."""
    from amberline.store import audit

    audit.append(store, cli_actor(), "load_alert", source, report.counts())


def _load(store_path: Path, targets: list[str], threshold: float, notify: Path | None,
          allow: list[str] | None = None) -> None:
    from amberline.alerts.feeds import Fetcher, read_target
    from amberline.alerts.scoring import MatchConfig
    from amberline.alerts.service import ingest

    store = open_store(store_path, must_exist=False)
    items, fetcher = [], Fetcher(_limits(allow))  # one budget for the whole load
    for target in targets:
        try:
            items += list(read_target(target, fetcher))
        except (OSError, ValueError) as exc:
            raise UserError(f"{target}: {exc}") from exc
    report = ingest(store, items, MatchConfig(threshold=threshold), _notifier(notify))
    _audit_load(store, " ".join(targets), report)
    for bad in report.bad:
        err.print(f"quarantined {bad.file}:{bad.line}: {bad.reason}", highlight=False,
                  markup=False, soft_wrap=True)
    console.print(" ".join(f"{k}={v}" for k, v in report.counts().items()))


@alerts_app.command("load")
def load_cmd(
    targets: Annotated[list[str], typer.Argument(help="CAP files, folders or feed URLs.")],
    db: DbOption = "amberline.db",
    threshold: ThresholdOption = 0.5,
    notify: NotifyOption = None,
    allow_network: AllowOption = None,
) -> None:
    """Store alerts, match them against every stored ad, notify new matches."""
    _load(db, targets, threshold, notify, allow_network)


@alerts_app.command("poll")
def poll_cmd(
    url: Annotated[str, typer.Argument(help="Feed URL (CAP, Atom or RSS).")],
    db: DbOption = "amberline.db",
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 60.0,
    max_polls: Annotated[int | None, typer.Option(help="Stop after this many polls.")] = None,
    threshold: ThresholdOption = 0.5,
    notify: NotifyOption = None,
    allow_network: AllowOption = None,
) -> None:
    """Poll a feed on an interval; each changed document is loaded like `alerts load`."""
    from amberline.alerts.feeds import poll
    from amberline.alerts.scoring import MatchConfig
    from amberline.alerts.service import ingest

    store = open_store(db, must_exist=False)
    notifier, cfg = _notifier(notify), MatchConfig(threshold=threshold)

    def handle(items: list) -> None:
        report = ingest(store, items, cfg, notifier)
        _audit_load(store, url, report)
        console.print(" ".join(f"{k}={v}" for k, v in report.counts().items()))

    def failed(exc: Exception) -> None:
        err.print(f"amberline: {url}: {exc}", highlight=False, markup=False)

    with contextlib.suppress(KeyboardInterrupt):
        poll(url, interval, handle, max_polls=max_polls, on_error=failed,
             fetch=_limits(allow_network))


@alerts_app.command("list")
def list_cmd(
    db: DbOption = "amberline.db",
    state: Annotated[str | None, typer.Option(help="Only this state (active, ...).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """List stored alerts, newest first."""
    from rich.table import Table

    from amberline.alerts.records import list_alerts

    found = list_alerts(open_store(db), state=state)
    if as_json:
        for alert in found:
            _print_json(alert.as_dict())
        return
    table = Table(title=f"{len(found)} alerts in {db}")
    for column in ("id", "sent", "state", "type", "event", "child", "identifier"):
        table.add_column(column)
    for a in found:
        child = a.descriptors.child
        table.add_row(str(a.id), a.sent.isoformat(), a.state, a.msg_type, a.event,
                      child.name or "" if child else "", a.identifier)
    console.print(table)


@alerts_app.command("close")
def close_cmd(alert_id: int, db: DbOption = "amberline.db") -> None:
    """End matching for an alert (the child was found)."""
    from amberline.alerts.records import close_alert
    from amberline.store import audit

    store = open_store(db)
    if not close_alert(store, alert_id):
        raise UserError(f"alert {alert_id}: no such active alert in {db}")
    audit.append(store, cli_actor(), "close_alert", f"alert:{alert_id}")
    console.print(f"alert {alert_id} closed")


@alerts_app.command("resend")
def resend_cmd(db: DbOption = "amberline.db", notify: NotifyOption = None) -> None:
    """Deliver failed notifications (dead letters) again, to the targets configured now."""
    notifier = _notifier(notify)
    if notifier is None:
        raise UserError("no notification config: give --notify FILE or set "
                        "AMBERLINE_NOTIFY_CONFIG")
    from amberline.store import audit

    store = open_store(db)
    counts = notifier.resend(store)
    audit.append(store, cli_actor(), "notify_resend", "dead_letters", counts)
    console.print(f"{counts['delivered']} delivered, {counts['dead']} still failing, "
                  f"{counts['unknown_target']} for targets no longer configured",
                  highlight=False)


def _report_entries(store: Store, entries: list, found: list) -> None:
    """Print what is now watched, after writing one audit entry per entry (as the workspace's
    `watch` route does)."""
    from amberline.store import audit

    for entry in entries:
        audit.append(store, cli_actor(), "watch", f"{entry.kind}:{entry.value}",
                     {"entry": entry.id})
    for entry in entries:
        console.print(f"watching #{entry.id} {entry.kind} {entry.value}", highlight=False)
    console.print(f"{len(found)} new matches")


@watch_app.command("add")
def watch_add(
    kind: Annotated[str, typer.Argument(help="phone, email, handle, name, pdq, keyword, "
                                        "descriptors")],
    values: Annotated[list[str], typer.Argument(help="One or more values.")],
    db: DbOption = "amberline.db",
    label: Annotated[str, typer.Option(help="What the entry is about.")] = "",
    min_age: Annotated[int | None, typer.Option(help="Names: youngest stated age.")] = None,
    max_age: Annotated[int | None, typer.Option(help="Names: oldest stated age.")] = None,
    notify: NotifyOption = None,
) -> None:
    """Add entries and match them against every stored ad at once."""
    from amberline.alerts.service import watch

    store, notifier = open_store(db, must_exist=False), _notifier(notify)
    entries, found = [], []
    for value in values:
        try:
            entry, new = watch(store, kind, value, notifier, label=label, min_age=min_age,
                               max_age=max_age)
        except ValueError as exc:
            raise UserError(f"watchlist add {kind} {value!r}: {exc}") from exc
        entries.append(entry)
        found += new
    _report_entries(store, entries, found)


@watch_app.command("import")
def watch_import(csv_file: Annotated[Path, typer.Argument(help="CSV: kind,value[,label,"
                                                          "min_age,max_age]")],
                 db: DbOption = "amberline.db") -> None:
    """Add entries from a CSV; unusable rows are reported and quarantined."""
    from amberline.alerts.matching import match_entry
    from amberline.alerts.records import quarantine_bad
    from amberline.alerts.watchlists import import_csv
    from amberline.store import audit

    if not csv_file.exists():
        raise UserError(f"{csv_file}: no such file")
    store = open_store(db, must_exist=False)
    try:
        added, bad = import_csv(store, csv_file)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    found = [m for entry in added for m in match_entry(store, entry)]
    quarantine_bad(store, bad)
    audit.append(store, cli_actor(), "watch", str(csv_file),
                 {"added": len(added), "quarantined": len(bad)})
    for b in bad:
        err.print(f"{b.file}:{b.line}: {b.reason}", highlight=False, markup=False)
    console.print(f"added={len(added)} quarantined={len(bad)} matches={len(found)}")


@watch_app.command("from-alert")
def watch_from_alert(alert_id: int, db: DbOption = "amberline.db") -> None:
    """Watch for an alert's child: name with age range, descriptors, plate."""
    from amberline.alerts.service import watch_alert

    store = open_store(db)
    try:
        entries, found = watch_alert(store, alert_id)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    _report_entries(store, entries, found)


@watch_app.command("remove")
def watch_remove(entry_ids: Annotated[list[int], typer.Argument(help="Entry ids (see "
                                                                  "`watchlist list`).")],
                 db: DbOption = "amberline.db") -> None:
    """Stop matching entries; they stay stored (deactivated) for the record."""
    from amberline.store import audit
    from amberline.store.alerts import deactivate

    store = open_store(db)
    for entry_id in entry_ids:
        if not deactivate(store, entry_id):
            raise UserError(f"watchlist entry {entry_id}: not found in {db}")
        audit.append(store, cli_actor(), "unwatch", f"watch:{entry_id}")
        console.print(f"stopped watching #{entry_id}", highlight=False)


@watch_app.command("list")
def watch_list(db: DbOption = "amberline.db") -> None:
    """List active watchlist entries."""
    from amberline.alerts.watchlists import list_entries

    for entry in list_entries(open_store(db)):
        _print_json(entry.as_dict())


def matches_cmd(
    db: DbOption = "amberline.db",
    alert: Annotated[int | None, typer.Option(help="Only matches of this alert id.")] = None,
    min_score: Annotated[float, typer.Option(help="Only matches at or above.")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines with every term.")] = False,
) -> None:
    """List matches of ads against alerts and watchlists, best first, with their terms."""
    from amberline.alerts.matches import list_matches

    found = list_matches(open_store(db), alert_id=alert, min_score=min_score)
    if as_json:
        for m in found:
            _print_json(m.as_dict())
        return
    for m in found:
        console.print(f"[bold]{m.score:.2f}[/] ad {m.ad_key} ← {m.subject} ({m.label})",
                      highlight=False)
        for t in m.terms:
            console.print(f"    {t['term']:<8} {t['contribution']:.3f}  {t['evidence']}",
                          highlight=False, markup=False)
    console.print(f"{len(found)} matches")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(watch_app, name="watchlist")
    app.command("matches")(matches_cmd)
