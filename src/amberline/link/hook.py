"""The scan hook that stores each new ad's link keys and MinHash signature.

Link keys are the identifier keys and the supporting keys (`keys.link_keys`).

Why at scan time: the scan already holds the ad's text and screening in memory, so computing
its identifier keys and its signature there costs one vectorised pass per batch, and
`amberline link` later works only on stored keys and blobs: it never re-reads or re-hashes the
text of ads it has linked before. The hook runs after the batch committed, in a transaction of
its own; if a scan dies in between, `amberline link` notices the ads without a signature and
computes theirs first, so no ad is left out silently.
"""

from __future__ import annotations

from amberline.model import Ad, Screening
from amberline.store.database import Store
from amberline.store.networks import signature_blob, write_keys

from .keys import link_keys
from .minhash import MinHasher
from .record import LinkConfig


class LinkKeysHook:
    """`StoredBatchHook`: keys rows and one signature blob per newly stored ad."""

    def __init__(self, config: LinkConfig | None = None) -> None:
        cfg = config or LinkConfig()
        self.minhasher = MinHasher(cfg.num_perm, cfg.shingle_size, cfg.seed)

    def __call__(
        self, store: Store, items: list[tuple[Ad, Screening]], new_ids: dict[str, int]
    ) -> None:
        items = [(ad, s) for ad, s in items if ad.key in new_ids]
        if not items:
            return
        sig, empty = self.minhasher.signatures([ad.text for ad, _ in items])
        key_rows, sig_rows = [], []
        for (ad, screening), row, is_empty in zip(items, sig, empty.tolist(), strict=True):
            ad_id = new_ids[ad.key]
            key_rows += [{"ad_id": ad_id, "kind": kind, "value": value}
                         for kind, value in link_keys(ad, screening)]
            sig_rows.append({"ad_id": ad_id, "signature": signature_blob(row),
                             "empty": is_empty})
        write_keys(store, key_rows, sig_rows)
