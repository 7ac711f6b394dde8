"""Client for the CyberTipline Reporting API: submit → upload → fileinfo → finish, or retract.

Why a record of every call: a report to the hotline is a legal act with consequences, so
each request (endpoint, attempt, HTTP status, response code, report and file ids, timing, and
a SHA-256 of what was sent, never the credentials) is appended to a JSON Lines log that is
kept with the case. JSON Lines rather than a table: it stays readable and appendable when the
database is elsewhere, and it cannot be lost in a rolled-back transaction.

Retries: connection errors and 5xx responses are retried with exponential backoff; a 4xx
carries a documented response code and is raised at once as `CyberTipError`. A retried
`submit` may, if the server had processed the failed attempt, create a second report; the log
shows every attempt so that an orphan can be retracted. `submit_audited` also writes the
submission and its outcome (or retract) to the store's audit chain.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from amberline.report.cybertip_schema import SCHEMA_LOCATION, XSI, safe_parser
from amberline.store import audit
from amberline.store.database import Store

# The documented base URLs; deployments may override them (the stand-in in tests).
ENVIRONMENTS = {
    "test": "https://exttest.cybertip.org/ispws",
    "production": "https://report.cybertip.org/ispws",
}


class CyberTipError(RuntimeError):
    """The service refused a call (documented response code) or could not be reached."""

    def __init__(self, endpoint: str, message: str, code: int | None = None,
                 http_status: int | None = None) -> None:
        super().__init__(f"{endpoint}: {message}"
                         + (f" (response code {code})" if code is not None else ""))
        self.endpoint, self.code, self.http_status = endpoint, code, http_status
        # Set by `submit_report` when a step after submit failed: the partial report's id,
        # and whether its retract was accepted.
        self.report_id: int | None = None
        self.retracted = False


@dataclass(frozen=True, slots=True)
class Response:
    """A parsed `reportResponse` (or `reportDoneResponse` from finish)."""

    response_code: int
    description: str
    report_id: int | None
    file_id: str | None = None
    hash: str | None = None
    file_ids: tuple[str, ...] = ()
    http_status: int = 200


@dataclass(frozen=True, slots=True)
class Evidence:
    """A file to attach to a report (the case file): generated text, never images of people."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    description: str = ""


@dataclass(slots=True)
class Submission:
    """What a whole submission produced: the report id, file ids and the final response."""

    report_id: int
    file_ids: list[str] = field(default_factory=list)
    finished: Response | None = None


