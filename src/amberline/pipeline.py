"""Screening: normalise → extract → indicate → score, for a batch of ads at a time.

Screening an ad is a pure function of the ad and what the `Screener` compiled at start-up
(extractors, lexicon, weights), so the same object serves the CLI, the web app and Dask
workers. For speed, a batch is screened as ONE text: the ads' normalised texts are joined with
`BATCH_SEPARATOR`, every extractor and the indicator matcher make a single C-level pass over it,
and the spans are then dealt back to their ads by offset. Per-ad Python work is only what is
proportional to what was found: with the compiled core, the extractors that give their findings
as columns (`SpanColumns`) and the matcher's flags are made into records once, at their final
offsets; other spans are made by their extractor and then only moved (their offsets are
rewritten in place, as the pipeline owns them); and an ad whose text the normaliser left alone
skips the offset mapping altogether.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise
from operator import add, attrgetter
from pathlib import Path
from types import ModuleType

import numpy as np

from amberline import __version__, core
from amberline.collector import collector_paused
from amberline.extract import BATCH_SEPARATOR, build_extractors
from amberline.extract._native import SpanColumns, pattern
from amberline.extract.base import Extractor
from amberline.extract.fields import FieldColumns, FieldReader, field_spans
from amberline.extract.phones import PhoneExtractor
from amberline.extract.places import PlaceExtractor
from amberline.indicators.derived import (
    derive_columns,
    derive_flags,
    derived_flag_info,
    derived_rules,
    field_term,
)
from amberline.indicators.lexicon import load_lexicon
from amberline.indicators.matcher import IndicatorMatcher
from amberline.model import Ad, Exclusion, Flag, Obfuscation, Screening, Span, escape_source
from amberline.score.scorer import MEMO_SIZE, Scorer, Signature
from amberline.text import boilerplate
from amberline.text.boilerplate import is_excluded, whole_ad
from amberline.text.normalise import NormalisedBatch, NormalisedText, normalise_batch, prepare

_BY_POSITION = attrgetter("start", "end")
_START = attrgetter("start")
_END = attrgetter("end")
_SEP_LEN = len(BATCH_SEPARATOR)
_FAR = 1 << 62  # past the end of any batch
# The fields the core's `make_flags` and `make_objects` set, in order.
_FLAG_FIELDS = ("category", "term", "start", "end", "weight", "rule", "citation", "contribution")
_SPAN_FIELDS = ("kind", "value", "start", "end", "extractor", "confidence", "attrs")
_SCREENING_FIELDS = ("ad_key", "spans", "flags", "score", "pipeline_version", "obfuscations",
                     "exclusions")
_FLAG_INFO = attrgetter("category", "weight", "rule", "citation")  # a row of `_flag_info`


@dataclass(frozen=True, slots=True)
class ScreenConfig:
    """What a team may tune without touching code."""

    default_region: str = "US"
    lexicon_path: Path | None = None
    weights_path: Path | None = None


class ScreeningError(Exception):
    """Screening failed in `stage` ("normalise", "extract:<name>", "indicate", ...); the
    original exception is `cause` (and `__cause__`). The stage tells a developer where to
    look and an analyst which ads a bug is costing."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage}: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.cause = cause


@dataclass(slots=True)
class _Stage:
    """The stage a batch is in, kept so a failure can name it."""

    name: str = "start"


