"""The compiled core against the Python reference: identical output, or the test fails.

The core (`amberline._core`) must reproduce the Python reference exactly: the normalised text,
both offset maps, the identity flag and every obfuscation record, on the synthetic corpus,
every clinical fixture of the normaliser and contact extractor tests, fuzzed text (any Unicode
including lone surrogates, emoji runs, number words, look-alikes, huge inputs) and every code
point. Skipped where the core is not built, unless AMBERLINE_CORE=rust (CI), where a missing
core is a failure.
"""

from __future__ import annotations

import random
import sys
import warnings
from itertools import accumulate

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.text import native
from amberline.text.homoglyphs import HOMOGLYPHS
from amberline.text.normalise import (
    NormalisedBatch,
    NormalisedText,
    normalise_batch,
    reference_batch,
)
from core_support import fixture_strings

try:
    from amberline import _core
except ImportError:  # pragma: no cover - depends on the build
    _core = None
    if core.choice() == "rust":
        raise

pytestmark = pytest.mark.skipif(_core is None, reason="amberline._core is not built")



@pytest.fixture(scope="module")
def compiled() -> object:
    return native.build(_core)


def _as_tuple(result: NormalisedText) -> tuple:
    offsets = None if result.offsets is None else list(result.offsets)
    ends = None if result._ends is None else list(result._ends)
    obfs = [(o.start, o.end, o.kind, o.original) for o in result.obfuscations]
    return result.original, result.text, offsets, ends, result.same_offsets, obfs


def _obfs(found: list) -> list[tuple]:
    return [(o.start, o.end, o.kind, o.original) for o in found]


def _assert_same(texts: list[str], compiled: object) -> None:
    got = native.normalise_batch(texts, compiled)
    want = reference_batch(texts)
    assert len(got) == len(want) == len(texts)
    # The batch read whole, as the pipeline reads it, before any text's result is made: the
    # texts, the obfuscations and the moved texts' maps joined, as the reference's give them.
    assert got.texts == [w.text for w in want]
    assert [_obfs(found) for found in got.obfuscations] == [_obfs(w.obfuscations) for w in want]
    joined, joined_want = got.maps, NormalisedBatch.of(want).maps
    assert joined.ads == joined_want.ads
    for column in ("lengths", "heads", "tails"):
        assert getattr(joined, column).tolist() == getattr(joined_want, column).tolist()
    # Each text's result, made on demand (last first: none depends on an earlier one).
    for i in reversed(range(len(texts))):
        assert _as_tuple(got[i]) == _as_tuple(want[i]), texts[i]
        assert got[i] is got[i] and got[i].obfuscations is got.obfuscations[i]


# --- corpora ----------------------------------------------------------------------------------


def test_synthetic_corpus(compiled: object) -> None:
    from amberline.synth.generate import generate

    for seed in (7, 11):
        ads, _truth = generate(2500, seed)
        texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
        assert any(r.offsets is not None for r in reference_batch(texts[:200]))
        _assert_same(texts, compiled)


def _fixture_strings() -> list[str]:
    """Every string constant in the normaliser's and contact extractors' tests."""
    return fixture_strings("test_normalise.py", "test_extract_contact.py",
                           "test_extract_profile.py", "test_extractor_examples.py")


def test_clinical_fixtures(compiled: object) -> None:
    texts = _fixture_strings()
    assert len(texts) > 100
    _assert_same(texts, compiled)
    _assert_same(["\n\f\n".join(texts)], compiled)  # all of them as one text


