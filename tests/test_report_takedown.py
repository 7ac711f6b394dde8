"""The takedown list: the decision in force per ad wins, network decisions reach their
member ads, and a network takedown that cannot be expanded is listed, never dropped."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amberline.report.takedown import CSV_COLUMNS, takedown_list
from amberline.store.decisions import record_decision
from amberline.store.schema_workspace import decisions
from report_fixtures import KEY_A, KEY_B, KEY_C, add_network, make_store

T = [datetime(2024, 6, day, 9, tzinfo=UTC) for day in range(1, 10)]


def decide(store, when: datetime, **fields) -> None:
    record_decision(store, user_name=fields.pop("user", "ana"), decided_at=when, **fields)


def test_latest_decision_per_ad_wins(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    decide(store, T[0], ad=KEY_A, action="takedown", note="minor indicated")
    decide(store, T[1], ad=KEY_B, action="takedown", note="same phone")
    decide(store, T[2], ad=KEY_B, action="clear", note="different person", user="bo")
    decide(store, T[3], ad=KEY_C, action="escalate", note="look again")
    result = takedown_list(store)
    assert [(e.ad_key, e.reason, e.decided_by) for e in result.entries] == [
        (KEY_A, "minor indicated", "ana")]
    entry = result.entries[0]
    assert entry.url == "https://site.example/ad/101" and entry.decided_at.startswith("2024-06-01")
    assert result.unresolved == []


def test_network_takedown_expands_to_members_and_later_ad_decisions_override(
        tmp_path: Path) -> None:
    store = make_store(tmp_path)
    add_network(store, "net-1", [1, 2])
    decide(store, T[0], network_id="net-1", action="takedown", note="network of ads")
    assert [e.ad_key for e in takedown_list(store).entries] == [KEY_A, KEY_B]
    decide(store, T[1], ad=KEY_B, action="clear", note="not part of it")
    result = takedown_list(store)
    assert [(e.ad_key, e.network_id) for e in result.entries] == [(KEY_A, "net-1")]


def test_network_rows_written_by_others_are_expanded_by_membership(tmp_path: Path) -> None:
    """A bare network decision row (no member rows, e.g. written before linking stored the
    members) reaches the members through `network_members`."""
    store = make_store(tmp_path)
    add_network(store, "net-2", [2, 3])
    with store.engine.begin() as conn:
        conn.execute(decisions.insert().values(network_id="net-2", action="takedown",
                                               note="bulk", user_name="ws", decided_at=T[0]))
    assert [e.ad_key for e in takedown_list(store).entries] == [KEY_B, KEY_C]


def test_unknown_network_takedown_is_listed_as_unresolved(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    decide(store, T[0], network_id="net-gone", action="takedown", note="old network")
    result = takedown_list(store)
    assert result.entries == []
    (item,) = result.unresolved
    assert item["network_id"] == "net-gone" and "no stored members" in item["unresolved_because"]
    decide(store, T[1], network_id="net-gone", action="clear", note="withdrawn")
    assert takedown_list(store).unresolved == []


def test_csv_and_json(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    decide(store, T[0], ad=KEY_A, action="takedown", note='says "17", minor')
    decide(store, T[1], network_id="net-x", action="takedown", note="unknown net")
    result = takedown_list(store)
    rows = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["ad_key"] == KEY_A and rows[0]["reason"] == 'says "17", minor'
    assert rows[1]["ad_key"] == "" and rows[1]["network_id"] == "net-x"
    data = json.loads(result.to_json())
    assert data["takedowns"][0]["url"] == "https://site.example/ad/101"
    assert data["unresolved"][0]["reason"] == "unknown net"


def test_decisions_are_validated(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    with pytest.raises(ValueError, match="not one of"):
        decide(store, T[0], ad=KEY_A, action="delete", note="x")
    with pytest.raises(ValueError, match="no such ad"):
        decide(store, T[0], ad="site.example:999", action="takedown", note="x")
    with pytest.raises(ValueError, match="needs a note"):
        decide(store, T[0], ad=KEY_A, action="takedown", note="  ")
    with pytest.raises(ValueError, match="exactly one"):
        decide(store, T[0], action="takedown", note="x")
    assert takedown_list(store).entries == []
