"""Network score: in [0, 1), explained part by part, weights from a validated TOML file."""

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amberline.link.features import NetworkFeatures
from amberline.link.network_score import (
    SIGNALS,
    NetworkWeights,
    NetworkWeightsError,
    default_weights,
    score_network,
)

features = st.builds(
    NetworkFeatures,
    ads=st.integers(1, 100_000),
    flagged_share=st.floats(0, 1),
    max_names_per_phone=st.integers(0, 500),
    max_cities_in_window=st.integers(0, 500),
    max_phones_per_template=st.integers(0, 500),
)
member_scores = st.lists(st.floats(0, 0.999), min_size=1, max_size=30)


@given(features, member_scores)
def test_score_is_bounded_and_contributions_sum_to_it(f, scores):
    score, parts = score_network(f, scores)
    assert 0.0 <= score < 1.0
    assert [p.signal for p in parts] == list(SIGNALS)
    assert all(p.contribution >= 0 for p in parts)
    assert math.isclose(sum(p.contribution for p in parts), score, abs_tol=1e-12)


@given(features, member_scores, st.sampled_from(
    ["ads", "max_names_per_phone", "max_cities_in_window", "max_phones_per_template"]))
def test_more_evidence_never_lowers_the_score(f, scores, attr):
    before, _ = score_network(f, scores)
    setattr(f, attr, getattr(f, attr) + 3)
    after, _ = score_network(f, scores)
    assert after >= before
    stronger, _ = score_network(f, [*scores, 0.999])
    assert stronger >= after


def test_noisy_or_by_hand():
    w = default_weights().weights
    f = NetworkFeatures(ads=1, flagged_share=1.0, max_names_per_phone=1)
    score, parts = score_network(f, [0.8])
    expected = 1 - (1 - w["member_max_score"] * 0.8) * (1 - w["member_mean_score"] * 0.8) * (
        1 - w["flagged_share"])
    assert math.isclose(score, expected, rel_tol=1e-12)
    by = {p.signal: p for p in parts}
    assert by["ads"].contribution == by["names_per_phone"].contribution == 0.0
    # shares follow log-strength: the strongest member score outweighs the mean at equal value
    assert by["member_max_score"].contribution > by["member_mean_score"].contribution


def test_no_evidence_scores_zero():
    score, parts = score_network(NetworkFeatures(ads=1), [0.0])
    assert score == 0.0 and all(p.contribution == 0.0 for p in parts)


def test_structural_signal_saturates_at_the_cap():
    w = default_weights()
    at_cap, _ = score_network(NetworkFeatures(ads=2, max_names_per_phone=w.cap + 1), [0.0])
    beyond, _ = score_network(NetworkFeatures(ads=2, max_names_per_phone=50 * w.cap), [0.0])
    assert at_cap == beyond > 0


def _toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "w.toml"
    path.write_text(body, encoding="utf-8")
    return path


WEIGHTS = "\n".join(f"{s} = 0.2" for s in SIGNALS)


def test_custom_weights_file_changes_the_score(tmp_path):
    path = _toml(tmp_path, f'version = "t"\n[weights]\n{WEIGHTS.replace("ads = 0.2", "ads = 0.9")}'
                 "\n[params]\ncap = 2\nsize_full_ads = 8\n")
    w = NetworkWeights.from_file(path)
    assert (w.cap, w.size_full_ads, w.weights["ads"]) == (2, 8, 0.9)
    score, parts = score_network(NetworkFeatures(ads=8), [0.0], w)
    assert math.isclose(score, 0.9) and parts[3].contribution == score


@pytest.mark.parametrize(("body", "message"), [
    ('version = "t"\n[weights]\nmember_max_score = 0.5\n', "no weight for signal"),
    (f'version = "t"\n[weights]\n{WEIGHTS}\nbogus = 0.1\n', "unknown signal 'bogus'"),
    (f'version = "t"\n[weights]\n{WEIGHTS.replace("ads = 0.2", "ads = 1.0")}\n',
     "weight of 'ads' must be in [0, 1)"),
    (f'[weights]\n{WEIGHTS}\n', "missing 'version"),
    (f'version = "t"\n[weights]\n{WEIGHTS}\n[params]\ncap = 0\n', "cap must be an integer"),
    ('version = "t"\n[weights\n', "not valid TOML"),
])
def test_bad_weights_files_name_the_file_and_the_fix(tmp_path, body, message):
    path = _toml(tmp_path, body)
    with pytest.raises(NetworkWeightsError) as err:
        NetworkWeights.from_file(path)
    assert str(path) in str(err.value) and message in str(err.value)
