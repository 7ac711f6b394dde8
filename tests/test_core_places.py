"""The core's place extractor against the Python reference: identical output.

The specification is `PlaceExtractor` without the core (`extract/places.py`): its candidates
(every gazetteer name in the lower-cased text, by Hyperscan or Aho-Corasick, on word
boundaries, not after "/" or "@" and not inside a web address, by start, longest first) and
its decisions per candidate (`_resolve`: a region or country after it, a cue before or after,
capitals, common words and given names; `_mark_lists`: runs of listed towns). The core must
give the same candidates and the same place spans (offsets, value, confidence, attrs) for
every text: the synthetic corpus, every clinical fixture of the place, link and extractor
tests, fuzzed text (gazetteer names among cues, regions, countries, list separators, accents,
combining marks, a dotted capital I, a capital sigma, web addresses, lone surrogates) and huge
inputs. A panic inside the core fails the batch with `CoreFailure`.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amberline import core
from amberline.extract import BATCH_SEPARATOR
from amberline.extract import places as places_mod
from amberline.extract.places import PlaceExtractor, load_gazetteer
from core_support import built_core, fixture_strings, hostile_texts, needs_active_core

_core = built_core()
pytestmark = needs_active_core()


@pytest.fixture(scope="module")
def extractor() -> PlaceExtractor:
    return PlaceExtractor()


def _both(extractor: PlaceExtractor, text: str) -> tuple[tuple, tuple]:
    """(core, reference): the candidates, the spans the core resolves, and the spans Python
    resolves from the core's candidates; the reference's in the same places."""
    scanner, places = extractor._scanner, extractor._core_places
    assert scanner is not None and places is not None

    def spans() -> list[tuple]:
        return [(s.kind, s.start, s.end, s.value, s.extractor, s.confidence, s.attrs)
                for s in extractor.extract(text)]

    try:
        core_spans = spans()
        extractor._core_places = None  # the core's candidates, resolved in Python
        got = (extractor._candidates(text), core_spans, spans())
        extractor._scanner = None
        want = (extractor._candidates(text), spans(), spans())
    finally:
        extractor._scanner, extractor._core_places = scanner, places
    return got, want


def _assert_same(extractor: PlaceExtractor, texts: list[str]) -> None:
    for text in texts:
        got, want = _both(extractor, text)
        assert got == want, text
    got, want = _both(extractor, BATCH_SEPARATOR.join(texts))  # as the pipeline calls it
    assert got == want


def test_synthetic_corpus_raw_and_normalised(extractor) -> None:
    from amberline.synth.generate import generate
    from amberline.text.normalise import reference_batch

    ads, _truth = generate(1500, 13)
    texts = [f"{ad['title']}\n{ad['body']}" for ad in ads]
    assert len(extractor.extract(BATCH_SEPARATOR.join(texts))) > 500  # the corpus has places
    for chunk in (texts[:500], texts[500:1000], texts[1000:]):
        _assert_same(extractor, chunk)
    _assert_same(extractor, [n.text for n in reference_batch(texts[:500])])


def test_clinical_fixtures(extractor) -> None:
    texts = fixture_strings("test_places_listed.py", "test_link_place.py",
                            "test_extractor_examples.py", "test_extract_lookup_tables.py",
                            "test_extract_profile.py", "test_names_positions.py")
    assert len(texts) > 100
    _assert_same(extractor, texts)
    _assert_same(extractor, [t.upper() for t in texts])
    _assert_same(extractor, [t.title() for t in texts])


_KEYS = sorted(load_gazetteer().keys)
_PLACES = ["Dallas, TX", "St. Louis", "ST LOUIS", "San José", "MONTRÉAL", "İzmir", "i\u0307zmir",
           "'s-Hertogenbosch", "‘Ajlun", "Halle (Saale)", "Salem, Oregon", "Paris, France",
           "New York", "Washington", "Mobile", "#Mobile", "Charlotte", "Austin area",
           "dallas.example.com", "http://dallas.backpage.com/x", "@houston", "/reno", "renoo",
           "xreno", "Reno_", "reno2", "Σparta", "ΣALEM", "vegas", "NYC"]
_GLUE = [" ", ", ", "\n", "\f", "\n\f\n", ".", "/", "@", "#", "-", "_", "in ", "near the ",
         "İ", "ı", "\u212a", "ſ", "Σ", "ς", "\u0307", "\u0301", "\ud800", "🌹", "\u00a0", "2"]
# What `_resolve` and `_mark_lists` read around a name: cues before it (any case, "the"
# between, a ":" or "," after), regions and countries after it, "area"/"metro", list gaps.
_CONTEXT = ["In ", "IN THE ", "visiting: ", "near, ", "nr ", "Downtown ", "the ", "THE ", "tHe ",
            "ín ", "ınto ", "\u0130N ", " area", " AREA", " Metro", " areas", " metro.",
            ", TX", " TX", ",TX", " tx", " ON", " DC.", " Oregon", ", oregon", " OREGON",
            " Ontario", " new york", " British Columbia", " District of Columbia", ", France",
            " FRANCE", " United Kingdom", " united states", " Georgia", " Wyoming",
            " and ", " or ", " AND ", " & ", " • ", " – ", " / ", "; ", " (", ") ", "*", "~",
            "|", "+", " and", " ,and  ", "\t", "\u3000", "\u2028", "\x1c", "Mobile", "Reading",
            "Normal", "Austin", "Madison", "Charlotte", "Paris", "London", "Toronto", "Mumbai"]
_PIECES = st.one_of(
    st.sampled_from(_KEYS), st.sampled_from(_KEYS).map(str.title),
    st.sampled_from(_KEYS).map(str.upper), st.sampled_from(_PLACES), st.sampled_from(_GLUE),
    st.sampled_from(_CONTEXT), st.text(max_size=4),
)


@settings(max_examples=600, deadline=None)
@given(texts=st.lists(hostile_texts(_PIECES), min_size=1, max_size=5))
def test_fuzzed_texts(extractor, texts: list[str]) -> None:
    _assert_same(extractor, texts)


def test_huge_inputs(extractor) -> None:
    rng = random.Random(5)
    pieces = _KEYS[:3000] + _PLACES + _GLUE
    texts = [" ".join(rng.choice(pieces) for _ in range(30_000)) for _ in range(2)]
    texts.append(" " * 100_000 + "Dallas, TX")
    texts.append("San " * 30_000)
    texts.append("a" * 100_000)
    _assert_same(extractor, texts)


def test_names_at_every_offset_of_a_block(extractor) -> None:
    # The core finds words by bit masks over blocks of 64 characters and hashes them eight
    # characters at a time: names (ASCII or not, one word or several, long first words,
    # starting with a quotation mark) at each offset, after words, spaces, a link and
    # characters that are not ASCII, and running to the end of the text.
    names = ["Dallas, TX", "New York", "'s-Hertogenbosch", "‘Ajlun", "MONTRÉAL", "San José",
             "İzmir", "\u212aansas City", "Rancho Cucamonga", "Washington"]
    fillers = [" ", "ab ", "é", "🌹", "x/", "abcdefghij", "\u212a"]
    texts = [(filler * 140)[:offset] + name + tail
             for offset in range(0, 140) for filler in fillers for name in names
             for tail in ("", " area")]
    _assert_same(extractor, texts)


def test_a_gazetteer_spelling_a_sigma_stays_with_python() -> None:
    assert places_mod._build_scanner(["dallas", "σπάρτη"]) is None
    with pytest.raises(ValueError, match="sigma"):
        _core.PlaceScanner(bytes(0x110000), [], ["σπάρτη"])


def test_long_lists_of_towns(extractor) -> None:
    rng = random.Random(8)
    g = load_gazetteer()
    towns = [k.title() for k in _KEYS if k.isalpha() and g.places[k][0].country == "US"
             and k not in g.common_words and k not in g.given_names][::20]
    gaps = [", ", " / ", " • ", ",", " and ", " or ", " - ", " & ", "  ,  ", ". ", " AND ", ";"]
    texts = []
    for _ in range(60):
        run = rng.randint(5, 14)
        texts.append(rng.choice(["in ", "Serving ", ""]) + "".join(
            rng.choice(towns) + rng.choice(gaps) for _ in range(run)) + rng.choice(towns))
    assert any(places_mod.is_listed(s) for s in extractor.extract(BATCH_SEPARATOR.join(texts)))
    _assert_same(extractor, texts)


def test_the_core_checks_the_rules_it_is_given(monkeypatch) -> None:
    g = load_gazetteer()
    made = places_mod._core_rules(g)
    assert made is not None
    rules, places = made
    with pytest.raises(ValueError, match="two characters"):
        places_mod._build_scanner(g.keys, rules=rules._replace(codes=[*rules.codes[:-1], "NSW"]))
    with pytest.raises(ValueError, match="no such place"):
        places_mod._build_scanner(g.keys, rules=rules._replace(
            default=[len(places), *rules.default[1:]]))
    with pytest.raises(ValueError, match="number of keys"):
        places_mod._build_scanner(g.keys, rules=rules._replace(key_flags=rules.key_flags[1:]))
    monkeypatch.setattr(places_mod, "_region_codes", lambda regions: ["TX", "NSW"])
    assert places_mod._core_rules(g) is None  # declined: `_resolve` decides in Python


@pytest.mark.parametrize("stage", ["extract", "candidates"])
def test_a_panic_fails_the_batch(stage: str) -> None:
    trap = "\U0010fffd"
    extractor = PlaceExtractor()
    rules, _places = places_mod._core_rules(extractor._g)
    extractor._scanner = places_mod._build_scanner(extractor._g.keys, panic_on=trap, rules=rules)
    if stage == "candidates":
        extractor._core_places = None
    with pytest.raises(core.CoreFailure, match=r"place scan failed on text 0.*test panic"):
        extractor.extract(f"Dallas {trap}")


def test_pickles_for_workers(extractor) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(extractor))
    assert again._scanner is not None
    assert [s.value for s in again.extract("visiting Dallas, TX")] == ["Dallas, TX"]


def test_core_rules_round_trip_through_the_disk_cache() -> None:
    """What a warm start-up reads back is what `_core_rules` computes: the keys, the rules
    and every place by index (made from the cached rows as they are looked up)."""
    g = load_gazetteer()
    rules, places = places_mod._core_rules(g)
    made = places_mod._CoreScanner(g.keys, rules, places, None)
    keys, back, rows = places_mod._decode_core(places_mod._encode_core(made))
    assert keys == g.keys and back == rules
    assert len(rows) == len(places) and list(rows) == places
    declined = places_mod._CoreScanner(["dallas"], None, [], None)
    assert places_mod._decode_core(places_mod._encode_core(declined)) == (["dallas"], None, [])


def _crafted_core(rules, places, keys) -> bytes:
    return places_mod._encode_core(places_mod._CoreScanner(keys, rules, places, None))


def test_malformed_core_rules_raise_value_error() -> None:
    g = load_gazetteer()
    rules, places = places_mod._core_rules(g)
    good = _crafted_core(rules, places, g.keys)
    from amberline import disk_cache

    parts = disk_cache.unpack(good, 23)
    for bad in (
        _crafted_core(rules._replace(default=[len(places), *rules.default[1:]]), places, g.keys),
        _crafted_core(rules._replace(regional=[(0, -1), *rules.regional[1:]]), places, g.keys),
        _crafted_core(rules._replace(place_flags=rules.place_flags[1:]), places, g.keys),
        disk_cache.pack([*parts[:14], disk_cache.ints([10**6]), *parts[15:]]),  # no such row
        disk_cache.pack([*parts[:15], disk_cache.strings(["Dallas"]), *parts[16:]]),  # column
        disk_cache.pack([*parts[:5], parts[5][:-8], *parts[6:]]),  # half a pair
        disk_cache.pack([b"\2", *parts[1:]]),
        disk_cache.pack(parts[:22]),
        good[:-3],
    ):
        with pytest.raises(ValueError):
            places_mod._decode_core(bad)


def test_warm_start_up_reads_no_gazetteer_and_refuses_crafted_rules(tmp_path, monkeypatch,
                                                                      caplog) -> None:
    """A second extractor reads the core's keys, rules and places from the disk cache (no
    gazetteer is loaded) and finds the same places; a checksum-valid file whose rules the core
    refuses is computed again."""
    import logging

    from amberline import disk_cache

    monkeypatch.setenv("AMBERLINE_CACHE_DIR", str(tmp_path))
    text = "Visiting Dallas, TX then Paris, France; Charlotte area. " * 3
    load_gazetteer.cache_clear()
    try:
        cold = PlaceExtractor()
        want = cold.extract(text)
        assert [s.value for s in want][:3] == ["Dallas, TX", "Paris, FR", "Charlotte, NC"]
        (path,) = tmp_path.glob("place-core-rules-*")
        load_gazetteer.cache_clear()
        warm = PlaceExtractor()
        assert load_gazetteer.cache_info().currsize == 0
        assert warm.extract(text) == want and warm._core_places is not None
        rules, places = places_mod._core_rules(load_gazetteer())
        bad = _crafted_core(rules._replace(key_flags=rules.key_flags[1:]), places,
                            load_gazetteer().keys)
        path.write_bytes(disk_cache.framed(b"amberline place core rules 1\n", bad))
        with caplog.at_level(logging.WARNING, logger="amberline.disk_cache"):
            again = PlaceExtractor()
        assert "the core refused the rules" in caplog.text
        assert again.extract(text) == want
    finally:
        load_gazetteer.cache_clear()
