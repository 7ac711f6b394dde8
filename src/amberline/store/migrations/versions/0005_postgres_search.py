"""PostgreSQL full-text search over ads.title and ads.body (SQLite has FTS5 since 0001).

Why an expression GIN index and two SQL functions rather than a generated tsvector column:
the column would be a second copy of every ad's words in the `ads` table and would differ
from the shared metadata on one backend only. The index holds the words once; the functions
(`amberline_search_doc`, `amberline_search_query`) are the one definition of how text and
queries are turned into lexemes, so `queries.search` and the index can never disagree.
Both use the 'simple' configuration (no stemming, no stop words: ads mix languages and
misspell on purpose) and fold accents with `unaccent` where the extension is available
(`.ci/services/postgres.sh` installs it; a database without it still searches, accent-sensitive).
They are created in the store's own schema, so several stores can share one database.

On SQLite this revision does nothing.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ads_fts_doc"  # FTS_PREFIX: kept out of the metadata comparison (schema.include_name)


def _unaccent_schema(bind: sa.Connection) -> str | None:
    """The schema holding the unaccent extension, creating it if this role may; else None."""
    find = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'unaccent'"
    )
    schema = bind.execute(find).scalar()
    if schema is not None:
        return str(schema)
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
    ).scalar()
    if not available:
        return None
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except sa.exc.DBAPIError:
        savepoint.rollback()  # not allowed to create extensions here: search without folding
        return None
    savepoint.commit()
    return bind.execute(find).scalar()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    quote = bind.dialect.identifier_preparer.quote_identifier
    schema = quote(bind.execute(sa.text("SELECT current_schema()")).scalar())
    unaccent = _unaccent_schema(bind)
    if unaccent is not None:
        unaccent = quote(unaccent)
        # unaccent(text) is only STABLE (it reads its dictionary); with the dictionary named
        # explicitly the result is fixed, which is what an index expression needs.
        fold = f"{unaccent}.unaccent('{unaccent}.unaccent'::regdictionary, $1)"
    else:
        fold = "$1"
    op.execute(
        f"CREATE FUNCTION {schema}.amberline_fold(text) RETURNS text"
        f" LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT lower({fold}) $$"
    )
    op.execute(
        f"CREATE FUNCTION {schema}.amberline_search_doc(title text, body text) RETURNS tsvector"
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_tsvector('pg_catalog.simple',"
        f" {schema}.amberline_fold(coalesce(title, '') || ' ' || coalesce(body, ''))) $$"
    )
    op.execute(
        f"CREATE FUNCTION {schema}.amberline_search_query(query text) RETURNS tsquery"
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT"
        f" websearch_to_tsquery('pg_catalog.simple', {schema}.amberline_fold(query)) $$"
    )
    op.execute(
        f"CREATE INDEX {INDEX} ON ads USING gin ({schema}.amberline_search_doc(title, body))"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    for signature in ("amberline_search_query(text)", "amberline_search_doc(text, text)",
                      "amberline_fold(text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
