"""Case files opened as a reader would: the HTML parsed (every ad, every flag's evidence
highlighted, nothing fetched from outside), the PDF parsed (pages, every ad id)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from amberline.evidence import segments
from amberline.report.case import CaseNotFound
from amberline.report.case_file import write_case_file
from amberline.store.decisions import record_decision
from report_fixtures import ADS, KEY_A, KEY_B, KEY_C, add_network, make_store, screened


def _pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_network_case_file_html_and_pdf(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    add_network(store, "net-1", [1, 2])
    record_decision(store, network_id="net-1", action="takedown", note="shared phone, youth",
                    user_name="ana")
    files = write_case_file(store, tmp_path / "out", network_id="net-1")

    html = files.html.read_text(encoding="utf-8")
    tree = HTMLParser(html)
    sections = {s.attributes["data-ad-key"]: s for s in tree.css("section.ad")}
    assert set(sections) == {KEY_A, KEY_B}
    for ad, screening in screened()[:2]:
        section = sections[ad.key]
        for i, flag in enumerate(screening.flags):
            marks = section.css(f'mark[data-flag="{i}"]')
            assert "".join(m.text() for m in marks) == ad.text[flag.start:flag.end]
            assert marks[0].attributes["data-rule"] == flag.rule
        for i, span in enumerate(screening.spans):
            pieces = section.css(f'span.entity[data-span="{i}"]')
            assert "".join(p.text() for p in pieces) == ad.text[span.start:span.end]
    # Keys, movement, network picture, decisions and the audit entry of the decision.
    assert "+17035550142" in tree.css_first("table.keys").text()
    assert "Springfield → Dayton" in html
    svg = tree.css_first("div.graph svg")
    assert {c.attributes["data-ad"] for c in svg.css("circle")} == {KEY_A, KEY_B}
    assert "shared phone, youth" in tree.css_first("table.decisions").text()
    assert "network:net-1" in tree.css_first("table.audit").text()
    # Self-contained: no scripts, no stylesheet or image fetched from anywhere.
    assert not tree.css("script") and not tree.css("link") and not tree.css("img")
    assert "http" not in "".join(n.attributes.get("src") or "" for n in tree.css("[src]"))

    pages, text = _pdf_text(files.pdf)
    assert pages >= 1
    for key in (KEY_A, KEY_B):
        assert key in text
    assert "Springfield" in text and "shared phone, youth" in text
    assert KEY_C not in text


def test_ad_case_file_shows_related_ads(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    files = write_case_file(store, tmp_path, ad=KEY_A)
    tree = HTMLParser(files.html.read_text(encoding="utf-8"))
    assert [s.attributes["data-ad-key"] for s in tree.css("section.ad")] == [KEY_A]
    assert KEY_B in tree.css_first("table.related").text()
    assert KEY_C not in tree.html
    _, text = _pdf_text(files.pdf)
    assert KEY_A in text and KEY_B in text


def test_ad_without_date_or_url_still_renders(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    files = write_case_file(store, tmp_path, ad=KEY_C)
    tree = HTMLParser(files.html.read_text(encoding="utf-8"))
    assert tree.css_first("section.ad").attributes["data-ad-key"] == KEY_C
    assert KEY_C in _pdf_text(files.pdf)[1]


def test_unknown_ad_or_network(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    with pytest.raises(CaseNotFound):
        write_case_file(store, tmp_path, ad="site.example:999")
    with pytest.raises(CaseNotFound):
        write_case_file(store, tmp_path, network_id="no-such-net")


def test_segments_cover_the_text_exactly_with_overlaps() -> None:
    ad, screening = screened()[0]
    pieces = segments(ad.text, screening.spans, screening.flags)
    assert "".join(p.text for p in pieces) == ad.text
    assert ADS[0].text == ad.text
    covered = {i for p in pieces for i in p.flags}
    assert covered == set(range(len(screening.flags)))


@pytest.mark.parametrize("source,source_id", [
    ("a\x07b", "x\x0by"), ("s\x85\x9f", "\u4e2d\U0001f600"), ("z", "\x1f")])
def test_control_and_non_latin1_characters_in_an_ad_key_still_give_a_pdf(
        tmp_path: Path, source: str, source_id: str) -> None:
    """The case graph (an SVG inside the PDF) carried the ad key as it was: a control character
    made the SVG invalid XML and anything outside Latin-1 broke the PDF font, so no case file."""
    from amberline.model import Ad
    from amberline.pipeline import Screener
    from amberline.store import Store

    store = Store(tmp_path / "odd.db")
    ad = Ad(source=source, source_id=source_id, title="Odd key", body="Call 703 555 0142")
    store.write_new(None, list(zip([ad], Screener().screen_batch([ad]), strict=True)))
    files = write_case_file(store, tmp_path / "out", ad=1)
    pages, _ = _pdf_text(files.pdf)
    assert pages >= 1 and source_id in files.html.read_text(encoding="utf-8")
