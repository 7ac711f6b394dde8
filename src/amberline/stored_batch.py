"""What a batch newly stored, and the hooks that act on it (link keys, alert matching, ...).

Why two steps per hook: `prepare` is pure (no store, no I/O), so an engine may run it where
the ads were screened, on a Dask worker, and ship its values with the screened partition;
`write` runs after the batch committed, on the ads it newly stored, each key once. Every
engine and entry point (scan, push API, Dask) stores through `scan.store_batch`, which picks
the new ads once and hands each hook the values prepared for them (computed then and there when
nothing was prepared earlier), so no hook filters the batch or recomputes an ad's key itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amberline.model import Ad, Screening

if TYPE_CHECKING:
    from amberline.store.database import Store


@dataclass(slots=True)
class NewAd:
    """An ad a batch newly stored: its row id, the ad and its screening.

    Not frozen, though no hook changes one: a scan makes one per new ad, and a frozen
    dataclass sets each field through `object.__setattr__`, a call per field that made the
    record cost several times what a plain one does.
    """

    id: int
    ad: Ad
    screening: Screening

    @property
    def key(self) -> str:
        return self.screening.ad_key


class StoredBatchHook:
    """A stage run on every batch's new ads; subclasses set `name` and define `write`, and
    `prepare` when they have pure work to do per ad (one value per item, in order)."""

    name = "hook"

    def prepare(self, items: Sequence[tuple[Ad, Screening]]) -> list[Any]:
        return [None] * len(items)

    def write(self, store: Store, new: list[NewAd], prepared: list[Any]) -> None:
        raise NotImplementedError

    def run(self, store: Store, new: list[NewAd]) -> None:
        """Both steps on ads stored earlier (a link run's backfill)."""
        self.write(store, new, self.prepare([(n.ad, n.screening) for n in new]))


def first_new(items: Sequence[tuple[Ad, Screening]], new_ids: dict[str, int]) -> list[int]:
    """Positions in `items` of the ads the batch newly stored, each key once (a key repeated
    within a batch is stored once, so hooks must see it once too)."""
    seen: set[str] = set()
    out = []
    for i, (_, screening) in enumerate(items):
        key = screening.ad_key
        if key in new_ids and key not in seen:
            seen.add(key)
            out.append(i)
    return out
