"""Store side of linking: link keys in, linking inputs out, networks in and out.

Why its own module: the linker works on plain `LinkRecord`s and numpy arrays; this is the one
place that knows how they are laid out in the tables of `schema_networks` (signatures as
little-endian uint32 blobs) and of the ads (link keys derived from the `identifiers` rows, the
source and the typed location, `stored_keys`; image keys read from `image_hashes`). Reads go by
ad id range or by small chunks of ids, so that a link run over 10^6 stored ads never builds one
huge query or holds a transaction open between batches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from amberline.collector import collector_paused
from amberline.identifiers import TEXT_KEY_KINDS, stored_link_keys
from amberline.model import AGE, META_LOCATION, META_RAW_KEY, NAME, PLACE, PRICE, LinkRecord
from amberline.store import documents
from amberline.store.rows import bulk_insert
from amberline.store.schema import ads, flag_categories, identifiers, image_hashes
from amberline.store.schema_networks import (
    link_cut_keys,
    link_decisions,
    link_edges,
    link_minhash,
    link_state,
    network_members,
    networks,
)

if TYPE_CHECKING:
    from amberline.store.database import Store

Where = Callable[[sa.ColumnElement[Any]], sa.ColumnElement[bool]]
_CHUNK = 500  # ids per IN (...) list: well under every backend's parameter limit


def signature_blobs(matrix: np.ndarray) -> list[bytes]:
    """One blob per row of a signature matrix (one encoding of the whole matrix, sliced)."""
    raw = np.ascontiguousarray(matrix, dtype="<u4").tobytes()
    width = 4 * matrix.shape[1] if matrix.ndim == 2 else 0
    return [raw[i : i + width] for i in range(0, width * len(matrix), width)]


def signature_matrix(blobs: Sequence[bytes], num_perm: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, num_perm), dtype=np.uint32)
    raw = np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(blobs), -1)
    if raw.shape[1] != num_perm:
        raise ValueError(f"stored signatures have {raw.shape[1]} values, expected {num_perm}")
    return raw.astype(np.uint32)


def id_chunks(ids: Sequence[int]) -> Iterator[Where]:
    """`where` builders for ids in chunks, for the loaders below."""
    for lo in range(0, len(ids), _CHUNK):
        chunk = list(ids[lo : lo + _CHUNK])
        yield lambda col, chunk=chunk: col.in_(chunk)


def stored_of(conn: sa.Connection, column: sa.Column[int], ids: Sequence[int]) -> set[int]:
    """Those of `ids` that `column` holds.

    Ids that lie close together (a batch of new ads: neighbours) are read as one range
    between the least and the largest, filtered here: a list of a thousand bound values costs
    more to build than that read. Scattered ids (a backfill) are read in `id_chunks`."""
    if not ids:
        return set()
    wanted = set(ids)
    lo, hi = min(wanted), max(wanted)
    if hi - lo >= 2 * len(wanted):
        have: set[int] = set()
        for where in id_chunks(sorted(wanted)):
            have.update(r[0] for r in conn.execute(sa.select(column).where(where(column))))
        return have
    return {r[0] for r in conn.execute(sa.select(column).where(column.between(lo, hi)))
            if r[0] in wanted}


def signed_id_ranges(conn: sa.Connection, size: int) -> Iterator[Where]:
    """`where` builders for consecutive batches of `size` signed ads, in id order, each batch's
    ids read when it is asked for (a whole store's ids are never held at once)."""
    after = 0
    while True:
        ids = conn.execute(sa.select(link_minhash.c.ad_id).where(link_minhash.c.ad_id > after)
                           .order_by(link_minhash.c.ad_id).limit(size)).scalars().all()
        if not ids:
            return
        yield id_range(ids[0], ids[-1])
        after = ids[-1]


def id_range(lo: int, hi: int) -> Where:
    return lambda col: col.between(lo, hi)


# -- inputs ----------------------------------------------------------------------------------


def ad_id_ranges(conn: sa.Connection, after: int, upto: int | None, size: int
                 ) -> list[tuple[int, int, int]]:
    """(first id, last id, count) of consecutive batches of `size` ads with after < id <= upto."""
    query = sa.select(ads.c.id).where(ads.c.id > after).order_by(ads.c.id)
    if upto is not None:
        query = query.where(ads.c.id <= upto)
    ids = [r[0] for r in conn.execute(query)]
    return [(ids[lo], ids[min(lo + size, len(ids)) - 1], min(size, len(ids) - lo))
            for lo in range(0, len(ids), size)]


# The location the poster typed (`Ad.meta`, kept in `raw` by `raw_with_meta`), read by the
# database: a link run needs that one field of each ad, not its whole raw record.
TYPED_LOCATION = ads.c.raw[(META_RAW_KEY, META_LOCATION)].as_string().label("typed_location")


@collector_paused()
def load_records(conn: sa.Connection, where: Where, *, full: bool, with_text: bool
                 ) -> tuple[list[int], list[LinkRecord]]:
    """(ad ids, records) in id order. Keys and image hashes always; with `full` also what
    network features need (date, city, score, flags, names, prices); text on request.

    With the collector held off (`collector_paused`): a batch of records and their derived
    keys are tens of thousands of containers that all live on, so its passes free nothing."""
    cols = [ads.c.id, ads.c.key, ads.c.source, TYPED_LOCATION]
    if full:
        cols += [ads.c.posted_at, ads.c.city, ads.c.score]
    if with_text:
        cols += [ads.c.title, ads.c.body]
    ids: list[int] = []
    recs: list[LinkRecord] = []
    by_id: dict[int, LinkRecord] = {}
    origin: dict[int, tuple[str | None, Any]] = {}
    for row in conn.execute(sa.select(*cols).where(where(ads.c.id)).order_by(ads.c.id)).all():
        rec = LinkRecord(ad_key=row.key)
        if full:
            rec.posted_at, rec.city, rec.score = row.posted_at, row.city, row.score
        if with_text:
            rec.text = f"{row.title}\n{row.body}" if row.title and row.body else (
                row.title or row.body)
        ids.append(row.id)
        recs.append(rec)
        by_id[row.id] = rec
        origin[row.id] = (row.source, row.typed_location)
    if not ids:
        return ids, recs
    for ad_id, keys in _derived_keys(conn, where, origin).items():
        by_id[ad_id].keys = keys
    q = sa.select(image_hashes.c.ad_id, image_hashes.c.pdq, image_hashes.c.quality,
                  image_hashes.c.md5).where(where(image_hashes.c.ad_id)).order_by(
        image_hashes.c.id)
    for ad_id, pdq, quality, md5 in conn.execute(q):
        by_id[ad_id].images.append({"pdq": pdq, "quality": quality, "md5": md5})
    if full:
        _profile(conn, where, by_id)
    return ids, recs


def stored_keys(conn: sa.Connection, where: Where) -> dict[int, list[tuple[str, str]]]:
    """The link keys of the ads `where` selects that have a signature (those a link run
    knows: a scan's hook or a link run's backfill signed them), by ad id in id order; an ad
    without keys is left out."""
    q = (sa.select(ads.c.id, ads.c.source, TYPED_LOCATION)
         .join(link_minhash, link_minhash.c.ad_id == ads.c.id)
         .where(where(ads.c.id)).order_by(ads.c.id))
    origin = {ad_id: (source, location) for ad_id, source, location in conn.execute(q).all()}
    found = _derived_keys(conn, where, origin) if origin else {}
    return {ad_id: found[ad_id] for ad_id in origin if ad_id in found}


def _derived_keys(conn: sa.Connection, where: Where,
                  origin: dict[int, tuple[str | None, Any]]) -> dict[int, list[tuple[str, str]]]:
    """The link keys (`identifiers.stored_link_keys`) of the ads in `origin` ({id: (source,
    typed location)}) from their identifier rows of the key kinds, in row order.

    Why derived here and not stored by the scan: the identifier rows already hold each ad's
    distinct identifier values, so storing the keys too wrote every identifier twice."""
    values: dict[int, list[tuple[str, str]]] = {}
    # The kind as an expression (`|| ''`), so that no planner walks the (kind, value) index
    # over every ad's identifiers: the ad id index finds a batch's rows, in row order.
    q = (sa.select(identifiers.c.ad_id, identifiers.c.kind, identifiers.c.value)
         .where(where(identifiers.c.ad_id),
                identifiers.c.kind.concat("").in_(TEXT_KEY_KINDS))
         .order_by(identifiers.c.ad_id, identifiers.c.id))
    last, pairs = None, []
    for ad_id, kind, value in conn.execute(q).all():  # by ad: one list per ad
        if ad_id != last:
            last, pairs = ad_id, values.setdefault(ad_id, [])
        pairs.append((kind, value))
    out: dict[int, list[tuple[str, str]]] = {}
    for ad_id, (source, location) in origin.items():
        keys = stored_link_keys(values.get(ad_id, ()), source, location)
        if keys:
            out[ad_id] = keys
    return out


def _profile(conn: sa.Connection, where: Where, by_id: dict[int, LinkRecord]) -> None:
    q = sa.select(ads.c.id, ads.c.screening).where(where(ads.c.id)).order_by(ads.c.id)
    place: dict[int, str] = {}
    for ad_id, document in conn.execute(q):
        rec = by_id[ad_id]
        for span in documents.decode_spans(document):
            kind, value = span.kind, span.value
            if kind == NAME and str(value) not in rec.names:
                rec.names.append(str(value))
            elif kind == PRICE:
                with contextlib.suppress(TypeError, ValueError):
                    rec.prices.append(float(span.attrs.get("amount", value)))
            elif kind == PLACE:
                place.setdefault(ad_id, str(value))
            elif kind == AGE and isinstance(value, int):
                rec.ages.append(value)
    for ad_id, city in place.items():
        if by_id[ad_id].city is None:
            by_id[ad_id].city = city
    q = sa.select(flag_categories.c.ad_id, flag_categories.c.category).where(
        where(flag_categories.c.ad_id))
    for ad_id, category in conn.execute(q):
        by_id[ad_id].flags.append(category)
    for rec in by_id.values():
        rec.flags.sort()


def load_texts(conn: sa.Connection, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for where in id_chunks(ids):
        for ad_id, title, body in conn.execute(
                sa.select(ads.c.id, ads.c.title, ads.c.body).where(where(ads.c.id))):
            out[ad_id] = f"{title}\n{body}" if title and body else (title or body)
    return out


def load_signatures(conn: sa.Connection, where: Where, ids: Sequence[int], num_perm: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Stored signatures of `ids` (all must have one), in the order of `ids`."""
    found = {r.ad_id: (r.signature, r.empty) for r in conn.execute(
        sa.select(link_minhash).where(where(link_minhash.c.ad_id)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise LookupError(f"{len(missing)} ads have no stored signature, e.g. id {missing[0]}")
    sig = signature_matrix([found[i][0] for i in ids], num_perm)
    return sig, np.array([bool(found[i][1]) for i in ids], dtype=bool)


def ids_without_signature(conn: sa.Connection) -> list[int]:
    """Ads stored without a signature (scanned before linking existed, or a scan died between
    storing a batch and its hook): `amberline link` computes theirs first."""
    q = (sa.select(ads.c.id).outerjoin(link_minhash, link_minhash.c.ad_id == ads.c.id)
         .where(link_minhash.c.ad_id.is_(None)).order_by(ads.c.id))
    return [r[0] for r in conn.execute(q)]


SIGNATURE_COLUMNS = ("ad_id", "signature", "empty")


def write_signatures(store: Store, sig_rows: list[tuple[int, bytes, bool]]) -> None:
    """`insert_signatures` in a write transaction of its own (a scan engine's batch of new
    ads)."""
    with store.writer.begin() as conn:
        insert_signatures(conn, sig_rows)


def insert_signatures(conn: sa.Connection, sig_rows: list[tuple[int, bytes, bool]]) -> None:
    """Store the signatures of ads that have none yet (a link run's backfill and a scan's
    hook may race for the same ads; the first to write wins, nothing is doubled). Rows are
    tuples in `SIGNATURE_COLUMNS` order."""
    have = stored_of(conn, link_minhash.c.ad_id, [r[0] for r in sig_rows])
    if have:
        sig_rows = [r for r in sig_rows if r[0] not in have]
    bulk_insert(conn, link_minhash, SIGNATURE_COLUMNS, sig_rows)


def cut_key_names(conn: sa.Connection) -> set[str]:
    return {f"{r.kind}:{r.value}" for r in conn.execute(sa.select(link_cut_keys))}


def load_edges(conn: sa.Connection) -> Iterator[tuple[int, int, str, float, str | None]]:
    q = sa.select(link_edges.c.ad_a, link_edges.c.ad_b, link_edges.c.kind, link_edges.c.weight,
                  link_edges.c.key).order_by(link_edges.c.id)
    yield from conn.execute(q)


def load_memberships(conn: sa.Connection) -> dict[str, frozenset[int]]:
    out: dict[str, set[int]] = {}
    for nid, ad_id in conn.execute(sa.select(network_members.c.network_id,
                                             network_members.c.ad_id)):
        out.setdefault(nid, set()).add(ad_id)
    return {k: frozenset(v) for k, v in out.items()}


def load_state(conn: sa.Connection) -> tuple[int, dict[str, Any]] | None:
    row = conn.execute(sa.select(link_state).where(link_state.c.id == 1)).first()
    return (row.last_ad_id, dict(row.config)) if row else None


def clear_links(conn: sa.Connection, signatures: bool = False) -> None:
    """Forget every link run (and, with `signatures`, the stored signatures too)."""
    tables = [link_state, link_cut_keys, network_members, networks, link_edges]
    if signatures:
        tables.append(link_minhash)
    for table in tables:
        conn.execute(table.delete())


# -- outputs ---------------------------------------------------------------------------------


def write_run(
    conn: sa.Connection,
    edge_rows: list[dict[str, Any]],
    network_rows: list[dict[str, Any]],
    member_rows: list[dict[str, Any]],
    stale: Sequence[str],
    cut_rows: list[dict[str, Any]],
    state: dict[str, Any],
) -> None:
    """Record one link run in the caller's transaction: new edges, networks that changed
    (rewritten whole), networks that no longer exist, the current cut keys, the state."""
    if edge_rows:
        conn.execute(link_edges.insert(), edge_rows)
    for lo in range(0, len(stale), _CHUNK):
        chunk = list(stale[lo : lo + _CHUNK])
        conn.execute(network_members.delete().where(network_members.c.network_id.in_(chunk)))
        conn.execute(networks.delete().where(networks.c.id.in_(chunk)))
    if network_rows:
        conn.execute(networks.insert(), network_rows)
    if member_rows:
        conn.execute(network_members.insert(), member_rows)
    conn.execute(link_cut_keys.delete())
    if cut_rows:
        conn.execute(link_cut_keys.insert(), cut_rows)
    conn.execute(link_state.delete())
    conn.execute(link_state.insert().values(id=1, **state))


def load_not_linked(conn: sa.Connection) -> list[tuple[int, int]]:
    """Ad id pairs analysts marked "not linked" (`link_decisions`)."""
    q = sa.select(link_decisions.c.ad_a, link_decisions.c.ad_b).order_by(link_decisions.c.id)
    return [(int(a), int(b)) for a, b in conn.execute(q)]
