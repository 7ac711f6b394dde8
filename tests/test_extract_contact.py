"""Contact and name extractors: clinical hand-written cases, shipped examples, and properties.

All text here is synthetic and non-explicit; phone numbers are in the fictional 555-01XX range.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amberline.extract._prefilter import Prefilter
from amberline.extract.base import BATCH_SEPARATOR, Extractor
from amberline.extract.emails import EmailExtractor
from amberline.extract.handles import HandleExtractor
from amberline.extract.names import NameExtractor
from amberline.extract.phones import PhoneExtractor
from amberline.extract.urls import UrlExtractor
from amberline.model import EMAIL, HANDLE, NAME, PHONE, URL

EXTRACTORS: list[Extractor] = [
    PhoneExtractor(),
    EmailExtractor(),
    UrlExtractor(),
    HandleExtractor(),
    NameExtractor(),
]
IDS = [type(x).__name__ for x in EXTRACTORS]


def values(x: Extractor, text: str) -> list:
    return [s.value for s in x.extract(text)]


@pytest.mark.parametrize("x", EXTRACTORS, ids=IDS)
def test_shipped_examples(x: Extractor) -> None:
    examples = type(x).examples()
    assert len(examples) >= 4
    for ex in examples:
        assert tuple(values(x, ex.text)) == ex.values, ex.text


@pytest.mark.parametrize(
    ("x", "kind"),
    list(zip(EXTRACTORS, [PHONE, EMAIL, URL, HANDLE, NAME], strict=True)),
    ids=IDS,
)
def test_kind_and_name(x: Extractor, kind: str) -> None:
    assert x.kind == kind
    for ex in type(x).examples():
        for s in x.extract(ex.text):
            assert s.kind == kind and s.extractor == x.name
            assert 0.0 < s.confidence <= 1.0


# --- phones -----------------------------------------------------------------------------

PHONES = PhoneExtractor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 703-555-0142", ["+17035550142"]),
        ("call 703.555.0142 now", ["+17035550142"]),
        ("call 703/555/0142", ["+17035550142"]),
        ("call (703)555-0142", ["+17035550142"]),
        ("7 0 3 5 5 5 0 1 4 2", ["+17035550142"]),
        ("Call or text703-555-0142", ["+17035550142"]),
        ("+1 (703) 555 0142", ["+17035550142"]),
        ("Age 21 703 555 0142", ["+17035550142"]),
        ("Paris: +33 1 23 45 67 89", ["+33123456789"]),
        ("$150/hr, 150 roses, 5'6, 130lbs, age 19", []),
        ("posted 2024-05-06, 05/06/2024, zip 22201-1234", []),
        ("order 12345678901234567890", []),
        ("ref 4111 1111 1111 1111", []),
        ("see example.com/ads/7035550142", []),
        ("pi is 3.14159265", []),
        # written as North Americans write a number, or not one at all
        ("call 703 555 01 42", ["+17035550142"]), ("call 703 5550 142", ["+17035550142"]),
        ("call (703)555.0.1.42", ["+17035550142"]),
        ("rates 70/80/120/160 all inclusive", []), ("rates 80/15 120/100", []),
        ("Ask for Ana 71234567 - 25", []),
    ],
)
def test_phone_cases(text: str, expected: list[str]) -> None:
    assert values(PHONES, text) == expected


def test_phone_evidence_and_confidence() -> None:
    text = "Text (703) 555-0142 or 7035550143 or 123-456-7890"
    spans = PHONES.extract(text)
    assert [text[s.start : s.end] for s in spans] == [
        "(703) 555-0142", "7035550143", "123-456-7890"]
    assert spans[0].confidence > spans[1].confidence > spans[2].confidence
    assert spans[0].attrs == {"valid": True, "region": "US"}
    assert spans[2].attrs["valid"] is False  # right length, not in the numbering plan
    assert values(PHONES, "id 1234567890") == []  # bare and merely possible: an id


def test_phone_default_region() -> None:
    gb = PhoneExtractor(default_region="GB")
    assert values(gb, "ring 020 7946 0958") == ["+442079460958"]
    assert values(gb, "US line +1 703 555 0142") == ["+17035550142"]


def test_phone_never_crosses_ad_boundary() -> None:
    text = BATCH_SEPARATOR.join(["call 703 555", "0142 today"])
    assert values(PHONES, text) == []


# --- emails -----------------------------------------------------------------------------

EMAILS = EmailExtractor()


@pytest.mark.parametrize(
    ("text", "expected", "obfuscated"),
    [
        ("mail Mia.Rose+ads@Mail.Example.co.uk.", "mia.rose+ads@mail.example.co.uk", False),
        ("mia at example dot com", "mia@example.com", True),
        ("mia AT example DOT com", "mia@example.com", True),
        ("mia [at] example [dot] com", "mia@example.com", True),
        ("mia{at}example{dot}net", "mia@example.net", True),
        ("mia @ example . com", "mia@example.com", True),
        ("mia_22 at gmail.com", "mia_22@gmail.com", True),
    ],
)
def test_email_cases(text: str, expected: str, obfuscated: bool) -> None:
    spans = EMAILS.extract(text)
    assert [s.value for s in spans] == [expected]
    assert spans[0].attrs == {"obfuscated": obfuscated}


@pytest.mark.parametrize(
    "text",
    ["meet at the hotel", "rates at 10 dot 5", "look at example.com", "@mia on insta",
     "mia at example dot qqq"],
)
def test_email_rejects(text: str) -> None:
    assert values(EMAILS, text) == []


# --- urls -------------------------------------------------------------------------------

URLS = UrlExtractor()


def test_url_cases() -> None:
    text = "Pics: http://Example.com/Mia_22, www.Example.org and example.net/rates?x=1!"
    spans = URLS.extract(text)
    assert [s.value for s in spans] == [
        "http://example.com/Mia_22", "www.example.org", "example.net/rates?x=1"]
    assert [s.attrs["host"] for s in spans] == ["example.com", "www.example.org", "example.net"]
    assert [s.attrs["bare"] for s in spans] == [False, False, True]


@pytest.mark.parametrize(
    "text",
    ["mia@example.com", "mia.co@example.com", "v1.2 and 3.50 each", "file.jpg", "contact.us today",
     "mia @ example.com"],
)
def test_url_rejects(text: str) -> None:
    assert values(URLS, text) == []


# --- handles ----------------------------------------------------------------------------

HANDLES = HandleExtractor()


@pytest.mark.parametrize(
    ("text", "value", "platform"),
    [
        ("snap: mia_22", "mia_22", "snapchat"),
        ("SC- Mia22", "mia22", "snapchat"),
        ("Snapchat mia", "mia", "snapchat"),
        ("IG @mia", "mia", "instagram"),
        ("insta: mia", "mia", "instagram"),
        ("kik me at mia22", "mia22", "kik"),
        ("telegram @mia", "mia", "telegram"),
        ("t.me/mia", "mia", "telegram"),
        ("https://www.instagram.com/mia.rose/", "mia.rose", "instagram"),
        ("x.com/mia", "mia", "twitter"),
        ("twitter: @Mia_Rose", "mia_rose", "twitter"),
        ("wechat id mia22", "mia22", "wechat"),
        ("whatsapp: +1 703 555 0142", "+17035550142", "whatsapp"),
        ("wa.me/17035550142", "+17035550142", "whatsapp"),
        ("hi @Mia_22!", "mia_22", "unknown"),
    ],
)
def test_handle_cases(text: str, value: str, platform: str) -> None:
    spans = HANDLES.extract(text)
    assert [(s.value, s.attrs["platform"]) for s in spans] == [(value, platform)]


@pytest.mark.parametrize(
    "text",
    ["mia@example.com", "snap a pic", "Columbia SC 29201", "sc area", "kik me now",
     "instagram.com/p/", "email @ example.com", "whatsapp me"],
)
def test_handle_rejects(text: str) -> None:
    assert values(HANDLES, text) == []


# --- names ------------------------------------------------------------------------------

NAMES = NameExtractor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm Candy", ["Candy"]),
        ("I am Candy", ["Candy"]),
        ("my name is mia", ["Mia"]),
        ("ask for MIA", ["Mia"]),
        ("call me Mia", ["Mia"]),
        ("this is Mia", ["Mia"]),
        ("Mia here", ["Mia"]),
        ("Hello! Mia here.", ["Mia"]),
        ("It’s Candy", ["Candy"]),
        ("names: Mia, Ruby and Jade", ["Mia", "Ruby", "Jade"]),
        ("ask for Mia or Ruby", ["Mia", "Ruby"]),
        ("I'm new", []),
        ("I'm available", []),
        ("I'm back", []),
        ("I'm in town", []),
        ("I'm here", []),
        ("I'm candy", []),
        ("call me now", []),
        ("ask for details", []),
        ("click here", []),
        ("Parking is here", []),
    ],
)
def test_name_cases(text: str, expected: list[str]) -> None:
    assert values(NAMES, text) == expected


def test_name_span_is_the_name() -> None:
    text = "Hi, my name is Ruby"
    (span,) = NAMES.extract(text)
    assert text[span.start : span.end] == "Ruby"
    assert span.attrs == {"cue": "my name is"}


# --- properties -------------------------------------------------------------------------

CLINICAL = st.sampled_from([
    "703 555 0142", "+1 (212) 555-0199", "mia at example dot com", "mia@example.com",
    "example.com/mia", "https://Example.com/a", "snap: mia_22", "IG @mia", "t.me/mia",
    "wa.me/17035550142", "whatsapp 703.555.0143", "I'm Candy", "ask for mia", "Mia here",
    "names: Mia, Ruby and Jade", "$150/hr", "2024-05-06", " ", "\n", ", ", BATCH_SEPARATOR,
])
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(CLINICAL, st.text(max_size=12)), max_size=25).map("".join),
)


@pytest.mark.parametrize("x", EXTRACTORS, ids=IDS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_spans_are_evidence(x: Extractor, text: str) -> None:
    spans = x.extract(text)
    starts = [s.start for s in spans]
    assert starts == sorted(starts)
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        evidence = text[s.start : s.end]
        assert "\f" not in evidence
        assert evidence.strip() == evidence


@pytest.mark.parametrize("x", EXTRACTORS, ids=IDS)
@settings(max_examples=150, deadline=None)
@given(parts=st.lists(TEXTS, min_size=1, max_size=4))
def test_batch_equals_one_by_one(x: Extractor, parts: list[str]) -> None:
    """Extracting a batch joined by the separator finds exactly what each ad gives alone."""
    parts = [p.replace("\f", "\n") for p in parts]  # the normaliser removes form feeds
    joined = BATCH_SEPARATOR.join(parts)
    alone, offset = [], 0
    for p in parts:
        alone += [(s.value, s.start + offset, s.end + offset) for s in x.extract(p)]
        offset += len(p) + len(BATCH_SEPARATOR)
    assert [(s.value, s.start, s.end) for s in x.extract(joined)] == alone


def _without_hyperscan(x: Extractor) -> Extractor:
    """A twin of `x` that runs its exact regexes over the whole text (the no-Hyperscan path)."""
    twin = type(x)()
    for obj in (twin, getattr(twin, "_phones", None)):
        if obj is None:
            continue
        for attr in vars(obj).values():
            if isinstance(attr, Prefilter):
                attr.available = False
    return twin


@pytest.mark.parametrize("x", EXTRACTORS, ids=IDS)
@settings(max_examples=200, deadline=None)
@given(text=TEXTS)
def test_prefilter_loses_nothing(x: Extractor, text: str) -> None:
    """The Hyperscan prefilter only skips work: results equal the plain-regex path."""
    twin = _without_hyperscan(x)
    assert any(isinstance(v, Prefilter) and not v.available for v in vars(twin).values())
    assert [(s.value, s.start, s.end) for s in x.extract(text)] == [
        (s.value, s.start, s.end) for s in twin.extract(text)]


# --- North American numbers answered from their first seven digits ----------------------------


def test_nanp_shortcut_holds_for_installed_metadata() -> None:
    from amberline.extract import nanp

    assert nanp.shortcut_safe()  # else parse_phone silently falls back: slower, still right
    assert nanp.free_tail(r"[2-9]\d{9}|3\d{6}")
    assert not nanp.free_tail(r"246521[0369]\d{2}[2-9]")  # a constrained later digit
    assert not nanp.free_tail(r"\d{3,9}1")  # cannot tell where the 1 falls: not free
    assert nanp.national("7035550142", "US") == "7035550142"
    assert nanp.national("17035550142", "US") == "7035550142"
    assert nanp.national("+17035550142", "GB") == "7035550142"
    assert nanp.national("7035550142", "GB") is None  # parsed in another plan
    assert nanp.national("0235550142", "US") is None


_NANP_DIGITS = st.tuples(
    st.sampled_from(["", "1", "+1", "+", "0", "11"]),
    st.one_of(st.from_regex(r"[2-9]\d{2}[2-9]\d{6}", fullmatch=True),
              st.from_regex(r"(246|876|658|264|809|\d{3})(555|\d{3})\d{4}", fullmatch=True),
              st.from_regex(r"\d{7,12}", fullmatch=True)),
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_NANP_DIGITS, st.sampled_from(["US", "CA", "GB"]))
def test_parse_phone_equals_phonenumbers(digits: str, region: str) -> None:
    from amberline.extract.phones import parse_phone, parse_with_phonenumbers

    assert parse_phone(digits, region) == parse_with_phonenumbers(digits, region)


@pytest.mark.parametrize(("text", "urls", "emails"), [
    ("mia (at) example.com", [], ["mia@example.com"]),
    ("ruby [at] example.org or jade at example.net", [], ["ruby@example.org",
                                                          "jade@example.net"]),
    ("mia @ example.com", [], ["mia@example.com"]),
    ("find me at example.com", ["example.com"], []),
    ("book at www.example.org/mia", ["www.example.org/mia"], []),
])
def test_url_is_not_the_domain_of_an_obfuscated_address(text, urls, emails):
    assert [s.value for s in UrlExtractor().extract(text)] == urls
    assert [s.value for s in EmailExtractor().extract(text)] == emails


def test_phone_with_quote_separators():
    assert [s.value for s in PhoneExtractor().extract('call 703"555"0142')] == ["+17035550142"]
