"""CAP 1.2/1.1 alerts: schema validation, Atom/RSS wrapping, Update/Cancel, quarantine, CLI.

Fixtures in `alert_fixtures/` are synthetic alerts written for these tests (fictional people,
clinical descriptions) and valid against the official OASIS schemas unless named otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from lxml import etree

from alerts_support import FIXTURES, http_server
from amberline.alerts.cap import BadAlert, CapAlert, CapError, validate
from amberline.alerts.feeds import FetchLimits, parse_document, poll, read_target
from amberline.alerts.records import list_alerts
from amberline.alerts.service import ingest
from amberline.store import Store


def alerts_of(path: Path, **kw: object) -> list[CapAlert | BadAlert]:
    return list(read_target(path, **kw))  # type: ignore[arg-type]


def test_cap_1_2_alert_is_read_with_header_and_descriptors() -> None:
    [alert] = alerts_of(FIXTURES / "amber_1_2.xml")
    assert isinstance(alert, CapAlert)
    assert (alert.version, alert.identifier, alert.msg_type, alert.status) == (
        "1.2", "VA-SP-2024-0314-001", "Alert", "Exercise")
    assert alert.sent.isoformat() == "2024-03-14T16:05:00-04:00"
    assert alert.is_child_abduction
    assert ("SAME", "CAE") in alert.event_codes
    child = alert.descriptors.child
    assert child is not None and child.name == "Mia Jane Tester"
    assert (child.age, child.dob, child.height_cm, child.weight_kg) == (14, "2009-06-24", 157,
                                                                        49.9)
    assert alert.descriptors.suspect is not None
    assert alert.descriptors.suspect.height_cm == 183  # 6'0&amp;quot; escaped twice
    assert alert.descriptors.vehicle is not None
    assert alert.descriptors.vehicle.plate == "ABC1234"


def test_cap_1_1_alert_is_recognised_by_event_text() -> None:
    [alert] = alerts_of(FIXTURES / "amber_1_1.xml")
    assert isinstance(alert, CapAlert)
    assert alert.version == "1.1" and alert.event == "AMBER Alert"
    assert alert.event_codes == [] and alert.is_child_abduction
    assert alert.descriptors.child is not None and alert.descriptors.child.name == "Noah Sample"


def test_weather_alert_is_not_a_child_abduction() -> None:
    [alert] = alerts_of(FIXTURES / "not_child.xml")
    assert isinstance(alert, CapAlert) and not alert.is_child_abduction
    assert alert.descriptors.child is None


def test_update_and_cancel_carry_their_references() -> None:
    [update] = alerts_of(FIXTURES / "update_1_2.xml")
    [cancel] = alerts_of(FIXTURES / "cancel_1_2.xml")
    assert isinstance(update, CapAlert) and isinstance(cancel, CapAlert)
    assert [r.identifier for r in update.references] == ["VA-SP-2024-0314-001"]
    assert update.references[0].sent == "2024-03-14T16:05:00-04:00"
    assert cancel.msg_type == "Cancel"
    assert [r.identifier for r in cancel.references] == ["VA-SP-2024-0314-002"]


def test_atom_feed_with_inline_and_escaped_alerts() -> None:
    found = alerts_of(FIXTURES / "feed.atom")
    assert [a.identifier for a in found if isinstance(a, CapAlert)] == [
        "VA-RPD-2024-0701-1", "VA-RPD-2024-0701-2"]
    assert all(isinstance(a, CapAlert) and a.is_child_abduction for a in found)
    assert found[0].origin.endswith("feed.atom#entry1")


def test_rss_feed_with_embedded_and_linked_alerts() -> None:
    linked = (FIXTURES / "amber_1_1.xml").read_bytes()
    with http_server(lambda req, body: (200, linked)) as base:
        feed = (FIXTURES / "feed.rss").read_bytes().replace(b"LINKED_URL",
                                                             f"{base}/cap/17".encode())
        found = parse_document(feed, "feed.rss", fetch=_fetch)
    ids = [a.identifier for a in found if isinstance(a, CapAlert)]
    assert ids == ["TX-DPS-2024-0820-4", "IL-SPD-20240502-17"]
    assert found[0].version == "1.1"


def _fetch(url: str) -> bytes:
    from amberline.alerts.feeds import FetchLimits, http_fetch

    return http_fetch(url, FetchLimits(timeout=5, allow_networks=("127.0.0.1/32",)))


def test_linked_alert_that_cannot_be_fetched_is_kept_with_reason() -> None:
    found = alerts_of(FIXTURES / "feed.rss", fetch=None)
    bad = [a for a in found if isinstance(a, BadAlert)]
    assert len(bad) == 1 and "cannot be fetched" in bad[0].reason


@pytest.mark.parametrize(("name", "line", "reason"), [
    ("invalid_schema.xml", 7, "fails the CAP 1.2 schema: Element 'status'"),
    ("broken.xml", 5, "not well-formed XML"),
])
def test_invalid_documents_become_bad_alerts_with_line_and_reason(
        name: str, line: int, reason: str) -> None:
    [bad] = alerts_of(FIXTURES / name)
    assert isinstance(bad, BadAlert)
    assert bad.line == line and bad.reason.startswith(reason)
    assert bad.file.endswith(name) and bad.excerpt


def test_schema_rejects_missing_required_element() -> None:
    xml = (FIXTURES / "amber_1_2.xml").read_bytes().replace(b"<scope>Public</scope>", b"")
    [bad] = parse_document(xml, "noscope.xml")
    assert isinstance(bad, BadAlert) and "scope" in bad.reason


def test_not_cap_root_is_reported() -> None:
    [bad] = parse_document(b"<html><body>hi</body></html>", "page.html")
    assert isinstance(bad, BadAlert) and "root element <html>" in bad.reason


def test_ipaws_profile_validation() -> None:
    ok = etree.parse(str(FIXTURES / "amber_1_2.xml")).getroot()
    assert validate(ok, "ipaws") == "1.2"
    plain = etree.parse(str(FIXTURES / "update_1_2.xml")).getroot()
    assert validate(plain) == "1.2"
    with pytest.raises(CapError, match="IPAWS profile"):
        validate(plain, "ipaws")


def test_entities_are_not_expanded() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier>'
            b"</alert>")
    [bad] = parse_document(evil, "evil.xml")
    assert isinstance(bad, BadAlert)
    assert "root:" not in bad.excerpt and "root:" not in bad.reason


def test_store_applies_update_then_cancel_and_quarantines_bad(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        items = [*alerts_of(FIXTURES / "amber_1_2.xml"),
                 *alerts_of(FIXTURES / "invalid_schema.xml")]
        report = ingest(store, items)
        assert (report.stored, report.quarantined) == (1, 1)
        [q] = store.quarantined()
        assert q.file.endswith("invalid_schema.xml") and q.line == 7 and "Urgent" in q.reason
        ingest(store, alerts_of(FIXTURES / "update_1_2.xml"))
        states = {a.identifier: a.state for a in list_alerts(store)}
        assert states == {"VA-SP-2024-0314-001": "superseded", "VA-SP-2024-0314-002": "active"}
        ingest(store, alerts_of(FIXTURES / "cancel_1_2.xml"))
        states = {a.identifier: a.state for a in list_alerts(store)}
        assert states["VA-SP-2024-0314-002"] == "cancelled"
        assert states["VA-SP-2024-0315-003"] == "cancelled"
        again = ingest(store, alerts_of(FIXTURES / "amber_1_2.xml"))
        assert (again.stored, again.duplicate) == (0, 1)


def test_cancel_arriving_before_its_alert_still_ends_it(tmp_path: Path) -> None:
    with Store(tmp_path / "b.db") as store:
        ingest(store, alerts_of(FIXTURES / "update_1_2.xml"))  # references 0314-001
        ingest(store, alerts_of(FIXTURES / "amber_1_2.xml"))
        states = {a.identifier: a.state for a in list_alerts(store)}
        assert states["VA-SP-2024-0314-001"] == "superseded"


def test_poll_passes_changed_documents_only() -> None:
    bodies = [(FIXTURES / "amber_1_2.xml").read_bytes()] * 2 + [
        (FIXTURES / "update_1_2.xml").read_bytes()]
    served = iter(bodies)
    seen: list[list[str]] = []
    with http_server(lambda req, body: (200, next(served))) as base:
        polls = poll(f"{base}/feed", 0.01, lambda items: seen.append(
            [i.identifier for i in items if isinstance(i, CapAlert)]), max_polls=3,
            stop=threading.Event(), fetch=FetchLimits(allow_networks=("127.0.0.1/32",)))
    assert polls == 3
    assert seen == [["VA-SP-2024-0314-001"], ["VA-SP-2024-0314-002"]]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "amberline.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_parse_prints_json_lines_and_fails_on_invalid() -> None:
    good = run_cli("alerts", "parse", str(FIXTURES / "amber_1_2.xml"), str(FIXTURES / "feed.atom"))
    assert good.returncode == 0, good.stderr
    lines = [json.loads(line) for line in good.stdout.splitlines()]
    assert [r["identifier"] for r in lines] == [
        "VA-SP-2024-0314-001", "VA-RPD-2024-0701-1", "VA-RPD-2024-0701-2"]
    first = lines[0]
    assert set(first) >= {"identifier", "sent", "status", "msgType", "event",
                          "is_child_abduction", "references", "descriptors"}
    assert first["descriptors"]["child"]["height_cm"] == 157
    assert first["descriptors"]["vehicle"]["make"] == "Honda"
    bad = run_cli("alerts", "parse", str(FIXTURES / "invalid_schema.xml"))
    assert bad.returncode != 0 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "invalid_schema.xml:7" in bad.stderr and "Urgent" in bad.stderr
