"""The takedown list a platform acts on: every ad whose decision in force is `takedown`.

Why "in force": decisions are never edited, a later one supersedes, so an ad taken down and
then cleared must not be on the list. A decision on a network applies to each of its member
ads at the time it was taken (in time order with the ads' own decisions). A network whose
membership is not stored (an id that linking no longer has) cannot be expanded: its takedown is
listed under `unresolved`, never dropped.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field

from amberline.store.database import Store
from amberline.store.decisions import Decision
from amberline.store.report_reads import decision_history, locators

CSV_COLUMNS = ("ad_id", "ad_key", "url", "source", "source_id", "network_id", "reason",
               "decided_at", "decided_by", "decision_id")


@dataclass(frozen=True, slots=True)
class TakedownEntry:
    """One ad to take down; `network_id` is set when a network decision put it here."""

    ad_id: int | None
    ad_key: str | None
    url: str | None
    source: str | None
    source_id: str | None
    network_id: str | None
    reason: str
    decided_at: str
    decided_by: str
    decision_id: int


@dataclass(slots=True)
class TakedownList:
    """The ads to take down and the network decisions that could not be expanded (why)."""

    entries: list[TakedownEntry] = field(default_factory=list)
    unresolved: list[dict[str, object]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {"takedowns": [asdict(e) for e in self.entries], "unresolved": self.unresolved},
            ensure_ascii=False, indent=2,
        )

    def to_csv(self) -> str:
        """One row per ad; unresolved network decisions as rows with empty ad columns."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for entry in self.entries:
            writer.writerow(asdict(entry))
        for item in self.unresolved:
            writer.writerow({k: item.get(k) for k in CSV_COLUMNS})
        return out.getvalue()


def in_force(
    history: list[Decision], members: dict[str, list[int]] | None
) -> tuple[dict[int, Decision], list[tuple[Decision, str]]]:
    """The decision in force per ad id, and the latest decision on each network that could
    not be expanded to its ads (with why).

    `history` must be oldest first; `members` maps network ids to ad ids (None: unknown).
    """
    current: dict[int, Decision] = {}
    unexpanded: dict[str, tuple[Decision, str]] = {}
    for decision in history:
        if decision.ad_id is not None:
            current[decision.ad_id] = decision
            continue
        network = str(decision.network_id)
        ids = members.get(network) if members is not None else None
        if not ids:
            why = ("networks are not stored in this database" if members is None
                   else f"network {network} has no stored members")
            unexpanded[network] = (decision, why)
            continue
        unexpanded.pop(network, None)
        for ad_id in ids:
            current[ad_id] = decision
    return current, list(unexpanded.values())


def takedown_list(store: Store) -> TakedownList:
    """Build the takedown list from every decision in `store`."""
    history, members = decision_history(store)
    current, unexpanded = in_force(history, members)
    wanted = sorted(ad_id for ad_id, d in current.items() if d.action == "takedown")
    rows = locators(store, wanted)
    result = TakedownList()
    for ad_id in wanted:
        d, row = current[ad_id], rows.get(ad_id)
        result.entries.append(TakedownEntry(
            ad_id, row.key if row else None, row.url if row else None,
            row.source if row else None, row.source_id if row else None,
            d.network_id, d.note, d.decided_at.isoformat(), d.user_name, d.id,
        ))
    for d, why in unexpanded:
        if d.action == "takedown":
            result.unresolved.append({
                "network_id": d.network_id, "reason": d.note,
                "decided_at": d.decided_at.isoformat(), "decided_by": d.user_name,
                "decision_id": d.id, "unresolved_because": why,
            })
    return result
