"""Linking and networks: `amberline link`, `networks`, `network ID`, exports.

Thin: parses options, calls the library, prints. Registered on the main app by `register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from amberline.commands.common import DbOption, UserError, console, err, open_store


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""
    app.command("link")(link)
    app.command("networks")(networks)
    app.command("network")(network)
    app.command("unlink")(unlink)


def unlink(
    ad_a: Annotated[str, typer.Argument(help="An ad id or key.")],
    ad_b: Annotated[str, typer.Argument(help="The other ad's id or key.")],
    note: Annotated[str, typer.Option(help="Why the two ads are not linked (required).")],
    db: DbOption = Path("amberline.db"),
    user: Annotated[str, typer.Option(help="Analyst name for the audit log.")] = "cli",
) -> None:
    """Mark two ads "not linked": their network is split at its weakest links between them.

    The decision is audited, kept across `link --rebuild`, and respected by every later run.
    """
    from amberline.link.split import SplitError, mark_not_linked

    try:
        r = mark_not_linked(open_store(db), user, ad_a, ad_b, note)
    except SplitError as exc:
        raise UserError(str(exc)) from exc
    was = f" (were in {r.network_before})" if r.network_before else ""
    console.print(f"ads {r.ad_a} and {r.ad_b} marked not linked{was}; now in "
                  f"{r.networks_after[0] or 'no network'} and "
                  f"{r.networks_after[1] or 'no network'}", highlight=False)


def link(
    db: DbOption = "amberline.db",
    rebuild: Annotated[bool, typer.Option(help="Forget earlier runs and relink every ad.")] = False,
    max_key_ads: Annotated[int, typer.Option(
        help="A key shared by more ads than this is a hub and is cut.")] = 500,
    wait: Annotated[float, typer.Option(
        help="Seconds to wait for another link run on this database to finish.")] = 600.0,
    real_text: Annotated[bool, typer.Option(
        "--real-text", help="Stricter text linking for real ads: rarity-weighted text "
        "edges, text never joins two networks with contacts of their own, an ad listing "
        "two contacts joins their networks only if another text does too, and ads whose "
        "posters typed the same location are joined when their texts share something.")
    ] = False,
) -> None:
    """Link stored ads into networks; only ads stored since the last run are added."""
    from dataclasses import replace

    from rich.progress import BarColumn, MofNCompleteColumn, Progress

    from amberline.link.record import REAL_TEXT, LinkConfig
    from amberline.link.store_link import LinkSettingsChanged, link_store
    from amberline.store.link_lock import LinkBusy

    store = open_store(db)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            config = replace(REAL_TEXT if real_text else LinkConfig(), max_key_ads=max_key_ads)
            s = link_store(store, config, rebuild=rebuild,
                           progress=progress, wait=wait)
        except LinkSettingsChanged as exc:
            raise UserError(f"{db}: {exc}") from exc
        except LinkBusy as exc:
            raise UserError(str(exc)) from exc
    how = "rebuilt" if s.rebuilt else "incremental"
    console.print(f"Linked {s.ads_linked:,} ads ({how}; {s.ads_total:,} in {db}) "
                  f"in {s.seconds:.1f}s")
    if s.backfilled:
        console.print(f"computed link keys for {s.backfilled:,} ads stored without them")
    edges = ", ".join(f"{k} {v:,}" for k, v in s.edges.items()) or "none"
    console.print(f"new edges: {edges}")
    console.print(f"networks: {s.networks:,} ({s.networks_changed:,} new or changed; "
                  f"{s.joined:,} ads joined existing networks, {s.merges:,} merges)")
    console.print(f"cut hub keys: {len(s.cut_keys):,}")
    for cut in s.cut_keys[:20]:
        console.print(f"  {cut.message}", highlight=False)


def networks(
    db: DbOption = "amberline.db",
    n: Annotated[int, typer.Option("-n", help="How many networks.")] = 50,
    format_: Annotated[str, typer.Option("--format", help="table or jsonl.")] = "table",
) -> None:
    """List networks, highest score first."""
    from rich.table import Table

    from amberline.ingest.json_record import json_line
    from amberline.store import network_reads

    if format_ not in ("table", "jsonl"):
        raise UserError(f"--format {format_}: expected table or jsonl")
    rows = network_reads.top_networks(open_store(db), n)
    if format_ == "jsonl":
        for r in rows:
            typer.echo(json_line({
                "id": r.id, "score": round(r.score, 4), "ads": r.ads,
                "keys": [{"kind": k, "value": v, "ads": c} for k, v, c in r.keys],
                "edge_kinds": r.edge_kinds, "features": r.features,
                "contributions": r.contributions}))
        return
    table = Table(title=f"Top {len(rows)} networks in {db}")
    for col in ("id", "score", "ads", "phones", "cities", "edges", "top keys"):
        table.add_column(col)
    for r in rows:
        f = r.features
        table.add_row(r.id, f"{r.score:.3f}", str(r.size), str(len(f.get("phones", []))),
                      " → ".join(f.get("movement", [])[:5]),
                      ", ".join(f"{k} {c}" for k, c in r.edge_kinds.items()),
                      "; ".join(f"{k} {v}" for k, v, _ in r.keys[:2]))
    console.print(table)


def network(
    network_id: Annotated[str, typer.Argument(help="Network id (N...) or a member ad key.")],
    db: DbOption = "amberline.db",
    export: Annotated[str | None, typer.Option(help="graphml or json.")] = None,
    out: Annotated[Path | None, typer.Option(help="File to write the export to.")] = None,
) -> None:
    """Show one network: members, keys, template, timeline, movement, score breakdown."""
    from amberline.link import export as graph_export
    from amberline.store.network_reads import network_detail

    if export not in (None, "graphml", "json"):
        raise UserError(f"--export {export}: expected graphml or json")
    detail = network_detail(open_store(db), network_id, keys=bool(export), texts=not export)
    if detail is None:
        raise UserError(f"{network_id}: no such network in {db}; see `amberline networks`")
    net, members, edges = detail.record, detail.members, detail.edges
    keys_of, found = detail.keys_of, detail.texts
    if export:
        data = graph_export.graph(net, members, edges, keys_of)
        text = graph_export.to_graphml(data) if export == "graphml" else graph_export.to_json(data)
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"wrote {out}: {len(data['nodes'])} nodes, {len(data['edges'])} edges")
        return
    from amberline.link.show import show_network

    show_network(console, net, members, edges, {m.key: found.get(m.id, "") for m in members})
