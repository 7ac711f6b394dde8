"""Read the tables other areas own, when they exist: network membership and the audit log.

Why reflection and not imports: reports read `network_members` (owned by linking) and
`audit_log` (owned by the workspace), which are written concurrently with this code and may
be missing from an older database. Reports must work without them and say so rather than
fail or, worse, silently skip a network decision. Everything here takes a live `Connection`
and returns plain Python values; the rest of `amberline.report` never touches these tables.

Expected shapes (the hook the other areas fill): `network_members` has a network id column
(`network_id`, or `network`) and an ad id column (`ad_id`); `audit_log` has any columns, and an
entry concerns an ad when one of `ad_id`/`ad_key`/`target`/`network_id` names it (the
workspace's log writes `target` as "ad:<id>" or "network:<id>").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

_NETWORK_COLUMNS = ("network_id", "network")
_AD_COLUMNS = ("ad_id",)
_AUDIT_TARGETS = ("ad_id", "ad_key", "target", "target_id", "network_id", "subject")


def _table(conn: sa.Connection, name: str) -> sa.Table | None:
    if not sa.inspect(conn).has_table(name):
        return None
    return sa.Table(name, sa.MetaData(), autoload_with=conn)


def _column(table: sa.Table, names: tuple[str, ...]) -> sa.Column[Any] | None:
    for name in names:
        if name in table.c:
            return table.c[name]
    return None


def membership_table(conn: sa.Connection) -> tuple[sa.Column[Any], sa.Column[Any]] | None:
    """The (network id, ad id) columns of the membership table, or None if there is none."""
    table = _table(conn, "network_members")
    if table is None:
        return None
    network, ad = _column(table, _NETWORK_COLUMNS), _column(table, _AD_COLUMNS)
    if network is None or ad is None:
        return None
    return network, ad


def network_members(conn: sa.Connection, network_ids: Iterable[str]) -> dict[str, list[int]] | None:
    """Member ad ids of each network (in ad id order); None when networks are not stored.

    A network id that is not stored maps to an empty list, so callers can report it.
    """
    columns = membership_table(conn)
    if columns is None:
        return None
    network, ad = columns
    wanted = [str(n) for n in network_ids]
    members: dict[str, list[int]] = {n: [] for n in wanted}
    if not wanted:
        return members
    rows = conn.execute(
        sa.select(network, ad).where(network.in_(wanted)).order_by(network, ad)
    )
    for net, ad_id in rows:
        members.setdefault(str(net), []).append(int(ad_id))
    return members


def networks_of(conn: sa.Connection, ad_ids: Iterable[int]) -> dict[int, list[str]] | None:
    """The networks each ad belongs to; None when networks are not stored."""
    columns = membership_table(conn)
    if columns is None:
        return None
    network, ad = columns
    ids = list(ad_ids)
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for net, ad_id in conn.execute(sa.select(network, ad).where(ad.in_(ids))):
            out.setdefault(int(ad_id), []).append(str(net))
    return out


def audit_entries(
    conn: sa.Connection, ad_ids: Iterable[int], ad_keys: Iterable[str], network_ids: Iterable[str]
) -> list[dict[str, Any]] | None:
    """Audit-log rows about these ads or networks, oldest first; None when there is no log."""
    table = _table(conn, "audit_log")
    if table is None:
        return None
    ad_ids, ad_keys, network_ids = list(ad_ids), list(ad_keys), list(network_ids)
    # The workspace writes targets as "ad:<id>" and "network:<id>"; bare values are accepted.
    targets = {str(v) for v in (*ad_ids, *ad_keys, *network_ids)}
    targets |= {f"ad:{v}" for v in (*ad_ids, *ad_keys)} | {f"network:{v}" for v in network_ids}
    conditions = [
        sa.cast(table.c[name], sa.String).in_(targets)
        for name in _AUDIT_TARGETS if name in table.c
    ]
    if not conditions or not targets:
        return []
    order = [table.c[c] for c in ("at", "created_at", "recorded_at", "id") if c in table.c]
    query = sa.select(table).where(sa.or_(*conditions)).order_by(*order)
    return [dict(row._mapping) for row in conn.execute(query)]
