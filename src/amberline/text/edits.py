"""Replacement lists and the offset maps they induce.

Why: every normalisation step is expressed as a sorted list of `Edit`s (replace original
[start, end) by `repl`) instead of rewriting strings in place. Applying a list builds the new
text from slices (C speed) and, in the same pass, the exact map from each new character back to
the stretch of the old text it came from. Two steps compose by composing their maps, so a phone
number found in the final text can always be shown in the ad exactly as it was written.
"""

from __future__ import annotations

from typing import NamedTuple


class Edit(NamedTuple):
    """Replace text[start:end] by `repl` (may be empty); `kind` names the obfuscation undone."""

    start: int
    end: int
    repl: str
    kind: str


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[int], list[int]]:
    """Apply sorted, non-overlapping, non-empty-source edits.

    Returns (new_text, starts, ends): new character i came from text[starts[i]:ends[i]].
    `starts` has one extra trailing entry, len(text), as the public offset map requires.
    A one-for-one replacement maps character to character; any other replacement maps each of
    its characters to the whole replaced stretch.
    """
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for start, end, repl, _kind in edits:
        if pos < start:
            parts.append(text[pos:start])
            starts.extend(range(pos, start))
            ends.extend(range(pos + 1, start + 1))
        if repl:
            parts.append(repl)
            if len(repl) == end - start:
                starts.extend(range(start, end))
                ends.extend(range(start + 1, end + 1))
            else:
                starts.extend([start] * len(repl))
                ends.extend([end] * len(repl))
        pos = end
    if pos < len(text):
        parts.append(text[pos:])
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    starts.append(len(text))
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
