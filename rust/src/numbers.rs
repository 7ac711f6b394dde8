//! Number runs: spelled-out digits, letters standing for digits, emoji between digits.
//!
//! A port of `amberline/text/numbers.py`, whose docstring gives the rules. The Python module
//! finds runs with one backtracking regex (`RUN`); `Runs` below walks the same pattern in the
//! same order (items tried in the regex's alternation order, the greedy repeat extended before
//! it gives back), so the runs found are the regex's, including its corner cases. Offsets are
//! code point indexes, as Python's.

use crate::edits::{Edit, Repl};
use crate::tables::{Tables, FOLDS};

pub const SPELLED_DIGITS: u8 = 6;
pub const LETTER_DIGITS: u8 = 7;
pub const EMOJI_SEPARATOR: u8 = 8;

/// `_NW`'s alternatives, in the regex's order.
const WORDS: [&[u8]; 11] = [
    b"zero", b"one", b"two", b"three", b"four", b"five", b"six", b"seven", b"eight", b"nine", b"oh",
];
const OH: usize = 10;

/// `CLASS` bits: an `_ITEM` can start with it (a digit, the first letter of a number word in
/// either case, a weak letter: `is_weak`); an ASCII letter; an ASCII digit.
const STARTS: u8 = 1;
const LETTER: u8 = 2;
const DIGIT: u8 = 4;

/// The `CLASS` bits of each ASCII character.
const CLASS: [u8; 128] = {
    let mut table = [0u8; 128];
    let starts = b"0123456789zotfsenZOTFSENlIO|";
    let mut i = 0;
    while i < starts.len() {
        table[starts[i] as usize] |= STARTS;
        i += 1;
    }
    let mut c = 0;
    while c < 128 {
        if (c >= b'a' as usize && c <= b'z' as usize) || (c >= b'A' as usize && c <= b'Z' as usize)
        {
            table[c] |= LETTER;
        }
        if c >= b'0' as usize && c <= b'9' as usize {
            table[c] |= DIGIT;
        }
        c += 1;
    }
    table
};
const SPACE: u32 = b' ' as u32;

#[inline]
fn is_digit(c: u32) -> bool {
    (0x30..=0x39).contains(&c)
}

#[inline]
fn is_ascii_letter(c: u32) -> bool {
    (c | 0x20).wrapping_sub(u32::from(b'a')) < 26
}

#[inline]
fn is_weak(c: u32) -> bool {
    matches!(c, 0x6F | 0x4F | 0x6C | 0x49 | 0x7C) // o O l I |
}

/// A bit-parallel (shift-and) automaton for `no_chunk_until`: one bit per letter of each
/// number word and of each weak letter (folded), one item after another.
struct ItemLetters {
    /// The first letter of each item.
    first: u64,
    /// The last letter of each item.
    last: u64,
    /// By letter from "a": the places that letter fills.
    places: [u64; 26],
}

const ITEM_LETTERS: ItemLetters = {
    let items: [&[u8]; 14] = [
        WORDS[0], WORDS[1], WORDS[2], WORDS[3], WORDS[4], WORDS[5], WORDS[6], WORDS[7], WORDS[8],
        WORDS[9], WORDS[10], b"o", b"l", b"i",
    ];
    let mut out = ItemLetters {
        first: 0,
        last: 0,
        places: [0; 26],
    };
    let mut bit = 0;
    let mut i = 0;
    while i < items.len() {
        let item = items[i];
        let mut k = 0;
        while k < item.len() {
            if k == 0 {
                out.first |= 1 << bit;
            }
            if k == item.len() - 1 {
                out.last |= 1 << bit;
            }
            out.places[(item[k] - b'a') as usize] |= 1 << bit;
            bit += 1;
            k += 1;
        }
        i += 1;
    }
    assert!(bit <= 64);
    out
};

/// `ITEM_LETTERS`' state after two letters (by letter from "a", the first times 26 plus the
/// second), from the start of an item: 0 when no item sequence begins with the two.
const ITEM_PAIRS: [u64; 26 * 26] = {
    let items = &ITEM_LETTERS;
    let mut out = [0u64; 26 * 26];
    let mut a = 0;
    while a < 26 {
        let first = items.first & items.places[a];
        let mut b = 0;
        while b < 26 {
            let again = if first & items.last != 0 {
                items.first
            } else {
                0
            };
            out[a * 26 + b] = ((first << 1) & !items.first | again) & items.places[b];
            b += 1;
        }
        a += 1;
    }
    out
};

/// Each ASCII character folded: its lower case for a letter, else 0.
const ASCII_LETTER: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let lower = (c as u8).to_ascii_lowercase();
        if lower.is_ascii_lowercase() {
            table[c] = lower;
        }
        c += 1;
    }
    table
};

/// `c`'s lower case if it is an ASCII letter, else 0.
#[inline(always)]
fn ascii_letter(c: u32) -> u8 {
    ASCII_LETTER.get(c as usize).copied().unwrap_or(0)
}

/// The words that can start with this (folded) letter, in `WORDS`' order.
#[inline]
fn words_starting(letter: u8) -> &'static [usize] {
    match letter {
        b'z' => &[0],
        b'o' => &[1, 10],
        b't' => &[2, 3],
        b'f' => &[4, 5],
        b's' => &[6, 7],
        b'e' => &[8],
        b'n' => &[9],
        _ => &[],
    }
}

#[inline]
fn word_value(word: usize) -> u32 {
    if word == OH {
        u32::from(b'0')
    } else {
        u32::from(b'0') + word as u32
    }
}

