"""What a process computes once per machine from rule data, kept on disk for the next one.

Why: start-up is mostly the same work in every process: compiling the pattern databases,
reading the gazetteers and word lists out of their packages, deriving the core's Unicode
tables. Its results depend only on their inputs (the data, the code that derives them, the
library versions), so a process hashes those inputs (`fingerprint`) and reads the result
back from `core.cache_dir()` when a previous process with the same inputs left it there.

Everything here treats a cache file as hostile: another user, a crash mid-write or a full disk
may have left anything under that name. A file is read only if it is a regular file (a FIFO
does not block, a symbolic link is not followed) of sane size, owned by this user and not
writable by anyone else, whose payload matches the checksum written with it; then the
caller's `decode` must accept it (it raises ValueError on anything malformed: it builds from
plain arrays and strings, never from pickles). Anything wrong is logged, and the result is
computed again and the file replaced. Writes are atomic (a reader never sees half a file) and
best effort (a read-only home only costs the next process the computation).

Payloads are `pack`ed sections: byte strings, `ints`/`floats` arrays and `strings` lists,
which decode without running anything. `hyperscan_database` is the one place a Hyperscan
database is compiled, through this cache (Hyperscan serialises its databases and checks its
own checksum and the CPU they were compiled for when one is loaded).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from amberline import core

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BYTES = 64 * 1024 * 1024
FORMAT = 2  # of `strings` (in the file names: a file of another format is not looked at)
_DIGEST = 32  # sha256 of the payload, after the magic line


def fingerprint(*parts: bytes | str | Path) -> str:
    """A hex digest of everything a cached result depends on (a Path counts by its content);
    the interpreter's version is always part of it."""
    digest = hashlib.sha256(sys.version.encode() + b"\0")
    for part in parts:
        if isinstance(part, Path):
            part = part.read_bytes()
        elif isinstance(part, str):
            part = part.encode("utf-8", "surrogatepass")
        digest.update(len(part).to_bytes(8, "little") + part)
    return digest.hexdigest()


def stamp(path: Path) -> str:
    """A large data file of an installed package as a `fingerprint` part, without reading
    it: its path, size and modification time (a new release installs a new file)."""
    try:
        info = path.stat()
    except OSError:
        return f"{path}: missing"
    return f"{path}: {info.st_size} bytes, modified {info.st_mtime_ns}"


def cached(kind: str, key: str, compute: Callable[[], T], encode: Callable[[T], bytes],
           decode: Callable[[bytes], T]) -> T:
    """`decode` of the cache file of `kind` (a few words, e.g. "unicode tables") and `key`
    (a `fingerprint`), else `compute()`, left there `encode`d for the next process."""
    path = core.cache_dir() / f"{kind.replace(' ', '-')}-{key[:40]}-{FORMAT}.bin"
    magic = f"amberline {kind} 1\n".encode()
    blob = read(path, magic)
    if blob is not None:
        try:
            return decode(blob)
        except (ValueError, UnicodeDecodeError) as exc:
            _discard(path, str(exc))
    value = compute()
    write(path, magic, encode(value))
    return value


def read(path: Path, magic: bytes) -> bytes | None:
    """The payload of the cache file at `path`, or None if there is none usable (see the
    module docstring; the payload itself is for the caller to validate)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)  # a FIFO left there must not block, a link is not followed
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _discard(path, str(exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _discard(path, "it is not a regular file")
        if hasattr(os, "geteuid") and (info.st_uid != os.geteuid()
                                       or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            return _discard(path, "another user owns it or may write it")
        if info.st_size > MAX_BYTES:
            return _discard(path, "it is too large")
        with os.fdopen(os.dup(fd), "rb") as handle:
            blob = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return _discard(path, str(exc))
    finally:
        os.close(fd)
    head = len(magic) + _DIGEST
    if len(blob) > MAX_BYTES or len(blob) < head or not blob.startswith(magic):
        return _discard(path, "it is not a cache file of this kind")
    payload = blob[head:]
    if hashlib.sha256(payload).digest() != blob[len(magic) : head]:
        return _discard(path, "its checksum does not match")
    return payload


def _discard(path: Path, why: str) -> None:
    log.warning("ignoring the cache file %s (%s); computing it again", path, why)
    return None


def write(path: Path, magic: bytes, payload: bytes) -> None:
    """Leave `payload` at `path` for the next process, atomically and best effort."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cache-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(magic + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.info("could not cache %s in %s: %s", path.name, path.parent, exc)


