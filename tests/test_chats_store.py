"""Conversations in the store, on a real SQLite file and (with AMBERLINE_TEST_PG_URL) PostgreSQL:
idempotent writes, messages and flags read back with their offsets, the queue's order and
filters, full-text search over messages, decisions on a conversation with their audit entry,
and `chats screen --db` storing and quarantining. Synthetic, clinical conversations only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from amberline.chats.records import Conversation, Message
from amberline.chats.rules import default_rules
from amberline.chats.screen import screen_batch
from amberline.chats.synth import write_chats
from amberline.cli import app
from amberline.commands.common import UserError
from amberline.model import storable
from amberline.store import audit
from amberline.store import conversations as cs
from amberline.store.database import Store
from amberline.store.decisions import DecisionError, all_decisions, history, record_decision
from amberline.store.schema_workspace import decisions
from test_store import store_location  # noqa: F401  (fixture: a new store on each backend)

RULES = default_rules()
runner = CliRunner()


def convo(cid: str, *texts: tuple[str, str], source: str = "fixture.jsonl") -> Conversation:
    return Conversation(cid, [Message(a, t, f"2024-05-01T12:0{i}") for i, (a, t) in
                              enumerate(texts)], source=source)


GROOMING = convo(
    "g1", ("kid", "im 13 and in 8th grade"), ("adult", "dont tell your mom about our chats"),
    ("adult", "lets move to a private app, send me a photo"))
PLAIN = convo("p1", ("a", "are we still meeting the study group on friday"),
              ("b", "yes, bring the notes from chemistry"))
LOOKALIKE = convo("l1", ("sam", "im 14 too, what grade are you in"), ("jo", "9th grade"))


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:  # noqa: F811
    s = Store(store_location)
    yield s
    s.close()


def stored(store: Store, *convs: Conversation) -> dict[str, int]:
    results = screen_batch(list(convs), RULES)
    return cs.write_conversations(store, None, list(zip(convs, results, strict=True)))


def test_write_is_idempotent_and_reads_back_messages_and_flags(store: Store) -> None:
    new = stored(store, GROOMING, PLAIN, GROOMING)  # a repeat inside the batch too
    assert set(new) == {"fixture.jsonl:g1", "fixture.jsonl:p1"}
    assert stored(store, GROOMING, PLAIN) == {}
    assert cs.counts(store)["conversations"] == 2
    got = cs.get_conversation(store, "fixture.jsonl:g1")
    assert got is not None and cs.get_conversation(store, got.id) == got
    assert cs.get_conversation(store, "fixture.jsonl:nope") is None
    assert cs.get_conversation(store, 2**40) is None
    assert cs.find_conversation(store, got.id) == (got.id, got.key)
    assert [m.text for m in got.messages] == [m.text for m in GROOMING.messages]
    assert [m.author for m in got.messages] == ["kid", "adult", "adult"]
    assert got.messages[0].time == "2024-05-01T12:00"
    screened = screen_batch([GROOMING], RULES)[0]
    assert got.score == pytest.approx(screened.score) and got.alert == screened.alert
    assert got.first_alert == screened.first_alert
    assert len(got.flags) == len(screened.flags) > 0
    for flag in got.flags:  # every flag points at its message's text and names its author
        text = got.messages[flag.message].text
        assert text[flag.start:flag.end].lower() == flag.term.lower()
        assert flag.author == got.messages[flag.message].author and flag.rule
    assert got.authors == {"kid": ["has_minor"], "adult": sorted(
        {f.category for f in got.flags if f.author == "adult"})} and got.authors["adult"]


def test_unstorable_characters_keep_offsets(store: Store) -> None:
    hostile = convo("h\x00", ("a\x00", "im 13 \x00 dont tell your mom"))
    stored(store, hostile)
    got = cs.get_conversation(store, cs.conversation_key(hostile))
    assert got is not None
    assert got.messages[0].text == "im 13 \ufffd dont tell your mom"
    assert got.messages[0].author == "a\ufffd"
    for flag in got.flags:
        assert got.messages[0].text[flag.start:flag.end] == \
            hostile.messages[0].text[flag.start:flag.end]
    too_long = convo("x" * 600, ("a", "hello"))
    assert cs.unstorable(too_long) is not None
    with pytest.raises(ValueError, match="too long"):
        stored(store, too_long)


def test_queue_ranks_by_score_pages_and_filters(store: Store) -> None:
    ids = stored(store, GROOMING, PLAIN, LOOKALIKE)
    rows, cursor = cs.queue_page(store, limit=2)
    assert cursor is not None and len(rows) == 2
    rest, end = cs.queue_page(store, after=cursor, limit=2)
    assert end is None
    every = rows + rest
    assert [r.score for r in every] == sorted((r.score for r in every), reverse=True)
    assert {r.key for r in every} == set(ids)
    assert every[0].key == "fixture.jsonl:g1" and every[0].categories
    alerts, _ = cs.queue_page(store, alerts_only=True)
    assert alerts and all(r.alert for r in alerts)
    some = next(iter(every[0].categories))
    assert "fixture.jsonl:g1" in {r.key for r in cs.queue_page(store, category=some)[0]}
    assert cs.categories(store) == sorted({c for r in every for c in r.categories})
    with pytest.raises(ValueError):
        cs.queue_page(store, status="maybe")
    g1 = ids["fixture.jsonl:g1"]
    record_decision(store, action="escalate", note="stated age and secrecy", user_name="ana",
                    conversation=g1)
    escalated, _ = cs.queue_page(store, status="escalate")
    opened, _ = cs.queue_page(store, status="open")
    assert [r.id for r in escalated] == [g1] and escalated[0].status == "escalate"
    assert g1 not in {r.id for r in opened} and len(opened) == 2


def test_search_finds_messages_on_each_backend(store: Store) -> None:
    ids = stored(store, GROOMING, PLAIN, LOOKALIKE)
    hits = cs.search(store, "chemistry", marks=("<", ">"))
    assert [h.summary.id for h in hits] == [ids["fixture.jsonl:p1"]]
    assert hits[0].position == 1 and hits[0].author == "b" and "<chemistry>" in hits[0].snippet
    assert {h.summary.key for h in cs.search(store, "grade")} == {
        "fixture.jsonl:g1", "fixture.jsonl:l1"}
    assert cs.search(store, "nothingmatchesthis") == []
    assert cs.search(store, 'e-mail "x', literal=True) == []
    with pytest.raises(ValueError):
        cs.search(store, "")
    with pytest.raises(ValueError):
        cs.search(store, "a " * 40)


def test_decisions_on_a_conversation_are_audited_and_kept_apart(store: Store) -> None:
    ids = stored(store, GROOMING)
    cid = ids["fixture.jsonl:g1"]
    before = audit.verify(store).count
    [d] = record_decision(store, action="report", note="report to the hotline",
                          user_name="ana", conversation="fixture.jsonl:g1", via="cli")
    assert d.conversation_id == cid and d.ad_id is None and d.network_id is None
    [entry] = audit.entries(store, audit.verify(store).count - before)
    assert entry.action == "decision" and entry.target == f"conversation:{cid}"
    assert entry.detail["conversation"] == "fixture.jsonl:g1" and entry.detail["via"] == "cli"
    assert [h.id for h in history(store, conversation_id=cid)] == [d.id]
    with store.reading() as conn:  # takedown lists and case files read ads and networks only
        assert all_decisions(conn) == []
    with pytest.raises(DecisionError, match="no such conversation"):
        record_decision(store, action="report", note="n", user_name="ana", conversation="zz")
    with pytest.raises(DecisionError, match="exactly one"):
        record_decision(store, action="report", note="n", user_name="ana", conversation=cid,
                        ad=1)
    assert audit.verify(store).ok
    with store.writing() as conn, pytest.raises(sa.exc.IntegrityError), \
            conn.begin_nested():  # the widened check still wants a target
        conn.execute(decisions.insert().values(action="clear", note="n", user_name="x",
                                               decided_at=d.decided_at))


def test_screen_with_db_stores_once_and_quarantines(store_location: str,  # noqa: F811
                                                   tmp_path: Path) -> None:
    path = tmp_path / "chats.jsonl"
    write_chats(path, 40, seed=3)
    with path.open("a", encoding="utf-8") as out:
        out.write('{"id": "empty"}\n')
        out.write(json.dumps({"id": "y" * 600, "messages": [{"author": "a", "text": "hi"}]})
                  + "\n")
    first = runner.invoke(app, ["chats", "screen", str(path), "--db", store_location])
    assert first.exit_code == 0, first.output
    lines = [json.loads(x) for x in first.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 41  # the machine output is unchanged by --db
    again = runner.invoke(app, ["chats", "screen", str(path), "--db", store_location])
    assert again.exit_code == 0, again.output
    with Store(store_location) as s:
        counted = cs.counts(s)
        assert counted["conversations"] == 40
        assert counted["alerts"] == sum(x["alert"] for x in lines[:40]) > 0
        reasons = sorted(q.reason for q in s.quarantined())
        assert len(reasons) == 2 and any("too long" in r for r in reasons)
        with s.engine.connect() as conn:
            scans = conn.exec_driver_sql("SELECT counts FROM scans ORDER BY id").scalars().all()
    second = json.loads(scans[1]) if isinstance(scans[1], str) else scans[1]
    assert second["stored"] == 0 and second["duplicate"] == 40 and second["quarantined"] == 2


def refused(result: Result, why: str) -> bool:
    """The command stopped with a user error (one line, exit 2 from `amberline`) saying why."""
    return isinstance(result.exception, UserError) and why in str(result.exception)


def test_report_command_needs_a_decision_and_a_real_author(tmp_path: Path) -> None:
    from amberline.report.chat_report import build_conversation_report, transcript
    from amberline.report.cybertip import load_reporter_config
    from amberline.report.cybertip_schema import validate_report
    from amberline.store.accounts import add_user
    from test_report_cli import reporter_config

    db = str(tmp_path / "chats.db")
    config = reporter_config(tmp_path)
    with Store(db) as s:
        stored(s, GROOMING)
        add_user(s, "ana", "analyst", "correct horse battery")
    key = cs.conversation_key(GROOMING)
    report = ["chats", "report", key, "--reporter-config", str(config), "--db", db,
              "--out", str(tmp_path / "r.xml")]
    undecided = runner.invoke(app, report)
    assert refused(undecided, "has no decision")
    missing = runner.invoke(app, ["chats", "report", "nope:1", *report[3:]])
    assert refused(missing, "no such conversation")
    decided = runner.invoke(app, ["decide", "--conversation", key, "--action", "report",
                                  "--note", "secrecy", "--user", "ana", "--db", db])
    assert decided.exit_code == 0 and "conversation" in decided.output
    both = runner.invoke(app, ["decide", "fixture:1", "--conversation", key, "--action",
                               "report", "--note", "n", "--user", "ana", "--db", db])
    assert refused(both, "one of them")
    stranger = runner.invoke(app, [*report, "--reported-author", "stranger"])
    assert refused(stranger, "wrote no message")
    done = runner.invoke(app, [*report, "--reported-author", "adult"])
    assert done.exit_code == 0, done.output
    xml = (tmp_path / "r.xml").read_bytes()
    assert validate_report(xml) == [] and b"<screenName>adult</screenName>" in xml
    assert b"dont tell your mom" in xml and b"secrecy.dont_tell" in xml
    with Store(db) as s:
        conv = cs.get_conversation(s, key)
        decided_list = history(s, conversation_id=conv.id)
        entries = audit.entries(s, 5)
    assert entries[0].action == "export" and entries[0].target == f"conversation:{conv.id}"
    cut = transcript(conv, limit=60)
    assert cut.startswith("[0] kid") and "[cut: messages 1-2" in cut
    cleared = [*decided_list]
    from dataclasses import replace

    cleared[0] = replace(cleared[0], action="clear")
    with pytest.raises(ValueError, match="was cleared"):
        build_conversation_report(conv, cleared, load_reporter_config(config))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(codec=None), max_size=20))
def test_message_text_kept_as_storable_keeps_it(text: str) -> None:
    """The store's shortcut for plain ASCII gives what `storable` gives (NUL, lone
    surrogates and all)."""
    assert cs._storable(text) == storable(text)
    assert cs._storable("ok " + text) == storable("ok " + text)
