"""The core's MinHash signatures against the Python reference: identical values.

The specification is `MinHasher.reference_signatures` (`link/minhash.py`, itself held to
datasketch by `test_link_minhash.py`): tokens of `[^\\W_]+`, lower-cased and digit-masked,
CRC-32 per token, shingles combined, premixed and permuted. The core must give the same
signature and empty mark for every text: the synthetic corpus, the clinical fixtures of the
linking tests, fuzzed text (other scripts' digits, a dotted capital I, capital sigmas, combining
marks, emoji, lone surrogates, NUL) and huge inputs, with other permutation counts, seeds and
shingle sizes too. A panic inside the core on one text is reported with a warning and that
text is signed by the reference.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.link import minhash
from amberline.link.minhash import HARD_LOWER, MinHasher
from amberline.store.networks import signature_blobs
from core_support import built_core, fixture_strings, hostile_texts, needs_active_core

_core = built_core()
pytestmark = needs_active_core()


def _assert_same(texts: list[str], hasher: MinHasher | None = None) -> None:
    hasher = hasher or MinHasher()
    got_sig, got_empty = hasher.signatures(texts)
    want_sig, want_empty = hasher.reference_signatures(texts)
    assert got_sig.dtype == want_sig.dtype == np.uint32
    assert got_empty.tolist() == want_empty.tolist()
    for text, got, want in zip(texts, got_sig, want_sig, strict=True):
        assert np.array_equal(got, want), text


def test_the_core_signs_and_declines_only_what_it_must() -> None:
    """The core path is taken (not a silent fallback): plain text is signed by the core, a
    text with a hard lower case is declined and handed back."""
    hasher = MinHasher()
    data, bounds = minhash.core.batch_buffer(["Ask for Mia", "ΟΔΟΣ 5", "İstanbul", "x"])
    _, none, declined, errors = minhash._signer().signatures(
        data, bounds, hasher._a_bytes, hasher._b_bytes, 3)
    assert declined == [1, 2] and errors == []
    assert list(none) == [0, 0, 0, 0]


def test_synthetic_corpus() -> None:
    from amberline.synth.generate import generate

    ads, _truth = generate(1500, 17)
    texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
    _assert_same(texts)
    _assert_same(texts[:300], MinHasher(num_perm=64, shingle_size=2, seed=7))


def test_clinical_fixtures() -> None:
    texts = fixture_strings("test_link_minhash.py", "test_link_edges.py",
                            "test_link_contacts.py", "test_link_templates.py",
                            "test_link_place.py", "test_extractor_examples.py")
    assert len(texts) > 100
    _assert_same(texts)
    _assert_same([t.upper() for t in texts])
    _assert_same(texts, MinHasher(num_perm=17, shingle_size=1, seed=3))


def test_no_other_character_lowers_to_several() -> None:
    """`HARD_LOWER` is complete: every other code point lowers to exactly one character, so
    the core's one-to-one table (plus declining these) is `str.lower`."""
    several = [c for c in map(chr, range(0x110000)) if len(c.lower()) != 1]
    assert set(several) <= set(HARD_LOWER)
    assert "\u03a3" in HARD_LOWER  # its lower case depends on the letters around it


_PIECES = st.one_of(
    st.sampled_from(["call", "Mia", "ANA", "incall", "outcall", "703", "555-0142", "x"]),
    st.sampled_from(["İ", "ı", "Σ", "ΟΔΟΣ", "σ", "ς", "\u0307", "\u0301", "ſ", "\u212a", "ß",
                     "ǅ", "Ⅻ", "½", "٣", "𝟘", "①", "_", "\x00", "\ud800", "\udfff", "🌹", "👩‍👩‍👧",
                     "\u00a0", "\n", " ", "-", "'", "ʼ", "ᾈ", "Å", "ﬁ"]),
    st.text(max_size=4),
)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(hostile_texts(_PIECES), min_size=1, max_size=6),
       shingle=st.integers(1, 4))
def test_fuzzed_texts(texts: list[str], shingle: int) -> None:
    _assert_same(texts, MinHasher(num_perm=32, shingle_size=shingle, seed=5))


def test_huge_inputs() -> None:
    rng = random.Random(3)
    words = ["call", "Mia", "703", "ΟΔΟΣ", "İ", "🌹", "new", "in", "town", "٣٤"]
    texts = [" ".join(rng.choice(words) for _ in range(40_000)) for _ in range(2)]
    texts += [" " * 100_000 + "one two three", "a" * 200_000, "ab " * 50_000, ""]
    _assert_same(texts)


def test_a_panic_is_signed_by_the_reference_with_a_warning(monkeypatch) -> None:
    trap = "\U0010fffd"
    monkeypatch.setattr(minhash, "_signer", lambda: _core.MinHashSigner(
        *_signer_tables(), panic_on=ord(trap)))
    hasher = MinHasher()
    texts = ["Ask for Mia today", f"call {trap} now", "new in town"]
    with pytest.warns(RuntimeWarning, match=r"MinHash failed on 1 text.*text 1.*test panic"):
        sig, empty = hasher.signatures(texts)
    want_sig, want_empty = hasher.reference_signatures(texts)
    assert np.array_equal(sig, want_sig) and empty.tolist() == want_empty.tolist()
    with pytest.warns(RuntimeWarning, match=r"MinHash failed on 1 text.*text 1.*test panic"):
        blobs, none = hasher.signature_rows(texts)
    assert blobs == signature_blobs(want_sig) and none == want_empty.tolist()


def _signer_tables() -> tuple[bytes, list[tuple[int, int]], list[int]]:
    from amberline.text.native import unicode_tables

    tables = unicode_tables()
    return tables.flags, list(tables.lower), [ord(c) for c in HARD_LOWER]


def test_bad_arguments_are_refused() -> None:
    signer = minhash._signer()
    data, bounds = minhash.core.batch_buffer(["a b c"])
    with pytest.raises(ValueError, match="same, positive length"):
        signer.signatures(data, bounds, b"\x01\x00\x00\x00", b"", 3)
    with pytest.raises(ValueError, match="multiple of 4"):
        signer.signatures(data, bounds, b"\x01\x00\x00", b"\x01\x00\x00", 3)
    with pytest.raises(ValueError, match="bounds"):
        signer.signatures(data, [0, 99], b"\x01\x00\x00\x00", b"\x01\x00\x00\x00", 3)
