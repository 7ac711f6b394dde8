"""OASIS CAP 1.2 and 1.1 alerts: validation against the official schemas, and reading.

Why validate at all: alert feeds are the one input where a malformed message could silently
drop a missing child from matching. Every `<alert>` is checked with lxml against the OASIS XSD
of its version (kept in `schemas/`, OASIS licence); an alert that fails is never dropped but
becomes a `BadAlert` naming the file, line and reason, for the quarantine table.

Parsing is hardened (no entity expansion, no network, no huge trees): alerts may come from
feeds we do not control. A child-abduction alert is recognised by the SAME event code CAE or
by its event text ("Child Abduction", "AMBER"); its headline and description are parsed into
child, suspect and vehicle descriptors (`amberline.alerts.descriptors`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from amberline.alerts.descriptors import AlertDescriptors, ends_in_prose, parse_description

NS12 = "urn:oasis:names:tc:emergency:cap:1.2"
NS11 = "urn:oasis:names:tc:emergency:cap:1.1"
VERSIONS = {NS12: "1.2", NS11: "1.1"}
SCHEMA_FILES = {
    "1.2": "CAP-v1.2.xsd", "1.1": "CAP-v1.1.xsd", "ipaws": "capv1.2-ipaws-profile-v1.0.xsd",
}
_EVENT_TEXT = re.compile(r"child\s+abduction|\bamber\b", re.IGNORECASE)


class CapError(ValueError):
    """An alert that is not valid CAP; `line` is where in its document the problem is."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def xml_parser() -> etree.XMLParser:
    """A parser safe for untrusted feeds: no entities resolved, no network, bounded trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False)


@cache
def load_schema(name: str) -> etree.XMLSchema:
    """The XSD for CAP "1.2", "1.1" or the "ipaws" profile, compiled once per process."""
    path = resources.files("amberline.alerts").joinpath("schemas", SCHEMA_FILES[name])
    with path.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle, xml_parser()))


@dataclass(frozen=True, slots=True)
class Reference:
    """One (sender, identifier, sent) triple of a CAP `references` element."""

    sender: str
    identifier: str
    sent: str

    def as_dict(self) -> dict[str, str]:
        return {"sender": self.sender, "identifier": self.identifier, "sent": self.sent}


@dataclass(frozen=True, slots=True)
class BadAlert:
    """A document or alert that could not be used, kept with its reason (quarantine shape)."""

    file: str
    line: int
    reason: str
    excerpt: str


@dataclass(slots=True)
class CapAlert:
    """One CAP alert message as read: header, its first (English) info block, descriptors."""

    version: str
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    references: list[Reference]
    event: str
    headline: str
    description: str
    area: str
    expires: datetime | None
    event_codes: list[tuple[str, str]]
    is_child_abduction: bool
    origin: str
    xml: str
    descriptors: AlertDescriptors = field(default_factory=AlertDescriptors)
    ends_alert: bool = False  # a Cancel, or text that cancels the alert or reports the child found
    ends_reason: str = ""  # "msgType Cancel", or the words of the text that end it

    def as_dict(self) -> dict[str, Any]:
        """The machine-interface record: dates ISO 8601, heights in cm, weights in kg."""
        return {
            "identifier": self.identifier,
            "sender": self.sender,
            "sent": self.sent.isoformat(),
            "status": self.status,
            "msgType": self.msg_type,
            "event": self.event,
            "headline": self.headline,
            "is_child_abduction": self.is_child_abduction,
            "references": [r.as_dict() for r in self.references],
            "version": self.version,
            "area": self.area,
            "descriptors": self.descriptors.as_dict(),
            "ends_alert": self.ends_alert,
            "ends_reason": self.ends_reason,
            "origin": self.origin,
        }


def parse_datetime(text: str) -> datetime:
    """A CAP dateTime; one without an offset (allowed by CAP 1.1) is taken to be UTC."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_references(text: str) -> list[Reference]:
    """CAP `references`: whitespace-separated "sender,identifier,sent" triples."""
    refs = []
    for token in text.split():
        parts = token.split(",")
        if len(parts) != 3:
            raise CapError(f"references entry {token!r} is not sender,identifier,sent")
        refs.append(Reference(*parts))
    return refs


