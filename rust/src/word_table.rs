//! The names extractor's word table (`extract/names.py`, `_word_table`): every word of its
//! lists once, with a bit per list it is in and its kind, looked up by hash.
//!
//! Why: the extractor's word lists hold about a hundred thousand words, most in more than one
//! list; a hash set per list, built from Python strings in every process, was a large part of
//! start-up. Python now derives one table (its words joined by NUL, UTF-8, and a mask per
//! word), keeps it in the disk cache, and hands the two buffers over as they are; the table
//! here keeps them as two arrays plus one array of slots (open addressing), so building it is
//! one hash per word and no allocation per word. A list is a bit of the masks.

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

/// A slot no word is in (no word starts at byte `u32::MAX`: the text is shorter).
const EMPTY: u64 = u64::MAX;
/// A slot's length byte for a word of this many bytes or more (then compared in full).
const LONG: usize = 255;

pub struct WordTable {
    text: String,
    /// How many words there are.
    count: usize,
    /// One word per slot (open addressing; a power of two, at most half full), packed so that
    /// a look-up reads one slot and the word's bytes: its start in `text` (bits 0-31), its
    /// length in bytes up to `LONG` (32-39), 8 bits of its hash (40-47) and its mask (48-63);
    /// `EMPTY`: none; then the word's first 8 bytes (zeros after a shorter one). Why: a word
    /// is looked up for every Capitalised word of a text and the table is larger than the
    /// caches: each array read is a likely miss, and a word of up to 8 bytes (most) is
    /// compared in its slot without reading `text`.
    slots: Vec<[u64; 2]>,
}

/// FxHash's multiplier.
const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[inline]
fn hash(word: &[u8]) -> u64 {
    let mut h = 0u64;
    let mut chunks = word.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ v).wrapping_mul(K);
    }
    // The last bytes as one word (most words are shorter than 8 bytes: one step, not one per
    // byte); no word holds a NUL, so the zeros after them set no word apart from another.
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let v = rest.iter().rev().fold(0u64, |v, &b| v << 8 | u64::from(b));
        h = (h.rotate_left(5) ^ v).wrapping_mul(K);
    }
    // The low bits pick the slot: fold the well-mixed high bits into them.
    h ^ (h >> 29)
}

/// A word's first 8 bytes as one number (zeros after a shorter word).
#[inline]
fn head(word: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = word.len().min(8);
    b[..n].copy_from_slice(&word[..n]);
    u64::from_le_bytes(b)
}

/// The 8 bits of a hash a slot keeps (others than the ones that pick the slot).
#[inline]
fn tag(h: u64) -> u64 {
    (h >> 56) & 0xFF
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
        let count = if text.is_empty() && masks.is_empty() {
            0
        } else {
            memchr::memchr_iter(0, text.as_bytes()).count() + 1
        };
        if count != masks.len() / 2 || text.len() >= u32::MAX as usize {
            return Err(format!(
                "word table: {count} words, {} masks",
                masks.len() / 2
            ));
        }
        let size = (count * 2).max(8).next_power_of_two();
        let mut table = WordTable {
            text,
            count,
            slots: vec![[EMPTY, 0]; size],
        };
        if count > 0 {
            // (each word's end: a NUL, or the end of the text; one pass, no list of words)
            let bytes = table.text.as_bytes();
            let ends = memchr::memchr_iter(0, bytes).chain([bytes.len()]);
            let mut start = 0;
            for (end, mask) in ends.zip(masks.chunks_exact(2)) {
                let mask = u16::from_le_bytes([mask[0], mask[1]]);
                let word = &bytes[start..end];
                let h = hash(word);
                let mut slot = h as usize & (size - 1);
                while table.slots[slot][0] != EMPTY {
                    if table.holds(table.slots[slot], word, head(word), tag(h)) {
                        let word = String::from_utf8_lossy(word);
                        return Err(format!("word table: {word:?} given twice"));
                    }
                    slot = (slot + 1) & (size - 1);
                }
                table.slots[slot] = [
                    start as u64
                        | (word.len().min(LONG) as u64) << 32
                        | tag(h) << 40
                        | u64::from(mask) << 48,
                    head(word),
                ];
                start = end + 1;
            }
        }
        Ok(table)
    }

    /// Whether the (full) slot `[entry, first]` is `word`, whose first 8 bytes are `head`
    /// and whose hash has the `tag`.
    #[inline]
    fn holds(&self, [entry, first]: [u64; 2], word: &[u8], head: u64, tag: u64) -> bool {
        let len = word.len();
        if (entry >> 32) & 0xFF != len.min(LONG) as u64 || (entry >> 40) & 0xFF != tag {
            return false;
        }
        if len <= 8 || first != head {
            // (the same length below `LONG`: the first 8 bytes are the whole word)
            return first == head;
        }
        let start = (entry & 0xFFFF_FFFF) as usize;
        let text = self.text.as_bytes();
        // the word, then the NUL after it or the end of the text (for a `LONG` one)
        text.get(start..start + len) == Some(word) && text.get(start + len).is_none_or(|&b| b == 0)
    }

    /// The mask of `word` (0 if the table lacks it).
    #[inline]
    pub fn mask(&self, word: &str) -> u16 {
        self.mask_of(word.as_bytes())
    }

    /// `mask` of a word's UTF-8 bytes.
    #[inline]
    pub fn mask_of(&self, word: &[u8]) -> u16 {
        self.probe(word, hash(word), head(word))
    }

    /// `mask_of` of the word in the first `len` bytes of `padded`, which holds zeros after
    /// it up to a multiple of 8 bytes (`len` at most `N`, a multiple of 8 from 8). Why:
    /// a word lowered into a zeroed buffer is hashed here eight bytes at a time, as `hash`
    /// reads it (its last bytes, zeros after them, are what `hash` folds them into), and its
    /// head is its first eight bytes as they are: no byte-by-byte work for most words.
    #[inline]
    pub fn mask_of_padded<const N: usize>(&self, padded: &[u8; N], len: usize) -> u16 {
        const { assert!(N >= 8 && N % 8 == 0) };
        let chunk = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&padded[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        let mut h = 0u64;
        for i in 0..len.div_ceil(8) {
            h = (h.rotate_left(5) ^ chunk(i)).wrapping_mul(K);
        }
        let h = h ^ (h >> 29);
        self.probe(&padded[..len], h, chunk(0))
    }

    /// The mask in the slot of `word` (hash `h`, head `first`), 0 if none.
    #[inline]
    fn probe(&self, word: &[u8], h: u64, first: u64) -> u16 {
        let size = self.slots.len();
        let mut slot = h as usize & (size - 1);
        loop {
            let entry = self.slots[slot];
            if entry[0] == EMPTY {
                return 0;
            }
            if self.holds(entry, word, first, tag(h)) {
                return (entry[0] >> 48) as u16;
            }
            slot = (slot + 1) & (size - 1);
        }
    }

    /// The kind of `word` (`unknown` if the table lacks it).
    #[inline]
    pub fn kind(&self, word: &str, unknown: u8) -> u8 {
        kind_of(self.mask(word), unknown)
    }
}

