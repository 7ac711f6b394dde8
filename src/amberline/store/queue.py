"""The triage queue: ads by score, filtered, paged by keyset so page 5,000 costs what page 1 does.

Why keyset paging: OFFSET makes the database walk and discard every earlier row, so deep pages
on a million ads take seconds; a cursor (score, id) of the last row shown lets each page start
where the last one ended, straight from the score index. Order is score then id, both
descending, so SQLite reads the index backwards without a sort.

Status is the action of an ad's latest decision, or "open" when there is none.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from amberline.store.database import MAX_ID, Store
from amberline.store.schema import UTCDateTime, ads, flag_categories
from amberline.store.schema_workspace import DECISION_ACTIONS, decisions

STATUSES = ("open", *DECISION_ACTIONS)
PAGE = 50


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What an analyst narrowed the queue to; every field optional."""

    source: str | None = None
    city: str | None = None
    posted_from: datetime | None = None
    posted_to: datetime | None = None
    category: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilter:
        """From query-string parameters; blank fields are ignored, bad ones raise ValueError
        naming the field."""
        def text(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value or None

        def number(name: str) -> float | None:
            value = text(name)
            try:
                return None if value is None else float(value)
            except ValueError:
                raise ValueError(f"{name}: {value!r} is not a number") from None

        def day(name: str) -> datetime | None:
            value = text(name)
            try:
                return None if value is None else datetime.combine(date.fromisoformat(value),
                                                                   time(), UTC)
            except ValueError:
                raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None

        return cls(text("source"), text("city"), day("posted_from"), day("posted_to"),
                   text("category"), number("min_score"), number("max_score"), text("status"))

    def as_params(self) -> dict[str, str]:
        """The filter as query-string parameters (empty fields left out)."""
        out: dict[str, str] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if value is None:
                continue
            out[name] = value.date().isoformat() if isinstance(value, datetime) else str(value)
        return out


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue."""

    id: int
    key: str
    source: str
    title: str
    city: str | None
    region: str | None
    posted_at: datetime | None
    score: float
    categories: dict[str, int] = field(default_factory=dict)
    status: str = "open"


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[QueueRow]
    next_cursor: str | None


def parse_cursor(cursor: str | None) -> tuple[float, int] | None:
    """`"<score>:<id>"` of the last row of the previous page; ValueError when malformed or
    out of range (an id past the id column's range cannot be compared with it)."""
    if not cursor:
        return None
    problem = ValueError(f"after: {cursor[:40]!r} is not a queue position (score:id)")
    score, _, ad_id = cursor.partition(":")
    try:
        value, position = float(score), int(ad_id)
    except ValueError:
        raise problem from None
    if not (math.isfinite(value) and 0 <= position <= MAX_ID):
        raise problem
    return value, position


# What a queue of ads and a queue of conversations share: each row's review status is the
# action of its latest decision (`target`: the decisions column naming the row, ad_id or
# conversation_id), and pages are keyset pages on (score, id), highest first.


def status_clauses(target: sa.Column[Any], row_id: Any, status: str) -> list[Any]:
    """Rows whose review status is `status` ("open": no decision yet)."""
    if status == "open":
        return [~sa.exists().where(target == row_id)]
    latest = (sa.select(decisions.c.action).where(target == row_id)
              .order_by(decisions.c.decided_at.desc(), decisions.c.id.desc()).limit(1)
              .scalar_subquery())
    # The IN prefilter lets the database start from the decisions index.
    decided = sa.select(target).where(decisions.c.action == status)
    return [row_id.in_(decided), latest == status]


def statuses(conn: sa.Connection, target: sa.Column[Any], ids: list[int]) -> dict[int, str]:
    """{row id: its latest decision's action} for the rows of one page (undecided: absent)."""
    if not ids:
        return {}
    q = (sa.select(target, decisions.c.action).where(target.in_(ids))
         .order_by(decisions.c.decided_at, decisions.c.id))
    return {row_id: action for row_id, action in conn.execute(q)}  # latest wins


def after_clause(score: sa.Column[Any], row_id: sa.Column[Any],
                 after: tuple[float, int]) -> sa.ColumnElement[bool]:
    """Rows after the keyset position `after` (score, id) of a previous page's last row."""
    return sa.tuple_(score, row_id) < sa.tuple_(*after)


def _posted(f: QueueFilter, dialect: str) -> Any:
    """The posting-date column to filter on. On SQLite, a date range alone is filtered while
    walking the score index (`+column` keeps the planner off the date index): the page fills
    after a few thousand rows, where reading the whole range by date and sorting it by score
    costs a full sort per page. With a city or source the narrower score index wins anyway."""
    if dialect == "sqlite" and not (f.city or f.source):
        return sa.literal_column("+ads.posted_at", UTCDateTime)
    return ads.c.posted_at


def _where(f: QueueFilter, dialect: str = "") -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = []
    posted = _posted(f, dialect)
    if f.source:
        clauses.append(ads.c.source == f.source)
    if f.city:
        clauses.append(ads.c.city == f.city)
    if f.posted_from:
        clauses.append(posted >= f.posted_from)
    if f.posted_to and f.posted_to.date() < date.max:
        # The day named is included: up to the start of the next one (the last day there
        # is has no next one: no upper bound).
        clauses.append(posted < f.posted_to + timedelta(days=1))
    if f.min_score is not None:
        clauses.append(ads.c.score >= f.min_score)
    if f.max_score is not None:
        clauses.append(ads.c.score <= f.max_score)
    if f.category:
        clauses.append(sa.exists().where(flag_categories.c.category == f.category,
                                         flag_categories.c.ad_id == ads.c.id))
    if f.status:
        clauses.extend(status_clauses(decisions.c.ad_id, ads.c.id, f.status))
    return clauses


def _query(f: QueueFilter, after: tuple[float, int] | None, limit: int,
           dialect: str = "") -> sa.Select[Any]:
    query = sa.select(ads.c.id, ads.c.key, ads.c.source, ads.c.title, ads.c.city, ads.c.region,
                      ads.c.posted_at, ads.c.score)
    clauses = _where(f, dialect)
    if after is not None:
        clauses.append(after_clause(ads.c.score, ads.c.id, after))
    return query.where(*clauses).order_by(ads.c.score.desc(), ads.c.id.desc()).limit(limit)


def _decorate(conn: sa.Connection, rows: list[sa.Row[Any]]) -> list[QueueRow]:
    """Rows with their flag categories and status: two small queries for the whole page."""
    ids = [r.id for r in rows]
    cats: dict[int, dict[str, int]] = {}
    if ids:
        q = (sa.select(flag_categories.c.ad_id, flag_categories.c.category,
                       flag_categories.c.flags).where(flag_categories.c.ad_id.in_(ids)))
        for ad_id, category, n in conn.execute(q):
            cats.setdefault(ad_id, {})[category] = n
    status = statuses(conn, decisions.c.ad_id, ids)
    return [
        QueueRow(r.id, r.key, r.source, r.title, r.city, r.region, r.posted_at, r.score,
                 cats.get(r.id, {}), status.get(r.id, "open"))
        for r in rows
    ]


def page(store: Store, f: QueueFilter, cursor: str | None = None, limit: int = PAGE) -> Page:
    """One page of the queue after `cursor`, and the cursor of the next page (None at the end)."""
    after = parse_cursor(cursor)
    with store.engine.connect() as conn:
        rows = conn.execute(_query(f, after, limit + 1, conn.dialect.name)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        out = _decorate(conn, rows)
    next_cursor = f"{rows[-1].score!r}:{rows[-1].id}" if more and rows else None
    return Page(out, next_cursor)


def offset_page(store: Store, f: QueueFilter, number: int, limit: int = PAGE) -> list[int]:
    """Ad ids of page `number` by OFFSET: the slow baseline the benchmark compares against."""
    stmt = _query(f, None, limit).offset(number * limit)
    with store.engine.connect() as conn:
        return [r.id for r in conn.execute(stmt)]


def iter_rows(store: Store, f: QueueFilter, limit: int, batch: int = 1000) -> Iterator[QueueRow]:
    """Up to `limit` queue rows in order, fetched page by page (for exports)."""
    cursor: str | None = None
    left = limit
    while left > 0:
        result = page(store, f, cursor, min(batch, left))
        yield from result.rows
        left -= len(result.rows)
        if result.next_cursor is None:
            return
        cursor = result.next_cursor


def facets(store: Store) -> dict[str, list[str]]:
    """Distinct sources and flag categories, for the filter menus (small, indexed reads)."""
    with store.engine.connect() as conn:
        sources = conn.execute(sa.select(ads.c.source).distinct().order_by(ads.c.source)
                               .limit(200)).scalars().all()
        categories = conn.execute(sa.select(flag_categories.c.category).distinct()
                                  .order_by(flag_categories.c.category).limit(200)
                                  ).scalars().all()
    return {"sources": list(sources), "categories": list(categories)}