def validate(element: etree._Element, profile: str | None = None) -> str:
    """Check one `<alert>` element against its version's XSD (or a named profile).

    Returns the CAP version; raises CapError with the first schema error and its line.
    """
    version = VERSIONS.get(etree.QName(element).namespace or "")
    if etree.QName(element).localname != "alert" or version is None:
        raise CapError(f"not a CAP 1.1/1.2 alert (root element {element.tag})",
                       element.sourceline or 0)
    schema = load_schema(profile or version)
    try:
        doc = etree.fromstring(etree.tostring(element), xml_parser())
    except etree.XMLSyntaxError as exc:
        raise CapError(f"not usable XML: {exc.msg}", element.sourceline or 0) from exc
    if not schema.validate(doc):
        error = schema.error_log.filter_from_errors()[0]
        line = (element.sourceline or 1) + error.line - 1
        name = "IPAWS profile" if profile == "ipaws" else f"CAP {version} schema"
        message = re.sub(r"\{(?:urn|https?):[^}]*\}", "", error.message)
        raise CapError(f"fails the {name}: {message}", line)
    return version


def read_alert(element: etree._Element, origin: str) -> CapAlert:
    """Validate an `<alert>` element and read it; raises CapError when it is not valid CAP."""
    version = validate(element)
    ns = {"c": etree.QName(element).namespace}

    def text(node: etree._Element, path: str) -> str:
        found = node.find(path, ns)
        return (found.text or "").strip() if found is not None else ""

    infos = element.findall("c:info", ns)
    english = [i for i in infos if text(i, "c:language").lower().startswith("en")]
    info = (english or [i for i in infos if not text(i, "c:language")] or infos or [None])[0]
    codes = [
        (text(code, "c:valueName"), text(code, "c:value"))
        for i in infos for code in i.findall("c:eventCode", ns)
    ]
    events = [text(i, "c:event") for i in infos]
    child = any(name.upper() == "SAME" and value.upper() == "CAE" for name, value in codes) or any(
        _EVENT_TEXT.search(e) for e in events
    )
    try:
        references = parse_references(text(element, "c:references"))
        sent = parse_datetime(text(element, "c:sent"))
        expires_text = text(info, "c:expires") if info is not None else ""
        expires = parse_datetime(expires_text) if expires_text else None
    except ValueError as exc:
        raise CapError(str(exc), element.sourceline or 0) from exc
    headline = text(info, "c:headline") if info is not None else ""
    description = text(info, "c:description") if info is not None else ""
    areas = [text(a, "c:areaDesc") for a in info.findall("c:area", ns)] if info is not None else []
    alert = CapAlert(
        version=version,
        identifier=text(element, "c:identifier"),
        sender=text(element, "c:sender"),
        sent=sent,
        status=text(element, "c:status"),
        msg_type=text(element, "c:msgType"),
        scope=text(element, "c:scope"),
        references=references,
        event=events[0] if events else "",
        headline=headline,
        description=description,
        area="; ".join(a for a in areas if a),
        expires=expires,
        event_codes=codes,
        is_child_abduction=child,
        origin=origin,
        xml=etree.tostring(element, encoding="unicode"),
    )
    if child:
        alert.descriptors = parse_description(description, headline=headline, sent=sent)
    alert.ends_reason = ending(alert.msg_type, " ".join(
        (headline, description, text(element, "c:note"))),
        [n for c in alert.descriptors.children if c.name for n in (c.name, c.name.split()[0])])
    alert.ends_alert = bool(alert.ends_reason)
    return alert


def ending(msg_type: str, text: str, names: list[str]) -> str:
    """Why a message ends its alert ("msgType Cancel", or the words that say so), or ""."""
    if msg_type == "Cancel":
        return "msgType Cancel"
    return ends_in_prose(text, names) or ""