class Screener:
    """Compiles the extractors, lexicon and weights once; screens batches of ads."""

    def __init__(self, config: ScreenConfig | None = None) -> None:
        self.config = config or ScreenConfig()
        self.extractors = build_extractors(self.config.default_region)
        self._phones = next(e for e in self.extractors if isinstance(e, PhoneExtractor))
        self._places = next((e for e in self.extractors if isinstance(e, PlaceExtractor)), None)
        self._fields = FieldReader(self._phones, self._places)
        self.lexicon = load_lexicon(self.config.lexicon_path)
        # Derived rules come from the configured lexicon (checked here, so a lexicon without
        # them fails at start-up); the packaged one's are cached by `derive_flags` itself.
        self._derive_lexicon = None if self.config.lexicon_path is None else self.lexicon
        derived_rules(self.lexicon)
        self.matcher = IndicatorMatcher(self.lexicon)
        self.scorer = Scorer.from_file(self.config.weights_path, self.lexicon.categories)
        # The fields of every flag the batch finish makes, by row: the lexicon's entries (the
        # matcher's entry numbers), then the derived rules (`derive_columns`' rule codes).
        self._flag_info = [(e.category, e.weight, e.id, e.citation)
                           for e in self.lexicon.entries]
        self._entry_count = len(self._flag_info)
        self._flag_info += derived_flag_info(self._derive_lexicon)
        self._entry_of = {fields: row for row, fields in enumerate(self._flag_info)}
        codes: dict[str, int] = {}
        self._flag_category = np.array([codes.setdefault(c, len(codes))
                                        for c, _w, _r, _c in self._flag_info], dtype=np.int64)
        self._flag_weight = np.array([w for _c, w, _r, _c in self._flag_info], dtype=np.float64)
        self._signature = [Signature(c, r, w) for c, w, r, _c in self._flag_info]
        rules: dict[str, int] = {}
        self._flag_rule = np.array([rules.setdefault(r, len(rules))
                                    for _c, _w, r, _c in self._flag_info], dtype=np.int64)
        # Each row's evidence units (steps 1-2 of the scorer's formula), for the core's
        # `score_rows`; None when a category has no weight (the scorer then says so).
        units = [self.scorer.units_of(c, w) for c, w, _r, _c in self._flag_info]
        self._units = (None if None in units
                       else np.asarray(units, dtype="<f8").tobytes())
        # The tables as the core's `flag_rows` and `score_rows` read them, made once here.
        self._category_bytes = self._flag_category.astype("<i8").tobytes()
        self._weight_bytes = self._flag_weight.astype("<f8").tobytes()
        self._rule_bytes = self._flag_rule.astype("<i8").tobytes()
        self._score_memo: dict[bytes, tuple[float, tuple[float, ...]]] = {}
        # The core's object makers (the batch finish's spans, flags and screenings, offsets
        # read and set) when it has them and the records are what they expect.
        self._made = (core.load() if core.provides("score_rows") and core.provides("map_items")
                      and _plain(Flag, _FLAG_FIELDS) and _plain(Span, _SPAN_FIELDS)
                      and _plain(Screening, _SCREENING_FIELDS) else None)
        self.version = f"amberline-{__version__}+lexicon-{self.lexicon.version}"
        # With the compiled core in use, the per-ad finish runs on columns for the whole batch
        # (`_finish_batch`); the Python reference keeps `_deal` + `_finish`, its definition.
        self._batched = core.active()
        prepare()  # everything is compiled here, none of it on the first batch
        boilerplate.prepare()
        self._boilerplate = pattern(boilerplate.PATTERN)  # None: `re` runs it

    def screen(self, ad: Ad) -> Screening:
        return self.screen_batch([ad])[0]

    def screen_batch(self, ads: Sequence[Ad]) -> list[Screening]:
        """Screen many ads with one pass of each extractor over their joined texts.

        Raises `ScreeningError` (naming the stage) if any stage fails on the batch; callers
        that must not lose the batch use `amberline.isolate.screen_isolated`."""
        if not ads:
            return []
        stage = _Stage()
        with collector_paused():
            try:
                return self._screen_batch(ads, stage)
            except Exception as exc:
                raise ScreeningError(stage.name, exc) from exc

    def _screen_batch(self, ads: Sequence[Ad], stage: _Stage) -> list[Screening]:
        stage.name = "normalise"
        norms = normalise_batch([ad.text for ad in ads])
        texts = norms.texts
        sizes = list(map(len, texts))
        starts = [0, *accumulate(map(_SEP_LEN.__add__, sizes[:-1]))]
        limits = list(map(add, starts, sizes))
        joined = BATCH_SEPARATOR.join(texts)

        found: list[list[Span] | SpanColumns] = []
        for extractor in self.extractors:
            stage.name = f"extract:{extractor.name}"
            found.append(self.extract(extractor, joined))
        stage.name = "indicate"
        lexicon_flags = self._indicate(joined)
        stage.name = "boilerplate"
        found_excluded = boilerplate.find_batch(joined, starts, self._boilerplate)
        core.forget_batch()  # (its joined text and buffers, read by no later stage)
        stage.name = "score"
        if self._batched:
            return self._finish_batch(ads, norms, starts, limits, found, lexicon_flags,
                                      found_excluded)

        spans: list[list[Span]] = [[] for _ in ads]
        for items in found:
            _deal(items, starts, limits, spans)
        flags: list[list[Flag]] = [[] for _ in ads]
        _deal(lexicon_flags, starts, limits, flags)
        excluded: list[list[Exclusion]] = [[] for _ in ads]
        _deal(found_excluded, starts, limits, excluded)
        finish = self._finish
        return [
            finish(ad, norm, ad_spans, ad_flags, ad_excluded)
            for ad, norm, ad_spans, ad_flags, ad_excluded
            in zip(ads, norms, spans, flags, excluded, strict=True)
        ]

    def extract(self, extractor: Extractor, joined: str) -> list[Span] | SpanColumns:
        """What `extractor` finds in a batch's joined text: with the batch finish, as columns
        when it gives them (`extract_columns`: its spans are then made once, at their final
        offsets), else its spans."""
        if self._batched:
            columns = getattr(extractor, "extract_columns", None)
            if columns is not None:
                return columns(joined)
        return extractor.extract(joined)

    def _indicate(self, joined: str) -> list[Flag] | np.ndarray:
        """The lexicon's flags in a batch's joined text: with the core's matcher and the batch
        finish, as rows (0, entry, start, end) that `_finish_batch` makes flags of once, with
        their final offsets and contributions; else as flags."""
        if self._batched and self.matcher.engine == "core":
            return self.matcher.match_columns([joined])
        return self.matcher.match(joined)

    def _finish_batch(
        self, ads: Sequence[Ad], norms: NormalisedBatch, starts: list[int],
        limits: list[int], found: list[list[Span] | SpanColumns],
        lexicon_flags: list[Flag] | np.ndarray, found_excluded: list[Exclusion],
    ) -> list[Screening]:
        """`_deal` and `_finish` for the whole batch at once, with the same result: the
        positions of everything found are columns, so dealing, the per-ad sorts and the map
        back to the original text are a few array operations per batch, and only the
        records themselves are touched one by one: each span an extractor gave as columns
        is made once, at its final offsets, and the others have theirs set. Flags are columns
        (ad, offsets, their entry or derived rule) until the end, when each is made once."""
        n = len(ads)
        first = np.asarray(starts, dtype=np.int64)
        last = np.asarray(limits, dtype=np.int64)
        texts = norms.texts

        # Exclusions (a few ads of a batch at most): dealt and widened as `_finish` does.
        exclusions: dict[int, list[Exclusion]] = {}
        if found_excluded:
            dealt: list[list[Exclusion]] = [[] for _ in ads]
            _deal(found_excluded, starts, limits, dealt)
            exclusions = {i: whole_ad(found, len(texts[i]))
                          for i, found in enumerate(dealt) if found}

        # Spans: dealt, filtered, sorted by (ad, start, end) in one stable sort, so each ad's
        # run is in the order `_finish` sorts it (extractor order, then found order, on ties).
        made = self._made
        found_start, found_end = _found_offsets(found, made)
        located = (None if made is None or exclusions else made.locate_order(
            found_start.astype("<i8", copy=False).tobytes(),
            found_end.astype("<i8", copy=False).tobytes(), first.tobytes(), last.tobytes()))
        if located is not None:
            span_order, span_cuts, sad, sstart, send = (np.frombuffer(column, dtype="<i8")
                                                        for column in located)
        else:
            ad, start, end, keep = _locate(found_start, found_end, first, last)
            if exclusions:
                _exclude(ad, start, end, keep, exclusions)
            span_order, span_cuts = _ordered(ad, start, end, keep, n, made)
            sad, sstart, send = ad[span_order], start[span_order], end[span_order]
        # Source fields lead their ad's spans (empty, at 0, mapped as any offset): their rows
        # join the kept ones, to be made with them.
        fields = self._fields.columns([ad_.meta for ad_ in ads],
                                      lambda kind: _stated(found, span_order, sad, kind))
        if fields is not None:
            span_order, span_cuts, sad, sstart, send = _with_fields(
                fields, len(found_start), span_order, span_cuts, sad, sstart, send)
            found = [*found, *fields.sources]
        maps = _Maps(norms)
        ostart, oend = maps.to_original(sad, sstart, send, made)
        spans, per_ad_spans = _made_spans(found, span_order, ostart, oend, span_cuts, made)

        derived = derive_columns(spans, sad, sstart, send, norms.obfuscations,
                                 self._derive_lexicon)
        flagged = (made.flag_rows(
            _int64s(lexicon_flags), first.tobytes(), last.tobytes(), _int64s(sad),
            _int64s(sstart), _int64s(send), derived.astype("<i8").tobytes(), self._entry_count,
            self._category_bytes, self._weight_bytes, maps.core_columns() if maps.any else None)
            if made is not None and not exclusions and isinstance(lexicon_flags, np.ndarray)
            else None)
        if flagged is None:
            per_ad_flags, scores = self._flags(n, texts, first, last, lexicon_flags, spans, sad,
                                               sstart, send, derived, maps, exclusions)
        else:
            rows, info, cuts, named = flagged
            scores, contributions = self._scores(np.frombuffer(info, dtype="<i8"),
                                                 np.frombuffer(cuts, dtype="<i8"))
            pairs = np.frombuffer(named, dtype="<i8").reshape(-1, 2)
            terms = dict(zip(pairs[:, 0].tolist(), map(field_term, _taken(spans, pairs[:, 1])),
                             strict=True))
            per_ad_flags = made.make_flags(Flag, _FLAG_FIELDS, self._flag_info, texts, terms,
                                           rows, contributions.astype("<f8").tobytes(), cuts)
        if maps.any:
            moved = [norms.obfuscations[i] for i in maps.ads]
            moved_ads = maps.ads
            if exclusions:
                moved += [exclusions[i] for i in maps.ads if i in exclusions]
                moved_ads = [*maps.ads, *(i for i in maps.ads if i in exclusions)]
            _map_items(maps, moved, moved_ads, made)
        version = self.version
        kept = ([exclusions.get(i) or [] for i in range(n)] if exclusions
                else [[] for _ in range(n)])
        columns_of = (_keys(ads), per_ad_spans, per_ad_flags, scores, [version] * n,
                      list(norms.obfuscations), kept)
        if made is not None:
            return made.make_objects(Screening, _SCREENING_FIELDS, list(columns_of))
        return list(map(Screening, *columns_of))

    def _flags(
        self, n: int, texts: list[str], first: np.ndarray, last: np.ndarray,
        lexicon_flags: list[Flag] | np.ndarray, spans: list[Span], sad: np.ndarray,
        sstart: np.ndarray, send: np.ndarray, derived: np.ndarray, maps: _Maps,
        exclusions: dict[int, list[Exclusion]],
    ) -> tuple[list[list[Flag]], list[float]]:
        """The flags of `_finish_batch` by ad, and each ad's score, by numpy (the core's
        `flag_rows` does this for the usual batch): the lexicon's flags (rows or flags) and
        the `derived` rows at the places of their spans (`sad`, `sstart`, `send`) as columns
        (ad, normalised offsets, row of `_flag_info`, span or -1), each ad's lexicon flags
        then its derived ones (in `derive_flags`' order), mapped, ordered, one per span."""
        made = self._made
        if isinstance(lexicon_flags, np.ndarray):
            fentry = lexicon_flags[:, 1]
            fad, fstart, fend, fkeep = _locate(lexicon_flags[:, 2], lexicon_flags[:, 3], first,
                                               last)
        else:
            fentry = np.fromiter(map(self._entry_of.__getitem__, map(_FLAG_INFO, lexicon_flags)),
                                 np.int64, len(lexicon_flags))
            fad, fstart, fend, fkeep = _locate(*_offsets(lexicon_flags, made), first, last)
        if exclusions:
            _exclude(fad, fstart, fend, fkeep, exclusions)
        if not fkeep.all():
            kept = np.flatnonzero(fkeep)
            fad, fstart, fend, fentry = fad[kept], fstart[kept], fend[kept], fentry[kept]
        at = derived[:, 0]
        gad = np.concatenate([fad, sad[at]])
        nstart = np.concatenate([fstart, sstart[at]])
        nend = np.concatenate([fend, send[at]])
        ginfo = np.concatenate([fentry, derived[:, 1] + self._entry_count])
        gspan = np.concatenate([np.full(len(fad), -1, dtype=np.int64), at])
        gstart, gend = maps.to_original(gad, nstart, nend, made)

        # Sorted by position within each ad (stable, as `_finish` sorts them after mapping),
        # then one flag per (category, start, end), as `_one_per_span`.
        order = _ordered(gad, gstart, gend, None, n, made)[0]
        order = order[_one_per_span_rows(gad[order], gstart[order], gend[order],
                                         self._flag_category[ginfo[order]],
                                         self._flag_weight[ginfo[order]])]
        gad, gstart, gend, ginfo = gad[order], gstart[order], gend[order], ginfo[order]
        nstart, nend, gspan = nstart[order], nend[order], gspan[order]
        cuts = _cuts(gad, n)
        scores, contributions = self._scores(ginfo, cuts)
        # A derived flag on a span from a source field (empty) names the field, not its text.
        named = np.flatnonzero((gspan >= 0) & (nend <= nstart))
        terms = dict(zip(named.tolist(), map(field_term, _taken(spans, gspan[named])),
                         strict=True))
        columns = (gad, ginfo, gstart, gend, nstart, nend)
        if made is not None:
            return made.make_flags(
                Flag, _FLAG_FIELDS, self._flag_info, texts, terms,
                np.column_stack(columns).astype("<i8").tobytes(),
                contributions.astype("<f8").tobytes(), cuts.tobytes()), scores
        return _make_flags(self._flag_info, texts, terms, columns, contributions.tolist(),
                           cuts.tolist()), scores

    def _scores(self, info: np.ndarray, cuts: np.ndarray) -> tuple[list[float], np.ndarray]:
        """Each ad's score and the contribution of each flag (float64), in order, from the
        flags' rows of `_flag_info` (each ad's run between its `cuts`): by the core's
        `score_rows` when every row's category is weighed, else by the scorer itself, whose
        score is a function of those rows, so ads that share them (a network's template, a
        common pair of terms) are scored once."""
        if self._made is not None and self._units is not None:
            scores, shares = self._made.score_rows(
                self._units, self._category_bytes, self._rule_bytes, self.scorer.repeat_bonus,
                self.scorer.max_repeats, info.astype("<i8").tobytes(), cuts.tobytes())
            return (np.frombuffer(scores, dtype="<f8").tolist(),
                    np.frombuffer(shares, dtype="<f8"))
        scores, contributions = self._scores_memo(info, cuts.tolist())
        return scores, np.asarray(contributions, dtype=np.float64)

    def _scores_memo(self, info: np.ndarray, cuts: list[int]) -> tuple[list[float], list[float]]:
        """`_scores` by the scorer, once per distinct run of rows."""
        scores = [0.0] * (len(cuts) - 1)
        contributions: list[float] = []
        if not len(info):
            return scores, contributions
        memo = self._score_memo
        data = info.astype("<i8").tobytes()
        signature = self._signature
        score_of = self.scorer.score_signature
        for i in np.flatnonzero(np.diff(cuts)).tolist():
            a, b = cuts[i], cuts[i + 1]
            key = data[8 * a : 8 * b]
            hit = memo.get(key)
            if hit is None:
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                hit = memo[key] = score_of([signature[j] for j in info[a:b].tolist()])
            scores[i] = hit[0]
            contributions += hit[1]
        return scores, contributions

    def _finish(
        self, ad: Ad, norm: NormalisedText, spans: list[Span], flags: list[Flag],
        exclusions: list[Exclusion],
    ) -> Screening:
        """Drop what lies in the site's boilerplate, derive the span-based flags, map
        everything back to the original text, score."""
        if exclusions:
            exclusions = whole_ad(exclusions, len(norm.text))
            spans = [s for s in spans if not is_excluded(s.start, s.end, exclusions)]
            flags = [f for f in flags if not is_excluded(f.start, f.end, exclusions)]
        if len(spans) > 1:
            spans.sort(key=_BY_POSITION)
        if ad.meta:
            # empty spans at 0 lead
            spans[:0] = field_spans(ad.meta, spans, self._phones, self._places)
        obfuscations = norm.obfuscations
        if spans:
            derived = derive_flags(spans, obfuscations, norm.text, self._derive_lexicon)
            if derived:
                flags.extend(derived)
        if norm.offsets is not None and not norm.same_offsets:
            _to_original(chain(spans, flags, obfuscations, exclusions), norm)
        if len(flags) > 1:
            flags.sort(key=_BY_POSITION)
            flags = _one_per_span(flags)
        score = self.scorer.score(flags) if flags else 0.0
        # `obfuscations` is the normaliser's fresh list for this ad, used nowhere else.
        return Screening(ad.key, spans, flags, score, self.version, obfuscations, exclusions)


