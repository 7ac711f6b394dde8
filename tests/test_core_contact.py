"""The core's contact extractors against the Python reference: identical spans, or the test fails.

The specification is the Python extractors (`extract/emails.py`, `urls.py`, `handles.py`):
their regexes with Python's lookarounds, possessive quantifiers and Unicode classes, run over
the whole text (`finditer`, the path without Hyperscan, of which the Hyperscan prefilter must
only skip work). The core must give the same spans (kind, value, offsets, confidence, attrs)
in the same order on the synthetic corpus (raw and normalised), every clinical fixture,
fuzzed text built from the pieces these patterns care about (spelled "at"/"dot", brackets,
TLDs, schemes, platform words and connectors, characters that case-insensitive `re` folds to
ASCII, other scripts' digits and letters, dashes, the batch separator) and huge inputs. A panic
inside the core fails the batch with `CoreFailure`, and `screen_isolated` then quarantines
only the ad that caused it.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.extract import contact_core, handles
from amberline.extract._prefilter import Prefilter
from amberline.extract.base import BATCH_SEPARATOR, Extractor
from amberline.extract.emails import EmailExtractor
from amberline.extract.handles import HandleExtractor
from amberline.extract.urls import UrlExtractor
from core_support import built_core, fixture_strings, needs_active_core

_core = built_core()
pytestmark = needs_active_core()

CLASSES = (EmailExtractor, UrlExtractor, HandleExtractor)


def _reference(cls: type[Extractor]) -> Extractor:
    """The Python extractor running its exact regexes over the whole text (no Hyperscan)."""
    x = cls(engine="python")
    for obj in (x, getattr(x, "_phones", None)):
        for attr in vars(obj).values() if obj is not None else ():
            if isinstance(attr, Prefilter):
                attr.available = False
    return x


@pytest.fixture(scope="module")
def pairs() -> list[tuple[Extractor, Extractor, Extractor]]:
    """(core, reference without Hyperscan, reference as configured) per extractor."""
    return [(cls(engine="core"), _reference(cls), cls(engine="python")) for cls in CLASSES]


def _key(spans) -> list[tuple]:
    return [(s.kind, s.value, s.start, s.end, s.extractor, s.confidence, s.attrs) for s in spans]


def _assert_same(texts: list[str], pairs, *, prefiltered: bool = True) -> int:
    """Each text alone and all of them joined as the pipeline joins a batch; returns the
    number of spans the reference found."""
    found = 0
    joined = BATCH_SEPARATOR.join(t.replace("\f", "\n") for t in texts)
    for x, ref, configured in pairs:
        for text in [*texts, joined]:
            got = _key(x.extract(text))
            assert got == _key(ref.extract(text)), (type(x).__name__, text)
            if prefiltered:
                assert got == _key(configured.extract(text)), (type(x).__name__, text)
            found += len(got)
    return found


# --- corpora ----------------------------------------------------------------------------------


def test_synthetic_corpus_raw_and_normalised(pairs) -> None:
    from amberline.synth.generate import generate
    from amberline.text.normalise import reference_batch

    for seed in (5, 23):
        ads, _truth = generate(1500, seed)
        texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
        assert _assert_same(texts, pairs) > len(texts)  # the corpus does exercise them
        _assert_same([n.text for n in reference_batch(texts)], pairs)


def test_clinical_fixtures(pairs) -> None:
    texts = fixture_strings("test_extract_contact.py", "test_extractor_examples.py",
                            "test_normalise.py", "test_extract_profile.py", "test_scan.py",
                            "test_link_networks.py", "test_identifiers.py")
    texts += [e.text for cls in CLASSES for e in cls.examples()]
    assert len(texts) > 100
    _assert_same(texts, pairs)
    _assert_same([t.upper() for t in texts], pairs)


# --- fuzzing ----------------------------------------------------------------------------------

_PIECE_LIST = (
    ["mia", "Mia_22", "ruby.rose", "x", "7", "703", "555", "0142", "a1", "_", ".", "..", "-",
     "@", " @ ", "@ ", " at ", " AT ", " aT ", "at", "(at)", "[at]", "{ at }", "<AT>", " dot ",
     "(dot)", "[ dot ]", "dot", ".", " . ", "com", "COM", "net", "org", "me", "us", "io", "co",
     "uk", "info", "ſ", "K", "ı", "İ", "ıt", "İnfo", "coK", "www.", "WWW.", "http://",
     "https://", "HTTPS://", "ftp://", "/", "/p", "?", "#", ":", ":8080", "(", ")", "'", '"',
     ",", ";", "!", "*", "]", "}", "%", "+", "=", ">", "–", "—", "‐", "snap", "Snap chat",
     "snapchat", "sc", "SC", "ig", "IG", "insta", "instagram", "twitter", "kik", "telegram",
     "tg", "we chat", "wechat", "weixin", "whatsapp", "whats app", "id", "me", "is", "name",
     "handle", "username", "user", "add", "on", "t.me/", "wa.me/", "x.com/", "instagr.am/",
     "snapchat.com/add/", "kik.me/", "telegram.me/", "instagram.com/", "twitter.com/",
     "example", "find", "photos", "email", " ", "  ", "\t", "\n", "\f", "\n\f\n", "é", "ü",
     "٧", "７", "²", "\u00a0", "\u2003", "🔥", "💋", "\ud800", "a" * 70, "1" * 12,
     "example.", "e.g.", "5.5", "photo.jpg", "mail", "call.me", "log.in"]
)  # fmt: skip
_TEXTS = st.one_of(
    st.lists(st.sampled_from(_PIECE_LIST), max_size=40).map("".join),
    st.text(alphabet=st.characters(codec=None), max_size=60),  # any code point, surrogates too
    st.lists(st.one_of(st.sampled_from(_PIECE_LIST), st.text(max_size=3)), max_size=30)
    .map("".join),
)


@settings(max_examples=600, deadline=None)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=6))
def test_fuzzed_texts(pairs, texts: list[str]) -> None:
    _assert_same(texts, pairs)


def test_cue_and_link_starts_at_every_offset(pairs) -> None:
    """A cue or a link at any offset (the core looks for their starts in blocks of bytes),
    after a word character (which starts none) or after a space or a sign (which starts one)."""
    texts = [f"{'y' * k}{before}{cue}"
             for k in range(70) for before in ("x", "_", "é", " ", ".", "🔥")
             for cue in ("snap: mia_22 ", "t.me/mia_22", "IG - ruby.rose")]
    assert _assert_same(texts, pairs) > len(texts)


def test_matches_as_far_from_their_at_dot_or_scheme_as_they_reach(pairs) -> None:
    """The core starts each regex search only as far before the next "@", spoken "at",
    listed TLD or "://" as a match may reach: local parts of up to 64 characters and past,
    blank and bracket runs before a spelled "at", long host runs, schemes after one or two
    characters, and a second address after a first."""
    texts = []
    for k in (1, 2, 62, 63, 64, 65, 66):
        local = "m" * (k - 1) + "a"
        for before in ("", "x", " ", "\t", "@", "-", "é", "see "):
            texts += [f"{before}{local}@example.com", f"{before}{local}.b@ex-ample.co.uk me",
                      f"{before}{local}   at   example dot com",
                      f"{before}{local} \t( at ) example (dot) com",
                      f"{before}{local} [ [at] example . com", f"{before}{local}@ example. com"]
    for before in ("", "x", " ", "\t", "@ ", "a ", "/", "é", "ab"):
        texts += [f"{before}https://example.com/a", f"{before}ftp://x.org", f"{before}HtTp://a",
                  f"{before}{'a-b.' * 30}example.com/p", f"{before}www.example.com.",
                  f"{before}example.me, and mia@example.com then www.example.org"]
    assert _assert_same(texts, pairs) > len(texts) // 2  # (a local part past 64 is none)


def test_cues_and_links_that_start_with_a_letter_re_folds(pairs) -> None:
    """A cue or a link whose first letter is one case-insensitive `re` matches to an ASCII
    one ("ſnap", Kelvin sign "Kik"), at any offset: the core tests ASCII bytes in blocks and
    looks the others up. The reference's Hyperscan triggers do not name these letters: the
    configured reference scans such a text's folded view, and finds what the whole-text
    reference does."""
    texts = [f"{'y' * k}{before}{cue}"
             for k in range(40) for before in (" ", "\u017f", "(")
             for cue in ("\u017fnap: mia_22 ", "\u212aik.me/mia22", "\u212aik mia_22",
                         "inſtagram.com/mia22", "httpſ://kik.me/mia22", "İg mia_22")]
    assert _assert_same(texts, pairs) > len(texts) // 2


def test_letters_re_folds_in_tlds_and_schemes(pairs) -> None:
    """A TLD or scheme with a letter case-insensitive `re` matches to an ASCII one ("ıt",
    "httpſ"): the reference's Hyperscan triggers name those letters too, so the configured
    reference finds what the whole-text reference and the core find."""
    texts = ["see example.\u0131t now", "www.example.\u0131T", "HTTP\u017f://example.org/a",
             "example.\u0130nfo, call", "mia.\u212aitchen.co\u212a"]
    assert _assert_same(texts, pairs) >= 3


def test_huge_inputs(pairs) -> None:
    rng = random.Random(11)
    texts = ["".join(rng.choice(_PIECE_LIST) for _ in range(8000)) for _ in range(2)]
    texts += [
        "a." * 40_000 + "com",
        "." + "a." * 40_000 + "com/x",
        "x" * 50_000 + "@example.com",
        "mia at " * 10_000 + "example dot com",
        "@" * 30_000 + "mia",
        "snap " * 20_000 + "mia22",
        "https://" + "a" * 60_000,
        ("www.example.com/" + "(" * 500 + ")" * 600) * 20,
        # many matches after one another, with no "://" or "@" after them
        "see example.com " * 5_000,
        "mia at example dot com " * 2_000,
    ]
    # Windows of the Hyperscan path end before some of these (documented limits): the
    # whole-text regex path is the specification here.
    _assert_same(texts, pairs, prefiltered=False)


# --- containment, engine choice ---------------------------------------------------------------


def test_platforms_agree() -> None:
    assert tuple(_core.CONTACT_PLATFORMS) == handles._CORE_PLATFORMS  # type: ignore[union-attr]


def test_whatsapp_phones_are_left_to_python(pairs) -> None:
    """A WhatsApp cue before a number or a wa.me link: the core hands that piece of text to
    the Python extractor (its value needs the phone parser); the other ads of the batch
    stay with the core."""
    texts = ["snap: mia_22", "whatsapp 703 555 0142 or IG @ruby", "wa.me/17035550142",
             "kik me at jade22"]
    joined = BATCH_SEPARATOR.join(texts)
    rows, _ = contact_core.scan(joined, contact_core.scanner())
    pieces = [(s, e) for s, e in rows[rows[:, 0] == contact_core.HANDLE_PYTHON][:, 1:3].tolist()]
    assert [joined[s:e] for s, e in pieces] == texts[1:3]
    got = HandleExtractor(engine="core").extract(joined)
    assert [s.value for s in got] == ["mia_22", "+17035550142", "ruby", "+17035550142", "jade22"]
    _assert_same(texts, pairs)


def test_a_panic_in_the_core_quarantines_only_that_ad(monkeypatch) -> None:
    from amberline.isolate import ScreeningFailure, screen_isolated
    from amberline.model import Ad
    from amberline.pipeline import Screener

    trap = "\U0010fffd"
    broken = contact_core.build(_core, panic_on=trap)
    with pytest.raises(core.CoreFailure, match=r"contact extractors failed .*test panic"):
        contact_core.scan(f"mia@example.com {trap}", broken)
    screener = Screener()
    monkeypatch.setattr(contact_core, "scanner", lambda: broken)
    texts = ["write mia@example.com", f"bad {trap} ruby@example.com", "snap: jade22"]
    ads = [Ad(source="t", source_id=str(i), body=text) for i, text in enumerate(texts)]
    results = screen_isolated(screener, ads)
    assert [isinstance(r, ScreeningFailure) for r in results] == [False, True, False]
    assert results[1].stage == "extract:emails" and "test panic" in results[1].error
    assert [s.value for s in results[0].spans if s.kind == "email"] == ["mia@example.com"]
    assert [s.value for s in results[2].spans if s.kind == "handle"] == ["jade22"]


def test_engine_choice() -> None:
    assert EmailExtractor()._core  # auto: the core, when built
    assert not UrlExtractor(engine="python")._core
    with pytest.raises(ValueError):
        HandleExtractor(engine="bogus")


def test_bad_buffers_are_rejected() -> None:
    scanner = contact_core.scanner()
    with pytest.raises(ValueError):
        scanner.scan_batch(b"abc", [0, 0])  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        scanner.scan_batch(b"a\0\0\0", [0, 2])  # type: ignore[attr-defined]