# --- payloads: sections of plain arrays and strings -------------------------------------------

def pack(parts: Iterable[bytes]) -> bytes:
    """Sections, each preceded by its length."""
    return b"".join(len(part).to_bytes(8, "little") + part for part in parts)


def unpack(payload: bytes, count: int) -> list[bytes]:
    """The `count` sections of `pack`; ValueError unless the payload is exactly that."""
    parts, at = [], 0
    while at < len(payload):
        if at + 8 > len(payload):
            raise ValueError("section header runs past the end")
        size = int.from_bytes(payload[at : at + 8], "little")
        if at + 8 + size > len(payload):
            raise ValueError("section runs past the end")
        parts.append(payload[at + 8 : at + 8 + size])
        at += 8 + size
    if len(parts) != count:
        raise ValueError(f"{len(parts)} sections, expected {count}")
    return parts


def ints(values: Sequence[int] | np.ndarray, dtype: str = "<i8") -> bytes:
    return np.asarray(values, dtype=dtype).tobytes()


def unints(blob: bytes, dtype: str = "<i8") -> np.ndarray:
    """An `ints` array back; ValueError if the size does not fit the type."""
    if len(blob) % np.dtype(dtype).itemsize:
        raise ValueError("array of the wrong size")
    return np.frombuffer(blob, dtype=dtype)


def floats(values: Sequence[float | None]) -> bytes:
    """Floats, None as NaN."""
    return np.asarray([np.nan if v is None else v for v in values], dtype="<f8").tobytes()


def unfloats(blob: bytes) -> list[float | None]:
    return [None if v != v else v for v in unints(blob, "<f8").tolist()]


def strings(values: Sequence[str]) -> bytes:
    """A list of strings (any characters, lone surrogates included) as one section: joined
    by NUL when none holds one (it splits back fastest), else with their lengths."""
    if not any("\0" in v for v in values):
        return pack([b"\0", ints([len(values)]),
                     "\0".join(values).encode("utf-8", "surrogatepass")])
    return pack([b"\1", ints(list(map(len, values)), "<u4"),
                 "".join(values).encode("utf-32-le", "surrogatepass")])


def unstrings(blob: bytes) -> list[str]:
    how, head, text_b = unpack(blob, 3)
    if how == b"\0":
        (count,) = unints(head).tolist() or [-1]
        values = text_b.decode("utf-8", "surrogatepass").split("\0") if count else []
        if len(values) != count:
            raise ValueError("string count does not match")
        return values
    if how != b"\1" or len(text_b) % 4:
        raise ValueError("not a list of strings")
    lens = unints(head, "<u4").tolist()
    text = text_b.decode("utf-32-le", "surrogatepass")  # raises on a value past U+10FFFF
    if sum(lens) != len(text):
        raise ValueError("string lengths do not add up")
    cuts = [0, *accumulate(lens)]
    return [text[a:b] for a, b in pairwise(cuts)]


# --- Hyperscan ---------------------------------------------------------------------------------

def hyperscan_database(expressions: Sequence[bytes], flags: Sequence[int],
                       ids: Sequence[int] | None = None) -> Any:
    """A block-mode Hyperscan database of `expressions` (ids 0.. unless given), compiled once
    per machine. Hyperscan's compile errors (`hyperscan.HyperscanError`) are raised as from
    `Database.compile`. Scan it with a `hyperscan.Scratch` of its own."""
    import hyperscan

    ids = list(range(len(expressions))) if ids is None else list(ids)
    mode = hyperscan.HS_MODE_BLOCK
    key = fingerprint(hyperscan.__version__, _cpu(), ints([mode, len(expressions)]),
                      ints(flags), ints(ids), *expressions)

    def compute() -> Any:
        db = hyperscan.Database(mode=mode)
        db.compile(expressions=list(expressions), ids=ids, elements=len(expressions),
                   flags=list(flags))
        return db

    def decode(blob: bytes) -> Any:
        try:
            return hyperscan.loadb(blob, mode)
        except hyperscan.HyperscanError as exc:  # corrupt, or compiled for another CPU
            raise ValueError(f"Hyperscan refused it: {exc!r}") from exc

    return cached("hyperscan", key, compute, hyperscan.dumpb, decode)


@cache
def _cpu() -> str:
    """The machine and its instruction-set features, which a compiled Hyperscan database is
    tuned to (a home directory may be shared by machines of different CPUs)."""
    machine = os.uname().machine if hasattr(os, "uname") else sys.platform
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        flags = ""
    return f"{machine} {flags.strip()}"
