"""Candidate reads for retroactive alert matching: which stored ads could match, and the ads.

Why indexed lookups: an archive holds millions of ads and an alert must be matched against it
in seconds. Identifiers are one lookup on the identifiers (kind, value) index; names, keywords and
full names use the full-text index (FTS5 on SQLite, the GIN text-search index of
migration 0005 on PostgreSQL). The checking and scoring stay in `alerts/` (`candidates`,
`matching`), the same code that checks new ads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from amberline.model import Ad, Screening
from amberline.store import documents
from amberline.store.database import Store
from amberline.store.queries import with_identifier
from amberline.store.schema import ads, image_hashes

# Candidates are read in chunks of this many ids (one IN list per query).
CHUNK = 500


def with_span(store: Store, kind: str, values: Iterable[object]) -> set[int]:
    """Ads with a `kind` span whose value is one of `values` (identifiers (kind, value)
    index)."""
    values = list(values)
    if not values:
        return set()
    query = with_identifier(kind, values)
    with store.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def with_phrase(store: Store, phrase: str) -> set[int]:
    """Ads whose title or body contain the phrase, as whole words, case and accents folded.

    SQLite: its FTS5 index. PostgreSQL: the text-search functions and GIN index of migration
    0005 (the same ones `Store.search` uses), so a name is one index lookup there too.
    """
    words = phrase.split()
    if not words:
        return set()
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            quoted = '"' + " ".join(words).replace('"', '""') + '"'
            rows = conn.exec_driver_sql("SELECT rowid FROM ads_fts WHERE ads_fts MATCH ?",
                                        (quoted,))
            return {r[0] for r in rows}
        return set(conn.execute(phrase_query(conn.dialect.name, words)).scalars())


def phrase_query(dialect: str, words: list[str]) -> sa.Select[tuple[int]]:
    """Ids of ads containing `words` in a row (off SQLite, which has its own FTS5 query).

    PostgreSQL: `"w1 w2"` read by `amberline_search_query` (websearch_to_tsquery) is a phrase
    query. A phrase without a letter or digit gives PostgreSQL no lexeme to look up, and other
    backends have no text search here: both fall back to a (slow) ILIKE scan.
    """
    text = " ".join(words)
    if dialect == "postgresql" and any(ch.isalnum() for ch in text):
        query = sa.func.amberline_search_query('"' + text.replace('"', " ") + '"')
        doc = sa.func.amberline_search_doc(ads.c.title, ads.c.body)
        return sa.select(ads.c.id).where(doc.op("@@")(query))
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.select(ads.c.id).where(
        sa.or_(ads.c.title.ilike(like, escape="\\"), ads.c.body.ilike(like, escape="\\")))


def pdq_rows(store: Store) -> list[sa.Row[Any]]:
    """(ad_id, pdq) of every stored image with a PDQ hash, for one vectorised comparison."""
    query = sa.select(image_hashes.c.ad_id, image_hashes.c.pdq).where(
        image_hashes.c.pdq.is_not(None))
    with store.engine.connect() as conn:
        return list(conn.execute(query).all())


def load_ads(store: Store, ids: Iterable[int]) -> list[tuple[int, Ad, Screening]]:
    """(id, ad, screening with its spans) of the stored ads with these ids, in id order.

    Reads by `id IN (...)`, so the cost is proportional to the number of candidates, however
    scattered they are through the archive. Flags are not returned.
    """
    ordered = sorted(set(ids))
    out: list[tuple[int, Ad, Screening]] = []
    with store.engine.connect() as conn:
        for at in range(0, len(ordered), CHUNK):
            chunk = ordered[at: at + CHUNK]
            hashes: dict[int, list[dict[str, str]]] = {}
            query = sa.select(image_hashes.c.ad_id, image_hashes.c.pdq).where(
                image_hashes.c.ad_id.in_(chunk), image_hashes.c.pdq.is_not(None))
            for ad_id, pdq in conn.execute(query):
                hashes.setdefault(ad_id, []).append({"pdq": pdq})
            for r in conn.execute(sa.select(ads).where(ads.c.id.in_(chunk)).order_by(ads.c.id)):
                ad = Ad(source=r.source, title=r.title, body=r.body, source_id=r.source_id,
                        url=r.url, posted_at=r.posted_at, city=r.city, region=r.region,
                        country=r.country, image_hashes=hashes.get(r.id, []))
                spans_of = sorted(documents.decode_spans(r.screening), key=lambda s: s.start)
                out.append((r.id, ad, Screening(r.key, spans_of, [], r.score,
                                                r.pipeline_version)))
    return out
