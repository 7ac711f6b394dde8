"""The audit log is hash-chained: `verify` (and `amberline audit verify`) finds any edited
field, a deleted entry, a deleted tail, and (against its checkpoint kept outside the database)
a wiped log or a cut tail with the head moved back; the chain stays linear with concurrent
writers; whatever a field holds, it is hashed as stored."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from amberline.cli import app as cli
from amberline.store import audit
from amberline.store.database import Store
from amberline.store.schema_workspace import audit_log
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


def _where(store: Store, tmp_path) -> list[str]:
    checkpoint = ["--checkpoint", str(tmp_path / "anchor.json")]
    if store.engine.dialect.name != "sqlite":
        return ["--database", store.engine.url.render_as_string(hide_password=False), *checkpoint]
    return ["--db", str(store.engine.url.database), *checkpoint]


def test_cli_audit_verify_exit_codes(store, tmp_path) -> None:
    where = _where(store, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", *where])
    assert ok.exit_code == 0 and "intact" in ok.output
    _sql(store, "UPDATE audit_log SET target = 'ad:999' WHERE id = 2")
    broken = runner.invoke(cli, ["audit", "verify", *where])
    assert broken.exit_code == 1 and "BROKEN" in broken.output


def test_fields_longer_than_their_columns_are_hashed_as_stored(store) -> None:
    """A 510-character network id made the target 518 characters: cut to 512 when stored but
    hashed in full, so the chain failed verification from then on."""
    audit.append(store, "vic", "view_network", "network:ad-" + "0" * 506 + "1", {"via": "api"})
    audit.append(store, "x" * 300, "a" * 70, "nul\x00and \udc80 surrogate")
    result = audit.verify(store)
    assert result.ok, result.problems
    stored = audit.entries(store, 2)
    assert len(stored[1].target) == 512 and stored[1].target.endswith("0")
    assert len(stored[0].user_name) == 255 and len(stored[0].action) == 64
    assert "\x00" not in stored[0].target


@dataclass
class Run:
    exit_code: int
    output: str  # what was printed and any error raised, with the console's line wraps undone


def _verify(store: Store, tmp_path, *extra: str) -> Run:
    result = CliRunner().invoke(cli, ["audit", "verify", *_where(store, tmp_path), *extra])
    said = result.output + (str(result.exception) if result.exception else "")
    return Run(result.exit_code, " ".join(said.split()))


def test_cli_reports_count_and_head_and_keeps_a_checkpoint(store, tmp_path) -> None:
    first = _verify(store, tmp_path)
    head = audit.verify(store).head
    assert first.exit_code == 0 and f"6 entries, head {head}" in first.output
    assert "created" in first.output and (tmp_path / "anchor.json").exists()
    audit.append(store, "ana", "export", "queue")
    second = _verify(store, tmp_path)
    assert second.exit_code == 0 and "extends entry 6, now at entry 7" in second.output
    assert _verify(store, tmp_path, "--expect-head", head).exit_code == 1
    assert _verify(store, tmp_path, "--expect-head", audit.verify(store).head).exit_code == 0


def test_a_wiped_log_fails_against_its_checkpoint(store, tmp_path) -> None:
    assert _verify(store, tmp_path).exit_code == 0
    _sql(store, "DELETE FROM audit_log")
    _sql(store, "DELETE FROM audit_head")
    assert audit.verify(store).ok  # on its own an empty log looks fine: hence the anchor
    wiped = _verify(store, tmp_path)
    assert wiped.exit_code == 1 and "no longer in the log" in wiped.output
    assert "0 entries" in wiped.output
    assert _verify(store, tmp_path).exit_code == 1  # the failed run left the anchor in place


def test_a_cut_tail_with_the_head_moved_back_fails_against_its_checkpoint(store,
                                                                          tmp_path) -> None:
    assert _verify(store, tmp_path).exit_code == 0
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id > 4")
        kept = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.id == 4)).scalar()
        conn.exec_driver_sql(f"UPDATE audit_head SET seq = 4, hash = '{kept}'")
    assert audit.verify(store).ok
    # entries appended since do not bring entry 6 back with its old hash
    audit.append(store, "ana", "view_ad", "ad:1")
    audit.append(store, "ana", "view_ad", "ad:2")
    cut = _verify(store, tmp_path)
    assert cut.exit_code == 1 and "entry 6" in cut.output and "no longer" in cut.output


def test_a_damaged_checkpoint_is_an_error_not_a_fresh_start(store, tmp_path) -> None:
    (tmp_path / "anchor.json").write_text("{}", encoding="utf-8")
    damaged = _verify(store, tmp_path)
    assert damaged.exit_code != 0 and "not an audit checkpoint" in damaged.output
