"""The reads reports are built from: a case (its ads, the stored ads related to them, their
networks, decisions and audit entries) and the decisions behind the takedown list.

Why one connection per case: the hotline report, the HTML/PDF case file and the CLI describe
the same case, so every part of it is read together; `report.case` builds the `Case` from
these rows and `report.takedown` decides what is in force, and neither queries the store.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from amberline.store import queries
from amberline.store.audit import entries_about
from amberline.store.database import Store
from amberline.store.decisions import Decision, all_decisions, decisions_about, resolve_ad
from amberline.store.network_reads import members_of_networks, networks_of_ads
from amberline.store.queries import AdSummary, StoredAd, ad_locators
from amberline.store.schema import encode_value


class CaseNotFound(LookupError):
    """The ad or network a case was asked for is not in the store."""


@dataclass(frozen=True, slots=True)
class CaseRows:
    """Everything stored about one ad or one network. `related` holds (stored ad outside the
    case, identifier kind, its stored value, key of the case ad it shares it with)."""

    subject: str  # "ad <key>" or "network <id>"
    ads: list[StoredAd]
    networks: dict[int, list[str]]
    decisions: list[Decision]
    audit: list[dict[str, Any]]
    related: list[tuple[AdSummary, str, str, str]]


def _related(conn: sa.Connection, case_ads: list[StoredAd], kinds: Collection[str],
             limit: int) -> list[tuple[AdSummary, str, str, str]]:
    """Stored ads outside the case sharing an identifier of `kinds` with a case ad."""
    inside = {s.id for s in case_ads}
    out: list[tuple[AdSummary, str, str, str]] = []
    seen: set[int] = set()
    for stored in case_ads:
        for span in stored.screening.spans:
            if span.kind not in kinds or len(out) >= limit:
                continue
            value = encode_value(span.value)[0]
            for summary in queries.find_by(conn, span.kind, span.value, limit):
                if summary.id in inside or summary.id in seen or len(out) >= limit:
                    continue
                seen.add(summary.id)
                out.append((summary, span.kind, value, stored.ad.key))
    return out


def read_case(store: Store, ad: str | int | None, network_id: str | None,
              related_kinds: Collection[str], related_limit: int) -> CaseRows:
    """The rows of the case for one ad (key or id; with related ads) or one network.
    Raises CaseNotFound."""
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
        return CaseRows(
            subject=subject, ads=case_ads, networks=nets,
            decisions=decisions_about(conn, ad_ids, net_ids),
            audit=entries_about(conn, ad_ids, [s.ad.key for s in case_ads], net_ids),
            related=(_related(conn, case_ads, related_kinds, related_limit)
                     if ad is not None else []),
        )


def decision_history(store: Store) -> tuple[list[Decision], dict[str, list[int]]]:
    """Every decision, oldest first, and the stored members of each network decided on."""
    with store.reading() as conn:
        history = all_decisions(conn)
        network_ids = sorted({d.network_id for d in history if d.network_id is not None})
        return history, members_of_networks(conn, network_ids)


def locators(store: Store, ids: list[int]) -> dict[int, sa.Row[Any]]:
    """{id: (id, key, url, source, source_id)} of these ads (`queries.ad_locators`)."""
    with store.reading() as conn:
        return ad_locators(conn, ids)
