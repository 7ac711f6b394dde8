"""A transparent score: which flags raised it, and by how much.

Scores rank ads for human review; they never decide on their own. So the formula is one an
analyst can check by hand, and every flag carries its exact share of the score.

The formula
-----------
1. Each category c has a weight w_c in [0, 1) (``weights.toml``): how far that category alone
   raises the score. A flag's strength is ``s = w_c * flag.weight`` (the lexicon entry's weight,
   in (0, 1], marks weaker terms within a category).
2. Work in "evidence units" ``L = -ln(1 - s)``, which simply add up.
3. A category counts once, at its strongest flag (full L). Flags of *other* rules in the same
   category add ``repeat_bonus * L`` each, for at most ``max_repeats`` of them (the strongest
   first). More flags of the same rule add nothing.
4. ``score = 1 - exp(-sum of all L)``. For one flag per category this is the noisy-OR
   ``1 - prod(1 - w_c)``: e.g. youth 0.45 and trustworthiness 0.40 give 1 - 0.55 * 0.60 = 0.67.
5. Each flag's ``contribution = score * (its L) / (sum of all L)``: contributions add up to the
   score, and a flag that counted for nothing shows 0.

Adding a flag never lowers the score (its units only add or displace a weaker repeat), a score
with no flags is 0, and no score reaches 1 because every weight is below 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from amberline.config_files import read_toml
from amberline.model import Flag
from amberline.score.combine import combine, log_strength

MEMO_SIZE = 65536  # signatures kept; the memo is emptied when full
_SIGNATURE = attrgetter("category", "rule", "weight")  # a flag's part of the memo key


class Signature(NamedTuple):
    """What of a flag its score depends on (`Scorer.score_signature` takes these)."""

    category: str
    rule: str
    weight: float


class WeightsError(ValueError):
    """A weights file that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Scorer:
    """Scores an ad's flags and fills in each flag's contribution."""

    weights: dict[str, float]
    repeat_bonus: float = 0.1
    max_repeats: int = 2
    version: str = ""
    origin: str = "<weights>"
    # Scores by flag signature ((category, rule, weight) per flag, in order): the score is a
    # pure function of it, and ads of one network or template share a few signatures.
    _memo: dict[tuple[tuple[str, str, float], ...], tuple[float, tuple[float, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_file(
        cls, path: str | Path | None = None, categories: Iterable[str] | None = None
    ) -> Scorer:
        """Load weights for the categories of the lexicon in use (`categories`, default: the
        packaged lexicon's); `None` loads the packaged file. A weights file given by path must
        name exactly those categories; the packaged file may also weigh categories that a
        custom lexicon leaves out (they are dropped), but never lacks one silently."""
        data, origin = read_toml("amberline.score", "weights.toml", path, WeightsError)
        if categories is None:
            from amberline.indicators.lexicon import load_lexicon

            categories = load_lexicon().categories
        wanted = set(categories)
        weights = data.get("weights")
        if path is None and isinstance(weights, dict):
            data = {**data, "weights": {k: v for k, v in weights.items() if k in wanted}}
        return cls.from_dict(data, wanted, origin)

    @classmethod
    def from_dict(cls, data: dict, categories: set[str], origin: str = "<weights>") -> Scorer:
        """Validate a parsed weights document against the known categories."""
        extra = set(data) - {"version", "weights", "params"}
        if extra:
            raise WeightsError(f"{origin}: unknown top-level keys {sorted(extra)}")
        version = data.get("version", "")
        if not isinstance(version, str) or not version:
            raise WeightsError(f"{origin}: missing 'version = \"...\"'")
        weights = data.get("weights")
        if not isinstance(weights, dict):
            raise WeightsError(f"{origin}: missing [weights] table")
        unknown = sorted(set(weights) - categories)
        if unknown:
            raise WeightsError(
                f"{origin}: unknown category {unknown[0]!r} in [weights]; "
                f"known: {', '.join(sorted(categories))}"
            )
        missing = sorted(categories - set(weights))
        if missing:
            raise WeightsError(
                f"{origin}: no weight for category {missing[0]!r} of the lexicon in use; "
                "give a weights file (--weights) that weighs it"
            )
        for name, w in weights.items():
            if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w < 1:
                raise WeightsError(f"{origin}: weight of {name!r} must be in [0, 1), got {w!r}")
        params = data.get("params", {})
        unknown_p = set(params) - {"repeat_bonus", "max_repeats"}
        if unknown_p:
            raise WeightsError(f"{origin}: unknown [params] {sorted(unknown_p)}")
        bonus = params.get("repeat_bonus", 0.1)
        if isinstance(bonus, bool) or not isinstance(bonus, int | float) or not 0 <= bonus <= 1:
            raise WeightsError(f"{origin}: repeat_bonus must be in [0, 1], got {bonus!r}")
        repeats = params.get("max_repeats", 2)
        if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 0:
            raise WeightsError(f"{origin}: max_repeats must be an integer >= 0, got {repeats!r}")
        return cls(
            {k: float(v) for k, v in weights.items()}, float(bonus), repeats, version, origin
        )

    def units_of(self, category: str, weight: float) -> float | None:
        """A flag's evidence units before repeats (steps 1-2 of the formula), None when its
        category has no weight."""
        w_c = self.weights.get(category)
        if w_c is None:
            return None
        return log_strength(w_c * min(max(weight, 0.0), 1.0))

    def _units(self, flags: Sequence[Flag | Signature]) -> list[float]:
        """Evidence units per flag (same order), following steps 1-3 of the formula."""
        best: dict[tuple[str, str], int] = {}  # (category, rule) -> index of strongest flag
        raw: list[float] = []
        for i, flag in enumerate(flags):
            units = self.units_of(flag.category, flag.weight)
            if units is None:
                raise WeightsError(
                    f"{self.origin}: flag category {flag.category!r} (rule {flag.rule}) "
                    "has no weight; add it to [weights]"
                )
            raw.append(units)
            key = (flag.category, flag.rule)
            j = best.get(key)
            if j is None or raw[i] > raw[j]:
                best[key] = i
        by_cat: dict[str, list[int]] = {}
        for (cat, _rule), i in best.items():
            by_cat.setdefault(cat, []).append(i)
        units = [0.0] * len(flags)
        for idxs in by_cat.values():
            idxs.sort(key=lambda i: (-raw[i], i))
            units[idxs[0]] = raw[idxs[0]]
            for i in idxs[1 : 1 + self.max_repeats]:
                units[i] = self.repeat_bonus * raw[i]
        return units

    def score(self, flags: list[Flag]) -> float:
        """Score in [0, 1); sets every flag's `contribution` so that they sum to the score."""
        return self.score_all((flags,))[0]

    def score_all(self, flag_lists: Iterable[list[Flag]]) -> list[float]:
        """`score` of each list of flags (0.0 for none), in one loop: a batch's ads."""
        memo = self._memo
        compute = self._compute
        scores = []
        for flags in flag_lists:
            if not flags:
                scores.append(0.0)
                continue
            key = tuple(map(_SIGNATURE, flags))
            hit = memo.get(key)
            if hit is None:
                hit = compute(flags)
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                memo[key] = hit
            score, contribs = hit
            for flag, c in zip(flags, contribs, strict=True):
                flag.contribution = c
            scores.append(score)
        return scores

    def score_signature(self, flags: Sequence[Flag | Signature]) -> tuple[float, tuple[float, ...]]:
        """(score, contribution per flag) of flags known by their signatures (the category,
        rule and weight of each), for a caller that makes the flags after scoring them;
        nothing is set and nothing is memoised."""
        return self._compute(flags)

    def _compute(self, flags: Sequence[Flag | Signature]) -> tuple[float, tuple[float, ...]]:
        """(score, contribution per flag), following steps 4-5 of the formula."""
        score, contribs = combine(self._units(flags))
        return score, tuple(contribs)

    def explain(self, flags: list[Flag]) -> list[tuple[str, float, float]]:
        """(category, category weight, summed contribution) per category, largest first."""
        self.score(flags)
        per_cat: dict[str, float] = {}
        for flag in flags:
            per_cat[flag.category] = per_cat.get(flag.category, 0.0) + flag.contribution
        rows = [(cat, self.weights[cat], c) for cat, c in per_cat.items()]
        rows.sort(key=lambda r: (-r[2], r[0]))
        return rows
