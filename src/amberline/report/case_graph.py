"""The network picture of a case, drawn as a self-contained SVG.

Why our own SVG: the case file must open on an air-gapped machine with no scripts or outside
assets, and the same picture goes into the PDF (fpdf2 renders SVG), so a small deterministic
drawing beats a plotting dependency. Nodes are the case's ads (filled) and related ads
outside the case (hollow); an edge joins two ads that share an identifier, labelled with it.
A circle layout is enough for the sizes a case file shows; beyond `MAX_NODES` the picture
keeps the first ads and says how many it left out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from amberline.report.case import Case
from amberline.report.cybertip_schema import xml_text

MAX_NODES = 60
WIDTH, HEIGHT = 640, 480


@dataclass(frozen=True, slots=True)
class Node:
    key: str
    x: float
    y: float
    in_case: bool


@dataclass(frozen=True, slots=True)
class Graph:
    nodes: list[Node]
    edges: list[tuple[str, str, str]]  # (ad key, ad key, "kind value")
    left_out: int


def case_graph(case: Case) -> Graph:
    """Nodes and edges of the case: shared identifiers between case ads, and to related ads."""
    keys = [s.ad.key for s in case.ads] + [r.summary.key for r in case.related]
    keys = list(dict.fromkeys(keys))
    shown, left_out = keys[:MAX_NODES], max(0, len(keys) - MAX_NODES)
    inside = {s.ad.key for s in case.ads}
    visible = set(shown)
    edges: list[tuple[str, str, str]] = []
    for kind, value, holders in case.keys:
        ring = [h for h in holders if h in visible]
        # A chain through the holders shows the sharing without drawing a full clique.
        edges.extend((a, b, f"{kind} {value}") for a, b in itertools.pairwise(ring))
    for rel in case.related:
        if rel.summary.key in visible and rel.via in visible:
            edges.append((rel.via, rel.summary.key, f"{rel.kind} {rel.value}"))
    n = len(shown)
    radius = 0 if n == 1 else min(WIDTH, HEIGHT) / 2 - 70
    nodes = [
        Node(key, WIDTH / 2 + radius * math.cos(2 * math.pi * i / max(n, 1) - math.pi / 2),
             HEIGHT / 2 + radius * math.sin(2 * math.pi * i / max(n, 1) - math.pi / 2),
             key in inside)
        for i, key in enumerate(shown)
    ]
    return Graph(nodes, edges, left_out)


def to_svg(graph: Graph, clean: Callable[[str], str] = xml_text) -> str:
    """The graph as an inline SVG element (no scripts, no external references). Every key and
    label passes through `clean` (by default: what XML cannot carry replaced; the PDF also
    needs what its font cannot draw replaced)."""
    at = {node.key: node for node in graph.nodes}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="network of the case">',
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    for a, b, label in graph.edges:
        pa, pb = at[a], at[b]
        title = escape(clean(label))
        parts.append(f'<line x1="{pa.x:.1f}" y1="{pa.y:.1f}" x2="{pb.x:.1f}" y2="{pb.y:.1f}" '
                     f'stroke="#8a8a8a" stroke-width="1.5"><title>{title}</title></line>')
        mx, my = (pa.x + pb.x) / 2, (pa.y + pb.y) / 2
        parts.append(f'<text x="{mx:.1f}" y="{my:.1f}" font-size="9" fill="#555555" '
                     f'font-family="Helvetica">{title}</text>')
    for node in graph.nodes:
        fill = "#b3261e" if node.in_case else "#ffffff"
        parts.append(f'<circle cx="{node.x:.1f}" cy="{node.y:.1f}" r="9" fill="{fill}" '
                     f'stroke="#b3261e" stroke-width="2" data-ad={quoteattr(clean(node.key))}/>')
        parts.append(f'<text x="{node.x + 12:.1f}" y="{node.y + 4:.1f}" font-size="11" '
                     f'fill="#111111" font-family="Helvetica">{escape(clean(node.key))}</text>')
    if graph.left_out:
        parts.append(f'<text x="10" y="{HEIGHT - 10}" font-size="11" font-family="Helvetica">'
                     f"{graph.left_out} more ads not drawn</text>")
    parts.append("</svg>")
    return "".join(parts)
