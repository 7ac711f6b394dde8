"""Generated pattern images for the synthetic corpus. Never pictures of people.

Why: image reuse (the same photo in ads with different phones) is one of the strongest links
between ads, and the image-hash linker needs something to hash. Stripes, checkerboards,
gradients and rings drawn from a seed give distinct, reproducible pictures with real structure
(so PDQ has gradients to work on) and no content at all.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
from PIL import Image

KINDS = ("stripes", "checker", "gradient", "rings", "blocks")
SIZES = (64, 96, 128)


def pattern_array(seed: int) -> np.ndarray:
    """An RGB uint8 array, 64..128 px square, whose look is fixed by `seed`."""
    rng = np.random.default_rng(seed)
    size = int(rng.choice(SIZES))
    kind = KINDS[int(rng.integers(len(KINDS)))]
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    freq = rng.uniform(2.0, 9.0)
    if kind == "stripes":
        t = (np.sin(2 * np.pi * freq * u) + 1) / 2
    elif kind == "checker":
        v = -x * np.sin(angle) + y * np.cos(angle)
        t = ((np.floor(u * freq) + np.floor(v * freq)) % 2).astype(np.float32)
    elif kind == "gradient":
        t = (u - u.min()) / max(float(np.ptp(u)), 1e-6)
        t = (t + 0.3 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * y)).clip(0, 1)
    elif kind == "rings":
        cx, cy = rng.uniform(0.2, 0.8, 2)
        r = np.hypot(x - cx, y - cy)
        t = (np.sin(2 * np.pi * freq * r) + 1) / 2
    else:
        cells = int(rng.integers(3, 9))
        grid = rng.random((cells, cells))
        idx = (np.arange(size) * cells // size)
        t = grid[np.ix_(idx, idx)].astype(np.float32)
    c0 = rng.integers(0, 256, 3).astype(np.float32)
    c1 = rng.integers(0, 256, 3).astype(np.float32)
    rgb = c0 + t[..., None] * (c1 - c0)
    return rgb.clip(0, 255).astype(np.uint8)


@lru_cache(maxsize=4096)
def pattern_png(seed: int, resize: int = 0) -> bytes:
    """PNG bytes of the pattern for `seed`; `resize` > 0 gives a re-saved, resized copy (the
    same picture to a perceptual hash, different bytes)."""
    img = Image.fromarray(pattern_array(seed), "RGB")
    if resize:
        img = img.resize((resize, resize), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def pattern_b64(seed: int, resize: int = 0) -> str:
    """The pattern as base64 PNG, the form ad records carry."""
    return base64.b64encode(pattern_png(seed, resize)).decode("ascii")
