"""A synthetic, clinical conversation corpus with planted grooming and sextortion patterns.

Why: the tests and `make demo` need conversations with known answers, and no real chat log may
enter the repository. Every line here is invented and non-explicit: the planted patterns are
the behaviours the literature describes (asking a child's age, whether they are alone, for
secrecy, for a photo, to move apps, to meet; gifts; payment demands with a threat to share
images), written in neutral words. Ordinary conversations include look-alikes (two teenagers
giving their ages and swapping photos of a pet, a parent arranging a pick-up), so a screen that
alerts on one word is caught out.

Each record is `{"id", "messages": [{"author", "time", "text"}], "label", "kind", "planted"}`:
`label` 1 for grooming or sextortion, `planted` the index of the first planted message (None
for ordinary conversations).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

KINDS = ("ordinary", "lookalike", "grooming", "sextortion")
_WEIGHTS = (0.55, 0.15, 0.2, 0.1)

SMALL_TALK = [
    "hey, how was your day", "pretty good, lots of homework", "did you see the match",
    "yes the second half was great", "what are you up to this weekend",
    "probably just chilling at home", "i finished the new level finally", "nice, which boss",
    "the one in the ice castle", "that one took me ages", "lol same", "what music do you like",
    "mostly pop and some rock", "cool, me too", "how is your cat doing", "she is fine, sleeping",
    "are you going to the fair", "maybe, if it does not rain", "i have a test on friday",
    "good luck, you will do fine", "thanks", "what did you have for dinner", "pasta again",
    "my team lost yesterday", "unlucky, next time", "ok talk later", "bye for now",
]
ADULT_TALK = [
    "are we still on for the meeting on monday", "yes, ten o'clock works",
    "can you send the report",
    "sent it this morning", "thanks, i will read it tonight", "the train was late again",
    "want to grab coffee after work", "sure, the place near the station", "see you there",
    "did you book the tickets", "yes, two for saturday", "great, thanks",
]
LOOKALIKE = [  # two teenagers: (participant, text); both give their age
    ("a", "i'm 15 and my sister is 12"), ("b", "i'm 14, turning 15 in may"),
    ("a", "send me a photo of your dog"), ("b", "here, he is asleep on the sofa"),
    ("a", "my mom will take us to the cinema"), ("b", "cool, what time"),
    ("b", "we have middle school exams next week"), ("a", "i know, so much revision"),
]
FAMILY = [  # a parent and a child arranging a pick-up
    ("p", "i can pick you up after practice"), ("c", "ok thanks, at five"),
    ("p", "did you remember your lunch"), ("c", "yes"), ("p", "love you, see you later"),
]
GROOMING = {
    "has_minor": ["i'm 13", "i'm 12 and a half", "i am 14", "i'm in 8th grade",
                  "we are doing middle school tests"],
    "compliment": ["you seem really mature", "you are so easy to talk to",
                   "you understand me better than anyone"],
    "age_gap": ["age is just a number", "you are mature for your age", "am i too old for you"],
    "child_access": ["are you home alone", "when do your parents get home",
                     "does your mom check your phone", "is your door locked"],
    "secrecy": ["don't tell your parents about me", "this is our secret",
                "delete these messages after", "nobody needs to know we talk"],
    "platform_move": ["add me on snapchat", "what's your kik", "give me your number",
                      "let's talk on telegram instead"],
    "self_generated": ["send me a photo of yourself", "turn on your camera",
                       "can i see a picture of you", "do you have a webcam"],
    "gifts_money": ["i'll buy you a new phone", "i can send you money for games",
                    "i'll get you a gift card"],
    "meeting": ["i could pick you up after school", "want to meet this weekend",
                "where do you live", "i can drive to your house"],
}
SEXTORTION = [
    "i have the photos you sent", "unless you pay i'll post them",
    "all your friends will see them", "you have 2 hours", "send me a gift card now",
    "pay me $200 or else", "i will send them to your family", "bitcoin now or everyone sees",
]
REPLIES = ["ok", "idk", "why", "maybe", "haha", "i guess", "please stop", "i don't know",
           "sure", "what do you mean", "ok i won't", "i'm scared"]


def _names(rng: random.Random) -> tuple[str, str]:
    first = ["river", "stone", "maple", "comet", "harbor", "ember", "willow", "quartz"]
    a, b = rng.sample(first, 2)
    return f"{a}{rng.randint(10, 99)}", f"{b}{rng.randint(10, 99)}"


def _messages(lines: list[tuple[str, str]], start: datetime,
              rng: random.Random) -> list[dict[str, Any]]:
    out = []
    when = start
    for author, text in lines:
        when += timedelta(seconds=rng.randint(5, 600))
        out.append({"author": author, "time": when.strftime("%Y-%m-%dT%H:%M:%S"), "text": text})
    return out


def conversation(i: int, rng: random.Random) -> dict[str, Any]:
    """One synthetic conversation record (see the module docstring)."""
    kind = rng.choices(KINDS, _WEIGHTS)[0]
    adult, child = _names(rng)
    chat = [(rng.choice((adult, child)), t) for t in rng.sample(SMALL_TALK, rng.randint(4, 9))]
    planted = None
    if kind == "ordinary" and rng.random() < 0.3:
        chat = [(rng.choice((adult, child)), t) for t in rng.sample(ADULT_TALK, 6)]
    elif kind == "lookalike" and rng.random() < 0.3:
        chat = [(adult if who == "p" else child, text) for who, text in FAMILY]
    elif kind == "lookalike":
        picks = LOOKALIKE[:2] + rng.sample(LOOKALIKE[2:], 3)
        for who, text in picks:
            chat.insert(rng.randint(1, len(chat)), (adult if who == "a" else child, text))
    elif kind == "grooming":
        planted = len(chat)
        steps = ["has_minor", *rng.sample([k for k in GROOMING if k != "has_minor"],
                                          rng.randint(3, 6))]
        for step in steps:
            who = child if step == "has_minor" else adult
            chat.append((who, rng.choice(GROOMING[step])))
            chat.append((child if who == adult else adult, rng.choice(REPLIES + SMALL_TALK)))
    elif kind == "sextortion":
        planted = len(chat)
        for text in rng.sample(SEXTORTION, rng.randint(3, 5)):
            chat.append((adult, text))
            if rng.random() < 0.6:
                chat.append((child, rng.choice(REPLIES)))
    start = datetime(2026, 1, 5) + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    return {
        "id": f"chat-{i:05d}",
        "messages": _messages(chat, start, rng),
        "label": int(kind in ("grooming", "sextortion")),
        "kind": kind,
        "planted": planted,
    }


def write_chats(out: Path, n: int, seed: int) -> dict[str, int]:
    """Write `n` conversations as JSON Lines; returns the count of each kind."""
    rng = random.Random(seed)
    counts = dict.fromkeys(KINDS, 0)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = conversation(i, rng)
            counts[rec["kind"]] += 1
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return counts
