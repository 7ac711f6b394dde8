//! Character tables handed over by the running Python.
//!
//! Why: the Python normaliser is the reference, and its regexes classify characters with the
//! running Python's Unicode database (`\w`, `\d`, `\s`, `str.isalpha`, case-insensitive
//! matching). Rust's own tables follow a newer Unicode version, so a character assigned since
//! would be a letter here and a symbol there. Python computes the few properties once and the
//! core reads them from one flag byte per code point: the same answers by construction.

use std::collections::{HashMap, HashSet};

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{is_nfkc_quick, IsNormalized};

use crate::word_table::FxBuild;

/// `str.isalnum()`: with `_`, Python's `\w`.
pub const ALNUM: u8 = 1;
/// `str.isdecimal()`: Python's `\d`.
pub const DECIMAL: u8 = 2;
/// `str.isalpha()`.
pub const ALPHA: u8 = 4;
/// `str.isspace()`: Python's `\s`.
pub const SPACE: u8 = 8;
/// The character stage removes it as invisible.
pub const INVISIBLE: u8 = 16;
/// The character stage maps it (compatibility form, other script's digit, typography).
pub const MAPPED: u8 = 32;
/// A look-alike of a Latin letter.
pub const GLYPH: u8 = 64;
/// Case-insensitive `re` matches it to an ASCII letter (see `fold`).
pub const FOLDS: u8 = 128;

pub const N_CODE_POINTS: usize = 0x110000;

pub struct Tables {
    flags: Vec<u8>,
    /// character -> (replacement, kind id); these maps are looked up per character edited,
    /// so by FxHash rather than SipHash (no key is an attacker's choice: Python gives them)
    pub mapping: HashMap<u32, (Vec<u32>, u8), FxBuild>,
    /// look-alike -> Latin letter
    pub homoglyphs: HashMap<u32, u32, FxBuild>,
    /// non-ASCII characters that Python's case-insensitive `re` matches to an ASCII letter
    pub fold: HashMap<u32, u8, FxBuild>,
    /// The look-alikes that NFKC keeps as they are wherever they stand (quick check "yes",
    /// combining class 0), as ASCII letters and digits are.
    pub stable_glyphs: HashSet<u32, FxBuild>,
    /// The same for every letter and digit below `STABLE_BELOW`, one bit each: the letters
    /// of the alphabets look-alikes come from (Greek, Cyrillic, ...), whose words the
    /// character stage checks against NFKC. (Built at start-up: under a millisecond's
    /// work, where a lazy build cost more per batch than that once.)
    stable: Vec<u64>,
    /// Tests only: a code point whose presence makes the core panic on that ad.
    pub panic_on: Option<u32>,
}

impl Tables {
    pub fn new(
        flags: Vec<u8>,
        mapping: HashMap<u32, (Vec<u32>, u8)>,
        homoglyphs: HashMap<u32, u32>,
        fold: HashMap<u32, u8>,
        panic_on: Option<u32>,
    ) -> Result<Self, String> {
        if flags.len() != N_CODE_POINTS {
            return Err(format!(
                "flag table has {} entries, expected {N_CODE_POINTS}",
                flags.len()
            ));
        }
        let keys = mapping.keys().chain(homoglyphs.keys()).chain(fold.keys());
        if let Some(c) = keys.copied().find(|&c| c as usize >= N_CODE_POINTS) {
            return Err(format!("not a code point: {c:#x}"));
        }
        let mut flags = flags;
        for &c in mapping.keys() {
            flags[c as usize] |= MAPPED;
        }
        for &c in homoglyphs.keys() {
            flags[c as usize] |= GLYPH;
        }
        for &c in fold.keys() {
            flags[c as usize] |= FOLDS;
        }
        let stable_glyphs = homoglyphs
            .keys()
            .copied()
            .filter(|&c| nfkc_stable(c))
            .collect();
        // (only letters and digits: the words checked against NFKC hold nothing else; and
        // none for tables without look-alikes, which check no word)
        let mut stable = Vec::new();
        if !homoglyphs.is_empty() {
            stable = vec![0u64; STABLE_BELOW as usize / 64];
            let word = |c: u32| flags[c as usize] & ALNUM != 0;
            for c in (0..STABLE_BELOW).filter(|&c| word(c) && nfkc_stable(c)) {
                stable[c as usize / 64] |= 1 << (c % 64);
            }
        }
        Ok(Tables {
            flags,
            stable_glyphs,
            stable,
            mapping: mapping.into_iter().collect(),
            homoglyphs: homoglyphs.into_iter().collect(),
            fold: fold.into_iter().collect(),
            panic_on,
        })
    }

