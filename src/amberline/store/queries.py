"""Read side of the store: the questions analysts and later stages ask, as small frozen records.

Why plain functions over a `Connection`: the `Store` owns engines and transactions; these only
build SQL from the Core tables in `schema.py` and turn rows into records, so they run the same on
SQLite and PostgreSQL. The one dialect-specific query, full-text `search`, branches explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from amberline.model import Ad, Obfuscation, Screening, split_meta
from amberline.store import documents
from amberline.store.schema import (
    ads,
    encode_value,
    flag_categories,
    identifiers,
    image_hashes,
    quarantine,
    scans,
)
from amberline.text.boilerplate import exclusions_of


@dataclass(frozen=True, slots=True)
class AdSummary:
    """One line of a ranked list: enough to show and to open the ad."""

    id: int
    key: str
    source: str
    title: str
    city: str | None
    posted_at: datetime | None
    score: float
    flag_count: int


@dataclass(frozen=True, slots=True)
class StoredAd:
    """An ad as stored, rebuilt into the pipeline's own records (for `amberline show`)."""

    id: int
    scan_id: int | None
    stored_at: datetime
    ad: Ad
    screening: Screening


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A full-text match, with a snippet of the matching text (matches between the marks)."""

    summary: AdSummary
    snippet: str


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A record a reader could not use, kept so that nothing is lost silently."""

    id: int
    scan_id: int | None
    file: str
    line: int
    reason: str
    excerpt: str
    recorded_at: datetime
    code: str = "bad_record"  # `amberline.ingest.codes.Code`


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """One run of `amberline scan`: what it read and what became of it."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    inputs: list[str]
    counts: dict[str, int]
    status: str


# Distinct terms per rule (`documents.flag_count`), counted when the ad was stored.
_SUMMARY_COLUMNS = (
    ads.c.id, ads.c.key, ads.c.source, ads.c.title, ads.c.city, ads.c.posted_at, ads.c.score,
    ads.c.flag_count.label("nflags"),
)


def _summary(row: sa.Row[Any]) -> AdSummary:
    return AdSummary(
        row.id, row.key, row.source, row.title, row.city, row.posted_at, row.score, row.nflags
    )


def top(conn: sa.Connection, n: int, min_score: float) -> list[AdSummary]:
    """The `n` highest-scoring ads with score >= `min_score`; ties broken by id."""
    query = (
        sa.select(*_SUMMARY_COLUMNS)
        .where(ads.c.score >= min_score)
        .order_by(ads.c.score.desc(), ads.c.id)
        .limit(n)
    )
    return [_summary(r) for r in conn.execute(query)]


LOCATION_FIELDS = ("city", "region", "country")


def find_by(conn: sa.Connection, kind: str, value: Any, limit: int) -> list[AdSummary]:
    """Ads with a span of `kind` whose normalised value is exactly `value`, best first.

    `kind` "city", "region" or "country" looks at the ad's own location fields instead.
    Raises ValueError for a span kind that has no identifier rows (prices).
    """
    if kind in LOCATION_FIELDS:
        where = ads.c[kind] == value
    else:
        where = ads.c.id.in_(with_identifier(kind, [value]))
    query = (
        sa.select(*_SUMMARY_COLUMNS).where(where)
        .order_by(ads.c.score.desc(), ads.c.id).limit(limit)
    )
    return [_summary(r) for r in conn.execute(query)]


def with_identifier(kind: str, values: Iterable[Any]) -> sa.Select[tuple[int]]:
    """Ids of the ads with a `kind` identifier whose value is one of `values` (the
    identifiers (kind, value) index); a span kind that is not indexed raises ValueError."""
    if kind in documents.UNINDEXED_KINDS:
        raise ValueError(f"{kind} values are not indexed for lookups; indexed kinds: "
                         + ", ".join(sorted(documents.INDEXED_KINDS)))
    texts = sorted({encode_value(v)[0] for v in values})
    return sa.select(identifiers.c.ad_id).where(identifiers.c.kind == kind,
                                                identifiers.c.value.in_(texts))


def search(
    conn: sa.Connection, query: str, limit: int, marks: tuple[str, str]
) -> list[SearchHit]:
    """Full-text search over title and body, best match first."""
    if conn.dialect.name == "postgresql":
        return _search_postgresql(conn, query, limit, marks)
    if conn.dialect.name != "sqlite":
        raise NotImplementedError(f"full-text search is not implemented on {conn.dialect.name}")
    fts = sa.table("ads_fts", sa.column("rowid"), sa.column("rank"))
    snippet = sa.func.snippet(sa.literal_column("ads_fts"), -1, marks[0], marks[1], "…", 16)
    stmt = (
        sa.select(*_SUMMARY_COLUMNS, snippet.label("snippet"))
        .select_from(fts.join(ads, ads.c.id == fts.c.rowid))
        .where(sa.literal_column("ads_fts").op("MATCH")(query))
        .order_by(fts.c.rank, ads.c.id)
        .limit(limit)
    )
    return [SearchHit(_summary(r), r.snippet) for r in conn.execute(stmt)]


def _search_postgresql(
    conn: sa.Connection, query: str, limit: int, marks: tuple[str, str]
) -> list[SearchHit]:
    """PostgreSQL text search through the functions and GIN index of migration 0005.

    `query` is read by `websearch_to_tsquery` ("phrases", OR, -word), which never fails on
    odd input; FTS5's AND and NOT are translated. Ranked by `ts_rank_cd` over the matches
    only, then the snippet (`ts_headline`, the costly part) is made for the `limit` shown.
    """
    tsquery = sa.func.amberline_search_query(websearch(query))
    doc = sa.func.amberline_search_doc(ads.c.title, ads.c.body)
    rank = sa.func.ts_rank_cd(doc, tsquery)
    best = (
        sa.select(ads.c.id, rank.label("rank"))
        .where(doc.op("@@")(tsquery))
        .order_by(rank.desc(), ads.c.id)
        .limit(limit)
        .subquery()
    )
    text = sa.func.concat_ws(" ", ads.c.title, ads.c.body)
    headline = sa.func.ts_headline("simple", text, tsquery, headline_options(marks))
    stmt = (
        sa.select(*_SUMMARY_COLUMNS, headline.label("snippet"))
        .select_from(best.join(ads, ads.c.id == best.c.id))
        .order_by(best.c.rank.desc(), ads.c.id)
    )
    return [SearchHit(_summary(r), r.snippet) for r in conn.execute(stmt)]


def headline_options(marks: tuple[str, str]) -> str:
    """`ts_headline` options giving a snippet like SQLite's (16 words, one fragment)."""
    start, stop = (m.replace('"', '""') for m in marks)
    return (f'StartSel="{start}", StopSel="{stop}", MaxWords=16, MinWords=6, ShortWord=0,'
            ' MaxFragments=1, FragmentDelimiter="…"')


