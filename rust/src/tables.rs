//! Character tables handed over by the running Python.
//!
//! Why: the Python normaliser is the reference, and its regexes classify characters with the
//! running Python's Unicode database (`\w`, `\d`, `\s`, `str.isalpha`, case-insensitive
//! matching). Rust's own tables follow a newer Unicode version, so a character assigned since
//! would be a letter here and a symbol there. Python computes the few properties once and the
//! core reads them from one flag byte per code point: the same answers by construction.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, Weak};

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
    /// One byte per code point, shared with every other stage's equal table (`shared_flags`).
    flags: Arc<[u8]>,
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
        flags: impl AsRef<[u8]>,
        mapping: HashMap<u32, (Vec<u32>, u8)>,
        homoglyphs: HashMap<u32, u32>,
        fold: HashMap<u32, u8>,
        panic_on: Option<u32>,
    ) -> Result<Self, String> {
        let given = flags.as_ref();
        if given.len() != N_CODE_POINTS {
            return Err(format!(
                "flag table has {} entries, expected {N_CODE_POINTS}",
                given.len()
            ));
        }
        let keys = mapping.keys().chain(homoglyphs.keys()).chain(fold.keys());
        if let Some(c) = keys.copied().find(|&c| c as usize >= N_CODE_POINTS) {
            return Err(format!("not a code point: {c:#x}"));
        }
        let added = mapping
            .keys()
            .map(|&c| (c, MAPPED))
            .chain(homoglyphs.keys().map(|&c| (c, GLYPH)))
            .chain(fold.keys().map(|&c| (c, FOLDS)));
        let flags = shared_flags(given, added);
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
            flags,
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

/// The flag tables this process has built and still uses, and the lower-case tables with the
/// pairs each was built from.
///
/// Why: several stages ask for the same table (the running Python's flags with the same few
/// bits added, or none; the same lower-case pairs), a megabyte or more each, and a fresh
/// copy costs a page fault per page as it is written: the link hook's signer is built in a
/// scan's first batch, where its two tables were most of that batch's new memory. A table is
/// shared only when it is byte for byte the one asked for, so what any stage reads is what
/// it would have built itself. (Weak: a table is freed with the last stage using it.)
static FLAG_TABLES: Mutex<Vec<Weak<[u8]>>> = Mutex::new(Vec::new());
type LowerTables = Vec<(Vec<(u32, u32)>, Weak<[u32]>)>;
static LOWER_TABLES: Mutex<LowerTables> = Mutex::new(Vec::new());

/// `given` with each (code point, bits) of `added` set, as one shared table (see
/// `FLAG_TABLES`); every code point is below `N_CODE_POINTS`.
fn shared_flags(given: &[u8], added: impl Iterator<Item = (u32, u8)>) -> Arc<[u8]> {
    let mut added: Vec<(u32, u8)> = added.collect();
    added.sort_unstable();
    // (one entry per code point, its bits together)
    added.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 |= later.1;
        }
        same
    });
    let mut kept = FLAG_TABLES.lock().unwrap_or_else(PoisonError::into_inner);
    kept.retain(|table| table.strong_count() > 0);
    let found = kept
        .iter()
        .filter_map(Weak::upgrade)
        .find(|table| flags_equal(table, given, &added));
    if let Some(table) = found {
        return table;
    }
    let mut table: Arc<[u8]> = Arc::from(given);
    let bytes = Arc::get_mut(&mut table).expect("a table just made is not shared");
    for &(c, bits) in &added {
        bytes[c as usize] |= bits;
    }
    kept.push(Arc::downgrade(&table));
    table
}

/// Is `table` `given` with `added`'s bits set (`added` sorted, one entry per code point)?
/// Compared a stretch at a time, without making the table asked for.
fn flags_equal(table: &[u8], given: &[u8], added: &[(u32, u8)]) -> bool {
    if table.len() != given.len() {
        return false;
    }
    let mut from = 0;
    for &(c, bits) in added {
        let c = c as usize;
        if table[from..c] != given[from..c] || table[c] != given[c] | bits {
            return false;
        }
        from = c + 1;
    }
    table[from..] == given[from..]
}

