"""Assemble an ad's title and body from vocabulary fragments, leaving per-ad slots open.

Why one composer for both kinds of advertiser: an independent ad is a fresh `compose` per ad,
a network's template is one `compose` reused for every ad it posts, so the two differ only in
what is varied and in how often indicators are planted — exactly the contrast the linker and
scorer are evaluated on. Open slots ({name} {age} {city} {city_tag} {n} {phone} {handle}
{email}) are filled by `fill`; `Draft.indicators` records which indicator phrases went in.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from amberline.synth import vocabulary as v

SLOTS = ("name", "age", "city", "city_tag", "n", "phone", "handle", "email")


@dataclass(slots=True)
class Draft:
    """Title and body with open slots, and what went into them."""

    title: str
    body: str
    indicators: list[tuple[str, str]] = field(default_factory=list)
    price_range: tuple[int, int] | None = None
    handle_platform: str | None = None
    email_form: str | None = None
    has_age: bool = False


def _rate(category: str, network: bool) -> float:
    low, high = v.INDICATOR_RATES[category]
    return high if network else low


def compose(rng: random.Random, *, network: bool, phone: bool, handle: bool,
            email: bool) -> Draft:
    """A fresh title and body. `phone`/`handle`/`email` say which contact slots to include."""
    r = rng.random

    def choice(seq: tuple[str, ...]) -> Any:  # rng.choice is the hot spot; this is 3x faster
        return seq[int(r() * len(seq))]

    planted: list[tuple[str, str]] = []

    def plant(category: str, pool: tuple[str, ...]) -> str | None:
        if r() < _rate(category, network):
            term = choice(pool)
            planted.append((category, term))
            return term
        return None

    eth = choice(v.ETHNICITIES)
    youth = plant("youth", v.YOUTH)
    y_emoji = plant("youth_emoji", v.YOUTH_EMOJI)
    movement = plant("movement", v.MOVEMENT)
    third = plant("third_party", v.THIRD_PERSON)
    clock = plant("around_clock", v.AROUND_CLOCK)
    ethnic = None
    if r() < _rate("ethnicity", network):
        ethnic = choice(v.ETHNICITY_FORMS).replace("{eth}", eth)
        planted.append(("ethnicity", eth))
    trust = plant("trust", v.TRUST)

    emoji = y_emoji or choice(v.EMOJI)
    titles = v.MOVEMENT_TITLES if movement and r() < 0.5 else v.TITLES
    title = choice(titles)
    adj, adj2 = choice(v.TITLE_ADJECTIVES), choice(v.TITLE_ADJECTIVES)
    adj2 = adj2 if adj2 != adj else "Sweet"
    title = title.replace("{emoji}", emoji).replace("{adj}", adj).replace("{adj2}", adj2)
    title = title.replace("{eth}", eth if ethnic else "")
    title = " ".join(title.split())

    intro = choice(v.THIRD_PERSON_INTROS if third else v.INTROS)
    greeting = f"{choice(v.GREETINGS)} {y_emoji or ''}".strip()
    head = greeting + choice(("! ", ". ", " ~ ", "!! ")) + intro
    has_age = r() < (0.9 if network else 0.8)
    if has_age:
        head += ", " + choice(v.AGE_FORMS)
    city_form = choice(v.CITY_FORMS)
    middle = [city_form[0].upper() + city_form[1:]]
    middle.append(choice(v.DESCRIPTORS).capitalize())
    middle.append(choice(v.AVAILABILITY))
    if r() < 0.15:
        middle.append(choice(v.MASSAGE))
    for term in (youth, movement, third, clock, ethnic, trust):
        if term:
            middle.append(term[0].upper() + term[1:])
    price_range = None
    if r() < (0.8 if network else 0.6):
        form, low, high = choice(v.PRICE_FORMS)
        middle.append(form)
        price_range = (low, high)
    if r() < 0.3:
        middle.append(choice(v.RULES))
    rng.shuffle(middle)

    tail: list[str] = []
    if phone:
        tail.append(choice(v.CONTACT_FORMS))
    platform = None
    if handle:
        platform, form = choice(v.HANDLE_FORMS)
        tail.append(form)
    email_form = None
    if email:
        email_form = choice(v.EMAIL_FORMS)
        tail.append("{email}")
    if r() < 0.55:
        tags = list(dict.fromkeys(choice(v.HASHTAGS) for _ in range(1 + int(r() * 4))))
        if r() < 0.5:
            tags.append("{city_tag}")
        tail.append(" ".join(tags))
    tail.append(choice(v.CLOSINGS) + (f" {y_emoji}" if y_emoji and r() < 0.5 else ""))

    sep = choice(v.SEPARATORS)
    body = sep.join([head, *middle, *tail])
    return Draft(title, body, planted, price_range, platform, email_form, has_age)


def fill(text: str, slots: dict[str, str]) -> str:
    """Fill the open slots of a title or body (every name in `SLOTS` must be given)."""
    return text.format_map(slots)


def skeleton_regex(template: str) -> str:
    """A regex that matches any filling of `template`: the check that ads share a template."""
    parts = re.split(r"\{(?:" + "|".join(SLOTS) + r")\}", template)
    return "(?:.+?)".join(re.escape(p) for p in parts)