def test_second_rounds_of_the_character_stage(compiled: object) -> None:
    """Texts whose first round of the character stage makes something a second round must
    undo (the core rescans only around the first round's edits): an invisible joining a
    look-alike to a Latin word, a keycap after a removed invisible or a mapped digit, a
    look-alike word grown by a mapped letter, and their near misses."""
    texts = ["p\u0430\u200bypal", "p\u0430\u200b ypal", "\u0430\u200bbc", "abc\u200b\u0430",
             "7\u200b\u20e3", "7\u200b\ufe0f\u20e3", "7\u200b \u20e3", "7\u200bx\u20e3",
             "\u2460\u20e3", "\u2460\ufe0f\u20e3", "\uff17\u20e3", "1\u20e3\u20e3",
             "\uff41\u0430", "x\u00adо\u00adx", "\u0430\uff42\u200b", "\u00ad\u200b\u20e3",
             "\u0430 \u00ad b", "na\u00ad\u0456ve 7\u200b\u20e3 \u2460"]
    assert sum(r.offsets is not None for r in reference_batch(texts)) == len(texts)
    _assert_same(texts, compiled)
    _assert_same([" ".join(texts)], compiled)


def test_look_alike_words_with_and_without_a_kept_latin_letter(compiled: object) -> None:
    """The core answers a look-alike word at once when one of its ASCII letters stands before
    nothing, ASCII or a character NFKC keeps; else it asks NFKC: words of both sorts, with
    "ℓ" (which NFKC makes "l") before, between and after letters, digit words and words
    with no Latin letter at all."""
    texts = ["\u2113ove", "Ca\u2113\u2113", "a\u2113\u03b1", "\u2113\u03b1", "\u03b1\u2113",
             "\u0455ex\u2113", "x\u2113", "\u2113x\u2113", "5\u039f5", "5\u039f\u0436",
             "\u2113\u039f5", "\u03b1\u03b9\u2113", "\u0455\u0430\u2133", "\u2133\u03b1x",
             "\u03b1\u00e9", "\u00e9\u03b1b", "\uff41\u03b1", "a\uff41\u03b1"]
    _assert_same(texts, compiled)
    _assert_same([" ".join(texts)], compiled)


def test_offset_maps_are_read_only_buffers(compiled: object) -> None:
    """The maps come back as the core's own storage, read by the buffer protocol as bytes
    (little-endian int32), read-only, and kept alive by the arrays that view them."""
    import ctypes
    import gc

    import numpy as np

    status, texts, starts, ends, lengths, _, errors = (
        compiled.normalise_batch(["x\u200by 5", "abc", "\uff2dia"]))  # type: ignore[attr-defined]
    assert (bytes(status), texts, errors) == (b"\x01\x00\x01", ["xy 5", "abc", "Mia"], [])
    assert lengths == np.array([4, 3], dtype="<i8").tobytes()
    view = memoryview(starts)
    assert (view.readonly, view.format, view.itemsize, view.nbytes) == (True, "B", 1, 36)
    assert bytes(starts) == np.array([0, 2, 3, 4, 5, 0, 1, 2, 3], dtype="<i4").tobytes()
    with pytest.raises(TypeError):
        (ctypes.c_char * 4).from_buffer(ends)  # asks for a writable buffer
    tails = np.frombuffer(ends, dtype="<i4")
    del view, starts, ends
    gc.collect()
    assert tails.tolist() == [1, 3, 4, 5, 1, 2, 3]


def test_every_code_point(compiled: object) -> None:
    """Each code point between digits, inside a word and beside a look-alike."""
    texts = []
    step = 48
    for base in range(0, 0x110000, step):
        cps = [c for c in range(base, base + step) if c < 0x110000]
        pieces = [f"7{chr(c)}03 5{chr(c)}5 x{chr(c)}а o{chr(c)}ne" for c in cps]
        texts.append(" ".join(pieces))
    for i in range(0, len(texts), 2000):
        _assert_same(texts[i : i + 2000], compiled)


# --- fuzzing ----------------------------------------------------------------------------------

