"""The CyberTipline-shaped report: element names and order as documented, the evidence it
carries, and the validator the stand-in uses to reject malformed reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from amberline.report.case import load_case
from amberline.report.cybertip import (
    Person,
    ReporterConfig,
    build_report,
    load_reporter_config,
)
from amberline.report.cybertip_schema import MODELS, validate_report
from amberline.store.decisions import record_decision
from report_fixtures import KEY_A, KEY_B, add_network, make_store

REPORTER = ReporterConfig(Person("Ana", "Lee", "ana@hotline-ngo.example", "+1 202 555 0100"),
                          legal_url="https://ngo.example/legal")


def _children(element: etree._Element) -> list[str]:
    return [c.tag for c in element if isinstance(c.tag, str)]


def _in_order(names: list[str], model_name: str) -> bool:
    order = [name for name, *_ in MODELS[model_name]]
    positions = [order.index(n) for n in names]
    return positions == sorted(positions)


@pytest.fixture
def reported(tmp_path: Path):
    store = make_store(tmp_path)
    record_decision(store, ad=KEY_A, action="report", note="stated age 17", user_name="ana")
    return store


def test_report_has_the_documented_elements_in_order(reported) -> None:
    xml = build_report(load_case(reported, ad=KEY_A), REPORTER)
    root = etree.fromstring(xml)
    assert root.tag == "report"
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation")
    top = _children(root)
    assert top == ["incidentSummary", "internetDetails", "reporter", "personOrUserReported",
                   "additionalInfo"]
    assert _in_order(top, "report")
    summary = root.find("incidentSummary")
    assert _children(summary)[0] == "incidentType"
    assert summary.findtext("incidentType") == "Child Sex Trafficking"
    assert summary.findtext("incidentDateTime") == "2024-05-01T12:00:00Z"
    assert "17" in summary.findtext("escalateToHighPriority")
    assert _in_order(_children(summary), "incidentSummary")
    assert root.findtext("internetDetails/webPageIncident/url") == "https://site.example/ad/101"
    person = root.find("reporter/reportingPerson")
    assert _children(person) == ["firstName", "lastName", "phone", "email"]
    assert _in_order(_children(root.find("reporter")), "reporter")
    user = root.find("personOrUserReported")
    assert "+17035550142" in user.findtext("additionalInfo")
    assert "mia.fun@example.com" in user.findtext("additionalInfo")
    assert _in_order(_children(user), "personOrUserReported")
    info = root.findtext("additionalInfo")
    assert '"17 yrs"' in info and "derived:stated_minor_age" in info and "stated age 17" in info
    assert validate_report(xml) == []


def test_names_in_ads_are_not_reported_as_the_user(reported) -> None:
    root = etree.fromstring(build_report(load_case(reported, ad=KEY_A), REPORTER))
    user = root.find("personOrUserReported")
    assert user.find("personOrUserReportedPerson") is None
    assert "Mia" not in etree.tostring(user, encoding="unicode")


def test_network_report_lists_every_member_url(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    add_network(store, "net-1", [1, 2])
    record_decision(store, network_id="net-1", action="report", note="shared phone",
                    user_name="ana")
    xml = build_report(load_case(store, network_id="net-1"), REPORTER)
    root = etree.fromstring(xml)
    urls = [e.text for e in root.findall("internetDetails/webPageIncident/url")]
    assert urls == ["https://site.example/ad/101", "https://site.example/ad/102"]
    assert KEY_B in root.findtext("additionalInfo")
    assert validate_report(xml) == []


def test_undecided_or_cleared_cases_are_refused(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    with pytest.raises(ValueError, match="has no decision"):
        build_report(load_case(store, ad=KEY_A), REPORTER)
    record_decision(store, ad=KEY_A, action="report", note="first look", user_name="ana")
    record_decision(store, ad=KEY_A, action="clear", note="adult, verified", user_name="bo")
    with pytest.raises(ValueError, match="was cleared"):
        build_report(load_case(store, ad=KEY_A), REPORTER)


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda r: r.remove(r.find("reporter")), "missing <reporter>"),
    (lambda r: r.insert(0, r[1]), "out of order"),
    (lambda r: setattr(r.find("incidentSummary/incidentType"), "text", "Spam"),
     "not a CyberTipline incident type"),
    (lambda r: setattr(r.find("incidentSummary/incidentDateTime"), "text", "May 1st"),
     "ISO 8601"),
    (lambda r: etree.SubElement(r, "favouriteColour"), "unexpected <favouriteColour>"),
    (lambda r: r.find("reporter/reportingPerson").remove(
        r.find("reporter/reportingPerson/email")), "missing <email>"),
])
def test_validator_rejects_malformed_reports(reported, mutate, problem) -> None:
    root = etree.fromstring(build_report(load_case(reported, ad=KEY_A), REPORTER))
    mutate(root)
    errors = validate_report(etree.tostring(root))
    assert any(problem in e for e in errors), errors


def test_validator_rejects_text_that_is_not_xml() -> None:
    assert validate_report(b"<report><incidentSummary>")[0].startswith("not well-formed")
    assert "expected <report>" in validate_report(b"<memo/>")[0]


def test_reporter_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "reporter.toml"
    path.write_text('[reporter]\nfirst_name = "Ana"\nlast_name = "Lee"\n'
                    'email = "ana@ngo.example"\nincident_type = "Child Sex Trafficking"\n'
                    '[reporter.contact]\nfirst_name = "Bo"\nlast_name = "Kim"\n'
                    'email = "bo@ngo.example"\n', encoding="utf-8")
    config = load_reporter_config(path)
    assert config.person.email == "ana@ngo.example" and config.contact.first_name == "Bo"
    path.write_text('[reporter]\nfirst_name = "Ana"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="missing last_name, email"):
        load_reporter_config(path)
    path.write_text('[reporter]\nfirst_name = "A"\nlast_name = "B"\nemail = "c@d.example"\n'
                    'incident_type = "Other"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="incident_type"):
        load_reporter_config(path)
