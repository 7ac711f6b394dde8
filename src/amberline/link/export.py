"""Export one network as a graph: ads and keys as nodes, edges by kind (GraphML or JSON).

Why both: GraphML opens in Gephi, yEd and networkx for analysts who lay out and annotate
graphs; JSON is for scripts and the web workspace. Keys the members share become nodes of
their own (ad -- key), so a phone that ties five ads is one visible hub; the edges between
ads (near-duplicate text, template, similar image) carry their kind, weight and evidence.
Written with the standard library's ElementTree: no extra dependency, valid XML by
construction.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from amberline.identifiers import TEXT_KEY_KINDS
from amberline.store.network_reads import Member, NetworkRecord, StoredEdge

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
_KEY_EDGE_KINDS = {*TEXT_KEY_KINDS, "md5"}  # shown through their key node
_ATTRS = (  # (id, for, name, type)
    ("d0", "node", "type", "string"), ("d1", "node", "label", "string"),
    ("d2", "node", "score", "double"), ("d3", "node", "posted_at", "string"),
    ("d4", "node", "city", "string"), ("d5", "edge", "kind", "string"),
    ("d6", "edge", "weight", "double"), ("d7", "edge", "evidence", "string"),
)


def graph(net: NetworkRecord, members: list[Member], edges: list[StoredEdge],
          keys_of: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """Nodes and edges of a network as plain data (what both formats are written from).
    `keys_of` maps a member's ad key to its keys; only keys shared in the network are drawn."""
    nodes: list[dict[str, Any]] = [
        {"id": f"ad:{m.key}", "type": "ad", "label": m.title, "score": m.score,
         "posted_at": m.posted_at.isoformat() if m.posted_at else "", "city": m.city or ""}
        for m in members
    ]
    links: list[dict[str, Any]] = []
    key_nodes: set[str] = set()
    for e in edges:
        if e.kind in _KEY_EDGE_KINDS or (e.kind == "pdq" and e.evidence.startswith("same")):
            continue  # drawn through the key node below
        links.append({"source": f"ad:{e.ad_a}", "target": f"ad:{e.ad_b}", "kind": e.kind,
                      "weight": e.weight, "evidence": e.evidence})
    shared = {(k, v) for k, v, _ in net.keys}
    for m in members:
        for kind, value in keys_of.get(m.key, []):
            if (kind, value) not in shared:
                continue
            node = f"{kind}:{value}"
            if node not in key_nodes:
                key_nodes.add(node)
                nodes.append({"id": node, "type": kind, "label": value})
            links.append({"source": f"ad:{m.key}", "target": node, "kind": kind,
                          "weight": 1.0, "evidence": f"ad has {kind} {value}"})
    return {"network": net.id, "score": net.score, "nodes": nodes, "edges": links}


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)


def to_graphml(data: dict[str, Any]) -> str:
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    for key_id, target, name, kind in _ATTRS:
        ET.SubElement(root, f"{{{GRAPHML_NS}}}key", id=key_id, attrib={
            "for": target, "attr.name": name, "attr.type": kind})
    g = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", id=data["network"],
                      edgedefault="undirected")
    names = {name: key_id for key_id, _, name, _ in _ATTRS}
    for node in data["nodes"]:
        el = ET.SubElement(g, f"{{{GRAPHML_NS}}}node", id=node["id"])
        for field in ("type", "label", "score", "posted_at", "city"):
            if field in node:
                ET.SubElement(el, f"{{{GRAPHML_NS}}}data", key=names[field]).text = str(
                    node[field])
    for n, edge in enumerate(data["edges"]):
        el = ET.SubElement(g, f"{{{GRAPHML_NS}}}edge", id=f"e{n}", source=edge["source"],
                           target=edge["target"])
        for field in ("kind", "weight", "evidence"):
            ET.SubElement(el, f"{{{GRAPHML_NS}}}data", key=names[field]).text = str(edge[field])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
