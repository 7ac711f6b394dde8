"""Read side of linking: ranked networks, one network with its members and edges, cut keys.

Why plain functions over a `Connection`, returning small frozen records: like
`store/queries.py`, so the CLI, the web workspace and reports ask the same questions the same
way, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from amberline.identifiers import image_keys
from amberline.store.networks import id_chunks
from amberline.store.schema import ads, image_hashes
from amberline.store.schema_networks import (
    link_cut_keys,
    link_edges,
    link_keys,
    network_members,
    networks,
)


@dataclass(frozen=True, slots=True)
class NetworkRecord:
    """A stored network: `ads` are member ad keys in id order."""

    id: str
    score: float
    size: int
    ads: list[str]
    keys: list[list[Any]]
    edge_kinds: dict[str, int]
    features: dict[str, Any]
    contributions: list[dict[str, Any]]
    template: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    key: str
    posted_at: datetime | None
    city: str | None
    score: float
    title: str


@dataclass(frozen=True, slots=True)
class StoredEdge:
    ad_a: str
    ad_b: str
    kind: str
    weight: float
    evidence: str


def _members(conn: sa.Connection, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    for where in id_chunks(ids):
        q = (sa.select(network_members.c.network_id, ads.c.key)
             .join(ads, ads.c.id == network_members.c.ad_id)
             .where(where(network_members.c.network_id)).order_by(ads.c.id))
        for nid, key in conn.execute(q):
            out[nid].append(key)
    return out


def _record(row: Any, members: list[str]) -> NetworkRecord:
    return NetworkRecord(row.id, row.score, row.size, members, row.keys or [],
                         row.edge_kinds or {}, row.features or {}, row.contributions or [],
                         row.template)


def ranked(conn: sa.Connection, n: int = 50) -> list[NetworkRecord]:
    """The `n` highest-scoring networks, best first (ties: larger, then id)."""
    rows = conn.execute(sa.select(networks).order_by(
        networks.c.score.desc(), networks.c.size.desc(), networks.c.id).limit(n)).all()
    members = _members(conn, [r.id for r in rows])
    return [_record(r, members[r.id]) for r in rows]


def get(conn: sa.Connection, network_id: str) -> NetworkRecord | None:
    row = conn.execute(sa.select(networks).where(networks.c.id == network_id)).first()
    return _record(row, _members(conn, [row.id])[row.id]) if row else None


def network_of_ad(conn: sa.Connection, ad_key: str) -> str | None:
    q = (sa.select(network_members.c.network_id).join(ads, ads.c.id == network_members.c.ad_id)
         .where(ads.c.key == ad_key))
    return conn.execute(q).scalar()


def members(conn: sa.Connection, network_id: str) -> list[Member]:
    """Member ads in posting order (undated last): the network's timeline."""
    q = (sa.select(ads.c.id, ads.c.key, ads.c.posted_at, ads.c.city, ads.c.score, ads.c.title)
         .join(network_members, network_members.c.ad_id == ads.c.id)
         .where(network_members.c.network_id == network_id))
    rows = [Member(*r) for r in conn.execute(q)]
    return sorted(rows, key=lambda m: (m.posted_at is None, m.posted_at or datetime.min, m.id))


def edges(conn: sa.Connection, network_id: str) -> list[StoredEdge]:
    """The live edges between members of a network (none through a cut key)."""
    inside = sa.select(network_members.c.ad_id).where(
        network_members.c.network_id == network_id)
    a, b = ads.alias("a"), ads.alias("b")
    cut = sa.select(sa.literal(1)).where(
        link_edges.c.key == link_cut_keys.c.kind + ":" + link_cut_keys.c.value)
    q = (sa.select(a.c.key, b.c.key, link_edges.c.kind, link_edges.c.weight,
                   link_edges.c.evidence)
         .join(a, a.c.id == link_edges.c.ad_a).join(b, b.c.id == link_edges.c.ad_b)
         .where(link_edges.c.ad_a.in_(inside), link_edges.c.ad_b.in_(inside), ~cut.exists())
         .order_by(link_edges.c.id))
    return [StoredEdge(*r) for r in conn.execute(q)]


def cut_keys(conn: sa.Connection) -> list[tuple[str, str, int, str]]:
    """(kind, value, ads, message) of the keys left out as hubs, most shared first."""
    q = sa.select(link_cut_keys.c.kind, link_cut_keys.c.value, link_cut_keys.c.ads,
                  link_cut_keys.c.message).order_by(link_cut_keys.c.ads.desc())
    return [tuple(r) for r in conn.execute(q)]


def keys_of_members(conn: sa.Connection, network_id: str) -> dict[str, list[tuple[str, str]]]:
    """Each member's link keys, identifiers and image hashes alike."""
    inside = sa.select(network_members.c.ad_id).where(
        network_members.c.network_id == network_id)
    out: dict[str, list[tuple[str, str]]] = {}
    q = (sa.select(ads.c.key, link_keys.c.kind, link_keys.c.value)
         .join(ads, ads.c.id == link_keys.c.ad_id).where(link_keys.c.ad_id.in_(inside)))
    for key, kind, value in conn.execute(q):
        out.setdefault(key, []).append((kind, value))
    q = (sa.select(ads.c.key, image_hashes.c.pdq, image_hashes.c.quality, image_hashes.c.md5)
         .join(ads, ads.c.id == image_hashes.c.ad_id).where(image_hashes.c.ad_id.in_(inside)))
    for key, pdq, quality, md5 in conn.execute(q):
        out.setdefault(key, []).extend(
            image_keys([{"pdq": pdq, "quality": quality, "md5": md5}]))
    return out


def members_of_networks(conn: sa.Connection, network_ids: Iterable[str]) -> dict[str, list[int]]:
    """Member ad ids of each network, in ad id order; an id that is not stored maps to an
    empty list, so callers can report it."""
    wanted = [str(n) for n in network_ids]
    found: dict[str, list[int]] = {n: [] for n in wanted}
    if wanted:
        m = network_members.c
        query = sa.select(m.network_id, m.ad_id).where(m.network_id.in_(wanted))
        for net, ad_id in conn.execute(query.order_by(m.network_id, m.ad_id)):
            found[str(net)].append(int(ad_id))
    return found


def networks_of_ads(conn: sa.Connection, ad_ids: Iterable[int]) -> dict[int, list[str]]:
    """The networks each ad belongs to (an empty list for an ad in none)."""
    ids = list(ad_ids)
    found: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        m = network_members.c
        for net, ad_id in conn.execute(sa.select(m.network_id, m.ad_id).where(m.ad_id.in_(ids))):
            found[int(ad_id)].append(str(net))
    return found
