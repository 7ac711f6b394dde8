"""Indicator lexicon, compiled matcher and derived flags.

All text here is synthetic and clinical: it reads like the wording of ads, nothing more.
"""

from __future__ import annotations

import pickle
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.indicators.derived import derive_flags
from amberline.indicators.lexicon import LexiconError, compile_pattern, load_lexicon, parse_lexicon
from amberline.indicators.matcher import BATCH_SEPARATOR, IndicatorMatcher
from amberline.model import AGE, DESCRIPTOR, EMAIL, NAME, PHONE, Ad, Flag, Obfuscation, Span
from amberline.pipeline import Screener, _one_per_span
from amberline.text.chars import COMPAT_FORM, CONTROL, TYPOGRAPHY
from amberline.text.numbers import SPELLED_DIGITS

LEX = load_lexicon()
# The compiled core's engine joins where it is built (tests/test_core_matcher.py compares it
# with the Python engines at length).
ENGINES = ["hyperscan", "ahocorasick"] + (["core"] if core.active() else [])


@pytest.fixture(scope="module", params=ENGINES)
def matcher(request) -> IndicatorMatcher:
    return IndicatorMatcher(LEX, engine=request.param)


# One clinical example per category: (text, expected matched term).
CATEGORY_EXAMPLES = {
    "youth": ("Sweet and young, ask for Mia", "young"),
    "youth_emoji": ("Sweet Mia 💗 call now", "💗"),
    "new_fresh": ("Brand new this week", "Brand new"),
    "third_person": ("Come see us downtown", "Come see us"),
    "movement": ("New in town for the weekend", "New in town"),
    "foreign": ("Just arrived from overseas, new to the USA", "new to the USA"),
    "control": ("Call my manager to book", "my manager"),
    "restriction": ("Outcall only, downtown", "Outcall only"),
    "multiple_providers": ("Two girls available tonight", "Two girls"),
    "always_available": ("Open 24/7 near the airport", "24/7"),
    "ethnicity_named": ("100% Asian, quiet location", "100% Asian"),
    "trustworthiness": ("Pics are real, verified", "Pics are real"),
    "risky_services": ("GFE available", "GFE"),
    "events": ("Super Bowl weekend special", "Super Bowl"),
    "price_codes": ("Roses by the hour", "Roses"),
}


def test_lexicon_is_versioned_and_cited():
    assert LEX.version
    assert len(LEX.entries) >= 30
    for entry in LEX.entries:
        assert entry.citation and entry.category in LEX.categories
        assert 0 < entry.weight <= 1
    assert {"obscured_contact", "age_near_18", "stated_minor_age"} <= set(LEX.categories)


def test_every_lexicon_category_has_an_example():
    assert {e.category for e in LEX.entries} == set(CATEGORY_EXAMPLES)


@pytest.mark.parametrize("category", sorted(CATEGORY_EXAMPLES))
def test_category_fires_with_span(matcher, category):
    text, term = CATEGORY_EXAMPLES[category]
    flags = [f for f in matcher.match(text) if f.category == category]
    assert flags, f"{category} did not fire on {text!r}"
    start = text.index(term)
    assert any((f.start, f.end, f.term) == (start, start + len(term), term) for f in flags)
    for f in flags:
        assert text[f.start : f.end] == f.term
        entry = next(e for e in LEX.entries if e.id == f.rule)
        assert (f.citation, f.weight) == (entry.citation, entry.weight)


def test_every_variant_of_every_entry_matches(matcher):
    for entry in LEX.entries:
        for pat in entry.patterns:
            for variant in pat.variants:
                text = f"x. {variant.upper()} .y"
                hit = [f for f in matcher.match(text) if f.rule == entry.id]
                assert hit and hit[0].start == 3 and hit[0].term == variant.upper(), (
                    entry.id,
                    variant,
                )


def test_crown_emoji_is_control(matcher):
    flags = matcher.match("👑 Mia")
    assert [(f.category, f.start, f.end) for f in flags] == [("control", 0, 1)]


