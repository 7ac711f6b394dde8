"""Print one network for an analyst: what ties it together and what it looks like over time.

Why this order: the score breakdown first says why the network ranks where it does; the keys
and edges are the evidence that the ads belong together; the template shows what the
controller kept fixed and which slots ({NAME}, {CITY}, {PHONE}, ...) changed; the timeline
and movement path show where and when it posted.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from amberline.link.edges import KINDS, TEXT_KINDS
from amberline.link.templates import shared_spans
from amberline.store.network_reads import Member, NetworkRecord, StoredEdge

_TEXT_NAMES = {KINDS[k] for k in TEXT_KINDS}  # edges whose two texts are worth comparing


def template_text(template: dict) -> Text:
    """Fixed text plain, slots highlighted as {LABEL: value, value, ...}."""
    out = Text()
    for part in template.get("parts", []):
        if isinstance(part, str):
            out.append(part)
        else:
            values = ", ".join(part["values"][:4])
            out.append(f"{{{part['slot']}: {values}}}", style="bold magenta")
    return out


def score_table(net: NetworkRecord) -> Table:
    """The score taken apart: each signal's raw value, its part of the score and its share.

    The parts add up to the score (noisy-OR of weighted signals, apportioned by log-strength;
    weights in `link/network_weights.toml`), so the table's total row is the score itself.
    """
    table = Table(title="Score breakdown (parts add up to the score, 0-1)")
    for col in ("signal", "value", "contribution", "share", "why"):
        table.add_column(col)
    for c in sorted(net.contributions, key=lambda c: -c["contribution"]):
        share = c["contribution"] / net.score if net.score else 0.0
        table.add_row(c["signal"], f"{c['value']:.4g}", f"{c['contribution']:.3f}",
                      f"{share:.0%}", c["why"])
    total = sum(c["contribution"] for c in net.contributions)
    table.add_row("[bold]score[/bold]", "", f"[bold]{total:.3f}[/bold]", "100%" if total else "",
                  "")
    return table


def show_network(console: Console, net: NetworkRecord, members: list[Member],
                 edges: list[StoredEdge], texts: dict[str, str] | None = None) -> None:
    """Print the network; `texts` (ad key -> text) lets text edges show what they share."""
    f = net.features
    console.print(f"[bold]Network {net.id}[/bold]  score {net.score:.3f}  "
                  f"{net.size} ads  {f.get('first_seen') or '?'} → {f.get('last_seen') or '?'}")
    console.print(score_table(net))
    keys = Table(title="Shared keys")
    for col in ("kind", "value", "ads"):
        keys.add_column(col)
    for kind, value, count in net.keys[:30]:
        keys.add_row(kind, value, str(count))
    console.print(keys)
    console.print("edges: " + ", ".join(f"{k} {v}" for k, v in net.edge_kinds.items()))
    for e in edges[:15]:
        console.print(f"  {e.ad_a} — {e.ad_b}: {e.evidence}", highlight=False)
        if texts and e.kind in _TEXT_NAMES and e.ad_a in texts and e.ad_b in texts:
            spans = shared_spans(texts[e.ad_a], texts[e.ad_b])
            if spans:
                console.print("    shares: " + " | ".join(f"“{s}”" for s in spans),
                              highlight=False, markup=False)
    if len(edges) > 15:
        console.print(f"  … {len(edges) - 15} more edges")
    if edges:
        console.print("  split at an edge: amberline unlink AD_A AD_B --note WHY", style="dim")
    if net.template:
        console.print("[bold]Template[/bold] "
                      f"({len(net.template['ads'])} ads, {net.template['fixed_share']:.0%} fixed)")
        console.print(template_text(net.template))
    console.print("[bold]Movement[/bold] " + (" → ".join(f.get("movement", [])) or "unknown"))
    timeline = Table(title="Timeline")
    for col in ("posted", "city", "ad", "score", "title"):
        timeline.add_column(col)
    for m in members:
        timeline.add_row(m.posted_at.strftime("%Y-%m-%d %H:%M") if m.posted_at else "?",
                         m.city or "", m.key, f"{m.score:.2f}", m.title[:50])
    console.print(timeline)