impl Tables {
    /// Does `WORDS[w]` match case-insensitively at `p`?
    fn word_at(&self, t: &[u32], p: usize, w: usize) -> bool {
        let word = WORDS[w];
        p + word.len() <= t.len() && word.iter().zip(&t[p..]).all(|(&b, &c)| self.fold(c) == b)
    }

    /// The first number word (in `_NW`'s order, from `from`) matching at `p`.
    fn first_word(&self, t: &[u32], p: usize, from: usize) -> Option<usize> {
        words_starting(self.fold(*t.get(p)?))
            .iter()
            .copied()
            .find(|&w| w >= from && self.word_at(t, p, w))
    }

    /// `[^\w\n\f|]|_`: a character a separator of a run is made of.
    #[inline]
    fn is_sep(&self, c: u32) -> bool {
        c == u32::from(b'_') || !(self.is_word(c) || c == 0x0A || c == 0x0C || c == 0x7C)
    }

    /// `[^\w\n\f]|_` (the pipe is a separator character of `RUN` too).
    #[inline]
    fn is_run_sep(&self, c: u32) -> bool {
        c == u32::from(b'_') || !(self.is_word(c) || c == 0x0A || c == 0x0C)
    }

    /// `_PLAIN`: ordinary separators but "|".
    #[inline]
    fn is_plain(&self, c: u32) -> bool {
        matches!(
            c,
            0x2E | 0x2D
                | 0x28
                | 0x29
                | 0x2F
                | 0x2B
                | 0x2C
                | 0x3A
                | 0x27
                | 0x22
                | 0x24
                | 0x25
                | 0x2010..=0x2015 | 0x2212 | 0x20AC | 0xA3 | 0xA5 | 0x20B9
        ) || self.flag(c, crate::tables::SPACE)
    }

    /// `[^\w|PLAIN]|_`: a character that is no ordinary separator.
    #[inline]
    fn is_odd(&self, c: u32) -> bool {
        c == u32::from(b'_') || !(self.is_word(c) || c == 0x7C || self.is_plain(c))
    }

    /// One `_ITEM` at `p`, trying alternatives from number `from` on (0 the digit, 1..=11 the
    /// words, 12 the weak letter): (its length, the alternative after it).
    fn item(&self, t: &[u32], p: usize, from: usize) -> Option<(usize, usize)> {
        let c = *t.get(p)?;
        if from == 0 && is_digit(c) {
            return Some((1, 1));
        }
        if let Some(w) = self.first_word(t, p, from.max(1) - 1) {
            return Some((WORDS[w].len(), w + 2)); // word `w` is alternative w + 1
        }
        if from <= 12 && is_weak(c) {
            return Some((1, 13));
        }
        None
    }

    /// Where the next chunk may start, when none can start at `p` nor before that: None
    /// when one may start at `p`. A chunk starting at a letter must cover the letters up to
    /// the first character that is no letter with number words and weak letters: it cannot
    /// end among them (it ends before a non-letter or after a digit), and only words and weak
    /// letters hold letters. Nor can one start after a letter among them. Most words fail
    /// this at their first letters, which spares them `chunk`'s backtracking walk. (Weak
    /// letters are taken in either case here, and a word that may run on past the letters
    /// leaves the answer None.)
    #[inline(always)]
    fn no_chunk_until(&self, t: &[u32], p: usize) -> Option<usize> {
        let items = &ITEM_LETTERS;
        // The places of the items' letters that the letters so far can end at.
        let mut state: u64 = 0;
        let mut boundary = true;
        let mut from = p;
        // Two ASCII letters (most calls): their state from `ITEM_PAIRS`.
        if let [a, b, ..] = t[p..] {
            let (a, b) = (ascii_letter(a), ascii_letter(b));
            if a != 0 && b != 0 {
                let (a, b) = (usize::from(a - b'a'), usize::from(b - b'a'));
                state = ITEM_PAIRS[a * 26 + b];
                if state == 0 {
                    let first_ok = items.first & items.places[a] != 0;
                    return Some(p + 1 + usize::from(first_ok));
                }
                boundary = state & items.last != 0;
                from = p + 2;
            }
        }
        for (k, &c) in t[from..].iter().enumerate() {
            let k = from - p + k;
            let letter = if c < 0x80 {
                ascii_letter(c)
            } else if self.is_letter(c) {
                match self.fold(c) {
                    0 => return Some(p + k + 1),
                    f => f,
                }
            } else {
                0
            };
            if letter == 0 {
                // A word may run on past the letters only through a character that folds
                // to a letter without being one (none does in this Python).
                let open = state != 0 && c >= 0x80 && self.fold(c) != 0;
                return (!boundary && !open).then_some(p + k);
            }
            let places = match letter.wrapping_sub(b'a') {
                i @ 0..=25 => items.places[i as usize],
                _ => 0,
            };
            state = ((state << 1) & !items.first | if boundary { items.first } else { 0 }) & places;
            if state == 0 {
                return Some(p + k + 1);
            }
            boundary = state & items.last != 0;
        }
        (!boundary).then_some(t.len())
    }