def test_word_boundaries(matcher):
    assert not matcher.match("shell herbal youngstown freshwater bbq realty")
    assert [f.term for f in matcher.match("she, her")] == ["she", "her"]


def test_leftmost_longest_per_entry(matcher):
    flags = [f for f in matcher.match("fresh face") if f.rule == "new_fresh.fresh"]
    assert [(f.start, f.end) for f in flags] == [(0, 10)]
    # different entries may overlap: the phrase and the bare word are both evidence
    rules = {f.rule for f in matcher.match("100% real")}
    assert {"trustworthiness.real", "trustworthiness.bare_real"} <= rules


def test_whitespace_runs_and_newlines_inside_phrase(matcher):
    text = "NEW   in\n town tonight"
    flags = [f for f in matcher.match(text) if f.category == "movement"]
    assert [(f.start, f.end, f.term) for f in flags] == [(0, 14, "NEW   in\n town")]


def test_no_match_crosses_form_feed(matcher):
    text = BATCH_SEPARATOR.join(["Sweet girl new", "in town", "just turned", "18 today"])
    assert all("\f" not in f.term for f in matcher.match(text))
    assert not [f for f in matcher.match(text) if f.category in ("movement", "youth")]


def test_non_ascii_offsets(matcher):
    text = "🌹🌹 Señorita ñ 💗 new girl, 100% real — call us ✈️"
    flags = matcher.match(text)
    assert all(text[f.start : f.end] == f.term for f in flags)
    terms = [f.term for f in flags]
    assert terms[:2] == ["🌹", "🌹"]
    assert {"💗", "new girl", "100% real", "call us", "✈"} <= set(terms)
    g = next(f for f in flags if f.term == "new girl")
    assert (g.start, g.end) == (text.index("new girl"), text.index("new girl") + 8)


def test_batch_split_matches_single_ads(matcher):
    ads = ["Sweet 💗 young Mia", "", "Our girls 24/7", "nothing here", "legit 👑"]
    per_ad = matcher.match_batch(ads)
    for ad, flags in zip(ads, per_ad, strict=True):
        single = matcher.match(ad)
        assert [(f.rule, f.start, f.end) for f in flags] == [
            (f.rule, f.start, f.end) for f in single
        ]


def test_separator_matches_extractor_interface():
    base = pytest.importorskip("amberline.extract.base")
    assert base.BATCH_SEPARATOR == BATCH_SEPARATOR


_FRAGMENTS = [
    "new",
    "in",
    "town",
    "girl",
    "girls",
    "fresh",
    "face",
    "just",
    "turned",
    "18",
    "100%",
    "real",
    "she",
    "our",
    "24/7",
    "💗",
    "🍒",
    "ñ",
    "—",
    "  ",
    "\n",
    BATCH_SEPARATOR,
    "verified",
    "two",
    "asian",
    "x",
    ",",
    "BBFS",
    "roses",
    "🌹",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25), st.sampled_from([" ", "", "\t"]))
def test_engines_agree_and_spans_are_exact(parts, sep):
    text = sep.join(parts)
    results = []
    for m in _ENGINE_CACHE:
        flags = m.match(text)
        for f in flags:
            assert text[f.start : f.end] == f.term and "\f" not in f.term
        results.append([(f.rule, f.start, f.end) for f in flags])
    assert all(r == results[0] for r in results)


_ENGINE_CACHE = [IndicatorMatcher(LEX, engine=e) for e in ENGINES]


def test_matcher_pickles_for_workers():
    m = pickle.loads(pickle.dumps(_ENGINE_CACHE[0]))
    assert [f.term for f in m.match("young and verified")] == ["young", "verified"]


# ---------------------------------------------------------------- lexicon validation

_GOOD = {"id": "t.one", "category": "youth", "patterns": ["young"], "citation": "observed"}


