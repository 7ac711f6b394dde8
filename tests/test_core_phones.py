"""The core's phone extractor against its Python reference: identical spans, or it fails.

The specification is `extract/phones.py` (its candidate regex, `_split_run`, `_pieces`,
`nanp_grouping`) and `phonenumbers` itself. Checked here: the core's answer for a digit string
against `parse_phone` (random strings of every shape, ten-digit numbers across every area
code, every country code with the metadata's example numbers of every region and type, the
core leaving to `phonenumbers` only what it says it cannot decide), then the spans
(kind, value, offsets, confidence, attributes, order) on the synthetic corpus, every clinical
fixture of the contact tests, fuzzed text (separators, "+" and country codes, digits of other
scripts, fullwidth digits, letter-for-digit homoglyphs, spelled digits, emoji, lone
surrogates, form feeds) and huge inputs; runs the core cannot decide come back to the
reference and are counted. A panic inside the core fails the batch with `CoreFailure`, and
`screen_isolated` then quarantines only the ad that caused it.
"""

from __future__ import annotations

import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from amberline import core
from amberline.extract import BATCH_SEPARATOR, phones
from amberline.extract.phones import PhoneExtractor, parse_phone
from core_support import fixture_strings, hostile_texts, needs_active_core

pytestmark = needs_active_core()


@pytest.fixture(scope="module", params=["triggers", "everywhere"])
def extractor(request) -> PhoneExtractor:
    """The extractor as built, and with its Hyperscan prefilter off (the reference then runs
    its regex over the whole text)."""
    built = PhoneExtractor()
    assert built._core is not None  # the core path is what is tested
    phones._with_countries(built._core)  # (else given at the first number that needs them)
    if request.param == "everywhere":
        built._prefilter.available = False
    return built


def _key(spans) -> list[tuple]:
    return [(s.kind, s.value, type(s.value), s.start, s.end, s.extractor, s.confidence, s.attrs)
            for s in spans]


def _assert_same(texts: list[str], extractor: PhoneExtractor) -> None:
    joined = BATCH_SEPARATOR.join(texts)  # as the pipeline calls it: one text per batch
    for text in (*texts, joined):
        assert _key(extractor.extract(text)) == _key(extractor.extract_reference(text)), text[:300]


# --- the digit strings: the core's answers against parse_phone --------------------------------


def _core_answer(extractor: PhoneExtractor, digits: str) -> tuple[str, bool, str] | str | None:
    kind, e164, valid, region = extractor._core.parse(digits)  # type: ignore[attr-defined]
    if kind < 0:
        return "undecided"
    if kind == 0:
        return None
    return f"+{e164}", valid, phones._region_codes(True, "US")[region]


def _digit_strings(rng: random.Random) -> list[str]:
    out: list[str] = []
    for first in "0123456789":
        for length in range(7, 16):
            for _ in range(25):
                tail = "".join(rng.choice("0123456789") for _ in range(length - 1))
                out += [first + tail, "+" + first + tail]
    for area in range(200, 1000):  # every area code, a few exchanges each
        for _ in range(6):
            number = f"{area}{rng.randrange(10**7):07d}"
            out += [number, "1" + number, "+1" + number]
    out += ["3102632", "13105478", "0114420794609", "+442079460958", "7035550142", "2" * 15]
    return out


def test_the_core_answers_as_parse_phone(extractor) -> None:
    rng = random.Random(3)
    decided = 0
    strings = _digit_strings(rng)
    for digits in strings:
        answer = _core_answer(extractor, digits)
        if answer == "undecided":
            continue
        decided += 1
        assert answer == parse_phone(digits, "US"), digits
    assert decided > len(strings) * 0.6  # the core does decide the common shapes
    for digits in ("7035550142", "17035550142", "+17035550142", "3102632", "24703555014",
                   "1035002060", "+11035002060", "13102632", "0123456", "117035550142",
                   "+442079460958", "0123456789", "+390612345678", "+80012345678", "+99912345",
                   "0114420794609", "+0114420794609", "01117035550142", "0110442079460"):
        assert _core_answer(extractor, digits) != "undecided", digits
    for digits in ("7035550١42", "+540111512345678", "011540111512345678"):
        assert _core_answer(extractor, digits) == "undecided", digits


def _rewritten() -> set[str]:
    """The country codes whose main region rewrites a number after its national prefix."""
    return {str(code) for code, *_, transform, _, _, _ in phones._core_countries()[2]
            if transform}


def _left_to_phonenumbers(digits: str) -> bool:
    """What the core may leave undecided: a country code (after "+", the US international
    prefix or both) whose national prefix rewrites the number."""
    rest = digits.removeprefix("+").removeprefix("011")
    return len(rest) < len(digits) and any(rest.startswith(code) for code in _rewritten())


_VALID = ("7035550142", "2125550199", "3102632555", "8765550142", "4165550142", "6715550142",
          "7875550142", "2642351234", "3455550142", "8095550142", "8005550142", "9005550142")