    /// `_CHUNK` at `p`: its end, as Python's backtracking `re` finds it (the greedy repeat of
    /// items explores longer sequences first, each item's alternatives in order; the end
    /// condition is checked where the repeat gives back).
    /// `stack` is scratch space, reused across calls (most positions that hold an item are
    /// word starts, and an allocation for each cost more than the walk).
    /// (The quick answers are inlined where it is called, the walk is not.)
    #[inline(always)]
    fn chunk(&self, t: &[u32], p: usize, stack: &mut Vec<(usize, usize)>) -> Option<usize> {
        // No item starts with an ASCII character without `CLASS`'s STARTS (nor at the end).
        let &c = t.get(p)?;
        if c < 0x80 && CLASS[c as usize] & STARTS == 0 {
            return None;
        }
        if is_digit(c) {
            // Digits up to a character that holds no item ("1st", "10th"): the walk's first
            // way out, and one it takes (after a digit the chunk may end anywhere).
            let end = p + 1 + t[p + 1..].iter().take_while(|&&c| is_digit(c)).count();
            match t.get(end) {
                None => return Some(end),
                Some(&c) if c < 0x80 && CLASS[c as usize] & STARTS == 0 => return Some(end),
                Some(_) if self.item(t, end, 0).is_none() => return Some(end),
                _ => {}
            }
        } else if !may_begin_items(t, p) {
            // Two letters no item sequence begins with: `no_chunk_until` says no chunk here.
            return None;
        }
        self.chunk_walk(t, p, stack)
    }

    /// `chunk` where it has no quick answer.
    #[inline(never)]
    fn chunk_walk(&self, t: &[u32], p: usize, stack: &mut Vec<(usize, usize)>) -> Option<usize> {
        if p < t.len() && !is_digit(t[p]) && self.no_chunk_until(t, p).is_some() {
            return None;
        }
        self.chunk_walk_open(t, p, stack)
    }

    /// `chunk_walk` at a `p` that holds a digit or where `no_chunk_until` gave None.
    fn chunk_walk_open(
        &self,
        t: &[u32],
        p: usize,
        stack: &mut Vec<(usize, usize)>,
    ) -> Option<usize> {
        let n = t.len();
        let start_ok = p == 0 || !self.is_letter(t[p - 1]) || (p < n && is_digit(t[p]));
        if !start_ok {
            return None;
        }
        // Most positions hold no item at all: answer before any allocation.
        let (len, next) = self.item(t, p, 0)?;
        // (position, next alternative to try there)
        stack.clear();
        stack.extend([(p, next), (p + len, 0)]);
        loop {
            let top = stack.len() - 1;
            let (pos, from) = stack[top];
            if let Some((len, next)) = self.item(t, pos, from) {
                stack[top].1 = next;
                stack.push((pos + len, 0));
                continue;
            }
            if top >= 1 && (pos == n || !self.is_letter(t[pos]) || is_digit(t[pos - 1])) {
                return Some(pos);
            }
            stack.pop();
            if stack.is_empty() {
                return None;
            }
        }
    }

    /// `RUN` at `p`: chunks joined by one to four separator characters.
    fn run_at(&self, t: &[u32], p: usize, stack: &mut Vec<(usize, usize)>) -> Option<usize> {
        let end = self.chunk(t, p, stack)?;
        Some(self.run_on(t, end, stack))
    }

    /// The end of the run whose first chunk ends at `end`.
    fn run_on(&self, t: &[u32], mut end: usize, stack: &mut Vec<(usize, usize)>) -> usize {
        loop {
            let mut seps = 0;
            while seps < 4 && end + seps < t.len() && self.is_run_sep(t[end + seps]) {
                seps += 1;
            }
            match (1..=seps).rev().find_map(|k| self.chunk(t, end + k, stack)) {
                Some(next) => end = next,
                None => return end,
            }
        }
    }

    /// The first position from `p` on that `mark_starts` marked in `marks`; `t.len()` if none.
    #[inline]
    fn next_start(&self, t: &[u32], marks: &[u64], p: usize) -> usize {
        let mut w = p / 64;
        let mut bits = marks[w] & (!0u64 << (p % 64));
        while bits == 0 {
            w += 1;
            match marks.get(w) {
                Some(&b) => bits = b,
                None => return t.len(),
            }
        }
        w * 64 + bits.trailing_zeros() as usize
    }

    /// Marks in `marks` (one bit a position, 64 a word, cleared first) every position of `t`
    /// that a run may start at: a digit, or a character an item starts with (`CLASS`'s
    /// STARTS, or a non-ASCII one that folds to a letter) that does not follow a letter
    /// (`_CHUNK`'s lookbehind: ASCII or not, else a word of "İ" or "İo" was walked to its
    /// end from each of its characters, minutes for a long one); but not two ASCII letters
    /// that begin no sequence of items (`ITEM_PAIRS`, whose answer `no_chunk_until` would
    /// give: no chunk there, nor up to the word's end).
    /// Sixteen characters at a time where SSE2 is (every x86-64), narrowed to bytes (a code
    /// point past 0xFF reads as 0xFF, one past 2^31 as 0: neither is ASCII nor marked
    /// wrongly), then each word start and non-ASCII candidate looked at alone. The scan for
    /// run starts then costs a few instructions a stop rather than a few a character.
    fn mark_starts(&self, t: &[u32], marks: &mut Vec<u64>) {
        let n = t.len();
        marks.clear();
        marks.resize(n / 64 + 1, 0);
        #[cfg(target_arch = "x86_64")]
        let (mut i, mut after_letter) = if std::arch::is_x86_feature_detected!("ssse3") {
            // SAFETY: this CPU has SSSE3.
            unsafe { self.mark_blocks_ssse3(t, marks) }
        } else {
            // SAFETY: `mark_blocks` hands over sixteen readable u32.
            self.mark_blocks(t, marks, |at| unsafe { block_starts(at) })
        };
        #[cfg(not(target_arch = "x86_64"))]
        let (mut i, mut after_letter) = (0, 0u32);
        while i < n {
            let c = t[i];
            let start = is_digit(c)
                || (after_letter == 0
                    && if c < 0x80 {
                        CLASS[c as usize] & STARTS != 0 && may_begin_items(t, i)
                    } else {
                        self.flag(c, FOLDS)
                    });
            marks[i / 64] |= u64::from(start) << (i % 64);
            after_letter = u32::from(if c < 0x80 {
                is_ascii_letter(c)
            } else {
                self.is_letter(c)
            });
            i += 1;
        }
    }

