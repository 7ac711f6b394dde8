"""The learned half of conversation screening: a small, calibrated, linear model.

Logistic regression over hashed word 1-2 grams and character 2-5 grams (`ngrams.py`) plus the
lexicon's flag counts per category. An n-gram block's features are its counts times IDF,
divided by the square root of the block's n-gram total, so a conversation's score is a sum of
per-occurrence weights: the running score after every message is a prefix sum, and every
n-gram's contribution to a score can be read off. Platt calibration, fitted on out-of-fold
scores, makes `score` read as a probability, so the alert threshold means the same from one
training set to the next.

Openings of the training conversations (their first 10%, 25% and 50% of words) are added to
training at a lower weight: screening is about raising an alert early, and a model trained on
whole conversations only learns what their end looks like.

A model file is one `.npz` of plain arrays read with `allow_pickle=False`: loading a model can
never run code, unlike a pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from amberline.chats.features import prefix
from amberline.chats.ngrams import (
    BITS,
    BLOCKS,
    StrongSet,
    count_matrix,
    occurrences,
    strong_set,
)
from amberline.chats.records import ChatFlag, Conversation
from amberline.chats.rules import ChatRules

FORMAT = "amberline-chat-model/1"
PREFIX_FRACTIONS = (0.1, 0.25, 0.5)
# precision asked of an alert raised before a conversation is over: it is acted on with less
# evidence in hand, so it must be right more often than an alert on a whole conversation
EARLY_PRECISION = 0.95
# the quantile of a block's |weights| above which its n-grams can be named in contributions
STRONG_QUANTILE = 0.99
# folds of the out-of-fold scores that calibration and both thresholds are chosen on
INNER_FOLDS = 5


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file and the problem."""


@dataclass
class ChatModel:
    """A trained model: per-bucket weights (coefficient x IDF) per block, flag weights,
    intercept, calibration and the alert threshold."""

    bits: int
    weights: dict[str, np.ndarray]
    categories: list[str]
    flag_weights: np.ndarray
    intercept: float
    calibration: tuple[float, float]
    threshold: float
    info: dict = field(default_factory=dict)
    early_threshold: float | None = None

    @property
    def early(self) -> float:
        """The threshold for a conversation read in part (the running score before its last
        message); a model without one uses the alert threshold."""
        return self.threshold if self.early_threshold is None else self.early_threshold

    def strong(self, block: str) -> float:
        """The weight above which a block's n-grams are named in contributions: the strongest
        hundredth of the weights the model learned (fixed per model, so a conversation's
        contributions do not depend on the batch it came in). Not a twentieth: the strongest
        twentieth of the character n-grams are a third of all occurrences in chat text, and
        tracking every strong occurrence is what screening spends most on, while the
        n-grams a reviewer is shown (the largest count x weight) come from the strongest
        hundredth almost always."""
        cache = self.__dict__.setdefault("_strong", {})
        if block not in cache:
            w = np.abs(self.weights[block])
            w = w[w > 0]
            cache[block] = float(np.quantile(w, STRONG_QUANTILE)) if w.size else np.inf
        return cache[block]

    def strong_set(self, block: str) -> StrongSet:
        """`ngrams.strong_set` of a block at its `strong` cut-off, computed once per model."""
        cache = self.__dict__.setdefault("_strong_set", {})
        if block not in cache:
            cache[block] = strong_set(self.weights[block], self.strong(block))
        return cache[block]

    def calibrate(self, z: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * np.asarray(z) + b)))

    def save(self, path: Path) -> None:
        meta = {
            "format": FORMAT,
            "bits": self.bits,
            "categories": self.categories,
            "intercept": self.intercept,
            "calibration": list(self.calibration),
            "threshold": self.threshold,
            "early_threshold": self.early_threshold,
            "info": self.info,
        }
        arrays = {f"w_{name}": w.astype(np.float32) for name, w in self.weights.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, meta=np.array(json.dumps(meta)),
                                flags=self.flag_weights.astype(np.float64), **arrays)

    @classmethod
    def load(cls, path: Path) -> ChatModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                    raise ModelError(f"{path}: not an Amberline conversation model")
                bits = int(meta["bits"])
                weights = {b: np.asarray(data[f"w_{b}"], dtype=np.float32) for b in BLOCKS}
                flags = np.asarray(data["flags"], dtype=np.float64)
                model = cls(bits, weights, [str(c) for c in meta["categories"]], flags,
                            float(meta["intercept"]), tuple(map(float, meta["calibration"])),
                            float(meta["threshold"]), dict(meta.get("info", {})))
                early = meta.get("early_threshold")
                model.early_threshold = None if early is None else float(early)
        except ModelError:
            raise
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ModelError(f"{path}: cannot read the model ({exc})") from None
        if not 8 <= bits <= 24 or any(w.shape != (1 << bits,) for w in weights.values()):
            raise ModelError(f"{path}: weight arrays do not match {bits} bits")
        if flags.shape != (len(model.categories),):
            raise ModelError(f"{path}: {flags.shape[0]} flag weights for "
                             f"{len(model.categories)} categories")
        if not all(np.isfinite(w).all() for w in (*weights.values(), flags)):
            raise ModelError(f"{path}: weights are not all finite numbers")
        if not 0.0 <= model.threshold <= model.early <= 1.0:
            raise ModelError(f"{path}: thresholds {model.threshold} and {model.early} are not "
                             "0 <= alert <= early <= 1")
        return model