def _doc(**entry):
    return {"version": "t", "categories": {"youth": "d"}, "entry": [{**_GOOD, **entry}]}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"category": "nope"}, "unknown category"),
        ({"patterns": ["(young"]}, "unclosed"),
        ({"patterns": ["you.*ng"]}, "needs a"),
        ({"patterns": ["a?"]}, "empty string"),
        ({"patterns": ["(x|%)"]}, "mixes word and non-word"),
        ({"patterns": ["buy you (a |some )"]}, "whitespace at the edge"),
        ({"patterns": ["( a|b) gift"]}, "whitespace at the edge"),
        ({"patterns": []}, "non-empty list"),
        ({"citation": " "}, "empty citation"),
        ({"weight": 1.5}, "weight"),
        ({"weight": 0}, "weight"),
        ({"colour": "red"}, "unknown keys"),
    ],
)
def test_lexicon_validation_errors(entry, message):
    with pytest.raises(LexiconError, match=message):
        parse_lexicon(_doc(**entry), "test.toml")


def test_duplicate_ids_and_missing_version_rejected():
    doc = _doc()
    doc["entry"].append(dict(_GOOD))
    with pytest.raises(LexiconError, match="duplicate id"):
        parse_lexicon(doc)
    with pytest.raises(LexiconError, match="version"):
        parse_lexicon({"categories": {}})


