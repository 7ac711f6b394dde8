"""The folder a distributed scan works in: its plan, its Parquet partitions, what is done.

Why a folder and not scheduler state: a scan of an archive runs for hours; the scheduler, the
workers or the driver may die. Everything a finished step produced is a file here, written
atomically, so `--resume` redoes only what has no file yet:

    plan.json                 the inputs (with sizes and times), options and splits
    ingested/<split>.json     the partitions an ingest task wrote for one split
    parts/<part>.ads.parquet  ingested ads of one partition (deleted once screened)
    parts/<part>.bad.parquet  records of that partition that could not become ads
    screened/<part>.parquet   screened ads with their linking inputs
    stored/<part>.json        the partition is in the database (its counts)

Workers write the first four, the driver the last; workers and driver must see the same folder
(a shared file system on a cluster).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from amberline.ingest.reader import detect_format
from amberline.ingest.records import ReadOptions

PLAN = "plan.json"
SUBDIRS = ("ingested", "parts", "screened", "stored")


@dataclass(frozen=True, slots=True)
class Split:
    """One unit of ingest work: a whole input, or some row groups of a Parquet file."""

    index: int
    path: str
    row_groups: tuple[int, ...] | None = None


def part_id(split: int, number: int) -> str:
    """Partition ids sort in input order: split, then partition within the split."""
    return f"{split:06d}-{number:05d}"


def plan_splits(paths: list[Path], options: ReadOptions, partition_size: int) -> list[Split]:
    """Cut the inputs into ingest splits. Parquet files split by row groups (about
    `partition_size` rows per split); other inputs are one split each (their readers stream)."""
    from amberline.ingest.parquet_reader import read_row_counts

    splits: list[Split] = []
    for path in paths:
        fmt = options.default_format or detect_format(path)
        if fmt != "parquet":
            splits.append(Split(len(splits), str(path)))
            continue
        counts = read_row_counts(path)
        if counts is None:  # unreadable: one split, whose reader reports why
            splits.append(Split(len(splits), str(path)))
            continue
        group: list[int] = []
        rows = 0
        for number, count in enumerate(counts):
            group.append(number)
            rows += count
            if rows >= partition_size:
                splits.append(Split(len(splits), str(path), tuple(group)))
                group, rows = [], 0
        if group or not splits or splits[-1].path != str(path):
            splits.append(Split(len(splits), str(path), tuple(group)))
    return splits


def _stat(path: Path) -> list[Any]:
    if path.is_dir():
        files = sorted(f for f in path.rglob("*") if f.is_file())
        return [str(path), len(files), sum(f.stat().st_size for f in files),
                max((f.stat().st_mtime_ns for f in files), default=0)]
    stat = path.stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


def fingerprint(paths: list[Path], options: ReadOptions, settings: dict[str, Any]) -> str:
    """What must be unchanged for a resumed scan to be the same scan."""
    opts = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
    data = {"inputs": [_stat(p.resolve()) for p in paths], "options": opts, **settings}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def temp_beside(path: Path) -> Path:
    """A temporary name next to `path`, unique to this writer: two tasks of one partition may
    run at once (a task left running by a crashed driver, and its resubmission on resume)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def write_json(path: Path, value: Any) -> None:
    tmp = temp_beside(path)
    tmp.write_text(json.dumps(value), encoding="utf-8")
    os.replace(tmp, path)


class WorkDir:
    """Paths and markers of one scan's work folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def ads_path(self, part: str) -> Path:
        return self.root / "parts" / f"{part}.ads.parquet"

    def bad_path(self, part: str) -> Path:
        return self.root / "parts" / f"{part}.bad.parquet"

    def failed_path(self, part: str) -> Path:
        """Ads of the partition that could not be screened, as bad records (written beside
        the screened output, before it, so a resumed run finds both or neither)."""
        return self.root / "screened" / f"{part}.failed.parquet"

    def screened_path(self, part: str) -> Path:
        return self.root / "screened" / f"{part}.parquet"

    def ingested_path(self, split: int) -> Path:
        return self.root / "ingested" / f"{split:06d}.json"

    def ingested(self, split: int) -> list[dict[str, Any]] | None:
        """The partitions ingest wrote for `split`, or None if it has not finished."""
        path = self.ingested_path(split)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def stored(self, part: str) -> dict[str, int] | None:
        path = self.root / "stored" / f"{part}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def mark_stored(self, part: str, counts: dict[str, int]) -> None:
        write_json(self.root / "stored" / f"{part}.json", counts)

    def prepare(self, fp: str, splits: list[Split], resume: bool) -> bool:
        """Set the folder up for a scan; returns True when it continues an earlier one.

        Without `resume`, or when the earlier plan was for other inputs or settings, the
        folder's own subfolders are emptied first (nothing else in it is touched).
        """
        plan_file = self.root / PLAN
        if resume and plan_file.exists():
            plan = json.loads(plan_file.read_text(encoding="utf-8"))
            if plan.get("fingerprint") == fp:
                return True
            raise ValueError(
                f"{self.root} holds a scan of other inputs or settings; run without --resume "
                "to start afresh, or give another --work-dir"
            )
        self.clear()
        for sub in SUBDIRS:
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        write_json(plan_file, {"fingerprint": fp, "splits": [asdict(s) for s in splits]})
        return False

    def clear(self) -> None:
        """Remove what a scan put here (the plan and the four subfolders), nothing else."""
        for sub in SUBDIRS:
            shutil.rmtree(self.root / sub, ignore_errors=True)
        (self.root / PLAN).unlink(missing_ok=True)
        if self.root.exists() and not any(self.root.iterdir()):
            self.root.rmdir()
