"""Render a case as a PDF with fpdf2 (pure Python: no browser, works air-gapped).

Why fpdf2: it is small, pure Python, and draws our SVG network picture itself. The PDF shows
what the HTML shows, from the same `case_view` facts: flag evidence in bold red, entities in
blue, each ad under its key. The built-in PDF fonts cover Latin-1 only, so other characters
are printed as "?" one for one (offsets and the HTML copy keep the original text).
"""

from __future__ import annotations

import io
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from amberline.evidence import segments
from amberline.report.case import Case, ConversationCase
from amberline.report.case_graph import case_graph, to_svg
from amberline.report.case_view import movement, timeline
from amberline.report.cybertip_schema import xml_text

FLAG_RGB, ENTITY_RGB, TEXT_RGB, NOTE_RGB = (179, 38, 30), (27, 95, 173), (17, 17, 17), (90, 90, 90)


def latin1(text: str) -> str:
    """`text` with every character outside Latin-1 replaced by '?', one for one."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


class _Doc(FPDF):
    subject = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*NOTE_RGB)
        self.cell(0, 8, latin1(f"Amberline case file: {self.subject} - page {self.page_no()}"),
                  align="C")


def _heading(pdf: FPDF, text: str, size: int = 13) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", size)
    pdf.set_text_color(*TEXT_RGB)
    pdf.multi_cell(0, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _lines(pdf: FPDF, lines: list[str], size: int = 9) -> None:
    pdf.set_font("Helvetica", size=size)
    pdf.set_text_color(*TEXT_RGB)
    if not lines:
        lines = ["none"]
    for line in lines:
        pdf.multi_cell(0, 5, latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _ad(pdf: FPDF, stored) -> None:
    ad, sc = stored.ad, stored.screening
    _heading(pdf, f"Ad {ad.key}", 11)
    place = ", ".join(p for p in (ad.city, ad.region, ad.country) if p) or "unknown"
    _lines(pdf, [f"source {ad.source} | posted {_when(ad.posted_at)} | place {place} | "
                 f"score {sc.score:.2f}", *([f"URL: {ad.url}"] if ad.url else [])], 8)
    pdf.ln(1)
    _highlighted(pdf, ad.text, sc.spans, sc.flags)
    pdf.ln(7)
    text = ad.text
    _lines(pdf, [f"[{f.category}] \"{text[f.start:f.end]}\" at {f.start}-{f.end}, rule "
                 f"{f.rule}, contribution {f.contribution:.3f}" for f in sc.flags], 8)
    _lines(pdf, [f"{s.kind}: {s.value} (\"{text[s.start:s.end]}\", {s.extractor})"
                 for s in sc.spans], 8)


def _highlighted(pdf: FPDF, text: str, spans: list, flags: list) -> None:
    """`text` written with flag evidence in bold red and entities underlined in blue."""
    for seg in segments(text, spans, flags):
        if seg.flags:
            pdf.set_font("Helvetica", "B", 10)
            pdf.set_text_color(*FLAG_RGB)
        elif seg.spans:
            pdf.set_font("Helvetica", "U", 10)
            pdf.set_text_color(*ENTITY_RGB)
        else:
            pdf.set_font("Helvetica", size=10)
            pdf.set_text_color(*TEXT_RGB)
        pdf.write(5, latin1(seg.text))


def _document(subject: str) -> FPDF:
    pdf = _Doc(format="A4")
    pdf.subject = subject
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title(latin1(f"Amberline case file: {subject}"))
    pdf.add_page()
    _heading(pdf, f"Case file: {subject}", 16)
    return pdf


def render_conversation_pdf(case: ConversationCase) -> bytes:
    """A conversation's case file as PDF bytes: what the HTML shows, flag evidence in bold
    red inside each message, the first alert marked."""
    conv, d = case.conversation, case.decision_in_force
    pdf = _document(case.subject)
    first = "none" if conv.first_alert is None else f"message {conv.first_alert}"
    _lines(pdf, [
        f"Generated {_when(case.generated_at)}. Scores rank conversations for review; they do "
        "not decide. Text only: media were never stored.",
        f"Source {conv.source}; messages: {len(conv.messages)}; authors: {len(conv.authors)}; "
        f"flags: {len(conv.flags)}.",
        f"Score {conv.score:.3f} (alert threshold {conv.threshold:.2f}, "
        f"{'alert' if conv.alert else 'no alert'}); first alert: {first}; rules score "
        f"{conv.rules_score:.3f}; scored by {conv.scorer}.",
        "Decision in force: " + (f"{d.action} by {d.user_name} at {_when(d.decided_at)} - "
                                 f"{d.note}" if d else "none"),
    ])
    _heading(pdf, "Who said what")
    _lines(pdf, [f"{a or '(no author)'}: {', '.join(c) or 'none'}"
                 for a, c in conv.authors.items()])
    _heading(pdf, "What the score rests on")
    _lines(pdf, [f"{c.get('feature', '')}: {c.get('value', '')}" for c in conv.contributions])
    _heading(pdf, "Decisions")
    _lines(pdf, [f"{_when(x.decided_at)} {x.action} by {x.user_name}: {x.note}"
                 for x in case.decisions])
    _heading(pdf, "Audit entries")
    _lines(pdf, [", ".join(f"{k}={v}" for k, v in e.items()) for e in case.audit])
    _heading(pdf, "Messages")
    by_message: dict[int, list] = {}
    for f in conv.flags:
        by_message.setdefault(f.message, []).append(f)
    for i, m in enumerate(conv.messages):
        mark = "  << first alert" if conv.first_alert == i else ""
        _lines(pdf, [f"[{i}] {m.author or '(no author)'} {m.time or ''}{mark}"], 8)
        _highlighted(pdf, m.text, [], by_message.get(i, []))
        pdf.ln(6)
        _lines(pdf, [f"[{f.category}] \"{m.text[f.start:f.end]}\" at {f.start}-{f.end}, rule "
                     f"{f.rule}" for f in by_message.get(i, [])] or [""], 8)
    return bytes(pdf.output())


def render_pdf(case: Case) -> bytes:
    """The whole case file as PDF bytes."""
    pdf = _document(case.subject)
    d = case.decision_in_force
    _lines(pdf, [
        f"Generated {_when(case.generated_at)}. Scores rank ads for review; they do not decide.",
        f"Ads: {len(case.ads)}; related ads: {len(case.related)}; flags: "
        f"{sum(len(s.screening.flags) for s in case.ads)}; highest score "
        f"{max((s.screening.score for s in case.ads), default=0):.2f}.",
        "Decision in force: " + (f"{d.action} by {d.user_name} at {_when(d.decided_at)} - "
                                 f"{d.note}" if d else "none"),
    ])
    _heading(pdf, "Keys")
    _lines(pdf, [f"{k} {v}: {', '.join(a)}" for k, v, a in case.keys])
    _heading(pdf, "Timeline")
    _lines(pdf, [f"{_when(e.at)}  {e.kind}: {e.text}" for e in timeline(case)])
    _heading(pdf, "Movement")
    _lines(pdf, [f"{s.city}: {s.ads} ad(s), {_when(s.first)} to {_when(s.last)}"
                 for s in movement(case)])
    _heading(pdf, "Network")
    svg = to_svg(case_graph(case), lambda text: latin1(xml_text(text)))
    pdf.image(io.BytesIO(svg.encode("utf-8")), w=150)
    _lines(pdf, [f"{r.summary.key} shares {r.kind} {r.value} with {r.via}"
                 for r in case.related])
    _heading(pdf, "Decisions")
    _lines(pdf, [f"{_when(x.decided_at)} {x.action} on "
                 f"{x.ad_key or 'network ' + str(x.network_id)} by {x.user_name}: {x.note}"
                 for x in case.decisions])
    _heading(pdf, "Audit entries")
    _lines(pdf, [", ".join(f"{k}={v}" for k, v in e.items()) for e in case.audit])
    _heading(pdf, "Ads")
    for stored in case.ads:
        _ad(pdf, stored)
    return bytes(pdf.output())
