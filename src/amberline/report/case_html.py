"""Render a case as one self-contained HTML page (inline CSS and SVG, no scripts, no links out).

Why self-contained: case files are handed to hotlines and police and opened on air-gapped
machines; a page that pulls a stylesheet or font from outside would leak that it was opened
and would break. Every flag is a `<mark>` naming its category and rule, every entity a
`<span>` naming its kind and value, so the highlighting is checkable, not just colour.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from amberline.evidence import segments
from amberline.report.case import Case, ConversationCase
from amberline.report.case_graph import case_graph, to_svg
from amberline.report.case_view import movement, timeline

CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#111;max-width:60em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;
text-align:left;vertical-align:top;font-size:.9em}
.adtext{white-space:pre-wrap;border:1px solid #ddd;padding:.7em;background:#fafafa}
mark.flag{background:#f6c1bd;color:#000;border-bottom:2px solid #b3261e}
span.entity{background:#cfe3fb;border-bottom:2px solid #1b5fad}
.meta{color:#555;font-size:.9em}.note{font-size:.85em;color:#555}
.message{border-left:3px solid #ddd;padding:.2em .7em;margin:.4em 0}
.message.alert{border-left-color:#b3261e}.author{font-weight:bold}
"""


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "unknown"


def _table(headers: tuple[str, ...], rows: list[tuple[object, ...]], cls: str = "") -> str:
    if not rows:
        return '<p class="note">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def highlighted(text: str, spans: list, flags: list) -> str:
    """The ad text as HTML with flag and entity highlighting."""
    out = []
    for seg in segments(text, spans, flags):
        piece = escape(seg.text)
        for i in seg.spans:
            s = spans[i]
            piece = (f'<span class="entity" data-span="{i}" data-kind="{escape(s.kind)}" '
                     f'title="{escape(s.kind)}: {escape(str(s.value))}">{piece}</span>')
        for i in seg.flags:
            f = flags[i]
            piece = (f'<mark class="flag" data-flag="{i}" data-rule="{escape(f.rule)}" '
                     f'title="{escape(f.category)}: {escape(f.rule)}">{piece}</mark>')
        out.append(piece)
    return "".join(out)


def _ad_section(stored) -> str:
    ad, sc = stored.ad, stored.screening
    text = ad.text
    meta = " · ".join(escape(x) for x in (
        f"source {ad.source}", f"posted {_when(ad.posted_at)}",
        f"place {', '.join(p for p in (ad.city, ad.region, ad.country) if p) or 'unknown'}",
        f"score {sc.score:.2f}", f"pipeline {sc.pipeline_version}") )
    url = f'<p class="meta">URL: {escape(ad.url)}</p>' if ad.url else ""
    flag_rows = [(f.category, text[f.start:f.end], f"{f.start}-{f.end}", f.rule, f.citation,
                  f"{f.contribution:.3f}") for f in sc.flags]
    span_rows = [(s.kind, s.value, text[s.start:s.end], f"{s.start}-{s.end}", s.extractor)
                 for s in sc.spans]
    return (
        f'<section class="ad" id="ad-{stored.id}" data-ad-key="{escape(ad.key)}">'
        f"<h3>Ad {escape(ad.key)}</h3><p class=\"meta\">{meta}</p>{url}"
        f'<div class="adtext">{highlighted(text, sc.spans, sc.flags)}</div>'
        "<h4>Indicators</h4>"
        + _table(("category", "text", "offsets", "rule", "source", "contribution"),
                 flag_rows, "flags")
        + "<h4>Entities</h4>"
        + _table(("kind", "value", "text", "offsets", "extractor"), span_rows, "spans")
        + "</section>"
    )


def _head(subject: str) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Amberline case file: {escape(subject)}</title><style>{CSS}</style>"
            f"</head><body><h1>Case file: {escape(subject)}</h1>")


def _audit(entries: list[dict]) -> str:
    return _table(tuple(entries[0]) if entries else ("entry",),
                  [tuple(e.values()) for e in entries], "audit")


def _decisions(rows: list, target) -> str:
    return _table(("time", "action", "target", "by", "note"),
                  [(_when(x.decided_at), x.action, target(x), x.user_name, x.note)
                   for x in rows], "decisions")


