"""Identifier types: the one place that says how a phone, e-mail, handle, URL or image hash is
written when Amberline compares it.

Extraction, the command line, the workspace search, watchlists, link keys and case files all
compare identifiers that were written in different ways (an ad's "703.555.0142", an analyst's
"(703) 555-0142", a watchlist's "+1 703 555 0142"). They only meet if each kind goes through
one normaliser, so each kind is a small class here (after python-threatexchange's
`SignalType`): `normalise` gives the canonical form or raises `InvalidIdentifier`, `validate`
says whether a value is already canonical, and `examples` gives the cases that every type's
shared test (tests/test_identifiers.py) checks the same way. `REGISTRY` is the explicit list of
built-in types; the kind tuples below are the only lists of kinds, named for what they are for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit


class InvalidIdentifier(ValueError):
    """A value that is not an identifier of the kind; the message says why."""


@dataclass(frozen=True, slots=True)
class Examples:
    """Written forms with their canonical form, and forms that must be refused."""

    valid: tuple[tuple[str, str], ...]
    invalid: tuple[str, ...]


class IdentifierType:
    """One kind of identifier: its name and how it is normalised."""

    name: ClassVar[str]

    @classmethod
    def normalise(cls, value: str, region: str = "US") -> str:
        """The canonical form of `value`; `InvalidIdentifier` when it is not one."""
        raise NotImplementedError

    @classmethod
    def validate(cls, value: str) -> bool:
        """Whether `value` is already in canonical form."""
        try:
            return cls.normalise(value) == value
        except InvalidIdentifier:
            return False

    @classmethod
    def examples(cls) -> Examples:
        raise NotImplementedError


def _stripped(kind: type[IdentifierType], value: str) -> str:
    text = str(value).strip()
    if not text:
        raise InvalidIdentifier(f"empty {kind.name}")
    return text


_NOT_DIGIT = re.compile(r"\D")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


class Phone(IdentifierType):
    """E.164 ("+17035550142"): valid or possible numbers of the region's numbering plan, read
    the same way as extraction reads them from ads."""

    name = "phone"

    @classmethod
    def normalise(cls, value: str, region: str = "US") -> str:
        from amberline.extract.phones import parse_phone_quick

        text = _stripped(cls, value)
        digits = _NOT_DIGIT.sub("", text)
        if _LATIN_LETTER.search(text):
            raise InvalidIdentifier(f"{value!r} is not a phone number")
        parsed = None
        if 7 <= len(digits) <= 15:
            parsed = parse_phone_quick(("+" if text.startswith("+") else "") + digits, region)
        if parsed is None:
            raise InvalidIdentifier(f"{value!r} is not a possible phone number")
        return parsed[0]

    @classmethod
    def examples(cls) -> Examples:
        return Examples(
            valid=(
                ("(703) 555-0142", "+17035550142"),
                ("703.555.0142", "+17035550142"),
                ("+1 703 555 0142", "+17035550142"),
                ("+44 20 7946 0958", "+442079460958"),
            ),
            invalid=("", "12", "call me", "555-0142-7777-1234-999"),
        )


class Email(IdentifierType):
    """Lower-case address; one "@", a dot in the domain, no spaces."""

    name = "email"
    _SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

    @classmethod
    def normalise(cls, value: str, region: str = "US") -> str:
        text = _stripped(cls, value)
        if not cls._SHAPE.fullmatch(text):
            raise InvalidIdentifier(f"{value!r} is not an e-mail address")
        return text.lower()

    @classmethod
    def examples(cls) -> Examples:
        return Examples(
            valid=((" Mia.Desk@Example.COM ", "mia.desk@example.com"),),
            invalid=("", "mia.desk", "a@b", "two words@example.com"),
        )


class Handle(IdentifierType):
    """Lower-case username without "@" and without its platform: a distinctive username is
    reused across apps ("snap leahmoon3", "kik leahmoon3" are one advertiser)."""

    name = "handle"

    @classmethod
    def normalise(cls, value: str, region: str = "US") -> str:
        name = _stripped(cls, value).lstrip("@").lower()
        if not name or any(c.isspace() for c in name):
            raise InvalidIdentifier(f"{value!r} is not a username")
        return name

    @classmethod
    def examples(cls) -> Examples:
        return Examples(valid=(("@Mia_Desk", "mia_desk"), ("mia_desk", "mia_desk")),
                        invalid=("", "@", "two words"))


class Url(IdentifierType):
    """Host (lower-case, without "www.") and path, without scheme, fragment or trailing slash:
    the same page however the ad wrote the link."""

    name = "url"

    @classmethod
    def normalise(cls, value: str, region: str = "US") -> str:
        text = _stripped(cls, value)
        try:
            parts = urlsplit(text if "://" in text else "http://" + text)
            host = (parts.hostname or "").lower()
        except ValueError as exc:  # e.g. an unclosed "[" in the host
            raise InvalidIdentifier(f"{value!r} is not a URL ({exc})") from None
        if not host:
            raise InvalidIdentifier(f"{value!r} has no host")
        if any(c.isspace() for c in host):  # kept by urlsplit, lost again by the next strip
            raise InvalidIdentifier(f"{value!r} has white space in its host")
        path = parts.path.rstrip("/")
        query = f"?{parts.query}" if parts.query else ""
        return f"{host.removeprefix('www.')}{path}{query}"

    @classmethod
    def examples(cls) -> Examples:
        return Examples(
            valid=(("HTTPS://www.Example.com/ads/42/", "example.com/ads/42"),
                   ("example.com/ads/42#top", "example.com/ads/42")),
            invalid=("", "http://", "http://[broken/"),
        )


class _HexHash(IdentifierType):
    digits: ClassVar[int]

    @classmethod
    def normalise(cls, value: str, region: str = "US") -> str:
        text = _stripped(cls, value).lower()
        if len(text) != cls.digits or not re.fullmatch(r"[0-9a-f]+", text):
            raise InvalidIdentifier(f"a {cls.name} hash is {cls.digits} hexadecimal digits")
        return text


class Pdq(_HexHash):
    """A PDQ image hash (256 bits) in lower-case hexadecimal."""

    name = "pdq"
    digits = 64

    @classmethod
    def examples(cls) -> Examples:
        return Examples(valid=(("AB" * 32, "ab" * 32),), invalid=("", "ab" * 31, "zz" * 32))


class Md5(_HexHash):
    """An MD5 digest of an image's bytes in lower-case hexadecimal."""

    name = "md5"
    digits = 32

    @classmethod
    def examples(cls) -> Examples:
        return Examples(valid=(("0F" * 16, "0f" * 16),), invalid=("", "0f" * 15, "0g" * 16))