def parse_response(text: bytes | str) -> Response:
    """Parse the documented response XML; ValueError when it is not one."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"response is not XML: {exc}") from exc
    if root.tag not in ("reportResponse", "reportDoneResponse"):
        raise ValueError(f"unexpected response element <{root.tag}>")
    code = root.findtext("responseCode")
    if code is None or not code.strip().lstrip("-").isdigit():
        raise ValueError("response has no numeric responseCode")
    report_id = (root.findtext("reportId") or "").strip()
    return Response(
        response_code=int(code), description=(root.findtext("responseDescription") or "").strip(),
        report_id=int(report_id) if report_id.isdigit() else None,
        file_id=root.findtext("fileId"), hash=root.findtext("hash"),
        file_ids=tuple(e.text or "" for e in root.findall("files/fileId")),
    )


class CallLog:
    """Append-only JSON Lines record of every call (one line per attempt)."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self.entries: list[dict[str, Any]] = []

    def write(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def file_details_xml(report_id: int, file_id: str, evidence: Evidence) -> bytes:
    """The `fileDetails` document for /fileinfo (element order as documented)."""
    root = etree.Element("fileDetails", nsmap={"xsi": XSI})
    root.set(f"{{{XSI}}}noNamespaceSchemaLocation", SCHEMA_LOCATION)
    etree.SubElement(root, "reportId").text = str(report_id)
    etree.SubElement(root, "fileId").text = file_id
    etree.SubElement(root, "originalFileName").text = evidence.filename
    etree.SubElement(root, "fileViewedByEsp").text = "true"
    digest = etree.SubElement(root, "originalFileHash", hashType="MD5")
    digest.text = hashlib.md5(evidence.data).hexdigest()
    if evidence.description:
        etree.SubElement(root, "additionalInfo").text = evidence.description
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _sent_bytes(request: dict[str, Any]) -> bytes:
    """The payload of a request (body, or form values and file contents), for the log's hash."""
    if request.get("content") is not None:
        return request["content"]
    parts = [str(v).encode() for v in (request.get("data") or {}).values()]
    for value in (request.get("files") or {}).values():
        body = value[1] if isinstance(value, tuple) else value
        parts.append(body if isinstance(body, bytes) else str(body).encode())
    return b"".join(parts)


class CyberTipClient:
    """One environment's API with basic auth, retries and a call log."""

    def __init__(
        self, username: str, password: str, environment: str = "test",
        base_url: str | None = None, call_log: CallLog | None = None, retries: int = 3,
        backoff: float = 0.5, timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment {environment!r}: use one of {', '.join(ENVIRONMENTS)}")
        self.environment = environment
        self.base_url = (base_url or ENVIRONMENTS[environment]).rstrip("/")
        self.log = call_log or CallLog(None)
        self.retries, self.backoff, self._sleep = retries, backoff, sleep
        self._http = httpx.Client(auth=(username, password), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CyberTipClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, endpoint: str, **request: Any) -> Response:
        url = f"{self.base_url}/{endpoint}"
        sent = _sent_bytes(request)
        base = {"env": self.environment, "method": method, "endpoint": endpoint, "url": url,
                "request_bytes": len(sent), "request_sha256": hashlib.sha256(sent).hexdigest()}
        for attempt in range(1, self.retries + 2):
            began = time.perf_counter()
            entry = {"at": datetime.now(UTC).isoformat(), **base, "attempt": attempt}
            try:
                reply = self._http.request(method, url, **request)
            except httpx.TransportError as exc:
                self._record(entry, began, error=f"{type(exc).__name__}: {exc}")
                if attempt > self.retries:
                    raise CyberTipError(endpoint, f"cannot reach {url}: {exc}") from exc
                self._sleep(self.backoff * 2 ** (attempt - 1))
                continue
            parsed = self._parse(reply)
            self._record(entry, began, status=reply.status_code, parsed=parsed)
            if reply.status_code >= 500 and attempt <= self.retries:
                self._sleep(self.backoff * 2 ** (attempt - 1))
                continue
            return self._checked(endpoint, reply.status_code, parsed)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _parse(reply: httpx.Response) -> Response | None:
        try:
            return parse_response(reply.content)
        except ValueError:
            return None

    def _record(self, entry: dict[str, Any], began: float, status: int | None = None,
                parsed: Response | None = None, error: str | None = None) -> None:
        entry.update(status=status, error=error, elapsed_ms=round(1000 * (time.perf_counter()
                                                                          - began), 1))
        if parsed is not None:
            entry.update(response_code=parsed.response_code, description=parsed.description,
                         report_id=parsed.report_id, file_id=parsed.file_id)
        self.log.write(entry)

    @staticmethod
    def _checked(endpoint: str, status: int, parsed: Response | None) -> Response:
        if parsed is None:
            raise CyberTipError(endpoint, f"HTTP {status} without a response document",
                                http_status=status)
        if status >= 400 or parsed.response_code != 0:
            raise CyberTipError(endpoint, parsed.description or f"HTTP {status}",
                                parsed.response_code, status)
        return Response(**{**asdict(parsed), "http_status": status})

    # -- the documented calls ----------------------------------------------------------------

    def status(self) -> Response:
        return self._call("GET", "status")

    def submit(self, report_xml: bytes) -> Response:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        return self._call("POST", "submit", content=report_xml, headers=headers)

    def upload(self, report_id: int, evidence: Evidence) -> Response:
        files = {"file": (evidence.filename, evidence.data, evidence.content_type)}
        return self._call("POST", "upload", data={"id": str(report_id)}, files=files)

    def fileinfo(self, report_id: int, file_id: str, evidence: Evidence) -> Response:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        body = file_details_xml(report_id, file_id, evidence)
        return self._call("POST", "fileinfo", content=body, headers=headers)

    def finish(self, report_id: int) -> Response:
        return self._call("POST", "finish", files={"id": (None, str(report_id))})

    def retract(self, report_id: int) -> Response:
        return self._call("POST", "retract", files={"id": (None, str(report_id))})

    def submit_report(self, report_xml: bytes, evidence: list[Evidence],
                      retract_on_failure: bool = True) -> Submission:
        """The whole flow. If a step after submit fails, the partial report is retracted
        (unless told not to) and the error raised, so no half-report is left open."""
        report_id = self.submit(report_xml).report_id
        if report_id is None:
            raise CyberTipError("submit", "success without a reportId")
        result = Submission(report_id)
        try:
            for item in evidence:
                uploaded = self.upload(report_id, item)
                if not uploaded.file_id:
                    raise CyberTipError("upload", "success without a fileId")
                self.fileinfo(report_id, uploaded.file_id, item)
                result.file_ids.append(uploaded.file_id)
            result.finished = self.finish(report_id)
        except CyberTipError as exc:
            exc.report_id = report_id
            if retract_on_failure:
                with suppress(CyberTipError):  # the log keeps the failed retract; raise the cause
                    self.retract(report_id)
                    exc.retracted = True
            raise
        return result


def submit_audited(store: Store, client: CyberTipClient, report_xml: bytes,
                   evidence: list[Evidence], by: str, target: str) -> Submission:
    """`client.submit_report` with its audit entries: one before anything is sent (so nothing
    leaves unrecorded), and one with the outcome (report id and files, or the error and
    whether the partial report was retracted)."""
    sent = {"env": client.environment, "url": client.base_url,
            "report_sha256": hashlib.sha256(report_xml).hexdigest(),
            "files": [e.filename for e in evidence]}
    audit.append(store, by, "report_submit", target, sent)
    try:
        done = client.submit_report(report_xml, evidence)
    except CyberTipError as exc:
        audit.append(store, by, "report_retract" if exc.retracted else "report_failed", target,
                     {"error": str(exc), "report_id": exc.report_id})
        raise
    audit.append(store, by, "report_submitted", target,
                 {"report_id": done.report_id, "file_ids": done.file_ids})
    return done
