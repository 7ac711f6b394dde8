"""Notifications on loopback: a receiver that verifies signatures, a failing receiver (retries,
then a dead letter), and a real SMTP server (aiosmtpd) that receives the e-mail."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from alerts_support import http_server
from amberline.alerts.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EmailTarget,
    Notifier,
    NotifyConfig,
    RetryPolicy,
    WebhookTarget,
    dead_letters,
    sign,
    verify_signature,
)
from amberline.store import Store

SECRET = "test-secret-not-for-production"
PAYLOAD = {"event": "amberline.match", "label": "AMBER Alert: Mia Tester", "score": 0.91}


def test_signature_round_trip_and_tampering() -> None:
    body, stamp = b'{"a":1}', str(int(time.time()))
    signature = sign(SECRET, stamp, body)
    assert verify_signature(SECRET, body, stamp, signature)
    assert not verify_signature(SECRET, b'{"a":2}', stamp, signature)
    assert not verify_signature("other", body, stamp, signature)
    assert not verify_signature(SECRET, body, str(int(stamp) - 3600), signature)
    assert not verify_signature(SECRET, body, "not-a-time", signature)


def test_webhook_receiver_gets_signed_delivery_it_verifies(tmp_path: Path) -> None:
    received: list[tuple[bool, dict]] = []

    def receiver(request, body: bytes) -> tuple[int, bytes]:
        ok = verify_signature(SECRET, body, request.headers[TIMESTAMP_HEADER],
                              request.headers[SIGNATURE_HEADER])
        received.append((ok, json.loads(body)))
        return (200 if ok else 401), b"ok"

    with http_server(receiver) as base, Store(tmp_path / "n.db") as store:
        notifier = Notifier(NotifyConfig(webhooks=(WebhookTarget(f"{base}/hook", SECRET),)))
        [record] = notifier.deliver(store, PAYLOAD)
    assert received == [(True, PAYLOAD)]
    assert (record["status"], record["attempts"]) == ("delivered", 1)


def test_failing_receiver_gets_retries_then_a_dead_letter(tmp_path: Path) -> None:
    calls: list[float] = []
    sleeps: list[float] = []

    def receiver(request, body: bytes) -> tuple[int, bytes]:
        calls.append(time.monotonic())
        return 503, b"down"

    retry = RetryPolicy(attempts=4, base_delay=0.01, factor=2.0, max_delay=0.03)
    with http_server(receiver) as base, Store(tmp_path / "d.db") as store:
        notifier = Notifier(NotifyConfig(webhooks=(WebhookTarget(f"{base}/hook", SECRET),),
                                         retry=retry),
                            sleep=lambda s: (sleeps.append(s), time.sleep(s)))
        [record] = notifier.deliver(store, PAYLOAD)
        [dead] = dead_letters(store)
    assert len(calls) == 4 and sleeps == [0.01, 0.02, 0.03]
    assert record["status"] == "dead" and "HTTP 503" in record["last_error"]
    assert dead["attempts"] == 4 and dead["payload"] == PAYLOAD and dead["channel"] == "webhook"


def test_receiver_that_recovers_is_delivered_on_a_retry(tmp_path: Path) -> None:
    answers = iter([500, 500, 200])
    with http_server(lambda req, body: (next(answers), b"")) as base, \
            Store(tmp_path / "r.db") as store:
        notifier = Notifier(NotifyConfig(webhooks=(WebhookTarget(f"{base}/h", SECRET),),
                                         retry=RetryPolicy(5, 0.0, 2.0, 0.0)))
        [record] = notifier.deliver(store, PAYLOAD)
        assert dead_letters(store) == []
    assert (record["status"], record["attempts"]) == ("delivered", 3)


class _Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def smtp_server():  # type: ignore[no-untyped-def]
    inbox = _Inbox()
    port = _free_port()  # aiosmtpd's readiness check needs the real port up front
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_arrives_at_the_local_smtp_server(tmp_path: Path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp_server
    target = EmailTarget("127.0.0.1", port, "amberline@desk.example", ("analyst@desk.example",))
    with Store(tmp_path / "m.db") as store:
        [record] = Notifier(NotifyConfig(emails=(target,))).deliver(store, PAYLOAD)
    assert record["status"] == "delivered"
    [message] = inbox.messages
    assert message["To"] == "analyst@desk.example"
    assert message["Subject"] == "Amberline match: AMBER Alert: Mia Tester"
    assert json.loads(message.get_payload()) == PAYLOAD


def test_unreachable_smtp_server_becomes_a_dead_letter(tmp_path: Path) -> None:
    port = _free_port()  # nobody listens there
    target = EmailTarget("127.0.0.1", port, "a@desk.example", ("b@desk.example",), timeout=2)
    with Store(tmp_path / "x.db") as store:
        notifier = Notifier(NotifyConfig(emails=(target,), retry=RetryPolicy(2, 0.0)))
        [record] = notifier.deliver(store, PAYLOAD)
        assert [d["channel"] for d in dead_letters(store)] == ["email"]
    assert record["attempts"] == 2


def test_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "notify.toml"
    path.write_text('[[webhook]]\nurl = "http://127.0.0.1:9/h"\nsecret = "s"\n'
                    '[[email]]\nhost = "127.0.0.1"\nport = 25\nsender = "a@x.example"\n'
                    'to = ["b@x.example"]\n[retry]\nattempts = 3\nbase_delay = 0.5\n')
    config = NotifyConfig.from_toml(path)
    assert config.webhooks[0].secret == "s" and config.emails[0].to == ("b@x.example",)
    assert config.retry.attempts == 3 and config.retry.delay(2) == 2.0


def test_a_receiver_that_is_down_costs_one_retry_cycle_not_one_per_match(tmp_path: Path) -> None:
    """Ten matches while the receiver is down: the first is retried in full, the other nine
    go straight to the dead letters; after the cooldown the receiver is tried again."""
    calls: list[dict] = []
    status = {"code": 503}

    def receiver(request, body: bytes) -> tuple[int, bytes]:
        calls.append(json.loads(body))
        return status["code"], b""

    now = {"t": 1000.0}
    retry = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, cooldown=60.0)
    with http_server(receiver) as base, Store(tmp_path / "c.db") as store:
        notifier = Notifier(NotifyConfig(webhooks=(WebhookTarget(f"{base}/h", SECRET),),
                                         retry=retry), clock=lambda: now["t"])
        records = [notifier.deliver(store, {**PAYLOAD, "n": n})[0] for n in range(10)]
        assert len(calls) == 3  # one full retry cycle, for the first payload only
        assert [r["attempts"] for r in records] == [3] + [0] * 9
        assert all(r["status"] == "dead" for r in records)
        assert "not tried" in records[1]["last_error"]
        assert len(dead_letters(store)) == 10

        now["t"] += 61.0  # the cooldown is over and the receiver is back
        status["code"] = 200
        [again] = notifier.deliver(store, {**PAYLOAD, "n": 10})
        assert (again["status"], again["attempts"]) == ("delivered", 1)


def test_resend_delivers_the_dead_letters_once_the_receiver_is_back(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from amberline.cli import app

    got: list[dict] = []
    up = {"now": False}

    def receiver(request, body: bytes) -> tuple[int, bytes]:
        if not up["now"]:
            return 500, b""
        got.append(json.loads(body))
        return 200, b""

    retry = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)
    with http_server(receiver) as base:
        config = tmp_path / "notify.toml"
        config.write_text(f'[[webhook]]\nurl = "{base}/h"\nsecret = "{SECRET}"\n'
                          '[retry]\nattempts = 2\nbase_delay = 0.0\n', encoding="utf-8")
        db = tmp_path / "r.db"
        with Store(db) as store:
            notifier = Notifier(NotifyConfig(webhooks=(WebhookTarget(f"{base}/h", SECRET),),
                                             retry=retry))
            for n in range(3):
                notifier.deliver(store, {**PAYLOAD, "n": n})
            other = Notifier(NotifyConfig(webhooks=(WebhookTarget(f"{base}/gone", SECRET),),
                                          retry=retry))
            other.deliver(store, {**PAYLOAD, "n": 99})
            assert len(dead_letters(store)) == 4

        up["now"] = True
        result = CliRunner().invoke(app, ["alerts", "resend", "--db", str(db),
                                          "--notify", str(config)])
        assert result.exit_code == 0, result.output
        assert "3 delivered, 0 still failing, 1 for targets no longer configured" in result.output
    assert [p["n"] for p in got] == [0, 1, 2]
    with Store(db) as store:
        [left] = dead_letters(store)
    assert left["target"].endswith("/gone") and left["payload"]["n"] == 99
