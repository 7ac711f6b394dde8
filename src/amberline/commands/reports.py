"""Reports: `amberline decide`, `case-file`, `report build|submit`, `takedowns`.

Thin: parses options, calls the library, prints. Registered on the main app by `register`.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Annotated

import typer

from amberline.commands.common import DbOption, UserError, cli_actor, console, err, open_store

AdArgument = Annotated[
    str | None, typer.Argument(help="Ad key (source:id) or numeric id; omit with --network.")
]
NetworkOption = Annotated[str | None, typer.Option("--network", help="Network id instead.")]
ConversationOption = Annotated[str | None, typer.Option(
    "--conversation", help="Conversation key or id instead (stored by `chats screen --db`).")]
ConfigOption = Annotated[
    Path, typer.Option("--reporter-config", help="TOML file with a [reporter] table.")
]

report_app = typer.Typer(no_args_is_help=True, help="Build and submit CyberTipline reports.")


def _target(ad: str | None, network: str | None) -> dict[str, str | None]:
    if (ad is None) == (network is None):
        raise UserError("give an AD_KEY or --network ID (one of them)")
    return {"ad": ad, "network_id": network}


def _audit_target(ad: str | None, network: str | None) -> str:
    return f"ad:{ad}" if ad is not None else f"network:{network}"


def _case(db: Path, ad: str | None, network: str | None):
    from amberline.report.case import CaseNotFound, load_case

    try:
        return load_case(open_store(db), **_target(ad, network))
    except CaseNotFound as exc:
        raise UserError(f"{db}: {exc}") from exc


def _report_xml(db: Path, ad: str | None, network: str | None, config: Path) -> bytes:
    from amberline.report.cybertip import build_report, load_reporter_config

    try:
        reporter = load_reporter_config(config)
        return build_report(_case(db, ad, network), reporter)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def decide(
    ad: AdArgument = None,
    network: NetworkOption = None,
    conversation: ConversationOption = None,
    action: Annotated[str, typer.Option(help="escalate, report, takedown or clear.")] = ...,
    note: Annotated[str, typer.Option(help="Why (kept with the decision).")] = ...,
    user: Annotated[str, typer.Option(help="Who decides.")] = ...,
    db: DbOption = "amberline.db",
) -> None:
    """Record a decision on an ad, a network or a conversation, with its audit entry; --user
    must name an active workspace user."""
    from amberline.store.accounts import AccountError, active_user
    from amberline.store.decisions import record_decision

    store = open_store(db)
    try:
        active_user(store, user)
    except AccountError as exc:
        raise UserError(f"--user: {exc}") from exc
    if conversation is not None and (ad is not None or network is not None):
        raise UserError("give an AD_KEY, --network ID or --conversation ID (one of them)")
    target_of = {"conversation": conversation} if conversation is not None else _target(
        ad, network)
    try:
        d = record_decision(store, action=action, note=note, user_name=user,
                            via="cli", **target_of)[0]
    except ValueError as exc:
        raise UserError(f"{db}: {exc}") from exc
    target = d.ad_key or (f"network {d.network_id}" if d.network_id is not None
                          else f"conversation {d.conversation_id}")
    console.print(f"decision {d.id}: {d.action} on {target} by {d.user_name}", highlight=False)


def case_file(
    ad: AdArgument = None,
    network: NetworkOption = None,
    conversation: ConversationOption = None,
    out: Annotated[Path, typer.Option(help="Folder for the HTML and PDF.")] = Path("cases"),
    db: DbOption = "amberline.db",
) -> None:
    """Write a self-contained HTML and a PDF case file for an ad, a network or a
    conversation."""
    from amberline.report.case import CaseNotFound
    from amberline.report.case_file import write_case_file, write_conversation_case_file
    from amberline.store import audit

    store = open_store(db)
    if conversation is not None:
        if ad is not None or network is not None:
            raise UserError("give an AD_KEY, --network ID or --conversation ID (one of them)")
        try:
            files = write_conversation_case_file(store, out, conversation)
        except CaseNotFound as exc:
            raise UserError(f"{db}: {exc}") from exc
        conv = files.case.conversation  # type: ignore[union-attr]
        audit.append(store, cli_actor(), "export", f"conversation:{conv.id}",
                     {"kind": "case_file", "conversation": conv.key,
                      "files": [str(files.html), str(files.pdf)]})
        console.print(f"wrote {files.html} and {files.pdf} ({len(conv.messages)} messages)",
                      highlight=False)
        return
    try:
        files = write_case_file(store, out, **_target(ad, network))
    except CaseNotFound as exc:
        raise UserError(f"{db}: {exc}") from exc
    audit.append(store, cli_actor(), "export", _audit_target(ad, network),
                 {"kind": "case_file", "ads": len(files.case.ads),
                  "files": [str(files.html), str(files.pdf)]})
    console.print(f"wrote {files.html} and {files.pdf} ({len(files.case.ads)} ads)",
                  highlight=False)


@report_app.command("build")
def report_build(
    ad: AdArgument = None,
    network: NetworkOption = None,
    reporter_config: ConfigOption = ...,
    out: Annotated[Path, typer.Option(help="Where to write the report XML.")] = Path("report.xml"),
    db: DbOption = "amberline.db",
) -> None:
    """Build the CyberTipline-shaped report XML for a decided ad or network."""
    from amberline.store import audit

    xml = _report_xml(db, ad, network, reporter_config)
    audit.append(open_store(db), cli_actor(), "export", _audit_target(ad, network),
                 {"kind": "report_xml", "bytes": len(xml), "out": str(out)})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(xml)
    console.print(f"wrote {out} ({len(xml):,} bytes)", highlight=False)


@report_app.command("submit")
def report_submit(
    ad: AdArgument = None,
    network: NetworkOption = None,
    reporter_config: ConfigOption = ...,
    env: Annotated[str, typer.Option("--env", help="test or production.")] = "test",
    base_url: Annotated[str | None, typer.Option(help="Override the API base URL.")] = None,
    call_log: Annotated[Path, typer.Option(help="JSON Lines record of every call.")] = Path(
        "cybertip-calls.jsonl"),
    case_file: Annotated[bool, typer.Option(help="Attach the HTML case file.")] = True,
    db: DbOption = "amberline.db",
) -> None:
    """Submit the report, upload the case file, send its file info, finish (or retract)."""
    from amberline.report.case_html import render_html
    from amberline.report.cybertip_client import (
        CallLog,
        CyberTipClient,
        CyberTipError,
        Evidence,
        submit_audited,
    )

    xml = _report_xml(db, ad, network, reporter_config)
    settings = tomllib.loads(reporter_config.read_text(encoding="utf-8")).get("cybertip", {})
    username = settings.get("username")
    password_env = settings.get("password_env", "AMBERLINE_CYBERTIP_PASSWORD")
    password = os.environ.get(password_env)
    if not username or not password:
        raise UserError(f"{reporter_config}: needs [cybertip] username, and the password in "
                        f"the environment variable {password_env}")
    url = base_url or settings.get(f"{env}_url")
    evidence = []
    if case_file:
        html = render_html(_case(db, ad, network)).encode("utf-8")
        evidence.append(Evidence("case-file.html", html, "text/html",
                                 "Amberline case file: the ads with highlighted evidence"))
    try:
        client = CyberTipClient(username, password, env, url, CallLog(call_log))
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    try:
        with client:
            done = submit_audited(open_store(db), client, xml, evidence, cli_actor(),
                                  _audit_target(ad, network))
    except CyberTipError as exc:
        raise UserError(f"{exc} (every call is recorded in {call_log})") from exc
    console.print(f"report {done.report_id} submitted to {env} with {len(done.file_ids)} "
                  f"file(s); calls recorded in {call_log}", highlight=False)


def takedowns(
    db: DbOption = "amberline.db",
    format_: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="File to write; default stdout.")] = None,
) -> None:
    """The takedown list: ads whose decision in force is `takedown`, with reason and who."""
    from amberline.report.takedown import takedown_list

    if format_ not in ("csv", "json"):
        raise UserError(f"--format {format_!r}: use csv or json")
    from amberline.store import audit

    store = open_store(db)
    result = takedown_list(store)
    audit.append(store, cli_actor(), "export", "takedowns",
                 {"kind": "takedown_list", "format": format_, "ads": len(result.entries),
                  "unresolved": len(result.unresolved), "out": str(out) if out else "stdout"})
    text = result.to_csv() if format_ == "csv" else result.to_json() + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    if result.unresolved:
        err.print(f"amberline: {len(result.unresolved)} network takedown(s) could not be "
                  "expanded to ads; they are listed with the reason", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""
    app.command("decide")(decide)
    app.command("case-file")(case_file)
    app.command("takedowns")(takedowns)
    app.add_typer(report_app, name="report")