@settings(max_examples=500, deadline=None)
@given(plus=st.sampled_from(["", "+", "+1"]),
       lead=st.sampled_from(["", "0", "1", "00", "01", "10", "11", "011", "111", "101", "3"]),
       body=st.one_of(st.sampled_from(_VALID), st.text("0123456789", min_size=0, max_size=15)),
       cut=st.integers(0, 6), extra=st.text("0123456789", max_size=3))
def test_leading_zeros_ones_and_plus_one_as_parse_phone(extractor, plus: str, lead: str,
                                                        body: str, cut: int,
                                                        extra: str) -> None:
    """A leading 0 or 1 (a national prefix, a country code without "+", both) and "+1"
    followed by other than ten digits: the core answers as `phonenumbers` does, and leaves
    it only what `_left_to_phonenumbers` names."""
    digits = plus + lead + body[: max(len(body) - cut, 0)] + extra
    if len(digits.lstrip("+")) < 1:
        return
    answer = _core_answer(extractor, digits)
    if answer == "undecided":
        assert _left_to_phonenumbers(digits), digits
    else:
        assert answer == parse_phone(digits, "US"), digits


def _example_numbers() -> list[str]:
    """The metadata's example number of every region and number type, as "+" and digits,
    also with the national prefix written after the country code."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    out: list[str] = []
    regions = [*phonenumbers.SUPPORTED_REGIONS]
    for region in regions:
        for kind in vars(PhoneNumberType).values():
            if not isinstance(kind, int):
                continue
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            national = phonenumbers.national_significant_number(number)
            code = str(number.country_code)
            out += [e164, f"+{code}0{national}", f"+{code}{national[:-1]}", f"{e164}0"]
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            out.append(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    return out


def test_every_country_code_as_parse_phone(extractor) -> None:
    """The example numbers of every region and type (valid, so every region's patterns are
    run), with a national prefix, a digit short and a digit long; and random digits after
    every country code."""
    rng = random.Random(7)
    examples = _example_numbers()
    strings = list(examples)
    for code in COUNTRY_CODE_TO_REGION_CODE:
        for length in range(3, 15):
            strings += ["+" + str(code) + "".join(rng.choice("0123456789") for _ in range(length))
                        for _ in range(3)]
    decided = valid = 0
    for digits in strings:
        answer = _core_answer(extractor, digits)
        if answer == "undecided":
            assert _left_to_phonenumbers(digits), digits
            continue
        decided += 1
        valid += answer is not None and answer[1]
        assert answer == parse_phone(digits, "US"), digits
    assert decided > len(strings) * 0.95 and valid > len(examples) / 5  # (a quarter is E.164)


@settings(max_examples=800, deadline=None)
@given(code=st.one_of(st.sampled_from(sorted(map(str, COUNTRY_CODE_TO_REGION_CODE))),
                      st.text("0123456789", min_size=1, max_size=3)),
       lead=st.sampled_from(["", "0", "00", "1", "8", "9", "06", "15", "90", "011", "0549"]),
       body=st.text("0123456789", max_size=14), idd=st.sampled_from(["+", "011", "+011"]))
def test_other_country_codes_as_parse_phone(extractor, code: str, lead: str, body: str,
                                            idd: str) -> None:
    """"+" or the US international prefix and any country code (known or not), a national
    prefix or not, any digits."""
    digits = idd + code + lead + body
    answer = _core_answer(extractor, digits)
    if answer == "undecided":
        assert _left_to_phonenumbers(digits), digits
    else:
        assert answer == parse_phone(digits, "US"), digits


# --- corpora ----------------------------------------------------------------------------------


def test_synthetic_corpus(extractor) -> None:
    from amberline.synth.generate import generate
    from amberline.text.normalise import normalise_batch

    for seed in (5, 23):
        ads, _truth = generate(1500, seed)
        texts = [n.text for n in normalise_batch([f"{a['title']}\n{a['body']}" for a in ads])]
        assert len(extractor.extract(BATCH_SEPARATOR.join(texts))) > len(texts) / 2
        for i in range(0, len(texts), 300):
            _assert_same(texts[i : i + 300], extractor)


def test_clinical_fixtures(extractor) -> None:
    texts = fixture_strings("test_extract_contact.py", "test_core_contact.py",
                            "test_extractor_examples.py", "test_identifiers.py",
                            "test_link_contacts.py", "test_normalise.py",
                            "test_extract_lookup_tables.py", "test_alerts_matching.py")
    texts += [ex.text for ex in PhoneExtractor.examples()]
    assert len(texts) > 100
    _assert_same(texts, extractor)


def test_runs_the_core_cannot_decide_come_back_counted() -> None:
    extractor = PhoneExtractor()
    text = "call 1 703 555 0142 0, 1-555-0142, not 0123 456 789"
    assert _key(extractor.extract(text)) == _key(extractor.extract_reference(text))
    assert extractor.handed_back == 0 and not extractor._core.has_countries()
    text = "ring +44 20 7946 0958 or 703-555-0142, +54 9 11 1234 5678, +54 011 15 1234 5678"
    spans = extractor.extract(text)
    assert _key(spans) == _key(extractor.extract_reference(text))
    assert [s.value for s in spans] == ["+442079460958", "+17035550142", "+5491112345678",
                                        "+5491112345678"]
    assert extractor._core.has_countries()  # handed over at the first such number
    assert extractor.handed_back == 1  # the national prefix Argentina's numbers rewrite
    text = ("or 011 44 20 7946 0958, 011 1 703 555 0142, 011 290 22 158, 011 290 22 158 99 and "
            "011 703 555 0142")
    spans = extractor.extract(text)
    assert _key(spans) == _key(extractor.extract_reference(text))
    assert [s.value for s in spans][2:4] == ["+29022158"] * 2  # (not grouped as +1 must be)
    assert extractor.handed_back == 1  # the international prefix read as "+"


_PIECE_LIST = (
    ["0", "1", "2", "3", "5", "7", "9", "00", "01", "11", "12", "23", "24", "42", "555", "703",
     "212", "310", "345", "809", "876", "0142", "0199", "2632", "011", "44", "20", "7946",
     "0958", "1-", "1 ", "+", "+1", "+ ", "+44", "+1 ", "(", ")", "((", "()", " ", "  ", "   ",
     "    ", "\t", ".", "..", "-", "--", "/", '"', "\u2010", "\u2013", "\u2015", "\u2016", ",",
     "$", "£", "€", "¥", "=", "_", "#", "&", "%", ":", "x", "O", "o", "l", "I", "zero",
     "seven", "five", "five five five", "call", "text", "age", "\n", "\f", "\n\f\n",
     "٧٠٣", "٥", "０", "７０３", "５５５", "०", "💋", "🌹", "\u200b", "\ud800", "\U0010fffd",
     "703-555-0142", "(703) 555-0142", "703.555.0142", "7035550142", "17035550142",
     "+17035550142", "+1 703 555 0142", "703 555 01 42", "703 5550 142", "7 0 3 5 5 5 0 1 4 2",
     "60/80/120/160", "99368891 - 25", "4111 1111 1111 1111", "24 703 555 0142",
     "3.14159265", "1,000,000", "2024-05-06", "12345678901234567890"]
)  # fmt: skip
_PIECES = st.sampled_from(_PIECE_LIST)
_TEXTS = hostile_texts(_PIECES)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=6))
def test_fuzzed_text(extractor, texts: list[str]) -> None:
    _assert_same(texts, extractor)


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=6))
def test_fuzzed_text_read_again_when_the_countries_arrive(texts: list[str]) -> None:
    """A fresh extractor's first number with another country code hands the countries
    over in the middle of a text: the runs handed back until then are read again, alone."""
    _assert_same([*texts, "+44 20 7946 0958 " + texts[0]], PhoneExtractor())


def test_huge_inputs(extractor) -> None:
    rng = random.Random(11)
    texts = ["".join(rng.choice(_PIECE_LIST) for _ in range(20_000)) for _ in range(2)]
    texts += ["9" * 100_000, "1 " * 50_000, "703-" * 25_000, "(" * 50_000 + "7035550142",
              " " * 100_000 + "703 555 0142", "+" * 50_000 + "17035550142",
              "7035550142 " * 10_000, ("9" * 20_000 + " ") * 12, "٧" * 50_000,
              "7 0 3 5 5 5 0 1 4 2 " * 5_000, "1.2.3.4.5.6.7." * 5_000]
    _assert_same(texts, extractor)


# --- containment, pickling, choice ------------------------------------------------------------


def test_a_panic_in_the_core_quarantines_only_that_ad(monkeypatch) -> None:
    from amberline.isolate import ScreeningFailure, screen_isolated
    from amberline.model import Ad
    from amberline.pipeline import Screener

    trap = "\U0010fffd"
    screener = Screener()
    extractor = next(e for e in screener.extractors if isinstance(e, PhoneExtractor))
    monkeypatch.setattr(extractor, "_core", extractor._build_core(panic_on=trap))
    texts = ["call 703-555-0142 today", f"bad {trap} 703 555 0142", "text (212) 555-0199"]
    with pytest.raises(core.CoreFailure, match="test panic"):
        extractor.extract(texts[1])
    ads = [Ad(source="t", source_id=str(i), body=text) for i, text in enumerate(texts)]
    results = screen_isolated(screener, ads)
    assert [isinstance(r, ScreeningFailure) for r in results] == [False, True, False]
    assert results[1].stage == "extract:phones" and "test panic" in results[1].error
    assert results[0].spans and results[2].spans


def test_pickled_extractor_rebuilds_its_core() -> None:
    extractor = pickle.loads(pickle.dumps(PhoneExtractor()))
    assert extractor._core is not None
    text = "Text (703) 555-0142 or +44 20 7946 0958, age 24 703 555 0143"
    assert _key(extractor.extract(text)) == _key(extractor.extract_reference(text))


def test_python_choice_and_other_regions_run_the_reference(monkeypatch) -> None:
    assert PhoneExtractor(default_region="GB")._core is None  # the core parses as the US does
    monkeypatch.setenv(core.ENV_VAR, "python")
    core.reset()
    try:
        assert PhoneExtractor()._core is None
    finally:
        monkeypatch.undo()
        core.reset()
    assert PhoneExtractor()._core is not None