    /// `mark_starts` over the whole blocks of sixteen characters at the start of `t`, each
    /// classified by `block` (as `block_starts`); returns where they end and whether the
    /// last character is an ASCII letter (as 1 or 0).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn mark_blocks(
        &self,
        t: &[u32],
        marks: &mut [u64],
        block: impl Fn(*const u32) -> (u32, u32, u32, u32),
    ) -> (usize, u32) {
        let mut i = 0;
        let mut after_letter = 0;
        while i + 16 <= t.len() {
            // (t[i..i + 16] is within `t`)
            let (starts, non_ascii, mut letters, digits) = block(t[i..].as_ptr());
            let mut rest = non_ascii;
            while rest != 0 {
                let k = rest.trailing_zeros();
                rest &= rest - 1;
                if self.is_letter(t[i + k as usize]) {
                    letters |= 1 << k;
                }
            }
            let open = !((letters << 1) | after_letter);
            let mut found = digits;
            let mut words = starts & open;
            while words != 0 {
                let k = words.trailing_zeros();
                words &= words - 1;
                if may_begin_items(t, i + k as usize) {
                    found |= 1 << k;
                }
            }
            let mut others = non_ascii & open;
            while others != 0 {
                let k = others.trailing_zeros();
                others &= others - 1;
                if self.flag(t[i + k as usize], FOLDS) {
                    found |= 1 << k;
                }
            }
            marks[i / 64] |= u64::from(found) << (i % 64);
            after_letter = letters >> 15;
            i += 16;
        }
        (i, after_letter)
    }

    /// `mark_blocks` with `block_starts_ssse3`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "ssse3")]
    fn mark_blocks_ssse3(&self, t: &[u32], marks: &mut [u64]) -> (usize, u32) {
        // SAFETY: `mark_blocks` hands over sixteen readable u32; SSSE3 is on here.
        self.mark_blocks(t, marks, |at| unsafe { block_starts_ssse3(at) })
    }

    /// Edits that rewrite every obfuscated number run in `t`, sorted by start
    /// (`numbers.number_edits(text)`, the whole-text scan), into `edits` (cleared first;
    /// `stack` is scratch space for `chunk`).
    /// (`marks` is scratch space for `mark_starts`, `parsed` for the runs parsed.)
    pub fn number_edits(
        &self,
        t: &[u32],
        edits: &mut Vec<Edit>,
        stack: &mut Vec<(usize, usize)>,
        marks: &mut Vec<u64>,
        parsed: &mut Parsed,
    ) {
        edits.clear();
        self.mark_starts(t, marks);
        let mut p = 0;
        let n = t.len();
        while p < n {
            // Most positions cannot start a run: an ASCII character that starts no item
            // (`item`), one inside an ASCII word (`chunk`'s start condition), or a non-ASCII
            // character that case-insensitive `re` does not match to a letter (no digit,
            // number word or weak letter starts with it). `marks` has the others.
            p = self.next_start(t, marks, p);
            if p == n {
                break;
            }
            let run = if is_digit(t[p]) {
                self.run_at(t, p, stack)
            } else if let Some(next) = self.no_chunk_until(t, p) {
                p = next;
                continue;
            } else {
                // (`chunk`'s quick answers are the marks' and `no_chunk_until`'s: straight
                // to its walk, without asking `no_chunk_until` again)
                self.chunk_walk_open(t, p, stack)
                    .map(|end| self.run_on(t, end, stack))
            };
            match run {
                Some(end) => {
                    let run = &t[p..end];
                    let all_plain = run.iter().all(|&c| is_digit(c) || self.is_plain(c));
                    if run.len() >= 3 && !all_plain {
                        self.run_edits(p, run, edits, parsed);
                    }
                    p = end;
                }
                None => p += 1,
            }
        }
    }

    fn run_edits(&self, start: usize, run: &[u32], out: &mut Vec<Edit>, parsed: &mut Parsed) {
        if self.is_digit_run(run) {
            self.digit_run_edits(start, run, out);
        } else if let Some(words) = self.word_run(run) {
            word_run_edits(start, &words, out);
        } else {
            self.parsed_run_edits(start, run, out, parsed);
        }
    }

    /// `_DIGIT_RUN.fullmatch(run)`: digits and separators, a digit at each end.
    fn is_digit_run(&self, run: &[u32]) -> bool {
        is_digit(run[0])
            && is_digit(run[run.len() - 1])
            && run.iter().all(|&c| is_digit(c) || self.is_sep(c))
    }

    fn digit_run_edits(&self, start: usize, run: &[u32], out: &mut Vec<Edit>) {
        if run.iter().filter(|&&c| is_digit(c)).count() < 7 {
            return;
        }
        // Every stretch between two digits is one separator; those holding a character that
        // is not an ordinary separator become one space each.
        let mut i = 0;
        while i < run.len() {
            if is_digit(run[i]) {
                i += 1;
                continue;
            }
            let s = i;
            while i < run.len() && !is_digit(run[i]) {
                i += 1;
            }
            if run[s..i].iter().any(|&c| self.is_odd(c)) {
                out.push(Edit::new(
                    start + s,
                    start + i,
                    Repl::Char(SPACE),
                    EMOJI_SEPARATOR,
                ));
            }
        }
    }

    /// `_WORD_RUN.fullmatch(run)`: strong number words separated by separators; the words
    /// as (start, end, value).
    fn word_run(&self, run: &[u32]) -> Option<Vec<(usize, usize, u32)>> {
        let mut words = Vec::new();
        let mut i = 0;
        loop {
            let s = i;
            while i < run.len() && !self.is_sep(run[i]) {
                i += 1;
            }
            let w = (0..OH).find(|&w| WORDS[w].len() == i - s && self.word_at(run, s, w))?;
            words.push((s, i, word_value(w)));
            if i == run.len() {
                return Some(words);
            }
            while i < run.len() && self.is_sep(run[i]) {
                i += 1;
            }
            if i == run.len() {
                return None; // ends with a separator
            }
        }
    }

    fn parsed_run_edits(
        &self,
        start: usize,
        run: &[u32],
        out: &mut Vec<Edit>,
        parsed: &mut Parsed,
    ) {
        self.parse(run, parsed);
        let Some((lo, hi)) = parsed.trim() else {
            return;
        };
        let Parsed {
            items: all,
            bounds,
            seps,
            has_digit,
            ..
        } = &*parsed;
        let whole = &all[bounds[lo]..bounds[hi + 1]];
        // The first and last strong item; words ("oh" too) and digit-producing items between.
        let strong_at = |it: &Item| matches!(it.kind, Tok::D | Tok::W(_));
        let Some(first) = whole.iter().position(strong_at) else {
            return;
        };
        let last = whole.iter().rposition(strong_at).unwrap_or(first);
        let items = &whole[first..=last];
        let (mut n_words, mut n_items) = (0usize, 0usize);
        for it in items {
            match it.kind {
                Tok::D => n_items += it.e - it.s,
                Tok::W(_) | Tok::O => {
                    n_items += 1;
                    n_words += 1;
                }
                _ => n_items += 1,
            }
        }
        if n_words < 3 && n_items < 7 {
            return;
        }
        // A look-alike letter glued to the last (or first) strong item at the run's very edge.
        let mut after = None;
        if whole.len() >= 2 && last == whole.len() - 2 {
            let edge = whole[whole.len() - 1];
            if edge_letter(edge, run) && edge.s == whole[last].e && edge.e == run.len() {
                after = Some(edge);
            }
        }
        let mut before = None;
        if first == 1 {
            let edge = whole[0];
            if edge_letter(edge, run) && edge.e == whole[1].s && edge.s == 0 {
                before = Some(edge);
            }
        }
        let mark = out.len();
        for it in before.iter().chain(items).chain(&after) {
            let (value, kind) = match it.kind {
                Tok::D => continue,
                Tok::L => (weak_value(run[it.s]), LETTER_DIGITS),
                Tok::W(w) => (word_value(w), SPELLED_DIGITS),
                Tok::O => (word_value(OH), SPELLED_DIGITS),
                Tok::S => continue,
            };
            out.push(Edit::new(
                start + it.s,
                start + it.e,
                Repl::Char(value),
                kind,
            ));
        }
        for i in lo..hi {
            let (s, e) = seps[i];
            if !has_digit[i] && !has_digit[i + 1] {
                out.push(Edit::new(start + s, start + e, Repl::Empty, SPELLED_DIGITS));
            } else if run[s..e].iter().any(|&c| self.is_odd(c)) {
                out.push(Edit::new(
                    start + s,
                    start + e,
                    Repl::Char(SPACE),
                    EMOJI_SEPARATOR,
                ));
            }
        }
        out[mark..].sort_by_key(|e| e.start);
    }

    /// `_TOKEN` at `i`: digits, a number word, a weak letter, or separators.
    fn token(&self, run: &[u32], i: usize) -> Option<(Tok, usize)> {
        let c = run[i];
        if is_digit(c) {
            let mut e = i + 1;
            while e < run.len() && is_digit(run[e]) {
                e += 1;
            }
            return Some((Tok::D, e));
        }
        if let Some(w) = self.first_word(run, i, 0) {
            return Some((Tok::W(w), i + WORDS[w].len()));
        }
        if is_weak(c) {
            return Some((Tok::L, i + 1));
        }
        if self.is_sep(c) {
            let mut e = i + 1;
            while e < run.len() && self.is_sep(run[e]) {
                e += 1;
            }
            return Some((Tok::S, e));
        }
        None
    }

    /// `_parse`: chunks of items and the separators between them, into `out` (cleared
    /// first).
    fn parse(&self, run: &[u32], out: &mut Parsed) {
        let Parsed {
            raw,
            toks,
            items,
            bounds,
            seps,
            has_digit,
            strong,
        } = out;
        raw.clear();
        let mut i = 0;
        while i < run.len() {
            match self.token(run, i) {
                Some((kind, e)) => {
                    raw.push(Item { kind, s: i, e });
                    i = e;
                }
                None => i += 1,
            }
        }
        let is_pipe = |it: &Item| it.kind == Tok::L && run[it.s] == 0x7C;
        toks.clear();
        for (i, &tok) in raw.iter().enumerate() {
            let mut it = tok;
            if is_pipe(&tok) {
                let before = i.checked_sub(1).map(|j| raw[j]);
                let after = raw.get(i + 1).copied();
                if before.as_ref().is_some_and(is_pipe) || after.as_ref().is_some_and(is_pipe) {
                    it.kind = Tok::S; // "||" is a separator
                } else {
                    let glued_before = before.is_some_and(|b| b.kind != Tok::S);
                    let glued_after = after.is_some_and(|a| a.kind != Tok::S);
                    if glued_before == glued_after {
                        it.kind = Tok::S;
                    }
                }
            } else if tok.kind == Tok::W(OH) {
                it.kind = Tok::O;
            }
            if it.kind == Tok::S && toks.last().is_some_and(|t| t.kind == Tok::S) {
                it.s = toks.pop().map_or(it.s, |t| t.s);
            }
            toks.push(it);
        }
        while toks.last().is_some_and(|t| t.kind == Tok::S) {
            toks.pop();
        }
        let first = toks
            .iter()
            .position(|t| t.kind != Tok::S)
            .unwrap_or(toks.len());
        items.clear();
        bounds.clear();
        bounds.push(0);
        seps.clear();
        has_digit.clear();
        has_digit.push(false);
        strong.clear();
        for &tok in &toks[first..] {
            if tok.kind == Tok::S {
                seps.push((tok.s, tok.e));
                bounds.push(items.len());
                has_digit.push(false);
                continue;
            }
            let index = bounds.len() - 1;
            items.push(tok);
            if matches!(tok.kind, Tok::D | Tok::W(_)) {
                if strong.last() != Some(&index) {
                    strong.push(index);
                }
                if tok.kind == Tok::D {
                    has_digit[index] = true;
                }
            }
        }
        bounds.push(items.len());
    }
}

