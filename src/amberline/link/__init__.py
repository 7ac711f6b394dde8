"""Link ads into networks: shared identifiers, image hashes, near-duplicate text, templates.

Entry point: `link_records(records, config) -> LinkResult` for a full build, or a `Linker`
that ads are `add`ed to batch by batch (incremental; same partition as a rebuild).
"""

from amberline.model import LinkRecord

from .edges import CutKey, Edge
from .keys import keys_from_spans, normalise_key, record_from_screening
from .linker import BatchReport, Linker, link_records
from .record import LinkConfig
from .result import LinkResult, Network
from .templates import Template

__all__ = [
    "BatchReport",
    "CutKey",
    "Edge",
    "LinkConfig",
    "LinkRecord",
    "LinkResult",
    "Linker",
    "Network",
    "Template",
    "keys_from_spans",
    "link_records",
    "normalise_key",
    "record_from_screening",
]
