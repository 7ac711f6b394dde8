"""`amberline doctor`: is this installation ready to scan into this database?

Why a command of its own: on a team's server or a cluster the usual failures are not bugs but
setup (a database that cannot be reached, a schema an upgrade has not migrated yet, a missing
engine library, a scheduler that is down). Each check here answers one such question with a
fix, without changing anything: the database is opened read-only in spirit (no migration runs,
unlike opening a `Store`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Check:
    """One answer: `ok` False means the scan would fail; `detail` says what was found or how
    to fix it. `required` False marks optional parts (the Dask engine, unaccent)."""

    name: str
    ok: bool
    detail: str
    required: bool = True


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def check_database(db: str | Path) -> list[Check]:
    """Reachable, and at the schema head (without migrating); PostgreSQL: text search."""
    import sqlalchemy as sa

    from amberline.store.migrate import head_revision
    from amberline.store.probe import probe

    text = str(db)
    if "://" not in text and not Path(text).exists():
        return [Check("database", False, f"{text}: no such file; `amberline scan` creates it")]
    shown = sa.make_url(text).render_as_string(hide_password=True) if "://" in text else text
    try:
        facts = probe(text)
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
        cause = getattr(exc, "orig", None) or exc
        return [Check("database", False, f"{shown}: cannot connect: {cause}".strip())]
    current, dialect, server = facts.revision, facts.dialect, facts.server
    search = _pg_search(facts.fold_definition) if dialect == "postgresql" else None
    checks = [Check("database", True, f"{dialect} {server} at {shown}")]
    head = head_revision()
    if current == head:
        checks.append(Check("migrations", True, f"at head ({head})"))
    elif current is None:
        checks.append(Check("migrations", False, "not an Amberline database yet; "
                            "`amberline scan ... --db` creates the schema"))
    else:
        checks.append(Check("migrations", False, f"at {current}, head is {head}: opening it "
                            "with this Amberline (any command) migrates it"))
    if search is not None and current == head:
        checks.append(search)
    return checks


def _pg_search(found: str | None) -> Check:
    """Whether PostgreSQL's text search is there (`found`: amberline_fold's definition)."""
    if found is None:
        return Check("full-text search", False, "search functions missing: migrate first")
    if "unaccent" in found:
        return Check("full-text search", True, "PostgreSQL text search, accents folded")
    return Check("full-text search", True, "PostgreSQL text search without unaccent: "
                 "accents are not folded (CREATE EXTENSION unaccent, then re-create)",
                 required=False)


def check_lexicon() -> Check:
    try:
        from amberline.indicators.lexicon import load_lexicon

        lexicon = load_lexicon(None)
    except Exception as exc:  # any failure to load is the answer
        return Check("lexicon", False, f"cannot load the lexicon: {exc}")
    entries = len(getattr(lexicon, "entries", ()) or ())
    return Check("lexicon", True, f"version {lexicon.version}, {entries} entries")


def check_cache() -> Check:
    """The disk cache of compiled tables (`amberline.disk_cache`): where, how large, and
    whether this user can write there; without it every process computes the tables again
    (seconds of start-up each time, not a failure)."""
    from amberline import core, disk_cache

    directory = core.cache_dir()
    files, size = disk_cache.usage(directory)
    days, limit = disk_cache.MAX_AGE // 86400, disk_cache.max_total() / 2**20
    detail = (f"{directory}: {files} files, {size / 2**20:.1f} MB (files unused for {days} days "
              f"are removed, then the least recently used beyond {limit:.0f} MB)")
    existing = next(p for p in (directory, *directory.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK) or not existing.is_dir():
        return Check("disk cache", False, f"{existing} is not a writable directory: every "
                     "start-up computes the tables again (set AMBERLINE_CACHE_DIR)",
                     required=False)
    return Check("disk cache", True, detail, required=False)


def check_engines(scheduler: str | None = None) -> list[Check]:
    """Hyperscan (the screening matcher), and the Dask engine's libraries and scheduler."""
    checks = []
    hs = _version("hyperscan")
    checks.append(Check("hyperscan", hs is not None,
                        f"hyperscan {hs}" if hs else "not installed: pip install hyperscan"))
    from amberline.engines import dask_available

    if dask_available():
        detail = (f"dask {_version('dask')}, distributed {_version('distributed')}, "
                  f"pyarrow {_version('pyarrow')}")
        checks.append(Check("dask engine", True, detail, required=False))
    else:
        checks.append(Check("dask engine", False, "not available: pip install "
                            "'dask[distributed]' pyarrow", required=False))
    if scheduler and not scheduler.startswith("local"):
        checks.append(_check_scheduler(scheduler))
    return checks


def _check_scheduler(address: str) -> Check:
    try:
        from distributed import Client

        with Client(address, timeout=5) as client:
            workers = len(client.scheduler_info().get("workers", {}))
    except Exception as exc:  # any failure to connect is the answer
        return Check("scheduler", False, f"{address}: cannot connect: {exc}")
    return Check("scheduler", workers > 0, f"{address}: {workers} workers")


def run_checks(db: str | Path, scheduler: str | None = None) -> list[Check]:
    """Every check, in the order shown."""
    return [*check_database(db), check_lexicon(), *check_engines(scheduler), check_cache()]
