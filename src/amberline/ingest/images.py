"""Hash the images an ad carries, and never keep the images themselves.

Ads in this field may carry images of victims; storing them would make the database itself
harmful material. What linking needs is only a fingerprint: an MD5 for exact copies and a PDQ
perceptual hash (Meta's open algorithm, the one hotlines and platforms exchange) for re-encoded,
resized or lightly edited copies. So the reader hashes each image as it passes and drops the
bytes; `Ad.raw` keeps only a count.

An image that cannot be read does not cost the ad: the ad is kept (with
`raw["image_errors"]` counting the failures) and the reader yields one `BadRecord` per failed
image right after it (see `records.RecordMapper.ads`), so the quarantine shows exactly which
image was lost and why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np

from amberline.model import Ad

MAX_IMAGE_BYTES = 32 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000  # well below Pillow's own bomb limit; ad images are small

IMAGES_KEY = "images"


class ImageError(ValueError):
    """An image that cannot be decoded or is too large to decode safely."""


def hash_image(data: bytes) -> dict[str, Any]:
    """PDQ (hex of 256 bits, ThreatExchange bit order), PDQ quality and MD5 of image bytes.

    The PDQ hex is the 256 hash bits read most-significant first, the format used by
    python-threatexchange and the hash-sharing programmes, so hashes compare with theirs.
    """
    import pdqhash  # here: screening text never needs the image libraries' start-up
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"image of {len(data)} bytes is over {MAX_IMAGE_BYTES}")
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageError(f"image of {width}x{height} pixels is too large to decode")
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"cannot decode image: {exc}") from exc
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    pdq = np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()
    return {"pdq": pdq, "quality": int(quality), "md5": hashlib.md5(data).hexdigest()}


def _load(item: Any, index: int, base_dir: Path, root: Path) -> tuple[str, bytes]:
    """Return (reference for humans, image bytes) for one item of a record's `images`."""
    if isinstance(item, dict):
        if "base64" in item:
            ref = f"base64 image #{index + 1}"
            try:
                return ref, base64.b64decode(str(item["base64"]), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ImageError(f"{ref}: invalid base64: {exc}") from exc
        if "path" in item:
            item = item["path"]
        else:
            raise ImageError(f"image #{index + 1}: expected a path or {{'base64': ...}}")
    if not isinstance(item, str) or not item.strip():
        raise ImageError(f"image #{index + 1}: expected a path or {{'base64': ...}}")
    path = (base_dir / item).resolve()
    if not path.is_relative_to(root):
        raise ImageError(f"{item}: image path is outside the input folder {root}")
    if not path.is_file():
        raise ImageError(f"{item}: no such image file")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise ImageError(f"{item}: image file is over {MAX_IMAGE_BYTES} bytes")
    return item, path.read_bytes()


def _is_url(item: Any) -> bool:
    return isinstance(item, str) and item.startswith(("http://", "https://"))


def split_image_field(value: Any) -> list[Any]:
    """A record's `images` as a list: JSON gives a list; CSV a string of `;`-separated paths."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return [value]


def attach_images(
    ad: Ad, base_dir: Path, root: Path, key: str = IMAGES_KEY
) -> list[tuple[str, str]]:
    """Hash `ad.raw[key]` into `ad.image_hashes`, drop the payloads; return the failures.

    Each failure is (reason, excerpt). URLs are not fetched (deployments are offline); they
    are kept in `raw["image_urls"]`.
    """
    items = split_image_field(ad.raw.pop(key, None))
    if not items:
        return []
    failures: list[tuple[str, str]] = []
    urls = [item for item in items if _is_url(item)]
    root = root.resolve()
    for index, item in enumerate(items):
        if _is_url(item):
            continue
        try:
            ref, data = _load(item, index, base_dir, root)
            hashes = hash_image(data)
        except (ImageError, OSError) as exc:
            excerpt = item if isinstance(item, str) else f"image #{index + 1} (inline data)"
            failures.append((f"unreadable image (ad kept): {exc}", excerpt))
            continue
        hashes["ref"] = ref
        ad.image_hashes.append(hashes)
    ad.raw["image_count"] = len(items)
    if urls:
        ad.raw["image_urls"] = urls
    if failures:
        ad.raw["image_errors"] = len(failures)
    return failures
