"""Number runs: spelled-out digits, letters standing for digits, emoji between digits.

Why: after the character stage, ads still hide phone numbers from digit-matching filters by
writing "seven zero three 83one5007", "7O3-555-l234" or "703🔥555🔥0142". The same words and
letters are everywhere in ordinary prose ("the one and only", "two girls", "I", "o"), so they
are rewritten only inside a *number run*: tokens that produce digits, joined by at most four
separator characters on one line. One precompiled regex finds the runs (C speed); Python then
looks at each run's few tokens and applies these rules:

- a run is rewritten only if it holds at least 3 number words, or at least 7 digit-producing
  tokens in all (phone length), so "150 one hour" and "2 one 3" stay as written;
- "oh", "o", "O", "l", "I" and "|" are weak: they count only with digits or number words on
  both sides in the run, so a run never starts or ends with one; except that "O", "o", "l"
  or "I" glued to a digit or number word at the very start or end of a run that already
  qualifies by the rule above is read as a digit ("31seven 55five 01fiveO", "5l3 five55 013l");
  the run's edges guarantee that no letter or digit touches it;
- a lone number word at either end of a run, not glued to digits ("Two 703 555 0142"), is not
  part of the number;
- separators between spelled words are dropped ("seven zero three" -> "703"); other ordinary
  separators (space, dot, dash, parentheses, slash, comma) are kept; a separator holding any
  other symbol or emoji becomes one space.
"""

from __future__ import annotations

from amberline.disk_cache import regex
from amberline.text import native
from amberline.text.edits import Edit, new_edit

SPELLED_DIGITS = "spelled_digits"
LETTER_DIGITS = "letter_digits"
EMOJI_SEPARATOR = "emoji_separator"

_VALUES = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "o": "0", "O": "0", "l": "1", "I": "1", "|": "1",
}  # fmt: skip
_NW = r"(?i:zero|one|two|three|four|five|six|seven|eight|nine|oh)"
_WEAK = r"[oOlI|]"
_ITEM = rf"(?:[0-9]|{_NW}|{_WEAK})"
_LETTER = r"[^\W\d_]"
_SEPC = r"(?:[^\w\n\f]|_)"
# A chunk: glued items, not glued to other letters (a digit may touch letters: "call7035550142").
_CHUNK = rf"(?:(?<!{_LETTER})|(?=[0-9])){_ITEM}+(?:(?!{_LETTER})|(?<=[0-9]))"
RUN = regex(rf"{_CHUNK}(?:{_SEPC}{{1,4}}{_CHUNK})*")
# Tokens of a run; a "d" token is a whole digit group (each digit counts as one item).
_TOKEN = regex(rf"(?P<d>[0-9]+)|(?P<w>{_NW})|(?P<l>{_WEAK})|(?P<s>(?:[^\w\n\f|]|_)+)")
_PLAIN = r"\s.\-()/+,:'\"$%\u2010-\u2015\u2212€£¥₹"  # ordinary separators but "|"
_NON_ORDINARY = regex(rf"[^\w|{_PLAIN}]|_")
_ALL_PLAIN = regex(rf"[0-9{_PLAIN}]+")  # a run with nothing to rewrite


def _value(word: str) -> str:
    """The digit a number word stands for, whatever its case."""
    value = _VALUES.get(word)  # the spelling as written is usually a key already
    return value if value is not None else _VALUES[word.translate(native.fold_table()).lower()]


# A run of digits and separators only, the common obfuscation ("703🔥555🔥0142"): the only
# possible edits are its non-ordinary separators, so it skips the general parse.
_DIGIT_RUN = regex(r"[0-9]+(?:(?:[^\w\n\f|]|_)+[0-9]+)*")
# A run of number words (not "oh", which is weak) and separators only: "six one nine ...".
_STRONG_WORD = r"(?i:zero|one|two|three|four|five|six|seven|eight|nine)"
_WORD_RUN = regex(rf"{_STRONG_WORD}(?:(?:[^\w\n\f|]|_)+{_STRONG_WORD})*")
_STRONG_WORDS = regex(_STRONG_WORD)
# A whole separator between two digits of a digit run that holds a non-ordinary character.
_ODD_SEPARATOR = regex(rf"[^0-9]*(?:[^\w|{_PLAIN}]|_)[^0-9]*")


_Item = tuple[str, int, int, str]