def _deal(
    items: Sequence[Span | Flag | Exclusion],
    starts: list[int],
    limits: list[int],
    out: list[list],
) -> None:
    """Give batch-level spans to the ads they lie in (offsets made local to the ad); drop any
    that crosses an ad boundary. The ad of an item is `bisect_right(starts, start) - 1`,
    looked up only when an item leaves the previous item's ad (items come mostly in order)."""
    if not items:
        return
    n = len(starts)
    index, low, high = 0, starts[0], starts[1] if n > 1 else _FAR
    for item in items:
        start = item.start
        if not low <= start < high:
            index = bisect_right(starts, start) - 1
            low = starts[index]
            high = starts[index + 1] if index + 1 < n else _FAR
        end = item.end
        if end > limits[index]:
            continue
        item.start = start - low
        item.end = end - low
        out[index].append(item)


def _offsets(items: list, made: ModuleType | None) -> tuple[np.ndarray, np.ndarray]:
    """The (start, end) columns of `items` (by the core when `made`)."""
    if made is not None:
        starts, ends = made.offsets(items)
        return np.frombuffer(starts, dtype="<i8"), np.frombuffer(ends, dtype="<i8")
    return _column(items, _START), _column(items, _END)


def _found_offsets(found: list[list[Span] | SpanColumns],
                   made: ModuleType | None) -> tuple[np.ndarray, np.ndarray]:
    """The (start, end) columns of everything the extractors found, one source after the
    other (their spans' offsets, or their columns)."""
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for items in found:
        if isinstance(items, SpanColumns):
            start, end = items.starts, items.ends
        else:
            start, end = _offsets(items, made)
        starts.append(start)
        ends.append(end)
    if not starts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(starts), np.concatenate(ends)


