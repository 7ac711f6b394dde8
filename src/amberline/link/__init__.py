"""Link ads into networks: shared identifiers, image hashes, near-duplicate text, templates.

Entry point: `link_records(records, config) -> LinkResult` for a full build, or a `Linker`
that ads are `add`ed to batch by batch (incremental; same partition as a rebuild).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amberline.model import LinkRecord

    from .edges import CutKey, Edge
    from .keys import keys_from_spans, normalise_key, record_from_screening
    from .linker import BatchReport, Linker, link_records
    from .record import LinkConfig
    from .result import LinkResult, Network
    from .templates import Template

# Each name's module, imported when the name is first asked for (PEP 562). Why: a scan imports
# `link.hook`, `link.keys` and alert matching's `link.pdq_words`, and a package that imported
# the linker up front made every scan load scipy and numba, which only linking uses.
_HOMES = {
    "BatchReport": ".linker", "CutKey": ".edges", "Edge": ".edges", "LinkConfig": ".record",
    "LinkRecord": "amberline.model", "LinkResult": ".result", "Linker": ".linker",
    "Network": ".result", "Template": ".templates", "keys_from_spans": ".keys",
    "link_records": ".linker", "normalise_key": ".keys", "record_from_screening": ".keys",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


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
