"""Networks as connected components, built at once or grown batch by batch.

A full build is one `scipy.sparse.csgraph.connected_components` call over the edge list. The
incremental `UnionFind` keeps a parent array in numpy and merges a whole batch of edges with
vectorised root finding plus one component call on the roots the batch touches, so new ads
join existing networks, and an ad that bridges two networks merges them, without a Python
loop per edge. Labels are canonicalised (numbered by first member) so that a rebuild and an
incremental run can be compared label for label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Canonical component label of each of n nodes, given undirected edges (a, b)."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return canonical(labels)


def canonical(labels: np.ndarray) -> np.ndarray:
    """Relabel so that components are numbered 0, 1, ... in order of their first node."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]


class UnionFind:
    """Growable union-find over ad indices; the root of a set is its smallest index."""

    def __init__(self) -> None:
        self.parent = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.parent)

    def grow(self, n: int) -> None:
        """Add nodes until there are n, each in its own set."""
        old = len(self.parent)
        if n > old:
            self.parent = np.concatenate([self.parent, np.arange(old, n, dtype=np.int64)])

    def find(self, x: np.ndarray) -> np.ndarray:
        root = self.parent[x]
        while True:
            up = self.parent[root]
            if np.array_equal(up, root):
                return root
            root = up

    def union(self, a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        """Merge the sets joined by edges (a, b). Returns, for every merge, the roots merged
        (ascending), so callers can tell "ad joined a network" from "two networks merged"."""
        if not len(a):
            return []
        ra, rb = self.find(np.asarray(a)), self.find(np.asarray(b))
        differ = ra != rb
        ra, rb = ra[differ], rb[differ]
        if not len(ra):
            return []
        roots, local = np.unique(np.concatenate([ra, rb]), return_inverse=True)
        m = len(ra)
        graph = coo_matrix(
            (np.ones(m, dtype=np.int8), (local[:m], local[m:])), shape=(len(roots),) * 2
        )
        _, comp = connected_components(graph, directed=False)
        order = np.argsort(comp, kind="stable")  # roots ascending within each component
        comp_sorted, roots_sorted = comp[order], roots[order]
        starts = np.flatnonzero(np.r_[True, comp_sorted[1:] != comp_sorted[:-1]])
        rep = roots_sorted[starts][np.searchsorted(comp_sorted[starts], comp_sorted)]
        self.parent[roots_sorted] = rep
        self.parent = self.find(np.arange(len(self.parent)))  # full path compression
        groups = np.split(roots_sorted, starts[1:])
        return [g for g in groups if len(g) > 1]

    def labels(self) -> np.ndarray:
        return canonical(self.find(np.arange(len(self.parent))))


def bridged_components(n: int, a: np.ndarray, b: np.ndarray, text: np.ndarray,
                       weak: np.ndarray, has_ids: np.ndarray | None, min_ads: int,
                       support: int, strength: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Components under the bridge rule; returns (labels, used mask over the edges).

    Edges that are not `text` (shared identifiers, images) are taken as they are, and so are
    strong text edges (near-copies of rare text: one operator rotating numbers). With `has_ids`
    (per node: carries phones, e-mails, handles or URLs), a text edge, weak or strong, between
    two of their components is not used when both carry identifiers of their own and share
    none: text likeness, even a copy, does not outweigh two different contacts (off by
    default: it also parts a network that posts each ad, or the same ad, with a new burner
    number). A weak edge is not used either when the components it joins (of identifier and
    strong text edges) both hold `min_ads` nodes or more, unless the weak edges between that
    pair touch at least `support` distinct nodes on each side: a lone weak edge between two
    big networks is more often shared boilerplate than one operator. One pass, all in numpy.
    """
    text, weak = np.asarray(text, dtype=bool), np.asarray(weak, dtype=bool)
    used = np.ones(len(a), dtype=bool)
    if not text.any():
        return components(n, a, b), used
    if has_ids is not None:
        keyed = components(n, a[~text], b[~text])
        ids = np.bincount(keyed, weights=np.asarray(has_ids, dtype=np.float64)) > 0
        ka, kb = keyed[a], keyed[b]
        used &= ~(text & (ka != kb) & ids[ka] & ids[kb])
    firm = used & ~weak
    strong = components(n, a[firm], b[firm])
    size = np.bincount(strong)
    w = np.flatnonzero(weak & used)
    la, lb = strong[a[w]], strong[b[w]]
    big = (la != lb) & (size[la] >= min_ads) & (size[lb] >= min_ads)
    if big.any():
        # orient each big edge (low component, high component); count distinct nodes per side
        wa, wb, la, lb = a[w][big], b[w][big], la[big], lb[big]
        flip = la > lb
        node_lo, node_hi = np.where(flip, wb, wa), np.where(flip, wa, wb)
        pair = np.minimum(la, lb) * np.int64(n) + np.maximum(la, lb)
        codes, inverse = np.unique(pair, return_inverse=True)

        def distinct(nodes: np.ndarray) -> np.ndarray:
            uniq = np.unique(inverse.astype(np.int64) * np.int64(n) + nodes)
            return np.bincount(uniq // n, minlength=len(codes))

        vouched = np.minimum(distinct(node_lo), distinct(node_hi)) >= support
        used[w[big]] = vouched[inverse]
    labels = components(n, a[used], b[used])
    if has_ids is not None:
        labels, used = _uncontested(n, a, b, text, strength, used, labels, keyed, ids)
    return labels, used


def _uncontested(n: int, a: np.ndarray, b: np.ndarray, text: np.ndarray,
                 strength: np.ndarray | None, used: np.ndarray, labels: np.ndarray,
                 keyed: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The contested clause through third ads: text edges that each join an ad without
    contacts to one side must not chain two components with contacts of their own and none
    in common (a repost without a number, copied from two posters). Components holding two
    such identifier components are rebuilt strongest edge first (identifier edges, then text
    edges by `strength`, else in their order), and a text edge that would join two sets that
    both carry identifiers is left out."""
    node = np.flatnonzero(ids[keyed])
    if not len(node):
        return labels, used
    pairs = np.unique(labels[node] * np.int64(n) + keyed[node])
    clash = np.flatnonzero(np.bincount(pairs // n, minlength=n) >= 2)
    if not len(clash):
        return labels, used
    score = np.zeros(len(a)) if strength is None else np.minimum(strength, 1.0)
    order = np.where(text, score, 2.0)
    flag: dict[int, bool] = {}

    def carries(forest: _Forest, root: int) -> bool:
        if root not in flag:
            flag[root] = bool(ids[keyed[root]])
        return flag[root]

    def refuse(forest: _Forest, e: int, x: int, y: int) -> bool:
        both = carries(forest, x) and carries(forest, y)
        if both and text[e]:
            return True
        flag[x] = carries(forest, x) or carries(forest, y)
        return False

    return _rejoin(n, a, b, order, used, labels, clash, refuse)


_ALL_PAIRS = 16  # contacts of one ad paired with each other (the rest with its first)


def contact_groups(n: int, ad: np.ndarray, key: np.ndarray, text: np.ndarray,
                   support: int) -> np.ndarray:
    """Per ad, the group of contacts it is linked by (-1: it carries none), under the contact
    bridge rule; a group is labelled by its first ad.

    `ad`, `key`: one row per contact an ad carries (phone, e-mail, handle, URL; key ids), `text`:
    per ad, a text id that copies of one ad share. Contacts start apart; ads carrying two of
    them join their groups only when at least `support` distinct texts do. Why: one ad listing
    two contacts is one piece of evidence that they belong together, and often wrong (a
    friend's number, a duo, a referral, a number misread), and reposts of that ad add nothing.
    Repeated on the joined groups until none joins. An ad whose contacts end in several groups
    belongs to the one that most ads touch (then the first), so it stays with the poster it
    most likely is without joining the others to it; a contact seen only in such ads has no
    ads of its own and simply goes with them.
    """
    ad, key = np.asarray(ad, dtype=np.int64), np.asarray(key, dtype=np.int64)
    out = np.full(n, -1, dtype=np.int64)
    if not len(ad):
        return out
    m = np.int64(key.max() + 1)
    rows = np.unique(ad * m + key)
    ad, key = rows // m, rows % m
    group = np.arange(m, dtype=np.int64)
    text = np.asarray(text, dtype=np.int64)
    while True:
        rows = np.unique(ad * m + group[key])  # (ad, group), sorted by ad
        gi, gj, pa = _pairs_within(rows // m, rows % m)
        if not len(gi):
            break
        code = gi * m + gj
        pairs, inverse = np.unique(code, return_inverse=True)
        texts = np.unique(inverse.astype(np.int64) * np.int64(n) + text[pa]) // n
        pi, pj = pairs // m, pairs % m
        firm = np.bincount(texts, minlength=len(pairs)) >= support
        if not firm.any():
            break
        group = components(int(m), pi[firm], pj[firm])[group]
    # each ad to the largest of its groups (ties: the lowest label)
    rows = np.unique(ad * m + group[key])
    ra, rg = rows // m, rows % m
    touch = np.bincount(rg, minlength=int(m))  # ads touching each group
    order = np.lexsort((rg, -touch[rg], ra))
    ra, rg = ra[order], rg[order]
    first = np.r_[True, ra[1:] != ra[:-1]]
    out[ra[first]] = rg[first]
    # label each group by its first ad
    has = out >= 0
    lead = np.full(int(m), -1, dtype=np.int64)
    idx = np.flatnonzero(has)
    grp = out[idx]
    uniq, first_pos = np.unique(grp, return_index=True)
    lead[uniq] = idx[first_pos]
    out[idx] = lead[grp]
    return out


def _pairs_within(ad: np.ndarray, value: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (value_i < value_j) of rows of one ad (rows sorted by ad, then value), with the
    ad: (i values, j values, ads). Every pair among an ad's first `_ALL_PAIRS` values, and
    the rest paired with its first only, so that an ad listing thousands of contacts costs
    linear work, not quadratic."""
    start = np.r_[True, ad[1:] != ad[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(ad)), 0))
    rank = np.arange(len(ad)) - first
    parts = []
    for d in range(1, _ALL_PAIRS):
        if d >= len(ad):
            break
        same = (ad[d:] == ad[:-d]) & (rank[d:] < _ALL_PAIRS)
        if not same.any():
            break
        parts.append((value[:-d][same], value[d:][same], ad[d:][same]))
    late = np.flatnonzero(rank >= _ALL_PAIRS)
    parts.append((value[first[late]], value[late], ad[late]))
    return tuple(np.concatenate(c) for c in zip(*parts, strict=True))  # type: ignore[return-value]


def separate(n: int, a: np.ndarray, b: np.ndarray, strength: np.ndarray, used: np.ndarray,
             labels: np.ndarray, apart: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Honour analyst "not linked" pairs: (labels, used) with no pair in one component.

    Only components holding such a pair are rebuilt: their edges are joined strongest first
    (a maximum spanning forest), and an edge that would put a pair together is left out, so a
    network splits at its weakest links between the two ads. The rest stays as it was.
    """
    bad = [(p, q) for p, q in apart if labels[p] == labels[q]]
    if not bad:
        return labels, used
    partners: dict[int, set[int]] = {}
    for p, q in apart:
        partners.setdefault(p, set()).add(q)
        partners.setdefault(q, set()).add(p)

    def refuse(forest: _Forest, e: int, x: int, y: int) -> bool:
        small, other = (x, y) if len(forest.members(x)) <= len(forest.members(y)) else (y, x)
        return any(forest.find(q) == other for node in forest.members(small)
                   for q in partners.get(node, ()))

    return _rejoin(n, a, b, strength, used, labels, [labels[p] for p, _ in bad], refuse)


class _Forest:
    """A small union-find over the nodes of the few components `_rejoin` rebuilds."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self._members: dict[int, set[int]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def members(self, root: int) -> set[int]:
        return self._members.setdefault(root, {root})

    def union(self, x: int, y: int) -> None:
        """Join the sets of roots x and y under x."""
        self.parent[y] = x
        self.members(x).update(self.members(y))
        self._members.pop(y, None)


def _rejoin(n: int, a: np.ndarray, b: np.ndarray, strength: np.ndarray, used: np.ndarray,
            labels: np.ndarray, rebuild: list[int] | np.ndarray,
            refuse: Callable[[_Forest, int, int, int], bool]) -> tuple[np.ndarray, np.ndarray]:
    """(labels, used) with the components labelled `rebuild` joined again from their used
    edges, strongest first, leaving out every edge `refuse(forest, edge, root_a, root_b)`
    rejects (a maximum spanning forest under a constraint). The rest stays as it was. Ties
    are broken by the ads' positions, not the edges' order, so that an incremental run, whose
    edges come batch by batch, decides as a rebuild does."""
    used = used.copy()
    edges = np.flatnonzero(used & np.isin(labels[a], rebuild))
    lo, hi = np.minimum(a[edges], b[edges]), np.maximum(a[edges], b[edges])
    edges = edges[np.lexsort((hi, lo, -strength[edges]))]
    forest = _Forest()
    for e in edges.tolist():
        x, y = forest.find(int(a[e])), forest.find(int(b[e]))
        if x == y:
            continue
        if refuse(forest, e, x, y):
            used[e] = False
            continue
        forest.union(x, y)
    return components(n, a[used], b[used]), used