/// A dense lower-case table from (code point, lower case) pairs: every other code point maps
/// to itself. Shared with every other stage that gave the same pairs (see `FLAG_TABLES`).
pub fn lower_table(pairs: Vec<(u32, u32)>) -> Result<Arc<[u32]>, String> {
    if let Some(&(c, _)) = pairs.iter().find(|&&(c, _)| c as usize >= N_CODE_POINTS) {
        return Err(format!("not a code point: {c:#x}"));
    }
    let mut kept = LOWER_TABLES.lock().unwrap_or_else(PoisonError::into_inner);
    kept.retain(|(_, table)| table.strong_count() > 0);
    let found = kept
        .iter()
        .filter(|(built_from, _)| *built_from == pairs)
        .find_map(|(_, table)| table.upgrade());
    if let Some(table) = found {
        return Ok(table);
    }
    let mut table: Arc<[u32]> = (0..N_CODE_POINTS as u32).collect();
    let slots = Arc::get_mut(&mut table).expect("a table just made is not shared");
    for &(c, l) in &pairs {
        slots[c as usize] = l;
    }
    kept.push((pairs, Arc::downgrade(&table)));
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::{flags_equal, lower_table, Tables, ALNUM, FOLDS, GLYPH, MAPPED, N_CODE_POINTS};
    use std::collections::HashMap;
    use std::sync::Arc;

    /// A flag table (each test its own `seed`).
    fn given(seed: u8) -> Vec<u8> {
        let mut flags = vec![0u8; N_CODE_POINTS];
        for c in (0..N_CODE_POINTS).step_by(97) {
            flags[c] = ALNUM;
        }
        flags[N_CODE_POINTS - 1] = seed;
        flags
    }

    fn with_fold(flags: &[u8], fold: &[(u32, u8)]) -> Tables {
        let fold: HashMap<u32, u8> = fold.iter().copied().collect();
        Tables::new(flags, HashMap::new(), HashMap::new(), fold, None).expect("tables")
    }

    #[test]
    fn equal_flag_tables_are_one_table_and_others_are_not() {
        let flags = given(8);
        let a = with_fold(&flags, &[(0x17F, b's'), (0x212A, b'k')]);
        let b = with_fold(&flags, &[(0x212A, b'k'), (0x17F, b's')]);
        assert!(Arc::ptr_eq(&a.flags, &b.flags));
        // one fold more, or the same bits on another table: a table of its own
        let c = with_fold(&flags, &[(0x17F, b's'), (0x212A, b'k'), (0x130, b'i')]);
        assert!(!Arc::ptr_eq(&a.flags, &c.flags));
        let mut other = flags.clone();
        other[0x41] |= ALNUM | 2;
        let d = with_fold(&other, &[(0x17F, b's'), (0x212A, b'k')]);
        assert!(!Arc::ptr_eq(&a.flags, &d.flags));
        let e = Tables::flags_only(&flags, None).expect("tables");
        assert!(!Arc::ptr_eq(&a.flags, &e.flags));
        // each is the given table with its own bits set
        for (tables, from, added) in [
            (&a, &flags, vec![(0x17F, FOLDS), (0x212A, FOLDS)]),
            (
                &c,
                &flags,
                vec![(0x130, FOLDS), (0x17F, FOLDS), (0x212A, FOLDS)],
            ),
            (&d, &other, vec![(0x17F, FOLDS), (0x212A, FOLDS)]),
            (&e, &flags, vec![]),
        ] {
            let mut expected = from.clone();
            for (c, bits) in added {
                expected[c as usize] |= bits;
            }
            assert!(tables.flags[..] == expected[..]);
        }
    }

    #[test]
    fn flag_tables_compare_every_byte() {
        let flags = given(24);
        let added = [(5u32, MAPPED), (0x212A, FOLDS | GLYPH)];
        let mut table = flags.clone();
        for &(c, bits) in &added {
            table[c as usize] |= bits;
        }
        assert!(flags_equal(&table, &flags, &added));
        for at in [
            0,
            4,
            5,
            6,
            0x2129,
            0x212A,
            0x212B,
            N_CODE_POINTS / 2,
            N_CODE_POINTS - 1,
        ] {
            let mut changed = table.clone();
            changed[at] ^= 0x40;
            assert!(!flags_equal(&changed, &flags, &added), "byte {at:#x}");
        }
        assert!(!flags_equal(&table, &flags, &added[..1]));
        assert!(!flags_equal(&table[1..], &flags, &added));
    }

    #[test]
    fn lower_tables_are_shared_by_their_pairs() {
        let pairs = vec![(0x41, 0x61), (0xC9, 0xE9), (0x212A, 0x6B), (0x41, 0x62)];
        let a = lower_table(pairs.clone()).expect("table");
        let b = lower_table(pairs.clone()).expect("table");
        assert!(Arc::ptr_eq(&a, &b));
        let c = lower_table(pairs[..3].to_vec()).expect("table");
        assert!(!Arc::ptr_eq(&a, &c));
        // every other code point maps to itself; the last pair for a code point wins
        assert_eq!(
            (a[0x41], a[0xC9], a[0x212A], a[0x42]),
            (0x62, 0xE9, 0x6B, 0x42)
        );
        assert_eq!((c[0x41], c[0x10FFFF]), (0x61, 0x10FFFF));
        assert!(lower_table(vec![(0x110000, 0x61)]).is_err());
    }
}
