"""Descriptors as real ads write them (invented, clinical texts): the guide's build terms, foot
marks typed as double quotes, a bare weight after a height, "mixed" beside an ethnicity, and
nationalities that name massage styles."""

from __future__ import annotations

import pytest

from amberline.extract.descriptors import DescriptorExtractor


@pytest.fixture(scope="module")
def extractor() -> DescriptorExtractor:
    return DescriptorExtractor()


def found(extractor: DescriptorExtractor, text: str) -> list[tuple[str, object]]:
    return sorted({(s.attrs["kind"], s.attrs["value"]) for s in extractor.extract(text)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Slim thick and friendly", [("build", "slim"), ("build", "thick")]),
        ("Thicc and sweet", [("build", "thick")]),
        ("BBW, plus size welcome", [("build", "bbw")]),
        ('Hi, I stand 5"4 with a smile', [("height_cm", 163)]),
        ("Moria 5‘1“ tall", [("height_cm", 155)]),
        ("I'm Jaye,5'11, tall", [("height_cm", 180)]),
        ("I stand at 5'7 150 and smile", [("height_cm", 170), ("weight_kg", 68.0)]),
        ("5'3,100 pounds", [("height_cm", 160), ("weight_kg", 45.4)]),
        ("Tiny 98bls only", [("build", "petite"), ("weight_kg", 44.5)]),
        ("Thai & Japanese mix, calm", [("ethnicity", "japanese"), ("ethnicity", "mixed"),
                                       ("ethnicity", "thai")]),
        ("Exotic mixed cutie", [("ethnicity", "mixed")]),
        ("Mixed drinks and music", []),
        ("Swedish  Deep Tissue  Oil massage", []),
        ("Swedish, shiatsu and hot stone", []),
        # a colour with a word before "hair"; the last word of a two-word hair colour before
        # "eyes" is an eye colour
        ("long black silky hair", [("hair", "black")]),
        ("calm light brown eyes", [("eyes", "brown")]),
        # nationalities beyond the common ones, Spanish feminine forms, masculine forms kept
        ("Portuguese and Lebanese roots", [("ethnicity", "lebanese"),
                                            ("ethnicity", "portuguese")]),
        ("Polynesian descent", [("ethnicity", "polynesian")]),
        ("Soy mexicana y colombiana", [("ethnicity", "colombian"), ("ethnicity", "mexican")]),
        ("Latino guy, Filipino roots", [("ethnicity", "filipino"), ("ethnicity", "latino")]),
        ("Blond, White TS, calm", [("ethnicity", "white"), ("hair", "blonde")]),
        ("upscale mixed trans, calm", [("ethnicity", "mixed")]),
        # clients wanted or refused are not the person described
        ("No Asian please", []), ("Sorry. No African-American clients", []),
        ("Latin gentlemen welcome", []), ("Welcome African American men", []),
        # a build word before a body part or an object describes that
        ("slim waist and petite hips", []), ("a thick toy", []),
        ("slim and tall", [("build", "slim")]),
        # a nationality naming a technique, a kiss or a spa, or last in a list of massage styles
        ("Reiki is a Japanese technique", []), ("loves a French kiss", []),
        ("Asian Day Spa, open daily", []), ("Deep Tissue ~ Swedish, open daily", []),
        ("Table shower * Swedish * Shiatsu", []),
        ("Deep tissue / Latina girl", [("ethnicity", "latina")]),
        # "toned" is said of body parts: no build
        ("toned legs and arms", []),
    ],
)
def test_descriptors_in_real_forms(extractor: DescriptorExtractor, text: str,
                                   expected: list[tuple[str, object]]) -> None:
    assert found(extractor, text) == sorted(expected)


def test_bare_number_after_a_height_needs_to_stand_alone(extractor: DescriptorExtractor) -> None:
    # A measurement or a price glued to letters is not a weight.
    assert found(extractor, "5'6 34C and 5'5 120hr") == [("height_cm", 165), ("height_cm", 168)]
