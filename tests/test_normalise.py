"""The normaliser: exact clinical cases per obfuscation kind, and properties over any text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.extract.base import BATCH_SEPARATOR
from amberline.text.normalise import KINDS, NormalisedText, normalise

PHONE = "703 555 0142"


def _phone_maps_back(result: NormalisedText, phone: str, written: str) -> None:
    """The phone is in the normalised text and maps back to exactly how the ad wrote it."""
    start = result.text.index(phone)
    s, e = result.to_original(start, start + len(phone))
    assert result.original[s:e] == written


def _kinds(result: NormalisedText) -> set[str]:
    return {o.kind for o in result.obfuscations}


@pytest.mark.parametrize(
    ("text", "expected", "phone", "written", "kind"),
    [
        ("call ７０３ 555 0142", "call 703 555 0142", PHONE, "７０３ 555 0142", "compat_form"),
        ("call 𝟕𝟎𝟑 ⑤⑤⑤ 0142", "call 703 555 0142", PHONE, "𝟕𝟎𝟑 ⑤⑤⑤ 0142", "compat_form"),
        ("text 7️⃣0️⃣3️⃣ 555 0142", "text 703 555 0142", PHONE, "7️⃣0️⃣3️⃣ 555 0142", "compat_form"),
        ("call 7\u200b03 555 0142", "call 703 555 0142", PHONE, "7\u200b03 555 0142", "invisible"),
        ("call 7О3-555-0142 today", "call 703-555-0142 today", "703-555-0142", "7О3-555-0142",
         "homoglyph"),
        ("seven zero three 83one5007", "703 8315007", "703 8315007",
         "seven zero three 83one5007", "spelled_digits"),
        ("fiVe five FIVE 0142 ask for Mia", "555 0142 ask for Mia", "555 0142",
         "fiVe five FIVE 0142", "spelled_digits"),
        ("seven oh three 555 0142", PHONE, PHONE, "seven oh three 555 0142", "spelled_digits"),
        ("7O3-555-l234", "703-555-1234", "703-555-1234", "7O3-555-l234", "letter_digits"),
        ("703🔥555🔥0142", PHONE, PHONE, "703🔥555🔥0142", "emoji_separator"),
        ("703 💋 555 💋 0142 new in town", "703 555 0142 new in town", PHONE,
         "703 💋 555 💋 0142", "emoji_separator"),
    ],
)  # fmt: skip
def test_obfuscated_phone(text: str, expected: str, phone: str, written: str, kind: str) -> None:
    result = normalise(text)
    assert result.text == expected
    assert kind in _kinds(result)
    _phone_maps_back(result, phone, written)
    for o in result.obfuscations:
        assert o.kind in KINDS
        assert 0 <= o.start <= o.end <= len(result.text)


def test_obfuscation_records_original_substring() -> None:
    result = normalise("Sweet new girl, ask for Mіа, call seven zero three 555 0142")
    by_kind = {o.kind: o for o in result.obfuscations}
    assert by_kind["homoglyph"].original == "іа"
    assert result.text[by_kind["homoglyph"].start : by_kind["homoglyph"].end] == "ia"
    spelled = by_kind["spelled_digits"]
    assert spelled.original == "seven zero three"
    assert result.text[spelled.start : spelled.end] == "703"
    assert result.text.endswith("ask for Mia, call 703 555 0142")


@pytest.mark.parametrize(
    "text",
    [
        "Sweet new girl in town, ask for Mia, call 703 555 0142",
        "the one and only, two girls visiting this week",
        "Rates: 150 one hour, 250 two hours, 24/7",
        "Two 703 555 0142",  # a lone number word before a phone is prose
        "Cyrillic: привет мир, Greek: καλημέρα",  # other scripts are left alone
        "price $1500-$2000, 5'4 110lbs, 10:30 to 11pm",
        "703 | 555 | 0142 and 703|555|0142",  # pipes between digit groups are separators
        "I am 21, call me at 7035550142",
    ],
)
def test_prose_and_plain_numbers_untouched(text: str) -> None:
    result = normalise(text)
    assert result.text == text
    assert result.offsets is None
    assert result.obfuscations == []
    assert result.to_original(2, 5) == (2, 5)


def test_controls_become_newlines_or_go() -> None:
    result = normalise("first ad\fsecond\x0bthird\x00end")
    assert result.text == "first ad\nsecond\nthirdend"
    assert "\f" not in result.text
    assert _kinds(result) == {"control"}
    assert normalise(BATCH_SEPARATOR.join(["a", "b"])).text == "a\n\n\nb"


def test_compat_spaces_and_punctuation_are_typography() -> None:
    result = normalise("call\u00a0me\u2026 703 555 0142")
    assert result.text == "call me... 703 555 0142"
    assert _kinds(result) == {"typography"}
    _phone_maps_back(result, PHONE, PHONE)


def test_every_space_re_reads_as_whitespace_becomes_ascii_whitespace() -> None:
    """Every character `re`'s `\\s` matches (taken from `re`, not listed here) is ASCII
    whitespace once normalised, or removed (a control): the extractors' regexes read it as
    a space while their ASCII triggers (Hyperscan's and the core's) do not, so a cue spaced
    by one that survived ("blue" U+1680 "eyes") was found by the regexes alone and missed
    by the screener."""
    import re
    import sys

    spaces = [chr(c) for c in range(sys.maxunicode + 1)
              if not 0xD800 <= c < 0xE000 and re.fullmatch(r"\s", chr(c))]
    assert "\u1680" in spaces and len(spaces) > 20
    for c in spaces:
        result = normalise(f"blue{c}eyes")
        assert result.text in {"blue eyes", "blue\neyes", "blue\teyes", "blue\reyes",
                               "blueeyes"}, hex(ord(c))
    result = normalise("blue\u1680eyes")
    assert _kinds(result) == {"typography"} and result.to_original(4, 5) == (4, 5)


def test_script_digits() -> None:
    result = normalise("call ٧٠٣ 555 0142")
    assert result.text == "call 703 555 0142"
    assert _kinds(result) == {"script_digits"}


def test_removed_character_between_digits_maps_inside_span() -> None:
    result = normalise("x 70\u200b3 y")
    assert result.text == "x 703 y"
    assert result.to_original(2, 5) == (2, 6)
    assert result.to_original(2, 4) == (2, 4)  # "70": the removed char after it is not included
    (obf,) = result.obfuscations
    assert (obf.start, obf.end, obf.original) == (4, 4, "\u200b")


def test_to_original_rejects_bad_spans() -> None:
    result = normalise("７０３")
    with pytest.raises(ValueError):
        result.to_original(2, 1)
    with pytest.raises(ValueError):
        result.to_original(0, 4)


# --- properties -------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    ["seven", "zero", "oh", "O", "l", "I", "|", "one", "fiVe", " ", "-", "🔥", "７", "𝟕", "①",
     "7️⃣", "\u200b", "\ufe0f", "\f", "\x00", "а", "о", "Mia", "call", "\n", "e\u0301", "İ"]
)  # fmt: skip
_TEXTS = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None)),  # includes lone surrogates
    st.lists(st.one_of(_PIECES, st.text(alphabet="0123456789 ", max_size=4))).map("".join),
)


def _check_invariants(text: str, result: NormalisedText) -> None:
    assert result.original == text
    assert "\f" not in result.text
    if result.offsets is None:
        assert result.text == text
        assert result.obfuscations == []
        return
    offsets = list(result.offsets)
    assert len(offsets) == len(result.text) + 1
    assert offsets[-1] == len(text)
    assert all(0 <= a <= b <= len(text) for a, b in itertools.pairwise(offsets))
    for o in result.obfuscations:
        assert 0 <= o.start <= o.end <= len(result.text)
        assert o.original and o.original in text


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_never_crashes_and_offsets_are_valid(text: str) -> None:
    _check_invariants(text, normalise(text))


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.data())
def test_to_original_within_bounds(text: str, data: st.DataObject) -> None:
    result = normalise(text)
    n = len(result.text)
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    s, e = result.to_original(start, end)
    assert 0 <= s <= e <= len(text)
    if start < end:
        # the original stretch holds at least every character the normalised span came from
        assert e > s


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), _TEXTS))
def test_idempotent(text: str) -> None:
    once = normalise(text).text
    assert normalise(once).text == once


# --- the fast path (gate) must never change the result ----------------------------------------

_NUMBERISH = st.lists(
    st.sampled_from(
        ["seven", "zero", "oh", "OH", "O", "o", "l", "I", "L", "i", "|", "||", "one", "fiVe", "Two",
         "NINE", " ", "  ", "\t", "-", ".", "(", ")", "/", "+", "🔥", "💋", "_", "#", "⁄", "0", "1",
         "55", "703", "0142", "a", "Mia", "call", "\n", "é", "ı", "İ", "phone", "y/o", "%", "$",
         "½", "７", "\u200b", "а"]
    ),
    max_size=40,
).map("".join)


def _as_tuple(result: NormalisedText) -> tuple:
    offsets = None if result.offsets is None else list(result.offsets)
    obfs = [(o.start, o.end, o.kind, o.original) for o in result.obfuscations]
    return result.text, offsets, obfs


@settings(max_examples=600, deadline=None)
@given(st.one_of(_NUMBERISH, _TEXTS))
def test_fast_path_equals_full_scan(text: str) -> None:
    """The gate and the stretches between barriers only skip work: same as scanning it all."""
    from amberline.text.normalise import _compiled, _slow

    assert _as_tuple(normalise(text)) == _as_tuple(_slow(text, _compiled(), None, True))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_NUMBERISH, _TEXTS), max_size=12))
def test_batch_equals_one_by_one(texts: list[str]) -> None:
    from amberline.text.normalise import normalise_batch

    assert [_as_tuple(r) for r in normalise_batch(texts)] == [
        _as_tuple(normalise(t)) for t in texts]


_SEPARATOR_RUNS = ["_" * 14, ":" * 10 + "/" * 4, "🔥" * 20, " " * 14, "_" * 40, "|" * 30,
                   "-|" * 20, " " * 300]


@pytest.mark.parametrize("separators", _SEPARATOR_RUNS)
@pytest.mark.parametrize("batch", ["alone", "after a long text"])
def test_gate_hits_a_symbol_run_after_many_separators(separators: str, batch: str) -> None:
    """Found by the core's differential fuzzing: the Hyperscan wheel's engine misses the
    symbol pattern's "three digits, symbol, four digits" after fourteen or more separators
    when it scans a buffer past its small-write size (a batch), so the reference left the run
    as written while a full scan rewrites it."""
    from amberline.text.normalise import _compiled, _slow, reference_batch

    text = separators + "000[0000"
    texts = [text] if batch == "alone" else ["hello there, nice to meet you " * 4, text]
    assert _compiled().gate.scan(texts)[-1] is not None
    got = reference_batch(texts)[-1]
    assert got.text == separators + "000 0000"
    assert _as_tuple(got) == _as_tuple(_slow(text, _compiled(), None, True))


@pytest.mark.parametrize(
    "text",
    [
        "Hey hey ~ Raven here, Age 27 | 24hrs | Laid back | Txt only 860-555-0123 | Have fun",
        "Hey! Meet Autumn, 27 y/o | 24/7 | Text (615) 555-0164 | #vip",
        "Rates: 150 one hour, 250 two hours, 24/7",
        "I am 21, call me at 7035550142 or phone 703.555.0142, only outcall",
        "Sweet new girl in town 🌺, ask for Mia, call 703 555 0142 🌺",
    ],
)
def test_gate_is_quiet_on_ordinary_ads(text: str) -> None:
    """Speed guard: plain ads must take the fast path (no hit, nothing to rewrite)."""
    from amberline.text.normalise import _compiled

    assert _compiled().gate.scan([text]) == [None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ring 55oNINEzero55 now", "ring 5509055 now"),  # all seven items in one chunk
        ("x 0IeightIone55 y", "x 0181155 y"),
        ("- #½  \t | +101420 17", "- #1 2  \t | +101420 17"),  # pipes bridge separators
        ("call sİx one nine 555", "call 619 555"),  # İ matches "i" case-insensitively
    ],
)
def test_hard_runs_are_found(text: str, expected: str) -> None:
    assert normalise(text).text == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("31seven 55five 01fiveO.", "317 555 0150."),
    ("two05 5five5 01sixl!", "205 555 0161!"),
    ("call 5l3 five55 013l now", "call 513 555 0131 now"),
    ("(O703) 555 0142", "(0703) 555 0142"),
])
def test_look_alike_letter_glued_at_the_edge_of_a_qualifying_run(text: str, expected: str):
    assert normalise(text).text == expected


@pytest.mark.parametrize("text", [
    "703 555 0142 l",  # not glued: a separate chunk
    "I am 20, call 703",  # the run does not qualify
    "555 0142lo",  # a letter follows: not the edge of a run
    "fiveO",  # one number word
])
def test_edge_letters_left_alone(text: str):
    norm = normalise(text)
    assert norm.text == text


def _apply_edits_reference(text: str, edits: list) -> tuple[str, list[int], list[int]]:
    """The plain definition of `apply_edits`: every character's map entry written out."""
    parts, starts, ends, pos = [], [], [], 0
    for start, end, repl, _kind in edits:
        parts.append(text[pos:start])
        starts.extend(range(pos, start))
        ends.extend(range(pos + 1, start + 1))
        parts.append(repl)
        if len(repl) == end - start:
            starts.extend(range(start, end))
            ends.extend(range(start + 1, end + 1))
        else:
            starts.extend([start] * len(repl))
            ends.extend([end] * len(repl))
        pos = end
    parts.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    starts.append(len(text))
    return "".join(parts), starts, ends


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab7 💋", max_size=30), st.data())
def test_apply_edits_equals_reference(text: str, data: st.DataObject) -> None:
    """The identity-stretch shortcut of `apply_edits` gives the character-by-character maps."""
    from amberline.text.edits import Edit, apply_edits

    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=12)))
    edits = []
    for a, b in itertools.pairwise(cuts):
        if data.draw(st.booleans()):
            repl = data.draw(st.sampled_from(["", "0", "12", "xyz", " "]))
            edits.append(Edit(a, b, repl, "test"))
    assert apply_edits(text, edits) == _apply_edits_reference(text, edits)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab7 💋", max_size=30), st.data())
