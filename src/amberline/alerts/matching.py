"""Matching ads against active alerts and watchlist entries: live (scan hook) and retroactive.

One rule decides every match: `verify_entry` for watchlist entries, `scoring.score` for alerts.
Live matching (`MatchHook`, run by every scan on newly stored ads) first narrows each batch with
in-memory indexes built once per batch (identifier dicts, one regex of names and keywords, one
vectorised PDQ comparison); retroactive matching narrows the archive with the store's indexes
(`candidates`). Both then apply the same rule, so an ad matches the same whether it came before
or after the alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from amberline.alerts import candidates
from amberline.alerts.matches import Match, StoredMatch, save_matches
from amberline.alerts.records import StoredAlert, active_child_alerts, get_alert
from amberline.alerts.scoring import ChildProfile, MatchConfig, Term, score
from amberline.alerts.watchlists import WatchEntry, list_entries
from amberline.extract.descriptors import load_vocabulary
from amberline.identifiers import CONTACT_KINDS
from amberline.link.pdq_words import hamming, hex_to_words
from amberline.model import AGE, DESCRIPTOR, NAME, Ad, Screening
from amberline.store.alerts import anything_to_match
from amberline.store.database import Store
from amberline.stored_batch import NewAd, StoredBatchHook

EXACT_KINDS = CONTACT_KINDS
PDQ_DISTANCE = 31


def _phrase(text: str) -> str:
    return r"\b" + r"\s+".join(re.escape(w) for w in text.split()) + r"\b"


def _hit(term: str, evidence: str, start: int | None = None, end: int | None = None) -> dict:
    return Term(term, 1.0, 1.0, 1.0, evidence, start, end).as_dict()


def _descriptor_ok(key: str, wanted: Any, span: Any) -> bool:
    if key in ("height_cm", "weight_kg"):
        return abs(float(span.value) - float(wanted)) <= 5
    if key == "ethnicity":
        return wanted in (str(span.value).lower(), str(span.attrs.get("group", "")).lower())
    return str(span.value).lower() == str(wanted).lower()


def verify_entry(entry: WatchEntry, ad: Ad, screening: Screening
                 ) -> tuple[float, list[dict[str, Any]]] | None:
    """Whether an ad matches a watchlist entry: (score, terms), or None."""
    kind = entry.kind
    if kind in EXACT_KINDS:
        for s in screening.spans:
            if s.kind == kind and str(s.value) == entry.value:
                return 1.0, [_hit(kind, f"{kind} {s.value}", s.start, s.end)]
        return None
    if kind == "keyword":
        m = re.search(_phrase(entry.value), ad.text, re.IGNORECASE)
        return (1.0, [_hit("keyword", f"{m[0]!r}", *m.span())]) if m else None
    if kind == "pdq":
        hashes = [h["pdq"] for h in ad.image_hashes if h.get("pdq")]
        if not hashes:
            return None
        dist = hamming(hex_to_words(hashes), hex_to_words([entry.value] * len(hashes)))
        best = int(dist.min())
        return (1.0, [_hit("pdq", f"image PDQ distance {best}")]) if best <= PDQ_DISTANCE else None
    if kind == "descriptors":
        terms = []
        for key, wanted in entry.attrs.items():
            span = next((s for s in screening.spans if s.kind == DESCRIPTOR
                         and s.attrs.get("kind") == key and _descriptor_ok(key, wanted, s)), None)
            if span is None:
                return None
            terms.append(_hit(key, f"{key} {span.value} ~ {wanted}", span.start, span.end))
        return 1.0, terms
    # name, with an optional age range
    first = entry.value.split()[0].lower()
    name = next(([s.start, s.end] for s in screening.spans
                 if s.kind == NAME and str(s.value).lower() == first), None)
    if name is None and " " in entry.value:
        m = re.search(_phrase(entry.value), ad.text, re.IGNORECASE)
        name = list(m.span()) if m else None
    if name is None:
        return None
    terms = [_hit("name", f"name {ad.text[name[0]:name[1]]}", *name)]
    if entry.min_age is None and entry.max_age is None:
        return 1.0, terms
    ages = [s for s in screening.spans if s.kind == AGE and isinstance(s.value, int)]
    if not ages:
        terms.append(Term("age", 0.0, 0.0, 0.0, "no stated age").as_dict())
        return 0.6, terms
    low, high = entry.min_age or 0, entry.max_age or 200
    inside = next((s for s in ages if low <= s.value <= high), None)
    if inside is None:
        return None
    terms.append(_hit("age", f"stated age {inside.value} in {low}-{high}", inside.start,
                      inside.end))
    return 1.0, terms


def _any_of(alternatives: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex of whole-word alternatives, or None when there are none."""
    if not alternatives:
        return None
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


