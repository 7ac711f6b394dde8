"""The analyst workspace: `amberline serve`, `users ...` (accounts and tokens), `audit verify`.

Thin: parses options, calls the library, prints. Registered on the main app by `register`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from amberline.commands.common import DbOption, UserError, cli_actor, console, open_store

if TYPE_CHECKING:
    from amberline.store.database import Store

T = TypeVar("T")


def serve(
    db: DbOption = "amberline.db",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reporter_config: Annotated[Path | None, typer.Option(
        "--reporter-config", help="TOML file with a [reporter] table: lets analysts export "
        "hotline reports of decided conversations.")] = None,
) -> None:
    """Start the web workspace (queue, evidence, networks, conversations, decisions, push
    API)."""
    import uvicorn

    from amberline.report.cybertip import load_reporter_config
    from amberline.web.app import Settings, create_app

    if reporter_config is not None:
        try:
            load_reporter_config(reporter_config)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    app = create_app(open_store(db), Settings(reporter_config=reporter_config))
    console.print(f"Amberline workspace on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


users_app = typer.Typer(help="Workspace accounts: add, disable, remove, passwords, lockouts, "
                             "API tokens.", no_args_is_help=True)
NameArgument = Annotated[str, typer.Argument(help="User name.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _account(db: str, change: Callable[[Store], T], must_exist: bool = True) -> T:
    """Run an account change on the store at `db`; an AccountError (unknown user, weak
    password) is a user error."""
    from amberline.store.accounts import AccountError

    store = open_store(db, must_exist=must_exist)
    try:
        return change(store)
    except AccountError as exc:
        raise UserError(str(exc)) from exc


@users_app.command("add")
def users_add(
    name: NameArgument,
    role: Annotated[str, typer.Option(help="admin, analyst or viewer.")] = "analyst",
    password_stdin: PasswordStdin = False,
    db: DbOption = "amberline.db",
) -> None:
    """Add a user; the password is typed at a prompt (or read from stdin for scripts)."""
    from amberline.store.accounts import add_user

    password = _password(password_stdin)
    user = _account(db, lambda s: add_user(s, name, role, password, by=cli_actor()),
                    must_exist=False)
    console.print(f"added {user.name} ({user.role})")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="User the token acts as.")],
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="A source the token may push ads under (repeat for "
                                      "several); without it, any source."),
    ] = None,
    db: DbOption = "amberline.db",
) -> None:
    """Issue an API token for NAME; it is printed once and stored only as a hash."""
    from amberline.store.accounts import new_token

    print(_account(db, lambda s: new_token(s, name, source or None, by=cli_actor())))


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="User whose tokens to revoke.")],
    db: DbOption = "amberline.db",
) -> None:
    """Revoke every API token of NAME."""
    from amberline.store.accounts import revoke_tokens

    n = _account(db, lambda s: revoke_tokens(s, name, by=cli_actor()))
    console.print(f"revoked {n} token(s) of {name}")


@users_app.command("sign-out")
def users_sign_out(
    name: Annotated[str, typer.Argument(help="User whose sessions to end.")],
    db: DbOption = "amberline.db",
) -> None:
    """End every signed-in session of NAME, in every browser (a lost or shared machine)."""
    from amberline.store.accounts import end_sessions

    _account(db, lambda s: end_sessions(s, name, by=cli_actor()))
    console.print(f"ended every session of {name}")


@users_app.command("disable")
def users_disable(name: NameArgument, db: DbOption = "amberline.db") -> None:
    """Disable NAME: sign-in refused, sessions ended, API tokens refused until `enable`."""
    from amberline.store.accounts import disable_user

    _account(db, lambda s: disable_user(s, name, by=cli_actor()))
    console.print(f"disabled {name}")


@users_app.command("enable")
def users_enable(name: NameArgument, db: DbOption = "amberline.db") -> None:
    """Enable NAME again (their unrevoked tokens work again)."""
    from amberline.store.accounts import enable_user

    _account(db, lambda s: enable_user(s, name, by=cli_actor()))
    console.print(f"enabled {name}")


@users_app.command("remove")
def users_remove(name: NameArgument, db: DbOption = "amberline.db") -> None:
    """Delete NAME and their tokens (their decisions and audit entries keep the name)."""
    from amberline.store.accounts import remove_user

    _account(db, lambda s: remove_user(s, name, by=cli_actor()))
    console.print(f"removed {name}")


@users_app.command("passwd")
def users_passwd(name: NameArgument, password_stdin: PasswordStdin = False,
                 db: DbOption = "amberline.db") -> None:
    """Set NAME's password (at a prompt, or from stdin); their sessions end."""
    from amberline.store.accounts import set_password

    password = _password(password_stdin)
    _account(db, lambda s: set_password(s, name, password, by=cli_actor()))
    console.print(f"password of {name} changed; their sessions ended")


@users_app.command("unlock")
def users_unlock(name: NameArgument, db: DbOption = "amberline.db") -> None:
    """Unlock NAME after a lockout for repeated failed sign-ins."""
    from amberline.store.accounts import unlock_user

    _account(db, lambda s: unlock_user(s, name, by=cli_actor()))
    console.print(f"unlocked {name}")


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