    /// Tables of the flags alone (the stages that neither map nor fold characters).
    pub fn flags_only(flags: &[u8], panic_on: Option<u32>) -> Result<Self, String> {
        Tables::new(
            flags.to_vec(),
            Default::default(),
            Default::default(),
            Default::default(),
            panic_on,
        )
    }

    /// Whether NFKC keeps `c` as it is wherever it stands (quick check "yes", combining
    /// class 0), as far as the tables know: false for any other they hold no answer for.
    #[inline]
    pub fn nfkc_stable(&self, c: u32) -> bool {
        match self.stable.get(c as usize / 64) {
            Some(bits) => bits >> (c % 64) & 1 == 1,
            None => self.stable_glyphs.contains(&c),
        }
    }

    /// Every flag bit of `c` (0 past the last code point).
    #[inline]
    pub fn flags_of(&self, c: u32) -> u8 {
        self.flags.get(c as usize).copied().unwrap_or(0)
    }

    #[inline]
    pub fn flag(&self, c: u32, bit: u8) -> bool {
        self.flags.get(c as usize).is_some_and(|f| f & bit != 0)
    }

    /// Python's `\w`.
    #[inline]
    pub fn is_word(&self, c: u32) -> bool {
        c == u32::from(b'_') || self.flag(c, ALNUM)
    }

    /// Python's `[^\W\d_]` (a letter in the sense of `numbers.py`).
    #[inline]
    pub fn is_letter(&self, c: u32) -> bool {
        self.flags
            .get(c as usize)
            .is_some_and(|&f| f & ALNUM != 0 && f & DECIMAL == 0)
    }

    /// The ASCII letter (lower case) this character matches case-insensitively, or the
    /// character itself for the rest of ASCII, or 0.
    #[inline]
    pub fn fold(&self, c: u32) -> u8 {
        if c < 0x80 {
            (c as u8).to_ascii_lowercase()
        } else if self.flag(c, FOLDS) {
            self.fold.get(&c).copied().unwrap_or(0)
        } else {
            0
        }
    }
}

/// Code points below this have their own bit in `Tables::stable`, built at start-up: the
/// Latin, Greek, Cyrillic, Armenian (...) letters and the letterlike symbols.
const STABLE_BELOW: u32 = 0x2200;

/// NFKC's quick check says "yes" for `c` alone and its combining class is 0.
fn nfkc_stable(c: u32) -> bool {
    char::from_u32(c).is_some_and(|ch| {
        is_nfkc_quick(std::iter::once(ch)) == IsNormalized::Yes
            && canonical_combining_class(ch) == 0
    })
}

/// A dense lower-case table from (code point, lower case) pairs: every other code point maps
/// to itself.
pub fn lower_table(pairs: Vec<(u32, u32)>) -> Result<Vec<u32>, String> {
    let mut table: Vec<u32> = (0..N_CODE_POINTS as u32).collect();
    for (c, l) in pairs {
        let slot = table
            .get_mut(c as usize)
            .ok_or_else(|| format!("not a code point: {c:#x}"))?;
        *slot = l;
    }
    Ok(table)
}