def profiles(alert: StoredAlert) -> list[ChildProfile]:
    return [ChildProfile.build(alert.id, child, alert.sent, alert.area)
            for child in alert.descriptors.children]


def age_window(child: ChildProfile) -> range:
    age = child.person.age
    return range(age - 1, age + 3) if age is not None else range(0)


def score_alert(children: list[ChildProfile], ad_id: int, ad: Ad, screening: Screening,
                cfg: MatchConfig) -> Match | None:
    """The best-scoring child of an alert for this ad, as a Match if at the threshold."""
    best: tuple[float, list[Term]] | None = None
    for child in children:
        found = score(child, ad, screening, cfg)
        if best is None or found[0] > best[0]:
            best = found
    if best is None or best[0] < cfg.threshold:
        return None
    return Match(ad_id, screening.ad_key, children[0].alert_id, None, best[0],
                 [t.as_dict() for t in best[1]])


class BatchIndex:
    """Active alerts and entries, indexed for one batch of new ads (live matching)."""

    def __init__(self, alerts: list[StoredAlert], entries: list[WatchEntry]) -> None:
        self.children = {a.id: profiles(a) for a in alerts}
        self.entries = entries
        self.exact: dict[tuple[str, str], list[WatchEntry]] = {}
        for e in entries:
            if e.kind in EXACT_KINDS:
                self.exact.setdefault((e.kind, e.value), []).append(e)
        # Alerts by the child's first name: one regex finds which alerts an ad names.
        self.by_name: dict[str, set[int]] = {}
        for alert_id, kids in self.children.items():
            for c in kids:
                if c.first_name:
                    self.by_name.setdefault(c.first_name.lower(), set()).add(alert_id)
        self.names = _any_of([re.escape(n) for n in sorted(self.by_name)])
        phrases = [e.value for e in entries if e.kind in ("keyword", "name")]
        phrases += [e.value.split()[0] for e in entries if e.kind == "name"]
        self.words = _any_of([_phrase(p)[2:-2] for p in phrases])
        self.slow = [e for e in entries if e.kind in ("pdq", "descriptors")]

    def match(self, ad_id: int, ad: Ad, screening: Screening, cfg: MatchConfig) -> list[Match]:
        found: list[Match] = []
        texty = self.words is not None and self.words.search(ad.text) is not None
        maybe = list(self.slow) + ([e for e in self.entries if e.kind in ("keyword", "name")]
                                   if texty else [])
        for s in screening.spans:
            maybe += self.exact.get((s.kind, str(s.value)), [])
        for entry in {e.id: e for e in maybe}.values():
            if (hit := verify_entry(entry, ad, screening)) is not None:
                found.append(Match(ad_id, screening.ad_key, None, entry.id, *hit))
        named = {m[0].lower() for m in self.names.finditer(ad.text)} if self.names else set()
        named_alerts = {a for n in named for a in self.by_name[n]}
        ages = {s.value for s in screening.spans if s.kind == AGE}
        for alert_id, children in self.children.items():
            near = alert_id in named_alerts or any(
                a in age_window(c) for c in children for a in ages)
            if near and (m := score_alert(children, ad_id, ad, screening, cfg)) is not None:
                found.append(m)
        return found