def _made_spans(found: list[list[Span] | SpanColumns], order: np.ndarray, starts: np.ndarray,
                ends: np.ndarray, cuts: np.ndarray, made: ModuleType | None
                ) -> tuple[list[Span], list[list[Span]]]:
    """The spans kept (`order`: rows of all of `found`, one source after the other), each at
    its final offsets (`starts`, `ends`, in that order): made from the columns of a
    `SpanColumns`, or the extractor's own spans with those offsets set; as the flat list and
    the lists by ad (split at `cuts`). By the core's `make_spans` when `made`."""
    if made is not None:
        sources = [(f.kind, f.extractor, f.values, f.confidences, f.attrs)
                   if isinstance(f, SpanColumns) else f for f in found]
        return made.make_spans(Span, _SPAN_FIELDS, sources, _int64s(order), _int64s(starts),
                               _int64s(ends), _int64s(cuts))
    items = list(chain.from_iterable(f.spans() if isinstance(f, SpanColumns) else f
                                     for f in found))
    spans = _taken(items, order)
    _place(spans, starts, ends, made)
    return spans, [spans[a:b] for a, b in pairwise(cuts.tolist())]


def _make_flags(info: list[tuple[str, float, str, str]], texts: list[str],
                terms: dict[int, str], columns: tuple[np.ndarray, ...],
                contributions: list[float], cuts: list[int]) -> list[list[Flag]]:
    """The flags of a batch's rows as lists by ad (the core's `make_flags`): row k is
    (ad, row of `info`, start, end, normalised start and end) in `columns`, its term the
    normalised text between those unless `terms` has row k's."""
    flags = []
    add = flags.append
    for k, (a, j, s, e, ns, ne, c) in enumerate(zip(
            *(column.tolist() for column in columns), contributions, strict=True)):
        category, weight, rule, citation = info[j]
        term = terms[k] if ne <= ns and k in terms else texts[a][ns:ne]
        add(Flag(category, term, s, e, weight, rule, citation, c))
    return [flags[a:b] for a, b in pairwise(cuts)]


