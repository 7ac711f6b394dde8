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

The checksum guards against corruption (a torn or partial write after a crash, a full disk,
a bad sector), not against someone who can write the user's cache directory (such a person
could write a matching checksum of any kind): so it is XXH3-128, which any change of the
payload alters with the odds of a 128-bit digest, at a small fraction of SHA-256's cost over
the megabytes every start-up reads back.

Nothing else removes old files: every change of the data, the code or the core's sources
keys new ones. `prune`, run after each new file is written, removes what no process has used
for `MAX_AGE` and then, beyond `max_total()` bytes, the least recently used, never one used
within `RECENT` (a running process may still want it). A read refreshes the file's
modification time when it is older than `RECENT`, so that time is when a process last used it.

Payloads are `pack`ed sections: byte strings, `ints`/`floats` arrays and `strings` lists,
which decode without running anything. `hyperscan_database` is the one place a Hyperscan
database is compiled, through this cache (Hyperscan serialises its databases and checks its
own checksum and the CPU they were compiled for when one is loaded). `regex` is
`re.compile` for the extractors' patterns, from the code earlier processes compiled
(`RegexCache`: one file for all of them).
"""

from __future__ import annotations

import _sre
import atexit
import contextlib
import hashlib
import json
import logging
import os
import re
import re._compiler  # the code `re` compiles a pattern to (see `RegexCache`)
import re._parser
import stat
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from xxhash import xxh3_128_digest

from amberline import core

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BYTES = 64 * 1024 * 1024
# Of the files (their checksum, `strings`): in the file names, so a file of another format is
# not looked at (and is pruned like any file no process uses).
FORMAT = 3
_DIGEST = 16  # XXH3-128 of the payload, after the magic line
MAX_AGE = 30 * 24 * 3600  # seconds unused after which `prune` removes a file
RECENT = 3600  # seconds: a file used within them is never pruned; reads refresh older times
MAX_TOTAL_MB = 256  # `max_total()` unless AMBERLINE_CACHE_MAX_MB says otherwise
_TEMP = ".cache-"  # the prefix of a file being written (`write`)


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
    path, magic = _location(kind, key)
    blob = read(path, magic)
    if blob is not None:
        try:
            return decode(blob)
        except (ValueError, UnicodeDecodeError) as exc:
            _discard(path, str(exc))
    value = compute()
    write(path, magic, encode(value))
    return value


def _location(kind: str, key: str) -> tuple[Path, bytes]:
    """The cache file of `kind` and `key`, and the magic line it starts with."""
    path = core.cache_dir() / f"{kind.replace(' ', '-')}-{key[:40]}-{FORMAT}.bin"
    return path, f"amberline {kind} 1\n".encode()


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
    head = len(magic) + _DIGEST
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _discard(path, "it is not a regular file")
        if hasattr(os, "geteuid") and (info.st_uid != os.geteuid()
                                       or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            return _discard(path, "another user owns it or may write it")
        if info.st_size > MAX_BYTES:
            return _discard(path, "it is too large")
        if info.st_size < head:
            return _discard(path, "it is not a cache file of this kind")
        header, payload = _read_parts(fd, head, info.st_size)
        if time.time() - info.st_mtime > RECENT:
            _mark_used(fd, path)
    except OSError as exc:
        return _discard(path, str(exc))
    finally:
        os.close(fd)
    if len(payload) != info.st_size - head or not header.startswith(magic):
        return _discard(path, "it is not a cache file of this kind")
    if xxh3_128_digest(payload) != header[len(magic) :]:
        return _discard(path, "its checksum does not match")
    return payload


def _read_parts(fd: int, head: int, size: int) -> tuple[bytes, bytes]:
    """The first `head` bytes of the file and the rest (about `size` bytes in all), read into
    two objects so that the payload, megabytes for some tables, is not copied out of a
    whole-file buffer. Short only if the file changed since it was measured (then the
    caller's length check refuses it)."""
    if not hasattr(os, "pread"):  # (Windows)
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(head), handle.read(size + 1 - head)
    header = os.pread(fd, head, 0)
    parts, at, left = [], head, size - head
    while left > 0:
        part = os.pread(fd, left, at)
        if not part:
            break
        parts.append(part)
        at, left = at + len(part), left - len(part)
    payload = parts[0] if len(parts) == 1 else b"".join(parts)
    return header, payload


def _mark_used(fd: int, path: Path) -> None:
    """Set the file's modification time to now: `prune` reads it as the time of last use."""
    with contextlib.suppress(OSError):  # (one it may not touch is still read: it ages sooner)
        os.utime(fd if os.utime in os.supports_fd else path)


def _discard(path: Path, why: str) -> None:
    log.warning("ignoring the cache file %s (%s); computing it again", path, why)
    return None


def framed(magic: bytes, payload: bytes) -> bytes:
    """A cache file's bytes: its magic line, the payload's checksum, the payload."""
    return magic + xxh3_128_digest(payload) + payload


def write(path: Path, magic: bytes, payload: bytes) -> None:
    """Leave `payload` at `path` for the next process, atomically and best effort."""
    import tempfile  # (only a process that computed something writes)

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TEMP, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(framed(magic, payload))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.info("could not cache %s in %s: %s", path.name, path.parent, exc)
        return
    prune(path.parent)


# --- eviction ------------------------------------------------------------------------------------

_EVICT = ".evict-"  # the prefix of a file `prune` is removing


def max_total() -> int:
    """The bytes of cache files `prune` keeps at most (beyond files used within `RECENT`):
    `AMBERLINE_CACHE_MAX_MB` megabytes, else `MAX_TOTAL_MB`."""
    text = os.environ.get("AMBERLINE_CACHE_MAX_MB", "").strip()
    try:
        megabytes = float(text) if text else MAX_TOTAL_MB
        if not megabytes >= 0:
            raise ValueError("negative")
    except ValueError:
        log.warning("AMBERLINE_CACHE_MAX_MB=%r is not a number of megabytes; using %d", text,
                    MAX_TOTAL_MB)
        megabytes = MAX_TOTAL_MB
    return int(megabytes * 1024 * 1024)


def prune(directory: Path | None = None) -> int:
    """Remove the cache files of `directory` (`core.cache_dir()`) that no process is likely to
    use again, and the files crashed writers left; how many were removed.

    A file is kept while it was used (written, or read: see `read`) within `MAX_AGE`, and then
    as long as the files used more recently do not fill `max_total()`; a file used within
    `RECENT` is always kept, as another process may be about to read it. Any user of the
    directory may run this at any time: a file is first renamed out of the way (atomic: a
    reader opens the whole file or none, and one that has it open keeps reading it), then
    put back if it was replaced or used since it was looked at, else deleted. Only this
    user's regular files of the cache's names are touched."""
    directory = core.cache_dir() if directory is None else directory
    now, removed = time.time(), 0
    try:
        entries, leftovers = _listing(directory)
    except OSError as exc:
        log.info("could not prune the cache %s: %s", directory, exc)
        return removed
    for name, info in leftovers:  # a write or removal takes far less than RECENT
        if now - info.st_mtime > RECENT and _unlink(directory / name):
            removed += 1
    total, limit = sum(size for _, size, _, _ in entries), max_total()
    for used, size, info, name in entries:
        if now - used < RECENT or (now - used <= MAX_AGE and total <= limit):
            break
        if _evict(directory / name, info):
            removed += 1
            total -= size
    if removed:
        log.info("removed %d unused files from the cache %s", removed, directory)
    return removed


def usage(directory: Path | None = None) -> tuple[int, int]:
    """How many cache files `directory` (`core.cache_dir()`) holds, and their bytes (none
    when it cannot be listed)."""
    try:
        entries, _ = _listing(core.cache_dir() if directory is None else directory)
    except OSError:
        return 0, 0
    return len(entries), sum(size for _, size, _, _ in entries)


def _listing(directory: Path) -> tuple[list[tuple[float, int, os.stat_result, str]],
                                       list[tuple[str, os.stat_result]]]:
    """This user's regular files in `directory`: the cache files by time of last use (least
    recent first: time, size, stat, name), and what writers and pruners left aside (name,
    stat). OSError if the directory cannot be listed."""
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    entries, leftovers = [], []
    with os.scandir(directory) as listing:
        for item in listing:
            name = item.name
            leftover = name.startswith((_TEMP, _EVICT))
            if not leftover and (name.startswith(".") or not name.endswith(".bin")):
                continue
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
                continue
            if leftover:
                leftovers.append((name, info))
            else:
                entries.append((info.st_mtime, info.st_size, info, name))
    entries.sort(key=lambda entry: (entry[0], entry[3]))
    return entries, leftovers


def _evict(path: Path, seen: os.stat_result) -> bool:
    """Delete the cache file at `path` unless it changed since `seen` (see `prune`)."""
    hidden = path.with_name(f"{_EVICT}{os.urandom(6).hex()}-{path.name}")
    try:
        os.rename(path, hidden)  # (fails if another process removed or is removing it)
    except OSError:
        return False
    try:
        info = os.lstat(hidden)
        if (info.st_ino, info.st_mtime_ns) != (seen.st_ino, seen.st_mtime_ns):
            os.replace(hidden, path)  # written or used meanwhile: back (any file of that
            return False              # name holds the same value, so nothing newer is lost)
    except OSError:
        pass
    return _unlink(hidden)


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except OSError:  # gone already, or open elsewhere on a system that forbids it
        return False


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


# --- TOML ---------------------------------------------------------------------------------------

def toml(text: str) -> dict[str, Any]:
    """`tomllib.loads(text)` (its TOMLDecodeError is a ValueError), read back as JSON when an
    earlier process parsed the same text: JSON parses in C, and `tomllib` is not even
    imported. A document JSON cannot hold exactly (a date or time) is parsed every time."""
    path, magic = _location("toml", fingerprint("toml", text))
    blob = read(path, magic)
    if blob is not None:
        try:
            doc = json.loads(blob)
            if not isinstance(doc, dict):
                raise ValueError("not a table")
            return doc
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            _discard(path, str(exc))
    import tomllib

    doc = tomllib.loads(text)
    if _plain(doc):
        write(path, magic, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    return doc


def _plain(value: object) -> bool:
    """Whether JSON gives `value` back as it is (tables, arrays, strings, numbers, booleans)."""
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, str | int | float)  # (bool is an int)


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


# --- Python regexes ----------------------------------------------------------------------------

class RegexCache:
    """`re` code compiled by earlier processes: `regex` gives `re.compile`'s pattern without
    parsing and compiling it again (that Python-level work, for the extractors' patterns,
    is a large part of every start-up). One file holds every pattern's code; a process reads
    it at its first `regex` and, if it compiled any pattern the file lacked, writes it back
    at exit (`save`). The code comes from `re`'s own compiler and goes back into `_sre`,
    which checks it (a crafted program is refused, and the pattern is compiled anew); the
    key is the interpreter's version, whose `re` wrote it."""

    KIND = "regex code"
    MAX_PATTERNS = 4096  # beyond this, only what the saving process used is kept

    def __init__(self) -> None:
        self._table: dict[tuple[str, int], _Code] | None = None
        self._path: tuple[Path, bytes] | None = None
        self._used: set[tuple[str, int]] = set()
        self._new = False

    def regex(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        """`re.compile(pattern, flags)` (str patterns; the same pattern object, equal to
        `re.compile`'s)."""
        flags = int(flags)
        if not isinstance(pattern, str) or flags & (re.DEBUG | re.TEMPLATE):
            return re.compile(pattern, flags)
        table = self._load()
        key = (pattern, flags)
        self._used.add(key)
        code = table.get(key)
        if code is not None:
            try:
                return _sre.compile(pattern, code[0], code[1], code[2], code[3], code[4])
            except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
                log.warning("ignoring the cached code of a regex (%s); compiling it", exc)
        code = _compile_code(pattern, flags)
        table[key] = code
        self._new = True
        return _sre.compile(pattern, code[0], code[1], code[2], code[3], code[4])

    def _load(self) -> dict[tuple[str, int], _Code]:
        if self._table is None:
            self._table = {}
            self._path = path, magic = _location(self.KIND, _regex_key())
            blob = read(path, magic)
            if blob is not None:
                try:
                    self._table = decode_regexes(blob)
                except (ValueError, UnicodeDecodeError) as exc:
                    _discard(path, str(exc))
            atexit.register(self.save)
        return self._table

    def save(self) -> None:
        """Write the table back if this process compiled a pattern it lacked."""
        if not self._new or self._table is None or self._path is None:
            return
        table = self._table
        if len(table) > self.MAX_PATTERNS:
            table = {k: v for k, v in table.items() if k in self._used}
        write(*self._path, encode_regexes(table))  # where it was read from
        self._new = False


# (final flags, code, groups, groupindex, indexgroup): the arguments of `_sre.compile`
_Code = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def _compile_code(pattern: str, flags: int) -> _Code:
    """What `re._compiler.compile` hands `_sre.compile` for `pattern`."""
    parsed = re._parser.parse(pattern, flags)
    code = re._compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return (flags | parsed.state.flags, [int(c) for c in code], parsed.state.groups - 1,
            groupindex, tuple(indexgroup))


def encode_regexes(table: dict[tuple[str, int], _Code]) -> bytes:
    keys, codes = list(table), list(table.values())
    names = [(name, i) for c in codes for name, i in c[3].items()]
    return pack([
        strings([p for p, _ in keys]), ints([f for _, f in keys]), ints([c[0] for c in codes]),
        ints([c[2] for c in codes]), ints([len(c[1]) for c in codes]),
        ints([v for c in codes for v in c[1]], "<u4"), ints([len(c[3]) for c in codes]),
        strings([n for n, _ in names]), ints([i for _, i in names]),
    ])


def decode_regexes(payload: bytes) -> dict[tuple[str, int], _Code]:
    """`encode_regexes` back; ValueError for anything malformed (the code itself is checked
    by `_sre.compile` when a pattern is made from it)."""
    (patterns_b, flags_b, final_b, groups_b, lengths_b, code_b, counts_b, names_b,
     indices_b) = unpack(payload, 9)
    patterns, flags = unstrings(patterns_b), unints(flags_b).tolist()
    final, groups = unints(final_b).tolist(), unints(groups_b).tolist()
    lengths, counts = unints(lengths_b).tolist(), unints(counts_b).tolist()
    code, names, indices = unints(code_b, "<u4").tolist(), unstrings(names_b), unints(indices_b)
    n = len(patterns)
    if any(len(column) != n for column in (flags, final, groups, lengths, counts)):
        raise ValueError("regex columns of different lengths")
    if min(lengths + counts + groups, default=0) < 0 or sum(lengths) != len(code):
        raise ValueError("regex code does not add up")
    if sum(counts) != len(names) or len(names) != len(indices):
        raise ValueError("regex group names do not add up")
    indices = indices.tolist()
    table: dict[tuple[str, int], _Code] = {}
    at = seen = 0
    for pattern, flag, fin, group, length, count in zip(patterns, flags, final, groups, lengths,
                                                        counts, strict=True):
        if fin & flag != flag:
            raise ValueError("regex flags dropped")
        groupindex = dict(zip(names[seen : seen + count], indices[seen : seen + count],
                              strict=True))
        indexgroup: list[str | None] = [None] * (group + 1)
        for name, i in groupindex.items():
            if not 0 < i <= group or indexgroup[i] is not None:
                raise ValueError("regex group index out of range")
            indexgroup[i] = name
        table[(pattern, flag)] = (fin, code[at : at + length], group, groupindex,
                                  tuple(indexgroup))
        at, seen = at + length, seen + count
    return table


def _regex_key() -> str:
    return fingerprint("re", str(_sre.MAGIC), str(_sre.CODESIZE), str(_sre.MAXGROUPS))


_REGEXES = RegexCache()
regex = _REGEXES.regex
