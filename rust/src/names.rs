//! The names extractor's positional forms (`extract/names.py`), from the word scan to the
//! final spans.
//!
//! Why: a name found by position alone ("Mia 🌹", "~ Elain 22 y/o") is looked for at every
//! Capitalised word of an ad, about thirty per ad, and in CPython each costs a regex step, a
//! dict look-up and a dozen character tests. Here one pass over the batch's joined text finds
//! the words (`_WORD_RE`), classifies them with the extractor's table, applies its token and
//! context rules (`_known_context`, `_unknown_context`), finds the words beside phone-number
//! runs (`_PHONE_RUN`, `_NAME_BEFORE`, `_NAME_AFTER`) and the names of profile cards
//! (`_CARD`); `positional` then makes `_positional`'s decisions on them (the checks of `add`,
//! lists of names, lists in capitals, the full name's span), so Python only builds the spans.
//!
//! Each function below is the hand-written equivalent of one regex or helper of `names.py`
//! (named in its comment), with Python's possessive and backtracking semantics spelled out.
//! Character classes come from the running Python (`Tables`, plus the case and digit sets
//! handed over here). Words are lowered as `str.lower()` lowers them, a capital sigma and a
//! dotted capital I included; a word with any other character whose lower case is not one
//! character (none in today's Unicode) is not decided here: its row is marked `DEFER`, or the
//! whole text left to the Python reference, so the result is the same either way.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::shared_triggers::BatchStarts;
use crate::tables::{Tables, ALNUM, DECIMAL, SPACE};
use crate::triggers::TriggerAutomaton;
use crate::word_table::{kind_of, FxBuild, PyWordTable, WordTable};

/// Word kinds, as `names.py` numbers them (`_STOP, _KNOWN, _AMBIGUOUS, _UNKNOWN`).
pub const STOP: u8 = 0;
pub const KNOWN: u8 = 1;
pub const AMBIGUOUS: u8 = 2;
pub const UNKNOWN: u8 = 3;
/// A row Python must decide itself (see the module docs).
pub const DEFER: u8 = 255;

/// Cue ids (index into `CUES`; 0 is none).
pub const CUES: [&str; 14] = [
    "",
    "line start",
    "before age",
    "framed",
    "last word",
    "segment start",
    "before phone",
    "after phone",
    "list",
    "here",
    "title emoji",
    "title adjective",
    "title",
    "",
];
const LINE_START: u8 = 1;
const BEFORE_AGE: u8 = 2;
const FRAMED: u8 = 3;
const LAST_WORD: u8 = 4;
const SEGMENT_START: u8 = 5;

// Extra per-code-point bits (`NameScanner::case`).
const UPPER: u8 = 1; // chr(c).isupper()
const NOT_UPPER: u8 = 2; // lower or title case: a word holding it is never isupper()
const DIGIT: u8 = 4; // str.isdigit()
const DEFER_LOWER: u8 = 8; // str.lower() is not one context-free character
const IGNORABLE: u8 = 16; // case-ignorable (what `str.lower()` skips around a capital sigma)
const CASED: u8 = 32; // cased and not case-ignorable

// The word table's list bits (`names.py`'s `_BITS`; the two low bits are the word's kind).
const WORDS: u16 = 1 << 2;
const STOP_BIT: u16 = 1 << 3;
const SURNAMES: u16 = 1 << 4;
const DESCRIPTIVE: u16 = 1 << 5;
const PLACES: u16 = 1 << 6;
const GIVEN: u16 = 1 << 7;
const AMBIGUOUS_BIT: u16 = 1 << 8;
const COMMON: u16 = 1 << 9;
const CENSUS: u16 = 1 << 10;
const CAPITAL_SIGMA: u32 = 0x3A3;
const DOTTED_CAPITAL_I: u32 = 0x130;

/// The lower case of a word could not be computed here (see the module docs).
pub struct Defer;

/// The longest ASCII word `NameScanner::low` lowers on the stack (`_WORD` is at most 41
/// characters).
const ASCII_WORD: usize = 48;

type Outcome<T> = Result<T, Defer>;

pub struct NameSpec {
    pub upper: Vec<u32>,
    pub not_upper: Vec<u32>,
    pub digits: Vec<u32>,
    pub defer: Vec<u32>,
    pub ignorable: Vec<u32>,
    pub cased: Vec<u32>,
    pub lower: Vec<(u32, u32)>,
    /// The extractor's words (`word_table`), its masks' bits as `names.py`'s `_BITS`.
    pub table: Arc<WordTable>,
}

pub struct NameScanner {
    tables: Tables,
    /// the first code point other than 0-9 that is `\d` (where `phone_runs` looks closely)
    first_decimal: u32,
    case: Vec<u8>,
    /// (code point, lower case) for the non-ASCII characters whose lower case differs
    lower: HashMap<u32, u32, FxBuild>,
    /// the word table: a word's lists are the bits of its mask (`mask`, `is`)
    kinds: Arc<WordTable>,
}

/// One row of the scan: a Capitalised word that Python must look at.
pub struct WordHit {
    pub start: usize,
    pub end: usize,
    pub kind: u8,
    pub cue: u8,
}

const NL: u32 = '\n' as u32;
const FF: u32 = '\x0c' as u32;
const SP: u32 = ' ' as u32;
const TAB: u32 = '\t' as u32;
const APOS: u32 = '\'' as u32;
const RSQUO: u32 = '\u{2019}' as u32;
const HYPHEN: u32 = '-' as u32;
const UNDERSCORE: u32 = '_' as u32;
/// The quotes and blanks around a `_LIST_SEP`'s separator.
const LIST_QUOTES: &str = "\"\u{201c}\u{201d}'\u{2019} \t";

#[inline]
fn blank(c: u32) -> bool {
    c == SP || c == TAB
}

/// Whether `c` is one of the characters of `set` (an ASCII `c` compared with its bytes, not
/// decoded: no byte of another character's UTF-8 is ASCII).
#[inline]
fn one_of(c: u32, set: &str) -> bool {
    if c < 0x80 {
        return set.as_bytes().contains(&(c as u8));
    }
    set.chars().any(|s| s as u32 == c)
}

/// Where a pass over a whole text may start (`NameScanner::marks`): one byte per character,
/// with a bit per pass. Why: the passes (`capitalised`, `phone_runs`, `cards`) start only at a
/// few characters (capitals, digits, quotes); the marks are made in one pass over the text (a
/// table read per character below U+0100) and each pass then skips eight characters at a time
/// to the next mark of its own (`next_marked`).
const MARK_CAPITAL: u8 = 1; // `[A-ZÀ-ÖØ-Þ]`
const MARK_DIGIT: u8 = 2; // maybe `\d`: 0-9, or from the first other decimal on
const MARK_QUOTE: u8 = 4; // `["“”]`

/// The first position from `p` whose mark holds `bit` (`marks.len()` if none).
#[inline]
fn next_marked(marks: &[u8], mut p: usize, bit: u8) -> usize {
    let bits = u64::from_le_bytes([bit; 8]);
    while let Some(block) = marks.get(p..p + 8) {
        let Ok(block) = <[u8; 8]>::try_from(block) else {
            break;
        };
        let hit = u64::from_le_bytes(block) & bits;
        if hit != 0 {
            return p + (hit.trailing_zeros() / 8) as usize;
        }
        p += 8;
    }
    while p < marks.len() && marks[p] & bit == 0 {
        p += 1;
    }
    p.min(marks.len())
}

/// The marks of each character of `t` (`first`: the first code point other than 0-9 that is
/// `\d`). Why compares and not a table read per character: they have no branch and no
/// load, and the compiler does them eight characters at a time where the CPU has AVX2 (with
/// its unsigned compares; baseline x86-64 emulates those, four characters at a time).
fn marks_of(t: &[u32], first: u32) -> Vec<u8> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU running this has AVX2 (checked just above).
        return unsafe { marks_avx2(t, first) };
    }
    t.iter().map(|&c| mark_of(c, first)).collect()
}

/// `marks_of` compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn marks_avx2(t: &[u32], first: u32) -> Vec<u8> {
    t.iter().map(|&c| mark_of(c, first)).collect()
}

/// One character's marks (`marks_of`).
#[inline(always)]
fn mark_of(c: u32, first: u32) -> u8 {
    let capital = (c.wrapping_sub(0x41) < 26) | (c.wrapping_sub(0xC0) < 0x1F && c != 0xD7);
    let digit = (c.wrapping_sub(0x30) < 10) | (c >= first);
    let quote = (c == 0x22) | (c.wrapping_sub(0x201C) < 2);
    (u8::from(capital) * MARK_CAPITAL)
        | (u8::from(digit) * MARK_DIGIT)
        | (u8::from(quote) * MARK_QUOTE)
}

/// Whether `w` is ASCII and fits in `ascii` (zeroed), where it is then lowered (lowered and
/// checked in one pass; otherwise `ascii` holds no word).
#[inline]
fn ascii_low(w: &[u32], ascii: &mut [u8; ASCII_WORD]) -> bool {
    if w.len() > ASCII_WORD {
        return false;
    }
    let mut any = 0u32;
    for (b, &c) in ascii.iter_mut().zip(w) {
        any |= c;
        *b = (c as u8).to_ascii_lowercase();
    }
    any < 0x80
}

/// `[A-ZÀ-ÖØ-Þ]`
#[inline]
fn latin_capital(c: u32) -> bool {
    (0x41..=0x5A).contains(&c) || (0xC0..=0xD6).contains(&c) || (0xD8..=0xDE).contains(&c)
}

/// `[a-zß-öø-ÿ]`
#[inline]
fn latin_small(c: u32) -> bool {
    (0x61..=0x7A).contains(&c) || (0xDF..=0xF6).contains(&c) || (0xF8..=0xFF).contains(&c)
}

/// `[A-Za-zÀ-ÖØ-öø-ÿ]`
#[inline]
fn latin(c: u32) -> bool {
    (0x41..=0x5A).contains(&c)
        || (0x61..=0x7A).contains(&c)
        || ((0xC0..=0xFF).contains(&c) && c != 0xD7 && c != 0xF7)
}

impl NameScanner {
    pub fn new(tables: Tables, spec: NameSpec) -> Result<Self, String> {
        let mut case = vec![0u8; crate::tables::N_CODE_POINTS];
        for (list, bit) in [
            (&spec.upper, UPPER),
            (&spec.not_upper, NOT_UPPER),
            (&spec.digits, DIGIT),
            (&spec.defer, DEFER_LOWER),
            (&spec.ignorable, IGNORABLE),
            (&spec.cased, CASED),
        ] {
            for &c in list {
                *case
                    .get_mut(c as usize)
                    .ok_or_else(|| format!("not a code point: {c:#x}"))? |= bit;
            }
        }
        let first_decimal = (0..crate::tables::N_CODE_POINTS as u32)
            .find(|&c| !(0x30..=0x39).contains(&c) && tables.flag(c, DECIMAL))
            .unwrap_or(u32::MAX);
        Ok(NameScanner {
            first_decimal,
            tables,
            case,
            lower: spec.lower.into_iter().collect(),
            kinds: spec.table,
        })
    }

    #[inline]
    fn has(&self, c: u32, bit: u8) -> bool {
        self.case.get(c as usize).is_some_and(|f| f & bit != 0)
    }

    #[inline]
    fn alnum(&self, c: u32) -> bool {
        self.tables.flag(c, ALNUM)
    }

    #[inline]
    fn word(&self, c: u32) -> bool {
        self.tables.is_word(c)
    }

    #[inline]
    fn letter(&self, c: u32) -> bool {
        self.tables.is_letter(c)
    }

    #[inline]
    fn decimal(&self, c: u32) -> bool {
        self.tables.flag(c, DECIMAL)
    }

    /// Case-insensitive `re` match of one character against a lower-case ASCII character.
    #[inline]
    fn ci(&self, t: &[u32], i: usize, x: u8) -> bool {
        t.get(i).is_some_and(|&c| self.tables.fold(c) == x)
    }

    /// Case-insensitive literal (ASCII, lower case) at `i`; its end.
    #[inline]
    fn ci_lit(&self, t: &[u32], i: usize, lit: &str) -> Option<usize> {
        let lit = lit.as_bytes();
        let end = i + lit.len();
        let text = t.get(i..end)?;
        text.iter()
            .zip(lit)
            .all(|(&c, &b)| self.tables.fold(c) == b)
            .then_some(end)
    }

    /// The word table's mask of a word's lower case (0: in no list), or `Defer`.
    fn mask(&self, w: &[u32]) -> Outcome<u16> {
        let mut ascii = [0u8; ASCII_WORD];
        let mut spill = String::new();
        Ok(self.low_mask(w, &mut ascii, &mut spill)?.1)
    }

