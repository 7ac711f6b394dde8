"""The CyberTipline client against the local stand-in over real HTTP on loopback: the whole
submit/upload/fileinfo/finish flow, a retract, rejected reports, auth, retries, the call log."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from amberline.report.case import load_case
from amberline.report.case_html import render_html
from amberline.report.cybertip import Person, ReporterConfig, build_report
from amberline.report.cybertip_client import (
    CallLog,
    CyberTipClient,
    CyberTipError,
    Evidence,
    parse_response,
)
from amberline.report.standin import StandinServer
from amberline.store.decisions import record_decision
from report_fixtures import KEY_A, make_store

USER, PASSWORD = "amberline", "stand-in-secret"


@pytest.fixture
def case(tmp_path: Path):
    store = make_store(tmp_path)
    record_decision(store, ad=KEY_A, action="report", note="stated age 17", user_name="ana")
    return load_case(store, ad=KEY_A)


@pytest.fixture
def xml(case) -> bytes:
    return build_report(case, ReporterConfig(Person("Ana", "Lee", "ana@ngo.example")))


@pytest.fixture
def server():
    with StandinServer(USER, PASSWORD) as srv:
        yield srv


def client(server: StandinServer, log: CallLog, password: str = PASSWORD) -> CyberTipClient:
    return CyberTipClient(USER, password, "test", server.base_url, log, retries=2, backoff=0,
                          timeout=5)


def test_full_flow_submit_upload_fileinfo_finish(server, case, xml, tmp_path: Path) -> None:
    log_path = tmp_path / "calls.jsonl"
    html = render_html(case).encode("utf-8")
    with client(server, CallLog(log_path)) as api:
        assert api.status().response_code == 0
        done = api.submit_report(xml, [Evidence("case-file.html", html, "text/html", "case")])
    stored = server.reports[done.report_id]
    assert stored.state == "finished" and stored.xml == xml
    assert list(stored.files) == done.file_ids and stored.files[done.file_ids[0]] == html
    assert b"<originalFileName>case-file.html</originalFileName>" in \
        stored.file_details[done.file_ids[0]]
    assert done.finished.file_ids == tuple(done.file_ids)
    assert [e for _, e, _ in server.requests] == ["status", "submit", "upload", "fileinfo",
                                                  "finish"]
    lines = [json.loads(x) for x in log_path.read_text().splitlines()]
    assert [x["endpoint"] for x in lines] == ["status", "submit", "upload", "fileinfo", "finish"]
    assert all(x["status"] == 200 and x["response_code"] == 0 for x in lines)
    assert lines[1]["report_id"] == done.report_id and lines[2]["file_id"] == done.file_ids[0]
    assert PASSWORD not in log_path.read_text()


def test_retract_and_no_calls_after_it(server, xml) -> None:
    with client(server, CallLog(None)) as api:
        report_id = api.submit(xml).report_id
        assert api.retract(report_id).response_code == 0
        assert server.reports[report_id].state == "retracted"
        with pytest.raises(CyberTipError) as info:
            api.finish(report_id)
    assert info.value.code == 5101


def test_malformed_report_is_rejected(server, xml) -> None:
    broken = xml.replace(b"<incidentType>", b"<incidentKind>").replace(
        b"</incidentType>", b"</incidentKind>")
    log = CallLog(None)
    with client(server, log) as api:
        with pytest.raises(CyberTipError) as info:
            api.submit(broken)
        assert info.value.code == 4100 and info.value.http_status == 400
        assert "missing <incidentType>" in str(info.value)
        with pytest.raises(CyberTipError) as info:
            api.submit(b"<report><incidentSummary>")
        assert info.value.code == 4110
    assert server.reports == {}
    assert len(log.entries) == 2  # 4xx is not retried


def test_failed_upload_retracts_the_partial_report(server, xml) -> None:
    with client(server, CallLog(None)) as api, pytest.raises(CyberTipError):
        api.submit_report(xml, [Evidence("", b"no name", "text/plain")])
    (report,) = server.reports.values()
    assert report.state == "retracted"
    assert [e for _, e, _ in server.requests] == ["submit", "upload", "retract"]


def test_bad_credentials_get_401(server, xml) -> None:
    api = client(server, CallLog(None), password="wrong")
    with api, pytest.raises(CyberTipError) as info:
        api.submit(xml)
    assert info.value.http_status == 401 and info.value.code == 2000
    assert server.reports == {}


def test_server_errors_are_retried_with_backoff(server, xml) -> None:
    waits: list[float] = []
    log = CallLog(None)
    server.fail_next(2, 503)
    api = CyberTipClient(USER, PASSWORD, "test", server.base_url, log, retries=3, backoff=0.25,
                         sleep=waits.append)
    with api:
        response = api.submit(xml)
    assert response.response_code == 0 and response.report_id in server.reports
    assert waits == [0.25, 0.5]
    assert [(e["attempt"], e["status"]) for e in log.entries] == [(1, 503), (2, 503), (3, 200)]


def test_gives_up_after_the_last_retry(server, xml) -> None:
    server.fail_next(5, 502)
    with client(server, CallLog(None)) as api, pytest.raises(CyberTipError) as info:
        api.submit(xml)
    assert info.value.http_status == 502 and len(server.requests) == 3


def test_connection_errors_are_retried_then_raised(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = CallLog(tmp_path / "calls.jsonl")
    api = CyberTipClient(USER, PASSWORD, "test", f"http://127.0.0.1:{port}/ispws", log,
                         retries=2, backoff=0, timeout=2)
    with api, pytest.raises(CyberTipError, match="cannot reach"):
        api.status()
    assert [e["attempt"] for e in log.entries] == [1, 2, 3]
    assert all(e["error"] for e in log.entries)


def test_environments_and_response_parsing() -> None:
    assert CyberTipClient("u", "p", "production").base_url.startswith("https://")
    with pytest.raises(ValueError, match="environment"):
        CyberTipClient("u", "p", "staging")
    parsed = parse_response(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><reportResponse>'
        b"<responseCode>0</responseCode><responseDescription>Success</responseDescription>"
        b"<reportId>4564654</reportId><fileId>b0754a</fileId><hash>fafa5e</hash>"
        b"</reportResponse>")
    assert (parsed.response_code, parsed.report_id, parsed.file_id, parsed.hash) == (
        0, 4564654, "b0754a", "fafa5e")
    with pytest.raises(ValueError):
        parse_response(b"<html>gateway error</html>")