def flag_matrix(flags: Sequence[list[ChatFlag]], categories: Sequence[str]) -> np.ndarray:
    """Flag counts per category, one row per list of flags (per conversation)."""
    index = {c: i for i, c in enumerate(categories)}
    out = np.zeros((len(flags), len(categories)))
    for r, fl in enumerate(flags):
        for flag in fl:
            out[r, index[flag.category]] += 1
    return out


def _design(items: Sequence[Conversation], flags: Sequence[list[ChatFlag]],
            categories: Sequence[str], bits: int) -> tuple[list[sp.csr_matrix], np.ndarray]:
    """Per block, counts per conversation (rows), and flag counts per conversation."""
    texts = [m.text for cv in items for m in cv.messages]
    rows = np.repeat(np.arange(len(items)), [len(cv.messages) for cv in items])
    occ = occurrences(texts, bits)
    counts = [count_matrix(g, rows, len(items), bits) for g in occ.blocks()]
    return counts, flag_matrix(flags, categories)


def _scale(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    totals = np.sqrt(np.asarray(counts.sum(axis=1)).ravel())
    totals[totals == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / totals) @ counts @ sp.diags(idf))


def best_threshold(y: np.ndarray, p: np.ndarray, w: np.ndarray, beta: float = 0.5,
                   low: float = 0.5, high: float = 0.95, window: int = 3) -> float:
    """The threshold in [low, high] with the best weighted F-beta of `p >= threshold`,
    averaged over the `window` grid steps (0.01) either side: out-of-fold F-beta is flat and
    jagged near its best, one conversation more or less moves the single best step, and the
    middle of a good stretch holds better on conversations not seen in training."""
    grid = np.round(np.arange(low - window * 0.01, high + window * 0.01 + 1e-9, 0.01), 2)
    b2 = beta * beta
    scores = np.zeros(len(grid))
    for i, t in enumerate(grid):
        alert = p >= t
        tp = float(w[alert & (y == 1)].sum())
        fp = float(w[alert & (y == 0)].sum())
        fn = float(w[~alert & (y == 1)].sum())
        scores[i] = (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0
    smooth = np.convolve(scores, np.ones(2 * window + 1) / (2 * window + 1), mode="valid")
    return float(grid[window + int(np.argmax(smooth))])


def early_threshold(y: np.ndarray, p: np.ndarray, low: float,
                    precision: float = EARLY_PRECISION) -> float:
    """The lowest threshold in [low, 0.99] at which `p >= threshold` reaches `precision`; `low`
    when none does (a higher threshold would then cost recall without buying that
    precision)."""
    for t in np.round(np.arange(low, 0.99 + 1e-9, 0.01), 2):
        alert = p >= t
        if not alert.any():
            break
        if float(y[alert].mean()) >= precision:
            return float(t)
    return low


def _fit_lr(x, y, w, c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", random_state=seed)
    clf.fit(x, y, sample_weight=w)
    return clf


def train(
    conversations: Sequence[Conversation],
    rules: ChatRules,
    *,
    c: float = 10.0,
    prefix_weight: float = 0.5,
    threshold: float | None = None,
    bits: int = BITS,
    seed: int = 0,
) -> ChatModel:
    """Fit the model on labelled conversations (label 1 = act on, 0 = not).

    Without a `threshold`, the alert threshold is the one that maximises F0.5 (precision
    weighs double: a false alert costs a reviewer's time and a platform's trust) on the
    out-of-fold calibrated scores of the conversations and their openings together, within
    [0.5, 0.95]. The early threshold, for a conversation not yet over, is the lowest one (not
    below the alert threshold) at which the openings' out-of-fold alerts reach
    `EARLY_PRECISION`, or the alert threshold when none does: both are chosen inside the
    training data, never on what is screened.
    """
    from sklearn.linear_model import LogisticRegression

    labelled = [cv for cv in conversations if cv.label is not None]
    y_full = np.array([cv.label for cv in labelled], dtype=int)
    if len(labelled) < 6 or len(set(y_full.tolist())) < 2:
        raise ValueError("training needs at least 6 labelled conversations, of both labels")
    items: list[Conversation] = []
    groups: list[int] = []
    weights: list[float] = []
    for g, cv in enumerate(labelled):
        for f in (1.0, *PREFIX_FRACTIONS):
            items.append(cv if f == 1.0 else prefix(cv, f))
            groups.append(g)
            weights.append(1.0 if f == 1.0 else prefix_weight)
    y = np.array([cv.label for cv in items], dtype=int)
    w = np.array(weights)
    categories = list(rules.categories)
    counts, fc = _design(items, rules.flags_batch(items), categories, bits)
    full = np.array(weights) == 1.0
    idfs = []
    for m in counts:
        df = np.bincount(m[full].indices, minlength=m.shape[1])
        idfs.append(np.log((1 + len(labelled)) / (1 + df)) + 1.0)
    x = sp.hstack([*(_scale(m, idf) for m, idf in zip(counts, idfs, strict=True)),
                   sp.csr_matrix(np.log1p(fc))], format="csr")
    # fit only on the columns some training text uses: the solver's cost follows the width
    used = np.unique(x.indices)
    x = x[:, used]

    # Platt calibration on out-of-fold decision values; folds by conversation, per label.
    # Five folds, not three: each out-of-fold model then sees four fifths of the training
    # conversations, so its scores (and the calibration and thresholds read off them) are
    # closer to those of the final model, which sees them all
    rng = np.random.default_rng(seed)
    folds_n = min(INNER_FOLDS, int(min(np.bincount(y_full))))
    fold_of = np.empty(len(labelled), dtype=int)
    for label in (0, 1):
        idx = np.flatnonzero(y_full == label)
        rng.shuffle(idx)
        fold_of[idx] = np.arange(len(idx)) % max(folds_n, 2)
    folds = fold_of[np.array(groups)]
    z = np.zeros(len(items))
    for k in np.unique(folds):
        test = folds == k
        z[test] = _fit_lr(x[~test], y[~test], w[~test], c, seed).decision_function(x[test])
    platt = LogisticRegression(C=1e4).fit(z.reshape(-1, 1), y, sample_weight=w)
    oof = 1.0 / (1.0 + np.exp(-(platt.coef_[0, 0] * z + platt.intercept_[0])))
    if threshold is None:
        threshold = best_threshold(y, oof, w)
    opening = w < 1.0
    early = max(threshold, early_threshold(y[opening], oof[opening], threshold))
    final = _fit_lr(x, y, w, c, seed)
    coef = np.zeros(len(BLOCKS) * (1 << bits) + len(categories))
    coef[used] = final.coef_.ravel()
    size = 1 << bits
    block_weights = {name: (coef[i * size : (i + 1) * size] * idfs[i]).astype(np.float32)
                     for i, name in enumerate(BLOCKS)}
    info = {"conversations": len(labelled), "positives": int(y_full.sum()), "c": c,
            "prefix_weight": prefix_weight}
    return ChatModel(bits, block_weights, categories, coef[len(BLOCKS) * size :].copy(),
                     float(final.intercept_[0]),
                     (float(platt.coef_[0, 0]), float(platt.intercept_[0])), threshold, info,
                     early)