def _parse(run: str) -> tuple[list[list[_Item]], list[tuple[int, int, str]], list[bool],
                              list[int]]:
    """Split a run into chunks of items (kind, start, end, text) and the separators between
    them (seps[i] follows chunks[i]); offsets into `run`. Also, per chunk, whether it holds a
    digit, and the indexes of the chunks holding a digit or a number word ("strong")."""
    raw = [(m.lastgroup or "s", m.start(), m.end(), m.group()) for m in _TOKEN.finditer(run)]
    last = len(raw) - 1
    toks: list[tuple[str, int, int, str]] = []
    for i, (kind, s, e, tok) in enumerate(raw):
        if tok == "|":
            before = raw[i - 1][3] if i > 0 else None
            after = raw[i + 1][3] if i < last else None
            if before == "|" or after == "|":
                kind = "s"  # "||" is a separator
            else:
                glued_before = before is not None and raw[i - 1][0] != "s"
                glued_after = after is not None and raw[i + 1][0] != "s"
                if glued_before == glued_after:
                    kind = "s"  # a pipe between two digits or two spaces is a separator
        elif kind == "w" and tok.lower() == "oh":
            kind = "o"
        if kind == "s" and toks and toks[-1][0] == "s":
            s = toks.pop()[1]
            tok = run[s:e]
        toks.append((kind, s, e, tok))
    while toks and toks[-1][0] == "s":
        toks.pop()
    first = 0
    while first < len(toks) and toks[first][0] == "s":
        first += 1
    chunk: list[_Item] = []
    chunks: list[list[_Item]] = [chunk]
    seps: list[tuple[int, int, str]] = []
    has_digit = [False]
    strong: list[int] = []
    for i in range(first, len(toks)):
        tok = toks[i]
        kind = tok[0]
        if kind == "s":
            seps.append(tok[1:])
            chunk = []
            chunks.append(chunk)
            has_digit.append(False)
            continue
        chunk.append(tok)
        if kind == "d" or kind == "w":
            index = len(chunks) - 1
            if not strong or strong[-1] != index:
                strong.append(index)
            if kind == "d":
                has_digit[-1] = True
    return chunks, seps, has_digit, strong


def _trim(
    chunks: list[list[_Item]], has_digit: list[bool], strong: list[int]
) -> tuple[int, int] | None:
    """Indexes of the first and last chunk that belong to the number, or None."""
    if not strong:
        return None
    lo, hi = strong[0], strong[-1]
    # A lone word at an end of the run, not glued to digits, is prose ("Two 703 555 0142").
    if lo < hi and _lone_word(chunks[lo]) and has_digit[lo + 1]:
        lo = next(i for i in strong if i > lo)
    if lo < hi and _lone_word(chunks[hi]) and has_digit[hi - 1]:
        hi = max(i for i in strong if i < hi)
    return lo, hi


def _lone_word(chunk: list[tuple[str, int, int, str]]) -> bool:
    return len(chunk) == 1 and chunk[0][0] == "w"


def _edge_letter(item: tuple[str, int, int, str], neighbour: int, run: str, side: int) -> bool:
    """Is `item` a look-alike letter (O o l I, not "|" or "oh") glued to its neighbour item
    (which ends, or starts, at `neighbour`) at the very edge of the run?"""
    kind, s, e, tok = item
    if kind != "l" or tok == "|":
        return False
    if side > 0:
        return s == neighbour and e == len(run)
    return e == neighbour and s == 0


def _digit_run_edits(start: int, run: str) -> list[Edit]:
    if sum(map(run.count, "0123456789")) < 7:
        return []  # fewer than seven digits
    # In a digit run every stretch between digits is one separator: those holding a character
    # that is not an ordinary separator become one space each.
    return [new_edit((start + m.start(), start + m.end(), " ", EMOJI_SEPARATOR))
            for m in _ODD_SEPARATOR.finditer(run)]


def _word_run_edits(start: int, run: str) -> list[Edit]:
    """Each number word becomes its digit and each gap between two words is dropped: the
    edits come out in order (word, gap, word, ...), as the words are separated."""
    words = list(_STRONG_WORDS.finditer(run))
    if len(words) < 3:
        return []
    edits: list[Edit] = []
    add = edits.append
    prev = -1
    for m in words:
        s, e = m.span()
        if prev >= 0:
            add(new_edit((start + prev, start + s, "", SPELLED_DIGITS)))
        add(new_edit((start + s, start + e, _value(m.group()), SPELLED_DIGITS)))
        prev = e
    return edits


