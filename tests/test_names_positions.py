"""Names as real ads give them: signed beside the number, opening a line, before an age, framed
on their own, last in the ad, after an honorific; and the words that sit in the same places
but are not names. Every text is invented and clinical.
"""

from __future__ import annotations

import pytest

from amberline.extract.names import NameExtractor, load_english_words, load_given_names


@pytest.fixture(scope="module")
def extractor() -> NameExtractor:
    return NameExtractor()


def names(extractor: NameExtractor, text: str) -> list[str]:
    return sorted({s.value for s in extractor.extract(text)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Signed beside the phone number, before or after it, in any case for a given name.
        ("Relaxing studio, clean and quiet.  Melissa 703-555-0142", ["Melissa"]),
        ("Call or text (703) 555-0142 Brenda", ["Brenda"]),
        ("Discreet visits only 703.555.0142 karen", ["Karen"]),
        ("No blocked calls 🌸 Taijah 🌸 703 555 0142", ["Taijah"]),
        ("Text me anytime 7035550142 ~ Marisol ~", ["Marisol"]),
        # A number glued to the name.
        ("Open late Lorraine703-555-0142", ["Lorraine"]),
        # Opening a line, before an age, framed, last, opening a segment.
        ("Relaxing evening\nVanessa 🌷 new this week", ["Vanessa"]),
        ("Two friends here:  Moria  20 y/o ~ Elain 22 yrs", ["Elain", "Moria"]),
        ("Quiet studio 💎 • Cassandra • 💎 open daily", ["Cassandra"]),
        ("See you soon, thank you. xoxo Gabriela", ["Gabriela"]),
        ("Clean and calm!   Yolanda will answer texts only", ["Yolanda"]),
        # A surname or second given name joins; the ad's first name is then reported in full.
        ("Watch out for copies  Carly Rose (703) 555-0142", ["Carly Rose"]),
        ("Jessica Ray 🌸\nHi, I'm Jessica, call 703 555 0142", ["Jessica Ray"]),
        # Cue words as ads spell them.
        ("Hi guys its Ashley, call me", ["Ashley"]),
        ("Hello, my names Vanessa and I am new", ["Vanessa"]),
        ("Hola, me llamo Fabia. Llamame", ["Fabia"]),
        ("It's Miss Niylah, visiting this week", ["Niylah"]),
        ("Hello gentlemen Lucia here and ready", ["Lucia"]),
        ("Hi guys im lauren, text me", ["Lauren"]),
        ("Visiting this week: TS Marisol, open minded", ["Marisol"]),
        # A name beside a number brings the names listed with it.
        ("Three friends: Ajna & Maya 703 555 0142", ["Ajna", "Maya"]),
        ("Open daily  *  LILY< KATIE,  GiGi   703 555 0142", ["Gigi", "Katie", "Lily"]),
        # Greetings, sign-offs and first-person cues as ads write them.
        ("Hey gentlemen, Bella in town this week", ["Bella"]),
        ("Hi gentleman my name is Lilly and I travel", ["Lilly"]),
        ("Thank you for reading. Love always  Bambii😘", ["Bambii"]),
        ("Thank you!  XoXo,   Angel   calls only", ["Angel"]),
        ("Hey there I'm 🍒CherryRedd🍒 in town", ["Cherryredd"]),
        ("Hello guys, im seraphina .. new here", ["Seraphina"]),
        ("Sweet ELLA 22 36D-24-36 calm", ["Ella"]),
        ("No texts !----Stephanie--- calm studio", ["Stephanie"]),
        # A given name that is also a country, cut off beside the number.
        ("No texts please!  Kenya 703-555-0142", ["Kenya"]),
        # Before the age a classified site prints after the title, or a profile's age label.
        ("Calm Layla - 23\nquiet studio", ["Layla"]),
        ('----- "NORI" AGE: 21 HEIGHT: 5\'4', ["Nori"]),
        # A full name before the suffix (a census surname), a name before the site's age label.
        ("Calm studio Caleb King - 26 tall", ["Caleb King"]),
        ("Javi Rivers - 29\n", ["Javi Rivers"]),
        ("Thank you. Nataly          Poster's age: 25", ["Nataly"]),
        # Before an age with symbols between, after an everyday word, or in capitals.
        ("Quiet  Elain ▂▃▃▂22 y/0 and Boomi ▂▃▃▂21 y/0", ["Boomi", "Elain"]),
        ("Relaxing Calm Yumi 23 y/o tall", ["Yumi"]), ("Korean NINI 32 years calm", ["Nini"]),
        # A list in capitals with two or more plain given names.
        ("4 friends - TIFF SALLY SAKI ELSA - calm", ["Elsa", "Saki", "Sally", "Tiff"]),
        # Cues: "name is", marks before the name, capitals after a first-person cue, "ask 4",
        # a friend named, and a cue inside a greeting's list.
        ("Name is diamond. Calm studio", ["Diamond"]), ("Me llamo ..FABIA.. calma", ["Fabia"]),
        ("Hello, Im AMBER, call me", ["Amber"]), ('ASK 4 "JUICY" at the desk', ["Juicy"]),
        ("My Korean girlfriend Angela (36DD) joins", ["Angela"]),
        ("Hi there handsome, my name is Alaya.", ["Alaya"]),
        ("HEY THERE , NAMES JACOB  CALM", ["Jacob"]), ("Name's Lucia, calm", ["Lucia"]),
        # A name glued to a word stands for the name.
        ("Ask for MelissaAvailable today", ["Melissa"]),
    ],
)
def test_names_by_position(extractor: NameExtractor, text: str, expected: list[str]) -> None:
    assert names(extractor, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Ordinary words, places, site words and handles in the same places.
        "Available now 703-555-0142",
        "Incall only   Discreet 703 555 0142",
        "Real pics 💯 GFE 703 555 0142",
        "1642 Main St Stanton 703-555-0142",
        "Visiting San Leandro   703 555 0142",
        "Near Beverly Hills  703 555 0142",
        "Email Brenda@example.com or 703 555 0142",
        "Add me @Karen.p703 for more",
        "I am Sexy, Intelligent, Spontaneous",
        "CALL ME LOVE, I'M AVAILABLE 703-555-0142",
        "Hope to see you soon 🌹 Will reply fast",
        "Clean. Quiet. Ripon. Byron. Dublin. Open daily",
        "Towns - St. Louis - example.com",
        "🚫 No rush ✅ Shower 703 555 0142",
        "Role play  Toys  Golden  703 555 0142",
        "Real photos from  Taiwan 45 years young",
        "im new here, im ready",
        "im sooo ready, soy joven y amable",
        "Hello gentlemen, Welcome to the studio",
        # Words glued at a capital, styled words, business names, mixed scripts, acronyms
        # before an age, lists of capitals that are not names, ordinary words before a suffix.
        "se habla espanolConvenient hours", "Relaxing  ShowerJacuzzi  703 555 0142",
        "ask for FaceTime for proof", "EXOTIC  DominicanTS - 22", "Calm  PlAyMaT - 25",
        "~*IRIS DAY SPA 703 555 0142", "Genesis Spa - calm", "I'm Ѕаrah",
        "HOT ASIAN GFE 23 yo", "CALL SALLY OR AMY NOW", "Totally calm & Open-Minded  - 28",
        "No Texting - 28", "Calm in DTLA - 26", "Calm studio Available - 23",
        "Ask for it, snap: calm_22 or kik",
    ],
)
def test_words_in_name_places_are_not_names(extractor: NameExtractor, text: str) -> None:
    assert names(extractor, text) == []


