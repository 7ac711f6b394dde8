"""The analyst workspace: `amberline serve`, `users add|token|revoke`, `audit verify`.

Thin: parses options, calls the library, prints. Registered on the main app by `register`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from amberline.commands.common import DbOption, UserError, console, open_store


def serve(
    db: DbOption = "amberline.db",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Start the web workspace (queue, evidence, networks, decisions, push API)."""
    import uvicorn

    from amberline.web.app import create_app

    app = create_app(open_store(db))
    console.print(f"Amberline workspace on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


users_app = typer.Typer(help="Workspace accounts: add users, issue API tokens.",
                        no_args_is_help=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option(help="admin, analyst or viewer.")] = "analyst",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = "amberline.db",
) -> None:
    """Add a user; the password is typed at a prompt (or read from stdin for scripts)."""
    from amberline.store.accounts import AccountError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = add_user(open_store(db, must_exist=False), name, role, password)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    console.print(f"added {user.name} ({user.role})")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="User the token acts as.")],
    db: DbOption = "amberline.db",
) -> None:
    """Issue an API token for NAME; it is printed once and stored only as a hash."""
    from amberline.store.accounts import AccountError, new_token

    try:
        token = new_token(open_store(db), name)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    print(token)


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="User whose tokens to revoke.")],
    db: DbOption = "amberline.db",
) -> None:
    """Revoke every API token of NAME."""
    from amberline.store.accounts import AccountError, revoke_tokens

    try:
        n = revoke_tokens(open_store(db), name)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    console.print(f"revoked {n} token(s) of {name}")


@users_app.command("sign-out")
def users_sign_out(
    name: Annotated[str, typer.Argument(help="User whose sessions to end.")],
    db: DbOption = "amberline.db",
) -> None:
    """End every signed-in session of NAME, in every browser (a lost or shared machine)."""
    from amberline.store.accounts import AccountError, end_sessions

    try:
        end_sessions(open_store(db), name)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    console.print(f"ended every session of {name}")


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _checkpoint_path(db: str) -> Path:
    """Where the checkpoint goes by default: beside a SQLite file, else in this folder."""
    if "://" in db:
        return Path("audit-checkpoint.json")
    return Path(db + ".audit-checkpoint.json")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = "amberline.db",
    expect_head: Annotated[
        str | None,
        typer.Option(help="Head hash noted earlier; fail if the log no longer ends there."),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Checkpoint file kept outside the database (default: beside a SQLite "
                          "file as DB.audit-checkpoint.json, else ./audit-checkpoint.json)."),
    ] = None,
) -> None:
    """Check every entry's hash and link, and that the log still contains the checkpoint of
    the last good run (then move the checkpoint on); exits 1 if anything was edited, deleted,
    wiped or cut off."""
    from amberline.store.audit import read_checkpoint, verify, write_checkpoint

    anchor_file = checkpoint or _checkpoint_path(db)
    try:
        anchor = read_checkpoint(anchor_file)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    result = verify(open_store(db), expect_head, anchor)
    for problem in result.problems:
        console.print(f"[red]{problem}[/red]", highlight=False)
    state = "intact" if result.ok else "BROKEN"
    console.print(f"audit log {state}: {result.count} entries, head {result.head}",
                  highlight=False)
    if not result.ok:
        console.print(f"checkpoint {anchor_file} left as it was", highlight=False)
        raise typer.Exit(1)
    write_checkpoint(anchor_file, result)
    since = f"extends entry {anchor.seq}" if anchor else "created"
    console.print(f"checkpoint {anchor_file}: {since}, now at entry {result.seq}",
                  highlight=False)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""
    app.command()(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
