"""Write the case file for an ad, a network or a conversation: one self-contained HTML and one
PDF.

Why both: analysts read and search the HTML (full Unicode, highlighting with the rule behind
every mark); hotlines and courts want a fixed document to file and print. Both come from one
`Case` gathered once, so they cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from amberline.report.case import Case, ConversationCase, load_case, load_conversation_case
from amberline.report.case_html import render_conversation_html, render_html
from amberline.report.case_pdf import render_conversation_pdf, render_pdf
from amberline.store.database import Store

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class CaseFiles:
    html: Path
    pdf: Path
    case: Case | ConversationCase


def file_stem(case: Case | ConversationCase) -> str:
    """A file-name-safe stem naming the case, e.g. `case-ad-site.example_12345`."""
    return "case-" + _UNSAFE.sub("_", case.subject.replace(" ", "-"))[:120]


def write_case_file(
    store: Store, out_dir: Path, ad: str | int | None = None, network_id: str | None = None,
) -> CaseFiles:
    """Gather the case and write `<stem>.html` and `<stem>.pdf` into `out_dir`.

    Raises `CaseNotFound` when the ad or network is not stored.
    """
    case = load_case(store, ad=ad, network_id=network_id)
    return _write(out_dir, case, render_html(case), render_pdf(case))


def write_conversation_case_file(store: Store, out_dir: Path,
                                 conversation: str | int) -> CaseFiles:
    """The same for one stored conversation (key or id). Raises `CaseNotFound`."""
    case = load_conversation_case(store, conversation)
    return _write(out_dir, case, render_conversation_html(case), render_conversation_pdf(case))


def _write(out_dir: Path, case: Case | ConversationCase, html_text: str,
           pdf_bytes: bytes) -> CaseFiles:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(case)
    html, pdf = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    html.write_text(html_text, encoding="utf-8")
    pdf.write_bytes(pdf_bytes)
    return CaseFiles(html, pdf, case)
