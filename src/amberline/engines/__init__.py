"""Engines: the same scan (ingest → screen → keys → store → link) run in-process or on Dask.

Why two engines behind one result type: an analyst's laptop and a national archive must run
the same pipeline with the same results; only where the work happens differs. `local` is the
plain `run_scan`; `dask` spreads ingest, screening and key computation over a Dask cluster with
Parquet partitions between the stages, and stores from one process in input order, so the
database ends up the same. Both return an `EngineResult` with counts and per-stage timings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amberline.scan import ScanCounts

ENGINES = ("local", "dask")


@dataclass(slots=True)
class EngineResult:
    """What a scan did: counts (as `run_scan`'s), seconds per stage, partitions (Dask)."""

    counts: ScanCounts
    seconds: dict[str, float] = field(default_factory=dict)
    partitions: int = 0
    resumed_partitions: int = 0
    scan_id: int | None = None


def dask_available() -> bool:
    """Whether the Dask engine can run here (dask.distributed and pyarrow importable)."""
    try:
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def link_stage(store, log) -> dict[str, float]:
    """Link the newly stored ads into networks (`amberline link`'s library entry point),
    logging what it did; returns {"link": seconds}. Both engines end with this."""
    import time

    from amberline.link.store_link import link_store

    began = time.perf_counter()
    summary = link_store(store)
    seconds = time.perf_counter() - began
    log.event("link", ads=summary.ads_linked, networks=summary.networks,
              changed=summary.networks_changed, seconds=seconds)
    return {"link": seconds}