    /// `low` of a word and the word table's mask of it. An ASCII word that fits is looked
    /// up from `ascii` as lowered there, zeros after it (`WordTable::mask_of_padded`).
    fn low_mask<'a>(
        &self,
        w: &[u32],
        ascii: &'a mut [u8; ASCII_WORD],
        spill: &'a mut String,
    ) -> Outcome<(&'a [u8], u16)> {
        if ascii_low(w, ascii) {
            let ascii: &'a [u8; ASCII_WORD] = ascii;
            return Ok((&ascii[..w.len()], self.kinds.mask_of_padded(ascii, w.len())));
        }
        self.lower_into(w, spill)?;
        Ok((spill.as_bytes(), self.kinds.mask_of(spill.as_bytes())))
    }

    /// `str.lower()` of a word as UTF-8: in `ascii` for an ASCII word that fits (the common
    /// case: no allocation, no UTF-8 check), else in `spill` (`lower_into`).
    fn low<'a>(
        &self,
        w: &[u32],
        ascii: &'a mut [u8; ASCII_WORD],
        spill: &'a mut String,
    ) -> Outcome<&'a [u8]> {
        if ascii_low(w, ascii) {
            return Ok(&ascii[..w.len()]);
        }
        self.lower_into(w, spill)?;
        Ok(spill.as_bytes())
    }

    /// `str.lower()` of a word, or `Defer`.
    fn lower(&self, w: &[u32]) -> Outcome<String> {
        let mut out = String::with_capacity(w.len());
        self.lower_into(w, &mut out)?;
        Ok(out)
    }

    /// `lower` into `out` (cleared first). A capital sigma and a dotted capital I are
    /// lowered as Python lowers them; a word with any other character whose lower case is not
    /// one character is `Defer`.
    fn lower_into(&self, w: &[u32], out: &mut String) -> Outcome<()> {
        out.clear();
        for (i, &c) in w.iter().enumerate() {
            let l = if c < 0x80 {
                (c as u8).to_ascii_lowercase() as u32
            } else if self.has(c, DEFER_LOWER) {
                match c {
                    CAPITAL_SIGMA if self.final_sigma(w, i) => 0x3C2,
                    CAPITAL_SIGMA => 0x3C3,
                    DOTTED_CAPITAL_I => {
                        out.push('i');
                        0x307
                    }
                    _ => return Err(Defer),
                }
            } else {
                self.lower.get(&c).copied().unwrap_or(c)
            };
            out.push(char::from_u32(l).ok_or(Defer)?);
        }
        Ok(())
    }

    /// Whether the capital sigma at `w[i]` lowers to a final sigma (CPython's
    /// `handle_capital_sigma`): a cased character before it and none after it, case-ignorable
    /// ones skipped, within the word.
    fn final_sigma(&self, w: &[u32], i: usize) -> bool {
        let before = w[..i].iter().rev().find(|&&c| !self.has(c, IGNORABLE));
        if !before.is_some_and(|&c| self.has(c, CASED)) {
            return false;
        }
        let after = w[i + 1..].iter().find(|&&c| !self.has(c, IGNORABLE));
        !after.is_some_and(|&c| self.has(c, CASED))
    }

    /// Whether a part of `low` between hyphens is in the lists of `bits` (`any(part in ...
    /// for part in low.split("-"))`).
    fn part_in(&self, low: &[u8], bits: u16) -> bool {
        low.split(|&b| b == b'-')
            .any(|p| is(self.kinds.mask_of(p), bits))
    }

    /// `str.isupper()` of a word.
    fn is_upper(&self, w: &[u32]) -> bool {
        let mut cased = false;
        for &c in w {
            if self.has(c, NOT_UPPER) {
                return false;
            }
            cased |= self.has(c, UPPER);
        }
        cased
    }

    /// A possessive run of `[^\W\d_]` from `i`, at most `max` long, below `limit`.
    #[inline]
    fn letters(&self, t: &[u32], i: usize, max: usize, limit: usize) -> usize {
        let mut k = 0;
        while k < max && i + k < limit && self.letter(t[i + k]) {
            k += 1;
        }
        k
    }

    /// `_WORD` at `i` (`[^\W\d_]{2,20}+(?:[-_][^\W\d_]{2,20}+)?+`): its end.
    fn word_at(&self, t: &[u32], i: usize, limit: usize) -> Option<usize> {
        let k = self.letters(t, i, 20, limit);
        if k < 2 {
            return None;
        }
        Some(self.joined(t, i + k, limit))
    }

    /// The optional `(?:[-_][^\W\d_]{2,20}+)?+` at `r`: where it ends (`r` when absent).
    fn joined(&self, t: &[u32], r: usize, limit: usize) -> usize {
        if r < limit && (t[r] == HYPHEN || t[r] == UNDERSCORE) {
            let k = self.letters(t, r + 1, 20, limit);
            if k >= 2 {
                return r + 1 + k;
            }
        }
        r
    }

    /// The marks of a text (see `MARK_CAPITAL`).
    pub fn marks(&self, t: &[u32]) -> Vec<u8> {
        marks_of(t, self.first_decimal)
    }

    /// Every `_WORD_RE` match (`[A-ZÀ-ÖØ-Þ][^\W\d_]{1,19}+(?:[-_][^\W\d_]{2,20}+)?+`), in
    /// `finditer` order (`marks`: the text's).
    fn capitalised(&self, t: &[u32], marks: &[u8], mut each: impl FnMut(usize, usize)) {
        let n = t.len();
        let mut p = 0;
        loop {
            p = next_marked(marks, p, MARK_CAPITAL);
            if p >= n {
                break;
            }
            let k = self.letters(t, p + 1, 19, n);
            if k >= 1 {
                let e = self.joined(t, p + 1 + k, n);
                each(p, e);
                p = e;
                continue;
            }
            p += 1;
        }
    }

    /// `_positional`'s loop over Capitalised words: the rows Python must look at (a given
    /// name, or any word with a cue, or a word to `DEFER`), in text order.
    pub fn word_hits(&self, t: &[u32], marks: &[u8]) -> Vec<WordHit> {
        let mut hits = Vec::new();
        let mut spill = String::new();
        self.capitalised(t, marks, |start, end| {
            match self.word_hit(t, start, end, &mut spill) {
                Ok(Some((kind, cue))) if kind == KNOWN || cue != 0 => hits.push(WordHit {
                    start,
                    end,
                    kind,
                    cue,
                }),
                Ok(_) => {}
                Err(Defer) => hits.push(WordHit {
                    start,
                    end,
                    kind: DEFER,
                    cue: 0,
                }),
            }
        });
        hits
    }

    /// `NameExtractor._word_hit`: (kind, cue id) of the word at [start, end), or None
    /// (`spill`: a buffer for a lower case `low` does not keep on the stack). The token checks
    /// come before the table look-up here: both only reject, so the order changes nothing but
    /// the cost.
    fn word_hit(
        &self,
        t: &[u32],
        start: usize,
        end: usize,
        spill: &mut String,
    ) -> Outcome<Option<(u8, u8)>> {
        let n = t.len();
        let word = &t[start..end];
        if start > 0 {
            let c = t[start - 1];
            let dash2 = start >= 2 && t[start - 2] == HYPHEN && c == HYPHEN;
            if (self.alnum(c) || one_of(c, "_'\u{2019}-")) && !dash2 {
                return Ok(None); // inside a token
            }
        }
        if end < n {
            let c = t[end];
            let dash2 = c == HYPHEN && end + 1 < n && t[end + 1] == HYPHEN;
            if self.alnum(c) || c == UNDERSCORE || (c == HYPHEN && !dash2) {
                return Ok(None); // part of a longer word or a compound
            }
        }
        let mut ascii = [0u8; ASCII_WORD];
        let (low, mask) = self.low_mask(word, &mut ascii, spill)?;
        let kind = kind_of(mask, UNKNOWN);
        if kind == STOP || kind == AMBIGUOUS {
            return Ok(None);
        }
        let cue = if kind == KNOWN {
            self.known_context(t, start, end)?
        } else {
            self.unknown_context(t, word, low, start, end)?
        };
        Ok(Some((kind, cue)))
    }

    /// `_known_context`.
    fn known_context(&self, t: &[u32], start: usize, end: usize) -> Outcome<u8> {
        let n = t.len();
        if self.at_line_start(t, start) && self.line_end_ok(t, end) {
            return Ok(LINE_START);
        }
        if self.age_after(t, end) || self.suffix_after(t, end) {
            return Ok(BEFORE_AGE);
        }
        let before = self.frame_before(t, start);
        if before && self.frame_after(t, end) {
            return Ok(FRAMED);
        }
        if self.tail(t, end) {
            return Ok(LAST_WORD);
        }
        if before && (end >= n || !(self.alnum(t[end]) || one_of(t[end], "_'\u{2019}-"))) {
            return Ok(SEGMENT_START);
        }
        if self.surname_before_suffix(t, end)? {
            return Ok(BEFORE_AGE);
        }
        Ok(0)
    }

    /// `_unknown_context` (`low` is the word in lower case).
    fn unknown_context(
        &self,
        t: &[u32],
        word: &[u32],
        low: &[u8],
        start: usize,
        end: usize,
    ) -> Outcome<u8> {
        if word.contains(&HYPHEN) && self.part_in(low, WORDS) {
            return Ok(0);
        }
        let upper = self.is_upper(word);
        if upper {
            if word.len() < 4 || !latin_word(word) {
                return Ok(0);
            }
        } else if !self.unknown_name(word) {
            return Ok(0);
        }
        let cut = self.cut_before(t, start);
        if cut
            && !upper
            && self.at_line_start(t, start)
            && self.line_end_ok(t, end)
            && title_word(word)
            && self.cut_after(t, end)
        {
            return Ok(LINE_START);
        }
        if self.age_after(t, end) && (cut || self.after_word(t, start)?) {
            return Ok(BEFORE_AGE);
        }
        if cut && !upper && (self.suffix_after(t, end) || self.surname_before_suffix(t, end)?) {
            return Ok(BEFORE_AGE);
        }
        Ok(0)
    }

    /// `_unknown_name`.
    fn unknown_name(&self, w: &[u32]) -> bool {
        w.len() >= 3
            && self.has(w[0], UPPER)
            && !self.is_upper(w)
            && latin_word(w)
            && w.windows(2)
                .filter(|p| latin_small(p[0]) && latin_capital(p[1]))
                .count()
                < 2
    }

    /// `_at_line_start`.
    fn at_line_start(&self, t: &[u32], start: usize) -> bool {
        let lo = start.saturating_sub(13);
        let prefix = &t[lo..start];
        let rest = match prefix.iter().rposition(|&c| c == NL || c == FF) {
            Some(cut) => &prefix[cut + 1..],
            None if lo > 0 => return false,
            None => prefix,
        };
        rest.len() <= 12 && !rest.iter().any(|&c| self.word(c))
    }

    /// `_LINE_END_OK.match(text, end)`: `['’]s\b|[^\w'’]|\Z`.
    fn line_end_ok(&self, t: &[u32], end: usize) -> bool {
        let n = t.len();
        if end >= n {
            return true;
        }
        let c = t[end];
        if (c == APOS || c == RSQUO)
            && t.get(end + 1) == Some(&('s' as u32))
            && (end + 2 >= n || !self.word(t[end + 2]))
        {
            return true;
        }
        !self.word(c) && c != APOS && c != RSQUO
    }

    /// `(?:1[89]|[2-<hi>]\d)` at `i`: its end.
    fn age_digits(&self, t: &[u32], i: usize, hi: u8) -> Option<usize> {
        let (a, b) = (*t.get(i)?, *t.get(i + 1)?);
        let ok = (a == '1' as u32 && (b == '8' as u32 || b == '9' as u32))
            || ((u32::from(b'2')..=u32::from(hi)).contains(&a) && self.decimal(b));
        ok.then_some(i + 2)
    }

    /// A possessive run of `[^\w\n\f]` from `i`, at most `max` long: its end.
    fn symbols(&self, t: &[u32], i: usize, max: usize) -> usize {
        let mut k = i;
        while k - i < max && k < t.len() && !self.word(t[k]) && t[k] != NL && t[k] != FF {
            k += 1;
        }
        k
    }

    fn blanks(t: &[u32], mut i: usize) -> usize {
        while i < t.len() && blank(t[i]) {
            i += 1;
        }
        i
    }

    /// Python's `\b` at `i`.
    fn boundary(&self, t: &[u32], i: usize) -> bool {
        let before = i > 0 && self.word(t[i - 1]);
        let after = i < t.len() && self.word(t[i]);
        before != after
    }

    /// `_AGE_AFTER.match(text, end)`.
    fn age_after(&self, t: &[u32], end: usize) -> bool {
        let q = self.symbols(t, end, 6);
        if q == end {
            return false;
        }
        let Some(q) = self.age_digits(t, q, b'5') else {
            return false;
        };
        let q = Self::blanks(t, q);
        if self.ci(t, q, b'y') {
            // y/?[o0]
            let r = if t.get(q + 1) == Some(&('/' as u32)) {
                q + 2
            } else {
                q + 1
            };
            if self.ci(t, r, b'o') || t.get(r) == Some(&('0' as u32)) {
                return true;
            }
            // yo\b
            if self.ci(t, q + 1, b'o') && self.boundary(t, q + 2) {
                return true;
            }
            // yrs?\b
            if self.ci(t, q + 1, b'r')
                && ((self.ci(t, q + 2, b's') && self.boundary(t, q + 3)) || self.boundary(t, q + 2))
            {
                return true;
            }
            if self.ci_lit(t, q, "years").is_some() {
                return true;
            }
        }
        // (?<=[ ,])[ ,]*+[2-5]\d[a-h]{1,4}[-/]
        if q == 0 || !(t[q - 1] == SP || t[q - 1] == ',' as u32) {
            return false;
        }
        let mut r = q;
        while r < t.len() && (t[r] == SP || t[r] == ',' as u32) {
            r += 1;
        }
        let Some(&a) = t.get(r) else { return false };
        if !(u32::from(b'2')..=u32::from(b'5')).contains(&a)
            || !t.get(r + 1).is_some_and(|&b| self.decimal(b))
        {
            return false;
        }
        let r = r + 2;
        let mut k = 0;
        while k < 5
            && t.get(r + k)
                .is_some_and(|&c| (b'a'..=b'h').contains(&self.tables.fold(c)))
        {
            k += 1;
        }
        (1..=4).contains(&k)
            && t.get(r + k)
                .is_some_and(|&c| c == '-' as u32 || c == '/' as u32)
    }

    /// `_SUFFIX_AFTER.match(text, end)`.
    fn suffix_after(&self, t: &[u32], end: usize) -> bool {
        self.suffix_dash(t, end) || self.suffix_age(t, end) || self.suffix_poster(t, end)
    }

    /// `[ \t]++-[ \t]++(?:1[89]|[2-6]\d)(?![\w.,:/'\"’”-]|[ \t]*+(?i:y\b|yo|yrs?|years?|mins?
    /// |hrs?|am|pm))`
    fn suffix_dash(&self, t: &[u32], end: usize) -> bool {
        let q = Self::blanks(t, end);
        if q == end || t.get(q) != Some(&HYPHEN) {
            return false;
        }
        let r = Self::blanks(t, q + 1);
        if r == q + 1 {
            return false;
        }
        let Some(r) = self.age_digits(t, r, b'6') else {
            return false;
        };
        if let Some(&c) = t.get(r) {
            if self.word(c) || one_of(c, ".,:/'\"\u{2019}\u{201d}-") {
                return false;
            }
        }
        let s = Self::blanks(t, r);
        let unit = (self.ci(t, s, b'y') && !t.get(s + 1).is_some_and(|&c| self.word(c)))
            || ["yo", "yr", "year", "min", "hr", "am", "pm"]
                .iter()
                .any(|u| self.ci_lit(t, s, u).is_some());
        !unit
    }

    /// `[^\w\n\f]{1,4}+(?i:age)[ \t]*+[:=-]?[ \t]*+(?:1[89]|[2-6]\d)(?!\d)`
    fn suffix_age(&self, t: &[u32], end: usize) -> bool {
        let q = self.symbols(t, end, 4);
        if q == end {
            return false;
        }
        let Some(q) = self.ci_lit(t, q, "age") else {
            return false;
        };
        let mut q = Self::blanks(t, q);
        if t.get(q).is_some_and(|&c| one_of(c, ":=-")) {
            q = Self::blanks(t, q + 1);
        }
        self.age_digits(t, q, b'6')
            .is_some_and(|r| !t.get(r).is_some_and(|&c| self.decimal(c)))
    }

    /// `[ \t]*+\n?[ \t]*+(?i:poster['’]s[ \t]+age)[ \t]*+:[ \t]*+(?:1[89]|[2-6]\d)(?!\d)`
    fn suffix_poster(&self, t: &[u32], end: usize) -> bool {
        let mut q = Self::blanks(t, end);
        if t.get(q) == Some(&NL) {
            q += 1;
        }
        let q = Self::blanks(t, q);
        let Some(q) = self.ci_lit(t, q, "poster") else {
            return false;
        };
        if !t.get(q).is_some_and(|&c| c == APOS || c == RSQUO) || !self.ci(t, q + 1, b's') {
            return false;
        }
        let r = Self::blanks(t, q + 2);
        if r == q + 2 {
            return false;
        }
        let Some(r) = self.ci_lit(t, r, "age") else {
            return false;
        };
        let r = Self::blanks(t, r);
        if t.get(r) != Some(&(':' as u32)) {
            return false;
        }
        let r = Self::blanks(t, r + 1);
        self.age_digits(t, r, b'6')
            .is_some_and(|e| !t.get(e).is_some_and(|&c| self.decimal(c)))
    }

    /// `_frame_before`.
    fn frame_before(&self, t: &[u32], start: usize) -> bool {
        if start >= 2 && blank(t[start - 1]) && blank(t[start - 2]) {
            return true;
        }
        let mut k = start;
        while k > 0 && blank(t[k - 1]) {
            k -= 1;
        }
        if k == 0 {
            return true;
        }
        let c = t[k - 1];
        if c == NL || (k >= 2 && t[k - 2] == HYPHEN && c == HYPHEN) {
            return true;
        }
        !(self.alnum(c) || self.tables.flag(c, SPACE) || one_of(c, "_,.'\u{2019}-"))
    }

    /// `_FRAME_AFTER.match(text, end)`: `[ \t]*+(?:[^\w\s,.'’\-]|--|\n|\Z)`.
    fn frame_after(&self, t: &[u32], end: usize) -> bool {
        let q = Self::blanks(t, end);
        let Some(&c) = t.get(q) else { return true };
        (!self.word(c) && !self.tables.flag(c, SPACE) && !one_of(c, ",.'\u{2019}-"))
            || (c == HYPHEN && t.get(q + 1) == Some(&HYPHEN))
            || c == NL
    }

    /// `_TAIL.match(text, end)`: `[^\w\f]*+(?:\f|\Z)`.
    fn tail(&self, t: &[u32], end: usize) -> bool {
        let mut q = end;
        while q < t.len() && !self.word(t[q]) && t[q] != FF {
            q += 1;
        }
        q == t.len() || t[q] == FF
    }

    /// `_NEXT_WORD.match(text, end)`: `[ \t]++(?P<word>_WORD)(?![\w'’])`, the word's bounds.
    fn next_word(&self, t: &[u32], end: usize) -> Option<(usize, usize)> {
        let q = Self::blanks(t, end);
        if q == end {
            return None;
        }
        let e = self.word_at(t, q, t.len())?;
        if t.get(e)
            .is_some_and(|&c| self.word(c) || c == APOS || c == RSQUO)
        {
            return None;
        }
        Some((q, e))
    }

    /// `_surname_before_suffix`.
    fn surname_before_suffix(&self, t: &[u32], end: usize) -> Outcome<bool> {
        let Some((s, e)) = self.next_word(t, end) else {
            return Ok(false);
        };
        if !self.suffix_after(t, e) {
            return Ok(false);
        }
        if !self.has(t[s], UPPER) {
            return Ok(false);
        }
        let m = self.mask(&t[s..e])?;
        Ok(is(m, SURNAMES) && !is(m, DESCRIPTIVE) && !is(m, PLACES))
    }

    /// `_after_word`: `_PREVIOUS_WORD.search(text, max(0, start - 24), start)`
    /// (`(?P<word>_WORD)[ \t]++$`), and its word an everyday or stop word.
    fn after_word(&self, t: &[u32], start: usize) -> Outcome<bool> {
        for p in start.saturating_sub(24)..start {
            let Some(e) = self.word_at(t, p, start) else {
                continue;
            };
            let b = Self::blanks(&t[..start], e);
            // `$`: the end, or before a final newline
            if b == e || !(b == start || (b + 1 == start && t[b] == NL)) {
                continue;
            }
            let m = self.mask(&t[p..e])?;
            return Ok(is(m, WORDS) || is(m, STOP_BIT));
        }
        Ok(false)
    }

    /// `_cut_before`.
    fn cut_before(&self, t: &[u32], i: usize) -> bool {
        if i == 0 {
            return true;
        }
        let c = t[i - 1];
        if c == NL || c == FF {
            return true;
        }
        if blank(c) {
            return i >= 2 && {
                let d = t[i - 2];
                one_of(d, " \t\n\x0c") || !(self.alnum(d) || one_of(d, ",'\u{2019}"))
            };
        }
        !(self.alnum(c) || one_of(c, ",'\u{2019}_"))
    }

    /// `_cut_after`.
    fn cut_after(&self, t: &[u32], j: usize) -> bool {
        let Some(&c) = t.get(j) else { return true };
        if c == NL || c == FF {
            return true;
        }
        if blank(c) {
            return t.get(j + 1).is_none_or(|&d| {
                one_of(d, " \t\n\x0c") || !(self.alnum(d) || one_of(d, "'\u{2019}"))
            });
        }
        !(self.alnum(c) || one_of(c, "'\u{2019}_"))
    }

    /// The words beside each phone-number run, in `_positional`'s order: (start, end, before)
    /// for `_NAME_BEFORE` (searched in the 40 characters before the run) and `_NAME_AFTER`.
    pub fn phone_neighbours(&self, t: &[u32], marks: &[u8]) -> Vec<(usize, usize, bool)> {
        let mut out = Vec::new();
        for (p, end) in self.phone_runs(t, marks) {
            if let Some((s, e)) = self.name_before(t, p) {
                out.push((s, e, true));
            }
            if let Some((s, e)) = self.name_after(t, end) {
                out.push((s, e, false));
            }
        }
        out
    }

    /// A possessive run of `[^\w\f]` from `i` below `limit`, at most `max` long: its end.
    fn gap(&self, t: &[u32], i: usize, max: usize, limit: usize) -> usize {
        let mut k = i;
        while k - i < max && k < limit && !self.word(t[k]) && t[k] != FF {
            k += 1;
        }
        k
    }

    /// `_NAME_BEFORE.search(text, max(0, p - 40), p)`:
    /// `(?<![\w'’])(?P<name>_WORD)[^\w\f]{0,8}+$`, the name's bounds. A match's gap (then
    /// `$`, or a last line break) is the whole run of `[^\w\f]` before `p` and its name ends
    /// with a letter, so the name ends where that run starts (`end`) and is the letters before
    /// it, with at most one `-` or `_` inside: only the start of its first part and of its
    /// last can match, tried in that order as the search tries every start. Why: the search
    /// tried every start of the 40 characters before each phone run.
    fn name_before(&self, t: &[u32], p: usize) -> Option<(usize, usize)> {
        let mut end = p;
        while end > 0 && p - end < 10 && !self.word(t[end - 1]) && t[end - 1] != FF {
            end -= 1;
        }
        if !(p - end <= 8 || (p - end == 9 && t[p - 1] == NL)) {
            return None;
        }
        let lo = p.saturating_sub(40);
        self.word_starts(t, end)?
            .into_iter()
            .flatten()
            .filter(|&s| s >= lo)
            .find_map(|s| self.name_before_at(t, s, p))
    }

    /// Where a `_WORD` ending at `end` can start: the leftmost start of its first part (when
    /// a `-` or `_` comes before the letters ending at `end`) and of its last part, each at
    /// most 20 letters back (a start further back takes 20 letters and stops short); None
    /// when no letter ends at `end`.
    fn word_starts(&self, t: &[u32], end: usize) -> Option<[Option<usize>; 2]> {
        let letters_from = |e: usize| {
            let mut a = e;
            while a > 0 && e - a < 20 && self.letter(t[a - 1]) {
                a -= 1;
            }
            a
        };
        let last = letters_from(end);
        if last == end {
            return None;
        }
        let first = (last > 0 && (t[last - 1] == HYPHEN || t[last - 1] == UNDERSCORE))
            .then(|| letters_from(last - 1));
        Some([first, Some(last)])
    }

    /// `_NAME_BEFORE` tried at `s` alone (see `name_before`).
    fn name_before_at(&self, t: &[u32], s: usize, p: usize) -> Option<(usize, usize)> {
        if s > 0 && (self.word(t[s - 1]) || t[s - 1] == APOS || t[s - 1] == RSQUO) {
            return None;
        }
        let e = self.word_at(t, s, p)?;
        let g = self.gap(t, e, 8, p);
        (g == p || (g + 1 == p && t[g] == NL)).then_some((s, e))
    }

    /// `_NAME_AFTER.match(text, end)`: `[^\w\f]{0,8}+(?P<name>_WORD)(?![\w'’])`.
    fn name_after(&self, t: &[u32], end: usize) -> Option<(usize, usize)> {
        let s = self.gap(t, end, 8, t.len());
        let e = self.word_at(t, s, t.len())?;
        if t.get(e)
            .is_some_and(|&c| self.word(c) || c == APOS || c == RSQUO)
        {
            return None;
        }
        Some((s, e))
    }

    /// `_CARD.finditer(text)`, the names' bounds: `[\"“”][ \t]*+(?P<name>[^\W\d_]{2,20}+)
    /// [ \t]*+[\"“”][^\w\n\f]{0,4}+(?i:age)[ \t]*+[:=-]?[ \t]*+(?:1[89]|[2-6]\d)(?!\d)`.
    pub fn cards(&self, t: &[u32], marks: &[u8]) -> Vec<(usize, usize)> {
        let quote = |c: u32| (c == u32::from(b'"')) | (c.wrapping_sub(0x201C) < 2);
        let mut out = Vec::new();
        let mut q = 0;
        loop {
            q = next_marked(marks, q, MARK_QUOTE);
            if q >= t.len() {
                break;
            }
            match self.card_at(t, q, quote) {
                Some((s, e, end)) => {
                    out.push((s, e));
                    q = end;
                }
                None => q += 1,
            }
        }
        out
    }

    fn card_at(
        &self,
        t: &[u32],
        q: usize,
        quote: impl Fn(u32) -> bool,
    ) -> Option<(usize, usize, usize)> {
        if !quote(t[q]) {
            return None;
        }
        let s = Self::blanks(t, q + 1);
        let k = self.letters(t, s, 20, t.len());
        if k < 2 {
            return None;
        }
        let e = s + k;
        let r = Self::blanks(t, e);
        if !t.get(r).is_some_and(|&c| quote(c)) {
            return None;
        }
        let r = self.symbols(t, r + 1, 4);
        let r = self.ci_lit(t, r, "age")?;
        let mut r = Self::blanks(t, r);
        if t.get(r).is_some_and(|&c| one_of(c, ":=-")) {
            r = Self::blanks(t, r + 1);
        }
        let end = self.age_digits(t, r, b'6')?;
        if t.get(end).is_some_and(|&c| self.decimal(c)) {
            return None;
        }
        Some((s, e, end))
    }

    /// `_PHONE_RUN.finditer(text)` (`\d(?:[^\w\n\f]{0,3}+\d){6,11}+(?!\d)`), less the runs
    /// right after a digit (`str.isdigit`): (start, end).
    fn phone_runs(&self, t: &[u32], marks: &[u8]) -> Vec<(usize, usize)> {
        let n = t.len();
        let mut out = Vec::new();
        let mut p = 0;
        loop {
            p = next_marked(marks, p, MARK_DIGIT);
            if p >= n {
                break;
            }
            if self.decimal(t[p]) {
                let mut q = p + 1;
                let mut reps = 0;
                while reps < 11 {
                    let s = self.symbols(t, q, 3);
                    if s < n && self.decimal(t[s]) {
                        q = s + 1;
                        reps += 1;
                    } else {
                        break;
                    }
                }
                if reps >= 6 && !(q < n && self.decimal(t[q])) {
                    if !(p > 0 && self.has(t[p - 1], DIGIT)) {
                        out.push((p, q));
                    }
                    p = q;
                    continue;
                }
                if reps < 6 {
                    // the chain of digits broke at `q` too soon: from each later digit before
                    // `q` (each ends a link of it) it breaks there too, sooner
                    p = q;
                    continue;
                }
            }
            p += 1;
        }
        out
    }
}

