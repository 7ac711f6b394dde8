"""Word lists and sentence fragments for the synthetic corpus: realistic in structure, clinical
in content.

Why fragments and not whole ads: independent advertisers must not look like copies of one
another (or the template linker would glue them together), so their ads are assembled from many
small interchangeable parts in random order; a planted network fixes one choice per part once
and reuses it as its template. Indicator phrases are grouped by the category an analyst would
flag them under, so the generator can plant them at known rates and record what it planted.
Nothing here is sexual: `tests/test_synth.py` checks every string against a blocklist.

Slots, filled per ad: {name} {age} {city} {city_tag} {price} {phone} {handle} {email}.
"""

from __future__ import annotations

SOURCES = ("classifieds-a.example", "directory-b.example", "social-c.example")
SOURCE_WEIGHTS = (5, 3, 2)

NAMES = (
    "Mia", "Ava", "Luna", "Bella", "Chloe", "Sofia", "Lily", "Nina", "Jade", "Ruby", "Daisy",
    "Gigi", "Lola", "Kiki", "Coco", "Aria", "Maya", "Zoe", "Ella", "Layla", "Stella", "Ivy",
    "Hazel", "Violet", "Aurora", "Skye", "Paris", "Destiny", "Candy", "Honey", "Alina", "Crystal",
    "Diamond", "Jasmine", "Mercedes", "Brandy", "Star", "Angel", "Tiffany", "Roxy", "Sasha",
    "Natasha", "Valentina", "Camila", "Isabella", "Lucia", "Mariana", "Yuki", "Mei", "Lin",
    "Suki", "Kim", "Anna", "Eva", "Kayla", "Brooke", "Summer", "Autumn", "Raven", "Sienna",
    "Gia", "Tia", "Nia", "Leah", "Rose", "Lexi", "Dani", "Remi", "Noor", "Priya",
)

GREETINGS = (
    "Hi gentlemen", "Hello there", "Hey guys", "Good evening", "Hi everyone", "Welcome",
    "Hello hello", "Hey there", "Greetings", "Happy Friday", "Good morning", "Hi loves",
    "Hey hey", "Hello friends", "Hi new friends",
)

INTROS = (
    "My name is {name}", "I'm {name}", "Call me {name}", "This is {name}", "{name} here",
    "It's your girl {name}", "You can call me {name}", "They call me {name}", "Meet {name}",
)

AGE_FORMS = ("Age {age}", "{age} yrs", "{age} y/o", "I am {age}", "{age} years old", "{age}yo")

CITY_FORMS = (
    "in {city}", "located in {city}", "{city} area", "near downtown {city}", "in the {city} area",
    "close to the airport in {city}", "staying in {city}", "based in {city}",
)

DESCRIPTORS = (
    "friendly and easygoing", "classy and discreet", "sweet personality", "great conversation",
    "fun and outgoing", "professional and punctual", "petite and slim", "tall and athletic",
    "warm smile", "relaxing company", "laid back and chill", "upscale and elegant",
    "always on time", "down to earth", "bubbly and kind",
)

AVAILABILITY = (
    "Available today", "Available evenings and weekends", "Incall and outcall",
    "Incall only", "Outcall only", "Available until late", "Available now",
    "Appointments only", "Same day appointments", "Text first", "No texts after midnight",
    "Available mornings", "Short notice ok", "Weekdays only", "Booking for this weekend",
)

MASSAGE = (
    "Relaxing Swedish massage", "Deep tissue and hot stone", "New spa, clean rooms",
    "Free parking in back", "Walk-ins welcome", "Foot spa and reflexology",
    "Quiet private rooms",
)

RULES = (
    "Screening required", "Serious inquiries only", "No blocked numbers",
    "Respectful gentlemen only", "Deposit required", "No games please", "References required",
    "No law enforcement", "Please be on time", "Cash only",
)

CLOSINGS = (
    "Don't miss out", "See you soon", "Text me", "Call or text", "XOXO", "Thanks for looking",
    "Hope to hear from you", "Looking forward to meeting you", "Have a great day",
    "Message me anytime",
)

CONTACT_FORMS = (
    "Call {phone}", "Text {phone}", "Call/text {phone}", "Contact: {phone}", "📱 {phone}",
    "Txt only {phone}", "Reach me at {phone}", "Ph: {phone}", "Cell {phone}",
)

HANDLE_FORMS = (  # (platform, form)
    ("snapchat", "snap: {handle}"), ("snapchat", "SC {handle}"), ("instagram", "IG @{handle}"),
    ("instagram", "insta @{handle}"), ("kik", "kik {handle}"), ("telegram", "telegram @{handle}"),
    ("telegram", "tg: {handle}"),
)

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
EMAIL_FORMS = ("{user}@{domain}", "{user} at {stem} dot {tld}", "{user} (at) {domain}")

