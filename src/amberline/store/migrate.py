"""Bring a database to the schema this version of Amberline expects, from code.

Why in code: users point Amberline at a file or URL and expect it to work; they should never
need an alembic.ini or the alembic command. The Alembic config is built here with its script
location inside the installed package, and migrations run on the caller's connection.

Opening a database that is already at head needs no Alembic at all: the head is read from the
migration files' revision lines (`file_head`, held equal to Alembic's by a test) and compared
with the stored `alembic_version`. Importing Alembic and reading its scripts cost every command
that opens a store more CPU than the rest of opening it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

# Execution option marking a transaction that will write (SQLite then begins it IMMEDIATE).
WRITE_OPTION = "amberline_write"


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer Amberline than this one."""


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic `Config` for the store's migrations, optionally bound to a connection."""
    from importlib.resources import as_file, files

    from alembic.config import Config

    config = Config()
    with as_file(files("amberline.store") / "migrations") as location:
        config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the store has no migrations"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at; None for a database Amberline never touched."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


# pg_advisory_xact_lock key of "a migration is running in this database" (any 64-bit number
# that no other application on the server uses; this one is b"amberlin").
MIGRATION_LOCK = 0x616D6265726C696E


def _lock_migrations(conn: sa.Connection) -> None:
    """Make concurrent migrations of one database take turns, until this transaction ends.

    SQLite: BEGIN IMMEDIATE (the write option) already holds the database's write lock.
    PostgreSQL: DDL takes no lock on tables that do not exist yet, so two processes opening a
    new database would both create `alembic_version` and one fail; an advisory lock makes the
    second wait, then find the schema at head. One key for the whole database rather than per
    schema, because 0005 may also create the database-wide `unaccent` extension.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))


_REVISION_LINE = re.compile(
    r'^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:"([^"\n]*)"|None)\s*$', re.MULTILINE)


@lru_cache(maxsize=1)
def file_head() -> str | None:
    """The head revision as the migration files' `revision` and `down_revision` lines tell it,
    without importing Alembic; None when they do not form one chain with one head (or the
    package is not installed as files): Alembic then decides."""
    folder = Path(__file__).parent / "migrations" / "versions"
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        paths = sorted(folder.glob("*.py"))
        for path in paths:
            found = dict((m[0], m[1]) for m in _REVISION_LINE.findall(path.read_text("utf-8")))
            if "revision" in found:
                revisions.add(found["revision"])
            if found.get("down_revision"):
                parents.add(found["down_revision"])
    except OSError:
        return None
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 and parents <= revisions else None


def _at_head(engine: sa.Engine) -> bool:
    """Whether the database's one stored revision is `file_head()` (plain reads only)."""
    head = file_head()
    if head is None:
        return False
    with engine.connect() as conn:
        try:
            if not sa.inspect(conn).has_table("alembic_version"):
                return False
            stored = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        finally:
            conn.rollback()
    return [tuple(r) for r in stored] == [(head,)]


def upgrade(engine: sa.Engine) -> bool:
    """Migrate the database to head. Returns True when anything was applied.

    Opening an up-to-date database only reads `alembic_version`, so reopening is cheap.
    """
    if _at_head(engine):
        return False
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        current = current_revision(conn)
        conn.rollback()
    if current == script.get_current_head():
        return False
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError as exc:
            raise SchemaTooNewError(
                f"the database is at schema revision {current!r}, which this version of "
                "Amberline does not know; upgrade Amberline to open it"
            ) from exc
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        _lock_migrations(conn)
        if current_revision(conn) == script.get_current_head():
            return False  # another process migrated it while this one waited for the lock
        command.upgrade(alembic_config(conn), "head")
    return True
