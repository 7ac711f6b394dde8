"""A conversation's case file opened as a reader would: the HTML parsed (every message with its
author, every flag's evidence a mark naming its rule, the first alert marked, hostile text
escaped, nothing fetched from outside), the PDF parsed; the CLI writes both and audits the
export. Synthetic, clinical conversations only."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from typer.testing import CliRunner

from amberline.chats.records import Conversation, Message
from amberline.chats.rules import default_rules
from amberline.chats.screen import screen_batch
from amberline.cli import app as cli
from amberline.commands.common import UserError
from amberline.report.case import CaseNotFound
from amberline.report.case_file import write_conversation_case_file
from amberline.store import audit
from amberline.store.conversations import get_conversation, write_conversations
from amberline.store.database import Store
from amberline.store.decisions import record_decision

CHAT = Conversation("c1", [
    Message("kid <b>", "hi, im 13 and in 8th grade", "2024-05-01T12:00"),
    Message("adult", "are your parents home tonight? dont tell your mom about our chats",
            "2024-05-01T12:01"),
    Message("adult", "i could pick you up after class, send me a photo <script>x</script>",
            None),
    Message("kid <b>", "ok \u202e see you", "2024-05-01T12:03"),
], source="case.jsonl")


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "case.db")
    write_conversations(store, None, [(CHAT, screen_batch([CHAT], default_rules())[0])])
    return store


def test_conversation_case_file_html_and_pdf(tmp_path: Path) -> None:
    store = _store(tmp_path)
    stored = get_conversation(store, "case.jsonl:c1")
    assert stored is not None and stored.flags and stored.first_alert is not None
    record_decision(store, action="escalate", note="access probing and a meeting",
                    user_name="ana", conversation=stored.id)
    files = write_conversation_case_file(store, tmp_path / "out", stored.id)
    html = files.html.read_text(encoding="utf-8")
    tree = HTMLParser(html)
    messages = tree.css("div.message")
    assert [m.attributes["id"] for m in messages] == [f"m{i}" for i in range(4)]
    for i, (node, message) in enumerate(zip(messages, CHAT.messages, strict=True)):
        assert node.css_first("span.author").text() == message.author  # escaped, shown as text
        assert node.css_first("div.adtext").text() == message.text
        flags = [f for f in stored.flags if f.message == i]
        for k, flag in enumerate(flags):
            marks = node.css(f'mark[data-flag="{k}"]')
            assert "".join(m.text() for m in marks) == message.text[flag.start:flag.end]
            assert marks[0].attributes["data-rule"] == flag.rule
    assert len(tree.css("mark.flag")) >= len(stored.flags)
    assert "alert" in messages[stored.first_alert].attributes["class"]
    assert "first alert" in messages[stored.first_alert].text()
    assert "<script>x</script>" not in html and "<b>" not in html.split("<body>")[1]
    authors = tree.css_first("table.authors").text()
    assert "adult" in authors and "child_access" in authors
    assert "access probing and a meeting" in tree.css_first("table.decisions").text()
    assert f"conversation:{stored.id}" in tree.css_first("table.audit").text()
    assert not tree.css("script") and not tree.css("link") and not tree.css("img")

    reader = PdfReader(str(files.pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "case.jsonl:c1" in text and "access probing and a meeting" in text
    assert "pick you up after class" in text and "first alert" in text
    assert "child_access" in text


def test_unknown_conversation_is_not_found(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        write_conversation_case_file(store, tmp_path / "out", "case.jsonl:nope")
    except CaseNotFound:
        pass
    else:
        raise AssertionError("an unknown conversation must raise CaseNotFound")
    assert not (tmp_path / "out").exists()


def test_cli_writes_the_case_file_and_audits_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    db = str(tmp_path / "case.db")
    out = tmp_path / "cases"
    before = audit.verify(store).count
    result = CliRunner().invoke(cli, ["case-file", "--conversation", "case.jsonl:c1",
                                      "--out", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in out.iterdir()) == [".html", ".pdf"]
    [entry] = audit.entries(store, audit.verify(store).count - before)
    assert entry.action == "export" and entry.detail["kind"] == "case_file"
    assert entry.target.startswith("conversation:")
    both = CliRunner().invoke(cli, ["case-file", "case.jsonl:c1", "--conversation", "1",
                                    "--out", str(out), "--db", db])
    assert isinstance(both.exception, UserError) and "one of them" in str(both.exception)
    missing = CliRunner().invoke(cli, ["case-file", "--conversation", "nope", "--out",
                                       str(out), "--db", db])
    assert isinstance(missing.exception, UserError)
    assert "no such conversation" in str(missing.exception)
