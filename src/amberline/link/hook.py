"""The scan hook that stores each new ad's link keys and MinHash signature.

Link keys are the identifier keys and the supporting keys (`keys.link_keys`).

Why at scan time: the scan already holds the ad's text and screening in memory, so computing
its identifier keys and its signature there costs one vectorised pass per batch, and
`amberline link` later works only on stored keys and blobs: it never re-reads or re-hashes the
text of ads it has linked before. The keys and signature are the hook's pure `prepare` step
(the Dask engine runs it on the workers); `write` inserts them after the batch committed, in a
transaction of its own. If a scan dies in between, `amberline link` notices the ads without a
signature and computes theirs first, so no ad is left out silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from amberline.model import Ad, Screening
from amberline.store.database import Store
from amberline.store.networks import signature_blobs, write_keys
from amberline.stored_batch import NewAd, StoredBatchHook

from .keys import link_keys
from .minhash import MinHasher
from .record import LinkConfig


@dataclass(slots=True)
class LinkInputs:
    """One ad's linking inputs: identifier keys and MinHash signature blob."""

    keys: list[tuple[str, str]]
    signature: bytes
    empty: bool


class LinkKeysHook(StoredBatchHook):
    """Keys rows and one signature blob per newly stored ad."""

    name = "link_keys"

    def __init__(self, config: LinkConfig | None = None) -> None:
        cfg = config or LinkConfig()
        self.minhasher = MinHasher(cfg.num_perm, cfg.shingle_size, cfg.seed)

    def prepare(self, items: Sequence[tuple[Ad, Screening]]) -> list[LinkInputs]:
        if not items:
            return []
        sig, empty = self.minhasher.signatures([ad.text for ad, _ in items])
        return [LinkInputs(link_keys(ad, s), blob, e)
                for (ad, s), blob, e in zip(items, signature_blobs(sig), empty.tolist(),
                                            strict=True)]

    def write(self, store: Store, new: list[NewAd], prepared: list[LinkInputs]) -> None:
        key_rows = [(n.id, kind, value)
                    for n, link in zip(new, prepared, strict=True) for kind, value in link.keys]
        sig_rows = [(n.id, link.signature, link.empty)
                    for n, link in zip(new, prepared, strict=True)]
        if sig_rows:
            write_keys(store, key_rows, sig_rows)
