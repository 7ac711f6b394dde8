"""Write the synthetic demo corpus: ads as dicts (or JSON Lines), plus its ground truth.

Why streaming: demos and benchmarks want 10^5+ ads in seconds without holding them, so
networks are planned up front (`plan.py`) and ads are then written one by one in posting order
from a single seeded random stream; the same seed always gives the same corpus.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from amberline.synth import vocabulary as v
from amberline.synth.compose import Draft, compose, fill
from amberline.synth.images import pattern_b64
from amberline.synth.phones import PhonePool, pick_form, render
from amberline.synth.places import CITIES, CITY_BY_NAME, City
from amberline.synth.plan import NetworkPlan, network_sizes, plan_network, schedule
from amberline.synth.truth import SAMPLE_CAP, CorpusSummary, GroundTruth

# Bigger metros have more area codes, and more ads.
Facts = Callable[[], dict[str, Any]]  # an ad's expected extraction, built on demand
_CITY_CUM = list(itertools.accumulate(len(c.area_codes) for c in CITIES))
_SOURCE_CUM = list(itertools.accumulate(v.SOURCE_WEIGHTS))


def truth_path(out: Path) -> Path:
    """Where the truth of corpus `out` goes: `<stem>.truth.json` beside it."""
    return out.with_name(out.stem + ".truth.json")


class _Writer:
    """Holds the random streams and counters while one corpus is written."""

    def __init__(self, n_ads: int, seed: int, start: date, with_images: bool) -> None:
        self.rng = random.Random(seed)
        self.img_rng = random.Random(f"images:{seed}")  # images never shift the text stream
        nrng = np.random.default_rng(seed)
        self.pool = PhonePool(seed)
        self.serial = [0]
        self.with_images = with_images
        self.seed = seed
        networks = [plan_network(i, size, self.rng, self.pool, with_images, self.serial)
                    for i, size in enumerate(network_sizes(nrng, n_ads))]
        self.times, self.owners = schedule(nrng, n_ads, networks)
        self.t_start = datetime(start.year, start.month, start.day)  # UTC, written with "Z"
        self.step = max(1, math.ceil(n_ads / SAMPLE_CAP))
        self.truth = GroundTruth(seed, n_ads, start, with_images, networks)
        # Only 100 fictional lines per area code exist: in big corpora, spread the independents
        # who go without a phone (handle only) evenly over time instead of running dry at the end.
        burners = sum(n.size for n in networks if not n.phones)
        independents = n_ads - sum(n.size for n in networks)
        spare = self.pool.capacity - self.pool.issued - burners
        self.p_phone = min(0.93, 0.97 * spare / independents) if independents else 0.93

    # -- small parts -----------------------------------------------------------------------
    def _handle(self, name: str) -> str:
        self.serial[0] += 1
        sep = self.rng.choice(("", "_", "."))
        return f"{name.lower()}{sep}{self.rng.choice(v.HANDLE_WORDS)}{self.serial[0]}"

    def _email_text(self, address: str, form: str) -> str:
        user, domain = address.split("@")
        stem, tld = domain.rsplit(".", 1)
        return form.format(user=user, domain=domain, stem=stem, tld=tld)

    def _age(self) -> int:
        x = self.rng.random()
        if x < 0.05:
            return self.rng.randint(18, 19)
        return self.rng.randint(20, 35) if x < 0.93 else self.rng.randint(36, 45)

    def _image(self, seed: int, resize: int = 0) -> dict[str, str]:
        self.truth.n_images += 1
        return {"base64": pattern_b64(seed, resize)}

    def _fill(self, draft: Draft, name: str, age: int, city: City, numbers: list[str],
              handle: str, email: str, network: bool,
              form: str | None = None) -> tuple[str, str, Facts]:
        """Fill the slots; the facts (expected extraction) are built only for sampled ads.
        `form` is a network's usual way of writing its numbers."""
        forms = [form or pick_form(self.rng, network) for _ in numbers]
        texts = [render(num, form, self.rng) for num, form in zip(numbers, forms, strict=True)]
        n = ""
        if draft.price_range:
            low, high = draft.price_range
            n = str(low + 10 * int(self.rng.random() * ((high - low) // 10 + 1)))
        slots = {"name": name, "age": str(age), "city": city.name, "city_tag": city.tag,
                 "n": n, "phone": " or ".join(texts), "handle": handle,
                 "email": self._email_text(email, draft.email_form) if email else ""}

        def facts() -> dict[str, Any]:
            return {"phones": numbers, "phone_text": texts, "phone_forms": forms,
                    "ages": [age] if draft.has_age else [], "names": [name], "city": city.name,
                    "handles": [handle] if handle else [], "emails": [email] if email else [],
                    "indicators": [[c, fill(t, slots) if "{" in t else t]
                                   for c, t in draft.indicators]}

        return fill(draft.title, slots), fill(draft.body, slots), facts

    # -- the two kinds of advertiser -------------------------------------------------------
    def _independent(self, ad_id: str, rec: dict[str, Any]) -> Facts:
        r = self.rng.random
        name = self.rng.choice(v.NAMES)
        city = self.rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
        phone = self.pool.take(city.area_codes) if r() < self.p_phone else None
        if phone is None:
            self.truth.ads_without_phone += 1
        handle = self._handle(name) if (r() < 0.35 or phone is None) else ""
        email = f"{self._handle(name)}@{self.rng.choice(v.EMAIL_DOMAINS)}" if r() < 0.1 else ""
        draft = compose(self.rng, network=False, phone=phone is not None, handle=bool(handle),
                        email=bool(email))
        title, body, facts = self._fill(draft, name, self._age(), city,
                                        [phone] if phone else [], handle, email, False)
        if r() < 0.35:
            hub = self.truth.hubs.setdefault(rec["source"], {
                "kind": "boilerplate", "source": rec["source"], "n_ads": 0,
                "texts": [d.format(site=rec["source"]) for d in v.DISCLAIMERS]})
            hub["n_ads"] += 1
            body += "\n" + self.rng.choice(hub["texts"])
        if self.with_images and self.img_rng.random() < 0.5:
            rec["images"] = [self._image(self.img_rng.getrandbits(48) | 1 << 48)]
        self.truth.independent += 1
        rec.update(city=city.name, region=city.region, title=title, body=body)
        return facts

    def _numbers(self, net: NetworkPlan, k: int, city: City) -> list[str]:
        phones = net.phones
        if not phones:
            fresh = self.pool.take(city.area_codes)
            if fresh is None:
                self.truth.ads_without_phone += 1
            return [fresh] if fresh else []
        if 1 <= k < len(phones):  # the first ads chain all of a network's phones together
            return [phones[0], phones[k]]
        if len(phones) > 1 and self.rng.random() < 0.2:
            return self.rng.sample(phones, 2)
        return [self.rng.choice(phones)]

    def _network_ad(self, net: NetworkPlan, t: float, ad_id: str,
                    rec: dict[str, Any]) -> Facts:
        r = self.rng.random
        if r() < 0.8:
            rec["source"] = net.source
        k = len(net.ads) - 1 - net.reposts  # this ad's place among the network's own ads
        if net.archetype == "full" and net.last is not None and k >= len(net.phones) \
                and r() < 0.15:
            net.reposts += 1  # the same ad posted again, word for word
            rec.update(net.last["rec"])
            self.truth.n_images += len(rec.get("images", ()))
            return net.last["facts"]
        city = CITY_BY_NAME[net.city_at(t)]
        if city.name not in net.cities:
            net.cities.append(city.name)
        name = self.rng.choice(net.names)
        age = net.ages[name]
        numbers = self._numbers(net, k, city)
        handle = self.rng.choice(net.handles) if net.handles else ""
        email = self.rng.choice(net.emails) if net.emails else ""
        draft = net.template or compose(self.rng, network=True, phone=bool(numbers),
                                        handle=bool(handle), email=bool(email))
        form = net.phone_form if self.rng.random() < 0.8 else None
        title, body, facts = self._fill(draft, name, age, city, numbers, handle, email, True,
                                        form)
        if age < 18 and draft.has_age:
            self.truth.minor_age_ads.append(ad_id)
        if self.with_images:
            if net.image_seeds:
                images = [self._image(net.image_seeds[0])]
                if len(net.image_seeds) > 1 and self.img_rng.random() < 0.5:
                    images.append(self._image(net.image_seeds[1]))
                if self.img_rng.random() < 0.2:  # re-saved at another size: same to PDQ
                    images.append(self._image(net.image_seeds[0], self.img_rng.choice((80, 112))))
                rec["images"] = images
            elif self.img_rng.random() < 0.5:
                rec["images"] = [self._image(self.img_rng.getrandbits(48) | 1 << 48)]
        rec.update(city=city.name, region=city.region, title=title, body=body)
        if net.archetype == "full":
            net.last = {"rec": {key: rec[key] for key in ("city", "region", "title", "body",
                                                           "images") if key in rec}, "facts": facts}
        return facts

    def ads(self) -> Iterator[dict[str, Any]]:
        networks = self.truth.networks
        for i, (t, owner) in enumerate(zip(self.times.tolist(), self.owners.tolist(),
                                           strict=True)):
            ad_id = f"syn-{i + 1:06d}"
            source = self.rng.choices(v.SOURCES, cum_weights=_SOURCE_CUM)[0]
            posted = (self.t_start + timedelta(seconds=int(t))).isoformat() + "Z"
            rec: dict[str, Any] = {"id": ad_id, "source": source, "url": "",
                                   "posted_at": posted}
            if owner < 0:
                facts = self._independent(ad_id, rec)
            else:
                net = networks[owner]
                net.ads.append(ad_id)
                facts = self._network_ad(net, t, ad_id, rec)
            rec["url"] = f"https://{rec['source']}/ad/{ad_id}"
            if i % self.step == 0:
                planted = facts()
                if owner >= 0:
                    planted["network"] = networks[owner].id
                self.truth.planted[ad_id] = planted
            yield rec
        self.truth.complete = True


def generate(n_ads: int, seed: int, start: date = date(2026, 1, 5),
             with_images: bool = False) -> tuple[Iterator[dict[str, Any]], GroundTruth]:
    """A lazy stream of `n_ads` synthetic ads and their ground truth (filled in as the stream
    is consumed; `truth.complete` once it is exhausted). Same arguments, same corpus."""
    if n_ads < 0:
        raise ValueError(f"n_ads must be >= 0, got {n_ads}")
    writer = _Writer(n_ads, seed, start, with_images)
    return writer.ads(), writer.truth


def write_corpus(out: Path, n_ads: int, seed: int, with_images: bool = False,
                 start: date = date(2026, 1, 5)) -> CorpusSummary:
    """Write `out` as JSON Lines (one ad per line) and `<stem>.truth.json` beside it."""
    began = time.perf_counter()
    out = Path(out)
    ads, truth = generate(n_ads, seed, start, with_images)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with out.open("w", encoding="utf-8") as fh:
        for rec in ads:
            fh.write(dumps(rec))
            fh.write("\n")
    tpath = truth_path(out)
    truth.write(tpath)
    return CorpusSummary(out, tpath, n_ads, len(truth.networks), truth.network_ads,
                         truth.independent, truth.ads_without_phone, len(truth.minor_age_ads),
                         truth.n_images, time.perf_counter() - began)
