"""Link the ads of a store, incrementally: `link_store(store) -> LinkSummary`.

Why incremental, and how: a crawl grows every day, and relinking 10^6 ads to place a thousand
new ones would waste the night. A run takes up where the last one stopped (`link_state` holds
the last ad id linked): the earlier ads' keys, stored signatures and stored edges restore the
linker's state without hashing or aligning anything again, only the ads stored since are
added (their signatures were computed at scan time), and only networks whose membership
changed are described and rewritten. A `rebuild` forgets every earlier run and links all ads
in one go; tests check that both give the same partition.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from amberline.store import link_runs as db
from amberline.store.database import Store
from amberline.store.link_lock import link_lock
from amberline.store.schema import utcnow
from amberline.stored_batch import NewAd

from .describe import describe_network, network_id
from .edges import COPY_KINDS, KIND_CODE, KINDS, CutKey
from .hook import LinkKeysHook
from .linker import Linker
from .record import LinkConfig
from .result import edge_evidence

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SIGNATURE_FIELDS = ("num_perm", "shingle_size", "seed")


class LinkSettingsChanged(ValueError):
    """The store was linked with other settings; only a rebuild may change them."""


@dataclass(slots=True)
class LinkSummary:
    """What a link run did. `edges` counts the edges this run made, per kind."""

    ads_linked: int
    ads_total: int
    backfilled: int
    edges: dict[str, int]
    networks: int
    networks_changed: int
    joined: int
    merges: int
    cut_keys: list[CutKey] = field(default_factory=list)
    rebuilt: bool = False
    seconds: float = 0.0


def config_json(config: LinkConfig) -> dict[str, Any]:
    out = asdict(config)
    out["kinds"] = list(config.kinds) if config.kinds is not None else None
    return out


def stored_config(store: Store) -> LinkConfig | None:
    """The settings the store was last linked with (None if never), so that a follow-up run
    (after an analyst's decision) links the same way."""
    state = db.state(store)
    if state is None:
        return None
    known = {f.name for f in fields(LinkConfig)}
    values = {k: v for k, v in state[1].items() if k in known}
    if values.get("kinds") is not None:
        values["kinds"] = tuple(values["kinds"])
    return LinkConfig(**values)


def _stages(progress: Progress | None) -> Progress:
    return progress or (lambda stage, done, total: None)


def link_store(store: Store, config: LinkConfig | None = None, *, rebuild: bool = False,
               batch_size: int = 20_000, progress: Progress | None = None,
               wait: float = 600.0) -> LinkSummary:
    """Link the ads stored since the last run (all ads with `rebuild`) into networks.

    One run per database at a time: a run started while another is linking waits for it up
    to `wait` seconds (then raises `LinkBusy`) and takes up where it stopped.
    """
    began = time.perf_counter()
    report = _stages(progress)
    with link_lock(store, wait, on_wait=lambda: report("waiting for another link run", 0, 1)):
        summary = _link_store(store, config or LinkConfig(), rebuild, batch_size, report)
    summary.seconds = time.perf_counter() - began
    return summary


def _link_store(store: Store, cfg: LinkConfig, rebuild: bool, batch_size: int,
                report: Progress) -> LinkSummary:
    hook = LinkKeysHook()
    if any(getattr(cfg, f) != getattr(LinkConfig(), f) for f in SIGNATURE_FIELDS):
        raise ValueError("signatures are stored at scan time with the default num_perm, "
                         "shingle_size and seed; link with those")
    wanted = config_json(cfg)
    state = db.state(store)
    if state is not None and state[1] != wanted and not rebuild:
        raise LinkSettingsChanged("this database was linked with other settings; "
                                  "run `amberline link --rebuild` to relink with these")
    if rebuild or state is None:
        db.forget(store)
        last = 0
    else:
        last = state[0]
    backfilled = _backfill(store, hook, report)

    linker = Linker(cfg)
    begin = db.start(store, last, batch_size)
    ids: list[int] = []
    _restore(store, linker, begin.old_ranges, ids, report)
    restored_edges = len(linker.edges)
    linker.text_loader = lambda idx: _texts(store, [ids[i] for i in idx])
    joined = merges = done = 0
    total_new = sum(r[2] for r in begin.new_ranges)
    for lo, hi, _ in begin.new_ranges:
        batch_ids, recs, sig = db.new_batch(store, lo, hi, cfg.num_perm)
        ids.extend(batch_ids)
        batch = linker.add(recs, sig)
        joined, merges = joined + batch.joined, merges + batch.merges
        done += len(batch_ids)
        report("linking", done, total_new)
    apart = db.not_linked(store)
    if apart:
        position = {ad_id: k for k, ad_id in enumerate(ids)}
        linker.not_linked = [(position[x], position[y]) for x, y in apart
                             if x in position and y in position]
    summary = _persist(store, linker, np.asarray(ids, dtype=np.int64), restored_edges,
                       begin.memberships, begin.old_cut, wanted, report)
    summary.ads_linked, summary.backfilled = total_new, backfilled
    summary.joined, summary.merges, summary.rebuilt = joined, merges, rebuild or state is None
    return summary


def _backfill(store: Store, hook: LinkKeysHook, report: Progress) -> int:
    missing = db.unsigned_ids(store)
    for lo in range(0, len(missing), 1000):
        chunk = missing[lo : lo + 1000]
        stored = db.stored_ads(store, chunk)
        hook.run(store, [NewAd(s.id, s.ad, s.screening) for s in stored])
        report("keys for unlinked ads", lo + len(chunk), len(missing))
    return len(missing)


def _texts(store: Store, ad_ids: list[int]) -> list[str]:
    found = db.texts(store, ad_ids)
    return [found[i] for i in ad_ids]


def _restore(store: Store, linker: Linker, ranges: list[tuple[int, int, int]],
             ids: list[int], report: Progress) -> None:
    if not ranges:
        return
    total = sum(r[2] for r in ranges)
    old = db.restore(store, ranges, linker.config.num_perm,
                     lambda done: report("restoring", done, total))
    ids.extend(old.ids)
    index = {ad_id: i for i, ad_id in enumerate(ids)}
    rows = old.edges
    a = np.array([index[r[0]] for r in rows], dtype=np.int64)
    b = np.array([index[r[1]] for r in rows], dtype=np.int64)
    kind = np.array([KIND_CODE[r[2]] for r in rows], dtype=np.int8)
    value = np.array([r[3] for r in rows], dtype=np.float32)
    linker.restore(old.records, old.signatures, old.empty,
                   (a, b, kind, value, [r[4] for r in rows]))


def _persist(store: Store, linker: Linker, ids: np.ndarray, restored_edges: int,
             memberships: dict[str, frozenset[int]], old_cut: set[str],
             wanted: dict[str, Any], report: Progress) -> LinkSummary:
    cfg = linker.config
    a, b, kind, value, ref, ref2 = linker.edges.columns()
    names, pdq_hex = linker.keys.names, linker.pdq_hex
    new = slice(restored_edges, len(a))
    edge_keys = linker.edge_keys(restored_edges, len(a))
    edge_rows = [
        {"ad_a": int(ids[x]), "ad_b": int(ids[y]), "kind": KINDS[k], "weight": float(v),
         "key": key, "evidence": edge_evidence(KINDS[k], float(v), r, r2, names, pdq_hex, cfg,
                                  linker.support.names)}
        for x, y, k, v, r, r2, key in zip(
            a[new].tolist(), b[new].tolist(), kind[new].tolist(), value[new].tolist(),
            ref[new].tolist(), ref2[new].tolist(), edge_keys, strict=True)
    ]
    labels = linker.labels()
    live = linker.used_mask()
    la, lb, lk = a[live], b[live], kind[live]
    cut = linker.keys.cut()
    cut_names = {f"{c.kind}:{c.value}" for c in cut}
    newly_cut = cut_names - old_cut
    order = np.argsort(labels, kind="stable")
    groups = [g for g in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1)
              if len(g) >= cfg.min_network_ads]
    kept, changed = set(), []
    for g in groups:
        nid = network_id(linker.records[g[0]].ad_key)
        same = memberships.get(nid) == frozenset(ids[g].tolist())
        if same and newly_cut and any(f"{k}:{v}" in newly_cut for i in g.tolist()
                                      for k, v in linker.records[i].keys):
            same = False
        if same:
            kept.add(nid)
        else:
            changed.append(g)
    kinds_of: dict[int, dict[str, int]] = {}
    for (lab, k), c in Counter(zip(labels[la].tolist(), lk.tolist(), strict=True)).items():
        kinds_of.setdefault(lab, {})[KINDS[k]] = c
    text = np.isin(lk, COPY_KINDS)
    ta, tb = la[text], lb[text]
    network_rows, member_rows = [], []
    now = utcnow()
    wanted_ids = np.sort(ids[np.concatenate(changed)]).tolist() if changed else []
    got = db.member_records(store, wanted_ids,
                            lambda done: report("loading members", done, len(wanted_ids)))
    for done, g in enumerate(changed, start=1):
        members = ids[g]
        recs = [got[i] for i in members.tolist()]
        pos = np.full(len(linker.records), -1, dtype=np.int64)
        pos[g] = np.arange(len(g))
        inside = (pos[ta] >= 0) & (pos[tb] >= 0)
        kinds = kinds_of.get(int(labels[g[0]]), {})
        row = describe_network(recs, (pos[ta][inside], pos[tb][inside]), kinds, cut_names, cfg)
        row["updated_at"] = now
        network_rows.append(row)
        member_rows += [{"network_id": row["id"], "ad_id": int(m)} for m in members.tolist()]
        report("describing networks", done, len(changed))
    stale = [nid for nid in memberships if nid not in kept]
    cut_rows = [{"kind": c.kind, "value": c.value, "ads": c.ads, "limit": c.limit,
                 "after_linking": c.after_linking, "message": c.message} for c in cut]
    state = {"last_ad_id": int(ids[-1]) if len(ids) else 0, "config": wanted,
             "linked_at": now}
    db.save(store, edge_rows, network_rows, member_rows, stale, cut_rows, state)
    counts = Counter(KINDS[k] for k in kind[new].tolist())
    return LinkSummary(ads_linked=0, ads_total=len(ids), backfilled=0,
                       edges={k: counts[k] for k in KINDS if counts[k]}, networks=len(groups),
                       networks_changed=len(changed), joined=0, merges=0, cut_keys=cut)
