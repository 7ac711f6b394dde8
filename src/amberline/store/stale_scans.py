"""Scans that were killed stay "running" no more.

Why: a scan records "running" when it starts and its outcome when it ends, but `kill -9`, a
power cut or an out-of-memory kill never reaches the end, and the scan read as running for
ever. Each scan now records its owner ("host:pid"); when a new scan starts, every running scan
of this host whose process no longer exists is marked "interrupted" (with its end time left
empty). Scans of other hosts are left alone: from here we cannot tell whether they still run.
"""

from __future__ import annotations

import os
import socket

import sqlalchemy as sa

from amberline.store.schema import scans

INTERRUPTED = "interrupted"


def scan_owner() -> str:
    """This process as a scan owner: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _dead_here(owner: str | None) -> bool:
    """Whether `owner` is a process of this host that has ended."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


def interrupt_stale_scans(conn: sa.Connection) -> list[int]:
    """Mark this host's running scans whose process has ended as interrupted; their ids."""
    rows = conn.execute(sa.select(scans.c.id, scans.c.owner)
                        .where(scans.c.status == "running")).all()
    stale = [r.id for r in rows if _dead_here(r.owner)]
    if stale:
        conn.execute(scans.update().where(scans.c.id.in_(stale)).values(status=INTERRUPTED))
    return stale
