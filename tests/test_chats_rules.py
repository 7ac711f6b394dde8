"""Conversation lexicon and rules scoring: every category fires on an invented, clinical example
with its span and author, the lexicon file is validated like the ad lexicon, and the rules score
needs corroborating evidence before it alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from amberline.chats.records import Conversation, Message
from amberline.chats.rules import CROSS_AUTHOR, ChatRules, default_rules, load_chat_lexicon
from amberline.indicators.lexicon import LexiconError

RULES = default_rules()

EXAMPLES = {
    "has_minor": "i'm 13 by the way",
    "child_access": "are you home alone right now",
    "self_generated": "can you send me a photo",
    "sextortion": "unless you pay by tonight",
    "secrecy": "don't tell your parents about this",
    "platform_move": "add me on snapchat instead",
    "meeting": "i could pick you up after class",
    "gifts_money": "i'll buy you a new phone",
    "age_gap": "age is just a number",
    "adult_age": "i'm 34 years old",
    "escalation": "what are you wearing",
}


def conv(*messages: tuple[str, str]) -> Conversation:
    return Conversation("t", [Message(a, t) for a, t in messages])


def flags_of(c: Conversation):
    return RULES.flags_batch([c])[0]


def test_every_category_has_an_example() -> None:
    assert set(EXAMPLES) == set(RULES.categories)


@pytest.mark.parametrize("category", sorted(EXAMPLES))
def test_category_fires_with_span_and_author(category: str) -> None:
    text = EXAMPLES[category]
    flags = flags_of(conv(("other", "hello"), ("writer", text)))
    hits = [f for f in flags if f.category == category]
    assert hits, f"{category} did not fire on {text!r}"
    f = hits[0]
    assert f.message == 1 and f.author == "writer"
    assert text[f.start : f.end] == f.term
    assert f.rule and f.citation


def test_entries_are_cited_and_scored() -> None:
    chat = load_chat_lexicon()
    assert all(e.citation for e in chat.lexicon.entries)
    assert set(chat.scoring.categories) == set(chat.lexicon.categories)


def test_ordinary_chat_raises_nothing() -> None:
    c = conv(("a", "did you watch the match last night"), ("b", "yes, the second half was great"),
             ("a", "see you at practice on tuesday"))
    assert flags_of(c) == []
    assert RULES.score(c, []).score == 0.0


def test_offsets_survive_normalisation() -> None:
    text = "ok. sеnd me a photo"  # Cyrillic 'е' inside a word, and a zero-width space before
    text = "\u200b" + text
    flags = flags_of(conv(("a", text)))
    f = next(f for f in flags if f.category == "self_generated")
    assert text[f.start : f.end] == f.term and "photo" in f.term


def test_two_categories_stay_below_threshold_three_cross_it() -> None:
    two = conv(("a", "i'm 15"), ("a", "send me a photo of your dog"))
    r2 = RULES.score(two, flags_of(two))
    assert r2.score < RULES.scoring.threshold and r2.first_alert is None
    three = conv(("b", "hi"), ("a", "can you send me a photo"),
                 ("a", "i could pick you up after class"), ("a", "don't tell anyone ok"))
    r3 = RULES.score(three, flags_of(three))
    assert r3.score >= RULES.scoring.threshold
    assert r3.first_alert == 3  # the message that brought the third category
    assert abs(sum(r3.contributions.values()) - r3.score) < 1e-4


def test_cross_author_term_needs_two_people() -> None:
    same = conv(("a", "i'm 13"), ("a", "don't tell your parents"))
    other = conv(("a", "i'm 13"), ("b", "don't tell your parents"))
    r_same = RULES.score(same, flags_of(same))
    r_other = RULES.score(other, flags_of(other))
    assert CROSS_AUTHOR not in r_same.contributions
    assert CROSS_AUTHOR in r_other.contributions
    assert r_other.score > r_same.score
    assert r_other.score >= RULES.scoring.threshold and r_other.first_alert == 1


def test_a_stated_age_without_authors_is_flagged_but_not_scored() -> None:
    """Two teenagers state their ages too: without author names the rules cannot tell whose
    age it is, so it cannot be what tips a conversation into an alert."""
    lines = ("i'm 14", "can you send me a photo", "where do you live")
    anonymous = conv(*(("", t) for t in lines))
    flags = flags_of(anonymous)
    assert "has_minor" in {f.category for f in flags}
    r_anon = RULES.score(anonymous, flags)
    assert "has_minor" not in r_anon.contributions
    assert r_anon.score < RULES.scoring.threshold and r_anon.first_alert is None
    authored = conv(("kid", lines[0]), ("adult", lines[1]), ("adult", lines[2]))
    r_auth = RULES.score(authored, flags_of(authored))
    assert "has_minor" in r_auth.contributions
    assert r_auth.score >= RULES.scoring.threshold and r_auth.first_alert == 1
    conduct = conv(*(("", t) for t in ("can you send me a photo",
                                       "i could pick you up after class",
                                       "don't tell anyone ok")))
    assert RULES.score(conduct, flags_of(conduct)).score >= RULES.scoring.threshold


def test_conduct_specific_to_approaching_a_child_outweighs_what_adults_chats_share() -> None:
    """Without authors, probing whether the other is alone plus arranging a meeting alerts on
    its own; picture requests with questions about clothing (adults' own chats show both) and
    a question where someone lives do not."""
    access = conv(("", "are your parents home tonight"), ("", "i could pick you up at six"))
    r = RULES.score(access, flags_of(access))
    assert r.score >= RULES.scoring.threshold and r.first_alert == 1
    adults = conv(("", "send me a photo"), ("", "what are you wearing"),
                  ("", "where do you live"))
    flags = flags_of(adults)
    assert {f.category for f in flags} == {"self_generated", "escalation", "meeting"}
    assert RULES.score(adults, flags).score < RULES.scoring.threshold
    live = next(f for f in flags if f.category == "meeting")
    assert live.rule == "meeting.location" and live.weight < 1.0


def test_chat_spellings_of_the_indicators_fire() -> None:
    """Chat logs abbreviate ("u", "ur"): the stage indicators are written that way too."""
    for category, text in (("child_access", "is ur mom at work"),
                           ("child_access", "r u by urself"),
                           ("meeting", "i can come get u"),
                           ("platform_move", "can i call u tonight"),
                           ("platform_move", "whats ur cell number"),
                           ("secrecy", "dont tell ur parents"),
                           ("age_gap", "age doesnt matter")):
        found = [f for f in flags_of(conv(("a", text))) if f.category == category]
        assert found and text[found[0].start:found[0].end] == found[0].term, (category, text)


def test_risk_assessment_and_contact_moves_fire() -> None:
    """The stage models' risk assessment (would the parents know, is the child alone after
    school), offers to come or drive over, and handing over a phone number are conduct the
    lexicon names; ordinary plans between friends written without them raise nothing."""
    for category, text in (("child_access", "would ur parents find out"),
                           ("child_access", "is ur mom still at work"),
                           ("child_access", "what time do you get home from school"),
                           ("child_access", "so you have the house to yourself"),
                           ("meeting", "i could drive down saturday"),
                           ("meeting", "meet u at the mall"),
                           ("platform_move", "heres my number"),
                           ("platform_move", "do u have a cell"),
                           ("platform_move", "text me tonight")):
        found = [f for f in flags_of(conv(("a", text))) if f.category == category]
        assert found and text[found[0].start:found[0].end] == found[0].term, (category, text)
    assert flags_of(conv(("a", "the library closes early on sunday"),
                         ("b", "then we study at my place"))) == []


def test_sextortion_script() -> None:
    c = conv(("x", "i have the photos"), ("x", "unless you pay i'll post them"),
             ("x", "you have 2 hours"), ("x", "send me a gift card"), ("y", "please stop"))
    flags = flags_of(c)
    assert {f.category for f in flags} == {"sextortion"}
    assert {f.rule for f in flags} >= {"extortion.payment_demand", "extortion.threat_to_share",
                                       "extortion.deadline"}


def test_lexicon_errors_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "lex.toml"
    path.write_text('version = "1"\n[categories]\na = "x"\n[scoring]\nthreshold = 0.5\n'
                    "[scoring.categories]\n")
    with pytest.raises(LexiconError, match="no weight for"):
        load_chat_lexicon(path)
    path.write_text('version = "1"\n[categories]\na = "x"\n[scoring.categories]\na = 0.3\n'
                    '[[entry]]\nid = "e"\ncategory = "a"\npatterns = ["x"]\ncitation = ""\n')
    with pytest.raises(LexiconError, match="empty citation"):
        load_chat_lexicon(path)
    path.write_text('version = "1"\n[categories]\na = "x"\n[scoring.categories]\na = 0.3\n'
                    '[[entry]]\nid = "e"\ncategory = "a"\npatterns = ["ok"]\ncitation = "c"\n')
    custom = ChatRules(load_chat_lexicon(path))
    assert [f.term for f in custom.flags_batch([conv(("a", "ok then"))])[0]] == ["ok"]
