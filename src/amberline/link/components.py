"""Networks as connected components, built at once or grown batch by batch.

A full build is one `scipy.sparse.csgraph.connected_components` call over the edge list. The
incremental `UnionFind` keeps a parent array in numpy and merges a whole batch of edges with
vectorised root finding plus one component call on the roots the batch touches, so new ads
join existing networks, and an ad that bridges two networks merges them, without a Python
loop per edge. Labels are canonicalised (numbered by first member) so that a rebuild and an
incremental run can be compared label for label.
"""

from __future__ import annotations

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
                       support: int) -> tuple[np.ndarray, np.ndarray]:
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
    return components(n, a[used], b[used]), used


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
    used = used.copy()
    partners: dict[int, set[int]] = {}
    for p, q in apart:
        partners.setdefault(p, set()).add(q)
        partners.setdefault(q, set()).add(p)
    edges = np.flatnonzero(used & np.isin(labels[a], [labels[p] for p, _ in bad]))
    edges = edges[np.argsort(-strength[edges], kind="stable")]
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in edges.tolist():
        x, y = find(int(a[e])), find(int(b[e]))
        if x == y:
            continue
        mx, my = members.setdefault(x, {x}), members.setdefault(y, {y})
        small, other = (mx, y) if len(mx) <= len(my) else (my, x)
        if any(find(q) == other for node in small for q in partners.get(node, ())):
            used[e] = False
            continue
        parent[y] = x
        mx |= my
        members.pop(y, None)
    return components(n, a[used], b[used]), used