/// `block_starts` by two table look-ups a byte (SSSE3's byte shuffle): each byte's low and
/// high half select the classes it may be in, and it is in those both select. The classes,
/// one bit each: e/f/n/o and s/t/z in either case, "I", "l", "|" (the item starts but
/// digits); the letters 0x41..=0x4F and 0x61..=0x6F, and 0x50..=0x5A and 0x70..=0x7A; the
/// digits. A byte past ASCII selects nothing by its high half.
///
/// # Safety
/// `at` must point to sixteen readable u32; the CPU must have SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[inline]
unsafe fn block_starts_ssse3(at: *const u32) -> (u32, u32, u32, u32) {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8, _mm_setr_epi8,
        _mm_setzero_si128, _mm_shuffle_epi8, _mm_srli_epi16,
    };
    const EFNO: i8 = 1;
    const STZ: i8 = 2;
    const BIG_I: i8 = 4;
    const SMALL_L: i8 = 8;
    const PIPE: i8 = 16;
    const LETTER_A_O: i8 = 32;
    const LETTER_P_Z: i8 = 64;
    const DIGIT: i8 = -128;
    const STARTS: i8 = EFNO | STZ | BIG_I | SMALL_L | PIPE;
    // SAFETY: the caller vouches for the sixteen u32 and for SSSE3.
    unsafe {
        // (ASCII stays, nothing else becomes ASCII)
        let bytes = crate::simd::code_point_bytes(at);
        let (pa, pz) = (LETTER_A_O, LETTER_P_Z);
        let by_low = _mm_setr_epi8(
            pz | DIGIT,              // 0
            pa | pz | DIGIT,         // 1
            pa | pz | DIGIT,         // 2
            STZ | pa | pz | DIGIT,   // 3
            STZ | pa | pz | DIGIT,   // 4
            EFNO | pa | pz | DIGIT,  // 5
            EFNO | pa | pz | DIGIT,  // 6
            pa | pz | DIGIT,         // 7
            pa | pz | DIGIT,         // 8
            BIG_I | pa | pz | DIGIT, // 9
            STZ | pa | pz,           // A
            pa,                      // B
            SMALL_L | PIPE | pa,     // C
            pa,                      // D
            EFNO | pa,               // E
            EFNO | pa,               // F
        );
        let by_high = _mm_setr_epi8(
            0,
            0,
            0,
            DIGIT,               // 0x30
            EFNO | BIG_I | pa,   // 0x40
            STZ | pz,            // 0x50
            EFNO | SMALL_L | pa, // 0x60
            STZ | PIPE | pz,     // 0x70
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        );
        let nibble = _mm_set1_epi8(0x0F);
        let class = _mm_and_si128(
            _mm_shuffle_epi8(by_low, _mm_and_si128(bytes, nibble)),
            _mm_shuffle_epi8(by_high, _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble)),
        );
        let any = |bits: i8| {
            let none = _mm_cmpeq_epi8(
                _mm_and_si128(class, _mm_set1_epi8(bits)),
                _mm_setzero_si128(),
            );
            _mm_movemask_epi8(none) as u32 ^ 0xFFFF
        };
        (
            any(STARTS),
            _mm_movemask_epi8(bytes) as u32,
            any(LETTER_A_O | LETTER_P_Z),
            any(DIGIT),
        )
    }
}

