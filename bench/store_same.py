"""Whether two SQLite stores hold the same data: every table, row by row, in id order.

    python bench/store_same.py A.db B.db

Why: a change to how a scan builds its rows (the document, identifier and key rows, the
parameters it binds) must store exactly what the code before it stored. Scan the same input
into two fresh files, one per tree, and compare them: every table the file holds (the ads with
their documents, identifiers, flag categories, image hashes, link keys and signatures, the
full-text index's own tables, quarantine, scans), each row's values compared as stored
(bytes, text, integers, reals), in rowid order. Only the columns that record when or by whom
something was done differ between two runs and are left out (`VOLATILE`). Prints the first
differences and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

# Columns whose values are the time or the process of a run, not what it stored.
VOLATILE = {
    "scans": {"started_at", "finished_at", "owner"},
    "ads": {"stored_at"},
    "quarantine": {"recorded_at"},
}


def tables(conn: sqlite3.Connection) -> list[str]:
    """Every table in the file (virtual tables' shadow tables included), by name."""
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows in rowid order) of `table`, volatile columns left out."""
    columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
    kept = [c for c in columns if c not in VOLATILE.get(table, ())]
    quoted = ", ".join(f'"{c}"' for c in kept)
    has_rowid = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0] or ""
    order = "" if "WITHOUT ROWID" in has_rowid.upper() else " ORDER BY rowid"
    if "VIRTUAL TABLE" in has_rowid.upper():
        quoted, kept = f"rowid, {quoted}", ["rowid", *kept]
    return kept, conn.execute(f'SELECT {quoted} FROM "{table}"{order}').fetchall()


def differences(a: Path, b: Path, limit: int = 20) -> list[str]:
    """The first `limit` differences between the stores at `a` and `b` (none: the same)."""
    out: list[str] = []
    with sqlite3.connect(f"file:{a}?mode=ro", uri=True) as left, \
            sqlite3.connect(f"file:{b}?mode=ro", uri=True) as right:
        names = tables(left)
        if names != tables(right):
            return [f"tables differ: {sorted(set(names) ^ set(tables(right)))}"]
        for table in names:
            columns, mine = rows(left, table)
            other_columns, theirs = rows(right, table)
            if columns != other_columns:
                out.append(f"{table}: columns {columns} != {other_columns}")
                continue
            for count, (x, y) in enumerate(zip(mine, theirs, strict=False), 1):
                if x != y:
                    diff = [c for c, u, v in zip(columns, x, y, strict=True) if u != v]
                    out.append(f"{table}: row {count} differs in {diff}")
                    if len(out) >= limit:
                        return out
            if len(mine) != len(theirs):
                out.append(f"{table}: {len(mine)} rows in A, {len(theirs)} in B")
            print(f"{table}: {min(len(mine), len(theirs))} rows compared", file=sys.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    args = parser.parse_args()
    found = differences(args.a, args.b)
    for line in found:
        print(line)
    print("same" if not found else f"{len(found)} differences (at most 20 shown)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