REGISTRY: dict[str, type[IdentifierType]] = {
    t.name: t for t in (Phone, Email, Handle, Url, Pdq, Md5)
}
# Kinds that name who to contact: they identify a poster in case files, alerts and networks.
CONTACT_KINDS = (Phone.name, Email.name, Handle.name)
# Kinds found in ad text that become link keys (image hashes come from images instead).
TEXT_KEY_KINDS = (*CONTACT_KINDS, Url.name)
IMAGE_KINDS = (Pdq.name, Md5.name)


def normalise(kind: str, value: str, region: str = "US") -> str:
    """`REGISTRY[kind].normalise(value, region)`; `InvalidIdentifier` for an unknown kind."""
    found = REGISTRY.get(kind)
    if found is None:
        known = ", ".join(REGISTRY)
        raise InvalidIdentifier(f"unknown identifier kind {kind!r}; use one of {known}")
    return found.normalise(value, region)


def normalise_or_none(kind: str, value: str, region: str = "US") -> str | None:
    """The canonical form, or None where the value is not one (for lookups that may miss)."""
    try:
        return normalise(kind, value, region)
    except InvalidIdentifier:
        return None


def image_keys(images: Iterable[dict[str, Any]], min_quality: int = 50) -> list[tuple[str, str]]:
    """Exact image keys: ("pdq", hex) for hashes of quality >= min_quality, ("md5", hex).

    Flat or tiny images hash alike and would join unrelated ads, so a PDQ hash is a key only
    when its quality is high enough to mean something. MD5 is kept whatever the PDQ quality:
    an exact byte copy is evidence on its own.
    """
    keys: dict[tuple[str, str], None] = {}
    for image in images:
        pdq = normalise_or_none(Pdq.name, str(image.get("pdq") or ""))
        if pdq is not None and int(image.get("quality") or 0) >= min_quality:
            keys.setdefault((Pdq.name, pdq), None)
        md5 = normalise_or_none(Md5.name, str(image.get("md5") or ""))
        if md5 is not None:
            keys.setdefault((Md5.name, md5), None)
    return list(keys)


# -- link keys ---------------------------------------------------------------------------------
# An ad's link keys, from its identifier values (a screening's spans, or the stored
# `identifiers` rows, which hold the same kinds and values) and its typed location. Here, beside
# the normalisers, so that the store derives a stored ad's keys the way linking does
# (`amberline.link.keys` is the linking side).

