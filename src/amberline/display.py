"""Terminal rendering for the CLI: tables of counts and ads, an ad with its evidence marked.

Kept apart from the CLI so that the same rendering serves any command, and apart from the
library so that nothing below the CLI depends on rich.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from amberline.identifiers import Phone, normalise_or_none
from amberline.model import Flag

SPAN_STYLE = "bold cyan"
FLAG_STYLE = "bold white on red"


def e164(raw: str, region: str) -> str | None:
    """A phone number typed by a user, as stored (E.164), or None if it is not one."""
    return normalise_or_none(Phone.name, raw, region)


def counts_table(counts: Mapping[str, int], title: str) -> Table:
    table = Table(title=title, show_header=False)
    for name, value in counts.items():
        table.add_row(name, f"{value:,}")
    return table


def summary_table(rows: Iterable[Any], title: str) -> Table:
    """Ads (`AdSummary` rows) as a ranked table: key, score, city, flag count, title."""
    table = Table(title=title)
    for column in ("ad", "score", "city", "flags", "title"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.key, f"{row.score:.3f}", row.city or "", str(row.flag_count),
            _first_words(row.title),
        )
    return table


def search_table(rows: Iterable[Any], title: str) -> Table:
    table = Table(title=title)
    for column in ("ad", "score", "snippet"):
        table.add_column(column, overflow="fold")
    for hit in rows:
        table.add_row(hit.summary.key, f"{hit.summary.score:.2f}", hit.snippet)
    return table


def highlighted(text: str, spans: Iterable[Any], flags: Iterable[Flag]) -> Text:
    """The ad text with entity spans in cyan and indicator evidence in red."""
    rendered = Text(text)
    for span in spans:
        rendered.stylize(SPAN_STYLE, span.start, span.end)
    for flag in flags:
        rendered.stylize(FLAG_STYLE, flag.start, flag.end)
    return rendered


def show_ad(console: Console, stored: Any) -> None:
    """Everything an analyst needs to judge one ad (a `StoredAd`): text, evidence, entities,
    score parts."""
    ad, screening = stored.ad, stored.screening
    console.rule(f"{ad.key}  score {screening.score:.2f}")
    meta = [f"source {ad.source}", f"posted {ad.posted_at or '?'}", f"city {ad.city or '?'}"]
    if ad.url:
        meta.append(ad.url)
    console.print(" · ".join(meta), style="dim")
    console.print(highlighted(ad.text, screening.spans, screening.flags))
    for exclusion in screening.exclusions:
        console.print(f"left out ({exclusion.reason}): characters {exclusion.start}-"
                      f"{exclusion.end}, no entity or flag read there", style="yellow")

    entities = Table(title="Extracted", show_lines=False)
    for column in ("kind", "value", "evidence", "extractor"):
        entities.add_column(column, overflow="fold")
    for span in screening.spans:
        entities.add_row(span.kind, str(span.value), ad.text[span.start : span.end],
                         span.extractor)
    console.print(entities)

    breakdown = Table(title=f"Score {screening.score:.3f}: what it is made of")
    for column in ("category", "evidence", "weight", "contribution", "rule", "source"):
        breakdown.add_column(column, overflow="fold")
    for flag in sorted(screening.flags, key=lambda f: -f.contribution):
        breakdown.add_row(flag.category, ad.text[flag.start : flag.end], f"{flag.weight:.2f}",
                          f"{flag.contribution:.3f}", flag.rule, flag.citation)
    console.print(breakdown)
    if ad.image_hashes:
        console.print(f"{len(ad.image_hashes)} image hashes (images are never stored)")


def _first_words(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
