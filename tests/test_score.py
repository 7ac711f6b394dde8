"""The transparent scorer: weights file validation and the arithmetic analysts rely on."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline.indicators.lexicon import load_lexicon
from amberline.model import Flag
from amberline.score.scorer import Scorer, WeightsError

CATEGORIES = set(load_lexicon().categories)
SCORER = Scorer.from_file()


def flag(category: str, rule: str | None = None, weight: float = 1.0, start: int = 0) -> Flag:
    return Flag(category, "term", start, start + 4, weight, rule or f"{category}.r")


def test_packaged_weights_cover_lexicon_categories():
    assert set(SCORER.weights) == CATEGORIES
    assert SCORER.version
    assert all(0 <= w < 1 for w in SCORER.weights.values())


def test_defaults_follow_the_evidence():
    w = SCORER.weights
    significant = ("youth", "obscured_contact", "trustworthiness", "ethnicity_named")
    others = set(w) - set(significant) - {"stated_minor_age"}
    assert min(w[c] for c in significant) > max(w[c] for c in others)
    assert w["movement"] == min(w.values())
    assert w["stated_minor_age"] > 0.9
    four = [flag(c) for c in significant]
    assert SCORER.score([flag("stated_minor_age")]) > SCORER.score(four)


def test_no_flags_scores_zero():
    assert SCORER.score([]) == 0.0
    assert SCORER.explain([]) == []


def test_single_flag_scores_its_strength():
    f = flag("youth", weight=0.5)
    assert math.isclose(SCORER.score([f]), SCORER.weights["youth"] * 0.5)
    assert math.isclose(f.contribution, SCORER.weights["youth"] * 0.5)


def test_categories_combine_by_noisy_or():
    flags = [flag("youth"), flag("trustworthiness"), flag("movement")]
    w = SCORER.weights
    expected = 1 - (1 - w["youth"]) * (1 - w["trustworthiness"]) * (1 - w["movement"])
    assert math.isclose(SCORER.score(flags), expected)
    assert flags[0].contribution > flags[2].contribution > 0


def test_same_rule_counts_once_and_repeats_are_capped():
    one = SCORER.score([flag("youth")])
    same_rule = [flag("youth", start=i * 10) for i in range(5)]
    assert math.isclose(SCORER.score(same_rule), one)
    assert [f.contribution > 0 for f in same_rule] == [True, False, False, False, False]
    distinct = [flag("youth", rule=f"youth.{i}", start=i * 10) for i in range(5)]
    s = SCORER.score(distinct)
    bonus = SCORER.repeat_bonus * SCORER.max_repeats
    assert math.isclose(s, 1 - (1 - SCORER.weights["youth"]) ** (1 + bonus))
    assert sum(f.contribution > 0 for f in distinct) == 1 + SCORER.max_repeats


def test_unknown_flag_category_is_an_error():
    with pytest.raises(WeightsError, match="no weight"):
        SCORER.score([flag("horoscope")])


def test_explain_groups_by_category():
    flags = [flag("youth"), flag("youth", rule="youth.other"), flag("movement")]
    rows = SCORER.explain(flags)
    assert [r[0] for r in rows] == ["youth", "movement"]
    assert math.isclose(sum(r[2] for r in rows), SCORER.score(flags), abs_tol=1e-12)
    assert rows[0][1] == SCORER.weights["youth"]


_flags = st.lists(
    st.builds(
        flag,
        st.sampled_from(sorted(CATEGORIES)),
        st.sampled_from(["a", "b", "c", None]),
        st.floats(min_value=0.05, max_value=1.0),
        st.integers(0, 500),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_flags)
def test_contributions_sum_to_score(flags):
    s = SCORER.score(flags)
    assert 0.0 <= s < 1.0
    assert abs(math.fsum(f.contribution for f in flags) - s) <= 1e-12
    assert all(f.contribution >= 0 for f in flags)


@settings(max_examples=300, deadline=None)
@given(_flags, _flags)
def test_adding_flags_never_lowers_the_score(base, extra):
    before = SCORER.score(list(base))
    assert SCORER.score(list(base) + list(extra)) >= before - 1e-12


# ---------------------------------------------------------------- weights file validation


def _write(tmp_path, body: str):
    path = tmp_path / "weights.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _body(weights: dict[str, object], params: str = "", version: str = 'version = "t"') -> str:
    lines = [version, "[weights]"] + [f"{k} = {v}" for k, v in weights.items()]
    return "\n".join(lines) + "\n" + params


CATS = {"youth", "movement"}


def test_custom_weights_file_loads(tmp_path):
    path = _write(tmp_path, _body({"youth": 0.5, "movement": 0}, "[params]\nmax_repeats = 0\n"))
    scorer = Scorer.from_file(path, categories=CATS)
    assert scorer.weights == {"youth": 0.5, "movement": 0.0} and scorer.max_repeats == 0
    assert scorer.score([flag("movement")]) == 0.0


@pytest.mark.parametrize(
    ("weights", "params", "message"),
    [
        ({"youth": 0.5, "movement": 0.1, "astrology": 0.2}, "", "unknown category 'astrology'"),
        ({"youth": 0.5}, "", "no weight for category 'movement'"),
        ({"youth": 1.0, "movement": 0.1}, "", "must be in \\[0, 1\\)"),
        ({"youth": -0.1, "movement": 0.1}, "", "must be in \\[0, 1\\)"),
        ({"youth": '"high"', "movement": 0.1}, "", "must be in"),
        ({"youth": 0.5, "movement": 0.1}, "[params]\nrepeat_bonus = 2\n", "repeat_bonus"),
        ({"youth": 0.5, "movement": 0.1}, "[params]\nmax_repeats = -1\n", "max_repeats"),
        ({"youth": 0.5, "movement": 0.1}, "[params]\nfudge = 1\n", "unknown \\[params\\]"),
    ],
)
def test_weights_validation(tmp_path, weights, params, message):
    path = _write(tmp_path, _body(weights, params))
    with pytest.raises(WeightsError, match=message) as err:
        Scorer.from_file(path, categories=CATS)
    assert "weights.toml" in str(err.value)


def test_weights_file_needs_version_and_valid_toml(tmp_path):
    with pytest.raises(WeightsError, match="version"):
        Scorer.from_file(_write(tmp_path, _body({"youth": 0.1}, version="")), categories={"youth"})
    with pytest.raises(WeightsError, match="not valid TOML"):
        Scorer.from_file(_write(tmp_path, "[weights\n"), categories={"youth"})


def test_memo_gives_each_flag_list_its_own_contributions() -> None:
    """Scores are memoised by flag signature; contributions are still set on every list."""
    scorer = Scorer.from_file()
    first = [Flag("youth", "young", 0, 5, 1.0, "youth.young"),
             Flag("trustworthiness", "real", 6, 10, 1.0, "trust.real")]
    second = [Flag(f.category, f.term, f.start + 20, f.end + 20, f.weight, f.rule) for f in first]
    s1, s2 = scorer.score(first), scorer.score(second)
    assert s1 == s2 > 0
    assert [f.contribution for f in first] == [f.contribution for f in second]
    assert math.isclose(sum(f.contribution for f in second), s2)
    weaker = [Flag("youth", "young", 0, 5, 0.5, "youth.young")]
    assert 0 < scorer.score(weaker) < s1  # a different signature is computed afresh
    with pytest.raises(WeightsError):
        scorer.score([Flag("no_such_category", "x", 0, 1, 1.0, "x")])
