"""A synthetic, non-explicit corpus of `LinkRecord`s with known networks, for tests and benches.

Each network posts one text template (its own filler words around a shared clinical frame)
with a few names, cities, prices and one or two phones, some image hashes, over a few weeks;
singletons are unrelated ads. Ground truth is the network number of each record (-1 for a
singleton), so linking quality (pairwise precision/recall, ARI) can be measured exactly.
"""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta

from amberline.model import LinkRecord

CITIES = ("Springfield", "Riverton", "Lakeview", "Fairmont", "Oakdale", "Brookside",
          "Hillcrest", "Maplewood", "Cedar Falls", "Westbury", "Northgate", "Easton")
NAMES = ("Mia", "Ana", "Lily", "Rose", "Eva", "Nina", "Zoe", "Ivy", "Luna", "Sara", "Kim", "Joy")


def _word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 8)))


def _pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _near(rng: random.Random, pdq: str, bits: int) -> str:
    value = int(pdq, 16)
    for b in rng.sample(range(256), bits):
        value ^= 1 << b
    return f"{value:064x}"


def make_corpus(
    networks: int, ads_per_network: int = 8, singletons: int = 0, seed: int = 0
) -> tuple[list[LinkRecord], list[int]]:
    """(records in posting order shuffled per seed, ground-truth network per record)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    out: list[tuple[LinkRecord, int]] = []
    for net in range(networks):
        filler = [_word(rng) for _ in range(24)]
        phones = [f"+1703{net:07d}{k}" for k in range(rng.randint(1, 2))]  # unique per network
        names = rng.sample(NAMES, 3)
        cities = rng.sample(CITIES, 4)
        image = _pdq(rng)
        t0 = start + timedelta(days=rng.randint(0, 300))
        for k in range(ads_per_network):
            name, phone = rng.choice(names), rng.choice(phones)
            city = cities[k * 4 // ads_per_network]
            price = rng.choice((100, 120, 150, 200))
            text = (f"{' '.join(filler[:8])} hi gentlemen I'm {name}, {rng.randint(19, 25)} yrs, "
                    f"new in {city}. {' '.join(filler[8:16])} call {phone} now. "
                    f"{price} roses {' '.join(filler[16:])}")
            images = [{"pdq": _near(rng, image, rng.randint(0, 12)), "quality": 90,
                       "md5": f"{rng.getrandbits(128):032x}"}]
            out.append((LinkRecord(
                ad_key=f"synth:{net}-{k}", text=text,
                posted_at=t0 + timedelta(days=k * 2, hours=rng.randint(0, 20)), city=city,
                score=rng.choice((0.0, 1.0, 2.5)), flags=rng.choice(([], ["youth"], ["movement"])),
                names=[name], prices=[float(price)], keys=[("phone", phone)], images=images,
            ), net))
    for s in range(singletons):
        text = " ".join(_word(rng) for _ in range(40))
        phone = f"+1202{s:07d}"
        out.append((LinkRecord(ad_key=f"single:{s}", text=text, keys=[("phone", phone)],
                               posted_at=start + timedelta(days=rng.randint(0, 300)),
                               images=[{"pdq": _pdq(rng), "quality": 90}]), -1))
    rng.shuffle(out)
    return [r for r, _ in out], [t for _, t in out]
