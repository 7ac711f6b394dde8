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
from typing import TYPE_CHECKING, Any

from amberline.identifiers import CONTACT_KINDS
from amberline.store import queries
from amberline.store.audit import entries_about
from amberline.store.database import Store
from amberline.store.decisions import Decision, decisions_about, resolve_ad
from amberline.store.network_reads import members_of_networks, networks_of_ads
from amberline.store.queries import AdSummary, StoredAd
from amberline.store.schema import encode_value, utcnow

if TYPE_CHECKING:
    import sqlalchemy as sa

# Identifier kinds that link ads to each other (and to the people behind them).
KEY_KINDS = CONTACT_KINDS


class CaseNotFound(LookupError):
    """The ad or network a case was asked for is not in the store."""


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


def _related(
    conn: sa.Connection, case_ads: list[StoredAd], limit: int
) -> list[Related]:
    """Stored ads outside the case sharing a phone, email or handle with a case ad."""
    inside = {s.id for s in case_ads}
    out: list[Related] = []
    seen: set[int] = set()
    for stored in case_ads:
        for span in stored.screening.spans:
            if span.kind not in KEY_KINDS or len(out) >= limit:
                continue
            value = encode_value(span.value)[0]
            for summary in queries.find_by(conn, span.kind, span.value, limit):
                if summary.id in inside or summary.id in seen or len(out) >= limit:
                    continue
                seen.add(summary.id)
                out.append(Related(summary, span.kind, value, stored.ad.key))
    return out


def load_case(
    store: Store, ad: str | int | None = None, network_id: str | None = None,
    related_limit: int = 50,
) -> Case:
    """The case for one ad (key or id) or one network. Raises CaseNotFound."""
    if (ad is None) == (network_id is None):
        raise ValueError("a case is about exactly one ad or one network")
    with store.reading() as conn:
        if ad is not None:
            found = resolve_ad(conn, ad)
            if found is None:
                raise CaseNotFound(f"{ad}: no such ad")
            ad_ids, subject = [found[0]], f"ad {found[1]}"
        else:
            members = members_of_networks(conn, [str(network_id)])
            ad_ids, subject = members[str(network_id)], f"network {network_id}"
            if not ad_ids:
                raise CaseNotFound(f"network {network_id}: no such network or no members")
        case_ads = queries.ads_with_ids(conn, ad_ids)
        nets = networks_of_ads(conn, ad_ids)
        net_ids = sorted({n for ns in nets.values() for n in ns} | (
            {str(network_id)} if network_id is not None else set()))
        case = Case(
            subject=subject, network_id=network_id, ads=case_ads,
            related=_related(conn, case_ads, related_limit) if ad is not None else [],
            decisions=decisions_about(conn, ad_ids, net_ids),
            audit=entries_about(conn, ad_ids, [s.ad.key for s in case_ads], net_ids),
            networks=nets,
        )
    case.ads.sort(key=lambda s: (s.ad.posted_at is None, s.ad.posted_at or s.stored_at, s.id))
    return case


def span_values(case: Case, kind: str) -> list[str]:
    """Distinct values of one span kind across the case's ads, in first-seen order."""
    seen: dict[str, None] = {}
    for stored in case.ads:
        for span in stored.screening.spans:
            if span.kind == kind:
                seen.setdefault(span.value if isinstance(span.value, str) else str(span.value))
    return list(seen)


__all__ = ["KEY_KINDS", "Case", "CaseNotFound", "Related", "load_case", "span_values"]
