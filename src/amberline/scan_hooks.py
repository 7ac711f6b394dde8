"""The stages that run on every batch a scan newly stores, in order.

Screening is done by then; these act on what was just stored: computing and storing link keys
so new ads join networks, matching new ads against active alerts and watchlists. Each area adds
its hook here, so `amberline scan`, the push API and the Dask engine all run the same ones.
"""

from __future__ import annotations

from amberline.store.database import Store
from amberline.stored_batch import StoredBatchHook


def default_hooks(store: Store) -> list[StoredBatchHook]:
    """The hooks a scan into `store` runs after each stored batch."""
    from amberline.alerts.service import scan_hook as alert_match_hook
    from amberline.link.hook import LinkKeysHook

    hooks: list[StoredBatchHook] = []
    hooks.append(LinkKeysHook())
    hooks.append(alert_match_hook(store))
    return hooks