HANDLE_WORDS = (
    "sunny", "vip", "xo", "luv", "star", "glam", "pretty", "queen", "official", "only",
    "blue", "rose", "moon", "gold", "cafe", "lux",
)

# (form, low, high): price amounts are drawn from [low, high] in steps of 10.
PRICE_FORMS = (
    ("{n} roses/hr", 150, 300), ("{n} roses hh", 80, 160), ("${n} qv", 60, 100),
    ("{n}hh", 80, 160), ("{n}/hr", 150, 300), ("${n} hour", 150, 300),
    ("donations {n}/h", 150, 300), ("{n} donation for 30 min", 80, 160),
    ("Rates: qv {n}", 60, 100),
)

HASHTAGS = (
    "#incall", "#outcall", "#newintown", "#available", "#massage", "#relax", "#spa",
    "#weekend", "#vip", "#companion", "#booknow", "#tonight",
)

EMOJI = ("✨", "🌸", "🌹", "💫", "⭐", "🦋", "🌺", "😊", "💎", "🔥")

TITLES = (
    "{emoji} {name} {emoji}", "{name} available now",
    "{adj} {name} in {city}", "{emoji} {adj} and {adj2} {emoji}",
    "{name} - {adj} company", "{city} {adj} {name}", "Hi from {name} {emoji}",
    "{adj} {eth} {name}", "Book with {name} today",
)
TITLE_ADJECTIVES = (
    "Sweet", "Classy", "Friendly", "Elegant", "Sunny", "Upscale", "Lovely", "Gorgeous",
    "Charming", "Relaxing", "Bubbly", "Stunning",
)

# ---- indicator phrases, grouped by the category an analyst flags them under ----------------

YOUTH = (
    "young and sweet", "fresh face", "new girl", "just turned 18", "babygirl",
    "young fun girl", "sweet young lady", "fresh and new", "your babygirl",
)
MOVEMENT_TITLES = ("New in {city} - {name}", "Visiting {city} {emoji}", "{name} just arrived")
YOUTH_EMOJI = ("💗", "🍒", "👑", "🎀", "🍭")

MOVEMENT = (
    "new in town", "just visiting", "leaving soon", "here for a few days only",
    "last days in {city}", "just arrived in {city}", "in town this week only",
)

THIRD_PERSON = (
    "she is sweet and friendly", "our girls are friendly", "new girls every week",
    "come see us", "we have new girls", "ask for her by name", "call us to book",
    "she is waiting for your call", "our staff will take care of you",
)

THIRD_PERSON_INTROS = ("Ask for {name}", "Meet {name}", "Introducing {name}", "Booking {name}")

AROUND_CLOCK = ("24/7", "open 24 hours", "available 24/7", "day and night", "24hrs")

ETHNICITIES = (
    "Latina", "Asian", "Thai", "Korean", "Japanese", "Brazilian", "Russian", "Colombian",
    "Cuban", "Filipina", "Chinese", "Vietnamese",
)
ETHNICITY_FORMS = ("{eth} beauty", "sweet {eth} girl", "{eth}", "exotic {eth}", "{eth} doll")

TRUST = (
    "100% real", "verified", "real pics", "no fakes", "pics are me", "100% real pics",
    "verified and reviewed", "real and recent photos",
)

# Which indicator category each list plants, and its rate in independent / network ads.
INDICATOR_RATES: dict[str, tuple[float, float]] = {
    "youth": (0.06, 0.45),
    "youth_emoji": (0.05, 0.35),
    "movement": (0.10, 0.50),
    "third_party": (0.02, 0.40),
    "around_clock": (0.06, 0.35),
    "ethnicity": (0.18, 0.45),
    "trust": (0.14, 0.40),
}

# A site's boilerplate, appended to many independent ads: a hub that must NOT join them.
DISCLAIMERS = (
    "All ads are posted by independent adults. Report abuse at safety@{site}",
    "All ads are posted by independent adults 18+. Report abuse at https://{site}/report",
)

SEPARATORS = (". ", "! ", " ~ ", "\n", " | ", ". ", "\n")


def all_strings() -> list[str]:
    """Every string in this module, for the explicit-terms check."""
    out: list[str] = []
    for value in globals().values():
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, str):
                    out.append(item)
                elif isinstance(item, tuple):
                    out.extend(x for x in item if isinstance(x, str))
    return out
