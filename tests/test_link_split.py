"""Text linking on boilerplate-heavy corpora, the bridge rule, and analyst "not linked"
decisions that survive rebuilds and incremental runs (SQLite, and PostgreSQL when
AMBERLINE_TEST_PG_URL is set). All texts are invented, clinical notices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from amberline.cli import app
from amberline.link import LinkRecord, link_records
from amberline.link.components import bridged_components
from amberline.link.record import REAL_TEXT
from amberline.link.split import SplitError, mark_not_linked
from amberline.link.store_link import link_store
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.database import Store
from amberline.store.schema import ads
from amberline.store.schema_networks import link_decisions, network_members
from amberline.store.schema_workspace import audit_log
from pg_helpers import PG_URL, pg_schema
from test_link_store import partition

BOILERPLATE = ("Please read the board rules before replying to any notice. All posters confirm "
               "they are adults and that every listing is accurate. The board does not check "
               "listings and accepts no responsibility for them. Report problems with the form "
               "at the foot of the page. Listings expire after seven days unless renewed.")
WORDS = [
    "amber", "cedar", "willow", "harbour", "granite", "meadow", "lantern", "orchard", "pebble",
    "quartz", "saffron", "thistle", "velvet", "walnut", "yarrow", "zephyr", "basil", "clover",
    "dune", "ember", "fern", "glacier", "hazel", "iris", "juniper", "kestrel", "lichen", "maple",
    "nectar", "olive",
]


def poster_text(k: int) -> str:
    """A short notice of one invented poster: eight words nobody else uses, then boilerplate."""
    tag = chr(97 + k // 26) + chr(97 + k % 26)  # letters: digits are masked before shingling
    own = " ".join(f"{WORDS[(k * 7 + m) % len(WORDS)]}{tag}" for m in range(8))
    return f"Notice {own}. {BOILERPLATE}"


def test_boilerplate_is_down_weighted_and_copies_still_link() -> None:
    # 40 posters share a long disclaimer (raw Jaccard of two posters ~0.7, above the plain
    # near-duplicate threshold); poster 0 and poster 1 each posted their notice twice.
    texts = [poster_text(k) for k in range(40)] + [poster_text(0), poster_text(1)]
    records = [LinkRecord(ad_key=f"t:{n}", text=t) for n, t in enumerate(texts)]
    result = link_records(records, REAL_TEXT)
    groups = sorted(sorted(net.ads) for net in result.networks)
    assert groups == [["t:0", "t:40"], ["t:1", "t:41"]]
    why = [e.evidence for e in result.edges()]
    assert why and all("rarity-weighted score" in w and ">= 0.70" in w for w in why)


def test_without_boilerplate_weighting_the_posters_would_merge() -> None:
    # the control: the same corpus with a weighting that ignores rarity (scale so large that
    # every value weighs alike) glues the posters together through the disclaimer
    from amberline.link.record import LinkConfig

    texts = [poster_text(k) for k in range(40)]
    records = [LinkRecord(ad_key=f"t:{n}", text=t) for n, t in enumerate(texts)]
    flat = LinkConfig(rarity_scale=1e9, max_key_ads=10_000, near_dup_score=0.6,
                      template_score=0.6, bridge_rule=True)
    assert max(len(n.ads) for n in link_records(records, flat).networks) > 10


def test_bridge_rule_needs_support_between_two_big_components() -> None:
    # two strong triangles-in-a-chain (0-1-2, 3-4-5) and weak edges between them
    strong_a = np.array([0, 1, 3, 4])
    strong_b = np.array([1, 2, 4, 5])
    none = np.zeros(6, dtype=bool)

    def run(wa, wb, has_ids=none):
        a = np.r_[strong_a, wa]
        b = np.r_[strong_b, wb]
        weak = np.r_[np.zeros(4, bool), np.ones(len(wa), bool)]
        return bridged_components(6, a, b, weak, weak, has_ids, 3, 2)

    labels, used = run(np.array([2]), np.array([3]))
    assert labels[0] != labels[5] and not used[-1]  # one weak edge: no bridge
    labels, used = run(np.array([2, 2]), np.array([3, 3]))
    assert labels[0] != labels[5]  # the same pair twice is still one piece of evidence
    labels, used = run(np.array([2, 1]), np.array([3, 4]))
    assert labels[0] == labels[5] and used[-2:].all()  # two distinct ads on each side
    # a weak edge to a small component is no bridge: it is used
    labels, _ = bridged_components(4, np.array([0, 1, 2]), np.array([1, 2, 3]),
                                   np.array([False, False, True]),
                                   np.array([False, False, True]), np.zeros(4, bool), 3, 2)
    assert len(set(labels.tolist())) == 1
    # two components each with identifiers of their own: a weak edge never joins them
    ids = np.array([True, False, False, False, False, True])
    labels, used = run(np.array([2, 1]), np.array([3, 4]), ids)
    assert labels[0] != labels[5] and not used[-2:].any()


# -- analyst decisions through the store ----------------------------------------------------

NOTICE = ("Tutoring in algebra and geometry for adult learners at the riverside library, "
          "small groups on weekday evenings, bring your own workbook, ask for Dana, {c}")
CORPUS = [
    ("p1", NOTICE.format(c="text 703 555 0142")),
    ("p2", NOTICE.format(c="text 703 555 0143")),
    ("p3", NOTICE.format(c="text 703 555 0144")),
    ("q1", "Used bicycle for sale, blue frame, new tyres, call 312 555 0110"),
]
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="set AMBERLINE_TEST_PG_URL to run on PostgreSQL"))]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store(tmp_path / "split.db")
        yield s
        s.close()
        return
    with pg_schema("amberline_split") as url:
        s = Store(url)
        yield s
        s.close()


def scan(store: Store, path: Path, rows) -> None:
    path.write_text("".join(json.dumps({"id": i, "source": "board.example", "body": b}) + "\n"
                            for i, b in rows), encoding="utf-8")
    run_scan([path], store, Screener(), on_stored=default_hooks(store))


def ad_id(store: Store, source_id: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(ads.c.id).where(ads.c.source_id == source_id)).scalar()


def test_split_is_audited_survives_rebuild_and_incremental_runs(store: Store,
                                                                  tmp_path: Path) -> None:
    scan(store, tmp_path / "ads.jsonl", CORPUS)
    link_store(store)
    assert partition(store) == [["p1", "p2", "p3"]]  # one text, three phones: near-copies
    with pytest.raises(SplitError, match="note is required"):
        mark_not_linked(store, "ana", ad_id(store, "p1"), ad_id(store, "p3"), "  ")
    result = mark_not_linked(store, "ana", ad_id(store, "p1"), "board.example:p3",
                             "different tutors, confirmed by phone")
    assert result.network_before is not None
    groups = partition(store)
    assert not any({"p1", "p3"} <= set(g) for g in groups)
    assert sorted(len(g) for g in groups) == [2]  # p2 stays with one; the other is alone
    with store.engine.connect() as conn:
        entry = conn.execute(sa.select(audit_log).where(audit_log.c.action == "not_linked")).one()
        decision = conn.execute(sa.select(link_decisions)).one()
    assert entry.user_name == "ana" and f"{decision.ad_a},{decision.ad_b}" in entry.target
    assert "near-duplicate" in (decision.evidence or "") or decision.evidence is None

    link_store(store, rebuild=True)
    assert partition(store) == groups
    scan(store, tmp_path / "more.jsonl", [("p4", NOTICE.format(c="text 703 555 0145"))])
    link_store(store)
    after = partition(store)
    assert not any({"p1", "p3"} <= set(g) for g in after)
    assert any("p4" in g for g in after)  # the new copy joined, the split held
    with pytest.raises(SplitError, match="already marked"):
        mark_not_linked(store, "ana", "board.example:p3", "board.example:p1", "again")


def test_cli_unlink(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    store = Store(db)
    # copies without a phone: under --real-text, copies carrying different phones stay apart
    copies = [(f"p{k}", NOTICE.format(c="ask at the front desk")) for k in (1, 2, 3)]
    scan(store, tmp_path / "ads.jsonl", copies)
    runner = CliRunner()
    linked = runner.invoke(app, ["link", "--db", str(db), "--real-text"])
    assert linked.exit_code == 0, linked.output
    shown = runner.invoke(app, ["network", "board.example:p1", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())  # the console wraps long lines
    assert "near-duplicate text: rarity-weighted score 1.00 >= 0.70; raw Jaccard 1.00" in flat
    assert "shares: “" in flat and "amberline unlink" in flat
    out = runner.invoke(app, ["unlink", "board.example:p1", "board.example:p2", "--db", str(db),
                              "--note", "two tutors", "--user", "ana"])
    assert out.exit_code == 0, out.output
    assert "marked not linked" in out.output
    assert not any({"p1", "p2"} <= set(g) for g in partition(store))
    # the relink after the decision kept the --real-text settings: a plain run is refused
    assert runner.invoke(app, ["link", "--db", str(db)]).exit_code != 0
    out = runner.invoke(app, ["unlink", "board.example:p1", "board.example:nope", "--db", str(db),
                              "--note", "x"])
    assert out.exit_code != 0 and "no such ad" in str(out.exception)


def test_shared_spans_show_the_common_passage() -> None:
    from amberline.link.templates import shared_spans

    a = "Opening hours changed. Tutoring in algebra on weekday evenings at the library."
    b = "New notice: tutoring in algebra on weekday evenings at the library, ask Dana."
    assert shared_spans(a, b) == ["Tutoring in algebra on weekday evenings at the library"]
    assert shared_spans(a, "Nothing alike here at all") == []


def test_network_page_explains_text_links_and_splits_at_one(tmp_path: Path) -> None:
    from amberline.store.accounts import add_user
    from web_helpers import PASSWORD, app_for, csrf_of, signed_in

    store = Store(tmp_path / "web.db")
    scan(store, tmp_path / "ads.jsonl", CORPUS)
    link_store(store)
    add_user(store, "ana", "analyst", PASSWORD)
    add_user(store, "vic", "viewer", PASSWORD)
    with store.engine.connect() as conn:
        nid = conn.execute(sa.select(network_members.c.network_id)).scalars().first()
    client = signed_in(app_for(store), "ana")
    page = client.get(f"/networks/{nid}").text
    assert "Split here" in page and "raw Jaccard" in page
    assert "near-duplicate text" in page and "shares: “" in page
    p1, p3 = ad_id(store, "p1"), ad_id(store, "p3")
    bad = client.post(f"/networks/{nid}/not-linked", data={
        "ad_a": str(p1), "ad_b": str(p3), "note": "", "csrf": csrf_of(page)})
    assert bad.status_code == 400
    done = client.post(f"/networks/{nid}/not-linked", follow_redirects=False, data={
        "ad_a": str(p1), "ad_b": str(p3), "note": "two tutors", "csrf": csrf_of(page)})
    assert done.status_code == 303
    assert not any({"p1", "p3"} <= set(g) for g in partition(store))
    viewer = signed_in(app_for(store), "vic")
    page = viewer.get(done.headers["location"].split("#")[0]).text
    assert "Split here" not in page
    refused = viewer.post(f"/networks/{nid}/not-linked", data={
        "ad_a": str(p1), "ad_b": str(p3), "note": "x", "csrf": csrf_of(page)})
    assert refused.status_code == 403
