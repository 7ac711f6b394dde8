"""Every spelling an extractor's pattern matches maps to an entry of its lookup table.

Extractors that build a regex from a word list and then look the matched text up in a table
(descriptors, handle platforms and sites, price currencies and code words, age number words)
crash or mislabel when the pattern accepts a spelling the table is not keyed by ("puertorican"
matched by a pattern built from "puerto rican"). Property: for generated variants of every
table term (case, the gaps inside a term removed, doubled or made hyphens, letters the
case-insensitive regex folds to ASCII, accents), extraction never raises, every value found is a
value of the table, and a variant that only changes case and gaps finds the term's value.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amberline.extract import ages, handles, prices
from amberline.extract.ages import AgeExtractor
from amberline.extract.descriptors import DescriptorExtractor, load_vocabulary
from amberline.extract.handles import HandleExtractor
from amberline.extract.prices import PriceExtractor
from amberline.model import Span

# Letters Python's case-insensitive `re` matches to an ASCII letter besides its two cases.
_ODD_CASE = {"s": "\u017f", "i": "\u0131", "k": "\u212a"}
_ACUTE = "\u0301"


@dataclass(frozen=True)
class Table:
    """One lookup table: its terms with their values, the contexts that make the pattern read
    a term, and how to get the looked-up value out of a span."""

    name: str
    extract: Callable[[str], list[Span]]
    terms: dict[str, Any]
    contexts: tuple[str, ...]
    value: Callable[[Span], Any]
    unread: frozenset[str] = frozenset()  # terms these contexts do not make a match of


def _descriptor_tables() -> list[Table]:
    vocab, ext = load_vocabulary(), DescriptorExtractor()
    contexts = {
        "hair_cued": ("{} hair", "hair: {}"), "eyes_cued": ("{} eyes", "eyes: {}"),
        "ethnicity_cued": ("{} girl", "ethnicity: {}"), "ethnicity": ("a {} girl",),
    }
    out = []
    for table, entries in vocab.items():
        terms = {t: (v["value"] if isinstance(v, dict) else v) for t, v in entries.items()}
        out.append(Table(f"descriptors.{table}", ext.extract, terms,
                         contexts.get(table, ("so {} and sweet",)),
                         lambda s: s.value))
    return out


def _tables() -> list[Table]:
    h, p, a = HandleExtractor(), PriceExtractor(), AgeExtractor()
    platform = lambda s: s.attrs["platform"]  # noqa: E731
    words = {**ages._TEENS, **ages._TENS}
    return [
        *_descriptor_tables(),
        Table("handles.platform_words", h.extract, dict(handles._PLATFORM_WORDS),
              ("{}: mia_22",), platform, frozenset({"whatsapp"})),  # WhatsApp takes a phone
        Table("handles.sites", h.extract, dict(handles._SITES), ("see {}/mia_22",), platform,
              frozenset({"wa.me"})),
        Table("prices.words", p.extract, dict(prices._WORDS), ("150 {} for 1 hour",),
              lambda s: s.attrs["currency"]),
        Table("prices.code_words", p.extract,
              {k: v for k, v in prices._CODE_WORDS.items() if k.isascii()},
              ("150 {} for 1 hour",), lambda s: s.attrs.get("code_word")),
        Table("ages.number_words", a.extract, words, ("age {}",), lambda s: s.value,
              frozenset(w for w, n in words.items() if not ages.MIN_AGE <= n <= ages.MAX_AGE)),
    ]


TABLES = _tables()


@st.composite
def variant(draw: st.DrawFn, term: str) -> tuple[str, bool]:
    """A spelling of `term`, and whether it only changes case and the gaps inside the term
    (the spellings the patterns are meant to find)."""
    plain = True
    out: list[str] = []
    for ch in term:
        if ch in " -":
            gap = draw(st.sampled_from(["", " ", "-", "  ", " -"]))
            plain = plain and len(gap) < 2  # the patterns allow one gap character
            out.append(gap)
            continue
        if ch.lower() in _ODD_CASE and draw(st.integers(0, 4)) == 0:
            plain = False  # the regex folds it, the Hyperscan prefilter need not
            out.append(_ODD_CASE[ch.lower()])
            continue
        if ch.isalpha() and draw(st.integers(0, 19)) == 0:
            plain = False
            accented = unicodedata.normalize("NFC", ch + _ACUTE)
            out.append(draw(st.sampled_from([accented, ch + _ACUTE])))
            continue
        out.append(ch.upper() if draw(st.booleans()) else ch)
    return "".join(out), plain


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_matched_spelling_maps_to_a_table_entry(table: Table, data: st.DataObject) -> None:
    term = data.draw(st.sampled_from(sorted(table.terms)), label="term")
    spelling, plain = data.draw(variant(term), label="spelling")
    values = set(table.terms.values())
    for context in table.contexts:
        text = context.format(spelling)
        found = [table.value(s) for s in table.extract(text)]  # must not raise
        assert all(v in values for v in found if v is not None), (text, found)
        if plain and term not in table.unread:
            assert table.terms[term] in found, (text, found)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_term_joined_up_maps_to_its_entry(table: Table) -> None:
    """The deterministic core of the property: each term with its gaps removed (the spelling
    that crashed screening: "puertorican", "darkbrown hair")."""
    for term, value in table.terms.items():
        if term in table.unread:
            continue
        for context in table.contexts:
            text = context.format(term.replace(" ", "").replace("-", ""))
            assert value in [table.value(s) for s in table.extract(text)], text