/// Whether the ASCII character at `t[i]` (one with `CLASS`'s STARTS) may begin a sequence of
/// items as far as the next character tells: false only for two ASCII letters that
/// `ITEM_PAIRS` rules out.
#[inline(always)]
fn may_begin_items(t: &[u32], i: usize) -> bool {
    // (an ASCII letter's place from "a", whatever its case; 26 or more for anything else)
    let place = |c: u32| ((c | 0x20).wrapping_sub(u32::from(b'a'))) as usize;
    let (a, b) = (place(t[i]), t.get(i + 1).map_or(26, |&c| place(c)));
    a >= 26 || b >= 26 || ITEM_PAIRS[a * 26 + b] != 0
}

/// Of the sixteen code points at `at`, one bit each: the ASCII characters with `CLASS`'s
/// STARTS but digits, those that are not ASCII, the ASCII letters, the ASCII digits.
///
/// # Safety
/// `at` must point to sixteen readable u32.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn block_starts(at: *const u32) -> (u32, u32, u32, u32) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_sub_epi8,
    };
    // SAFETY: the caller vouches for the sixteen u32; SSE2 is in every x86-64 target.
    unsafe {
        // ASCII and 0x80..=0xFF stay, larger code points become 0xFF (`code_point_bytes`).
        let bytes = crate::simd::code_point_bytes(at);
        let byte = |c: u8| _mm_set1_epi8(c as i8);
        let lower = _mm_or_si128(bytes, byte(0x20));
        // x <= limit, unsigned
        let within = |x: __m128i, limit: u8| _mm_cmpeq_epi8(_mm_min_epu8(x, byte(limit)), x);
        let letter = within(_mm_sub_epi8(lower, byte(b'a')), 25);
        let digit = within(_mm_sub_epi8(bytes, byte(b'0')), 9);
        let is = |x: __m128i, c: u8| _mm_cmpeq_epi8(x, byte(c));
        // The first letters of the number words in either case, and the weak "l", "I", "|"
        // ("O" is among the words' "o"); the digits are marked whatever precedes them.
        let words = _mm_or_si128(
            _mm_or_si128(
                _mm_or_si128(is(lower, b'z'), is(lower, b'o')),
                _mm_or_si128(is(lower, b't'), is(lower, b'f')),
            ),
            _mm_or_si128(
                _mm_or_si128(is(lower, b's'), is(lower, b'e')),
                _mm_or_si128(is(lower, b'n'), is(bytes, b'l')),
            ),
        );
        let weak = _mm_or_si128(is(bytes, b'I'), is(bytes, b'|'));
        let starts = _mm_movemask_epi8(_mm_or_si128(words, weak)) as u32;
        let non_ascii = _mm_movemask_epi8(bytes) as u32;
        (
            starts,
            non_ascii,
            _mm_movemask_epi8(letter) as u32,
            _mm_movemask_epi8(digit) as u32,
        )
    }
}