/// `_LATIN.fullmatch(word)` for a word `_WORD_RE` found (letters, at most one `-` or `_`).
fn latin_word(w: &[u32]) -> bool {
    w.iter()
        .all(|&c| latin(c) || c == HYPHEN || c == UNDERSCORE)
        && w.first().is_some_and(|&c| latin(c))
        && w.last().is_some_and(|&c| latin(c))
}

/// `_TITLE_WORD.fullmatch(word)`: `[A-ZÀ-Ö][a-zß-öø-ÿ]+(?:[A-ZÀ-Ö][a-zß-öø-ÿ]+)?`.
fn title_word(w: &[u32]) -> bool {
    let cap = |c: u32| (0x41..=0x5A).contains(&c) || (0xC0..=0xD6).contains(&c);
    let mut i = 0;
    for part in 0..2 {
        if i == w.len() && part == 1 {
            return true;
        }
        if !w.get(i).is_some_and(|&c| cap(c)) {
            return false;
        }
        i += 1;
        let from = i;
        while i < w.len() && latin_small(w[i]) {
            i += 1;
        }
        if i == from {
            return false;
        }
    }
    i == w.len()
}

/// The names extractor's per-word scan, compiled once; `scan_batch` runs it on a batch.
#[pyclass(frozen, module = "amberline._core", name = "NameScanner")]
pub struct PyNameScanner {
    scanner: NameScanner,
    /// the cue forms' triggers (`use_triggers`); without them every position is tried
    triggers: OnceLock<Py<TriggerAutomaton>>,
}

