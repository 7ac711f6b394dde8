"""Tables for: Analyst workspace: users, API tokens, decisions, hash-chained audit log.

They join the one shared `metadata` of `amberline.store.schema`, so Alembic's comparison and
`metadata.create_all` see every table; `amberline.store.tables` imports all schema modules.
"""

from __future__ import annotations

from amberline.store.schema import metadata

__all__ = ["metadata"]