def render_conversation_html(case: ConversationCase) -> str:
    """A conversation's case file as an HTML document: every message with its author, each
    flagged span a `<mark>` naming its category and rule, the first alert marked. Text only."""
    conv, d = case.conversation, case.decision_in_force
    summary = [
        ("subject", case.subject), ("source", conv.source), ("name", conv.name or ""),
        ("messages", len(conv.messages)), ("authors", len(conv.authors)),
        ("score", f"{conv.score:.3f}"), ("alert", "yes" if conv.alert else "no"),
        ("first alert at message", "none" if conv.first_alert is None else conv.first_alert),
        ("rules score", f"{conv.rules_score:.3f}"), ("alert threshold", f"{conv.threshold:.2f}"),
        ("scored by", conv.scorer), ("flags", len(conv.flags)),
        ("decision in force", f"{d.action} by {d.user_name} at {_when(d.decided_at)}"
         if d else "none"),
        ("generated", _when(case.generated_at)),
    ]
    by_message: dict[int, list] = {}
    for f in conv.flags:
        by_message.setdefault(f.message, []).append(f)
    messages = []
    for i, m in enumerate(conv.messages):
        first = conv.first_alert == i
        marker = ' <span class="note">first alert</span>' if first else ""
        messages.append(
            f'<div class="message{" alert" if first else ""}" id="m{i}">'
            f'<p class="meta">[{i}] <span class="author">{escape(m.author or "(no author)")}'
            f"</span> {escape(m.time or '')}{marker}</p>"
            f'<div class="adtext">{highlighted(m.text, [], by_message.get(i, []))}</div></div>')
    return "".join([
        _head(case.subject),
        '<p class="note">Scores rank conversations for review; they do not decide. '
        'Highlighted: <mark class="flag">indicator evidence</mark>. Text only: media were '
        "never stored.</p>",
        "<h2>Summary</h2>", _table(("", ""), summary, "summary"),
        "<h2>Who said what</h2>",
        _table(("author", "flag categories"),
               [(a or "(no author)", ", ".join(c) or "none") for a, c in conv.authors.items()],
               "authors"),
        "<h2>What the score rests on</h2>",
        _table(("feature", "contribution"),
               [(c.get("feature", ""), c.get("value", "")) for c in conv.contributions],
               "contributions"),
        "<h2>Indicators</h2>",
        _table(("message", "author", "category", "text", "offsets", "rule", "source"),
               [(f.message, f.author, f.category, conv.messages[f.message].text[f.start:f.end]
                 if f.message < len(conv.messages) else f.term, f"{f.start}-{f.end}", f.rule,
                 f.citation) for f in conv.flags], "flags"),
        "<h2>Decisions</h2>", _decisions(case.decisions, lambda x: case.subject),
        "<h2>Audit entries</h2>", _audit(case.audit),
        "<h2>Messages</h2>", *messages,
        "</body></html>",
    ])


def render_html(case: Case) -> str:
    """The whole case file as an HTML document."""
    d = case.decision_in_force
    summary = [
        ("subject", case.subject), ("ads", len(case.ads)), ("related ads", len(case.related)),
        ("highest score", f"{max((s.screening.score for s in case.ads), default=0):.2f}"),
        ("flags", sum(len(s.screening.flags) for s in case.ads)),
        ("decision in force", f"{d.action} by {d.user_name} at {_when(d.decided_at)}"
         if d else "none"),
        ("generated", _when(case.generated_at)),
    ]
    stops = movement(case)
    path = " → ".join(s.city for s in stops) or "no dated, placed ads"
    graph = case_graph(case)
    parts = [
        _head(case.subject),
        '<p class="note">Scores rank ads for review; they do not decide. Highlighted: '
        '<mark class="flag">indicator evidence</mark> and '
        '<span class="entity">extracted entities</span>.</p>',
        "<h2>Summary</h2>", _table(("", ""), summary, "summary"),
        "<h2>Keys</h2>",
        _table(("kind", "value", "ads"), [(k, v, ", ".join(a)) for k, v, a in case.keys], "keys"),
        "<h2>Timeline</h2>",
        _table(("time", "event", "what"), [(_when(e.at), e.kind, e.text)
                                           for e in timeline(case)], "timeline"),
        "<h2>Movement</h2>", f"<p>{escape(path)}</p>",
        _table(("place", "first ad", "last ad", "ads"),
               [(s.city, _when(s.first), _when(s.last), s.ads) for s in stops], "movement"),
        "<h2>Network</h2>", f'<div class="graph">{to_svg(graph)}</div>',
        _table(("ad", "shares", "with case ad", "score"),
               [(r.summary.key, f"{r.kind} {r.value}", r.via, f"{r.summary.score:.2f}")
                for r in case.related], "related") if case.related else "",
        "<h2>Decisions</h2>",
        _decisions(case.decisions, lambda x: x.ad_key or f"network {x.network_id}"),
        "<h2>Audit entries</h2>", _audit(case.audit),
        "<h2>Ads</h2>", *(_ad_section(s) for s in case.ads),
        "</body></html>",
    ]
    return "".join(parts)
