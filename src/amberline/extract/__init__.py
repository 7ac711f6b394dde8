"""Extraction: one module per entity kind, one explicit list of built-ins.

`build_extractors` is the only place that knows which extractors exist; the pipeline runs them
in this order over a batch of normalised text.
"""

from __future__ import annotations

from amberline.extract import _native
from amberline.extract.ages import AgeExtractor
from amberline.extract.base import BATCH_SEPARATOR, Example, Extractor
from amberline.extract.descriptors import DescriptorExtractor
from amberline.extract.emails import EmailExtractor
from amberline.extract.handles import HandleExtractor
from amberline.extract.names import NameExtractor
from amberline.extract.phones import PhoneExtractor
from amberline.extract.places import PlaceExtractor
from amberline.extract.prices import PriceExtractor
from amberline.extract.urls import UrlExtractor

BUILTIN_EXTRACTORS: tuple[type[Extractor], ...] = (
    PhoneExtractor,
    EmailExtractor,
    UrlExtractor,
    HandleExtractor,
    AgeExtractor,
    PriceExtractor,
    PlaceExtractor,
    NameExtractor,
    DescriptorExtractor,
)


def build_extractors(default_region: str = "US") -> list[Extractor]:
    """Instantiate every built-in extractor once (they compile their patterns here)."""
    extractors: list[Extractor] = []
    for cls in BUILTIN_EXTRACTORS:
        if cls is PhoneExtractor:
            extractors.append(PhoneExtractor(default_region=default_region))
        else:
            extractors.append(cls())
    # The profile extractors' core readers run as one over each batch, the names' cue
    # triggers found in the same pass (see `_native.Together`).
    _native.run_together(*(next(e for e in extractors if isinstance(e, cls))
                           for cls in (AgeExtractor, PriceExtractor, DescriptorExtractor,
                                       NameExtractor)))
    return extractors


__all__ = ["BATCH_SEPARATOR", "BUILTIN_EXTRACTORS", "Example", "Extractor", "build_extractors"]