_PIECE_LIST = (
    ["seven", "zero", "oh", "OH", "O", "o", "l", "I", "L", "i", "|", "||", "one", "fiVe", "Two",
     "NINE", "eight", "sİx", "ſix", "ıne", " ", "  ", "\t", "-", ".", "(", ")", "/", "+", "🔥",
     "💋", "🌹", "_", "#", "⁄", "0", "1", "55", "703", "0142", "a", "Mia", "call", "\n", "\f",
     "\x00", "\x85", "é", "e\u0301", "½", "²", "７", "𝟕", "①", "٧", "7️⃣", "#⃣", "\u20e3",
     "\ufe0f", "\u200b", "\u00a0", "…", "а", "о", "Мiа", "ο", "\ud800", "y/o", "%", "$", "€"]
)  # fmt: skip
_PIECES = st.sampled_from(_PIECE_LIST)
_NUMBERISH = st.lists(_PIECES, max_size=60).map("".join)
_EMOJI_RUNS = st.lists(
    st.one_of(st.text(alphabet="0123456789", min_size=1, max_size=4),
              st.text(alphabet="🔥💋🌹✨❤️ -.|_*", min_size=1, max_size=5)),
    max_size=20,
).map("".join)
_GLYPHS = st.lists(
    st.one_of(st.sampled_from(sorted(HOMOGLYPHS)), st.text(alphabet="abcMiaOl0123 ", max_size=3)),
    max_size=30,
).map("".join)
# Number words, digits and letters glued to ASCII and non-ASCII letters (those case-insensitive
# `re` reads as ASCII ones among them): where a run may start inside or after a word.
_GLUED = st.lists(
    st.one_of(st.sampled_from(["one", "two", "six", "oh", "O", "l", "|", "7", "ſ", "ı", "İ",
                               "\u212a", "é", "ß", "а", "🔥", "\ufe0f"]),
              st.text(alphabet="abcxyzOolI0123456789ſı ", max_size=4)),
    max_size=40,
).map("".join)
_TEXTS = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None)),  # any code point, lone surrogates too
    _NUMBERISH,
    _EMOJI_RUNS,
    _GLYPHS,
    _GLUED,
)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=8))
def test_fuzzed_batches(compiled: object, texts: list[str]) -> None:
    _assert_same(texts, compiled)


def test_huge_inputs(compiled: object) -> None:
    rng = random.Random(5)
    texts = ["".join(rng.choice(_PIECE_LIST) for _ in range(15_000)) for _ in range(2)]
    texts.append("o" * 50_000 + "x")
    texts.append("0" + "o" * 20_000 + "x")
    texts.append("7" * 100_000)
    texts.append(" one" * 10_000)
    _assert_same(texts, compiled)


# --- containment and fallback -----------------------------------------------------------------


def test_a_panic_in_the_core_quarantines_only_that_ad(monkeypatch) -> None:
    """A panic is caught inside the core and raised as `CoreFailure` naming the text; through
    the pipeline's isolation only the ad that caused it becomes a quarantine entry (stage
    "normalise", with the panic's message), and the batch's other ads are screened."""
    from amberline.isolate import ScreeningFailure, screen_isolated
    from amberline.model import Ad
    from amberline.pipeline import Screener

    trap = "\U0010fffd"
    broken = native.build(_core, panic_on=trap)
    texts = ["call seven zero three 555 0142", f"bad {trap} seven zero three 555", "７０３ x"]
    with pytest.raises(core.CoreFailure, match=r"text 1 of the batch .*test panic"):
        native.normalise_batch(texts, broken)
    assert [_as_tuple(r) for r in native.normalise_batch(texts[::2], broken)] == [
        _as_tuple(r) for r in reference_batch(texts[::2])]

    screener = Screener()
    monkeypatch.setattr(native, "normaliser", lambda: broken)
    ads = [Ad(source="t", source_id=str(i), body=text) for i, text in enumerate(texts)]
    results = screen_isolated(screener, ads)
    assert [isinstance(r, ScreeningFailure) for r in results] == [False, True, False]
    assert results[1].stage == "normalise" and "test panic" in results[1].error
    assert [s.value for s in results[0].spans if s.kind == "phone"]


def test_the_core_takes_a_list_of_str_only(compiled: object) -> None:
    for bad in ([b"abc"], ["abc", 3], "abc"):
        with pytest.raises(TypeError):
            compiled.normalise_batch(bad)  # type: ignore[attr-defined]


