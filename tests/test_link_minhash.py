"""MinHash signatures match datasketch exactly; LSH finds planted near-duplicates only."""

import random
import re
import string
import zlib

import datasketch
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from amberline.link.components import canonical, components
from amberline.link.minhash import _TOKEN, MinHasher, jaccard_estimate, token_hashes
from amberline.link.neardup import band_keys, candidate_pairs, similar_pairs
from amberline.store.networks import signature_blobs

TEXTS = [
    "Sweet new girl in town, ask for Mia, call 703 555 0142",
    "Sweet new girl in town, ask for Ana, call 703 555 0199",
    "short",
    "",
    "Appointment only, text first, discreet location downtown near the station",
]


def _words(rng, n):
    return ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(n)]


def test_signatures_equal_datasketch_value_for_value():
    mh = MinHasher(num_perm=64, seed=7)
    sig, empty = mh.signatures(TEXTS)
    assert empty.tolist() == [False, False, False, True, False]
    for text, row in zip(TEXTS, sig, strict=True):
        ref = datasketch.MinHash(num_perm=64, seed=7, scheme="affine32", hashfunc=lambda x: x)
        for h in mh.shingle_hashes(text):
            ref.update(int(h))
        assert np.array_equal(ref.hashvalues, row)


def test_numbers_are_masked_so_only_digits_differing_keeps_signature():
    mh = MinHasher()
    sig, _ = mh.signatures(["call 703 555 0142 for Mia", "call 202 555 9876 for Mia",
                            "call 703 555 0142 for Ana"])
    assert np.array_equal(sig[0], sig[1])
    assert not np.array_equal(sig[0], sig[2])


def test_jaccard_estimate_close_to_true_jaccard():
    rng = random.Random(3)
    mh = MinHasher(num_perm=256)
    base = _words(rng, 80)
    for changes in (0, 5, 15, 30):
        other = list(base)
        for pos in rng.sample(range(80), changes):
            other[pos] = "zz" + other[pos]
        a, b = set(mh.shingle_hashes(" ".join(base))), set(mh.shingle_hashes(" ".join(other)))
        true = len(a & b) / len(a | b)
        sig, _ = mh.signatures([" ".join(base), " ".join(other)])
        est = jaccard_estimate(sig, np.array([0]), np.array([1]))[0]
        assert abs(est - true) < 0.1, (changes, est, true)


def _corpus(groups=300, per=4, seed=0):
    rng = random.Random(seed)
    texts, truth = [], []
    for g in range(groups):
        base = _words(rng, 50)
        for _ in range(per):
            t = list(base)
            t[rng.randrange(50)] = "qq"
            texts.append(" ".join(t))
            truth.append(g)
    return texts, np.array(truth)


def test_signature_rows_are_the_signatures_as_stored_blobs():
    """What a scan stores (`signature_rows`) is `signatures`, row by row, as the store's blobs:
    texts the core declines (a capital sigma, a dotted capital I) and empty ones included,
    and batches larger than one chunk of texts."""
    texts = [*TEXTS, "ΟΔΟΣ 5 near the station", "İstanbul new in town", "   ", "!!"]
    for hasher in (MinHasher(), MinHasher(num_perm=16, shingle_size=2, seed=5)):
        blobs, empty = hasher.signature_rows(texts)
        sig, want_empty = hasher.signatures(texts)
        assert blobs == signature_blobs(sig)
        assert empty == want_empty.tolist() and all(type(e) is bool for e in empty)
    assert MinHasher().signature_rows([]) == ([], [])


def test_signature_rows_across_chunks(monkeypatch):
    from amberline.link import minhash

    monkeypatch.setattr(minhash, "_CHUNK_TEXTS", 3)
    texts = [*TEXTS, "ΟΔΟΣ 5", "x y z"]
    blobs, empty = MinHasher().signature_rows(texts)
    sig, want_empty = MinHasher().signatures(texts)
    assert blobs == signature_blobs(sig) and empty == want_empty.tolist()


def test_lsh_finds_planted_groups_and_nothing_across():
    texts, truth = _corpus()
    sig, empty = MinHasher().signatures(texts)
    i, j, est = similar_pairs(sig, empty, 0.6)
    assert (truth[i] == truth[j]).all()
    assert (est >= 0.6).all()
    # within-group pairs have Jaccard ~0.78; banding finds >= 98% of the 6 pairs per group
    assert len(i) >= 0.98 * 300 * 6
    labels = components(len(texts), i, j)
    assert np.array_equal(labels, canonical(truth))


def test_new_from_returns_only_pairs_with_a_new_ad():
    texts, _ = _corpus(groups=50)
    sig, empty = MinHasher().signatures(texts)
    i_all, j_all, _ = similar_pairs(sig, empty, 0.6)
    i, j, _ = similar_pairs(sig, empty, 0.6, new_from=120)
    expected = {(a, b) for a, b in zip(i_all, j_all, strict=True) if b >= 120}
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected


def test_big_bucket_is_chained_not_all_pairs():
    sig = np.tile(np.arange(16, dtype=np.uint32), (200, 1))  # 200 identical signatures
    keys = band_keys(sig, 4, 4)
    i, j = candidate_pairs(keys, np.ones(200, bool), max_bucket=50)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(k, k + 1) for k in range(199)]
    i, j = candidate_pairs(keys[:20], np.ones(20, bool), max_bucket=50)
    assert len(i) == 20 * 19 // 2


def test_empty_texts_never_pair():
    sig, empty = MinHasher().signatures(["", "", "   ", "one two three"])
    i, _, _ = similar_pairs(sig, empty, 0.5)
    assert len(i) == 0


@given(st.lists(st.text(min_size=0, max_size=30), max_size=40))
def test_vectorised_token_hashes_equal_zlib_crc32_of_masked_lower_tokens(texts):
    toks = [t for text in texts for t in _TOKEN.findall(text)]
    expected = [zlib.crc32(re.sub(r"\d", "0", t.lower()).encode("utf-8", "surrogatepass"))
                for t in toks]
    assert token_hashes(toks).tolist() == expected


def test_token_hashes_of_awkward_unicode():
    toks = ["İstanbul", "ΟΔΟΣ", "straße", "٣٤٥", "ﬁne", "漢字", "a", "x" * 300]
    expected = [zlib.crc32(re.sub(r"\d", "0", t.lower()).encode()) for t in toks]
    assert token_hashes(toks).tolist() == expected
