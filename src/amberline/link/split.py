"""An analyst's "these two ads are not linked": split a network at a weak edge.

Why a decision and not an edit of the edges: edges are recomputed by every `amberline link`
run, a rebuild forgets them all. The decision is a row of its own (`link_decisions`) that
linking reads on every run and never clears, so the split survives a rebuild and incremental
runs keep it (`components.separate`). It is written in one transaction with its audit entry
(`store/not_linked.py`), then the store is relinked so that the networks reflect it at once.
The CLI (`amberline unlink`) and the network page both call `mark_not_linked`.
"""

from __future__ import annotations

from dataclasses import dataclass

from amberline.store.database import Store
from amberline.store.not_linked import SplitError, networks_of_pair, record_not_linked

__all__ = ["MAX_NOTE", "SplitError", "SplitResult", "mark_not_linked"]

MAX_NOTE = 4000


@dataclass(frozen=True, slots=True)
class SplitResult:
    decision_id: int
    ad_a: int
    ad_b: int
    network_before: str | None
    networks_after: tuple[str | None, str | None]


def mark_not_linked(store: Store, user: str, ad_a: str | int, ad_b: str | int, note: str,
                    *, relink: bool = True) -> SplitResult:
    """Record that two ads are not linked (audited), then relink so networks follow it."""
    note = note.strip()
    if not note:
        raise SplitError("a note is required: say why the two ads are not linked")
    if len(note) > MAX_NOTE:
        raise SplitError(f"a note has at most {MAX_NOTE} characters")
    row = record_not_linked(store, user, ad_a, ad_b, note)
    x, y, before, same = row["ad_a"], row["ad_b"], row["before"], row["same"]
    if relink:
        from .store_link import link_store, stored_config

        link_store(store, stored_config(store))
    after = networks_of_pair(store, x, y)
    return SplitResult(row["id"], x, y, before if same else None, after)
