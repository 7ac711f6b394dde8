"""Conversation screening against real chat segments: 5-fold cross-validation on the dev file.

    .venv/bin/python bench/chats.py [--data ../shared/data/conversations-dev/pan12-en-dev.csv]

Reads `pan12-en-dev.csv` (columns `segment`, `label`; see `../shared/data/conversations-dev/
README.md`) at run time; when the file is absent (a user's clone has no `../shared`) it says so
and exits. For each of 5 stratified folds it trains `amberline chats train`'s model on four
folds and screens the fifth, then prints, each row held to the thresholds its fold's model
chose inside its own training folds:

- precision, recall, F0.5 and ROC AUC on whole conversations, at the alert threshold;
- early detection: recall and precision when only the first 10%, 25% and 50% of each
  conversation's words are read, at the early threshold (the model is trained on whole
  conversations and openings of the training folds only), and the same reads at the alert
  threshold for comparison;
- the same for a plain TF-IDF (word 1-2 grams) + logistic regression baseline, same folds
  (balanced class weights, C=10: scikit-learn's defaults alert on a quarter of the positives);
- the lexicon rules alone (no model): how many conversations they alert on and the precision
  of those alerts;
- the rows whose out-of-fold score confidently disagrees with their label (ids only), as
  candidates for a label check, and the best F0.5 and the best precision at recall 0.75 that
  any single threshold could give on the out-of-fold scores, with and without those rows (an
  upper bound on what a threshold alone can move, and how much the doubtful labels cost);
- throughput of `screen_batch` with a model: conversations/s and MB/s of message text, in
  wall time and per CPU second (one core), and which text normaliser ran (the compiled core's
  or the Python reference's: `AMBERLINE_CORE`).

`--short N` measures instead `amberline chats screen` end to end (ingest, screening, JSON
output; `--db` adds storing in a new SQLite file) on many short messages: N synthetic
conversations (`amberline synth --chats`, seed 7), screened with a model trained on 5,000
others (seed 11), in CPU seconds of the child process, best of `--rounds`. Needs no data.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import fbeta_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from amberline import core
from amberline.chats.features import prefix
from amberline.chats.ingest import ChatReadOptions, read_conversations
from amberline.chats.model import train
from amberline.chats.records import Conversation
from amberline.chats.rules import default_rules
from amberline.chats.screen import screen_batch

DEFAULT = Path(__file__).resolve().parents[1] / "../shared/data/conversations-dev/pan12-en-dev.csv"
FRACTIONS = (0.1, 0.25, 0.5)


def metrics(y: np.ndarray, scores: np.ndarray, threshold: float | np.ndarray
            ) -> dict[str, float]:
    alert = scores >= threshold
    return {
        "precision": precision_score(y, alert, zero_division=0),
        "recall": recall_score(y, alert),
        "f0.5": fbeta_score(y, alert, beta=0.5, zero_division=0),
        "auc": roc_auc_score(y, scores),
        "alerts": int(alert.sum()),
    }


def ceiling(y: np.ndarray, scores: np.ndarray, recall: float = 0.75) -> str:
    """The best F0.5 over all thresholds, and the best precision at which `recall` is
    reached: how far a better threshold alone could move the figures."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(y[order])
    p, r = hits / np.arange(1, len(y) + 1), hits / max(int(y.sum()), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.nan_to_num(1.25 * p * r / (0.25 * p + r))
    return (f"max F0.5 {f.max():.3f}, max precision at recall >= {recall} "
            f"{p[r >= recall].max():.3f}")


def text_of(conv: Conversation) -> str:
    return "\n".join(m.text for m in conv.messages)


def line(name: str, m: dict[str, float]) -> str:
    return (f"{name:<34} P {m['precision']:.3f}  R {m['recall']:.3f}  F0.5 {m['f0.5']:.3f}  "
            f"AUC {m['auc']:.4f}  alerts {m['alerts']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dump", type=Path, default=None,
                        help="write the out-of-fold scores per row and read (JSON) here")
    parser.add_argument("--short", type=int, default=0,
                        help="end to end on this many synthetic conversations instead")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", action="store_true", help="with --short: store too")
    args = parser.parse_args()
    if args.short:
        short_messages(args.short, args.rounds, args.db)
        return
    if not args.data.exists():
        print(f"skipped: {args.data} not found (the dev data lives beside the repository in "
              "../shared/data; a clone without it cannot run this benchmark)")
        return
    convs = [c for c in read_conversations(args.data, ChatReadOptions(text_column="segment"))
             if isinstance(c, Conversation)]
    y = np.array([c.label for c in convs])
    print(f"{args.data.name}: {len(convs)} conversations, {int(y.sum())} labelled 1")
    rules = default_rules()
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    ours = {f: np.zeros(len(convs)) for f in (1.0, *FRACTIONS)}
    base = {f: np.zeros(len(convs)) for f in (1.0, *FRACTIONS)}
    cut = {f: [prefix(c, f) for c in convs] for f in FRACTIONS}
    threshold = np.full(len(convs), 0.5)  # each row at its own fold's model's thresholds
    early = np.full(len(convs), 0.5)
    began = time.perf_counter()
    for k, (tr, te) in enumerate(folds.split(np.zeros(len(y)), y)):
        model = train([convs[i] for i in tr], rules, seed=args.seed)
        threshold[te], early[te] = model.threshold, model.early
        for f in ours:
            test = [convs[i] if f == 1.0 else cut[f][i] for i in te]
            ours[f][te] = [r.score for r in screen_batch(test, rules, model)]
        vec = TfidfVectorizer(ngram_range=(1, 2))
        clf = LogisticRegression(C=10, class_weight="balanced", max_iter=2000).fit(
            vec.fit_transform([text_of(convs[i]) for i in tr]), y[tr])
        for f in base:
            test = [text_of(convs[i] if f == 1.0 else cut[f][i]) for i in te]
            base[f][te] = clf.predict_proba(vec.transform(test))[:, 1]
        print(f"fold {k + 1}/{args.folds} done ({time.perf_counter() - began:.0f}s)")
    print(f"\nthresholds per fold (chosen inside its training folds): alert "
          f"{sorted(set(threshold.round(2).tolist()))}, early (reads of part of a conversation) "
          f"{sorted(set(early.round(2).tolist()))}; baseline 0.5")
    for name, scores, th, th_early in (("amberline model", ours, threshold, early),
                                       ("baseline tfidf+lr", base, 0.5, 0.5)):
        print(line(f"{name}, whole conversations", metrics(y, scores[1.0], th)))
        for f in FRACTIONS:
            print(line(f"{name}, first {int(f * 100)}% of words", metrics(y, scores[f], th_early)))
    for f in FRACTIONS:  # the same reads held to the alert threshold, for comparison
        print(line(f"model, first {int(f * 100)}% at alert threshold",
                   metrics(y, ours[f], threshold)))
    if args.dump:
        args.dump.write_text(json.dumps({
            "ids": [c.id for c in convs], "labels": y.tolist(),
            "model": {str(f): v.tolist() for f, v in ours.items()},
            "baseline": {str(f): v.tolist() for f, v in base.items()}}))
    disagree = ((y == 0) & (ours[1.0] >= 0.95)) | ((y == 1) & (ours[1.0] <= 0.05))
    doubtful = [(convs[i].id, int(y[i]), round(float(ours[1.0][i]), 3))
                for i in np.flatnonzero(disagree)]
    print(f"confident disagreements with the label (row, label, out-of-fold score): {doubtful}")
    print("best any single threshold could give on these out-of-fold scores (an upper bound, "
          "not a result: the threshold is read off the rows it is scored on):")
    for f in ours:
        read = "whole conversations" if f == 1.0 else f"first {int(f * 100)}% of words"
        print(f"  model, {read:<20} all rows: {ceiling(y, ours[f])}; without the "
              f"{len(doubtful)} rows above: {ceiling(y[~disagree], ours[f][~disagree])}")
    results = screen_batch(convs, rules)
    alerts = np.array([r.alert for r in results])
    hits = int((alerts & (y == 1)).sum())
    precision = hits / alerts.sum() if alerts.any() else float("nan")
    print(f"rules alone: {int(alerts.sum())} alerts, precision {precision:.3f}, "
          f"recall {hits / y.sum():.3f}")
    model = train(convs, rules, seed=args.seed)
    size = sum(len(m.text.encode("utf-8")) for c in convs for m in c.messages) / 1e6
    screen_batch(convs[:8], rules, model)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(convs), 256):
        screen_batch(convs[i : i + 256], rules, model)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"throughput with model: {len(convs) / wall:.0f} conversations/s, {size / wall:.2f} MB/s"
          f" wall; {len(convs) / cpu:.0f} conversations/s, {size / cpu:.2f} MB/s per CPU second"
          f" (text normaliser: {'compiled core' if core.active() else 'Python reference'})")


