"""The PostgreSQL test server, shared by the store, scale and workspace tests.

AMBERLINE_TEST_PG_URL names the server (CI's `.ci/services/postgres.sh` starts one and exports
it); without it the PostgreSQL variants skip. Each store gets a schema of its own rather than a
database: creating one is a catalog insert (milliseconds), and parallel workers (pytest -n)
never see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("AMBERLINE_TEST_PG_URL")
# The store's backends, for `pytest.fixture(params=BACKENDS)` with `store_at`.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="set AMBERLINE_TEST_PG_URL to run the store tests on PostgreSQL"))]


@contextmanager
def pg_schema(prefix: str) -> Iterator[str]:
    """A URL of the test server whose search_path is a new, empty schema, dropped afterwards."""
    assert PG_URL, "AMBERLINE_TEST_PG_URL is not set"
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@contextmanager
def store_at(backend: str, sqlite_file: Path, prefix: str) -> Iterator[str]:
    """Where a new, empty store goes on `backend` (a `BACKENDS` value): `sqlite_file`, or a
    PostgreSQL URL whose search_path is a schema of its own (`pg_schema`), dropped afterwards."""
    if backend == "sqlite":
        yield str(sqlite_file)
        return
    with pg_schema(prefix) as url:
        yield url
