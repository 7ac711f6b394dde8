"""The store: screened ads, their evidence, scans and quarantine, in SQLite or PostgreSQL.

`Store(path_or_url)` is the entry point; see `database.py`. The schema is in `schema.py`, its
migrations in `migrations/`, the read queries in `queries.py`.
"""

from amberline.store.database import Store
from amberline.store.queries import AdSummary, QuarantineEntry, ScanRecord, SearchHit, StoredAd

__all__ = ["AdSummary", "QuarantineEntry", "ScanRecord", "SearchHit", "Store", "StoredAd"]
