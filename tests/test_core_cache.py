"""The core's table cache: read back exactly what was computed, and any hostile file there is
ignored (the tables are computed again and the cache rewritten), never trusted or crashed on."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from amberline import core, disk_cache
from amberline.text import native


@pytest.fixture(scope="module")
def computed() -> native.UnicodeTables:
    return native._compute_tables()


@pytest.fixture
def cache(tmp_path, monkeypatch, computed):
    """An empty cache directory; `calls` counts how often the tables are computed."""
    calls: list[int] = []

    def compute() -> native.UnicodeTables:
        calls.append(1)
        return computed

    monkeypatch.setenv("AMBERLINE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(native, "_compute_tables", compute)
    native.unicode_tables.cache_clear()
    yield tmp_path / "cache", calls
    native.unicode_tables.cache_clear()


def _fresh() -> native.UnicodeTables:
    native.unicode_tables.cache_clear()
    return native.unicode_tables()


def _path(directory) -> os.PathLike:
    (only,) = [p for p in directory.iterdir() if not p.name.startswith(".")]
    return only


def test_tables_are_this_pythons(computed) -> None:
    assert len(computed.flags) == 0x110000
    assert (0x212A, ord("k")) in computed.folds and (ord("A"), ord("a")) in computed.lower
    assert all(len(chr(c).lower()) == 1 and chr(c).lower() == chr(low)
               for c, low in computed.lower)
    assert len(computed.mapping) > 1000


def test_cache_round_trip(cache, computed) -> None:
    directory, calls = cache
    assert _fresh() == computed and len(calls) == 1
    assert core.cache_dir() == directory and _path(directory).stat().st_size > 0x110000
    assert _fresh() == computed and len(calls) == 1  # read, not computed


def test_cache_key_follows_the_interpreter(cache, monkeypatch) -> None:
    directory, calls = cache
    _fresh()
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    _fresh()
    assert len(calls) == 2
    assert len([p for p in directory.iterdir() if not p.name.startswith(".")]) == 2


def _valid(payload: bytes) -> bytes:
    return disk_cache.framed(b"amberline unicode tables 1\n", payload)


def _section(*parts: bytes) -> bytes:
    return disk_cache.pack(parts)


_GOOD_FLAGS = bytes(0x110000)
_HOSTILE = {
    "empty": b"",
    "garbage": b"\x00\xff" * 1000,
    "truncated": None,  # the real file cut in half
    "flipped": None,  # one payload byte changed
    "bad length": _valid((2**62).to_bytes(8, "little") + b"x"),
    "few sections": _valid(_section(_GOOD_FLAGS)),
    "small flags": _valid(_section(b"\0", b"", b"", b"", b"", b"", b"")),
    "odd array": _valid(_section(_GOOD_FLAGS, b"abc", b"", b"", b"", b"", b"")),
    "not a code point": _valid(_section(_GOOD_FLAGS, native._u32([0x110000, 97]), b"", b"", b"",
                                        b"", b"")),
    "bad letter": _valid(_section(_GOOD_FLAGS, native._u32([0x212A, 0x41]), b"", b"", b"", b"",
                                  b"")),
    "bad kind": _valid(_section(_GOOD_FLAGS, b"", b"", native._u32([0xFF21]), b"\xff",
                                native._u32([1]), "A".encode("utf-32-le"))),
    "surrogate": _valid(_section(_GOOD_FLAGS, b"", b"", native._u32([0xFF21]), b"\0",
                                 native._u32([1]), b"\x00\xd8\x00\x00")),
    "lengths": _valid(_section(_GOOD_FLAGS, b"", b"", native._u32([0xFF21]), b"\0",
                               native._u32([5]), "A".encode("utf-32-le"))),
}


@pytest.mark.parametrize("case", sorted(_HOSTILE))
def test_hostile_cache_file_is_ignored_and_replaced(cache, computed, case, caplog) -> None:
    directory, calls = cache
    _fresh()
    path = _path(directory)
    blob = _HOSTILE[case]
    if case == "truncated":
        blob = path.read_bytes()[: path.stat().st_size // 2]
    elif case == "flipped":
        good = bytearray(path.read_bytes())
        good[-3] ^= 1
        blob = bytes(good)
    path.write_bytes(blob)
    with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
        assert _fresh() == computed
    assert len(calls) == 2 and "ignoring the cache file" in caplog.text
    assert _fresh() == computed and len(calls) == 2  # rewritten, and good again


def test_not_a_file_there(cache, computed) -> None:
    directory, calls = cache
    _fresh()
    path = _path(directory)
    path.unlink()
    os.mkfifo(path)  # reading must not block
    assert _fresh() == computed and len(calls) == 2
    target = directory / "elsewhere"
    target.write_bytes(b"x")
    path.unlink()
    path.symlink_to(target)  # not followed
    assert _fresh() == computed and len(calls) == 3
    with open(path.with_name("huge"), "wb") as handle:  # sparse, past the size limit
        handle.truncate(disk_cache.MAX_BYTES + 10)
    path.unlink()
    path.with_name("huge").rename(path)
    assert _fresh() == computed and len(calls) == 4


def test_unwritable_cache_still_works(tmp_path, monkeypatch, computed) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("AMBERLINE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(native, "_compute_tables", lambda: computed)
    try:
        assert _fresh() == computed
    finally:
        native.unicode_tables.cache_clear()
