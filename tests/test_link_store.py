"""Linking through a real SQLite file: scan, link, incremental joins and merges, hub cut,
rebuild equality, `networks` JSON Lines and GraphML export through the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from amberline.cli import app
from amberline.link.record import LinkConfig
from amberline.link.store_link import LinkSettingsChanged, link_store
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.database import Store
from amberline.store.schema import ads
from amberline.store.schema_networks import link_minhash, network_members

B_TEXT = ("Sweet new girl in town ask for Kim, relaxing company near the harbour bridge, "
          "friendly and punctual, weekends and evenings, call {phone} any time today")
ADS = [
    ("a1", "Quiet studio near the station with parking, ask for Mia, call 703 555 0142"),
    ("a2", "Relaxing evening company downtown, text first 703-555-0142 or desk@example.org"),
    ("a3", "Weekend visits only, discreet and punctual, write to desk@example.org"),
    ("b1", B_TEXT.format(phone="202 555 0101")),
    ("b2", B_TEXT.format(phone="202 555 0177")),
    ("s1", "Completely separate notice about garden tools for sale, call 312 555 0110"),
    *[(f"h{k}", f"{w}, support line 800 555 0100") for k, w in enumerate([
        "Lost keys found near the library", "Choir rehearsal moved to Thursday",
        "Bicycle repair workshop for beginners", "Free seedlings at the community garden",
        "Chess club meets in the cafe upstairs", "Used textbooks swap this weekend"])],
]
BRIDGE = ("x1", B_TEXT.format(phone="703 555 0142"))
CONFIG = LinkConfig(max_key_ads=5)


def write(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps({"id": i, "source": "board.example", "body": b,
                                        "posted_at": f"2024-03-0{1 + n % 9}T10:00:00Z",
                                        "city": ["Riverton", "Lakeview"][n % 2]}) + "\n"
                            for n, (i, b) in enumerate(rows)), encoding="utf-8")
    return path


def scan(store: Store, path: Path) -> None:
    run_scan([path], store, Screener(), on_stored=default_hooks(store))


def partition(store: Store) -> list[list[str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(network_members.c.network_id, ads.c.source_id).join(
            ads, ads.c.id == network_members.c.ad_id)).all()
    nets: dict[str, list[str]] = {}
    for nid, sid in rows:
        nets.setdefault(nid, []).append(sid)
    return sorted(sorted(v) for v in nets.values())


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Store, Path]:
    store = Store(tmp_path / "links.db")
    scan(store, write(tmp_path / "ads.jsonl", ADS))
    return store, tmp_path


def test_scan_stores_signatures_and_keys_are_derived(linked) -> None:
    from amberline.store.networks import stored_keys

    store, _ = linked
    with store.engine.connect() as conn:
        keys = {k for found in stored_keys(conn, lambda col: col > 0).values() for k in found}
        sigs = conn.execute(sa.select(link_minhash.c.signature)).scalars().all()
    assert ("phone", "+17035550142") in keys and ("email", "desk@example.org") in keys
    assert len(sigs) == len(ADS) and {len(s) for s in sigs} == {128 * 4}


def test_exact_networks_and_hub_cut(linked) -> None:
    store, _ = linked
    summary = link_store(store, CONFIG)
    assert partition(store) == [["a1", "a2", "a3"], ["b1", "b2"]]
    assert summary.edges == {"phone": 1, "email": 1, "near_dup": 1}
    (cut,) = summary.cut_keys
    assert cut.message == "phone +18005550100 in 6 ads: cut (limit 5)"


def test_bridging_ad_merges_incrementally_and_rebuild_agrees(linked) -> None:
    store, tmp = linked
    link_store(store, CONFIG)
    scan(store, write(tmp / "more.jsonl", [BRIDGE, ("s2", "Bakery opening hours notice")]))
    summary = link_store(store, CONFIG)
    assert (summary.ads_linked, summary.joined, summary.merges) == (2, 1, 1)
    merged = [["a1", "a2", "a3", "b1", "b2", "x1"]]
    assert partition(store) == merged
    assert link_store(store, CONFIG).ads_linked == 0  # nothing new: nothing to do
    rebuilt = link_store(store, CONFIG, rebuild=True)
    assert rebuilt.rebuilt and partition(store) == merged


def test_ads_stored_without_keys_are_backfilled(linked) -> None:
    store, tmp = linked
    run_scan([write(tmp / "late.jsonl", [BRIDGE])], store, Screener())  # no hooks
    summary = link_store(store, CONFIG)
    assert summary.backfilled == 1
    assert partition(store) == [["a1", "a2", "a3", "b1", "b2", "x1"]]


def test_changed_settings_need_a_rebuild(linked) -> None:
    store, _ = linked
    link_store(store, CONFIG)
    with pytest.raises(LinkSettingsChanged):
        link_store(store, LinkConfig(max_key_ads=50))
    link_store(store, LinkConfig(max_key_ads=50), rebuild=True)
    assert ["h0", "h1", "h2", "h3", "h4", "h5"] in partition(store)


def test_cli_link_networks_jsonl_show_and_graphml(linked) -> None:
    _store, tmp = linked
    db = str(tmp / "links.db")
    runner = CliRunner()
    out = runner.invoke(app, ["link", "--db", db, "--max-key-ads", "5"])
    assert out.exit_code == 0, out.output
    assert "phone +18005550100 in 6 ads: cut (limit 5)" in out.output
    out = runner.invoke(app, ["networks", "--db", db, "--format", "jsonl"])
    lines = [json.loads(x) for x in out.output.splitlines()]
    assert sorted(sorted(x["ads"]) for x in lines) == [
        ["board.example:a1", "board.example:a2", "board.example:a3"],
        ["board.example:b1", "board.example:b2"]]
    net = next(x for x in lines if "board.example:a1" in x["ads"])
    assert {"kind": "phone", "value": "+17035550142", "ads": 2} in net["keys"]
    assert net["features"]["movement"] == ["Riverton", "Lakeview", "Riverton"]
    assert 0 <= net["score"] < 1
    assert abs(net["score"] - sum(c["contribution"] for c in net["contributions"])) < 1e-4
    shown = runner.invoke(app, ["network", "board.example:b1", "--db", db])
    assert shown.exit_code == 0 and "Template" in shown.output and "{PHONE" in shown.output
    shown = runner.invoke(app, ["network", net["id"], "--db", db], terminal_width=200)
    assert "Score breakdown (parts add up to the score, 0-1)" in shown.output
    total = next(line for line in shown.output.splitlines() if line.startswith("│ score "))
    assert f"{net['score']:.3f}" in total and f"score {net['score']:.3f}" in shown.output
    graphml = tmp / "a.graphml"
    out = runner.invoke(app, ["network", net["id"], "--db", db, "--export", "graphml",
                              "--out", str(graphml)])
    assert out.exit_code == 0, out.output
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    graph = ET.parse(graphml).getroot().find("g:graph", ns)
    nodes = {n.get("id") for n in graph.findall("g:node", ns)}
    assert {"ad:board.example:a1", "phone:+17035550142", "email:desk@example.org"} <= nodes
    ends = {(e.get("source"), e.get("target")) for e in graph.findall("g:edge", ns)}
    assert ("ad:board.example:a3", "email:desk@example.org") in ends
    missing = runner.invoke(app, ["network", "N000", "--db", db])
    assert missing.exit_code != 0


@pytest.mark.parametrize("scattered", [False, True])
def test_signatures_written_twice_are_stored_once(linked, scattered: bool) -> None:
    """A link run's backfill and a scan's hook may both write an ad's signature: the first
    write wins, for neighbouring ids (one range read) and scattered ones (id lists) alike."""
    from amberline.store.networks import insert_signatures, stored_of

    store, _ = linked
    with store.engine.connect() as conn:
        ids = sorted(conn.execute(sa.select(ads.c.id)).scalars().all())
        before = dict(conn.execute(sa.select(link_minhash.c.ad_id, link_minhash.c.signature)).all())
    # Forget the signatures of some ads, as if their scan died before its hook ran.
    gone = [ids[0], ids[-1]] if scattered else ids[2:5]
    with store.writer.begin() as conn:
        conn.execute(link_minhash.delete().where(link_minhash.c.ad_id.in_(gone)))
        assert stored_of(conn, link_minhash.c.ad_id, ids) == set(ids) - set(gone)
    asked = gone + ([ids[len(ids) // 2]] if scattered else [ids[5]])  # and one still stored
    sig = b"\0" * 512
    with store.writer.begin() as conn:
        insert_signatures(conn, [(i, sig, False) for i in asked])
    with store.engine.connect() as conn:
        after = dict(conn.execute(sa.select(link_minhash.c.ad_id, link_minhash.c.signature)).all())
        minhash = conn.execute(sa.select(link_minhash.c.ad_id)).scalars().all()
        assert stored_of(conn, link_minhash.c.ad_id, ids) == set(ids)
        assert stored_of(conn, link_minhash.c.ad_id, []) == set()
    assert sorted(minhash) == ids  # each ad once
    assert {i for i in ids if after[i] != before[i]} == set(gone)  # the stored ad kept its own
