"""Conversation screening end to end on the synthetic, clinical corpus: the rules alone, a model
trained on one synthetic corpus and scored on another, the running score behind `first_alert`,
the model file, the n-gram hashing, and the command line."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from amberline.chats.features import prefix
from amberline.chats.ingest import read_conversations
from amberline.chats.model import (
    ChatModel,
    ModelError,
    best_threshold,
    early_threshold,
    train,
)
from amberline.chats.ngrams import BLOCKS, count_matrix, occurrences, strong_set, weight_sums
from amberline.chats.records import ChatFlag, Conversation
from amberline.chats.rules import default_rules
from amberline.chats.screen import ChatScreening, screen_batch
from amberline.chats.synth import write_chats
from amberline.cli import app
from amberline.ingest.json_record import json_line

RULES = default_rules()
runner = CliRunner()


def load(path: Path) -> list[Conversation]:
    return [c for c in read_conversations(path) if isinstance(c, Conversation)]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    work = tmp_path_factory.mktemp("chats")
    train_path, test_path = work / "train.jsonl", work / "test.jsonl"
    write_chats(train_path, 300, seed=1)
    write_chats(test_path, 200, seed=2)
    return work, train_path, test_path


@pytest.fixture(scope="module")
def model(corpora: tuple[Path, Path, Path]) -> ChatModel:
    _, train_path, _ = corpora
    return train(load(train_path), RULES, seed=0)


def truth(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


def test_synth_is_deterministic_and_mixed(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    counts = write_chats(a, 120, seed=5)
    write_chats(b, 120, seed=5)
    assert a.read_bytes() == b.read_bytes()
    assert all(counts[k] > 0 for k in counts)


def test_rules_alone_alert_on_planted_patterns_only(corpora) -> None:
    _, _, test_path = corpora
    convs = load(test_path)
    facts = truth(test_path)
    results = screen_batch(convs, RULES)
    assert [r.id for r in results] == [c.id for c in convs]
    alerts = [r for r in results if r.alert]
    assert alerts
    correct = sum(facts[r.id]["label"] == 1 for r in alerts)
    assert correct / len(alerts) >= 0.9  # look-alike conversations must not alert
    for r in alerts:
        planted = facts[r.id]["planted"]
        assert planted is not None and r.first_alert >= planted
    conv = {c.id: c for c in convs}
    for r in results:
        for f in r.flags:
            assert conv[r.id].messages[f["message"] if isinstance(f, dict) else f.message] \
                .text[f.start : f.end] == f.term


def test_model_ranks_unseen_conversations(corpora, model: ChatModel) -> None:
    from sklearn.metrics import roc_auc_score

    _, _, test_path = corpora
    convs = load(test_path)
    results = screen_batch(convs, RULES, model)
    y = [c.label for c in convs]
    scores = [r.score for r in results]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert roc_auc_score(y, scores) > 0.95
    alerted = [r for r in results if r.alert]
    assert alerted and all(r.first_alert is not None for r in alerted)


def test_first_alert_is_where_the_running_score_crosses(corpora, model: ChatModel) -> None:
    _, _, test_path = corpora
    convs = [c for c in load(test_path) if c.label == 1][:15]
    for conv, result in zip(convs, screen_batch(convs, RULES, model), strict=True):
        if result.first_alert is None:
            continue
        k = result.first_alert
        upto = Conversation(conv.id, conv.messages[: k + 1])
        last = k == len(conv.messages) - 1
        bar = model.threshold if last else model.early  # a conversation read in part: early
        assert screen_batch([upto], RULES, model)[0].score >= bar
        if k > 0:
            before = Conversation(conv.id, conv.messages[:k])
            assert screen_batch([before], RULES, model)[0].score < model.early


def test_an_early_alert_clears_the_early_threshold(corpora, model: ChatModel) -> None:
    """Before its last message a conversation is held to the early threshold: with one no
    score reaches, an alert can only come at the last message."""
    _, _, test_path = corpora
    convs = [c for c in load(test_path) if c.label == 1][:15]
    strict = dataclasses.replace(model, early_threshold=1.0)
    assert strict.early == 1.0 and model.early >= model.threshold
    plain = screen_batch(convs, RULES, model)
    held = screen_batch(convs, RULES, strict)
    assert [r.score for r in plain] == [r.score for r in held]
    assert any(r.first_alert is not None and r.first_alert < r.messages - 1 for r in plain)
    for r in held:
        assert r.first_alert == (r.messages - 1 if r.alert else None)


def test_early_threshold_is_the_lowest_that_is_precise_enough() -> None:
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    p = np.array([0.99, 0.97, 0.95, 0.9, 0.85, 0.7, 0.6, 0.55])
    assert early_threshold(y, p, 0.5, precision=0.75) == 0.71  # 4 of 5 above 0.70
    assert early_threshold(y, p, 0.5, precision=0.95) == 0.91  # all above 0.90 are 1
    assert early_threshold(np.zeros(8), p, 0.5) == 0.5  # never precise: the alert threshold


def test_alert_threshold_keeps_off_the_edge_of_the_good_stretch() -> None:
    """Every threshold from 0.56 to 0.90 separates these perfectly; the chosen one is not the
    first of them, next to the negative at 0.55, but one whose neighbours are all as good."""
    y = np.array([1] * 10 + [0] * 10)
    p = np.array([0.9] * 10 + [0.55] + [0.2] * 9)
    w = np.ones(len(y))
    assert best_threshold(y, p, w, window=0) == 0.56
    assert best_threshold(y, p, w) == 0.59
    assert best_threshold(y, np.where(y == 1, 0.97, 0.1), w) == 0.5  # the grid's low end


def test_contributions_name_text_of_the_conversation(corpora, model: ChatModel) -> None:
    _, _, test_path = corpora
    conv = next(c for c in load(test_path) if c.label == 1)
    result = screen_batch([conv], RULES, model)[0]
    text = " ".join(m.text.lower() for m in conv.messages)
    assert result.contributions
    for item in result.contributions:
        kind, _, gram = item["feature"].partition(":")
        if kind in ("word", "char"):
            assert gram in text
        else:
            assert kind == "flags" and gram in RULES.categories


def test_model_file_round_trip_and_refusals(tmp_path: Path, corpora, model: ChatModel) -> None:
    _, _, test_path = corpora
    path = tmp_path / "m.npz"
    model.save(path)
    again = ChatModel.load(path)
    convs = load(test_path)[:40]
    a = [r.score for r in screen_batch(convs, RULES, model)]
    b = [r.score for r in screen_batch(convs, RULES, again)]
    assert np.allclose(a, b, atol=1e-5)
    assert again.threshold == model.threshold and again.early == model.early
    skewed = tmp_path / "skewed.npz"
    dataclasses.replace(model, early_threshold=model.threshold - 0.1).save(skewed)
    with pytest.raises(ModelError, match="thresholds"):
        ChatModel.load(skewed)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        ChatModel.load(bad)
    np.savez(bad, meta=np.array(json.dumps({"format": "other"})))
    with pytest.raises(ModelError, match="not an Amberline"):
        ChatModel.load(bad)


def test_openings_score_from_the_start(corpora, model: ChatModel) -> None:
    _, _, test_path = corpora
    conv = next(c for c in load(test_path) if c.label == 1)
    cut = prefix(conv, 0.25)
    assert len(cut.messages) <= len(conv.messages)
    assert 0.0 <= screen_batch([cut], RULES, model)[0].score <= 1.0


def test_ngrams_stay_inside_messages() -> None:
    texts = ["Hello world", "WORLD peace now"]
    together = occurrences(texts, 16)
    for i, text in enumerate(texts):
        alone = occurrences([text], 16)
        for joint, single in zip(together.blocks(), alone.blocks(), strict=True):
            a = count_matrix(joint, np.arange(2), 2, 16)[i]
            b = count_matrix(single, np.arange(1), 1, 16)[0]
            assert (a != b).nnz == 0
    words = sorted(together.text(together.word, i) for i in range(len(together.word.owner)))
    assert words == ["hello", "hello world", "now", "peace", "peace now", "world", "world",
                     "world peace"]
    chars = {together.text(together.char, i) for i in range(len(together.char.owner))}
    assert "hello" in chars and "o w" in chars and "dwor" not in chars  # nothing spans messages


def test_screening_sums_match_the_training_counts() -> None:
    """The compiled screening loops hash exactly as the training path: per message, the summed
    weights equal counts x weights, the counts match, and the strongest n-grams per
    conversation are the brute-force group-by's."""
    bits = 12
    rng = np.random.default_rng(3)
    weights = {b: rng.normal(size=1 << bits).astype(np.float32) for b in BLOCKS}
    texts = ["Hello world", "", "   ", "caf\u00e9 au lait, s'il vous pla\u00eet!", "a",
             "WORLD peace now\tand\nthen", "\u4f60\u597d \U0001f600 ok ok ok", "x y"]
    first = np.array([0, 3, 6, len(texts)])  # three conversations
    cutoffs = {b: float(np.quantile(np.abs(w), 0.8)) for b, w in weights.items()}
    strong = {b: strong_set(weights[b], cutoffs[b]) for b in BLOCKS}
    found = weight_sums(texts, first, weights, cutoffs, strong, 5, bits)
    occ = occurrences(texts, bits)
    conv_of = np.repeat(np.arange(3), np.diff(first))
    for name, grams in zip(BLOCKS, occ.blocks(), strict=True):
        counts = count_matrix(grams, np.arange(len(texts)), len(texts), bits)
        np.testing.assert_allclose(found.sums[name], counts @ weights[name].astype(np.float64),
                                   atol=1e-9)
        assert found.counts[name].tolist() == np.asarray(counts.sum(axis=1)).ravel().tolist()
        w = weights[name][grams.bucket]
        keep = np.abs(w) >= np.float32(cutoffs[name])
        for conv in range(3):
            mine = keep & (conv_of[grams.owner] == conv)
            totals: dict[int, float] = {}
            for bucket, value in zip(grams.bucket[mine].tolist(), w[mine].tolist(), strict=True):
                totals[bucket] = totals.get(bucket, 0.0) + value
            expect = sorted(totals.values(), key=lambda v: (-abs(v)))[:5]
            top = found.top[name]
            got = [v for s, v in zip(top.start[conv], top.value[conv], strict=True) if s >= 0]
            np.testing.assert_allclose(got, expect, atol=1e-6)
            for s, e in zip(top.start[conv], top.end[conv], strict=True):
                if s >= 0:  # the span names an n-gram of this conversation's messages
                    assert conv_of[found.batch.owner_of(np.array([s]))[0]] == conv
                    assert e > s