def test_gazetteers_come_from_packages() -> None:
    given, surnames = load_given_names()
    assert {"melissa", "brenda", "karen"} <= given
    assert "rose" in given and "ortiz" in surnames
    words = load_english_words()
    assert {"available", "discreet", "sexy"} <= words


def test_positional_spans_point_at_the_name(extractor: NameExtractor) -> None:
    text = "Quiet studio.  Melissa 703-555-0142"
    (span,) = extractor.extract(text)
    assert text[span.start:span.end] == "Melissa"
    assert span.attrs["cue"] == "before phone"


def test_a_first_name_is_reported_in_full_only_within_its_ad(extractor: NameExtractor) -> None:
    """`_in_full`: a first name before or after its ad's full name takes it; the same first
    name in the batch's other ads, before and after that ad, keeps its own value."""
    from amberline.extract import BATCH_SEPARATOR

    ads = ["Hi, I'm Jessica. Jessica Ray (703) 555-0142", "Call me Mia", "I'm Jessica",
           "xoxo Mia. Mia Ray 703 555 0142", "my name is Mia"]
    spans = extractor.extract(BATCH_SEPARATOR.join(ads))
    assert [s.value for s in spans] == ["Jessica Ray", "Jessica Ray", "Mia", "Jessica",
                                        "Mia Ray", "Mia Ray", "Mia"]
