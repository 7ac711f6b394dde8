"""One link run per database at a time: `link_lock(store, wait)` around `link_store`.

Why: a link run reads the state the last run left (last ad linked, memberships) and writes
networks, edges and the new state in one transaction at the end. Two runs that start together
read the same state and both insert the same new networks; the second then dies on the unique
network id. So a run takes a lock before it reads anything and keeps it until it has written.

How, per backend, with locks that the operating system or server releases by itself when a
run dies (no stale lock rows to clean up by hand):
- SQLite file: an exclusive `flock` on `<db file>.link-lock` beside the database;
- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a connection held open for
  the run;
- in-memory SQLite and other backends: no lock (one process owns an in-memory database).

A second run waits up to `wait` seconds, polling, then raises `LinkBusy`, whose message is
the one line the CLI prints. It lives in `store/` because the locks are the database's (a
file lock beside the SQLite file, a PostgreSQL advisory lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa

from amberline.store.database import Store

# pg advisory lock key: the first 8 bytes of sha1("amberline link") as a signed int64
_PG_KEY = int.from_bytes(bytes.fromhex("6d1f6a7b9e2c4d35"), "big", signed=True)
_POLL = 0.2


class LinkBusy(RuntimeError):
    """Another link run holds this database's link lock and did not finish in time."""


def _waiting(try_lock: Callable[[], bool], wait: float, where: str,
             on_wait: Callable[[], None] | None) -> None:
    deadline = time.monotonic() + max(wait, 0.0)
    told = False
    while not try_lock():
        if time.monotonic() >= deadline:
            raise LinkBusy(
                f"{where}: another `amberline link` run is linking this database; waited "
                f"{wait:g}s. Run again when it has finished (or pass a longer --wait).")
        if on_wait is not None and not told:
            on_wait()
            told = True
        time.sleep(_POLL)


@contextlib.contextmanager
def link_lock(store: Store, wait: float = 0.0,
              on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the link lock of `store` for the block; `on_wait` is called once if it must wait."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(f"{url.database}.link-lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

        def try_flock() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        try:
            _waiting(try_flock, wait, str(url.database), on_wait)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock
    elif url.get_backend_name() == "postgresql":
        with store.engine.connect() as conn:
            def try_advisory() -> bool:
                got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                   {"k": _PG_KEY}).scalar()
                conn.commit()
                return bool(got)

            _waiting(try_advisory, wait, url.render_as_string(hide_password=True), on_wait)
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_KEY})
                conn.commit()
    else:
        yield