def test_cli_synth_train_screen(tmp_path: Path) -> None:
    corpus, model_path = tmp_path / "chats.jsonl", tmp_path / "m.npz"
    result = runner.invoke(app, ["synth", "--ads", "0", "--chats", "150", "--seed", "4",
                                 "--chats-out", str(corpus)])
    assert result.exit_code == 0, result.output
    with corpus.open("a") as fh:
        fh.write("{broken\n")
    result = runner.invoke(app, ["chats", "train", str(corpus), "--out", str(model_path)])
    assert result.exit_code == 0, result.output
    assert model_path.exists()
    proc = subprocess.run(
        [sys.executable, "-m", "amberline.cli", "chats", "screen", str(corpus), "--model",
         str(model_path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [x["id"] for x in lines] == [f"chat-{i:05d}" for i in range(150)]
    assert set(lines[0]) >= {"id", "score", "alert", "first_alert", "flags", "contributions"}
    assert "1 quarantined" in proc.stderr and "invalid JSON" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "amberline.cli", "chats", "screen", str(tmp_path / "none.jsonl")],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_json_line_writes_what_the_general_encoder_writes(corpora, model: ChatModel) -> None:
    """The screening's own writer gives the bytes of `json_line(as_dict())`: rules and model
    results of the synthetic corpus."""
    _, _, test_path = corpora
    convs = load(test_path)
    for scorer in (None, model):
        results = screen_batch(convs, RULES, scorer)
        assert any(r.flags for r in results) and any(r.contributions for r in results)
        for r in results:
            assert r.json_line() == json_line(r.as_dict())


_HOSTILE = st.text(alphabet=st.characters(codec=None), max_size=12)  # lone surrogates too
_FLOATS = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1e-7, 5e-05, 1e16, 0.1234565]))


