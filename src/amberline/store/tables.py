"""Every table of the store, in one import.

Each area keeps its tables in its own schema module (one reason to change each); importing
this module registers them all on the shared `metadata`, for migrations and schema checks.
"""

from __future__ import annotations

from amberline.store import (
    schema_alerts,
    schema_conversations,
    schema_networks,
    schema_workspace,
)
from amberline.store.schema import metadata

__all__ = [
    "metadata", "schema_alerts", "schema_conversations", "schema_networks", "schema_workspace",
]
