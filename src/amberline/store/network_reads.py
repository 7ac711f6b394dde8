"""Read side of linking: ranked networks, one network with its members and edges, cut keys.

Why plain functions over a `Connection`, returning small frozen records: like
`store/queries.py`, so the CLI, the web workspace and reports ask the same questions the same
way, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from amberline.identifiers import CONTACT_KINDS, image_keys
from amberline.store.database import Store
from amberline.store.networks import id_chunks, load_texts, stored_keys
from amberline.store.schema import ads, identifiers, image_hashes
from amberline.store.schema_networks import (
    link_cut_keys,
    link_edges,
    network_members,
    networks,
)

ident = identifiers.c  # an ad's looked-up identifiers (kind, value)


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
    """A member ad as every network view shows it (CLI, workspace, API, exports)."""

    id: int
    key: str
    title: str
    source: str
    city: str | None
    region: str | None
    posted_at: datetime | None
    score: float


_MEMBER_COLUMNS = (ads.c.id, ads.c.key, ads.c.title, ads.c.source, ads.c.city, ads.c.region,
                   ads.c.posted_at, ads.c.score)


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
    q = (sa.select(*_MEMBER_COLUMNS)
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
    found = stored_keys(conn, lambda col: col.in_(inside))
    if found:
        ad_keys = dict(conn.execute(sa.select(ads.c.id, ads.c.key)
                                    .where(ads.c.id.in_(inside))).all())
        for ad_id, keys in found.items():
            out[ad_keys[ad_id]] = keys
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


# -- the workspace's network views -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NetworkRows:
    """What a network page is drawn from: its members, the contact keys they share, and the
    ad-to-ad text edges (ad ids, kind, stored evidence)."""

    score: float | None
    features: dict[str, Any]
    members: list[Member]
    keys: list[tuple[str, str, list[int]]]
    edges: list[tuple[int, int, str, str]]


def members_by_id(conn: sa.Connection, ids: Iterable[int]) -> list[Member]:
    """These ads as network members, in id order."""
    wanted = list(ids)
    query = sa.select(*_MEMBER_COLUMNS).where(ads.c.id.in_(wanted)).order_by(ads.c.id)
    return [Member(*r) for r in conn.execute(query)] if wanted else []


def shared_contact_keys(conn: sa.Connection, ids: list[int]) -> list[tuple[str, str, list[int]]]:
    """(kind, value, ad ids) of the phones, e-mails and handles two or more of `ids` share."""
    rows = conn.execute(sa.select(ident.kind, ident.value, ident.ad_id)
                        .where(ident.ad_id.in_(ids), ident.kind.in_(CONTACT_KINDS))
                        .distinct())
    by_key: dict[tuple[str, str], set[int]] = {}
    for kind, value, ad_id in rows:
        by_key.setdefault((kind, value), set()).add(ad_id)
    return sorted((k, v, sorted(a)) for (k, v), a in by_key.items() if len(a) > 1)


def stored_network_rows(store: Store, network_id: str, max_members: int, max_edges: int
                        ) -> NetworkRows | None:
    """A linked network's rows, or None when there is no such network."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(networks).where(networks.c.id == network_id)).first()
        if row is None:
            return None
        ids = list(conn.execute(sa.select(network_members.c.ad_id)
                                .where(network_members.c.network_id == network_id)
                                .limit(max_members)).scalars())
        e = link_edges.c
        edge_rows = [(int(a), int(b), str(kind), str(why)) for a, b, kind, why in conn.execute(
            sa.select(e.ad_a, e.ad_b, e.kind, e.evidence)
            .where(e.ad_a.in_(ids), e.ad_b.in_(ids), e.key.is_(None)).limit(max_edges))]
        return NetworkRows(row.score, dict(row.features or {}), members_by_id(conn, ids),
                           shared_contact_keys(conn, ids), edge_rows)