def match_items(store: Store, new: Iterable[NewAd], cfg: MatchConfig) -> list[Match]:
    """Matches of newly stored ads against every active alert and watchlist entry."""
    if not anything_to_match(store):
        return []
    alerts, entries = active_child_alerts(store), list_entries(store)
    if not alerts and not entries:
        return []
    index = BatchIndex(alerts, entries)
    return [m for n in new for m in index.match(n.id, n.ad, n.screening, cfg)]


class MatchHook(StoredBatchHook):
    """The scan hook: match newly stored ads, store the matches, notify the new ones."""

    name = "alert_match"

    def __init__(self, config: MatchConfig | None = None, notifier: Any = None) -> None:
        self.config = config or MatchConfig()
        self.notifier = notifier

    def write(self, store: Store, new: list[NewAd], prepared: list[Any]) -> None:
        found = save_matches(store, match_items(store, new, self.config), via="scan")
        if found and self.notifier is not None:
            self.notifier.notify_matches(store, found)


def match_alert(store: Store, alert_id: int, cfg: MatchConfig | None = None
                ) -> list[StoredMatch]:
    """Match one alert against every stored ad (indexed candidates); returns new matches."""
    cfg = cfg or MatchConfig()
    alert = get_alert(store, alert_id)
    if alert is None or not alert.is_child_abduction:
        return []
    children = profiles(alert)
    ids: set[int] = set()
    for child in children:
        if child.first_name:
            ids |= candidates.with_phrase(store, child.first_name)
            ids |= candidates.with_span(store, NAME, [child.first_name])
        ids |= candidates.with_span(store, AGE, list(age_window(child)))
    found = [m for stored in candidates.load_ads(store, ids)
             if (m := score_alert(children, stored.id, stored.ad, stored.screening, cfg))]
    return save_matches(store, found, via="retro")


def match_entry(store: Store, entry: WatchEntry) -> list[StoredMatch]:
    """Match one watchlist entry against every stored ad; returns new matches."""
    if entry.kind in EXACT_KINDS:
        ids = candidates.with_span(store, entry.kind, [entry.value])
    elif entry.kind == "pdq":
        ids = candidates.with_pdq(store, entry.value, PDQ_DISTANCE)
    elif entry.kind == "keyword":
        ids = candidates.with_phrase(store, entry.value)
    elif entry.kind == "name":
        ids = candidates.with_phrase(store, entry.value) | candidates.with_span(
            store, NAME, [entry.value.split()[0]])
    else:
        sets = [candidates.with_span(store, DESCRIPTOR, _stored_values(k, v))
                for k, v in entry.attrs.items() if k not in ("height_cm", "weight_kg")]
        ids = set.intersection(*sets) if sets else candidates.with_span(
            store, DESCRIPTOR, _near_numbers(entry.attrs))
    found = [Match(s.id, s.ad.key, None, entry.id, *hit) for s in candidates.load_ads(store, ids)
             if (hit := verify_entry(entry, s.ad, s.screening)) is not None]
    return save_matches(store, found, via="retro")


def _stored_values(key: str, wanted: Any) -> list[object]:
    """Span values that can satisfy a categorical descriptor (an ethnicity's whole group)."""
    if key != "ethnicity":
        return [wanted]
    vocab = load_vocabulary()
    members = [e["value"] for table in ("ethnicity", "ethnicity_cued")
               for e in vocab[table].values() if e["group"] == wanted]
    return [wanted, *members]


def _near_numbers(attrs: dict[str, Any]) -> list[object]:
    """Stored values within the tolerance of a numeric-only descriptor set's first item."""
    key, wanted = next(iter(attrs.items()))
    if key == "height_cm":
        return list(range(int(wanted) - 5, int(wanted) + 6))
    tenths = range(int((float(wanted) - 5) * 10), int((float(wanted) + 5) * 10) + 1)
    return [round(t / 10, 1) for t in tenths] + list(range(int(wanted) - 5, int(wanted) + 6))
