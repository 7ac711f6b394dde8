"""What `amberline doctor` reads from a database, without migrating it (unlike opening a
`Store`): whether it answers, its server, its schema revision and, on PostgreSQL, the
definition of the text-search folding function.

Why in `store/`: SQL lives here; `doctor` turns these facts into checks and advice.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from amberline.store.database import make_engine
from amberline.store.migrate import current_revision


@dataclass(frozen=True, slots=True)
class DatabaseFacts:
    """`fold_definition` is None off PostgreSQL, or when the function is missing there."""

    dialect: str
    server: str
    revision: str | None
    fold_definition: str | None


def _fold_definition(conn: sa.Connection) -> str | None:
    return conn.execute(sa.text(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p"
        " WHERE p.proname = 'amberline_fold' AND p.pronamespace = current_schema()::regnamespace"
    )).scalar()


def probe(url_or_path: str) -> DatabaseFacts:
    """Connect and read the facts; raises SQLAlchemyError, OSError or ValueError when the
    database cannot be reached."""
    engine = make_engine(url_or_path)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        facts = DatabaseFacts(
            conn.dialect.name,
            ".".join(str(v) for v in conn.dialect.server_version_info or ()),
            current_revision(conn),
            _fold_definition(conn) if conn.dialect.name == "postgresql" else None,
        )
    engine.dispose()
    return facts
