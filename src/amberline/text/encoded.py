"""The bytes a batch's scanners read, made once per batch and shared.

Why: a batch is screened as one joined text, and a dozen Hyperscan databases (each extractor's
prefilter, the indicator matcher) scan it as bytes: ASCII with "?" for anything else (one byte
per character, so offsets need no conversion) or UTF-8 (whose byte offsets are converted to
character offsets with the start of every character). Encoding a text, and finding where its
characters start, once per scanner repeated the same work for every scanner; here each is done
once per text and reused while the next scanner asks about the same object.

The caches hold the last text (and the last two UTF-8 buffers) by identity, so they keep at
most a few batches' bytes alive; the screener drops them when a batch's scans are done
(`core.forget_batch`). Entries are swapped in whole, so threads may share them: a
thread that finds another batch's entry just encodes again.
"""

from __future__ import annotations

import numpy as np

from amberline import core

_ENCODED: dict[str, tuple[str, bytes]] = {}
_CHAR_STARTS: list[tuple[bytes, np.ndarray]] = []


def _forget() -> None:
    _ENCODED.clear()
    _CHAR_STARTS.clear()


core.keeps_last(_forget)


def encoded(text: str, encoding: str) -> bytes:
    """`text` as bytes: "ascii" (one byte per character, "?" for the rest), "utf-8" or
    "utf-32-le" (the compiled core's form; both pass lone surrogates through)."""
    last = _ENCODED.get(encoding)
    if last is not None and last[0] is text:
        return last[1]
    if encoding == "ascii":
        data = text.encode("ascii") if text.isascii() else _ascii_replaced(text)
    elif encoding in ("utf-8", "utf-32-le"):
        data = text.encode(encoding, "surrogatepass")
    else:
        raise ValueError(f"unsupported encoding {encoding!r}")
    _ENCODED[encoding] = (text, data)
    return data


def _ascii_replaced(text: str) -> bytes:
    """`text.encode("ascii", "replace")` (one "?" per character past ASCII) for a text that
    is not all ASCII: by the core from its UTF-32 buffer of the text (the one its stages
    read, usually made already), when it is built. Why: the codec's error handler goes
    character by character, and a batch's joined text nearly always holds some non-ASCII
    character, so it ran over every character of every batch."""
    module = core.load()
    narrow = getattr(module, "ascii_of_utf32", None) if module is not None else None
    if narrow is None:
        return text.encode("ascii", "replace")
    return narrow(core.batch_buffer([text])[0])


def char_starts(data: bytes) -> np.ndarray:
    """The byte offset at which each character of UTF-8 `data` starts (ascending)."""
    for seen, starts in tuple(_CHAR_STARTS):
        if seen is data:
            return starts
    arr = np.frombuffer(data, dtype=np.uint8)
    starts = np.flatnonzero((arr & 0xC0) != 0x80)
    _CHAR_STARTS[:] = [(data, starts), *_CHAR_STARTS[:1]]
    return starts
