"""Alert feeds fetched as hostile input: addresses, loops, budgets, slow servers, stored bytes.

Every test fetches from real HTTP servers on loopback addresses (127.0.0.1 and 127.0.0.2), so
each one that needs a fetch to succeed names 127.0.0.1/32 in `allow_networks`, the option a
deployment uses for an internal feed server.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerts_support import FIXTURES, http_server
from amberline.alerts.cap import BadAlert, CapAlert
from amberline.alerts.feeds import FetchLimits, FetchRefused, read_target
from amberline.alerts.service import ingest
from amberline.cli import app
from amberline.store import Store

LOOPBACK = ("127.0.0.1/32",)
ALERT = (FIXTURES / "amber_1_2.xml").read_bytes()


def rss(*links: str) -> bytes:
    items = "".join(f"<item><title>linked</title><link>{u}</link></item>" for u in links)
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.fixture()
def hits() -> Counter[str]:
    return Counter()


def serve(routes: dict[str, object], hits: Counter[str], host: str = "127.0.0.1"):
    """A server answering each path from `routes` (bytes, or a (status, payload, headers)
    tuple, or a callable of the base URL), counting requests per path."""

    def respond(request, body: bytes) -> tuple:
        hits[request.path] += 1
        found = routes.get(request.path, (404, b"no"))
        if callable(found):
            found = found(request.path)
        return (200, found) if isinstance(found, bytes) else found

    return http_server(respond, host)


def test_loopback_is_not_fetched_unless_allowed(hits: Counter[str]) -> None:
    with serve({"/a.xml": ALERT}, hits) as base:
        with pytest.raises(FetchRefused, match="loopback, private or link-local"):
            list(read_target(f"{base}/a.xml"))
        assert hits["/a.xml"] == 0
        found = list(read_target(f"{base}/a.xml", FetchLimits(allow_networks=LOOPBACK)))
    assert [type(f) for f in found] == [CapAlert] and hits["/a.xml"] == 1


def test_a_link_in_a_local_feed_to_loopback_is_refused(tmp_path: Path, hits: Counter[str]
                                                       ) -> None:
    with serve({"/a.xml": ALERT}, hits) as base:
        feed = tmp_path / "feed.rss"
        feed.write_bytes(rss(f"{base}/a.xml"))
        [bad] = list(read_target(feed))
    assert isinstance(bad, BadAlert) and "link-local address" in bad.reason
    assert hits["/a.xml"] == 0


def test_a_redirect_to_a_network_not_allowed_is_refused(hits: Counter[str]) -> None:
    with serve({"/secret": b"internal"}, hits, host="127.0.0.2") as inner, \
            serve({"/feed": (302, b"", {"Location": f"{inner}/secret"})}, hits) as base, \
            pytest.raises(FetchRefused, match=r"127\.0\.0\.2"):
        list(read_target(f"{base}/feed", FetchLimits(allow_networks=LOOPBACK)))
    assert hits["/feed"] == 1 and hits["/secret"] == 0


def test_a_feed_linking_to_itself_is_read_once(hits: Counter[str]) -> None:
    with serve({"/feed": lambda path: rss(path)}, hits) as base:
        found = list(read_target(f"{base}/feed", FetchLimits(allow_networks=LOOPBACK)))
    [bad] = found
    assert isinstance(bad, BadAlert) and "already read in this load" in bad.reason
    assert hits["/feed"] == 1


def test_a_chain_of_feeds_stops_at_the_fetch_limit(hits: Counter[str]) -> None:
    def next_feed(path: str) -> bytes:  # /f/1 links /f/2 links /f/3 ...
        return rss(f"/f/{int(path.rsplit('/', 1)[1]) + 1}")

    routes = {f"/f/{n}": next_feed for n in range(1, 60)}
    with serve(routes, hits) as base:
        limits = FetchLimits(max_fetches=4, allow_networks=LOOPBACK)
        found = list(read_target(f"{base}/f/1", limits))
    [bad] = found
    assert "limit of 4 fetches" in bad.reason and sum(hits.values()) == 4


def test_a_load_stops_at_its_byte_budget(hits: Counter[str]) -> None:
    feed = rss("/a1.xml", "/a2.xml")
    routes = {"/feed": feed, "/a1.xml": ALERT, "/a2.xml": ALERT.replace(b"0314-001", b"0314-009")}
    with serve(routes, hits) as base:
        limits = FetchLimits(max_total_bytes=len(feed) + len(ALERT) + 10,
                             allow_networks=LOOPBACK)
        found = list(read_target(f"{base}/feed", limits))
    assert isinstance(found[0], CapAlert)
    assert isinstance(found[1], BadAlert) and "limit of" in found[1].reason


def drip(seconds: float, count: int) -> Iterator[bytes]:
    """One byte at a time: a server that never quite stops (bounded so the test ends)."""
    for _ in range(count):
        yield b" "
        time.sleep(seconds)


def _in_thread(target, *args) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []

    def run() -> None:
        try:
            out.append(list(target(*args)))
        except Exception as exc:  # the test inspects it
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_a_slow_drip_is_cut_off_at_the_fetch_time_limit(hits: Counter[str]) -> None:
    slow = (200, drip(0.25, 160), {"Content-Length": "160"})
    with serve({"/feed": lambda path: slow}, hits) as base:
        limits = FetchLimits(timeout=5, fetch_seconds=1, allow_networks=LOOPBACK)
        thread, out = _in_thread(read_target, f"{base}/feed", limits)
        thread.join(20)
    assert not thread.is_alive(), "the fetch was still running"
    [error] = out
    assert isinstance(error, FetchRefused) and "still sending after 1 s" in str(error)


def test_the_load_time_limit_covers_every_fetch(hits: Counter[str]) -> None:
    routes = {"/feed": rss("/s1", "/s2", "/s3"),
              **{f"/s{n}": (lambda path: (200, drip(0.25, 160), {"Content-Length": "160"}))
                 for n in (1, 2, 3)}}
    with serve(routes, hits) as base:
        # The feed itself may take up to 0.9 s (a loaded machine) before the first drip's
        # own 1 s limit would be cut short by the load's.
        limits = FetchLimits(timeout=5, fetch_seconds=1, load_seconds=1.9,
                             allow_networks=LOOPBACK)
        thread, out = _in_thread(read_target, f"{base}/feed", limits)
        thread.join(30)
    assert not thread.is_alive(), "the load was still running"
    [found] = out
    reasons = [b.reason for b in found]  # type: ignore[attr-defined]
    assert "still sending after 1 s" in reasons[0]
    assert "ran out of its 1.9 s" in reasons[2] and hits["/s3"] == 0


def test_fetched_bodies_are_not_stored_in_quarantine(tmp_path: Path, hits: Counter[str]
                                                     ) -> None:
    page = b"<html><body>internal-status ZQX-7741 token-abc</body></html>"
    with serve({"/status": page}, hits) as base:
        items = list(read_target(f"{base}/status", FetchLimits(allow_networks=LOOPBACK)))
    with Store(tmp_path / "q.db") as store:
        ingest(store, items)
        [kept] = store.quarantined()
    assert "ZQX-7741" not in kept.excerpt and "internal-status" not in kept.excerpt
    assert kept.excerpt.startswith(f"{len(page)} bytes fetched, sha256 ")


def test_cli_load_fetches_loopback_only_with_allow_network(tmp_path: Path, hits: Counter[str]
                                                          ) -> None:
    runner, db = CliRunner(), str(tmp_path / "desk.db")
    with serve({"/a.xml": ALERT}, hits) as base:
        refused = runner.invoke(app, ["alerts", "load", f"{base}/a.xml", "--db", db])
        assert refused.exit_code != 0 and "link-local" in str(refused.exception)
        loaded = runner.invoke(app, ["alerts", "load", f"{base}/a.xml", "--db", db,
                                     "--allow-network", "127.0.0.1/32"])
    assert loaded.exit_code == 0, loaded.output
    assert "stored=1" in loaded.output and hits["/a.xml"] == 1