/// Word rows (text index, start, end, kind, cue id), phone-neighbour rows (text index, start,
/// end, before), card rows (text index, start, end), and the texts that panicked.
type ScanRows = (Vec<i64>, Vec<i64>, Vec<i64>, crate::TextErrors);

/// Run `scan` on each text of a batch, a panic caught per text (and `Tables::panic_on`
/// honoured): `keep` gets each text's index and result; the texts that panicked are returned.
fn each_text<T>(
    scanner: &NameScanner,
    chars: &[u32],
    bounds: &[usize],
    scan: impl Fn(usize, &[u32]) -> T,
    mut keep: impl FnMut(usize, T),
) -> crate::TextErrors {
    let mut errors = Vec::new();
    for (index, w) in bounds.windows(2).enumerate() {
        let text = &chars[w[0]..w[1]];
        let run = || {
            if let Some(c) = scanner.tables.panic_on {
                assert!(!text.contains(&c), "test panic on {c:#x}");
            }
            scan(index, text)
        };
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(result) => keep(index, result),
            Err(payload) => errors.push((index, crate::panic_message(payload.as_ref()))),
        }
    }
    errors
}

fn scan_all(scanner: &NameScanner, chars: &[u32], bounds: &[usize]) -> ScanRows {
    let (mut words, mut phones, mut cards) = (Vec::new(), Vec::new(), Vec::new());
    let scan = |_, text: &[u32]| {
        let marks = scanner.marks(text);
        (
            scanner.word_hits(text, &marks),
            scanner.phone_neighbours(text, &marks),
            scanner.cards(text, &marks),
        )
    };
    let errors = each_text(
        scanner,
        chars,
        bounds,
        scan,
        |index, (hits, near, found)| {
            let i = index as i64;
            for h in hits {
                let row = [
                    h.start as i64,
                    h.end as i64,
                    i64::from(h.kind),
                    i64::from(h.cue),
                ];
                words.push(i);
                words.extend(row);
            }
            for (s, e, before) in near {
                phones.extend([i, s as i64, e as i64, i64::from(before)]);
            }
            for (s, e) in found {
                cards.extend([i, s as i64, e as i64]);
            }
        },
    );
    (words, phones, cards, errors)
}

/// Positional rows (text index, start, end, cue id, confidence code), the texts left to
/// Python (`Defer`), and the texts that panicked.
type PositionalRows = (Vec<i64>, Vec<usize>, crate::TextErrors);

fn positional_all(
    scanner: &NameScanner,
    chars: &[u32],
    bounds: &[usize],
    taken: &[Vec<i64>],
) -> PositionalRows {
    let (mut rows, mut deferred) = (Vec::new(), Vec::new());
    let scan = |index: usize, text: &[u32]| {
        let mut seen: HashSet<usize> = taken
            .get(index)
            .into_iter()
            .flatten()
            .filter_map(|&s| usize::try_from(s).ok())
            .collect();
        scanner.positional(text, &mut seen)
    };
    let errors = each_text(scanner, chars, bounds, scan, |index, result| match result {
        Ok(found) => {
            for f in found {
                let row = [f.start as i64, f.end as i64, i64::from(f.cue)];
                rows.push(index as i64);
                rows.extend(row);
                rows.push(i64::from(f.confidence));
            }
        }
        Err(Defer) => deferred.push(index),
    });
    (rows, deferred, errors)
}

/// How many form feeds `t` holds: counted in 16 lanes, summed once at the end (a pass that
/// vectorises with no early exit and no sum per block; it covers most of a joined batch).
fn form_feeds(t: &[u32]) -> usize {
    let mut lanes = [0u32; 16];
    let mut blocks = t.chunks_exact(16);
    for block in &mut blocks {
        for (lane, &c) in lanes.iter_mut().zip(block) {
            *lane += u32::from(c == FF);
        }
    }
    let rest = blocks.remainder().iter().filter(|&&c| c == FF).count();
    lanes.iter().map(|&n| n as usize).sum::<usize>() + rest
}

/// Columns of a row of `extract_batch`.
const EXTRACT_COLUMNS: usize = 9;

fn extract_all(
    scanner: &NameScanner,
    chars: &[u32],
    bounds: &[usize],
    triggers: Option<&TriggerAutomaton>,
    shared: Option<(&BatchStarts, usize)>,
) -> PositionalRows {
    let (mut rows, mut deferred) = (Vec::new(), Vec::new());
    let scan = |index, text: &[u32]| {
        // (the batch's shared scan where it gives this text's starts, else our own)
        let own;
        let starts = match shared.and_then(|(s, group)| s.group(index, group).ok().flatten()) {
            Some(starts) => Some(starts),
            None => {
                own = triggers.and_then(|tr| tr.starts(text));
                own.as_deref()
            }
        };
        let mut found = scanner.extract(text, starts)?;
        found.sort_by_key(|f| f.found.start); // stable, as the reference sorts its spans
        let (mut segment, mut counted) = (0, 0);
        let rows: Vec<[i64; EXTRACT_COLUMNS - 1]> = found
            .into_iter()
            .map(|f| {
                let n = f.found;
                // the form feeds before the name: which ad of a joined batch it is in
                segment += form_feeds(&text[counted..n.start]);
                counted = n.start;
                let plain = !text[n.start..n.end]
                    .iter()
                    .any(|&c| c == HYPHEN || scanner.tables.flag(c, SPACE));
                [
                    n.start,
                    n.end,
                    usize::from(n.cue),
                    usize::from(n.confidence),
                    f.cue_start,
                    f.cue_end,
                    segment,
                    usize::from(plain),
                ]
                .map(|v| v as i64)
            })
            .collect();
        Ok(rows)
    };
    let errors = each_text(scanner, chars, bounds, scan, |index, result| match result {
        Ok(found) => {
            for row in found {
                rows.push(index as i64);
                rows.extend(row);
            }
        }
        Err(Defer) => deferred.push(index),
    });
    (rows, deferred, errors)
}

#[pymethods]
impl PyNameScanner {
    /// `flags`, `fold`: Python's character tables (`text/native.py`); `upper`, `not_upper`,
    /// `digits`, `defer`: code points where `c.isupper()`, where `(c + "A").isupper()` is
    /// false (lower or title case), where `c.isdigit()`, and where `c.lower()` is not one
    /// context-free character; `lower`: (code point, lower case) pairs; `table`: the
    /// extractor's word table.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (flags, fold, upper, not_upper, digits, defer, ignorable, cased, lower,
                        table, panic_on=None))]
    fn new(
        flags: &[u8],
        fold: Vec<(u32, u8)>,
        upper: Vec<u32>,
        not_upper: Vec<u32>,
        digits: Vec<u32>,
        defer: Vec<u32>,
        ignorable: Vec<u32>,
        cased: Vec<u32>,
        lower: Vec<(u32, u32)>,
        table: PyRef<'_, PyWordTable>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let tables = Tables::new(
            flags,
            HashMap::new(),
            HashMap::new(),
            fold.into_iter().collect(),
            panic_on,
        )
        .map_err(PyValueError::new_err)?;
        let spec = NameSpec {
            upper,
            not_upper,
            digits,
            defer,
            ignorable,
            cased,
            lower,
            table: Arc::clone(&table.0),
        };
        Ok(PyNameScanner {
            scanner: NameScanner::new(tables, spec).map_err(PyValueError::new_err)?,
            triggers: OnceLock::new(),
        })
    }

    /// Scan a batch (`data`, `bounds` as for `Normaliser.normalise_batch`).
    ///
    /// Returns (words, phones, cards, errors): rows of five int64 (text index, start, end,
    /// kind, cue id: see `CUES`; kind 255 for a word Python must decide itself); rows of four
    /// int64 (text index, start, end, 1 before / 0 after) for the words beside phone-number
    /// runs; rows of three int64 (text index, start, end) for the names of profile cards;
    /// and (text index, message) for the texts the core panicked on, which have no rows.
    #[allow(clippy::type_complexity)]
    fn scan_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
    ) -> PyResult<(
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        crate::TextErrors,
    )> {
        let (chars, offsets) = crate::batch_view(data, &bounds)?;
        let scanner = &self.scanner;
        let (words, phones, cards, errors) = py.detach(|| scan_all(scanner, &chars, &offsets));
        Ok((
            crate::le_column(py, &words)?,
            crate::le_column(py, &phones)?,
            crate::le_column(py, &cards)?,
            errors,
        ))
    }

    /// The cue forms' trigger sets (`names._core_triggers`: the cues', "here"'s, the title
    /// forms') as their whole DFA (`_native.trigger_automaton`: no state is built while the
    /// first texts are scanned), set once: `extract_batch` then tries the cue forms only
    /// where they start.
    fn use_triggers(&self, triggers: Py<TriggerAutomaton>) -> PyResult<()> {
        if triggers.get().sets() != TRIGGER_SETS {
            return Err(PyValueError::new_err("expected 3 trigger sets"));
        }
        self.triggers
            .set(triggers)
            .map_err(|_| PyValueError::new_err("the triggers are set already"))
    }

    /// `NameExtractor.extract` on a batch (`data`, `bounds` as for `scan_batch`), tried where
    /// the triggers start (`use_triggers`; everywhere with `whole`, or without triggers).
    ///
    /// Returns (rows, deferred, errors): rows of nine int64 (text index, start, end, cue id
    /// of `CUES`, confidence code: 0.5, 0.6, 0.7, 0.9; the bounds of the cue as written for
    /// cue id 13, else 0, 0; how many form feeds come before the name in its text; 1 when
    /// the name holds no hyphen and no white space, else 0), the final bounds of each name,
    /// in the reference's order sorted (stably) by start; the texts Python must run the
    /// reference on, which have no rows; and (text index, message) for the texts the core
    /// panicked on.
    /// `starts`: (the batch's `SharedTriggers.starts_batch`, the names' group there), used
    /// in place of the triggers' own scan (not with `whole`).
    #[pyo3(signature = (data, bounds, whole=false, starts=None))]
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
        whole: bool,
        starts: Option<(PyRef<'py, BatchStarts>, usize)>,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<usize>, crate::TextErrors)> {
        let (chars, offsets) = crate::batch_view(data, &bounds)?;
        let scanner = &self.scanner;
        let triggers = self.triggers.get().filter(|_| !whole).map(Py::get);
        let shared = match &starts {
            Some((s, group)) if triggers.is_some() => {
                s.check(offsets.len().saturating_sub(1), *group, TRIGGER_SETS)?;
                Some((&**s, *group))
            }
            _ => None,
        };
        let (rows, deferred, errors) =
            py.detach(|| extract_all(scanner, &chars, &offsets, triggers, shared));
        Ok((crate::le_column(py, &rows)?, deferred, errors))
    }

    /// `NameExtractor._positional` on a batch (`data`, `bounds` as for `scan_batch`;
    /// `taken`: for each text, the starts its cue forms took).
    ///
    /// Returns (rows, deferred, errors): rows of five int64 (text index, start, end, cue id
    /// of `CUES`, confidence code: 0 for 0.5, 1 for 0.6), the final bounds of each name in
    /// the order found; the texts Python must run the reference on (a word whose lower case
    /// is not computed here), which have no rows; and (text index, message) for the texts
    /// the core panicked on.
    fn positional_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
        taken: Vec<Vec<i64>>,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<usize>, crate::TextErrors)> {
        let (chars, offsets) = crate::batch_view(data, &bounds)?;
        let scanner = &self.scanner;
        let (rows, deferred, errors) =
            py.detach(|| positional_all(scanner, &chars, &offsets, &taken));
        Ok((crate::le_column(py, &rows)?, deferred, errors))
    }
}