def test_landed_equals_offset_map_search(text: str, data: st.DataObject) -> None:
    """Where `_landed` puts each edit (from the edits alone) is where a search of the offset
    map puts it, as `_obfuscations` does for the general case."""
    from bisect import bisect_left

    from amberline.text.edits import Edit, apply_edits
    from amberline.text.normalise import _landed

    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=12)))
    edits = []
    for a, b in itertools.pairwise(cuts):
        if data.draw(st.booleans()):
            repl = data.draw(st.sampled_from(["", "0", "12", "xyz", " "]))
            edits.append(Edit(a, b, repl, data.draw(st.sampled_from(["k1", "k2"]))))
    _, starts, _ = apply_edits(text, edits)
    n = len(starts) - 1
    searched = [(bisect_left(starts, s, 0, n), bisect_left(starts, e, 0, n), kind, s, e)
                for s, e, _, kind in edits]
    landed, same = _landed(edits)
    assert landed == searched
    identity = (list(range(len(text) + 1)), list(range(1, len(text) + 1)))
    assert same == (apply_edits(text, edits)[1:] == identity or not edits)


_SEPARATORS = st.sampled_from([" ", "-", ".", "🔥", "💋", " 🌹 ", "_", "--", "/", "( ", "✨",
                                ",", "€", "|", " | "])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.from_regex(r"[0-9]{1,4}", fullmatch=True),
                                    st.sampled_from(["seven", "zero", "ONE", "fiVe", "sİx",
                                                     "ſeven", "nine", "oh"])),
                          _SEPARATORS), min_size=1, max_size=12),
       st.booleans())
def test_run_shortcuts_equal_the_full_parse(parts: list[tuple[str, str]], digits: bool) -> None:
    """The digit-run and word-run shortcuts give exactly the edits of the full parse."""
    from amberline.text import numbers

    items = [(a if a[0].isdigit() == digits else ("5" if digits else "two"), sep)
             for a, sep in parts]
    run = "".join(a + sep for a, sep in items[:-1]) + items[-1][0]
    if numbers._DIGIT_RUN.fullmatch(run):
        assert numbers._digit_run_edits(3, run) == numbers._parsed_run_edits(3, run)
    elif numbers._WORD_RUN.fullmatch(run):
        assert numbers._word_run_edits(3, run) == numbers._parsed_run_edits(3, run)
