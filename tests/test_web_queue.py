"""The triage queue: keyset pages walk the whole ranking with no gap or repeat (ties too), filters
match a brute-force check, status follows the latest decision; evidence pieces cover the text."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from amberline.model import Flag, Span
from amberline.store import decisions, documents, queue
from amberline.store.schema import ads
from amberline.web import evidence
from web_helpers import BACKENDS, database, seed


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("queue")
    with database(request.param, folder) as db:
        s = seed(folder, n_ads=400, db=db)
        yield s
        s.close()


def _all(store, f: queue.QueueFilter, size: int) -> list[queue.QueueRow]:
    return list(queue.iter_rows(store, f, 10**6, batch=size))


def test_keyset_pages_cover_the_ranking_exactly_once(store) -> None:
    with store.engine.connect() as conn:
        expected = [r.id for r in conn.execute(
            sa.select(ads.c.id).order_by(ads.c.score.desc(), ads.c.id.desc()))]
    assert len(expected) == 400
    for size in (7, 50):
        assert [r.id for r in _all(store, queue.QueueFilter(), size)] == expected
    assert queue.offset_page(store, queue.QueueFilter(), 2, 7) == expected[14:21]


def test_filters_match_a_brute_force_check(store) -> None:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(ads.c.id, ads.c.source, ads.c.city, ads.c.score,
                                      ads.c.posted_at)).all()
        cats = {(a, f.category) for a, doc in conn.execute(sa.select(ads.c.id, ads.c.screening))
                for f in documents.decode(doc)[1]}
    city = max({r.city for r in rows if r.city}, key=lambda c: sum(r.city == c for r in rows))
    category = sorted({c for _, c in cats})[0]
    days = sorted(r.posted_at for r in rows if r.posted_at)
    start, end = days[len(days) // 4], days[len(days) // 2]
    f = queue.QueueFilter(city=city, category=category, min_score=0.1,
                          posted_from=datetime(start.year, start.month, start.day),
                          posted_to=datetime(end.year, end.month, end.day))
    got = {r.id for r in _all(store, f, 13)}
    want = {r.id for r in rows if r.city == city and (r.id, category) in cats
            and r.score >= 0.1 and r.posted_at and start.date() <= r.posted_at.date() <= end.date()}
    assert got == want


def test_status_is_the_latest_decision(store) -> None:
    top = queue.page(store, queue.QueueFilter(), limit=3).rows
    a, b = top[0].id, top[1].id
    decisions.record_decision(store, action="escalate", note="look", user_name="ana", ad=a)
    decisions.record_decision(store, action="escalate", note="look", user_name="ana", ad=b)
    decisions.record_decision(store, action="clear", note="benign on review", user_name="ana", ad=b)
    escalated = {r.id for r in _all(store, queue.QueueFilter(status="escalate"), 50)}
    cleared = {r.id for r in _all(store, queue.QueueFilter(status="clear"), 50)}
    open_ = {r.id for r in _all(store, queue.QueueFilter(status="open"), 50)}
    assert a in escalated and b not in escalated and b in cleared
    assert a not in open_ and b not in open_ and top[2].id in open_
    assert queue.page(store, queue.QueueFilter(), limit=3).rows[1].status == "clear"


def test_filter_parameters_are_checked_and_round_trip() -> None:
    f = queue.QueueFilter.from_params({"city": " Reno ", "min_score": "0.5", "status": "open",
                                       "posted_to": "2026-01-31", "source": ""})
    assert f.as_params() == {"city": "Reno", "posted_to": "2026-01-31", "min_score": "0.5",
                             "status": "open"}
    assert queue.QueueFilter.from_params(f.as_params()) == f
    with pytest.raises(ValueError, match="min_score"):
        queue.QueueFilter.from_params({"min_score": "high"})
    with pytest.raises(ValueError, match="status"):
        queue.QueueFilter.from_params({"status": "pending"})
    with pytest.raises(ValueError):
        queue.parse_cursor("not-a-cursor")


ranges = st.tuples(st.integers(0, 40), st.integers(0, 40)).map(sorted)


@given(st.text(max_size=40), st.lists(ranges, max_size=6), st.lists(ranges, max_size=6))
def test_evidence_pieces_rebuild_the_text_and_mark_exactly_the_spans(text, fl, sp) -> None:
    fs = [Flag("youth", "t", a, b, 1.0, "r") for a, b in fl]
    ss = [Span("phone", "v", a, b, "x") for a, b in sp]
    pieces = evidence.pieces(text, ss, fs)
    assert "".join(p.text for p in pieces) == text
    pos = 0
    for p in pieces:
        inside_flag = any(a <= pos < b for a, b in fl)
        assert any(n.kind == "flag" for n in p.notes) == inside_flag
        pos += len(p.text)
