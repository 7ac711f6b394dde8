"""Plan the planted networks before any ad is written, and the ground truth they produce.

Why plan first: every network's size, archetype, phones, names, route and template are fixed up
front from the seed, so ads can then be written one at a time in posting order (streaming, with
bounded memory) while the truth only collects ad ids. Archetypes differ in which keys join their
ads, so linking can be scored per edge kind:

- ``full``: shared phones + one text template (+ handles, emails, images): the common case.
- ``template``: one template, a different phone in every ad (burner phones).
- ``phone``: shared phones, freshly composed text in every ad.
- ``handle``: one shared social handle, different phones and texts.
- ``image``: one shared picture, different phones and texts (a ``handle`` network when the
  corpus has no images).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from amberline.synth import vocabulary as v
from amberline.synth.compose import Draft, compose
from amberline.synth.phones import PhonePool, pick_form
from amberline.synth.places import CITY_BY_NAME, ROUTES

DAY = 86_400.0
PERIOD_DAYS = 84  # twelve weeks of postings
NETWORK_SHARE = 0.25
MAX_NETWORK = 60
ARCHETYPES = ("full", "template", "phone", "handle", "image")
ARCHETYPE_WEIGHTS = (0.55, 0.15, 0.15, 0.08, 0.07)


@dataclass(slots=True)
class NetworkPlan:
    """One planted network: what is fixed up front, and what writing its ads records."""

    index: int
    archetype: str
    size: int
    route: list[str]
    t0: float
    duration: float
    stay: float
    source: str
    names: list[str]
    ages: dict[str, int]
    phones: list[str]
    handles: list[str]
    emails: list[str]
    template: Draft | None
    image_seeds: list[int]
    link_kinds: list[str]
    phone_form: str
    ads: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    reposts: int = 0
    last: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"net-{self.index + 1:04d}"

    def city_at(self, t: float) -> str:
        """Where the network is at time `t`: it moves one city along its route every `stay`."""
        return self.route[int((t - self.t0) // self.stay) % len(self.route)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "archetype": self.archetype, "ads": self.ads, "phones": self.phones,
            "names": self.names, "cities": self.cities, "route": self.route,
            "template": self.template.body if self.template else None,
            "title_template": self.template.title if self.template else None,
            "handles": self.handles, "emails": self.emails, "n_images": len(self.image_seeds),
            "link_kinds": self.link_kinds, "reposts": self.reposts,
        }


def network_sizes(rng: np.random.Generator, n_ads: int) -> list[int]:
    """Skewed sizes (many pairs, a few large rings) adding up to about a quarter of the ads."""
    remaining = round(n_ads * NETWORK_SHARE)
    sizes: list[int] = []
    while remaining >= 2:
        size = int(rng.zipf(1.6)) + 1
        while size > MAX_NETWORK:  # redraw rather than clip, so there is no spike at the cap
            size = int(rng.zipf(1.6)) + 1
        size = min(size, remaining)
        sizes.append(size)
        remaining -= size
    return sizes


def _handle(rng: random.Random, name: str, serial: int) -> str:
    sep = rng.choice(("", "_", ".", ""))
    return f"{name.lower()}{sep}{rng.choice(v.HANDLE_WORDS)}{serial}"


def plan_network(index: int, size: int, rng: random.Random, pool: PhonePool,
                 with_images: bool, serials: list[int]) -> NetworkPlan:
    """Draw everything a network keeps constant across its ads."""
    drawn = rng.choices(ARCHETYPES, ARCHETYPE_WEIGHTS)[0]
    # Without images an image network is a handle network; both draw the same random numbers,
    # so `with_images` never changes which ads exist or when they are posted.
    archetype = "handle" if drawn == "image" and not with_images else drawn
    route_cities = ROUTES[rng.choice(sorted(ROUTES))]
    length = min(rng.randint(3, 6), len(route_cities), max(size, 1))
    start = rng.randint(0, len(route_cities) - length)
    route = list(route_cities[start:start + length])
    if rng.random() < 0.5:
        route.reverse()
    duration = min(PERIOD_DAYS, max(3.0, rng.uniform(7, 56))) * DAY
    t0 = rng.uniform(0, PERIOD_DAYS * DAY - duration)
    stay = rng.uniform(3, 10) * DAY
    names = rng.sample(v.NAMES, min(size, rng.choice((1, 1, 2, 3, 4, 5))))
    ages = {n: rng.choice((18, 18, 19, 19, 19, 20, 21, 22, 23, 24, 25, 27)) for n in names}
    if archetype in ("full", "template", "phone") and len(names) > 1 and rng.random() < 0.1:
        ages[names[-1]] = rng.choice((17, 17, 16))  # a stated minor's age: the key alert
    phones: list[str] = []
    if archetype in ("full", "phone"):
        home = CITY_BY_NAME[route[0]].area_codes
        for _ in range(min(size, rng.choice((1, 1, 1, 2, 2, 3)))):
            phone = pool.take(home)
            if phone:
                phones.append(phone)
    handles: list[str] = []
    if drawn in ("handle", "image") or (archetype == "full" and rng.random() < 0.4):
        for _ in range(1 if drawn in ("handle", "image") else rng.choice((1, 2))):
            serials[0] += 1
            handles.append(_handle(rng, names[0], serials[0]))
    if archetype == "image":
        handles = []
    emails: list[str] = []
    if archetype == "full" and rng.random() < 0.2:
        serials[0] += 1
        emails.append(f"{_handle(rng, names[0], serials[0])}@{rng.choice(v.EMAIL_DOMAINS)}")
    template = None
    if archetype in ("full", "template"):
        template = compose(rng, network=True, phone=True, handle=bool(handles),
                           email=bool(emails))
    image_seeds = [rng.getrandbits(48) for _ in range(rng.choice((1, 1, 2)))]
    if not (with_images and archetype in ("full", "image")):
        image_seeds = []
    kinds = [k for k, on in (("phone", bool(phones)), ("template", template is not None),
                             ("handle", bool(handles)), ("email", bool(emails)),
                             ("image", bool(image_seeds))) if on]
    return NetworkPlan(index, archetype, size, route, t0, duration, stay,
                       rng.choices(v.SOURCES, v.SOURCE_WEIGHTS)[0], names, ages, phones,
                       handles, emails, template, image_seeds, kinds, pick_form(rng, True))


def schedule(rng: np.random.Generator, n_ads: int,
             networks: list[NetworkPlan]) -> tuple[np.ndarray, np.ndarray]:
    """Posting times (seconds after start) and owners (network index, -1 independent), sorted
    by time, so ad ids run in posting order."""
    times = rng.uniform(0, PERIOD_DAYS * DAY, n_ads)
    owners = np.full(n_ads, -1, dtype=np.int32)
    pos = 0
    for net in networks:
        times[pos:pos + net.size] = net.t0 + rng.uniform(0, net.duration, net.size)
        owners[pos:pos + net.size] = net.index
        pos += net.size
    order = np.argsort(times, kind="stable")
    return times[order], owners[order]