fn word_run_edits(start: usize, words: &[(usize, usize, u32)], out: &mut Vec<Edit>) {
    if words.len() < 3 {
        return;
    }
    let mut prev: Option<usize> = None;
    for &(s, e, value) in words {
        if let Some(p) = prev {
            out.push(Edit::new(start + p, start + s, Repl::Empty, SPELLED_DIGITS));
        }
        out.push(Edit::new(
            start + s,
            start + e,
            Repl::Char(value),
            SPELLED_DIGITS,
        ));
        prev = Some(e);
    }
}

fn weak_value(c: u32) -> u32 {
    if c == 0x6F || c == 0x4F {
        u32::from(b'0')
    } else {
        u32::from(b'1')
    }
}

/// `_edge_letter`'s letter test: O o l I, not "|" nor "oh".
fn edge_letter(item: Item, run: &[u32]) -> bool {
    item.kind == Tok::L && run[item.s] != 0x7C
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    D,
    /// A number word (index into `WORDS`); "oh" becomes `O` once parsed.
    W(usize),
    O,
    L,
    S,
}

#[derive(Clone, Copy, Debug)]
struct Item {
    kind: Tok,
    s: usize,
    e: usize,
}

/// A run as `_parse` reads it: its chunks of items (chunk c's are
/// `items[bounds[c]..bounds[c + 1]]`), the separators between them, which chunks hold a
/// digit and which a strong item. Kept by the caller and refilled for each run parsed, with
/// `parse`'s own scratch (`raw`, `toks`): a run's dozen small vectors were most of its cost.
#[derive(Default)]
pub struct Parsed {
    raw: Vec<Item>,
    toks: Vec<Item>,
    items: Vec<Item>,
    bounds: Vec<usize>,
    seps: Vec<(usize, usize)>,
    has_digit: Vec<bool>,
    strong: Vec<usize>,
}

impl Parsed {
    /// The items of chunk `c`.
    fn chunk(&self, c: usize) -> &[Item] {
        &self.items[self.bounds[c]..self.bounds[c + 1]]
    }