def test_bad_toml_names_file(tmp_path):
    path = tmp_path / "lex.toml"
    path.write_text("version = \n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"lex\.toml"):
        load_lexicon(path)


def test_pattern_syntax():
    p = compile_pattern(r"just\s+turned\s+1[89]")
    assert p.variants == ("just turned 18", "just turned 19") and p.word_start and p.word_end
    assert re.fullmatch(p.regex, "just \t turned 19", re.I)
    assert not re.fullmatch(p.regex, "just\fturned 19", re.I)
    e = compile_pattern("💗")
    assert not e.word_start and not e.word_end


# ---------------------------------------------------------------- derived flags


def _span(kind, value, text, sub, attrs=None):
    start = text.index(sub)
    return Span(kind, value, start, start + len(sub), "test", attrs=attrs or {})


def test_derived_ages_names_and_descriptors():
    text = "Mia 17 and Ava 19, petite Latina"
    spans = [
        _span(NAME, "Mia", text, "Mia"),
        _span(AGE, 17, text, "17"),
        _span(NAME, "Ava", text, "Ava"),
        _span(AGE, 19, text, "19"),
        _span(DESCRIPTOR, "latina", text, "Latina", {"kind": "ethnicity"}),
        _span(DESCRIPTOR, "petite", text, "petite", {"kind": "body"}),
    ]
    got = {(f.rule, f.term) for f in derive_flags(spans, [], text)}
    assert got == {
        ("derived:stated_minor_age", "17"),
        ("derived:age_near_18", "19"),
        ("derived:multiple_providers", "Mia"),
        ("derived:multiple_providers", "Ava"),
        ("derived:multiple_providers", "17"),
        ("derived:multiple_providers", "19"),
        ("derived:ethnicity_named", "Latina"),
    }
    for f in derive_flags(spans, [], text):
        assert f.citation and text[f.start : f.end] == f.term


def test_derived_single_provider_and_adult_age_not_flagged():
    text = "Mia 24, ask for Mia"
    spans = [_span(NAME, "Mia", text, "Mia"), _span(AGE, 24, text, "24")]
    spans.append(Span(NAME, "mia", 16, 19, "test"))
    assert derive_flags(spans, [], text) == []


def test_derived_obscured_contact():
    text = "call 703 5five5 0142 or mia@example.org"
    phone = _span(PHONE, "+17035550142", text, "703 5five5 0142")
    email = _span(EMAIL, "mia@example.org", text, "mia@example.org")
    obf = Obfuscation(text.index("five"), text.index("five") + 4, SPELLED_DIGITS, "five")
    flags = derive_flags([phone, email], [obf], text)
    assert [(f.category, f.term) for f in flags] == [("obscured_contact", "703 5five5 0142")]
    assert derive_flags([phone, email], [], text) == []


@pytest.mark.parametrize("kind", [TYPOGRAPHY, CONTROL])
def test_derived_obscured_contact_ignores_layout_obfuscations(kind: str):
    """A no-break space or a stray control character inside a contact disguises nothing."""
    text = "call 703 555 0142 or mia@example.org"
    phone = _span(PHONE, "+17035550142", text, "703 555 0142")
    email = _span(EMAIL, "mia@example.org", text, "mia@example.org")
    at = text.index("555")
    layout = Obfuscation(at - 1, at, kind, "\u00a0" if kind == TYPOGRAPHY else "\x07")
    assert derive_flags([phone, email], [layout], text) == []
    hidden = Obfuscation(at, at + 3, COMPAT_FORM, "\uff15\uff15\uff15")
    flags = derive_flags([phone, email], [layout, hidden], text)
    assert [f.term for f in flags] == ["703 555 0142"]


def test_derived_obscured_contact_through_pipeline():
    """End to end: an emoji-separated phone is flagged, a no-break space inside one is not."""
    screener = Screener()
    hidden, spaced = screener.screen_batch([
        Ad(source="t", source_id="1", body="text 703\U0001f525555\U0001f5250142 now"),
        Ad(source="t", source_id="2", body="text 703\u00a0555\u00a00142 now"),
    ])
    assert [s.value for s in hidden.spans_of(PHONE)] == ["+17035550142"]
    assert [s.value for s in spaced.spans_of(PHONE)] == ["+17035550142"]
    assert [f.rule for f in hidden.flags] == ["derived:obscured_contact"]
    assert {o.kind for o in spaced.obfuscations} == {TYPOGRAPHY}
    assert spaced.flags == []



def test_one_flag_per_category_and_span_in_screening():
    """A descriptor-derived flag and a lexicon flag of one category on the same word are one
    piece of evidence: the screening keeps the heavier one and scores only what it shows."""
    screener = Screener()
    ad = Ad(source="t", source_id="1", title="Thai girl", body="Sweet Thai girl, ask for Mia")
    text = ad.text
    lexicon_rules = {(f.rule, f.start, f.end) for f in screener.matcher.match(text)}
    assert ("ethnicity_named.named", 16, 20) in lexicon_rules  # both sources did fire
    screening = screener.screen(ad)
    ethnic = [(f.rule, f.start, f.end, f.weight) for f in screening.flags
              if f.category == "ethnicity_named"]
    derived = "derived:ethnicity_named"
    assert ethnic == [(derived, 0, 4, 1.0), (derived, 16, 20, 1.0)]
    keys = [(f.category, f.start, f.end) for f in screening.flags]
    assert len(keys) == len(set(keys))
    copies = [Flag(f.category, f.term, f.start, f.end, f.weight, f.rule, f.citation)
              for f in screening.flags]
    assert screening.score == pytest.approx(screener.scorer.score(copies))
    assert sum(f.contribution for f in screening.flags) == pytest.approx(screening.score)


def test_one_per_span_keeps_heaviest_and_other_categories():
    """Same (category, start, end): the highest weight wins, the earlier one on a tie; another
    category on the same words, or the same category elsewhere, is kept."""
    def flag(category: str, start: int, weight: float, rule: str) -> Flag:
        return Flag(category, "x", start, start + 4, weight, rule)

    flags = [
        flag("ethnicity_named", 0, 0.9, "ethnicity_named.named"),
        flag("youth", 0, 0.5, "youth.a"),
        flag("ethnicity_named", 0, 1.0, "derived:ethnicity_named"),
        flag("ethnicity_named", 10, 1.0, "derived:ethnicity_named"),
        flag("ethnicity_named", 10, 1.0, "derived:other"),
        flag("youth", 20, 0.5, "youth.a"),
    ]
    kept = [(f.category, f.start, f.rule) for f in _one_per_span(flags)]
    assert kept == [
        ("ethnicity_named", 0, "derived:ethnicity_named"),
        ("youth", 0, "youth.a"),
        ("ethnicity_named", 10, "derived:ethnicity_named"),
        ("youth", 20, "youth.a"),
    ]
    distinct = [flag("youth", 0, 0.5, "youth.a"), flag("youth", 5, 0.5, "youth.a")]
    assert _one_per_span(distinct) is distinct


def test_custom_lexicon_drives_the_derived_rules(tmp_path):
    """With `lexicon_path`, derived flags take their weight and citation from that file."""
    from importlib import resources

    from amberline.pipeline import ScreenConfig

    packaged = resources.files("amberline.indicators").joinpath("lexicon.toml").read_text(
        encoding="utf-8")
    custom = packaged.replace(
        'citation = "DIG HTI age extractor; under 18 is a minor (18 U.S.C. 1591)"',
        'citation = "team rule 7"\nweight = 0.35',
    )
    assert custom != packaged
    path = tmp_path / "lexicon.toml"
    path.write_text(custom, encoding="utf-8")
    ad = Ad(source="t", source_id="1", body="Hi, I am 16 years old")
    default = Screener().screen(ad)
    configured = Screener(ScreenConfig(lexicon_path=path)).screen(ad)
    (d,) = [f for f in default.flags if f.rule == "derived:stated_minor_age"]
    (c,) = [f for f in configured.flags if f.rule == "derived:stated_minor_age"]
    assert (c.citation, c.weight) == ("team rule 7", 0.35)
    assert d.citation.startswith("DIG HTI") and d.weight != 0.35


def test_custom_lexicon_without_derived_rules_fails_at_start(tmp_path):
    from amberline.pipeline import ScreenConfig

    path = tmp_path / "lexicon.toml"
    path.write_text('version = "t1"\n[categories]\nyouth = "youth"\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"derived\.stated_minor_age"):
        Screener(ScreenConfig(lexicon_path=path))


# ---- lexicon audit on real ads (bench/real_quality.py --flags): ordinary language is no flag ---

@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("NO BB, NO GFE, no rush", set()), ("🚫 bb 🚫 games", set()),
        ("No greek, bb or bbbj", set()), ("never without gfe", set()),
        ("GFE available", {"risky_services.codes"}),
        ("No rush. GFE and more", {"risky_services.codes"}),  # a new sentence offers it
        ("Always clean and fresh", set()), ("a breath of fresh air", set()),
        ("fresh face in the area", {"new_fresh.fresh"}),
        ("our time together", set()), ("don't ask for more pictures", set()),
        ("our staff will greet you", {"third_person.agency"}),
    ],
)
def test_audited_entries(matcher, text: str, rules: set[str]) -> None:
    audited = {"risky_services.codes", "new_fresh.fresh", "third_person.agency"}
    assert {f.rule for f in matcher.match(text)} & audited == rules


