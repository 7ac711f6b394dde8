"""Every built-in extractor finds the values of the clinical examples it ships with.

One shared check for all extractors (as python-threatexchange does for signal types), so a new
extractor is tested the moment it is added to `BUILTIN_EXTRACTORS` with its `examples()`.
"""

from __future__ import annotations

import pytest

from amberline.extract import BUILTIN_EXTRACTORS, build_extractors

EXTRACTORS = {type(e): e for e in build_extractors("US")}


@pytest.mark.parametrize("cls", BUILTIN_EXTRACTORS, ids=lambda c: c.__name__)
def test_every_extractor_ships_examples(cls: type) -> None:
    assert cls.examples(), f"{cls.__name__} has no examples()"


@pytest.mark.parametrize(
    ("cls", "example"),
    [(cls, ex) for cls in BUILTIN_EXTRACTORS for ex in cls.examples()],
    ids=lambda v: v.__name__ if isinstance(v, type) else v.text[:40],
)
def test_extractor_finds_its_examples(cls: type, example) -> None:
    spans = EXTRACTORS[cls].extract(example.text)
    assert tuple(s.value for s in spans) == example.values
    for span in spans:
        assert span.kind == cls.kind
        assert 0 <= span.start < span.end <= len(example.text)