# Supporting keys: never an edge on their own (`Linker._place_edges` asks the text to agree).
PLACE_KEY = "place"
_PHONE, _EMAIL, _URL = Phone.name, Email.name, Url.name
_TEXT_KEY_KINDS = frozenset(TEXT_KEY_KINDS)
_ADDRESS_KINDS = frozenset({_EMAIL, _URL})  # kinds with a host (`_host`)
_E164_FORM = re.compile(r"\+[0-9]{7,15}")
_NOT_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=65536)
def key_form(kind: str, text: str) -> str | None:
    """The canonical form of a value's text for a link key, or None (kinds without an
    identifier type compared lower-case), remembered: a crawl repeats its posters' phones and
    handles from ad to ad, and every new ad's keys are computed as it is stored."""
    if kind == _PHONE and _E164_FORM.fullmatch(text):
        # What `Phone.normalise` does with this form (nothing to strip, no letter, "+" and
        # 7-15 ASCII digits), without its steps: a screening's phone values all have it.
        from amberline.extract.phones import parse_phone_quick

        parsed = parse_phone_quick(text, "US")
        return parsed[0] if parsed is not None else None
    if kind in REGISTRY:
        return normalise_or_none(kind, text)
    return text.strip().lower() or None


def _host(kind: str, value: str) -> str:
    """The domain of an email or URL key ("" for other kinds)."""
    if kind == _EMAIL:
        return value.rpartition("@")[2]
    return value.split("/", 1)[0].split("?", 1)[0] if kind == _URL else ""


def keys_from_values(values: Iterable[tuple[str, Any]], source: str | None = None
                     ) -> list[tuple[str, str]]:
    """Distinct (kind, normalised value) of the identifier kinds among (kind, value) pairs, in
    first-seen order: an ad's spans, or its stored `identifiers` rows (the same kinds and
    values as text, distinct), which give the same keys.

    Two kinds of address say nothing about who posted an ad, and would join every ad of a site
    or every user of a mail provider, so they are not link keys (the spans stay stored):
    - emails and URLs on the hosting site's own domain (`source`): its report address and
      report page in boilerplate under every ad;
    - a bare domain that is only the domain of an email in the same ad ("name (at)
      example.com" also reads as the URL "example.com").
    """
    seen: dict[tuple[str, str], None] = {}
    addresses = False  # an email or URL key: the only kinds the filters below remove
    for kind, value in values:
        if kind not in _TEXT_KEY_KINDS:
            continue
        key = key_form(kind, value if type(value) is str else str(value))
        if key is not None:
            seen[kind, key] = None
            addresses = addresses or kind in _ADDRESS_KINDS
    if not addresses:
        return list(seen)
    site = (source or "").lower().removeprefix("www.")
    mail_domains = {_host(k, v) for k, v in seen if k == _EMAIL}
    if not site and not mail_domains:
        return list(seen)
    return [(k, v) for k, v in seen
            if not (site and _host(k, v) == site)
            and not (k == _URL and v in mail_domains)]


def location_keys(raw: Any) -> list[tuple[str, str]]:
    """The supporting key of the location the poster wrote in the site's location field:
    lower-cased, digits masked, punctuation and spacing collapsed; none when it is empty.

    Why the typed location: sites fill it with what the poster typed beside the region they
    picked ("anywhere out to you, downtown"), and an operator types the same words in every
    ad, whatever the text. Many unrelated posters type just a city, so it is never a key on
    its own: a location shared by more than the hub limit makes no edge, and a shared one
    makes an edge only where the texts agree too.
    """
    if not raw:
        return []
    value = _location_value(raw if type(raw) is str else str(raw))
    return [(PLACE_KEY, value)] if value else []


@lru_cache(maxsize=65536)
def _location_value(text: str) -> str:
    """`location_keys`' value of a typed location, remembered: posters repeat their typed
    location from ad to ad, and a link run derives every stored ad's keys again."""
    return " ".join(_NOT_WORD.sub(" ", _DIGIT.sub("0", text.lower())).split())


def stored_link_keys(identifiers: Iterable[tuple[str, Any]], source: str | None,
                     location: Any) -> list[tuple[str, str]]:
    """`link.keys.link_keys` of a stored ad, from its `identifiers` rows (kind, value) in row
    order, its source and its typed location: the keys are derived when linking, not stored
    twice."""
    keys = keys_from_values(identifiers, source)
    return keys + location_keys(location) if location else keys