_FTS5_OPERATORS = {"AND": "", "NOT": "-"}


def websearch(query: str) -> str:
    """FTS5's `a AND b` / `a NOT b` in websearch form (`a b` / `a -b`); the rest as it is."""
    words = query.split()
    out: list[str] = []
    prefix = ""
    quoted = False
    for word in words:
        if word in _FTS5_OPERATORS and out and not quoted:
            prefix = _FTS5_OPERATORS[word]
            continue
        out.append(prefix + word)
        prefix = ""
        quoted ^= word.count('"') % 2 == 1
    return " ".join(out)


def get_ads(conn: sa.Connection, where: sa.ColumnElement[bool]) -> list[StoredAd]:
    """Ads matching `where` with their spans, flags and image hashes, in id order.

    Spans and flags come with the ad row (its document); image hashes are read by the id
    range of the ads found, one more query per call whatever the number of ads (hashes of ads
    in the range that `where` excluded are read and ignored).
    """
    rows = conn.execute(sa.select(ads).where(where).order_by(ads.c.id)).all()
    if not rows:
        return []
    hash_by_ad = _hashes(conn, rows[0].id, rows[-1].id)
    return [_stored(r, hash_by_ad.get(r.id, [])) for r in rows]


def ads_with_ids(conn: sa.Connection, ids: Iterable[int]) -> list[StoredAd]:
    """The stored ads with these ids (spans, flags and hashes included), in id order."""
    return get_ads(conn, ads.c.id.in_(list(ids)))


def ids_of_keys(conn: sa.Connection, keys: Iterable[str]) -> dict[str, int]:
    """{key: id} of the stored ads among these keys (keys not stored are left out)."""
    wanted = list(keys)
    if not wanted:
        return {}
    return dict(conn.execute(sa.select(ads.c.key, ads.c.id).where(ads.c.key.in_(wanted))).all())


