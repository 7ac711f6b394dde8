"""Build a CyberTipline-shaped `report` XML from a decided ad or network.

Why this mapping: the hotline reads a report, not our database, so the report must carry the
evidence itself. The ads' URLs become the web-page incident; the identifiers that point at
whoever posted the ads (handles as screen name, profile URLs, phones and e-mails) describe the
reported user; names in the ads are NOT put there, since the person advertised is more likely
the victim than the poster. Every flag is listed with its text and rule in `additionalInfo`,
as are the decisions that led to the report. Reporter details come from a TOML file so that
each deployment reports under its own name. Element names and order: `cybertip_schema`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from amberline.model import AGE, EMAIL, HANDLE, PHONE, URL
from amberline.report.case import Case, span_values
from amberline.report.cybertip_schema import INCIDENT_TYPES, SCHEMA_LOCATION, XSI, xml_text

DEFAULT_INCIDENT_TYPE = "Child Sex Trafficking"
ADULT_AGE = 18


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ReporterConfig:
    """Who reports: the `[reporter]` table of the reporter config file (TOML)."""

    person: Person
    contact: Person | None = None
    company_template: str | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None
    incident_type: str = DEFAULT_INCIDENT_TYPE
    esp_service: str | None = None


def _person(table: dict[str, Any], where: str) -> Person:
    missing = [k for k in ("first_name", "last_name", "email") if not table.get(k)]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    return Person(str(table["first_name"]), str(table["last_name"]), str(table["email"]),
                  str(table["phone"]) if table.get("phone") else None)


def load_reporter_config(path: Path) -> ReporterConfig:
    """Read the reporter config; ValueError naming the file and the fix when it is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    table = data.get("reporter")
    if not isinstance(table, dict):
        raise ValueError(f"{path}: needs a [reporter] table with first_name, last_name, email")
    incident = str(table.get("incident_type", DEFAULT_INCIDENT_TYPE))
    if incident not in INCIDENT_TYPES:
        raise ValueError(f"{path}: incident_type {incident!r} is not one of: "
                         + "; ".join(INCIDENT_TYPES))
    contact = table.get("contact")
    return ReporterConfig(
        person=_person(table, f"{path} [reporter]"),
        contact=_person(contact, f"{path} [reporter.contact]") if contact else None,
        company_template=table.get("company_template"),
        terms_of_service=table.get("terms_of_service"),
        legal_url=table.get("legal_url"),
        incident_type=incident,
        esp_service=table.get("esp_service"),
    )


