"""The reads and writes of one link run (`link.store_link`), each a short read or one write
transaction of its own.

Why a module of its own: the linker works on plain records and arrays and never holds a
connection; `store/networks.py` knows the tables, and this module decides which of its reads
go together on one connection (a restore reads the earlier ads and their edges together) and
which stand alone (each batch of new ads), so that a run over 10^6 ads keeps no transaction
open between batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from amberline.model import LinkRecord
from amberline.store import networks as db
from amberline.store.database import Store
from amberline.store.queries import StoredAd, ads_with_ids

Ranges = list[tuple[int, int, int]]  # (first id, last id, count) per batch
EdgeRow = tuple[int, int, str, float, str | None]  # (ad a, ad b, kind, weight, key)


@dataclass(frozen=True, slots=True)
class RunStart:
    """What a run starts from: the earlier ads (to restore) and the new ones (to link), by
    id range; the keys cut by the last run; the networks' current memberships."""

    old_ranges: Ranges
    new_ranges: Ranges
    old_cut: set[str]
    memberships: dict[str, frozenset[int]]


@dataclass(frozen=True, slots=True)
class Restored:
    """The earlier ads' records and stored signatures, in id order, and their stored edges."""

    ids: list[int]
    records: list[LinkRecord]
    signatures: np.ndarray
    empty: np.ndarray
    edges: list[EdgeRow]


def state(store: Store) -> tuple[int, dict[str, Any]] | None:
    """(last ad id linked, settings) of the last run, or None if the store was never linked."""
    with store.reading() as conn:
        return db.load_state(conn)


def forget(store: Store) -> None:
    """Forget every earlier run (a rebuild)."""
    with store.writing() as conn:
        db.clear_links(conn)


def start(store: Store, last: int, batch_size: int) -> RunStart:
    with store.reading() as conn:
        return RunStart(db.ad_id_ranges(conn, 0, last, batch_size),
                        db.ad_id_ranges(conn, last, None, batch_size),
                        db.cut_key_names(conn), db.load_memberships(conn))


def new_batch(store: Store, lo: int, hi: int, num_perm: int
              ) -> tuple[list[int], list[LinkRecord], tuple[np.ndarray, np.ndarray]]:
    """(ids, records, (signatures, empty)) of the ads with lo <= id <= hi."""
    with store.reading() as conn:
        ids, recs = db.load_records(conn, db.id_range(lo, hi), full=False, with_text=False)
        return ids, recs, db.load_signatures(conn, db.id_range(lo, hi), ids, num_perm)


def restore(store: Store, ranges: Ranges, num_perm: int,
            on_batch: Callable[[int], None]) -> Restored:
    """The earlier ads of `ranges` and every stored edge, on one connection; `on_batch` gets
    the number of ads read so far after each range."""
    ids: list[int] = []
    recs: list[LinkRecord] = []
    sigs, empties = [], []
    with store.reading() as conn:
        for lo, hi, _ in ranges:
            batch_ids, batch = db.load_records(conn, db.id_range(lo, hi), full=False,
                                               with_text=False)
            sig, empty = db.load_signatures(conn, db.id_range(lo, hi), batch_ids, num_perm)
            ids.extend(batch_ids)
            recs.extend(batch)
            sigs.append(sig)
            empties.append(empty)
            on_batch(len(ids))
        edges = list(db.load_edges(conn))
    return Restored(ids, recs, np.concatenate(sigs), np.concatenate(empties), edges)


def not_linked(store: Store) -> list[tuple[int, int]]:
    with store.reading() as conn:
        return db.load_not_linked(conn)


def unsigned_ids(store: Store) -> list[int]:
    with store.reading() as conn:
        return db.ids_without_signature(conn)


def stored_ads(store: Store, ids: Sequence[int]) -> list[StoredAd]:
    with store.reading() as conn:
        return ads_with_ids(conn, ids)


def texts(store: Store, ids: Sequence[int]) -> dict[int, str]:
    with store.reading() as conn:
        return db.load_texts(conn, ids)


def member_records(store: Store, ids: Sequence[int],
                   on_chunk: Callable[[int], None]) -> dict[int, LinkRecord]:
    """Full records (text included) of these ads, by id; `on_chunk` gets the count so far."""
    got: dict[int, LinkRecord] = {}
    with store.reading() as conn:
        for where in db.id_chunks(ids):
            chunk_ids, recs = db.load_records(conn, where, full=True, with_text=True)
            got.update(zip(chunk_ids, recs, strict=True))
            on_chunk(len(got))
    return got


def save(store: Store, edge_rows: list[dict[str, Any]], network_rows: list[dict[str, Any]],
         member_rows: list[dict[str, Any]], stale: Sequence[str],
         cut_rows: list[dict[str, Any]], run_state: dict[str, Any]) -> None:
    """Record the run in one transaction (`networks.write_run`)."""
    with store.writing() as conn:
        db.write_run(conn, edge_rows, network_rows, member_rows, stale, cut_rows, run_state)
