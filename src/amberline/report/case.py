"""Gather everything a report is built from: the case's ads, their evidence, related ads,
decisions and audit entries.

Why one gathering step: the hotline report, the HTML/PDF case file and the CLI all describe
the same case, so they must see the same ads and the same decisions. A case is either one ad
(with the other stored ads that share an identifier with it, shown as related) or one network
(all its member ads). Rendering never queries the store; it only reads a `Case`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amberline.identifiers import CONTACT_KINDS
from amberline.store.conversations import StoredConversation, conversation_audit
from amberline.store.database import Store
from amberline.store.decisions import Decision
from amberline.store.queries import AdSummary, StoredAd
from amberline.store.report_reads import CaseNotFound, read_case
from amberline.store.schema import encode_value, utcnow

# Identifier kinds that link ads to each other (and to the people behind them).
KEY_KINDS = CONTACT_KINDS


@dataclass(slots=True)
class Related:
    """A stored ad outside the case that shares an identifier with a case ad."""

    summary: AdSummary
    kind: str
    value: str
    via: str  # key of the case ad it shares the identifier with


@dataclass(slots=True)
class Case:
    """One ad or one network, with everything known about it at `generated_at`."""

    subject: str  # "ad <key>" or "network <id>"
    network_id: str | None
    ads: list[StoredAd]
    related: list[Related] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    networks: dict[int, list[str]] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def keys(self) -> list[tuple[str, str, list[str]]]:
        """(kind, value, ad keys) for every identifier in the case, most shared first."""
        found: dict[tuple[str, str], list[str]] = {}
        for stored in self.ads:
            for span in stored.screening.spans:
                if span.kind in KEY_KINDS:
                    value = encode_value(span.value)[0]
                    holders = found.setdefault((span.kind, value), [])
                    if stored.ad.key not in holders:
                        holders.append(stored.ad.key)
        return sorted(((k, v, a) for (k, v), a in found.items()), key=lambda t: (-len(t[2]), t))

    @property
    def decision_in_force(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None


def load_case(
    store: Store, ad: str | int | None = None, network_id: str | None = None,
    related_limit: int = 50,
) -> Case:
    """The case for one ad (key or id) or one network. Raises CaseNotFound."""
    rows = read_case(store, ad, network_id, KEY_KINDS, related_limit)
    case = Case(
        subject=rows.subject, network_id=network_id, ads=rows.ads,
        related=[Related(*r) for r in rows.related], decisions=rows.decisions,
        audit=rows.audit, networks=rows.networks,
    )
    case.ads.sort(key=lambda s: (s.ad.posted_at is None, s.ad.posted_at or s.stored_at, s.id))
    return case


@dataclass(slots=True)
class ConversationCase:
    """One stored conversation with its decisions (oldest first) and audit entries."""

    conversation: StoredConversation
    decisions: list[Decision] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def subject(self) -> str:
        return f"conversation {self.conversation.key}"

    @property
    def decision_in_force(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None


def load_conversation_case(store: Store, key_or_id: str | int) -> ConversationCase:
    """The case for one conversation (key or id). Raises CaseNotFound."""
    from amberline.report.chat_report import load_conversation

    conv, decided = load_conversation(store, key_or_id)
    return ConversationCase(conv, sorted(decided, key=lambda d: (d.decided_at, d.id)),
                            conversation_audit(store, conv.id))


def span_values(case: Case, kind: str) -> list[str]:
    """Distinct values of one span kind across the case's ads, in first-seen order."""
    seen: dict[str, None] = {}
    for stored in case.ads:
        for span in stored.screening.spans:
            if span.kind == kind:
                seen.setdefault(span.value if isinstance(span.value, str) else str(span.value))
    return list(seen)


__all__ = ["KEY_KINDS", "Case", "CaseNotFound", "ConversationCase", "Related", "load_case",
           "load_conversation_case", "span_values"]