def _column(items: Sequence[Span | Flag | Obfuscation | Exclusion],
            field: attrgetter) -> np.ndarray:
    """One offset field of `items` as an int64 column."""
    return np.fromiter(map(field, items), np.int64, len(items))


def _locate(
    start: np.ndarray, end: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ad, start, end, keep) columns of batch-level items at `start`, `end`, as `_deal`
    deals them: the ad an item starts in, offsets local to it, and whether it ends within
    that ad's text."""
    ad = np.searchsorted(first, start, side="right") - 1
    base = first[ad]
    return ad, start - base, end - base, end <= last[ad]


def _exclude(ad: np.ndarray, start: np.ndarray, end: np.ndarray, keep: np.ndarray,
             exclusions: dict[int, list[Exclusion]]) -> None:
    """Unset `keep` for the items of an ad with exclusions that lie in one (`_finish`'s
    `is_excluded`, local offsets), all at once: with each ad's exclusions in order of start,
    an item [s, e) overlaps one of them exactly when, of those starting before e, one ends
    after s, i.e. the furthest end among them lies after s."""
    rows = sorted((a, x.start, x.end) for a, found in exclusions.items() for x in found)
    if not rows:
        return
    ex_ad, ex_start, ex_end = np.array(rows, dtype=np.int64).T
    # (ad, offset) as one int64 key: the ad's exclusions sort together, by offset
    base, item_base = ex_ad << 32, ad << 32
    furthest = np.maximum.accumulate(base + ex_end)  # within an ad: the key's ad dominates
    last = np.searchsorted(base + ex_start, item_base + end, side="left") - 1
    at = np.maximum(last, 0)
    keep &= ~((last >= 0) & (ex_ad[at] == ad) & (furthest[at] > item_base + start))