def sub(parent: etree._Element, tag: str, text: object = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = xml_text(str(text))
    return element


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _add_person(parent: etree._Element, tag: str, person: Person) -> None:
    element = sub(parent, tag)
    sub(element, "firstName", person.first_name)
    sub(element, "lastName", person.last_name)
    if person.phone:
        sub(element, "phone", person.phone)
    sub(element, "email", person.email)


def new_report() -> etree._Element:
    """An empty `report` root with the schema location the API expects."""
    report = etree.Element("report", nsmap={"xsi": XSI})
    report.set(f"{{{XSI}}}noNamespaceSchemaLocation", SCHEMA_LOCATION)
    return report


def document(report: etree._Element) -> bytes:
    """The report as the UTF-8 XML bytes that are written or submitted."""
    return etree.tostring(report, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def add_reporter(report: etree._Element, config: ReporterConfig) -> None:
    """The `reporter` element: who reports, from the reporter config (every report kind)."""
    reporter = sub(report, "reporter")
    _add_person(reporter, "reportingPerson", config.person)
    if config.contact:
        _add_person(reporter, "contactPerson", config.contact)
    for tag, value in (("companyTemplate", config.company_template),
                       ("termsOfService", config.terms_of_service),
                       ("legalURL", config.legal_url)):
        if value:
            sub(reporter, tag, value)


def _minor_ages(case: Case) -> list[tuple[str, int]]:
    return [(s.ad.key, int(span.value)) for s in case.ads for span in s.screening.spans
            if span.kind == AGE and isinstance(span.value, int | float) and span.value < ADULT_AGE]


def _case_summary(case: Case) -> str:
    """The evidence as text: each ad with its flags (text and rule), then the decisions."""
    lines = [f"Amberline case: {case.subject}; {len(case.ads)} ad(s). Scores rank ads for "
             "review; each indicator below quotes the ad text and names the rule behind it."]
    for stored in case.ads:
        ad, screening = stored.ad, stored.screening
        where = ", ".join(x for x in (ad.city, ad.region, ad.country) if x) or "unknown place"
        posted = iso(ad.posted_at) if ad.posted_at else "unknown time"
        lines.append(f"Ad {ad.key} ({ad.url or 'no URL'}), posted {posted}, {where}, "
                     f"score {screening.score:.2f}.")
        text = ad.text
        for flag in screening.flags:
            lines.append(f"  - {flag.category}: \"{text[flag.start:flag.end]}\" "
                         f"[{flag.start}:{flag.end}] rule {flag.rule}")
    names = span_values(case, "name")
    if names:
        lines.append("Names used in the ads: " + ", ".join(names) + ".")
    for d in case.decisions:
        target = f"ad {d.ad_key}" if d.ad_key else f"network {d.network_id}"
        lines.append(f"Decision: {d.action} on {target} by {d.user_name} at "
                     f"{iso(d.decided_at)}: {d.note}")
    return "\n".join(lines)


def _add_reported_user(report: etree._Element, case: Case, config: ReporterConfig) -> None:
    handles, urls = span_values(case, HANDLE), span_values(case, URL)
    phones, emails = span_values(case, PHONE), span_values(case, EMAIL)
    if not (handles or urls or phones or emails):
        return
    user = sub(report, "personOrUserReported")
    if config.esp_service:
        sub(user, "espService", config.esp_service)
    if handles:
        sub(user, "screenName", handles[0])
    for url in urls:
        sub(user, "profileUrl", url)
    info = []
    if phones:
        info.append("Phone numbers in the ads: " + ", ".join(phones) + ".")
    if emails:
        info.append("E-mail addresses in the ads: " + ", ".join(emails) + ".")
    if len(handles) > 1:
        info.append("Other screen names in the ads: " + ", ".join(handles[1:]) + ".")
    if info:
        sub(user, "additionalInfo", " ".join(info))


def build_report(case: Case, config: ReporterConfig, require_decision: bool = True) -> bytes:
    """The report document (UTF-8 XML bytes) for a case. ValueError when not decided."""
    decision = case.decision_in_force
    if require_decision and (decision is None or decision.action == "clear"):
        state = "was cleared" if decision else "has no decision"
        raise ValueError(f"{case.subject} {state}; record a decision (amberline decide) first")
    report = new_report()

    summary = sub(report, "incidentSummary")
    sub(summary, "incidentType", config.incident_type)
    minors = _minor_ages(case)
    if minors:
        sub(summary, "escalateToHighPriority", "Stated age under 18: " + ", ".join(
            f"{age} in ad {key}" for key, age in minors))
    posted = [s.ad.posted_at for s in case.ads if s.ad.posted_at is not None]
    when = min(posted) if posted else (decision.decided_at if decision else case.generated_at)
    sub(summary, "incidentDateTime", iso(when))
    sub(summary, "incidentDateTimeDescription",
         "Earliest posting time of the reported ads" if posted
         else "Posting time unknown; time of the decision to report")

    page = sub(sub(report, "internetDetails"), "webPageIncident")
    for url in dict.fromkeys(s.ad.url for s in case.ads if s.ad.url):
        sub(page, "url", url)
    sub(page, "additionalInfo", "Ads: " + ", ".join(s.ad.key for s in case.ads))

    add_reporter(report, config)
    _add_reported_user(report, case, config)
    sub(report, "additionalInfo", _case_summary(case))
    return document(report)