def _run_edits(text: str, start: int, run: str) -> list[Edit]:
    """The edits one run needs (offsets into `text`; the run starts at `start`)."""
    if _DIGIT_RUN.fullmatch(run):
        return _digit_run_edits(start, run)
    if _WORD_RUN.fullmatch(run):
        return _word_run_edits(start, run)
    return _parsed_run_edits(start, run)


def _parsed_run_edits(start: int, run: str) -> list[Edit]:
    """`_run_edits` for any run, through the full parse (the digit and word runs' shortcuts
    must give the same edits: a test holds them to it)."""
    chunks, seps, has_digit, strong_chunks = _parse(run)
    span = _trim(chunks, has_digit, strong_chunks)
    if span is None:
        return []
    lo, hi = span
    whole = [it for c in chunks[lo : hi + 1] for it in c]
    # The first and last strong item; words ("oh" too) and digit-producing items between them.
    first = last = -1
    n_words = n_items = 0
    for i, item in enumerate(whole):
        if item[0] == "d" or item[0] == "w":
            if first < 0:
                first = i
            last = i
    items = whole[first : last + 1]  # weak letters at the ends do not count...
    for kind, _, _, tok in items:
        if kind == "d":
            n_items += len(tok)
        else:
            n_items += 1
            if kind == "w" or kind == "o":
                n_words += 1
    if n_words < 3 and n_items < 7:
        return []
    # ...unless the run already qualifies and one ends it glued to a digit or number word
    # ("01fiveO", "013l"), with no letter or digit beyond it.
    if last == len(whole) - 2 and _edge_letter(whole[-1], whole[last][2], run, +1):
        items.append(whole[-1])
    if first == 1 and _edge_letter(whole[0], whole[1][1], run, -1):
        items.insert(0, whole[0])
    edits: list[Edit] = []
    for kind, s, e, tok in items:
        if kind != "d":
            value = _VALUES[tok] if kind == "l" else _value(tok)
            edits.append(new_edit((start + s, start + e, value,
                                   LETTER_DIGITS if kind == "l" else SPELLED_DIGITS)))
    for i in range(lo, hi):
        s, e, sep = seps[i]
        if not has_digit[i] and not has_digit[i + 1]:
            edits.append(new_edit((start + s, start + e, "", SPELLED_DIGITS)))
        elif _NON_ORDINARY.search(sep):
            edits.append(new_edit((start + s, start + e, " ", EMOJI_SEPARATOR)))
    edits.sort()
    return edits


# A character no run can hold: a newline or form feed, or a word character that is neither an
# ASCII digit nor a letter of a number word or look-alike ("a", "c", "L", "é", ...; İ ı ſ match
# letters of number words case-insensitively, so they are not barriers). Runs found between two
# barriers are exactly the runs a scan of the whole text finds there.
_BARRIER = regex(r"[\n\f]|[^\W0-9_efghinorstuvwxzEFGHINORSTUVWXZl\u0130\u0131\u017f]")


def _last_barrier(text: str, pos: int) -> int:
    """Index of the last barrier before `pos`, or -1."""
    hi, step = pos, 32
    while hi > 0:
        lo = max(0, hi - step)
        m = _BARRIER.search(text[lo:hi][::-1])
        if m is not None:
            return hi - 1 - m.start()
        hi, step = lo, step * 2
    return -1


def _windows(text: str, seeds: list[int]) -> list[tuple[int, int]]:
    """Merged stretches between barriers around the seeds: (start, end), where `end` includes
    the barrier after the stretch, so lookaheads at the edge see what a whole-text scan sees."""
    n = len(text)
    out: list[tuple[int, int]] = []
    for seed in sorted(set(seeds)):
        inside = max(seed - 1, 0)  # the seed's last character lies in the run or just after it
        if out and inside < out[-1][1]:
            continue
        m = _BARRIER.search(text, inside)
        b = n if m is None else min(n, m.start() + 1)
        a = _last_barrier(text, inside) + 1
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def number_edits(text: str, seeds: list[int] | None = None) -> list[Edit]:
    """Edits that rewrite every obfuscated number run in `text`, sorted by start.

    With `seeds` (character offsets from the gate: each lies in or just after a run worth
    reading), only the stretches between barriers around them are searched; the result is the
    same as a whole-text scan whenever the seeds include one for every run that gets rewritten.
    """
    windows = [(0, len(text))] if seeds is None else _windows(text, seeds)
    edits: list[Edit] = []
    for a, b in windows:
        for m in RUN.finditer(text, a, b):
            run = m.group()
            if len(run) >= 3 and not _ALL_PLAIN.fullmatch(run):
                edits.extend(_run_edits(text, m.start(), run))
    return edits