def _ordered(ad: np.ndarray, start: np.ndarray, end: np.ndarray, keep: np.ndarray | None,
             n: int, made: ModuleType | None) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the kept items (all when `keep` is None) by (ad, start, end), ties in their
    found order, and where each of `n` ads' run begins in that order (`_cuts`); by the
    core's `order_rows` when `made`."""
    if made is not None:
        order, cuts = made.order_rows(
            ad.astype("<i8", copy=False).tobytes(), start.astype("<i8", copy=False).tobytes(),
            end.astype("<i8", copy=False).tobytes(), b"" if keep is None else keep.tobytes(), n)
        return np.frombuffer(order, dtype="<i8"), np.frombuffer(cuts, dtype="<i8")
    kept = np.arange(len(ad)) if keep is None else np.flatnonzero(keep)
    order = kept[np.lexsort((end[kept], start[kept], ad[kept]))]
    return order, _cuts(ad[order], n)


def _taken(items: Sequence, order: np.ndarray) -> list:
    return [items[k] for k in order.tolist()]


def _place(items: list, start: np.ndarray, end: np.ndarray,
           made: ModuleType | None = None) -> None:
    """Give each item its offsets from the columns (in place: the pipeline owns them; by
    the core when `made`)."""
    if made is not None:
        made.place(items, start.astype("<i8").tobytes(), end.astype("<i8").tobytes())
        return
    for item, s, e in zip(items, start.tolist(), end.tolist(), strict=True):
        item.start = s
        item.end = e


def _stated(found: list[list[Span] | SpanColumns], order: np.ndarray, ad: np.ndarray,
            kind: str) -> set[tuple[int, object]]:
    """(ad, value) of each kept span of `kind`: of the rows `order` of `found` (numbered one
    source after the other), in ads `ad`; a field span is not made where its ad's text has
    the same (`field_spans`' check, on columns)."""
    out: set[tuple[int, object]] = set()
    first = 0
    for items in found:
        last = first + len(items)
        if last > first and (not isinstance(items, SpanColumns) or items.kind == kind):
            kept = (order >= first) & (order < last)
            rows, ads = (order[kept] - first).tolist(), ad[kept].tolist()
            if isinstance(items, SpanColumns):
                out.update(zip(ads, map(items.values.__getitem__, rows), strict=True))
            else:
                out.update((a, span.value) for a, span in zip(ads, map(items.__getitem__, rows),
                                                               strict=True)
                           if span.kind == kind)
        first = last
    return out


