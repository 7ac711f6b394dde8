"""Retroactive candidates: which stored ads could match a new alert or watchlist entry.

Why indexed lookups: an archive holds millions of ads and an alert must be matched against it
in seconds. Identifiers are one lookup on the spans (kind, value) index; names, keywords and
full names use the full-text index (FTS5 on SQLite); PDQ hashes are compared as one vectorised
popcount over the stored hash column. Candidates are then checked and scored by exactly the
code that checks new ads (`matching`), so retroactive and live matching agree.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import sqlalchemy as sa

from amberline.link.pdq_index import hamming, hex_to_words
from amberline.store import queries
from amberline.store.database import Store
from amberline.store.queries import StoredAd
from amberline.store.schema import ads, encode_value, image_hashes, spans

# Candidate ids are loaded in groups whose id range is at most this wide, so that reading their
# spans by range (as `queries.get_ads` does) never reads much more than the candidates.
GROUP_SPAN = 2000
GROUP_SIZE = 500


def with_span(store: Store, kind: str, values: Iterable[object]) -> set[int]:
    """Ads with a `kind` span whose value is one of `values` (spans (kind, value) index)."""
    texts = sorted({encode_value(v)[0] for v in values})
    if not texts:
        return set()
    query = sa.select(spans.c.ad_id).where(spans.c.kind == kind, spans.c.value.in_(texts))
    with store.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def with_phrase(store: Store, phrase: str) -> set[int]:
    """Ads whose title or body contain the phrase (full-text index; LIKE off SQLite)."""
    words = phrase.split()
    if not words:
        return set()
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            quoted = '"' + " ".join(words).replace('"', '""') + '"'
            rows = conn.exec_driver_sql("SELECT rowid FROM ads_fts WHERE ads_fts MATCH ?",
                                        (quoted,))
            return {r[0] for r in rows}
        like = "%" + " ".join(words) + "%"
        query = sa.select(ads.c.id).where(sa.or_(ads.c.title.ilike(like), ads.c.body.ilike(like)))
        return set(conn.execute(query).scalars())


def with_pdq(store: Store, pdq: str, max_distance: int = 31) -> set[int]:
    """Ads with an image whose PDQ hash is within `max_distance` bits of `pdq`."""
    query = sa.select(image_hashes.c.ad_id, image_hashes.c.pdq).where(
        image_hashes.c.pdq.is_not(None))
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        return set()
    words = hex_to_words([r.pdq for r in rows])
    target = np.repeat(hex_to_words([pdq]), len(rows), axis=0)
    near = hamming(words, target) <= max_distance
    return {rows[i].ad_id for i in np.flatnonzero(near)}


def load_ads(store: Store, ids: Iterable[int]) -> list[StoredAd]:
    """The stored ads with these ids (spans, flags, hashes), in id order."""
    ordered = sorted(set(ids))
    out: list[StoredAd] = []
    group: list[int] = []
    with store.engine.connect() as conn:
        for ad_id in [*ordered, None]:
            if group and (ad_id is None or ad_id - group[0] > GROUP_SPAN
                          or len(group) >= GROUP_SIZE):
                out += queries.get_ads(conn, ads.c.id.in_(group))
                group = []
            if ad_id is not None:
                group.append(ad_id)
    return out
