"""Build a CyberTipline-shaped `report` XML from a decided conversation.

Why this mapping: a conversation is a chat incident (`chatImIncident`), not a web page. Its
`content` is the transcript as stored (position, author, time as given, text), so the hotline
reads the messages themselves; the incident type is online enticement, the CyberTipline type
for grooming and sextortion of a child. Every flag is listed with the words it matched, the
message, the author and the rule in `additionalInfo`, with who said what and the decisions
that led to the report. The reported user is named only when the analyst names one of the
conversation's authors: a participant stating a child's age is more likely the child than
the person to report, so no author is picked for them. The reporter comes from the same
config as ad reports (`cybertip.add_reporter`). Text only: no media is read or attached.
"""

from __future__ import annotations

from datetime import UTC, datetime

from amberline.report.case import CaseNotFound
from amberline.report.cybertip import ReporterConfig, add_reporter, document, iso, new_report, sub
from amberline.store.conversations import StoredConversation, get_conversation
from amberline.store.database import Store
from amberline.store.decisions import Decision, history

INCIDENT_TYPE = "Online Enticement of Children for Sexual Act"
# Categories whose flags show a child is (said to be) in the conversation.
MINOR_CATEGORIES = ("has_minor",)
# The transcript is cut here (the whole conversation stays in the store and case material).
MAX_CONTENT = 200_000


def load_conversation(store: Store, key_or_id: str | int
                      ) -> tuple[StoredConversation, list[Decision]]:
    """A stored conversation and its decisions (newest first); CaseNotFound when absent."""
    conv = get_conversation(store, key_or_id)
    if conv is None:
        raise CaseNotFound(f"{key_or_id}: no such conversation")
    return conv, history(store, conversation_id=conv.id)


def _when(conv: StoredConversation) -> datetime | None:
    """The first message time that reads as an ISO 8601 date-time (exports vary)."""
    for message in conv.messages:
        try:
            moment = datetime.fromisoformat((message.time or "").replace("Z", "+00:00"))
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def transcript(conv: StoredConversation, limit: int = MAX_CONTENT) -> str:
    """The messages as lines `[position] author (time): text`, cut at `limit` characters
    (saying so)."""
    lines, size = [], 0
    for i, m in enumerate(conv.messages):
        line = f"[{i}] {m.author or '(no author)'}{f' ({m.time})' if m.time else ''}: {m.text}"
        if size + len(line) > limit:
            lines.append(f"[cut: messages {i}-{len(conv.messages) - 1} not included here; "
                         f"{len(conv.messages)} messages in all]")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def _summary(conv: StoredConversation, decided: list[Decision]) -> str:
    first = ("no early alert" if conv.first_alert is None
             else f"first alert after message {conv.first_alert}")
    lines = [f"Amberline conversation {conv.key}: {len(conv.messages)} messages, score "
             f"{conv.score:.2f} ({conv.scorer}; alert threshold {conv.threshold:.2f}; "
             f"{first}). Scores rank conversations for review; each indicator below quotes "
             "the message and names the rule behind it."]
    for author, categories in conv.authors.items():
        lines.append(f"Participant {author or '(no author)'}: "
                     + (", ".join(categories) if categories else "no indicators"))
    for f in conv.flags:
        text = conv.messages[f.message].text if 0 <= f.message < len(conv.messages) else ""
        lines.append(f"  - {f.category}: \"{text[f.start:f.end]}\" in message {f.message} "
                     f"by {f.author or '(no author)'} [{f.start}:{f.end}] rule {f.rule}")
    for d in reversed(decided):  # oldest first
        lines.append(f"Decision: {d.action} on conversation {conv.key} by {d.user_name} at "
                     f"{iso(d.decided_at)}: {d.note}")
    return "\n".join(lines)


def build_conversation_report(
    conv: StoredConversation, decided: list[Decision], config: ReporterConfig,
    reported_author: str | None = None, require_decision: bool = True,
) -> bytes:
    """The report document (UTF-8 XML bytes) for a conversation; `decided` its decisions,
    newest first (`decisions.history`). ValueError when it has no decision to report in
    force, or `reported_author` did not write in it."""
    decision = decided[0] if decided else None
    if require_decision and (decision is None or decision.action == "clear"):
        state = "was cleared" if decision else "has no decision"
        raise ValueError(f"conversation {conv.key} {state}; record a decision first")
    if reported_author is not None and (not reported_author
                                        or reported_author not in conv.authors):
        raise ValueError(f"{reported_author!r} wrote no message in conversation {conv.key}")
    report = new_report()
    summary = sub(report, "incidentSummary")
    sub(summary, "incidentType", INCIDENT_TYPE)
    minors = [f for f in conv.flags if f.category in MINOR_CATEGORIES]
    if minors:
        sub(summary, "escalateToHighPriority", "A participant states a minor's age or school "
            "year: " + "; ".join(f"\"{f.term}\" (message {f.message}, {f.author or 'no author'})"
                                 for f in minors[:10]))
    started = _when(conv)
    moment = started or (decision.decided_at if decision else datetime.now(UTC))
    sub(summary, "incidentDateTime", iso(moment))
    sub(summary, "incidentDateTimeDescription",
        "Time of the first message, as the export gave it" if started
        else "Message times unknown; time of the decision to report")

    chat = sub(sub(report, "internetDetails"), "chatImIncident")
    if config.esp_service:
        sub(chat, "chatClient", config.esp_service)
    if conv.name:
        sub(chat, "chatRoomName", conv.name)
    sub(chat, "content", transcript(conv))
    sub(chat, "additionalInfo", f"Conversation {conv.key} (id {conv.external_id} in "
        f"{conv.source}); {len(conv.messages)} messages, text only")

    add_reporter(report, config)
    if reported_author is not None:
        user = sub(report, "personOrUserReported")
        if config.esp_service:
            sub(user, "espService", config.esp_service)
        sub(user, "screenName", reported_author)
        sub(user, "additionalInfo", "Indicators in this user's messages: " + (
            ", ".join(conv.authors[reported_author]) or "none"))
    sub(report, "additionalInfo", _summary(conv, decided))
    return document(report)