def _with_fields(fields: FieldColumns, rows: int, order: np.ndarray, cuts: np.ndarray,
                 ad: np.ndarray, start: np.ndarray, end: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The kept rows' `order`, `cuts` and (ad, start, end) columns with each ad's field rows
    (numbered after the `rows` found; empty, at 0) before its text's."""
    count = np.bincount(fields.ads, minlength=len(cuts) - 1)
    before = np.zeros(len(cuts), dtype=np.int64)  # field rows of the ads before each
    np.cumsum(count, out=before[1:])
    text_at = np.arange(len(order)) + before[ad + 1]
    field_at = np.arange(len(fields.ads)) + cuts[fields.ads]
    total = len(order) + len(fields.ads)
    columns = (np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64),
               np.zeros(total, dtype=np.int64), np.zeros(total, dtype=np.int64))
    for column, text, field in zip(columns, (order, ad, start, end),
                                   (fields.order + rows, fields.ads, 0, 0), strict=True):
        column[text_at] = text
        column[field_at] = field
    new_order, new_ad, new_start, new_end = columns
    return new_order, cuts + before, new_ad, new_start, new_end


def _plain(cls: type, names: tuple[str, ...]) -> bool:
    """Is `cls` a dataclass with slots whose fields are `names` and whose `__init__` only
    sets them (no `__post_init__`), so the core may make its objects by setting them?"""
    return (dataclasses.is_dataclass(cls) and hasattr(cls, "__slots__")
            and not hasattr(cls, "__post_init__")
            and tuple(f.name for f in dataclasses.fields(cls)) == names)


def _cuts(ads: np.ndarray, n: int) -> np.ndarray:
    """Where each of `n` ads' run begins in the sorted column `ads` (n + 1 int64 bounds)."""
    return np.searchsorted(ads, np.arange(n + 1)).astype("<i8", copy=False)


