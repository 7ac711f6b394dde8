"""The shape of a CyberTipline `report` document, and a validator for it.

Why a content model in code: NCMEC's Reporting API takes an XML `report` whose elements must
come in a fixed order (an XSD sequence), and a report that does not follow it is rejected
(response code 4100/4110). Both our builder's tests and the local stand-in server check
documents against this one table, so a wrong name or order fails here first. Element names,
order and the incident types follow the published API documentation as used by public
clients of it; only the part Amberline emits (and its immediate neighbours) is modelled, and
an element the model does not know is an error rather than passed through.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

INCIDENT_TYPES = (
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Act",
    "Unsolicited Obscene Material Sent to a Child",
)

# (child name, min occurs, max occurs or None for unbounded), in document order.
Model = tuple[tuple[str, int, int | None], ...]
_PERSON: Model = (
    ("firstName", 0, 1), ("lastName", 0, 1), ("phone", 0, None), ("email", 0, None),
    ("address", 0, None), ("age", 0, 1), ("dateOfBirth", 0, 1),
)
MODELS: dict[str, Model] = {
    "report": (
        ("incidentSummary", 1, 1), ("internetDetails", 0, None), ("lawEnforcement", 0, 1),
        ("reporter", 1, 1), ("personOrUserReported", 0, 1), ("intendedRecipient", 0, None),
        ("victim", 0, None), ("additionalInfo", 0, 1),
    ),
    "incidentSummary": (
        ("incidentType", 1, 1), ("escalateToHighPriority", 0, 1), ("reportAnnotations", 0, 1),
        ("incidentDateTime", 1, 1), ("incidentDateTimeDescription", 0, 1),
    ),
    "webPageIncident": (("url", 0, None), ("additionalInfo", 0, 1)),
    "chatImIncident": (
        ("chatClient", 0, 1), ("chatRoomName", 0, 1), ("content", 0, 1), ("additionalInfo", 0, 1),
    ),
    "reporter": (
        ("reportingPerson", 1, 1), ("contactPerson", 0, 1), ("companyTemplate", 0, 1),
        ("termsOfService", 0, 1), ("legalURL", 0, 1),
    ),
    "reportingPerson": _PERSON,
    "contactPerson": _PERSON,
    "personOrUserReportedPerson": _PERSON,
    "personOrUserReported": (
        ("personOrUserReportedPerson", 0, 1), ("vehicleDescription", 0, 1),
        ("espIdentifier", 0, 1), ("espService", 0, 1), ("screenName", 0, 1),
        ("displayName", 0, None), ("profileUrl", 0, None), ("ipCaptureEvent", 0, None),
        ("deviceId", 0, None), ("thirdPartyUserReported", 0, 1), ("priorCTReports", 0, None),
        ("groupIdentifier", 0, 1), ("estimatedLocation", 0, 1), ("additionalInfo", 0, 1),
    ),
    "fileDetails": (
        ("reportId", 1, 1), ("fileId", 1, 1), ("originalFileName", 0, 1),
        ("locationOfFile", 0, 1), ("fileViewedByEsp", 0, 1), ("exifViewedByEsp", 0, 1),
        ("publiclyAvailable", 0, 1), ("fileRelevance", 0, 1), ("fileAnnotations", 0, 1),
        ("industryClassification", 0, 1), ("originalFileHash", 0, None),
        ("ipCaptureEvent", 0, None), ("deviceId", 0, None), ("details", 0, None),
        ("additionalInfo", 0, None),
    ),
}
# `internetDetails` holds exactly one incident, of one of these kinds.
INCIDENT_KINDS = (
    "webPageIncident", "emailIncident", "newsgroupIncident", "chatImIncident",
    "onlineGamingIncident", "cellPhoneIncident", "nonInternetIncident", "peer2peerIncident",
)
# Elements whose content Amberline never emits and so does not check beyond their name.
_OPAQUE = {"lawEnforcement", "intendedRecipient", "victim", "reportAnnotations", "address",
           "ipCaptureEvent", "deviceId", "estimatedLocation", "fileAnnotations", "details",
           *(k for k in INCIDENT_KINDS if k not in MODELS)}
_REQUIRED_TEXT = {"incidentType", "incidentDateTime", "url", "email", "reportId", "fileId"}


MALFORMED = "not well-formed XML"


# Characters XML 1.0 cannot carry (ad text and keys may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` with every character XML cannot carry replaced by U+FFFD, one for one (so
    offsets into it stay right)."""
    return _NOT_XML.sub("\ufffd", value)


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted XML: no entities resolved, no DTD, no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False)


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def _check_sequence(element: etree._Element, model: Model, path: str, errors: list[str]) -> None:
    names = [c.tag for c in _children(element)]
    i = 0
    for name, low, high in model:
        count = 0
        while i < len(names) and names[i] == name:
            count, i = count + 1, i + 1
        if count < low:
            errors.append(f"{path}: missing <{name}>")
        if high is not None and count > high:
            errors.append(f"{path}: <{name}> may occur at most {high} time(s), found {count}")
    if i < len(names):
        errors.append(f"{path}: unexpected <{names[i]}> (unknown element or out of order)")


def _check(element: etree._Element, path: str, errors: list[str]) -> None:
    tag = element.tag
    children = _children(element)
    if tag in MODELS:
        _check_sequence(element, MODELS[tag], path, errors)
    elif tag == "internetDetails":
        kinds = [c.tag for c in children]
        if len(kinds) != 1 or kinds[0] not in INCIDENT_KINDS:
            errors.append(f"{path}: must hold exactly one of {', '.join(INCIDENT_KINDS)}")
    elif tag in _OPAQUE:
        return
    elif children:
        errors.append(f"{path}: <{tag}> holds text only, found <{children[0].tag}>")
        return
    else:
        _check_text(element, path, errors)
        return
    for child in children:
        _check(child, f"{path}/{child.tag}", errors)


def _check_text(element: etree._Element, path: str, errors: list[str]) -> None:
    text = (element.text or "").strip()
    if element.tag in _REQUIRED_TEXT and not text:
        errors.append(f"{path}: must not be empty")
    elif element.tag == "incidentType" and text not in INCIDENT_TYPES:
        errors.append(f"{path}: {text!r} is not a CyberTipline incident type")
    elif element.tag == "incidentDateTime":
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            errors.append(f"{path}: {text!r} is not an ISO 8601 date-time")


def _parse(document: bytes | str, root_tag: str) -> tuple[etree._Element | None, list[str]]:
    if isinstance(document, str):
        document = document.encode("utf-8")
    try:
        root = etree.fromstring(document, safe_parser())
    except etree.XMLSyntaxError as exc:
        return None, [f"{MALFORMED}: {exc}"]
    if root.tag != root_tag:
        return None, [f"root element is <{root.tag}>, expected <{root_tag}>"]
    errors: list[str] = []
    _check(root, root_tag, errors)
    return root, errors


def validate_file_details(document: bytes | str) -> list[str]:
    """Every problem with a `fileDetails` document (the /fileinfo call); empty when valid."""
    return _parse(document, "fileDetails")[1]


def validate_report(document: bytes | str) -> list[str]:
    """Every problem with a `report` document, as readable lines; empty when it is valid."""
    root, errors = _parse(document, "report")
    if root is None:
        return errors
    person = root.find("reporter/reportingPerson")
    if person is not None:
        for name in ("firstName", "lastName", "email"):
            if person.find(name) is None:
                errors.append(f"report/reporter/reportingPerson: missing <{name}>")
    return errors