def test_refusable_must_be_a_boolean() -> None:
    doc = {"version": "t", "categories": {"c": "d"},
           "entry": [{"id": "c.x", "category": "c", "patterns": ["x"], "citation": "observed",
                      "refusable": "yes"}]}
    with pytest.raises(LexiconError, match="refusable"):
        parse_lexicon(doc, "<t>")
    doc["entry"][0]["refusable"] = True
    assert parse_lexicon(doc, "<t>").entries[0].refusable


def _providers(*spans: Span) -> list[str]:
    return [f.term for f in derive_flags(list(spans), [], "x" * 80)
            if f.category == "multiple_providers"]


def test_multiple_providers_needs_real_evidence() -> None:
    suffix = Span("age", 23, 10, 14, "ages", 1.0, {"origin": "title_suffix"})
    field = Span("age", 24, 0, 0, "fields", 1.0, {"origin": "field", "field": "age"})
    stated = Span("age", 22, 20, 22, "ages", 1.0, {"origin": "text"})
    other = Span("age", 25, 30, 32, "ages", 1.0, {"origin": "text"})
    assert _providers(suffix, field, stated) == []  # the poster's field went stale: one person
    assert len(_providers(stated, other)) == 2  # two ages stated in the text
    strong = Span("name", "Ana", 40, 43, "names", 0.9)
    weak = Span("name", "Tiny", 50, 54, "names", 0.6)
    assert _providers(strong, weak) == []
    assert len(_providers(strong, Span("name", "Mia", 60, 63, "names", 0.9))) == 2
