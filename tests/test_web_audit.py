"""The audit log is hash-chained: `verify` (and `amberline audit verify`) finds any edited
field, a deleted entry, a deleted tail; the chain stays linear with concurrent writers."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from amberline.cli import app as cli
from amberline.store.database import Store
from amberline.store.schema_workspace import audit_log
from amberline.web import audit
from web_helpers import BACKENDS, database


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with database(request.param, tmp_path, "audit.db") as db:
        s = Store(db)
        for i in range(6):
            audit.append(s, "ana", "view_ad", f"ad:{i}", {"key": f"k{i}", "n": i})
        yield s
        s.close()


def _sql(store: Store, statement: str) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_an_untouched_chain_verifies(store) -> None:
    result = audit.verify(store)
    assert result.ok and result.count == 6 and result.problems == []
    assert result.head == audit.entries(store, 1)[0].hash


def test_an_edited_detail_is_found(store) -> None:
    _sql(store, "UPDATE audit_log SET detail = '{\"key\":\"k3\",\"n\":99}' WHERE id = 4")
    result = audit.verify(store)
    assert not result.ok and any("entry 4: content" in p for p in result.problems)


def test_an_edited_user_with_a_recomputed_hash_breaks_the_next_link(store) -> None:
    with store.engine.begin() as conn:
        row = conn.execute(sa.select(audit_log).where(audit_log.c.id == 2)).one()
        forged = audit.entry_hash(row.prev_hash, 2, row.at, "mallory", row.action, row.target,
                                  row.detail)
        conn.execute(audit_log.update().where(audit_log.c.id == 2)
                     .values(user_name="mallory", hash=forged))
    result = audit.verify(store)
    assert any("entry 3: does not link" in p for p in result.problems)


def test_deleting_a_middle_entry_or_the_tail_is_found(store, tmp_path) -> None:
    _sql(store, "DELETE FROM audit_log WHERE id = 6")
    tail = audit.verify(store)
    assert not tail.ok and any("head is entry 6" in p for p in tail.problems)
    _sql(store, "DELETE FROM audit_log WHERE id = 3")
    middle = audit.verify(store)
    assert any("entry 3: missing" in p for p in middle.problems)


def test_expected_head_pins_the_chain(store) -> None:
    head = audit.verify(store).head
    audit.append(store, "ana", "export", "queue")
    assert audit.verify(store, expect_head=head).ok is False
    assert audit.verify(store).ok


def test_concurrent_appends_keep_one_linear_chain(store) -> None:
    def work(n: int) -> None:
        for i in range(15):
            audit.append(store, f"user{n}", "search", "", {"i": i})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(store)
    assert result.ok and result.count == 6 + 60


def test_cli_audit_verify_exit_codes(store, tmp_path) -> None:
    where = ["--db", str(store.engine.url.database)]
    if store.engine.dialect.name != "sqlite":
        where = ["--database", store.engine.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", *where])
    assert ok.exit_code == 0 and "intact" in ok.output
    _sql(store, "UPDATE audit_log SET target = 'ad:999' WHERE id = 2")
    broken = runner.invoke(cli, ["audit", "verify", *where])
    assert broken.exit_code == 1 and "BROKEN" in broken.output
