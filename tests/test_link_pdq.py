"""PDQ index: same pairs as a brute-force scan; real pdqhash hashes of generated patterns."""

import numpy as np
import pdqhash
from PIL import Image, ImageFilter

from amberline.identifiers import image_keys
from amberline.link.pdq_index import PDQIndex, brute_force_pairs
from amberline.link.pdq_words import hamming, hex_to_words


def _random_words(n, seed=0):
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    for k in range(0, n, 7):  # plant neighbours at 0..40 bits from a random other hash
        x = words[rng.integers(0, n)].copy()
        for bit in rng.choice(256, rng.integers(0, 41), replace=False):
            x[bit // 64] ^= np.uint64(1) << np.uint64(63 - bit % 64)
        words[k] = x
    return words


def test_index_returns_exactly_the_brute_force_pairs():
    words = _random_words(3000)
    index = PDQIndex(31)
    index.add(words)
    q, ids, dist = index.query(words)
    keep = q < ids
    got = set(zip(q[keep].tolist(), ids[keep].tolist(), strict=True))
    a, b = brute_force_pairs(words, 31)
    assert got == set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(got) > 100  # the planted neighbours are there
    assert (dist == hamming(words[q], words[ids])).all()


def test_queries_against_a_grown_index_give_each_pair_once():
    words = _random_words(4000, seed=5)
    index = PDQIndex(31)
    index.add(words[:2500])
    index.add(words[2500:3500])  # grown in two batches, as the incremental linker does
    queries = words[3500:]
    q, ids, dist = index.query(queries)
    pairs = list(zip(q.tolist(), ids.tolist(), strict=True))
    assert len(pairs) == len(set(pairs))  # found through several slots, reported once
    d = np.bitwise_count(queries[:, None, :] ^ words[None, :3500, :]).sum(axis=2)
    expected = {(int(a), int(b)) for a, b in zip(*np.nonzero(d <= 31), strict=True)}
    assert set(pairs) == expected and len(expected) > 20
    assert (dist == d[q, ids]).all()


def test_distance_limit_is_configurable():
    words = _random_words(1500, seed=2)
    index = PDQIndex(15)
    index.add(words)
    q, ids, dist = index.query(words)
    a, b = brute_force_pairs(words, 15)
    keep = q < ids
    assert set(zip(q[keep].tolist(), ids[keep].tolist(), strict=True)) == set(
        zip(a.tolist(), b.tolist(), strict=True))
    assert dist.max() <= 15


def _pattern(seed, size=128):
    """A smooth colour pattern: a sum of random low-frequency sinusoids per channel."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    channels = []
    for _ in range(3):
        v = np.zeros((size, size))
        for _ in range(4):
            fx, fy, phase = rng.uniform(0.5, 3), rng.uniform(0.5, 3), rng.uniform(0, 6.3)
            v += np.sin(2 * np.pi * (fx * x + fy * y) + phase)
        channels.append(v)
    a = np.stack(channels, -1)
    a = (a - a.min()) / (a.max() - a.min()) * 255
    return Image.fromarray(a.astype(np.uint8))


def _pdq_hex(img):
    bits, quality = pdqhash.compute(np.asarray(img.convert("RGB"), dtype=np.uint8))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


def test_generated_pattern_and_its_blurred_copy_match_other_patterns_do_not():
    a, qa = _pdq_hex(_pattern(1))
    a_blur, _ = _pdq_hex(_pattern(1).filter(ImageFilter.GaussianBlur(1)))
    b, _ = _pdq_hex(_pattern(2))
    assert qa >= 50
    index = PDQIndex(31)
    index.add(hex_to_words([a, b]))
    _q, ids, _ = index.query(hex_to_words([a_blur]))
    assert ids.tolist() == [0]


def test_flat_image_has_low_quality_and_gives_no_pdq_key():
    flat, quality = _pdq_hex(Image.new("RGB", (64, 64), (120, 120, 120)))
    assert quality < 50
    keys = image_keys([{"pdq": flat, "quality": quality, "md5": "a" * 32}])
    assert keys == [("md5", "a" * 32)]
