"""Every identifier type checked the same way from its own examples (after
python-threatexchange's signal-type test helper), and the places that compare identifiers
shown to agree: a phone typed by an analyst, listed on a watchlist and found in an ad is one
key."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from amberline import display, identifiers
from amberline.alerts.watchlists import normalise as watchlist_normalise
from amberline.identifiers import REGISTRY, IdentifierType, InvalidIdentifier
from amberline.link.keys import keys_from_spans, normalise_key
from amberline.model import Ad
from amberline.pipeline import Screener

TYPES = list(REGISTRY.values())


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.name)
def test_examples_normalise_to_their_canonical_form(kind: type[IdentifierType]) -> None:
    examples = kind.examples()
    assert examples.valid and examples.invalid
    for written, canonical in examples.valid:
        assert kind.normalise(written) == canonical
        assert kind.normalise(canonical) == canonical  # idempotent
        assert kind.validate(canonical)


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.name)
def test_invalid_examples_are_refused_with_a_reason(kind: type[IdentifierType]) -> None:
    for written in kind.examples().invalid:
        with pytest.raises(InvalidIdentifier, match=r"\S"):
            kind.normalise(written)
        assert not kind.validate(written)


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.name)
@given(text=st.text(max_size=80))
@example(text="0 /")  # a host ending in a space: its canonical form was not canonical
def test_any_text_is_normalised_or_refused_never_crashes(
    kind: type[IdentifierType], text: str
) -> None:
    try:
        canonical = kind.normalise(text)
    except InvalidIdentifier:
        return
    assert kind.normalise(canonical) == canonical


def test_the_registry_names_every_type_once() -> None:
    assert list(REGISTRY) == ["phone", "email", "handle", "url", "pdq", "md5"]
    assert set(identifiers.TEXT_KEY_KINDS) | set(identifiers.IMAGE_KINDS) == set(REGISTRY)
    with pytest.raises(InvalidIdentifier, match="unknown identifier kind"):
        identifiers.normalise("fax", "1")


def test_a_phone_is_one_key_wherever_it_is_written() -> None:
    """The bug this module ends: four places normalised phones by three rules."""
    screening = Screener().screen(Ad(source="t", source_id="1", body="call 703.555.0142 today"))
    found = [k for k in keys_from_spans(screening.spans) if k[0] == "phone"]
    assert found == [("phone", "+17035550142")]
    typed = ["(703) 555-0142", "+1 703 555 0142", "703-555-0142"]
    assert {display.e164(t, "US") for t in typed} == {"+17035550142"}
    assert {watchlist_normalise("phone", t) for t in typed} == {"+17035550142"}
    assert {normalise_key("phone", t) for t in typed} == {"+17035550142"}
