//! The names extractor's word table (`extract/names.py`, `_word_table`): every word of its
//! lists once, with a bit per list it is in and its kind, looked up by hash.
//!
//! Why: the extractor's word lists hold about a hundred thousand words, most in more than one
//! list; a hash set per list, built from Python strings in every process, was a large part of
//! start-up. Python now derives one table (its words joined by NUL, UTF-8, and a mask per
//! word), keeps it in the disk cache, and hands the two buffers over as they are; the table
//! here keeps them as two arrays plus one array of slots (open addressing), so building it is
//! one hash per word and no allocation per word. A list is a `WordSet` view: the words whose
//! mask holds its bits.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A fast hash (the FxHash of rustc: words are looked up for every Capitalised word of a text,
/// and nothing here is keyed by an attacker's choice of hash).
#[derive(Default)]
pub struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = BuildHasherDefault<Fx>;

/// The mask's two low bits: the word's kind (`names::STOP` .. `names::UNKNOWN`).
pub const KIND_BITS: u16 = 3;

const EMPTY: u32 = u32::MAX;

pub struct WordTable {
    text: String,
    /// Word `i` is `text[ends[i]..ends[i + 1]]` (the NULs between words excluded).
    starts: Vec<u32>,
    ends: Vec<u32>,
    masks: Vec<u16>,
    /// Word indices by hash (`EMPTY`: none); a power of two, at most half full.
    slots: Vec<u32>,
}

#[inline]
fn hash(word: &[u8]) -> u64 {
    let mut h = Fx::default();
    h.write(word);
    // The low bits pick the slot: fold the well-mixed high bits into them.
    h.finish() ^ (h.finish() >> 29)
}

impl WordTable {
    /// The table of `words` (UTF-8, joined by NUL) and `masks` (one little-endian u16 per
    /// word); an error for anything that is not exactly that, or a word given twice.
    pub fn new(words: &[u8], masks: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(words)
            .map_err(|e| format!("word table: {e}"))?
            .to_owned();
        if masks.len() % 2 != 0 {
            return Err("word table: odd mask bytes".into());
        }
        let masks: Vec<u16> = masks
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        let count = if text.is_empty() && masks.is_empty() {
            0
        } else {
            text.split('\0').count()
        };
        if count != masks.len() || u32::try_from(text.len()).is_err() {
            return Err(format!("word table: {count} words, {} masks", masks.len()));
        }
        let mut starts = Vec::with_capacity(count);
        let mut ends = Vec::with_capacity(count);
        if count > 0 {
            let mut at = 0usize;
            for word in text.split('\0') {
                starts.push(at as u32);
                ends.push((at + word.len()) as u32);
                at += word.len() + 1;
            }
        }
        let size = (count * 2).max(8).next_power_of_two();
        let mut table = WordTable {
            text,
            starts,
            ends,
            masks,
            slots: vec![EMPTY; size],
        };
        for i in 0..count {
            let word = table.word(i);
            let mut slot = hash(word.as_bytes()) as usize & (size - 1);
            loop {
                let at = table.slots[slot];
                if at == EMPTY {
                    table.slots[slot] = i as u32;
                    break;
                }
                if table.word(at as usize) == word {
                    return Err(format!("word table: {word:?} given twice"));
                }
                slot = (slot + 1) & (size - 1);
            }
        }
        Ok(table)
    }

    #[inline]
    fn word(&self, i: usize) -> &str {
        &self.text[self.starts[i] as usize..self.ends[i] as usize]
    }

    /// The mask of `word` (0 if the table lacks it).
    #[inline]
    pub fn mask(&self, word: &str) -> u16 {
        let size = self.slots.len();
        let mut slot = hash(word.as_bytes()) as usize & (size - 1);
        loop {
            let at = self.slots[slot];
            if at == EMPTY {
                return 0;
            }
            if self.word(at as usize) == word {
                return self.masks[at as usize];
            }
            slot = (slot + 1) & (size - 1);
        }
    }

    /// The kind of `word` (`unknown` if the table lacks it).
    #[inline]
    pub fn kind(&self, word: &str, unknown: u8) -> u8 {
        match self.mask(word) {
            0 => unknown,
            m => (m & KIND_BITS) as u8,
        }
    }
}

/// The words of a table whose mask holds all of `bits`.
#[derive(Clone)]
pub struct WordSet {
    table: Arc<WordTable>,
    bits: u16,
}

impl WordSet {
    pub fn new(table: &Arc<WordTable>, bits: u16) -> Self {
        WordSet {
            table: Arc::clone(table),
            bits,
        }
    }

    #[inline]
    pub fn contains(&self, word: &str) -> bool {
        self.table.mask(word) & self.bits == self.bits
    }
}

/// A `WordTable` for Python: made (and so checked) where the disk cache reads the table
/// back, so a table the core refuses is one the cache computes again; then handed to
/// `NameScanner`.
#[pyclass(frozen, module = "amberline._core", name = "WordTable")]
pub struct PyWordTable(pub Arc<WordTable>);

#[pymethods]
impl PyWordTable {
    /// `words`: UTF-8, joined by NUL, each once; `masks`: one little-endian u16 per word.
    #[new]
    fn new(words: &[u8], masks: &[u8]) -> PyResult<Self> {
        Ok(PyWordTable(Arc::new(
            WordTable::new(words, masks).map_err(PyValueError::new_err)?,
        )))
    }

    fn __len__(&self) -> usize {
        self.0.masks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masks(values: &[u16]) -> Vec<u8> {
        values.iter().flat_map(|m| m.to_le_bytes()).collect()
    }

    #[test]
    fn looks_words_up() {
        let t =
            WordTable::new("mia\0ruby\0\u{e9}l\u{e9}a".as_bytes(), &masks(&[5, 10, 11])).unwrap();
        assert_eq!(t.mask("mia"), 5);
        assert_eq!(t.mask("ruby"), 10);
        assert_eq!(t.mask("\u{e9}l\u{e9}a"), 11);
        assert_eq!(t.mask("mi"), 0);
        assert_eq!(t.mask(""), 0);
        assert_eq!(t.kind("ruby", 3), 2);
        assert_eq!(t.kind("jade", 3), 3);
        let t = Arc::new(t);
        assert!(WordSet::new(&t, 4).contains("mia"));
        assert!(!WordSet::new(&t, 4).contains("ruby"));
        assert!(WordSet::new(&t, 8 | 2).contains("\u{e9}l\u{e9}a"));
        assert!(!WordSet::new(&t, 8 | 4).contains("\u{e9}l\u{e9}a"));
    }

    #[test]
    fn refuses_what_is_not_a_table() {
        assert!(WordTable::new(b"a\0a", &masks(&[1, 1])).is_err());
        assert!(WordTable::new(b"a\0b", &masks(&[1])).is_err());
        assert!(WordTable::new(b"a\0b", &[1, 0, 1]).is_err());
        assert!(WordTable::new(b"\xff", &masks(&[1])).is_err());
        let empty = WordTable::new(b"", &[]).unwrap();
        assert_eq!(empty.mask("a"), 0);
        // One empty word is a table of one word.
        assert_eq!(WordTable::new(b"", &masks(&[7])).unwrap().mask(""), 7);
    }
}
