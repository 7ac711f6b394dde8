"""Keys are normalised; shared keys make star edges; hub keys are cut and reported."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amberline import identifiers
from amberline.link.edges import KeyGrouper
from amberline.link.keys import keys_from_spans, normalise_key, record_from_screening
from amberline.model import Ad, Flag, Screening, Span


def test_normalise_keys():
    assert normalise_key("phone", "+1 (703) 555-0142") == "+17035550142"
    assert normalise_key("phone", "12") is None
    assert normalise_key("email", " Mia.Desk@Example.COM ") == "mia.desk@example.com"
    assert normalise_key("handle", "@Mia_Desk", {"platform": "Snap"}) == "mia_desk"
    assert normalise_key("handle", "mia_desk", {"platform": "kik"}) == "mia_desk"
    assert normalise_key("url", "HTTPS://www.Example.com/ads/42/") == "example.com/ads/42"
    assert normalise_key("url", "example.com/ads/42#top") == "example.com/ads/42"


def test_keys_from_spans_dedupes_and_skips_other_kinds():
    spans = [
        Span("phone", "+17035550142", 0, 12, "phones"),
        Span("phone", "+1 703 555 0142", 20, 35, "phones"),
        Span("age", 21, 40, 42, "ages"),
        Span("email", "A@B.org", 50, 57, "emails"),
    ]
    assert keys_from_spans(spans) == [("phone", "+17035550142"), ("email", "a@b.org")]


def test_record_from_screening():
    ad = Ad(source="demo", source_id="7", body="Ask for Mia, 150 roses", city="Riverton",
            image_hashes=[{"pdq": "0" * 64, "quality": 80, "md5": "f" * 32}])
    screening = Screening(
        ad_key=ad.key,
        spans=[Span("name", "Mia", 8, 11, "names"),
               Span("price", "150", 13, 16, "prices", attrs={"amount": 150}),
               Span("phone", "+17035550142", 0, 0, "phones")],
        flags=[Flag("youth", "new", 0, 3, 1.0, "youth.new")],
        score=1.5, pipeline_version="t",
    )
    rec = record_from_screening(ad, screening)
    assert (rec.ad_key, rec.city, rec.names, rec.prices) == ("demo:7", "Riverton", ["Mia"], [150.0])
    assert rec.keys == [("phone", "+17035550142")] and rec.flags == ["youth"]
    assert rec.images[0]["md5"] == "f" * 32


def test_star_edges_per_key_not_all_pairs():
    grouper = KeyGrouper(max_key_ads=10)
    lead, ad, _kid = grouper.add([0, 1, 2, 3, 3], ["phone:a", "phone:a", "phone:a", "phone:a",
                                                  "email:x"])
    assert sorted(zip(lead.tolist(), ad.tolist(), strict=True)) == [(0, 1), (0, 2), (0, 3)]
    # a later batch joins the same leader
    lead, ad, _ = grouper.add([4, 5], ["phone:a", "email:x"])
    assert sorted(zip(lead.tolist(), ad.tolist(), strict=True)) == [(0, 4), (3, 5)]


def test_hub_key_is_cut_and_reported():
    grouper = KeyGrouper(max_key_ads=3)
    ads = list(range(6))
    lead, ad, _ = grouper.add([*ads, 0, 1], ["phone:+18005550100"] * 6 + ["email:x", "email:x"])
    assert list(zip(lead.tolist(), ad.tolist(), strict=True)) == [(0, 1)]  # only the email
    (cut,) = grouper.cut()
    assert (cut.kind, cut.value, cut.ads, cut.after_linking) == ("phone", "+18005550100", 6, False)
    assert cut.message == "phone +18005550100 in 6 ads: cut (limit 3)"
    assert np.array_equal(grouper.cut_ids(), [0])


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+[0-9]{7,15}", fullmatch=True)
       | st.from_regex(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True)
       | st.from_regex(r"\+(44|972|33|49|7|86)[0-9]{6,12}", fullmatch=True))
@example("+17035550142")
@example("+10000000")  # +1 with too few digits: refused
@example("+972504654809")  # not +1: the core leaves it to phonenumbers
@example("+123456789012345")
def test_phone_keys_of_e164_text_are_what_phone_normalise_gives(text: str) -> None:
    """A key normalises "+digits" without `Phone.normalise`'s steps (the form every screened
    phone value has); the answer must be that function's, refusals included."""
    try:
        expected: str | None = identifiers.Phone.normalise(text)
    except identifiers.InvalidIdentifier:
        expected = None
    identifiers.key_form.cache_clear()
    assert normalise_key("phone", text) == expected
