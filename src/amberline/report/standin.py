"""A local stand-in for the CyberTipline Reporting API, for tests and for rehearsing a report.

Why: the hotline's test environment cannot be reached from here (or from an air-gapped
deployment), yet the client's whole flow (submit → upload → fileinfo → finish, or retract),
its authentication and its handling of errors must be exercised for real, over HTTP. This
server implements those documented endpoints and response codes on 127.0.0.1, validates
reports and file details against `cybertip_schema` (rejecting malformed ones as the real
service would), enforces HTTP basic auth, and can be told to fail the next requests with 5xx
so that retries can be tested. It keeps what it received in memory for inspection.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from lxml import etree

from amberline.report.cybertip_schema import (
    MALFORMED,
    safe_parser,
    validate_file_details,
    validate_report,
)

# Documented response codes used here.
SUCCESS, AUTH_REQUIRED, VALIDATION_FAILED, MALFORMED_XML = 0, 2000, 4100, 4110
MALFORMED_FILE, NO_SUCH_REPORT, NO_SUCH_FILE = 4200, 5001, 5002
ALREADY_RETRACTED, ALREADY_FINISHED = 5101, 5102


@dataclass
class StoredReport:
    id: int
    xml: bytes
    state: str = "open"  # open | finished | retracted
    files: dict[str, bytes] = field(default_factory=dict)
    file_details: dict[str, bytes] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: StandinServer

    def log_message(self, format: str, *args: object) -> None:  # quiet in tests
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        endpoint = self.path.rstrip("/").rsplit("/", 1)[-1]
        status, xml = self.server.respond(method, endpoint, self.headers, body)
        payload = xml.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="ispws"')
        self.end_headers()
        self.wfile.write(payload)


def _response(code: int, description: str, root: str = "reportResponse", **extra: object) -> str:
    parts = [f"<responseCode>{code}</responseCode>"]
    if root == "reportResponse":
        parts.append(f"<responseDescription>{escape(description)}</responseDescription>")
    for name, value in extra.items():
        if value is not None:
            parts.append(f"<{name}>{value}</{name}>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f"<{root}>{''.join(parts)}</{root}>")


def form_fields(headers: object, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Fields of a multipart/form-data or urlencoded body: name -> (filename, bytes)."""
    ctype = headers.get("Content-Type", "")  # type: ignore[attr-defined]
    if ctype.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode("latin-1") + body)
        out = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                out[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
        return out
    pairs = parse_qs(body.decode("utf-8", "replace"))
    return {k: (None, v[0].encode("utf-8")) for k, v in pairs.items()}


class StandinServer(ThreadingHTTPServer):
    """The stand-in, bound to 127.0.0.1 on a free port; use as a context manager.

    `base_url` is what the client is pointed at. `fail_next(n, status)` makes the next `n`
    requests fail with that HTTP status before anything is processed.
    """

    daemon_threads = True

    def __init__(self, username: str = "amberline", password: str = "test-secret") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.credentials = (username, password)
        self.reports: dict[int, StoredReport] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, endpoint, HTTP status)
        self._lock = threading.Lock()
        self._next_id = 100001
        self._failures: list[int] = []
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/ispws"

    def __enter__(self) -> StandinServer:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def _authorised(self, headers: object) -> bool:
        value = headers.get("Authorization", "")  # type: ignore[attr-defined]
        if not value.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(value[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return (user, password) == self.credentials

    def respond(self, method: str, endpoint: str, headers: object, body: bytes) -> tuple[int, str]:
        with self._lock:
            status, xml = self._handle(method, endpoint, headers, body)
            self.requests.append((method, endpoint, status))
            return status, xml

    def _handle(self, method: str, endpoint: str, headers: object, body: bytes
                ) -> tuple[int, str]:
        if self._failures:
            return self._failures.pop(0), _response(1000, "Server error")
        if not self._authorised(headers):
            return 401, _response(AUTH_REQUIRED, "Authentication required")
        if method == "GET" and endpoint == "status":
            return 200, _response(SUCCESS, f"Remote User : {self.credentials[0]}")
        if method != "POST" or endpoint not in ("submit", "upload", "fileinfo", "finish",
                                                "retract"):
            return 404, _response(4000, f"Invalid request: {method} {endpoint}")
        if endpoint == "submit":
            return self._submit(body)
        if endpoint == "fileinfo":
            return self._fileinfo(body)
        fields = form_fields(headers, body)
        report, error = self._report(fields)
        if report is None:
            return error  # type: ignore[return-value]
        if endpoint == "upload":
            return self._upload(report, fields)
        if endpoint == "finish":
            report.state = "finished"
            files = "".join(f"<fileId>{f}</fileId>" for f in report.files)
            return 200, _response(SUCCESS, "", root="reportDoneResponse",
                                  reportId=report.id, files=files)
        report.state = "retracted"
        return 200, _response(SUCCESS, "Success", reportId=report.id)

    def _submit(self, body: bytes) -> tuple[int, str]:
        errors = validate_report(body)
        if errors:
            code = MALFORMED_XML if errors[0].startswith(MALFORMED) else VALIDATION_FAILED
            return 400, _response(code, "; ".join(errors))
        report = StoredReport(self._next_id, body)
        self.reports[report.id] = report
        self._next_id += 1
        return 200, _response(SUCCESS, "Success", reportId=report.id)

    def _report(self, fields: dict[str, tuple[str | None, bytes]]
                ) -> tuple[StoredReport | None, tuple[int, str] | None]:
        raw = fields.get("id", (None, b""))[1].decode("utf-8", "replace").strip()
        report = self.reports.get(int(raw)) if raw.isdigit() else None
        if report is None:
            return None, (400, _response(NO_SUCH_REPORT, f"Report does not exist: {raw!r}"))
        if report.state == "retracted":
            return None, (400, _response(ALREADY_RETRACTED, "Report already retracted",
                                         reportId=report.id))
        if report.state == "finished":
            return None, (400, _response(ALREADY_FINISHED, "Report already finished",
                                         reportId=report.id))
        return report, None

    def _upload(self, report: StoredReport, fields: dict[str, tuple[str | None, bytes]]
                ) -> tuple[int, str]:
        if "file" not in fields or not fields["file"][0]:
            return 400, _response(MALFORMED_FILE, "Malformed file submittal: no file part",
                                  reportId=report.id)
        data = fields["file"][1]
        file_id = uuid.uuid4().hex
        report.files[file_id] = data
        return 200, _response(SUCCESS, "Success", reportId=report.id, fileId=file_id,
                              hash=hashlib.md5(data).hexdigest())

    def _fileinfo(self, body: bytes) -> tuple[int, str]:
        errors = validate_file_details(body)
        if errors:
            code = MALFORMED_XML if errors[0].startswith(MALFORMED) else VALIDATION_FAILED
            return 400, _response(code, "; ".join(errors))
        root = etree.fromstring(body, safe_parser())
        report_id, file_id = root.findtext("reportId").strip(), root.findtext("fileId").strip()
        report, error = self._report({"id": (None, report_id.encode())})
        if report is None:
            return error  # type: ignore[return-value]
        if file_id not in report.files:
            return 400, _response(NO_SUCH_FILE, f"File does not exist: {file_id}",
                                  reportId=report.id)
        report.file_details[file_id] = body
        return 200, _response(SUCCESS, "Success", reportId=report.id)
