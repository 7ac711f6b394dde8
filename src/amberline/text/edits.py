"""Replacement lists and the offset maps they induce.

Why: every normalisation step is expressed as a sorted list of `Edit`s (replace original
[start, end) by `repl`) instead of rewriting strings in place. Applying a list builds the new
text from slices (C speed) and, in the same pass, the exact map from each new character back to
the stretch of the old text it came from. Two steps compose by composing their maps, so a phone
number found in the final text can always be shown in the ad exactly as it was written.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple


class Edit(NamedTuple):
    """Replace text[start:end] by `repl` (may be empty); `kind` names the obfuscation undone."""

    start: int
    end: int
    repl: str
    kind: str


# `new_edit((start, end, repl, kind))` is `Edit(start, end, repl, kind)` without the Python-level
# `__new__` a NamedTuple runs (a C call instead of a Python frame, for the edit-heavy loops).
new_edit = partial(tuple.__new__, Edit)


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[int], list[int]]:
    """Apply sorted, non-overlapping, non-empty-source edits.

    Returns (new_text, starts, ends): new character i came from text[starts[i]:ends[i]].
    `starts` has one extra trailing entry, len(text), as the public offset map requires.
    A one-for-one replacement maps character to character; any other replacement maps each of
    its characters to the whole replaced stretch.

    A one-for-one replacement maps exactly like unchanged text (starts[i] = the original
    position, ends[i] = starts[i] + 1), so the maps are written only where a replacement of
    another length breaks that identity stretch: most edits ("💋" -> " ", "O" -> "0") cost
    no map work at all.
    """
    parts: list[str] = []
    add = parts.append
    starts: list[int] = []
    ends: list[int] = []
    pos = 0  # end of the last edit
    mapped = 0  # start of the stretch whose characters map to themselves
    for start, end, repl, _kind in edits:
        if pos < start:
            add(text[pos:start])
        if repl:
            add(repl)
        r = len(repl)
        if r != end - start:
            if mapped < start:  # the identity stretch since the last such edit
                starts += range(mapped, start)
                ends += range(mapped + 1, start + 1)
            if r == 1:
                starts.append(start)
                ends.append(end)
            elif r:
                starts += [start] * r
                ends += [end] * r
            mapped = end
        pos = end
    n = len(text)
    if pos < n:
        add(text[pos:])
    starts += range(mapped, n + 1)
    ends += range(mapped + 1, n + 1)
    return "".join(parts), starts, ends


def compose(
    starts1: list[int], ends1: list[int], starts2: list[int], ends2: list[int], n_original: int
) -> tuple[list[int], list[int]]:
    """Maps of step 1 (original -> text1) and step 2 (text1 -> text2) as text2 -> original."""
    n2 = len(ends2)
    starts = [starts1[starts2[j]] for j in range(n2)]
    starts.append(n_original)
    ends = [ends1[e - 1] for e in ends2]
    return starts, ends