def identifier_network_rows(store: Store, ad_id: int, max_members: int, hub_limit: int
                            ) -> NetworkRows | None:
    """The network around one ad before linking has run: breadth-first over shared phones,
    e-mails and handles, up to `max_members` ads; a key on more than `hub_limit` ads (a
    hotline number, a site's address) joins nothing. None when there is no such ad."""
    with store.engine.connect() as conn:
        if conn.execute(sa.select(ads.c.id).where(ads.c.id == ad_id)).first() is None:
            return None
        seen, frontier, keys_done = {ad_id}, [ad_id], set()
        while frontier and len(seen) < max_members:
            keys = conn.execute(sa.select(ident.kind, ident.value).distinct()
                                .where(ident.ad_id.in_(frontier),
                                       ident.kind.in_(CONTACT_KINDS))).all()
            frontier = []
            for key in keys:
                if key in keys_done:
                    continue
                keys_done.add(key)
                found = conn.execute(sa.select(ident.ad_id).distinct()
                                     .where(ident.kind == key[0], ident.value == key[1])
                                     .limit(hub_limit + 1)).scalars().all()
                if len(found) > hub_limit:
                    continue
                new = [a for a in found if a not in seen][: max_members - len(seen)]
                seen.update(new)
                frontier += new
        ids = sorted(seen)
        return NetworkRows(None, {}, members_by_id(conn, ids), shared_contact_keys(conn, ids), [])


def contact_neighbours(store: Store, ad_id: int, limit: int) -> list[tuple[str, str, Member]]:
    """Other ads sharing a phone, e-mail or handle with ad `ad_id`: (kind, value, ad)."""
    with store.engine.connect() as conn:
        mine = conn.execute(sa.select(ident.kind, ident.value).distinct()
                            .where(ident.ad_id == ad_id, ident.kind.in_(CONTACT_KINDS))).all()
        out: list[tuple[str, str, Member]] = []
        for kind, value in mine:
            other = conn.execute(sa.select(ident.ad_id).distinct()
                                 .where(ident.kind == kind, ident.value == value,
                                        ident.ad_id != ad_id).limit(limit)).scalars().all()
            out += [(kind, value, m) for m in members_by_id(conn, other)]
    return out[:limit]


def network_id_of_ad(store: Store, ad_id: int) -> str | None:
    """The linked network holding the ad, or None before linking (or when it is in none)."""
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(network_members.c.network_id)
                             .where(network_members.c.ad_id == ad_id)).scalar()
    return str(found) if found else None


def texts_of(store: Store, ids: Sequence[int]) -> dict[int, str]:
    """Title and body of these ads, for the passages two linked ads share."""
    with store.engine.connect() as conn:
        return load_texts(conn, ids)


def top_networks(store: Store, n: int = 50) -> list[NetworkRecord]:
    """`ranked` on a connection of its own."""
    with store.engine.connect() as conn:
        return ranked(conn, n)


@dataclass(frozen=True, slots=True)
class NetworkDetail:
    """One linked network as the `network` command shows or exports it."""

    record: NetworkRecord
    members: list[Member]
    edges: list[StoredEdge]
    keys_of: dict[str, list[tuple[str, str]]]  # only with keys=True
    texts: dict[int, str]  # only with texts=True


def network_detail(store: Store, network_or_ad_key: str, *, keys: bool, texts: bool
                   ) -> NetworkDetail | None:
    """A network by id, or the network holding the ad with this key; None when neither."""
    with store.engine.connect() as conn:
        net = get(conn, network_or_ad_key)
        if net is None and (nid := network_of_ad(conn, network_or_ad_key)):
            net = get(conn, nid)
        if net is None:
            return None
        found = members(conn, net.id)
        return NetworkDetail(net, found, edges(conn, net.id),
                             keys_of_members(conn, net.id) if keys else {},
                             load_texts(conn, [m.id for m in found]) if texts else {})
