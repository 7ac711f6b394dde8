"""Templates: the fixed skeleton stays, varying stretches become labelled slots."""

from amberline.link.templates import alignment_ratio, derive_template, tokenize

ADS = [
    "Hi gentlemen, I'm Mia, 21 yrs, new in Riverton. Call 703 555 0142, 150 roses.",
    "Hi gentlemen, I'm Ana, 23 yrs, new in Lakeview. Call 703 555 0199, 200 roses.",
    "Hi gentlemen, I'm Rose, 22 yrs, new in Oakdale. Call 703 555 0142, 150 roses.",
]
HINTS = [
    {"mia": "NAME", "riverton": "CITY", "150": "PRICE"},
    {"ana": "NAME", "lakeview": "CITY", "200": "PRICE"},
    {"rose": "NAME", "oakdale": "CITY", "150": "PRICE"},
]
# What linking knows of each ad besides the text: its stated age and its phone's digits.
FULL_HINTS = [
    {**HINTS[0], "21": "AGE", "17035550142": "PHONE"},
    {**HINTS[1], "23": "AGE", "17035550199": "PHONE"},
    {**HINTS[2], "22": "AGE", "17035550142": "PHONE"},
]


def test_template_marks_slots_and_keeps_skeleton():
    tpl = derive_template(ADS, [0, 1, 2], HINTS)
    assert tpl is not None
    assert tpl.text == (
        "Hi gentlemen, I'm {NAME}, {NUMBER} yrs, new in {CITY}. Call 703 555 {NUMBER}, "
        "{PRICE} roses."
    )
    name, age, city, phone_end, price = tpl.slots
    assert name.values == ["Mia", "Ana", "Rose"]
    assert city.distinct == ["Riverton", "Lakeview", "Oakdale"]
    assert age.values == ["21", "23", "22"]
    assert phone_end.distinct == ["0142", "0199"]
    assert price.values == ["150", "200", "150"]
    assert 0.5 < tpl.fixed_share < 1.0


def test_ages_and_pieces_of_phones_get_their_own_labels():
    tpl = derive_template(ADS, [0, 1, 2], FULL_HINTS)
    assert tpl is not None
    assert tpl.text == (
        "Hi gentlemen, I'm {NAME}, {AGE} yrs, new in {CITY}. Call 703 555 {PHONE}, "
        "{PRICE} roses."
    )
    assert tpl.slots[1].values == ["21", "23", "22"]


def test_ages_reach_the_template_from_the_screening():
    """End to end: screened ads carry their stated age into the network's template."""
    from amberline.link.keys import record_from_screening
    from amberline.link.result import _hints
    from amberline.model import Ad
    from amberline.pipeline import Screener

    screener = Screener()
    ads = [Ad(source="t", source_id=str(i), body=text) for i, text in enumerate(ADS)]
    recs = [record_from_screening(ad, s) for ad, s in zip(ads, screener.screen_batch(ads),
                                                          strict=True)]
    assert [r.ages for r in recs] == [[21], [23], [22]]
    tpl = derive_template([r.text for r in recs], [0, 1, 2], [_hints(r) for r in recs])
    assert tpl is not None and "{AGE} yrs" in tpl.text and "555 {PHONE}" in tpl.text


def test_inserted_words_become_a_slot():
    texts = ["Ask for Mia today only", "Ask for Mia and Lily today only"]
    tpl = derive_template(texts, [0, 1])
    assert tpl is not None
    assert tpl.text == "Ask for Mia {TEXT} today only"
    assert tpl.slots[0].values == ["", "and Lily"]


def test_unrelated_texts_give_no_template():
    texts = ["Ask for Mia today only", "Quiet studio near the station with parking"]
    assert derive_template(texts, [0, 1]) is None


def test_alignment_ratio_orders_similarity():
    a = [t for t, _, _ in tokenize(ADS[0])]
    b = [t for t, _, _ in tokenize(ADS[1])]
    c = [t for t, _, _ in tokenize("Quiet studio near the station with parking")]
    assert alignment_ratio(a, a) == 1.0
    assert alignment_ratio(a, b) > 0.7 > alignment_ratio(a, c)