def short_messages(n: int, rounds: int, db: bool) -> None:
    """`chats screen` end to end on synthetic short messages (see the module docstring)."""
    import os
    import resource
    import subprocess
    import sys
    import tempfile

    from amberline.chats.synth import write_chats

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_chats(work / "train.jsonl", 5000, seed=11)
        write_chats(work / "chats.jsonl", n, seed=7)
        cli = [sys.executable, "-m", "amberline.cli", "chats"]
        subprocess.run([*cli, "train", str(work / "train.jsonl"), "--out",
                        str(work / "model.npz")], check=True, stderr=subprocess.DEVNULL)
        convs = [c for c in read_conversations(work / "chats.jsonl")
                 if isinstance(c, Conversation)]
        size = sum(len(m.text.encode("utf-8")) for c in convs for m in c.messages) / 1e6
        messages = sum(len(c.messages) for c in convs)
        best = float("inf")
        for _ in range(rounds):
            (work / "store.db").unlink(missing_ok=True)
            store = ["--db", str(work / "store.db")] if db else []
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([*cli, "screen", str(work / "chats.jsonl"), "--model",
                            str(work / "model.npz"), *store], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            best = min(best, after.ru_utime - before.ru_utime + after.ru_stime
                       - before.ru_stime)
    print(f"chats screen{' --db' if db else ''}, end to end: {n} conversations, {messages} "
          f"messages, {size:.2f} MB of message text ({size * 1e6 / messages:.0f} bytes/message);"
          f" {best:.2f} s CPU (best of {rounds}), {size / best:.2f} MB/s per CPU second "
          f"(load {os.getloadavg()[0]:.1f}; text normaliser: "
          f"{'compiled core' if core.active() else 'Python reference'})")


if __name__ == "__main__":
    main()
