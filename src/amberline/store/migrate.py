"""Bring a database to the schema this version of Amberline expects, from code.

Why in code: users point Amberline at a file or URL and expect it to work; they should never
need an alembic.ini or the alembic command. The Alembic config is built here with its script
location inside the installed package, and migrations run on the caller's connection.
"""

from __future__ import annotations

from importlib.resources import as_file, files

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

# Execution option marking a transaction that will write (SQLite then begins it IMMEDIATE).
WRITE_OPTION = "amberline_write"


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer Amberline than this one."""


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic `Config` for the store's migrations, optionally bound to a connection."""
    config = Config()
    with as_file(files("amberline.store") / "migrations") as location:
        config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the store has no migrations"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at; None for a database Amberline never touched."""
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


def upgrade(engine: sa.Engine) -> bool:
    """Migrate the database to head. Returns True when anything was applied.

    Opening an up-to-date database only reads `alembic_version`, so reopening is cheap.
    """
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
