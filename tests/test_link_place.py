"""Place edges: a location the posters typed, supported by some text in common, joins ads
whose texts differ; the location alone, or a location typed by too many ads, never does.
Through the store, the typed location is a stored link key and an incremental run gives the
same networks as a rebuild. All texts are invented, clinical notices."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from amberline.cli import app
from amberline.link import LinkRecord, link_records
from amberline.link.components import bridged_components
from amberline.link.keys import PLACE_KEY, support_keys
from amberline.link.record import REAL_TEXT, LinkConfig
from amberline.link.store_link import link_store
from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.database import Store
from amberline.store.networks import load_edges
from test_link_store import partition

WORDS = ["amber", "cedar", "willow", "harbour", "granite", "meadow", "lantern", "orchard",
         "pebble", "quartz", "saffron", "thistle", "velvet", "walnut", "yarrow", "zephyr",
         "basil", "clover", "dune", "ember", "fern", "glacier", "hazel", "iris", "juniper",
         "kestrel", "lichen", "maple", "nectar", "olive", "poplar", "rowan"]
# one sentence the same tutoring service writes in each of its otherwise different notices
HOUSE = "sessions are held in the quiet reading room on the second floor near the atrium"
LOCATION = "Harbour side, north quay"
PLACE = LinkConfig(place_edges=True)


def own_words(k: int, n: int = 30) -> str:
    """n words of notice k that no other notice uses (letters only: digits are masked)."""
    tag = chr(97 + k // 26) + chr(97 + k % 26)
    return " ".join(f"{WORDS[(k * 5 + m) % len(WORDS)]}{tag}" for m in range(n))


def notice(k: int, house: bool = True) -> str:
    return f"Tutoring notice {own_words(k)}" + (f" {HOUSE}." if house else ".")


def rec(key: str, text: str, place: str | None) -> LinkRecord:
    keys = [(PLACE_KEY, place)] if place else []
    return LinkRecord(ad_key=key, text=text, keys=keys)


def groups(result) -> list[list[str]]:
    return sorted(sorted(n.ads) for n in result.networks)


def test_typed_location_with_shared_text_joins_different_texts() -> None:
    records = [rec(f"a{k}", notice(k), "harbour side north quay") for k in range(3)]
    result = link_records(records, PLACE)
    assert groups(result) == [["a0", "a1", "a2"]]
    assert {e.kind for e in result.edges()} == {"place"}
    evidence = next(e.evidence for e in result.edges())
    assert "harbour side north quay" in evidence and "Jaccard" in evidence
    # control: the same texts with different typed locations are not joined
    apart = [rec(f"a{k}", notice(k), f"quay {WORDS[k]}") for k in range(3)]
    assert groups(link_records(apart, PLACE)) == []


def test_location_alone_is_not_enough() -> None:
    # same typed location, nothing written in common: no edge
    records = [rec(f"b{k}", notice(k, house=False), "harbour side north quay")
               for k in range(3)]
    assert groups(link_records(records, PLACE)) == []


def test_location_typed_by_more_ads_than_the_hub_limit_makes_no_edge() -> None:
    records = [rec(f"c{k}", notice(k), "harbour side north quay") for k in range(4)]
    assert groups(link_records(records, replace(PLACE, max_key_ads=4))) == [
        ["c0", "c1", "c2", "c3"]]
    assert groups(link_records(records, replace(PLACE, max_key_ads=3))) == []
    # and the kind can be switched off like any other
    assert groups(link_records(records, replace(PLACE, kinds=("near_dup",)))) == []
    assert groups(link_records(records)) == []  # off by default


def test_support_key_is_the_normalised_typed_location() -> None:
    ad = Ad(source="board.example", body="x", meta={"location": "  Harbour-side, North  Quay 12 "})
    assert support_keys(ad) == [(PLACE_KEY, "harbour side north quay 00")]
    assert support_keys(Ad(source="board.example", body="x")) == []


def test_contested_text_never_joins_two_identifier_components() -> None:
    # 0-1 share a phone, 2-3 share another; a strong text edge 1-2 (a copy posted under
    # both numbers) joins them by default, not when identifiers are contested
    a, b = np.array([0, 2, 1]), np.array([1, 3, 2])
    text = np.array([False, False, True])
    weak = np.zeros(3, dtype=bool)
    ids = np.ones(4, dtype=bool)
    labels, _ = bridged_components(4, a, b, text, weak, None, 3, 2)
    assert len(set(labels.tolist())) == 1
    labels, used = bridged_components(4, a, b, text, weak, ids, 3, 2)
    assert labels[0] != labels[3] and not used[-1]
    # a strong text edge to a component without identifiers still joins it
    ids = np.array([True, True, False, False])
    labels, _ = bridged_components(4, a, b, text, weak, ids, 3, 2)
    assert len(set(labels.tolist())) == 1


def write(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "source": "board.example", "body": body,
                                        "location": loc}) + "\n" for i, body, loc in rows),
                    encoding="utf-8")
    return path


def test_place_edges_through_the_store_incremental_equals_rebuild(tmp_path: Path) -> None:
    store = Store(tmp_path / "place.db")
    first = [(f"p{k}", notice(k), LOCATION) for k in range(3)]
    first.append(("q0", notice(9, house=False), LOCATION))  # same place, no text in common
    scan = lambda rows, name: run_scan(  # noqa: E731
        [write(tmp_path / name, rows)], store, Screener(), on_stored=default_hooks(store))
    scan(first, "one.jsonl")
    link_store(store, REAL_TEXT)
    assert partition(store) == [["p0", "p1", "p2"]]
    with store.reading() as conn:
        kinds = {(kind, key) for _, _, kind, _, key in load_edges(conn)}
    assert kinds == {("place", f"{PLACE_KEY}:harbour side north quay")}
    scan([("p3", notice(3), LOCATION), ("r0", notice(4), "Lantern row")], "two.jsonl")
    link_store(store, REAL_TEXT)
    incremental = partition(store)
    assert incremental == [["p0", "p1", "p2", "p3"]]
    link_store(store, REAL_TEXT, rebuild=True)
    assert partition(store) == incremental
    # the analyst sees the typed location and the passage the two texts share
    shown = CliRunner().invoke(app, ["network", "board.example:p0", "--db",
                                     str(tmp_path / "place.db")])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "same typed location 'harbour side north quay'" in flat
    assert "shares: “" in flat and "reading room on the second floor" in flat
    # the default profile makes no place edges
    link_store(store, LinkConfig(), rebuild=True)
    assert partition(store) == []
    store.close()