/// Cue ids of the names `_positional` adds beyond the word contexts (index into `CUES`).
const BEFORE_PHONE: u8 = 6;
const AFTER_PHONE: u8 = 7;
const LIST: u8 = 8;
/// Confidence codes of a positional row: 0 is 0.5, 1 is 0.6 (beside a phone number).
const CONF_HALF: u8 = 0;
const CONF_PHONE: u8 = 1;

/// One name `_positional` reports: the final span (joined with a surname or a first name),
/// the cue id and the confidence code.
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub cue: u8,
    pub confidence: u8,
}

/// A call of `_positional`'s `add` waiting its turn: (start, end, cue, confidence, whole).
type Pending = (usize, usize, u8, u8, bool);

impl NameScanner {
    /// `NameExtractor._positional`: the names found by position alone, given the starts the
    /// cue forms took (`taken`, grown by every name found). `Defer` when a word's lower case
    /// cannot be computed here: Python then runs the reference on the whole text.
    pub fn positional(&self, t: &[u32], taken: &mut HashSet<usize>) -> Outcome<Vec<Found>> {
        let mut found = Vec::new();
        let marks = self.marks(t);
        let hits = self.word_hits(t, &marks);
        if hits.iter().any(|h| h.kind == DEFER) {
            return Err(Defer);
        }
        for (s, e, before) in self.phone_neighbours(t, &marks) {
            if self.beside_phone(t, s, e, before)? {
                let cue = if before { BEFORE_PHONE } else { AFTER_PHONE };
                self.add(t, (s, e, cue, CONF_PHONE, true), taken, &mut found)?;
            }
        }
        let n = t.len();
        let mut runs: HashSet<usize> = HashSet::new();
        for h in &hits {
            let word = &t[h.start..h.end];
            if h.kind == KNOWN && self.is_upper(word) {
                let lo = h.start.saturating_sub(128);
                let hi = n.min(h.end + 128);
                let mut p = lo;
                while p < hi {
                    let Some(e) = self.caps_run(t, p, hi) else {
                        p += 1;
                        continue;
                    };
                    if p <= h.start && h.start < e && runs.insert(p) {
                        self.caps_list(t, p, e, taken, &mut found)?;
                    }
                    p = e;
                }
            }
            if h.cue != 0 {
                self.add(
                    t,
                    (h.start, h.end, h.cue, CONF_HALF, true),
                    taken,
                    &mut found,
                )?;
            }
        }
        for (s, e) in self.cards(t, &marks) {
            if !is(self.mask(&t[s..e])?, STOP_BIT) {
                self.add(t, (s, e, BEFORE_AGE, CONF_HALF, true), taken, &mut found)?;
            }
        }
        Ok(found)
    }

    /// `_positional`'s `add` with `_list_around`, depth first as the reference recurses
    /// (the next name listed, with its own list, before the one before), without recursion.
    fn add(
        &self,
        t: &[u32],
        first: Pending,
        taken: &mut HashSet<usize>,
        found: &mut Vec<Found>,
    ) -> Outcome<()> {
        let mut stack = vec![first];
        while let Some((start, end, cue, confidence, whole)) = stack.pop() {
            if taken.contains(&start) || end - start < 3 || self.in_address(t, start, end)? {
                continue;
            }
            if !self.unglued(&t[start..end])? || self.business(t, end) {
                continue;
            }
            taken.insert(start);
            let (s, e) = if whole {
                self.full_span(t, start, end)?
            } else {
                (start, end)
            };
            found.push(Found {
                start: s,
                end: e,
                cue,
                confidence,
            });
            // `_list_around`: pushed in reverse, so the next name is taken up first
            if let Some((ps, pe)) = self.list_previous(t, start) {
                if self.listed(&t[ps..pe])? {
                    stack.push((ps, pe, LIST, CONF_HALF, true));
                }
            }
            if let Some((ns, ne)) = self.list_next(t, end) {
                if self.listed(&t[ns..ne])? {
                    stack.push((ns, ne, LIST, CONF_HALF, true));
                }
            }
        }
        Ok(())
    }

    /// `_class`.
    fn class(&self, w: &[u32]) -> Outcome<u8> {
        Ok(kind_of(self.mask(w)?, UNKNOWN))
    }

    /// `_listed`.
    fn listed(&self, w: &[u32]) -> Outcome<bool> {
        Ok(match self.class(w)? {
            KNOWN | AMBIGUOUS => self.has(w[0], UPPER),
            UNKNOWN => self.has(w[0], UPPER) && latin_word(w),
            _ => false,
        })
    }

    /// `_beside_phone` for the word at [start, end).
    fn beside_phone(&self, t: &[u32], start: usize, end: usize, before: bool) -> Outcome<bool> {
        let word = &t[start..end];
        let kind = self.class(word)?;
        if kind == KNOWN {
            return Ok(true);
        }
        if kind == AMBIGUOUS {
            if !self.has(word[0], UPPER) {
                return Ok(false);
            }
            return Ok(if before {
                self.cut_before(t, start)
            } else {
                self.cut_after(t, end)
            });
        }
        if kind != UNKNOWN || !self.unknown_name(word) {
            return Ok(false);
        }
        if before {
            return Ok(self.cut_before(t, start) || self.sign_off(t, start));
        }
        Ok(self.cut_after(t, end))
    }

    /// `_SIGN_OFF.search(text, max(0, start - 40), start)` found something:
    /// `(?i:xoxo|xo|love|kisses|hugs|call|text|txt|contact|ask[ \t]+for)[^\w\f]*+$`.
    fn sign_off(&self, t: &[u32], start: usize) -> bool {
        let h = &t[..start];
        // every character from `q` to the end is in `[^\w\f]` (then `$` holds at the end)
        let mut rest = start;
        while rest > 0 && !self.word(h[rest - 1]) && h[rest - 1] != FF {
            rest -= 1;
        }
        (start.saturating_sub(40)..start).any(|p| {
            let lits = [
                "xoxo", "xo", "love", "kisses", "hugs", "call", "text", "txt", "contact",
            ];
            let ends = lits.iter().filter_map(|l| self.ci_lit(h, p, l));
            let ask = self.ci_lit(h, p, "ask").and_then(|q| {
                let r = Self::blanks(h, q);
                (r > q).then(|| self.ci_lit(h, r, "for")).flatten()
            });
            ends.chain(ask).any(|q| q >= rest)
        })
    }