@settings(max_examples=300, deadline=None)
@given(ident=_HOSTILE, words=st.lists(_HOSTILE, min_size=7, max_size=7),
       numbers=st.lists(_FLOATS, min_size=4, max_size=4),
       ints=st.lists(st.integers(0, 10**30), min_size=4, max_size=4),
       first=st.one_of(st.none(), st.integers(0, 10**6)), alert=st.booleans(),
       odd=st.sampled_from([None, "int_score", "np_threshold", "np_bool", "np_int"]))
def test_json_line_on_hostile_values(ident, words, numbers, ints, first, alert, odd) -> None:
    """Any strings (quotes, controls, lone surrogates, U+2028), any floats (NaN, infinities,
    tiny and huge), big integers, and values of other types (left to the general encoder):
    the same bytes as `json_line(as_dict())`."""
    flag = ChatFlag(words[0], words[1], ints[0], ints[1], ints[2], words[2], words[3], 0.5)
    result = ChatScreening(
        ident, numbers[0], alert, first, [flag],
        [{"feature": words[4], "value": numbers[1]}, {"feature": "char:ab", "value": 0.25}],
        numbers[2], numbers[3], ints[3], {words[5]: [words[6], "has_minor"]})
    if odd == "int_score":
        result.score = ints[0]
    elif odd == "np_threshold":
        result.threshold = np.float64(numbers[3])
    elif odd == "np_bool":
        result.alert = np.bool_(alert)
    elif odd == "np_int":
        result.first_alert = np.int64(7)
    assert result.json_line() == json_line(result.as_dict())
