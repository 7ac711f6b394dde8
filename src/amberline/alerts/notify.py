"""Notifications of new matches: signed webhooks and e-mail, with retries and a dead letter.

Why signed: a receiver (a case system, a chat bridge) must know a delivery came from this
Amberline and was not replayed. Each POST carries `X-Amberline-Timestamp` (Unix seconds) and
`X-Amberline-Signature: sha256=<hex>`, the HMAC-SHA256 with the shared secret over
"<timestamp>.<body>"; `verify_signature` is what a receiver calls (constant-time compare, with a
tolerance on the timestamp against replays).

Why a dead letter: a match an alert desk never hears of is worse than a late one. A delivery is
retried with exponential backoff; after the last failure it is recorded as `dead` in the
`notifications` table, with the error and the payload, and `amberline alerts resend` (or
`Notifier.resend`) delivers it again later: nothing is lost. A target that is down is not
retried on every match for `cooldown` seconds, so a dead receiver cannot stall a scan.
Configuration is a TOML file (`[[webhook]] url, secret`; `[[email]] host, port, sender, to`;
`[retry] attempts, base_delay, factor, max_delay, cooldown`), named by
AMBERLINE_NOTIFY_CONFIG or --notify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from amberline.alerts.matches import StoredMatch
from amberline.store.alerts import dead_letters, insert_notifications, update_notification
from amberline.store.database import Store
from amberline.store.schema import dump_json, utcnow

TIMESTAMP_HEADER = "X-Amberline-Timestamp"
SIGNATURE_HEADER = "X-Amberline-Signature"
ENV_CONFIG = "AMBERLINE_NOTIFY_CONFIG"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: "sha256=" + HMAC-SHA256(secret, "timestamp.body")."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, body: bytes, timestamp: str, signature: str,
                     tolerance: float = 300.0, now: float | None = None) -> bool:
    """For receivers: is this delivery signed with `secret` and recent enough?"""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    secret: str
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class EmailTarget:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts and exponential backoff: delay n = min(max_delay, base_delay * factor**n)."""

    attempts: int = 5
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0
    # After a target fails every attempt, deliveries to it are not tried (they go straight to
    # the dead letters, for `resend`) until this many seconds have passed: a receiver that is
    # down must not stall a scan for a whole retry cycle on every match.
    cooldown: float = 300.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * self.factor ** attempt)


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    webhooks: tuple[WebhookTarget, ...] = ()
    emails: tuple[EmailTarget, ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_toml(cls, path: Path) -> NotifyConfig:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        emails = tuple(EmailTarget(**{**e, "to": tuple(e["to"])}) for e in data.get("email", []))
        return cls(tuple(WebhookTarget(**w) for w in data.get("webhook", [])), emails,
                   RetryPolicy(**data.get("retry", {})))

    @classmethod
    def from_env(cls) -> NotifyConfig | None:
        path = os.environ.get(ENV_CONFIG)
        return cls.from_toml(Path(path)) if path else None


def post_webhook(target: WebhookTarget, body: bytes) -> None:
    """One signed POST; raises OSError unless the receiver answers 2xx."""
    stamp = str(int(time.time()))
    request = urllib.request.Request(target.url, data=body, method="POST", headers={
        "Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(target.secret, stamp, body)})
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise OSError(f"HTTP {exc.code} from {target.url}") from exc


def send_email(target: EmailTarget, subject: str, text: str) -> None:
    """One e-mail through SMTP; raises OSError (smtplib errors included) on failure."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = target.sender, ", ".join(target.to), \
        subject
    message.set_content(text)
    with smtplib.SMTP(target.host, target.port, timeout=target.timeout) as smtp:
        if target.starttls:
            smtp.starttls()
        if target.username:
            smtp.login(target.username, target.password or "")
        smtp.send_message(message)


def match_payload(match: StoredMatch) -> dict[str, Any]:
    """What a receiver gets about one match (no ad text beyond its title)."""
    return {"event": "amberline.match", **match.as_dict()}


class Notifier:
    """Delivers payloads to every configured target and records each delivery.

    A target that failed every attempt is "down" for `retry.cooldown` seconds: deliveries to it
    meanwhile are recorded as dead letters at once (attempts 0), not retried, so that matches
    found during a scan cost the scan one retry cycle per target, not one per match.
    `resend` delivers the dead letters again once the receiver is back.
    """

    def __init__(self, config: NotifyConfig, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.sleep = sleep
        self.clock = clock
        self._down_since: dict[tuple[str, str], float] = {}

    def _attempt(self, send: Callable[[], None]) -> tuple[int, str | None]:
        error = None
        for attempt in range(self.config.retry.attempts):
            try:
                send()
                return attempt + 1, None
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < self.config.retry.attempts:
                    self.sleep(self.config.retry.delay(attempt))
        return self.config.retry.attempts, error

    def _send(self, channel: str, target: str, send: Callable[[], None]
              ) -> tuple[int, str | None]:
        """(attempts, error or None) of one delivery, skipping a target that is down."""
        down_since = self._down_since.get((channel, target))
        if down_since is not None:
            waited = self.clock() - down_since
            if waited < self.config.retry.cooldown:
                return 0, (f"not tried: {target} failed every attempt {waited:.0f} s ago;"
                           f" tried again after {self.config.retry.cooldown:.0f} s")
        attempts, error = self._attempt(send)
        if error is None:
            self._down_since.pop((channel, target), None)
        else:
            self._down_since[(channel, target)] = self.clock()
        return attempts, error

    def _senders(self, payload: dict[str, Any]) -> dict[tuple[str, str], Callable[[], None]]:
        """One sender per configured target, keyed by (channel, target) as recorded."""
        body = dump_json(payload).encode()
        senders: dict[tuple[str, str], Callable[[], None]] = {
            ("webhook", w.url): (lambda w=w: post_webhook(w, body)) for w in self.config.webhooks}
        subject = f"Amberline match: {payload.get('label', payload.get('event'))}"
        text = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
        senders |= {("email", ", ".join(e.to)): (lambda e=e: send_email(e, subject, text))
                    for e in self.config.emails}
        return senders

    def deliver(self, store: Store, payload: dict[str, Any], match_id: int | None = None
                ) -> list[dict[str, Any]]:
        """Send one payload everywhere; returns the delivery records it stored."""
        records = []
        for (channel, target), send in self._senders(payload).items():
            attempts, error = self._send(channel, target, send)
            records.append({"match_id": match_id, "channel": channel, "target": target,
                            "status": "dead" if error else "delivered", "attempts": attempts,
                            "last_error": error, "payload": payload, "created_at": utcnow(),
                            "finished_at": utcnow()})
        if records:
            insert_notifications(store, records)
        return records

    def notify_matches(self, store: Store, found: list[StoredMatch]) -> None:
        for match in found:
            self.deliver(store, match_payload(match), match.id)

    def resend(self, store: Store) -> dict[str, int]:
        """Deliver every dead letter again, oldest first, to its target as configured now.

        A delivered one becomes "delivered" (its attempts added up); one whose target is no
        longer configured stays dead and is counted as `unknown_target`.
        """
        counts = {"delivered": 0, "dead": 0, "unknown_target": 0}
        for letter in dead_letters(store):
            send = self._senders(letter["payload"] or {}).get(
                (letter["channel"], letter["target"]))
            if send is None:
                counts["unknown_target"] += 1
                continue
            attempts, error = self._send(letter["channel"], letter["target"], send)
            counts["dead" if error else "delivered"] += 1
            update_notification(store, letter["id"], status="dead" if error else "delivered",
                                attempts=letter["attempts"] + attempts, last_error=error,
                                finished_at=utcnow())
        return counts