    /// `_in_address` for the word at [start, end).
    fn in_address(&self, t: &[u32], start: usize, end: usize) -> Outcome<bool> {
        let n = t.len();
        if start > 0 && one_of(t[start - 1], "@#/") {
            return Ok(true);
        }
        if end < n
            && (t[end] == '@' as u32
                || (t[end] == '.' as u32 && end + 1 < n && self.alnum(t[end + 1])))
        {
            return Ok(true);
        }
        if start >= 4 {
            let lows: Vec<Option<u32>> = t[start - 4..start]
                .iter()
                .map(|&c| self.lower_char(c))
                .collect();
            let is = |s: &str| s.chars().zip(&lows).all(|(a, b)| *b == Some(a as u32));
            if is("st. ") || is("ft. ") {
                return Ok(true);
            }
        }
        let word = self.lower(&t[start..end])?;
        if is(self.kinds.mask_of(word.as_bytes()), PLACES) {
            return Ok(true);
        }
        if let Some((s, e)) = self.previous_word(t, start) {
            let key = format!("{} {word}", self.lower(&t[s..e])?);
            if is(self.kinds.mask_of(key.as_bytes()), PLACES) {
                return Ok(true);
            }
        }
        if let Some((s, e)) = self.next_word(t, end) {
            let key = format!("{word} {}", self.lower(&t[s..e])?);
            if is(self.kinds.mask_of(key.as_bytes()), PLACES) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The lower case of one character when it is one character (`None` otherwise).
    fn lower_char(&self, c: u32) -> Option<u32> {
        if c < 0x80 {
            Some(u32::from((c as u8).to_ascii_lowercase()))
        } else if self.has(c, DEFER_LOWER) {
            None
        } else {
            Some(self.lower.get(&c).copied().unwrap_or(c))
        }
    }

    /// `_unglue(word) == word`: false when the word is glued at a capital and one of its
    /// parts is an everyday or stop word that is no given name ("MiaAvailable").
    fn unglued(&self, w: &[u32]) -> Outcome<bool> {
        let mut from = 0;
        let mut parts = Vec::new();
        for i in 1..w.len() {
            if latin_small(w[i - 1]) && latin_capital(w[i]) {
                parts.push(&w[from..i]);
                from = i;
            }
        }
        if parts.is_empty() {
            return Ok(true);
        }
        parts.push(&w[from..]);
        for p in parts {
            if p.len() >= 3 {
                let m = self.mask(p)?;
                if !is(m, GIVEN) && (is(m, WORDS) || is(m, STOP_BIT)) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// `_BUSINESS.match(text, end)`: `[ \t]++(?i:(?:day[ \t]+)?spa|massage|salon|studio
    /// |agency|wellness|therapy|escorts|entertainment)\b`.
    fn business(&self, t: &[u32], end: usize) -> bool {
        let q = Self::blanks(t, end);
        if q == end {
            return false;
        }
        let word_end = |e: Option<usize>| e.is_some_and(|e| self.boundary(t, e));
        let day_spa = self.ci_lit(t, q, "day").and_then(|r| {
            let s = Self::blanks(t, r);
            (s > r).then(|| self.ci_lit(t, s, "spa")).flatten()
        });
        word_end(day_spa)
            || [
                "spa",
                "massage",
                "salon",
                "studio",
                "agency",
                "wellness",
                "therapy",
                "escorts",
                "entertainment",
            ]
            .iter()
            .any(|l| word_end(self.ci_lit(t, q, l)))
    }

    /// `_PREVIOUS_WORD.search(text, max(0, start - 24), start)`: `(?P<word>_WORD)[ \t]++$`,
    /// the word's bounds.
    /// The word ends where the blanks before `start` (or before a last line break) begin
    /// (`end`), and from its start the letters run to `end`, or to a `-` or `_` and then to
    /// `end`, at most 20 each: the leftmost such start of the first part, then of the last,
    /// is where the search finds it (each tried with the search's own checks). Why: the
    /// search tried every start of the 24 characters before each name.
    fn previous_word(&self, t: &[u32], start: usize) -> Option<(usize, usize)> {
        let stop = if start > 0 && t[start - 1] == NL {
            start - 1
        } else {
            start
        };
        let mut end = stop;
        while end > 0 && blank(t[end - 1]) {
            end -= 1;
        }
        if end == stop {
            return None;
        }
        let lo = start.saturating_sub(24);
        self.word_starts(t, end)?
            .into_iter()
            .flatten()
            .find_map(|s| self.previous_word_at(t, s.max(lo), start))
    }

    /// `_PREVIOUS_WORD` tried at `s` alone (see `previous_word`).
    fn previous_word_at(&self, t: &[u32], s: usize, start: usize) -> Option<(usize, usize)> {
        let e = self.word_at(t, s, start)?;
        let b = Self::blanks(&t[..start], e);
        (b > e && (b == start || (b + 1 == start && t[b] == NL))).then_some((s, e))
    }

    /// `_full_span`: the bounds of the name at [start, end) joined with a surname after it
    /// or with the given name before it.
    fn full_span(&self, t: &[u32], start: usize, end: usize) -> Outcome<(usize, usize)> {
        let word = &t[start..end];
        if let Some((s, e)) = self.next_word(t, end) {
            if self.second(&t[s..e], word)? || self.surname_before_suffix(t, end)? {
                return Ok((start, e));
            }
        }
        if let Some((s, e)) = self.previous_word(t, start) {
            let prev = &t[s..e];
            if self.class(prev)? == KNOWN && self.second(word, prev)? {
                return Ok((s, end));
            }
        }
        Ok((start, end))
    }

    /// `_second`: whether `w`, right after the name `first`, is the rest of one full name.
    fn second(&self, w: &[u32], first: &[u32]) -> Outcome<bool> {
        if !self.has(w[0], UPPER) || (self.is_upper(w) && !self.is_upper(first)) {
            return Ok(false);
        }
        let m = self.mask(w)?;
        if is(m, STOP_BIT) || is(m, DESCRIPTIVE) || is(m, PLACES) {
            return Ok(false);
        }
        Ok(is(m, GIVEN) || (is(m, SURNAMES) && !is(m, WORDS)))
    }

    /// `_LIST_SEP` at `i` below `limit`: `[\"“”'’ \t]*+(?:,|&|\+|/|<|(?i:and))[\"“”'’ \t]*+`,
    /// its end.
    fn list_sep(&self, t: &[u32], i: usize, limit: usize) -> Option<usize> {
        let quote = |c: u32| one_of(c, LIST_QUOTES);
        let mut q = i;
        while q < limit && quote(t[q]) {
            q += 1;
        }
        let h = &t[..limit];
        let mut r = if q < limit && one_of(t[q], ",&+/<") {
            q + 1
        } else {
            self.ci_lit(h, q, "and")?
        };
        while r < limit && quote(t[r]) {
            r += 1;
        }
        Some(r)
    }

    /// `_LIST_NEXT.match(text, end)`: `_LIST_SEP(?P<word>_WORD)(?![\w'’])`, the word's bounds.
    fn list_next(&self, t: &[u32], end: usize) -> Option<(usize, usize)> {
        let n = t.len();
        let s = self.list_sep(t, end, n)?;
        let e = self.word_at(t, s, n)?;
        if t.get(e)
            .is_some_and(|&c| self.word(c) || c == APOS || c == RSQUO)
        {
            return None;
        }
        Some((s, e))
    }

    /// `_LIST_PREVIOUS.search(text, max(0, start - 40), start)`:
    /// `(?<![\w'’])(?P<word>_WORD)_LIST_SEP$`, the word's bounds.
    /// Tried at each start of the window only when the text before `start` ends as a
    /// `_LIST_SEP` can: a separator (",", "&", "+", "/", "<" or "and"), then quotes and blanks
    /// only (the separator's possessive tail takes all of them), then `start` or a newline
    /// before it; most names have none before them.
    fn list_previous(&self, t: &[u32], start: usize) -> Option<(usize, usize)> {
        let stop = if start > 0 && t[start - 1] == NL {
            start - 1
        } else {
            start
        };
        let lo = start.saturating_sub(40);
        let mut r = stop;
        while r > lo && one_of(t[r - 1], LIST_QUOTES) {
            r -= 1;
        }
        let separator = r > 0 && one_of(t[r - 1], ",&+/<")
            || (r >= 3
                && self.ci(t, r - 3, b'a')
                && self.ci(t, r - 2, b'n')
                && self.ci(t, r - 1, b'd'));
        if !separator {
            return None;
        }
        (lo..start).find_map(|p| {
            if p > 0 && (self.word(t[p - 1]) || t[p - 1] == APOS || t[p - 1] == RSQUO) {
                return None;
            }
            let e = self.word_at(t, p, start)?;
            let b = self.list_sep(t, e, start)?;
            (b == start || (b + 1 == start && t[b] == NL)).then_some((p, e))
        })
    }

    /// `_CAPS_RUN.match` at `p` with the text cut at `limit`:
    /// `(?<![^\W\d_])[A-Z]{2,15}+(?:(?:[ \t]|,[ \t]*+)[A-Z]{2,15}+){2,7}+(?![^\W\d_])`.
    fn caps_run(&self, t: &[u32], p: usize, limit: usize) -> Option<usize> {
        let caps = |i: usize| {
            let mut k = 0;
            while k < 15 && i + k < limit && (0x41..=0x5A).contains(&t[i + k]) {
                k += 1;
            }
            (k >= 2).then_some(i + k)
        };
        if p > 0 && self.letter(t[p - 1]) {
            return None;
        }
        let mut e = caps(p)?;
        let mut reps = 0;
        while reps < 7 {
            let Some(&c) = t[..limit].get(e) else { break };
            let s = if blank(c) {
                e + 1
            } else if c == ',' as u32 {
                Self::blanks(&t[..limit], e + 1)
            } else {
                break;
            };
            let Some(next) = caps(s) else { break };
            e = next;
            reps += 1;
        }
        (reps >= 2 && !(e < limit && self.letter(t[e]))).then_some(e)
    }

    /// `_caps_list` for the run at [start, end).
    fn caps_list(
        &self,
        t: &[u32],
        start: usize,
        end: usize,
        taken: &mut HashSet<usize>,
        found: &mut Vec<Found>,
    ) -> Outcome<()> {
        let mut words = Vec::new();
        let mut p = start;
        while p < end {
            if (0x41..=0x5A).contains(&t[p]) {
                let mut e = p;
                while e < end && (0x41..=0x5A).contains(&t[e]) {
                    e += 1;
                }
                words.push((p, e));
                p = e;
            } else {
                p += 1;
            }
        }
        let mut known = 0;
        for &(s, e) in &words {
            let m = self.mask(&t[s..e])?;
            if is(m, AMBIGUOUS_BIT) || is(m, COMMON) {
                return Ok(());
            }
            known += usize::from(is(m, GIVEN));
        }
        if known < 2 || 2 * known < words.len() {
            return Ok(());
        }
        for (s, e) in words {
            if e - s >= 3 {
                self.add(t, (s, e, LIST, CONF_HALF, false), taken, found)?;
            }
        }
        Ok(())
    }
}

/// Cue ids of the cue-led forms (index into `CUES`); `RAW`: the cue as written, whose bounds
/// the row gives (Python records it lower-cased, single-spaced).
const HERE: u8 = 9;
const TITLE_EMOJI: u8 = 10;
const TITLE_ADJECTIVE: u8 = 11;
const TITLE: u8 = 12;
const RAW: u8 = 13;
/// Confidence codes of the cue-led forms (after `CONF_HALF`, `CONF_PHONE`).
const CONF_WEAK: u8 = 2;
const CONF_STRONG: u8 = 3;
/// The trigger sets (`use_triggers`): where `_CUES`, `_HERE` and the title forms can start.
const CUE_SET: usize = 0;
const HERE_SET: usize = 1;
const LINE_SET: usize = 2;
const TRIGGER_SETS: usize = 3;

/// A match of `_CUES` (`NameScanner::cue_at`): the cue as written (the `strong` or `weak`
/// group), which of the two it is, and the `list` group's bounds.
struct CueMatch {
    raw: (usize, usize),
    strong: bool,
    list: (usize, usize),
}

/// The ends of a cue's alternatives at one start, in `re`'s order (`NameScanner::cue_ends`;
/// at most 10 for any start), with whether each is a strong cue.
#[derive(Default)]
struct CueEnds {
    at: [(usize, bool); 16],
    len: usize,
}

impl CueEnds {
    fn push(&mut self, end: Option<usize>, strong: bool) {
        if let (Some(e), Some(slot)) = (end, self.at.get_mut(self.len)) {
            *slot = (e, strong);
            self.len += 1;
        }
    }

    fn extend(&mut self, ends: impl IntoIterator<Item = Option<usize>>, strong: bool) {
        for e in ends {
            self.push(e, strong);
        }
    }
}

/// Whom `_CUES`'s greetings greet ("hi gentlemen"), in the pattern's order.
const GREETED: [&str; 12] = [
    "gentlemen",
    "gentleman",
    "gents",
    "guys",
    "fellas",
    "boys",
    "everyone",
    "babe",
    "baby",
    "daddy",
    "papi",
    "there",
];

/// A name of the cue forms or of `positional`, with the cue as written when `cue` is `RAW`.
pub struct Named {
    pub found: Found,
    pub cue_start: usize,
    pub cue_end: usize,
}

/// The cues in the first person (`_SELF_CUES`), as recorded.
const SELF_CUES: [&str; 6] = ["i'm", "im", "i am", "soy", "habla", "i\u{2019}m"];

impl NameScanner {
    /// `NameExtractor.extract` before `_in_full`: the cue forms, "<Name> here", the title
    /// forms, then `positional` given their starts, in the reference's order. `starts`: per
    /// trigger set (`CUE_SET`, `HERE_SET`, `LINE_SET`), ascending, every position where one
    /// of its triggers starts: where the cue forms are tried and, for the title forms, the
    /// lines they are tried on (a superset of the places the reference tries them with its
    /// prefilter, which gives the spans `finditer` gives); None: tried everywhere.
    pub fn extract(&self, t: &[u32], starts: Option<&[Vec<usize>]>) -> Outcome<Vec<Named>> {
        let mut out: Vec<Named> = Vec::new();
        let mut push = |start: usize, end: usize, cue: u8, confidence: u8, raw: (usize, usize)| {
            out.push(Named {
                found: Found {
                    start,
                    end,
                    cue,
                    confidence,
                },
                cue_start: raw.0,
                cue_end: raw.1,
            });
        };
        let n = t.len();
        let set = |id: usize| starts.and_then(|s| s.get(id)).map(Vec::as_slice);
        // `_CUES`
        let cues = |p: usize| self.cue_at(t, p).map(|m| (m.list.1, m));
        for cue in self.find_all(t, set(CUE_SET), cues) {
            let CueMatch { raw, strong, list } = cue;
            let (base, list_end) = list;
            let own = self.self_cue(&t[raw.0..raw.1])?;
            let confidence = if strong { CONF_STRONG } else { CONF_WEAK };
            let names = &t[base..list_end];
            if names.iter().all(|&c| self.letter(c)) {
                // `_ONE_NAME`: the common case, one name without a joiner
                let Some(len) = self.unglue(names)? else {
                    continue;
                };
                let word = &names[..len];
                if !self.joiner(word)?
                    && self.is_name(word, strong, own)?
                    && !self.business(t, base + len)
                {
                    let (a, b) = self.full_span(t, base, base + len)?;
                    push(a, b, RAW, confidence, raw);
                }
                continue;
            }
            // `_ITEM.finditer(names)`
            let mut p = 0;
            while p < names.len() {
                let Some(b) = self.name_at(names, p) else {
                    p += 1;
                    continue;
                };
                let word = &names[p..b];
                let a = p;
                p = b;
                if self.joiner(word)? {
                    continue;
                }
                if !self.is_name(word, strong, own)? {
                    break;
                }
                push(base + a, base + b, RAW, confidence, raw);
            }
        }
        // `_HERE` (`[ \t](?i:here)\b`), then `_BEFORE_HERE` in the 40 characters before it
        let here = |q: usize| {
            let e = self.ci_lit(t, q + 1, "here")?;
            (blank(t[q]) && self.word_ends(t, e)).then_some((e, q))
        };
        for h in self.find_all(t, set(HERE_SET), here) {
            let Some((a, b)) = self.before_here(&t[..h], h.saturating_sub(40)) else {
                continue;
            };
            if self.is_name(&t[a..b], false, false)? {
                push(a, b, HERE, CONF_PHONE, (0, 0));
            }
        }
        // the title forms, at the start of the first line and of each line a title trigger
        // ends on (every line without triggers): a trigger holds no line break but the one
        // it may start with ("\n🔥"), so the line of its start, or after that line break
        let lines: Vec<usize> = match set(LINE_SET) {
            Some(at) => {
                let (mut v, mut line, mut seen) = (vec![0], 0, 0);
                for &p in at.iter().filter(|&&p| p < n) {
                    let from = seen.min(p);
                    if let Some(i) = t[from..=p].iter().rposition(|&c| c == NL) {
                        line = from + i + 1;
                    }
                    seen = p + 1;
                    if v.last() != Some(&line) {
                        v.push(line);
                    }
                }
                v
            }
            None => (0..n).filter(|&p| p == 0 || t[p - 1] == NL).collect(),
        };
        for p in lines {
            if let Some((a, b, cue)) = self.line_form(t, p) {
                if self.is_name(&t[a..b], false, false)? {
                    push(a, b, cue, CONF_PHONE, (0, 0));
                }
            }
        }
        let mut taken: HashSet<usize> = out.iter().map(|f| f.found.start).collect();
        for found in self.positional(t, &mut taken)? {
            out.push(Named {
                found,
                cue_start: 0,
                cue_end: 0,
            });
        }
        Ok(out)
    }

    /// The matches of a form (`try_at`: its match at a position, with where it ends): at
    /// the trigger `starts` as `Prefilter.find_all` tries them (a start inside the last match
    /// skipped), or as `finditer` gives them (tried everywhere).
    fn find_all<T>(
        &self,
        t: &[u32],
        starts: Option<&[usize]>,
        mut try_at: impl FnMut(usize) -> Option<(usize, T)>,
    ) -> Vec<T> {
        let n = t.len();
        let mut out = Vec::new();
        match starts {
            Some(starts) => {
                let mut done = 0;
                for &p in starts {
                    if p < done || p >= n {
                        continue;
                    }
                    if let Some((e, found)) = try_at(p) {
                        out.push(found);
                        done = e.max(p + 1);
                    }
                }
            }
            None => {
                let mut p = 0;
                while p < n {
                    match try_at(p) {
                        Some((e, found)) => {
                            out.push(found);
                            p = e.max(p + 1);
                        }
                        None => p += 1,
                    }
                }
            }
        }
        out
    }

    /// Whether a word ending in a letter at `e` ends there (`\b` after it).
    #[inline]
    fn word_ends(&self, t: &[u32], e: usize) -> bool {
        t.get(e).is_none_or(|&c| !self.word(c))
    }

    /// `_CUES.match(text, p)`, tried as `re` tries it. Why by hand: on the backtracking
    /// engine each try cost thousands of instructions (the pattern's alternatives, its
    /// lookarounds and the list's possessive group), the cue forms' largest cost.
    ///
    /// The pattern is `(?<![\w'’])(?i:(?P<strong>...)|(?P<weak>...))`, then the rest
    /// (`cue_rest`) after the cue. `cue_ends` gives each end of the cue the alternatives
    /// reach from `p`, in the order `re` tries them (each `[ \t]+` of a cue is followed by a
    /// letter, so it takes all the blanks, as a possessive one would); the first end whose
    /// rest matches is the match.
    fn cue_at(&self, t: &[u32], p: usize) -> Option<CueMatch> {
        if p > 0 && (self.word(t[p - 1]) || t[p - 1] == APOS || t[p - 1] == RSQUO) {
            return None;
        }
        let mut ends = CueEnds::default();
        self.cue_ends(t, p, &mut ends);
        ends.at[..ends.len].iter().find_map(|&(c, strong)| {
            let list = self.cue_rest(t, c)?;
            Some(CueMatch {
                raw: (p, c),
                strong,
                list,
            })
        })
    }

    /// The ends of `_CUES`'s cue alternatives at `p` (see `cue_at`), by the cue's first
    /// letter (the alternatives of one letter in the pattern's order, the strong ones
    /// first).
    fn cue_ends(&self, t: &[u32], p: usize, ends: &mut CueEnds) {
        let lit = |i: usize, l: &str| self.ci_lit(t, i, l);
        // a literal at `p` whose second letter is not the text's is not tried (most are not)
        let second = t.get(p + 1).map_or(0, |&c| self.tables.fold(c));
        let at_p = |l: &str| {
            let ok = l.as_bytes().get(1).is_none_or(|&b| b == second);
            ok.then(|| lit(p, l)).flatten()
        };
        // `[ \t]+` (see `cue_at`), `['’]`
        let blanks1 = |i: usize| {
            let b = Self::blanks(t, i);
            (b > i).then_some(b)
        };
        let quote = |i: usize| t.get(i).is_some_and(|&c| c == APOS || c == RSQUO);
        // `X['’]?s`: the ends with the quote, then without
        let quoted_s = |i: usize| {
            let with = quote(i).then(|| lit(i + 1, "s")).flatten();
            [with, lit(i, "s")]
        };
        let words = |i: usize, ws: &[&str]| ws.iter().try_fold(i, |i, w| lit(blanks1(i)?, w));
        let phrase = |first: &str, rest: &[&str]| words(at_p(first)?, rest);
        let Some(&c) = t.get(p) else { return };
        match self.tables.fold(c) {
            b'm' => {
                // my[ \t]+name(?:[ \t]+is|['’]?s)
                if let Some(i) = phrase("my", &["name"]) {
                    ends.push(words(i, &["is"]), true);
                    ends.extend(quoted_s(i), true);
                }
                ends.push(phrase("me", &["llamo"]), true);
                ends.push(phrase("mi", &["nombre", "es"]), true);
                ends.push(phrase("my", &["friend"]), false);
                ends.push(at_p("meet"), false);
                ends.push(at_p("miss"), false);
                ends.push(at_p("mz"), false);
                for l in ["ms", "mrs"] {
                    // ms\.?|mrs\.?
                    if let Some(i) = at_p(l) {
                        ends.push(lit(i, "."), false);
                        ends.push(Some(i), false);
                    }
                }
            }
            b'n' => {
                if let Some(i) = at_p("name") {
                    // names?(?:[ \t]*+:|[ \t]++(?:is|are))
                    for j in [lit(i, "s"), Some(i)].into_iter().flatten() {
                        ends.push(lit(Self::blanks(t, j), ":"), true);
                        if let Some(k) = blanks1(j) {
                            ends.push(lit(k, "is").or_else(|| lit(k, "are")), true);
                        }
                    }
                }
                ends.push(at_p("named"), true);
                if let Some(i) = at_p("name") {
                    ends.extend(quoted_s(i), false); // name['’]?s
                }
            }
            b'a' => ends.push(
                phrase("ask", &["for"]).or_else(|| phrase("ask", &["4"])),
                true,
            ),
            b'g' => {
                if let Some(i) = at_p("girl") {
                    // girl[ \t]?friend
                    let blank_then = t.get(i).is_some_and(|&c| blank(c));
                    ends.push(blank_then.then(|| lit(i + 1, "friend")).flatten(), false);
                    ends.push(lit(i, "friend"), false);
                }
                ends.push(phrase("greetings", &["from"]), false);
            }
            b'i' => {
                if let Some(i) = at_p("it") {
                    // it['’]?s[ \t]+your[ \t]+girl
                    for s in quoted_s(i).into_iter().flatten() {
                        ends.push(words(s, &["your", "girl"]), false);
                    }
                }
                if let Some(i) = at_p("i") {
                    // i[ \t]*+['’]?m
                    let b = Self::blanks(t, i);
                    ends.push(quote(b).then(|| lit(b + 1, "m")).flatten(), false);
                    ends.push(lit(b, "m"), false);
                }
                ends.push(phrase("i", &["am"]), false);
                if let Some(i) = at_p("it") {
                    // it['’]?s(?:[ \t]+me)?
                    for s in quoted_s(i).into_iter().flatten() {
                        ends.push(words(s, &["me"]), false);
                        ends.push(Some(s), false);
                    }
                }
                ends.push(phrase("it", &["is"]), false);
                ends.push(at_p("introducing"), false);
            }
            b'y' => ends.push(phrase("your", &["girl"]), false),
            b't' => {
                ends.push(phrase("this", &["is"]), false);
                ends.push(at_p("ts"), false);
            }
            b'c' => ends.push(phrase("call", &["me"]), false),
            b'b' => {
                ends.push(at_p("booking"), false);
                ends.push(phrase("book", &["with"]), false);
            }
            b'h' => {
                for g in ["hi", "hello", "hey"] {
                    ends.push(phrase(g, &["from"]), false);
                }
                ends.push(at_p("habla"), false);
                // (?:hi|hey|hello|hiya)[ \t]+(?:gentlemen|...)[ \t]*+[,!.]*+
                for g in ["hi", "hey", "hello", "hiya"] {
                    let Some(i) = at_p(g).and_then(blanks1) else {
                        continue;
                    };
                    let first = t.get(i).map_or(0, |&c| self.tables.fold(c));
                    for w in GREETED.iter().filter(|w| w.as_bytes()[0] == first) {
                        if let Some(j) = lit(i, w) {
                            let mut k = Self::blanks(t, j);
                            while t.get(k).is_some_and(|&c| one_of(c, ",!.")) {
                                k += 1;
                            }
                            ends.push(Some(k), false);
                        }
                    }
                }
            }
            b'k' => ends.push(phrase("kisses", &["from"]), false),
            b's' => ends.push(at_p("soy"), false),
            b'x' => {
                ends.push(at_p("xoxo"), false);
                ends.push(at_p("xo"), false);
            }
            b'l' => ends.push(phrase("love", &["always"]), false),
            _ => {}
        }
    }

    /// The rest of `_CUES` after a cue ending at `c`: `(?:(?<!\w)|(?!\w))[ \t]*+[:\-.,\"“'*~]
    /// {0,3}+[ \t]*+(?:_EMOJI_CHAR[ \t]*+)?(?:(?i:miss|mz|ms|mrs|ts)\b[ \t.]*+)?_NOT_CUE
    /// (?P<list>...)`: the list's bounds. The two optional parts are greedy: each way with
    /// them, then without, in that order.
    fn cue_rest(&self, t: &[u32], c: usize) -> Option<(usize, usize)> {
        let n = t.len();
        if self.word(t[c - 1]) && c < n && self.word(t[c]) {
            return None; // the cue ends no word
        }
        let mut m = Self::blanks(t, c);
        let mut k = 0;
        while k < 3 && m < n && one_of(t[m], ":-.,\"\u{201c}'*~") {
            m += 1;
            k += 1;
        }
        let m = Self::blanks(t, m);
        // `(?:_EMOJI_CHAR[ \t]*+)?`
        let mut after_emoji = [None; 3];
        if t.get(m).is_some_and(|&c| emoji(c)) {
            if t.get(m + 1) == Some(&EMOJI_STYLE) {
                after_emoji[0] = Some(Self::blanks(t, m + 2));
            }
            after_emoji[1] = Some(Self::blanks(t, m + 1));
        }
        after_emoji[2] = Some(m);
        after_emoji.into_iter().flatten().find_map(|x| {
            let title = t
                .get(x)
                .is_some_and(|&c| matches!(self.tables.fold(c), b'm' | b't'));
            let titled = ["miss", "mz", "ms", "mrs", "ts"].iter().find_map(|l| {
                if !title {
                    return None;
                }
                let e = self.ci_lit(t, x, l)?;
                self.word_ends(t, e).then(|| {
                    let mut y = e;
                    while y < n && (blank(t[y]) || t[y] == '.' as u32) {
                        y += 1;
                    }
                    y
                })
            });
            [titled, Some(x)]
                .into_iter()
                .flatten()
                .find_map(|y| Some((y, self.name_list(t, y)?)))
        })
    }

    /// `_NOT_CUE(?P<list>_NAME(?:_SEP _NOT_CUE _NAME)*+)` at `q`: the list's end. Each
    /// repetition takes the first way `_SEP` gives that a name follows (`list_seps`).
    fn name_list(&self, t: &[u32], q: usize) -> Option<usize> {
        if !self.not_cue(t, q) {
            return None;
        }
        let mut e = self.name_at(t, q)?;
        while let Some(next) = self
            .list_seps(t, e)
            .into_iter()
            .flatten()
            .find_map(|r| self.not_cue(t, r).then(|| self.name_at(t, r)).flatten())
        {
            e = next;
        }
        Some(e)
    }

    /// The ends of `_SEP` at `e` in `re`'s order: `[ \t]*+(?:,|&|\+|/)[ \t]*+(?:(?i:and|or)
    /// [ \t]++)?` with the joiner, then without it; or `[ \t]++(?i:and|or)[ \t]++`.
    fn list_seps(&self, t: &[u32], e: usize) -> [Option<usize>; 2] {
        let joiner = |i: usize| {
            let r = self
                .ci_lit(t, i, "and")
                .or_else(|| self.ci_lit(t, i, "or"))?;
            let b = Self::blanks(t, r);
            (b > r).then_some(b)
        };
        let b = Self::blanks(t, e);
        if t.get(b).is_some_and(|&c| one_of(c, ",&+/")) {
            let s = Self::blanks(t, b + 1);
            return [joiner(s), Some(s)];
        }
        [(b > e).then(|| joiner(b)).flatten(), None]
    }

    /// `_NOT_CUE` at `q`: `(?!(?i:my|i|im|i['’]m|it|its|it['’]s|this|call|meet|me|hi|hey
    /// |hello|xoxo|xo|love|names?|name['’]s)\b)`. A word it lists ends where the letters that
    /// match ASCII ones end, and a quoted form ("i'm") is there whenever the word before its
    /// quote ("i") is: the letters from `q`, compared whole.
    fn not_cue(&self, t: &[u32], q: usize) -> bool {
        // the longest word is 5 letters: 6 tell a longer one
        let mut run = [0u8; 6];
        let mut k = 0;
        while k < run.len() {
            match t.get(q + k).map(|&c| self.tables.fold(c)) {
                Some(f) if f.is_ascii_lowercase() => run[k] = f,
                _ => break,
            }
            k += 1;
        }
        !(self.word_ends(t, q + k)
            && matches!(
                &run[..k],
                b"my"
                    | b"i"
                    | b"im"
                    | b"it"
                    | b"its"
                    | b"this"
                    | b"call"
                    | b"meet"
                    | b"me"
                    | b"hi"
                    | b"hey"
                    | b"hello"
                    | b"xoxo"
                    | b"xo"
                    | b"love"
                    | b"names"
                    | b"name"
            ))
    }

    /// `_LINE_FORMS_AT_START.match(text, p)` (`_line_forms_pattern`), tried as `re` tries
    /// it: the name's bounds and its cue id (`TITLE_EMOJI`, `TITLE_ADJECTIVE`, `TITLE`). Why
    /// by hand: on the backtracking engine each line start cost thousands of instructions.
    fn line_form(&self, t: &[u32], p: usize) -> Option<(usize, usize, u8)> {
        let x = Self::blanks(t, p);
        if let Some((a, b)) = self.emoji_form(t, x) {
            return Some((a, b, TITLE_EMOJI));
        }
        // `(?:[A-Z][\w.'’]*+[ \t]++){0,2}?`: lazy, so no word first, then one, then two
        let mut y = x;
        for words in 0..3 {
            if words > 0 {
                if !t.get(y).is_some_and(|c| (0x41..=0x5A).contains(c)) {
                    break;
                }
                let mut z = y + 1;
                while t
                    .get(z)
                    .is_some_and(|&c| self.word(c) || c == '.' as u32 || c == APOS || c == RSQUO)
                {
                    z += 1;
                }
                let b = Self::blanks(t, z);
                if b == z {
                    break;
                }
                y = b;
            }
            if let Some((a, b)) = self.adjective_form(t, y) {
                return Some((a, b, TITLE_ADJECTIVE));
            }
        }
        // `(?P<lead>_NAME)[ \t]++(?i:available[ \t]+now|just[ \t]+arrived|is[ \t]+back)\b`
        let e = self.name_at(t, x)?;
        let b = Self::blanks(t, e);
        if b == e {
            return None;
        }
        let then = |first: &str, next: &str| {
            let i = self.ci_lit(t, b, first)?;
            let j = Self::blanks(t, i);
            (j > i).then(|| self.ci_lit(t, j, next)).flatten()
        };
        [("available", "now"), ("just", "arrived"), ("is", "back")]
            .into_iter()
            .filter_map(|(first, next)| then(first, next))
            .any(|end| self.word_ends(t, end))
            .then_some((x, e, TITLE))
    }

    /// The emoji form at `x`: `(?:_EMOJI_CHAR[ \t]*+)++(?P<emoji>_NAME)[ \t]*+_EMOJI_CHAR`,
    /// the name's bounds.
    fn emoji_form(&self, t: &[u32], x: usize) -> Option<(usize, usize)> {
        let mut y = x;
        while t.get(y).is_some_and(|&c| emoji(c)) {
            y += 1;
            if t.get(y) == Some(&EMOJI_STYLE) {
                y += 1;
            }
            y = Self::blanks(t, y);
        }
        if y == x {
            return None;
        }
        let e = self.name_at(t, y)?;
        let z = Self::blanks(t, e);
        t.get(z).is_some_and(|&c| emoji(c)).then_some((y, e))
    }

    /// The adjective form after its capitalised words, at `y`: `(?i:_TITLE_ADJECTIVES)
    /// [ \t]++(?P<title>_NAME)(?=[ \t]*+(?:(?=\n|\Z)|[,!.:\-–|~]|(?:in|from|is)\b))`, the
    /// name's bounds.
    fn adjective_form(&self, t: &[u32], y: usize) -> Option<(usize, usize)> {
        let first = self.tables.fold(*t.get(y)?);
        let mut adjectives = TITLE_ADJECTIVES.iter().filter(|a| a.as_bytes()[0] == first);
        adjectives.find_map(|adjective| {
            let i = self.ci_lit(t, y, adjective)?;
            let a = Self::blanks(t, i);
            if a == i {
                return None;
            }
            let b = self.name_at(t, a)?;
            let z = Self::blanks(t, b);
            let ends = match t.get(z) {
                None => true,
                Some(&c) => {
                    c == NL
                        || one_of(c, ",!.:-\u{2013}|~")
                        || ["in", "from", "is"].iter().any(|w| {
                            let e = z + w.len();
                            t.get(z..e)
                                .is_some_and(|s| s.iter().copied().eq(w.bytes().map(u32::from)))
                                && self.word_ends(t, e)
                        })
                }
            };
            ends.then_some((a, b))
        })
    }

    /// `_NAME` at `q` (`[^\W\d_]{2,20}+(?:-[^\W\d_]{2,20}+)?+(?![\w-])`): its end.
    fn name_at(&self, t: &[u32], q: usize) -> Option<usize> {
        let n = t.len();
        let k = self.letters(t, q, 20, n);
        if k < 2 {
            return None;
        }
        let mut e = q + k;
        if e < n && t[e] == HYPHEN {
            let k = self.letters(t, e + 1, 20, n);
            if k >= 2 {
                e += 1 + k;
            }
        }
        (!t.get(e).is_some_and(|&c| self.word(c) || c == HYPHEN)).then_some(e)
    }

    /// `_BEFORE_HERE.search(text, lo, len(t))` (`t`: the text cut where " here" starts), the
    /// name's bounds: `(?:^|[^\w \t'’]|(?i:hi|hey|hello|hiya)(?:[ \t]+(?i:guys|gents|gentlemen
    /// |fellas|boys|everyone|all|there|daddy|babe|baby))?)[ \t]*+(?P<name>_NAME)[ \t]*+$`,
    /// tried as `re` tries it: each start from `lo`, each alternative in order. Why by hand:
    /// on the backtracking engine each search tried every start of its window with the
    /// whole pattern, one of the cue forms' largest costs.
    fn before_here(&self, t: &[u32], lo: usize) -> Option<(usize, usize)> {
        const GREETINGS: [&str; 4] = ["hi", "hey", "hello", "hiya"];
        const WHOM: [&str; 11] = [
            "guys",
            "gents",
            "gentlemen",
            "fellas",
            "boys",
            "everyone",
            "all",
            "there",
            "daddy",
            "babe",
            "baby",
        ];
        let n = t.len();
        // `[ \t]*+(?P<name>_NAME)[ \t]*+$` at `q`
        let tail = |q: usize| -> Option<(usize, usize)> {
            let a = Self::blanks(t, q);
            let b = self.name_at(t, a)?;
            let e = Self::blanks(t, b);
            (e == n || (e + 1 == n && t[e] == NL)).then_some((a, b))
        };
        for s in lo..n {
            if s == 0 {
                if let Some(found) = tail(0) {
                    return Some(found);
                }
            }
            let c = t[s];
            if !self.word(c) && !blank(c) && c != APOS && c != RSQUO {
                if let Some(found) = tail(s + 1) {
                    return Some(found);
                }
            }
            if !self.ci(t, s, b'h') {
                continue; // every greeting starts with an "h"
            }
            for greeting in GREETINGS {
                let Some(e) = self.ci_lit(t, s, greeting) else {
                    continue;
                };
                let g = Self::blanks(t, e);
                if g > e {
                    let found = WHOM
                        .iter()
                        .filter_map(|w| self.ci_lit(t, g, w))
                        .find_map(tail);
                    if found.is_some() {
                        return found;
                    }
                }
                if let Some(found) = tail(e) {
                    return Some(found);
                }
            }
        }
        None
    }

    /// Whether the cue as written is one in the first person (`cue in _SELF_CUES` of the
    /// cue as recorded: lower case, blanks as single spaces).
    fn self_cue(&self, raw: &[u32]) -> Outcome<bool> {
        let (mut ascii, mut spill) = ([0u8; ASCII_WORD], String::new());
        let low = self.low(raw, &mut ascii, &mut spill)?;
        let words = low
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|w| !w.is_empty());
        Ok(SELF_CUES
            .iter()
            .any(|cue| words.clone().eq(cue.split(' ').map(str::as_bytes))))
    }

    /// `word.lower() in _JOINERS`.
    fn joiner(&self, w: &[u32]) -> Outcome<bool> {
        let (mut ascii, mut spill) = ([0u8; ASCII_WORD], String::new());
        let low = self.low(w, &mut ascii, &mut spill)?;
        Ok(low == b"and" || low == b"or")
    }

    /// `_unglue`: the length of what the word stands for (all of it, or its first part), or
    /// None for nothing.
    fn unglue(&self, w: &[u32]) -> Outcome<Option<usize>> {
        if self.unglued(w)? {
            return Ok(Some(w.len()));
        }
        let first = (1..w.len())
            .find(|&i| latin_small(w[i - 1]) && latin_capital(w[i]))
            .unwrap_or(w.len());
        let part = &w[..first];
        if !self.has(part[0], UPPER) || part.len() < 3 {
            return Ok(None);
        }
        let m = self.mask(part)?;
        if is(m, WORDS) || is(m, STOP_BIT) {
            return Ok(None);
        }
        Ok(Some(first))
    }

    /// `_mixed_script`: Latin letters beside letters of another script.
    fn mixed_script(&self, w: &[u32]) -> bool {
        let alpha = w
            .iter()
            .filter(|&&c| self.tables.flag(c, crate::tables::ALPHA));
        let (mut latin, mut other) = (false, false);
        for &c in alpha {
            if c <= 0x24F {
                latin = true;
            } else {
                other = true;
            }
        }
        latin && other
    }

    /// `_is_name(word, strong, cue)`, `own`: whether the cue is one in the first person.
    fn is_name(&self, w: &[u32], strong: bool, own: bool) -> Outcome<bool> {
        if self.mixed_script(w) || self.unglue(w)? != Some(w.len()) {
            return Ok(false);
        }
        let (mut ascii, mut spill) = ([0u8; ASCII_WORD], String::new());
        let (low, m) = self.low_mask(w, &mut ascii, &mut spill)?;
        let capital = self.has(w[0], UPPER);
        if is(m, STOP_BIT) {
            return Ok(strong && capital && is(m, STOP_BIT | CENSUS));
        }
        if strong {
            return Ok(true);
        }
        if is(m, GIVEN) {
            if !capital {
                return Ok(!is(m, AMBIGUOUS_BIT));
            }
            return Ok(!(self.is_upper(w) && is(m, AMBIGUOUS_BIT) && !own));
        }
        if !capital {
            return Ok(own
                && w.len() >= 4
                && !w.contains(&HYPHEN)
                && !is(m, WORDS)
                && latin_word(w)
                && !triple(low));
        }
        Ok(!self.part_in(low, WORDS))
    }
}

/// `_EMOJI_CHAR`'s first character: `[\u2600-\u27bf\u2b50\u2b55\U0001f300-\U0001faff]`
/// (then `\ufe0f?`).
fn emoji(c: u32) -> bool {
    (0x2600..=0x27BF).contains(&c) || c == 0x2B50 || c == 0x2B55 || (0x1F300..=0x1FAFF).contains(&c)
}

/// A variation selector (`\ufe0f`): shown as an emoji.
const EMOJI_STYLE: u32 = 0xFE0F;

/// `_TITLE_ADJECTIVES`, in the pattern's order.
const TITLE_ADJECTIVES: [&str; 18] = [
    "sweet",
    "lovely",
    "classy",
    "gorgeous",
    "stunning",
    "charming",
    "bubbly",
    "sunny",
    "upscale",
    "elegant",
    "friendly",
    "pretty",
    "beautiful",
    "cute",
    "exotic",
    "sexy",
    "petite",
    "relaxing",
];

/// `_TRIPLE.search(low)`: one character (not a newline) three times in a row.
fn triple(low: &[u8]) -> bool {
    let c: Vec<char> = String::from_utf8_lossy(low).chars().collect();
    c.windows(3)
        .any(|w| w[0] != '\n' && w[0] == w[1] && w[1] == w[2])
}

/// Whether a word's mask holds all of `bits` (the word is in each of those lists).
#[inline]
fn is(mask: u16, bits: u16) -> bool {
    mask & bits == bits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One character's marks as the passes read them.
    fn mark(c: u32, first: u32) -> u8 {
        (u8::from(latin_capital(c)) * MARK_CAPITAL)
            | (u8::from((0x30..=0x39).contains(&c) || c >= first) * MARK_DIGIT)
            | (u8::from(c == 0x22 || c == 0x201C || c == 0x201D) * MARK_QUOTE)
    }

    #[test]
    fn marks_each_character_as_its_definition() {
        let mut chars: Vec<u32> = (0..0x2100).chain(0x10FF00..0x110000).collect();
        chars.extend([0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xD800, 0xDFFF]);
        for first in [0x660, 0x200, u32::MAX, 0x9000_0000] {
            // (each length, so that the tail after the last block of four is checked too)
            for len in [
                chars.len(),
                chars.len() - 1,
                chars.len() - 2,
                chars.len() - 3,
            ] {
                let t = &chars[..len];
                let want: Vec<u8> = t.iter().map(|&c| mark(c, first)).collect();
                assert_eq!(marks_of(t, first), want, "first {first:#x}, length {len}");
                let plain: Vec<u8> = t.iter().map(|&c| mark_of(c, first)).collect();
                assert_eq!(plain, want, "first {first:#x}, length {len}");
            }
        }
    }
}