    /// `_trim`: the first and last chunk that belong to the number.
    fn trim(&self) -> Option<(usize, usize)> {
        let (mut lo, mut hi) = (*self.strong.first()?, *self.strong.last()?);
        let lone_word = |c: &[Item]| c.len() == 1 && matches!(c[0].kind, Tok::W(_));
        if lo < hi && lone_word(self.chunk(lo)) && self.has_digit[lo + 1] {
            lo = *self.strong.iter().find(|&&i| i > lo)?;
        }
        if lo < hi && lone_word(self.chunk(hi)) && self.has_digit[hi - 1] {
            hi = *self.strong.iter().filter(|&&i| i < hi).max()?;
        }
        Some((lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables whose only non-ASCII characters that fold to a letter are these.
    fn tables() -> Tables {
        let fold: std::collections::HashMap<u32, u8> =
            [(0x17F, b's'), (0x212A, b'k'), (0x130, b'i')].into();
        let mut flags = vec![0u8; crate::tables::N_CODE_POINTS];
        for c in fold
            .keys()
            .copied()
            .chain((0..128).filter(|&c| is_ascii_letter(c)))
        {
            flags[c as usize] |= crate::tables::ALNUM | crate::tables::ALPHA;
        }
        Tables::new(flags, Default::default(), Default::default(), fold, None).unwrap()
    }

    /// Where the number stage's scan once stopped, one character at a time: a digit, or a
    /// character an item starts with that follows no letter.
    fn stop(tables: &Tables, t: &[u32], i: usize) -> bool {
        let c = t[i];
        let after_letter = i > 0 && tables.is_letter(t[i - 1]);
        is_digit(c)
            || (!after_letter
                && if c < 0x80 {
                    CLASS[c as usize] & STARTS != 0
                } else {
                    tables.flag(c, FOLDS)
                })
    }

    #[test]
    fn start_marks_are_those_of_a_scan_by_character() {
        // Each pair of characters at each place of texts around the sixteen-character blocks
        // (the character before a block's first decides its mark), in a text of "h" (which
        // begins no item) or of "o" (which begins every pair of letters).
        let tables = tables();
        let chars = [
            0x00,
            0x20,
            0x2F,
            0x30,
            0x39,
            0x3A,
            0x40,
            0x41,
            0x49,
            0x4C,
            0x4F,
            0x5A,
            0x5B,
            0x60,
            0x61,
            0x65,
            0x68,
            0x69,
            0x6C,
            0x6E,
            0x6F,
            0x74,
            0x77,
            0x7A,
            0x7B,
            0x7C,
            0x7F,
            0x80,
            0xC9,
            0xFF,
            0x100,
            0x130,
            0x17F,
            0x212A,
            0x1F600,
            0x10FFFF,
            u32::MAX,
        ];
        let mut marks = Vec::new();
        let mut unmarked = 0;
        for fill in [u32::from(b'h'), u32::from(b'o')] {
            for &before in &chars {
                for &c in &chars {
                    for len in [1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 80] {
                        for at in (0..len).filter(|&at| at < 2 || at + 3 > len || at % 16 < 2) {
                            let mut t = vec![fill; len];
                            t[at] = c;
                            if at > 0 {
                                t[at - 1] = before;
                            }
                            tables.mark_starts(&t, &mut marks);
                            assert_eq!(marks.len(), len / 64 + 1);
                            // (past the last code point either answer will do: no str holds
                            // one, and no run starts at one)
                            for i in (0..len).filter(|&i| t[i] < 0x110000) {
                                let bit = marks[i / 64] >> (i % 64) & 1 == 1;
                                let why =
                                    format!("{fill:#x} {before:#x} {c:#x} at {at} of {len}: {i}");
                                // Marked: a stop. A stop not marked: two letters, which
                                // `no_chunk_until` skips at once (so that no stop is missed
                                // before the scan's next).
                                if bit {
                                    assert!(stop(&tables, &t, i), "{why}");
                                } else if stop(&tables, &t, i) {
                                    assert!(
                                        is_ascii_letter(t[i]) && is_ascii_letter(t[i + 1]),
                                        "{why}"
                                    );
                                    let next = tables.no_chunk_until(&t, i);
                                    assert!(next.is_some_and(|q| q <= i + 2), "{why}");
                                    unmarked += 1;
                                }
                            }
                            assert_eq!(marks[len / 64] >> (len % 64), 0);
                        }
                    }
                }
            }
        }
        // ("eh" is a stop not marked: no sequence of items begins with it)
        assert!(unmarked > 0);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn both_block_classifiers_agree_with_the_class_table() {
        // Every value up to 0x120, some far past it, sixteen at a time.
        let mut values: Vec<u32> = (0..0x120).collect();
        values.extend([
            0x17F,
            0x212A,
            0xFFFF,
            0x1F600,
            0x10FFFF,
            0x8000_0000,
            u32::MAX,
        ]);
        values.resize(values.len().div_ceil(16) * 16, 0x41);
        for block in values.chunks(16) {
            let mut want = (0, 0, 0, 0);
            for (k, &c) in block.iter().enumerate() {
                let class = if c < 0x80 { CLASS[c as usize] } else { 0 };
                let bit = |yes: bool| u32::from(yes) << k;
                want.0 |= bit(class & STARTS != 0 && class & DIGIT == 0);
                want.1 |= bit((0x80..0x8000_0000).contains(&c));
                want.2 |= bit(class & LETTER != 0);
                want.3 |= bit(class & DIGIT != 0);
            }
            // SAFETY: each block is sixteen u32.
            assert_eq!(unsafe { block_starts(block.as_ptr()) }, want, "{block:x?}");
            if std::arch::is_x86_feature_detected!("ssse3") {
                // SAFETY: as above, and this CPU has SSSE3.
                let got = unsafe { block_starts_ssse3(block.as_ptr()) };
                assert_eq!(got, want, "{block:x?}");
            }
        }
    }

    #[test]
    fn item_pairs_are_two_steps_of_the_automaton() {
        // The pairs that may begin an item sequence, spelled out: each number word's first
        // two letters ("oh" too), and after a weak letter (o, l, i) any item's first letter.
        let mut alive: Vec<[u8; 2]> = WORDS.iter().map(|w| [w[0], w[1]]).collect();
        for a in [b'o', b'l', b'i'] {
            for b in [b'z', b'o', b't', b'f', b's', b'e', b'n', b'l', b'i'] {
                alive.push([a, b]);
            }
        }
        for a in b'a'..=b'z' {
            for b in b'a'..=b'z' {
                let state = ITEM_PAIRS[usize::from(a - b'a') * 26 + usize::from(b - b'a')];
                assert_eq!(
                    state != 0,
                    alive.contains(&[a, b]),
                    "{}{}",
                    a as char,
                    b as char
                );
            }
        }
    }
}
