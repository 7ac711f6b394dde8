"""Alembic environment for the Amberline store.

Why this file is small: Amberline runs migrations itself when a `Store` opens, passing its own
open connection in `config.attributes["connection"]`, so users never need an alembic.ini. A
developer may still run the alembic CLI with `-x url=sqlite:///path.db` to write new revisions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from amberline.store.schema import include_name
from amberline.store.tables import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode copies tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database with: alembic -x url=sqlite:///path.db ...")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Amberline migrations run online only (they need the database dialect).")
run_migrations_online()