/// The kind of a word of this mask (`unknown` for 0: the table lacks it).
#[inline]
pub fn kind_of(mask: u16, unknown: u8) -> u8 {
    match mask {
        0 => unknown,
        m => (m & KIND_BITS) as u8,
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
        self.0.count
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
        assert_eq!(t.mask_of("\u{e9}l\u{e9}a".as_bytes()), 11);
        assert_eq!(kind_of(0, 3), 3);
        assert_eq!(kind_of(10, 3), 2);
    }

    #[test]
    fn looks_long_words_up() {
        // Longer than a slot's length byte: told apart from their prefixes and extensions.
        let long = "a".repeat(300);
        let words = format!(
            "{long}\0{}\0{}b\0{}",
            &long[..299],
            &long[..299],
            &long[..255]
        );
        let t = WordTable::new(words.as_bytes(), &masks(&[1, 2, 3, 4])).unwrap();
        assert_eq!(t.mask(&long), 1);
        assert_eq!(t.mask(&long[..299]), 2);
        assert_eq!(t.mask(&format!("{}b", &long[..299])), 3);
        assert_eq!(t.mask(&long[..255]), 4);
        assert_eq!(t.mask(&long[..256]), 0);
        assert_eq!(t.mask(&"a".repeat(301)), 0);
        assert!(WordTable::new(format!("{long}\0{long}").as_bytes(), &masks(&[1, 1])).is_err());
        // Many words: every one found with its own mask, none that is not there.
        let many: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        let ms: Vec<u16> = (0..5000).map(|i| (i % 900 + 1) as u16).collect();
        let t = WordTable::new(many.join("\0").as_bytes(), &masks(&ms)).unwrap();
        for (w, &m) in many.iter().zip(&ms) {
            assert_eq!(t.mask(w), m);
            assert_eq!(t.mask(&format!("{w}x")), 0);
        }
    }

    #[test]
    fn looks_padded_words_up_as_words() {
        let words = [
            "",
            "a",
            "mia",
            "rosalind",
            "rosalinda",
            "abcdefghijklmnop",
            "x-y",
        ];
        let mut listed: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        listed.extend((1..=48).map(|n| "q".repeat(n)));
        let ms: Vec<u16> = (1..=listed.len() as u16).collect();
        let t = WordTable::new(listed.join("\0").as_bytes(), &masks(&ms)).unwrap();
        let mut tried: Vec<String> = listed.clone();
        tried.extend((1..=48).map(|n| "r".repeat(n)));
        tried.extend(["mi", "miaa", "rosalin", "rosalindaa"].map(String::from));
        for w in &tried {
            let mut padded = [0u8; 48];
            padded[..w.len()].copy_from_slice(w.as_bytes());
            assert_eq!(t.mask_of_padded(&padded, w.len()), t.mask(w), "{w:?}");
        }
        assert_eq!(t.mask_of_padded(&[0u8; 48], 0), 1);
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
