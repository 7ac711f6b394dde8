"""The speed measures of `Screener.screen_batch` that touch process state or shared caches:
the collector pause must leave the collector as it found it (also across threads), and the
shared encodings must never hand one text's bytes to another."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from amberline import core
from amberline.collector import collector_paused
from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.text.encoded import char_starts, encoded

ADS = [
    Ad(source="t", source_id="1", body="Sweet new girl in town, ask for Mia, call 703 555 0142"),
    Ad(source="t", source_id="2", body="Hi I'm Candy 🌹 seven zero three 555 O142, $150 hh"),
    Ad(source="t", source_id="3", body="Latina 5'2, 110 lbs, in Dallas, TX. snap: mia_22"),
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_state_is_restored(screener: Screener, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        screener.screen_batch(ADS)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_collector_paused_inside_and_nested() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer batch is still running
    assert gc.isenabled()


def test_collector_resumed_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


class _Cycle:
    """A node that refers to itself: only the cycle collector frees it."""

    def __init__(self, alive: set[int], key: int) -> None:
        self.me = self
        self.payload = [key] * 50
        self.finalizer = weakref.finalize(self, alive.discard, key)


def test_cyclic_garbage_of_batches_is_collected_and_stays_bounded() -> None:
    # Batches that each leave cycles behind, and nothing allocated between them: the young
    # objects moved on at each batch's end are still examined, every few batches.
    # (Batches screened earlier in this process may set the first bound: it is learnt anew
    # from the batches after each full collection.)
    gc.collect()
    alive: set[int] = set()
    most = 0
    for batch in range(600):
        with collector_paused():
            for k in range(200):
                alive.add(batch * 200 + k)
                _Cycle(alive, batch * 200 + k)
        if batch >= 300:
            most = max(most, len(alive))
    assert 0 not in alive  # the first batch's cycles were collected
    assert most <= 30 * 200  # at most a few batches' worth waited at any time
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.collect()
    assert not alive


def test_concurrent_batches_agree_and_resume_collector(screener: Screener) -> None:
    expected = [repr(s) for s in screener.screen_batch(ADS)]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append([repr(s) for s in screener.screen_batch(ADS)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 80 and all(r == expected for r in results)
    assert gc.isenabled()


def test_shared_encodings_follow_the_text() -> None:
    one, two = "caf\u00e9 703", "na\u00efve \U0001f339 150"
    assert encoded(one, "utf-8") == one.encode()
    assert encoded(two, "utf-8") == two.encode()  # a new text is encoded, not the last one
    assert encoded(one, "ascii") == b"caf? 703"
    assert encoded(two, "ascii") == b"na?ve ? 150"
    data = encoded(two, "utf-8")
    assert char_starts(data).tolist() == [
        i for i, b in enumerate(data) if b & 0xC0 != 0x80
    ]
    equal_copy = "".join(["na\u00efve ", "\U0001f339 150"])  # equal text, another object
    assert encoded(equal_copy, "utf-8") == data
    with pytest.raises(ValueError):
        encoded(one, "latin-1")


def test_ascii_encoding_is_the_codecs() -> None:
    # Every width of character (and lone surrogates) on both sides of each boundary.
    points = [0, 0x3F, 0x7E, 0x7F, 0x80, 0xBF, 0xC0, 0xFF, 0x100, 0x13F, 0x3F3F, 0xD800,
              0xDFFF, 0xFFFF, 0x10000, 0x1003F, 0x1F339, 0x10FFFF]
    text = "".join(map(chr, points)) + " end"
    assert encoded(text, "ascii") == text.encode("ascii", "replace")
    assert encoded("plain", "ascii") == b"plain"
    # Long enough for the core's sixteen-at-a-time steps, each point in every lane.
    long = "".join(chr(points[(i * 7) % len(points)]) + "ab"[i % 2] * (i % 3)
                   for i in range(200))
    assert encoded(long, "ascii") == long.encode("ascii", "replace")


def test_core_ascii_of_any_32_bit_values() -> None:
    module = core.load()
    if module is None:
        pytest.skip("the core is not in use")
    values = [0x41, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000, 0x80000041, 0xFFFFFFFF] * 5
    data = b"".join(v.to_bytes(4, "little") for v in values)
    assert module.ascii_of_utf32(data) == bytes(v if v < 0x80 else 0x3F for v in values)
    with pytest.raises(ValueError):
        module.ascii_of_utf32(b"abc")