def ad_locators(conn: sa.Connection, ids: Iterable[int]) -> dict[int, sa.Row[Any]]:
    """{id: (id, key, url, source, source_id)} of these ads: where a platform finds each."""
    wanted = list(ids)
    if not wanted:
        return {}
    query = sa.select(ads.c.id, ads.c.key, ads.c.url, ads.c.source, ads.c.source_id).where(
        ads.c.id.in_(wanted))
    return {r.id: r for r in conn.execute(query)}


def _in_range(table: sa.Table, lo: int, hi: int, *columns: str) -> sa.Select[Any]:
    return (
        sa.select(table.c.ad_id, *(table.c[c] for c in columns))
        .where(table.c.ad_id.between(lo, hi))
        .order_by(table.c.id)
    )


def _hashes(conn: sa.Connection, lo: int, hi: int) -> dict[int, list[dict[str, Any]]]:
    by_ad: dict[int, list[dict[str, Any]]] = {}
    query = _in_range(image_hashes, lo, hi, "pdq", "quality", "md5", "attrs")
    for ad_id, pdq, quality, md5, attrs in conn.execute(query):
        entry = {k: v for k, v in (("pdq", pdq), ("quality", quality), ("md5", md5))
                 if v is not None}
        by_ad.setdefault(ad_id, []).append({**entry, **(attrs or {})})
    return by_ad


def _stored(r: sa.Row[Any], hashes: list[dict[str, Any]]) -> StoredAd:
    span_list, flag_list = documents.decode(r.screening)
    raw, meta = split_meta(r.raw or {})
    ad = Ad(
        source=r.source, title=r.title, body=r.body, source_id=r.source_id, url=r.url,
        posted_at=r.posted_at, city=r.city, region=r.region, country=r.country,
        image_hashes=hashes, raw=raw, meta=meta,
    )
    screening = Screening(
        ad_key=r.key,
        spans=span_list,
        flags=flag_list,
        score=r.score,
        pipeline_version=r.pipeline_version,
        obfuscations=[Obfuscation(**o) for o in (r.obfuscations or [])],
        exclusions=exclusions_of(ad.text),
    )
    return StoredAd(r.id, r.scan_id, r.stored_at, ad, screening)


def quarantined(conn: sa.Connection, scan_id: int | None, code: str | None = None,
                limit: int | None = None) -> list[QuarantineEntry]:
    """Quarantined records, all or those first recorded by one scan (or of one code), in
    file/line order, at most `limit`."""
    query = sa.select(quarantine).order_by(quarantine.c.file, quarantine.c.line, quarantine.c.id)
    if scan_id is not None:
        query = query.where(quarantine.c.scan_id == scan_id)
    if code is not None:
        query = query.where(quarantine.c.code == code)
    if limit is not None:
        query = query.limit(limit)
    return [
        QuarantineEntry(r.id, r.scan_id, r.file, r.line, r.reason, r.excerpt, r.recorded_at,
                        r.code)
        for r in conn.execute(query)
    ]


def get_scan(conn: sa.Connection, scan_id: int) -> ScanRecord | None:
    """One scan's record, or None."""
    r = conn.execute(sa.select(scans).where(scans.c.id == scan_id)).first()
    if r is None:
        return None
    return ScanRecord(r.id, r.started_at, r.finished_at, r.inputs or [], r.counts or {}, r.status)


def quarantine_codes(conn: sa.Connection) -> dict[str, int]:
    """How many quarantined records there are of each reason code."""
    q = sa.select(quarantine.c.code, sa.func.count()).group_by(quarantine.c.code)
    return {code: n for code, n in conn.execute(q.order_by(quarantine.c.code))}


def counts(conn: sa.Connection) -> dict[str, int]:
    """Row counts of every table, the spans and flags in the ads' documents, and how many
    ads carry at least one flag."""
    result = {
        t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for t in (ads, identifiers, flag_categories, image_hashes, quarantine, scans)
    }
    result["spans"] = result["flags"] = 0
    documents_ = conn.execution_options(yield_per=1000).execute(sa.select(ads.c.screening))
    for (document,) in documents_:
        spans, flags = documents.decode(document)
        result["spans"] += len(spans)
        result["flags"] += len(flags)
    flagged = sa.select(sa.func.count()).where(ads.c.flag_count > 0)
    result["flagged_ads"] = conn.execute(flagged).scalar_one()
    return result