def test_texts_are_read_by_their_code_points(compiled: object) -> None:
    """The core reads each str as it is stored: ASCII, wider kinds, and a lone surrogate (no
    UTF-8 form) next to texts that have one, each kept within its own bounds; and the strs it
    makes of the changed texts are of every kind too, lone surrogates kept."""
    texts = ["plain ascii", "caf\u00e9 \u2460", "\U0001f525 f\u0456ve", "a\ud800b \udfff",
             "", "\ud83d\ude00 z\u0435r\u043e", "f\u0456ve \ud800\u200b", "\udfff\u00ad",
             "caf\u00e9\u200b", "\u200b\U0001f525", "x\u200b", "\u2460"]
    for batch in (texts, texts[::-1], [t * 40 for t in texts]):
        got = [_as_tuple(r) for r in native.normalise_batch(batch, compiled)]
        assert got == [_as_tuple(r) for r in reference_batch(batch)]


@pytest.mark.parametrize("widest", [0x41, 0x7E, 0xA2, 0xE9, 0xFF, 0x100, 0x4E2D, 0xD800, 0xDFFF,
                                    0xFFFD, 0x10000, 0x1F525, 0x10FFFD])
def test_changed_texts_are_strs_of_the_narrowest_kind(compiled: object, widest: int) -> None:
    """The core picks the storage of each changed text it makes (one, two or four bytes a
    code point) from its code points: each kind's edges, the widest character first, inside
    or last, among narrower ones of every kind, at lengths around CPython's four-at-a-time
    scan. A str stored wider than it needs compares unequal to the same text made by Python,
    and one stored narrower loses bits: both fail here. The size check pins the kind."""
    fillers = [c for c in ("a", "\u00e9", "\u4e2d", "\U0001f525") if ord(c) <= widest]
    texts = []
    for filler in fillers:
        for length in (1, 2, 3, 4, 5, 8, 17, 40):
            for at in {0, length // 2, length - 1}:
                chars = [filler] * length
                chars[at] = chr(widest)
                texts.append("\u200b".join(chars) + "\u200b")  # the invisibles removed
    got = native.normalise_batch(texts, compiled).texts
    want = [r.text for r in reference_batch(texts)]
    assert all(max(map(ord, t)) == widest for t in want)  # the widest is kept
    assert got == want
    assert [sys.getsizeof(t) for t in got] == [sys.getsizeof(t) for t in want]


def _fresh(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(core.ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(core.ENV_VAR, value)
    core.reset()
    native.normaliser.cache_clear()


@pytest.fixture
def restore_core():
    yield
    core.reset()
    native.normaliser.cache_clear()


def test_python_choice_runs_the_reference(monkeypatch, restore_core) -> None:
    _fresh(monkeypatch, "python")
    assert native.normaliser() is None
    assert not core.active()
    text = "call seven zero three 555 0142"
    assert _as_tuple(normalise_batch([text])[0]) == _as_tuple(reference_batch([text])[0])
    _fresh(monkeypatch, None)
    assert core.active()


def test_missing_core_falls_back_with_one_warning(monkeypatch, restore_core) -> None:
    import amberline

    monkeypatch.setitem(sys.modules, "amberline._core", None)  # import now fails
    monkeypatch.delattr(amberline, "_core", raising=False)
    _fresh(monkeypatch, "auto")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first = normalise_batch(["seven zero three 555 0142"])
        normalise_batch(["x"])
    assert [w.category for w in seen] == [core.CoreMissingWarning]
    assert first[0].text == "703 555 0142"
    _fresh(monkeypatch, "rust")
    with pytest.raises(RuntimeError, match="not built"):
        core.load()
    _fresh(monkeypatch, "bogus")
    with pytest.raises(ValueError):
        core.load()


def test_core_built_from_these_sources() -> None:
    """`rust/build.rs` and `core.source_fingerprint` frame the same files the same way: the
    core built for this checkout carries the checkout's fingerprint."""
    assert core.source_fingerprint(core.CRATE) == _core.SOURCES


def test_core_from_other_sources_is_not_used(monkeypatch, restore_core, tmp_path) -> None:
    """A core built before a pull may keep every class and still give other output than the
    sources beside it: it is refused as a whole (one warning, or an error with `rust`)."""
    import shutil

    crate = tmp_path / "rust"
    shutil.copytree(core.CRATE, crate, ignore=shutil.ignore_patterns("target"))
    assert core.source_fingerprint(crate) == core.source_fingerprint(core.CRATE)
    source = crate / "src" / "lib.rs"
    source.write_text(source.read_text(encoding="utf-8") + "// changed\n", encoding="utf-8")
    assert core.source_fingerprint(crate) != core.source_fingerprint(core.CRATE)
    monkeypatch.setattr(core, "CRATE", crate)
    _fresh(monkeypatch, "auto")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert core.load() is None
    assert [w.category for w in seen] == [core.CoreMissingWarning]
    assert "other sources" in str(seen[0].message)
    assert normalise_batch(["seven zero three 555 0142"])[0].text == "703 555 0142"
    _fresh(monkeypatch, "rust")
    with pytest.raises(RuntimeError, match="other sources"):
        core.load()
    (crate / "Cargo.toml").unlink()  # no crate beside the package: an installed wheel
    _fresh(monkeypatch, "rust")
    assert core.load() is _core


def test_offsets_read_back_as_python_ints(compiled: object) -> None:
    """The core's offset maps stay int64 arrays (or ranges): what is read from them through
    `to_original` and the pipeline is a Python int, as JSON writers and the store need."""
    import json

    from amberline.model import Ad
    from amberline.pipeline import Screener

    texts = ["call seven 0 three 555 O1 four two now", "Ｍia ７０３ 555 0142", "a\u200bb 5"]
    for result in native.normalise_batch(texts, compiled):
        assert result.offsets is not None
        assert all(type(x) is int for x in result.to_original(0, len(result.text)))
        assert all(type(x) is int for x in result.to_original(1, 1))
    screening = Screener().screen(Ad(source="t", body=texts[0] + " " + texts[1]))
    assert screening.spans
    for item in (*screening.spans, *screening.flags, *screening.obfuscations):
        assert type(item.start) is int and type(item.end) is int
    json.dumps([(s.start, s.end) for s in screening.spans])


def test_threads_share_one_normaliser(compiled: object) -> None:
    """The core keeps one batch's buffers for the next; batches normalised at once in several
    threads (the GIL is released inside) each get their own results."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(3)
    batches = [["".join(rng.choice(_PIECE_LIST) for _ in range(rng.randrange(1, 400)))
                for _ in range(60)] for _ in range(12)]
    want = [[_as_tuple(r) for r in reference_batch(b)] for b in batches]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda b: [_as_tuple(r) for r in
                                           native.normalise_batch(b, compiled)], batches))
            assert got == want


def test_maps_held_across_batches_stay_as_they_were(compiled: object) -> None:
    """The core takes the last batch's offset maps back as the next batch's room only when
    nothing holds them: a batch's maps (its `NormalisedText`s, the joined columns, a view of
    them) kept while more batches are normalised keep their values; dropped, they are filled
    again, and each batch's results are the reference's."""
    rng = random.Random(17)
    batches = [["".join(rng.choice(_PIECE_LIST) for _ in range(rng.randrange(1, 300)))
                for _ in range(40)] for _ in range(6)]
    want = [[_as_tuple(r) for r in reference_batch(b)] for b in batches]
    held = []
    for k, batch in enumerate(batches):
        got = native.normalise_batch(batch, compiled)
        assert got.maps.ads  # (the fixture's pieces move offsets in every batch)
        if k % 2 == 0:  # held: every other batch whole, then only a view of its heads
            held.append((k, got if k % 4 == 0 else memoryview(got.maps.heads)))
        assert [_as_tuple(r) for r in got] == want[k]
        del got
    for k, kept in held:
        if isinstance(kept, memoryview):
            heads = NormalisedBatch.of(reference_batch(batches[k])).maps.heads
            assert kept.tolist() == heads.tolist()
        else:
            assert [_as_tuple(r) for r in kept] == want[k]


def test_texts_longer_than_a_read_chunk(compiled: object) -> None:
    """The core reads a batch's texts a chunk at a time (`CHUNK`, 32,768 code points): texts
    longer than a chunk, and texts that cross where a chunk ends, normalise as the reference."""
    rng = random.Random(5)
    piece = "".join(rng.choice(_PIECE_LIST) for _ in range(3000))
    texts = [piece * 6, "a", piece[:20000], piece[:20000] + "🌹", piece * 2, "b c"]
    _assert_same(texts, compiled)
    _assert_same(texts[::-1], compiled)


def test_forget_batch_drops_the_last_buffers() -> None:
    """`core.forget_batch` drops what the stages keep of the last batch's text: the next ask
    for the same text makes its buffer again (equal, a new object)."""
    from amberline.text.encoded import encoded

    text = "sev\u00e9n \ud800 " * 50
    first = core.batch_buffer([text])[0]
    ascii_first = encoded(text, "ascii")
    assert core.batch_buffer([text])[0] is first and encoded(text, "ascii") is ascii_first
    core.forget_batch()
    again = core.batch_buffer([text])[0]
    assert again == first and again is not first
    assert encoded(text, "ascii") == ascii_first and encoded(text, "ascii") is not ascii_first


def test_batch_buffer_of_one_text_is_kept_for_that_text_only() -> None:
    """The joined text of a batch goes to several core stages; its buffer is made once."""
    a, b = "sev\u00e9n \ud800 " * 50, "other text"
    want_a = a.encode("utf-32-le", "surrogatepass")
    first = core.batch_buffer([a])
    assert first == (want_a, [0, len(a)])
    assert core.batch_buffer([a])[0] is first[0]
    assert core.batch_buffer([b]) == (b.encode("utf-32-le"), [0, len(b)])
    copy = "".join(list(a))  # equal, not the same object
    assert core.batch_buffer([copy])[0] == want_a
    assert core.batch_buffer([a, b]) == (want_a + b.encode("utf-32-le"),
                                         [0, len(a), len(a) + len(b)])


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0xFF)),
    st.text(st.characters(min_codepoint=0, max_codepoint=0xFFFF, exclude_categories=())),
    st.text(st.characters(exclude_categories=()), max_size=300),
))
@example(text="")
@example(text="a\ud800b\udfff")
@example(text="\u20ac\ud83d")
def test_core_utf32_is_the_codec(text: str) -> None:
    """The core's copy of a str's storage (each of CPython's three widths, lone surrogates
    included) is what the codec writes, as the batch buffer used it."""
    encode = getattr(_core, "utf32", None)
    if encode is None and sys.byteorder == "big":
        pytest.skip("the core reads the storage on little-endian machines only")
    want = text.encode("utf-32-le", "surrogatepass")
    assert encode(text) == want
    assert encode(text * 3 + "\U0001f339") == want * 3 + "\U0001f339".encode("utf-32-le")


_ANY_WIDTH = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0xFF), max_size=40),
    st.text(st.characters(min_codepoint=0, max_codepoint=0xFFFF, exclude_categories=()),
            max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_ANY_WIDTH, max_size=12))
@example(texts=[])
@example(texts=["", ""])
@example(texts=["a\ud800", "", "\udfff\u20ac", "\U0001f339b"])
def test_core_batch_of_texts_is_the_codec_of_their_join(texts: list[str]) -> None:
    """Several texts go into one buffer, each str's storage copied in place (any widths side
    by side, lone surrogates included), with each text's bounds: what the codec writes for
    their join, as the batch buffer made it."""
    encode = getattr(_core, "utf32_batch", None)
    if encode is None and sys.byteorder == "big":
        pytest.skip("the core reads the storage on little-endian machines only")
    want = ("".join(texts).encode("utf-32-le", "surrogatepass"),
            [0, *accumulate(map(len, texts))])
    assert encode(texts) == want
    assert encode(tuple(texts)) == want
    if len(texts) != 1:
        assert core.batch_buffer(texts) == want
