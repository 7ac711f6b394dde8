"""The scan hook that stores each new ad's MinHash signature.

Why at scan time: the scan already holds the ad's text in memory, so signing it there costs
one vectorised pass per batch, and `amberline link` later works only on stored blobs: it never
re-reads or re-hashes the text of ads it has linked before. The signature is the hook's pure
`prepare` step (the Dask engine runs it on the workers); `write` inserts them after the batch
committed, in a transaction of its own. If a scan dies in between, `amberline link` notices the
ads without a signature and computes theirs first, so no ad is left out silently.

The ad's link keys (`keys.link_keys`) are not stored by the scan: the batch's own
`identifiers` rows hold every identifier value, and a link run derives the keys from them
(`store.networks.stored_keys`), so each identifier is written once.
"""

from __future__ import annotations

from collections.abc import Sequence

from amberline.model import Ad, Screening
from amberline.store.database import Store
from amberline.store.networks import write_signatures
from amberline.stored_batch import NewAd, StoredBatchHook

from .minhash import MinHasher
from .record import LinkConfig

# One ad's linking input computed at scan time: its MinHash signature blob and whether its text
# had no token. A plain pair: a scan makes one per new ad, and any class's constructor (a
# dataclass, a named tuple) is a Python-level call per ad that costs more than the pair itself.
LinkInputs = tuple[bytes, bool]


class LinkKeysHook(StoredBatchHook):
    """One signature blob per newly stored ad."""

    name = "link_keys"

    def __init__(self, config: LinkConfig | None = None) -> None:
        cfg = config or LinkConfig()
        self.minhasher = MinHasher(cfg.num_perm, cfg.shingle_size, cfg.seed)

    def prepare(self, items: Sequence[tuple[Ad, Screening]]) -> list[LinkInputs]:
        if not items:
            return []
        blobs, empty = self.minhasher.signature_rows([ad.text for ad, _ in items])
        return list(zip(blobs, empty, strict=True))

    def write(self, store: Store, new: list[NewAd], prepared: list[LinkInputs]) -> None:
        sig_rows = [(n.id, signature, empty)
                    for n, (signature, empty) in zip(new, prepared, strict=True)]
        if sig_rows:
            write_signatures(store, sig_rows)