class _Maps:
    """A batch's offset maps as the normaliser joined them (`NormalisedBatch.maps`), with
    where each ad's begins, so that mapping offsets back to the original texts
    (`_to_original`'s rule) is one gather per batch."""

    def __init__(self, norms: NormalisedBatch) -> None:
        joined = norms.maps
        self.ads = joined.ads
        self._columns: tuple[bytes, bytes, bytes, bytes, object, object, int] | None = None
        self.any = bool(self.ads)
        if not self.any:
            return
        n = len(norms)
        ads = np.fromiter(self.ads, np.int64, len(self.ads))  # one conversion, not three
        self.moved = np.zeros(n, dtype=bool)
        self.moved[ads] = True
        self.length = np.zeros(n, dtype=np.int64)
        self.length[ads] = joined.lengths
        # A changed ad's `offsets` has len(text) + 1 entries and its ends len(text).
        self.tail_base = np.zeros(n, dtype=np.int64)
        self.tail_base[ads] = np.cumsum(joined.lengths) - joined.lengths
        self.head_base = self.tail_base + np.cumsum(self.moved) - self.moved
        self.heads = joined.heads
        self.tails = joined.tails
        if (len(self.heads) != int(joined.lengths.sum()) + len(self.ads)
                or len(self.tails) != int(joined.lengths.sum())):
            raise ValueError("an offset map's length does not match its normalised text")

    def core_columns(self) -> tuple[bytes, bytes, bytes, bytes, object, object, int]:
        """What the core's `map_items` and `map_rows` map by (made once per batch): `moved`
        (a byte per ad), the int64 bases and lengths by ad, then the maps' entries and their
        width in bytes (the core's own int32 buffers when the maps are whole views of them:
        no copy of a batch's maps)."""
        if self._columns is not None:
            return self._columns
        width = 4 if self.heads.dtype == self.tails.dtype == np.dtype("<i4") else 8
        self._columns = (self.moved.tobytes(), self.head_base.astype("<i8").tobytes(),
                         self.tail_base.astype("<i8").tobytes(),
                         self.length.astype("<i8").tobytes(), _entries(self.heads, width),
                         _entries(self.tails, width), width)
        return self._columns

    def to_original(self, ad: np.ndarray, start: np.ndarray, end: np.ndarray,
                    made: ModuleType | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Columns of offsets into the original texts (unchanged for ads left as they were:
        all of them when no ad's text moved); by the core's `map_rows` when `made`."""
        if not self.any:
            return start, end
        if made is not None:
            mapped = made.map_rows(_int64s(ad), _int64s(start), _int64s(end),
                                   self.core_columns())
            return np.frombuffer(mapped[0], dtype="<i8"), np.frombuffer(mapped[1], dtype="<i8")
        moved = self.moved[ad]
        if not moved.any():
            return start, end
        a, s, e = ad[moved], start[moved], end[moved]
        if ((s < 0) | (s > self.length[a]) | (e > self.length[a])).any():
            raise IndexError("an offset lies outside its ad's normalised text")
        head = self.heads[self.head_base[a] + s]
        full = e > s
        # (no ad's text is empty where `full`; where not, any entry will do: the first)
        tail = self.tails[np.where(full, self.tail_base[a] + e - 1, 0)] if len(self.tails) else head
        start, end = start.copy(), end.copy()
        start[moved] = head
        end[moved] = np.where(full, tail, head)
        return start, end


def _map_items(maps: _Maps, groups: list[list], ads: list[int],
               made: ModuleType | None = None) -> None:
    """Rewrite the offsets of the items of `groups` (group g of ad `ads[g]`) as offsets into
    the original texts (by the core's `map_items` when `made`: the offsets read, mapped and
    set in one pass, with no column made)."""
    if made is not None:
        made.map_items(groups, ads, maps.core_columns())
        return
    items = list(chain.from_iterable(groups))
    if not items:
        return
    of = np.repeat(np.asarray(ads, dtype=np.int64), [len(group) for group in groups])
    _place(items, *maps.to_original(of, *_offsets(items, made)), made)


def _entries(column: np.ndarray, width: int) -> object:
    """A map's entries as the core's `map_items` reads them, little-endian integers of
    `width` bytes: the object the array views when it is the whole of it (the normaliser
    core's `Int32Column`, or bytes), else a copy as bytes."""
    base = column.base
    if (column.dtype == np.dtype(f"<i{width}") and base is not None
            and not isinstance(base, np.ndarray) and memoryview(base).nbytes == column.nbytes):
        return base
    return column.astype(f"<i{width}").tobytes()


def _int64s(column: np.ndarray) -> object:
    """An int64 column as the core reads it (little-endian bytes): the bytes object it views
    when it is the whole of one (a column the core handed back), else a copy."""
    if column.flags.c_contiguous:
        return _entries(column, 8)
    return column.astype("<i8").tobytes()


def _keys(ads: Sequence[Ad]) -> list[str]:
    """`ad.key` of each ad, with each source escaped once per batch (a batch has one or a
    few sources)."""
    prefix = {source: f"{escape_source(source)}:" for source in {ad.source for ad in ads}}
    return [f"{prefix[ad.source]}{ad.source_id}" if ad.source_id else ad.key for ad in ads]


def _one_per_span(flags: list[Flag]) -> list[Flag]:
    """Keep one flag per (category, start, end): the highest weight, the earlier on a tie.

    A derived flag and a lexicon flag of one category on the same words ("Asian" as a
    descriptor and as a lexicon term), or a derived rule firing twice on one span, are the
    same evidence: shown twice they clutter the explanation and add a repeat bonus for
    nothing. `flags` is sorted by position, so a duplicate has the same (start, end) as its
    neighbour: most ads have none and return at once, in place."""
    previous = flags[0]
    for flag in flags[1:]:
        if flag.start == previous.start and flag.end == previous.end:
            break
        previous = flag
    else:
        return flags
    best: dict[tuple[str, int, int], int] = {}
    kept: list[Flag] = []
    for flag in flags:
        key = (flag.category, flag.start, flag.end)
        index = best.get(key)
        if index is None:
            best[key] = len(kept)
            kept.append(flag)
        elif flag.weight > kept[index].weight:
            kept[index] = flag
    return kept


def _one_per_span_rows(ad: np.ndarray, start: np.ndarray, end: np.ndarray,
                       category: np.ndarray, weight: np.ndarray) -> np.ndarray | slice:
    """`_one_per_span` on columns sorted by (ad, start, end): the rows kept, in order. Of the
    rows of one (ad, category, start, end), the heaviest (the earlier on a tie) is kept, in
    the place of the first of them. Only the runs of rows at one place are looked at."""
    same = (ad[1:] == ad[:-1]) & (start[1:] == start[:-1]) & (end[1:] == end[:-1])
    if not same.any():
        return slice(None)
    member = np.zeros(len(ad), dtype=bool)
    member[1:] = same
    member[:-1] |= same
    rows = np.flatnonzero(member)
    a, s, e, c = ad[rows], start[rows], end[rows], category[rows]
    # By key, heaviest first, then in order: the first row of each key is the one kept.
    by = np.lexsort((rows, -weight[rows], c, e, s, a))
    a, s, e, c = a[by], s[by], e[by], c[by]
    new = np.ones(len(by), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (s[1:] != s[:-1]) | (e[1:] != e[:-1]) | (c[1:] != c[:-1])
    heads = np.flatnonzero(new)
    place = np.minimum.reduceat(rows[by], heads)  # where each key first occurs
    pick = np.arange(len(ad))
    pick[place] = rows[by[heads]]
    kept = ~member
    kept[place] = True
    return pick[kept]


def _to_original(
    items: Iterable[Span | Flag | Obfuscation | Exclusion], norm: NormalisedText
) -> None:
    """Rewrite normalised offsets as offsets into the ad as written (in place: the pipeline
    owns these records), with the same rule as `NormalisedText.to_original`."""
    offsets = norm.offsets
    assert offsets is not None
    ends = norm._ends if norm._ends is not None else offsets[1:]
    # The core's maps are int32 arrays, whose `item` gives a Python int; lists and ranges
    # give ints by indexing.
    at = offsets.item if isinstance(offsets, np.ndarray) else offsets.__getitem__
    end_at = ends.item if isinstance(ends, np.ndarray) else ends.__getitem__
    for item in items:
        start, end = item.start, item.end
        item.start = first = at(start)
        item.end = end_at(end - 1) if end > start else first
