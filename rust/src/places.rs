//! The place extractor's gazetteer scan (`extract/places.py`): every gazetteer name in the
//! lower-cased text that stands on word boundaries outside a web address.
//!
//! Why: the Python extractor scans the text with a Hyperscan database of the ten thousand
//! gazetteer names and then, per match, converts offsets, sorts, and tests the characters
//! around it in the interpreter; about half of its matches are parts of longer words. Here
//! the names are walked in a trie from each position a name may start at (no letter or digit
//! before it), which gives the same set of candidates, and Python only resolves those that
//! remain (state or country after, cue before: `PlaceExtractor._resolve`).
//!
//! The text is lower-cased one character at a time with Python's single-character table
//! (`str.lower` turns no other character into several but the dotted capital I, which the
//! extractor then keeps as it is, and a capital sigma's two lower cases are in no key: the
//! Python side declines a gazetteer that spells a sigma).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use std::collections::HashMap;

use crate::tables::{Tables, ALNUM, SPACE};
use crate::word_table::FxBuild;

pub struct PlaceScanner {
    tables: Tables,
    lower: std::sync::Arc<[u32]>,
    trie: Trie,
    /// Each key's first word (its letters and digits up to the first other character) to
    /// the trie's edge after it. A name matches only where the text's word at the start is
    /// one of these (the character after it is no letter or digit in the key, or the key
    /// ends and the text's next one may not be one), so one look-up per word of the text
    /// replaces most walks of the trie, whose steps miss the cache.
    first_words: HashMap<Box<[u32]>, Edge, FxBuild>,
    /// What `PlaceExtractor._resolve` decides with, when handed over (`extract` needs it).
    rules: Option<Rules>,
    /// Per ASCII character: its lower case (ASCII, as `new` checks), plus 0x80 if that is
    /// a letter or digit.
    ascii: [u8; 128],
    /// The `first_words` that are ASCII, by `chunk_hash`: a word of the text that is ASCII
    /// is looked up from `CharMasks::bytes`, with no copy and no second hash.
    ascii_first_words: AsciiWords,
    /// One bit per `chunk_hash` of the `ascii_first_words` (a filter before the look-up).
    first_word_bits: Box<[u64; 1 << (FIRST_WORD_BITS - 6)]>,
    /// The characters no key's first word holds but a key starts with (lower-cased, neither
    /// letter nor digit: an apostrophe, a quotation mark), sorted; `starter_bits` has bit
    /// `c % 64` of each (a filter before the search); `ascii_starters` has the ASCII
    /// characters that lower-case to one of them, one bit each.
    starters: Vec<u32>,
    starter_bits: u64,
    ascii_starters: u128,
    /// The ASCII characters of `ascii_starters` when the masks may be built sixteen characters
    /// at a time (`CharMasks::new`): at most two, and ASCII letters and digits lower-case and
    /// classify as `str.lower` and `str.isalnum` do for ASCII (as `new` checks); else None.
    simd_starters: Option<[u8; 2]>,
}

/// log2 of the number of bits of `PlaceScanner::first_word_bits`: a few times the first
/// words, so that few words of a text that are none pass.
const FIRST_WORD_BITS: u32 = 17;

/// A word's hash from its (lower-case ASCII) bytes, eight at a time: `bytes[start..end]`,
/// with `bytes` readable eight bytes past `end - 1` (what lies there is masked off).
#[inline]
fn chunk_hash(bytes: &[u8], start: usize, end: usize) -> u64 {
    let mut hash = 0;
    let mut at = start;
    loop {
        let chunk: [u8; 8] = bytes[at..at + 8].try_into().expect("eight bytes");
        let chunk = u64::from_le_bytes(chunk);
        let rest = end - at;
        if rest <= 8 {
            return word_hash(hash, chunk & (u64::MAX >> (8 * (8 - rest))));
        }
        hash = word_hash(hash, chunk);
        at += 8;
    }
}

/// Bytes of padding after a text's `CharMasks::bytes` (one chunk of `chunk_hash`).
const PAD: usize = 8;

/// One bit per character of a text (bit `i % 64` of word `i / 64`), for `candidates`: a key
/// starts only where a word starts (or at a `starters` character with no letter or digit
/// before it), and these find those places with a few operations per 64 characters, where
/// a test per character cost most of the scan.
#[derive(Default)]
struct CharMasks {
    /// lower-cased, a letter or digit (`str.isalnum`)
    alnum: Vec<u64>,
    /// not ASCII
    wide: Vec<u64>,
    /// lower-cased, one of `PlaceScanner::starters`
    starter: Vec<u64>,
    /// per character, if ASCII: lower-cased (else any value), then `PAD` bytes
    bytes: Vec<u8>,
}

/// `CharMasks::fill_sse2` on one block of 64 characters: its alnum, wide and starter masks
/// (the starters and letters past ASCII are left to `CharMasks::fill`); its bytes into `out`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn sse2_block(block: &[u32; 64], starters: [u8; 2], out: &mut [u8; 64]) -> (u64, u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8, _mm_storeu_si128,
    };
    let (mut al, mut wi, mut st) = (0u64, 0u64, 0u64);
    // SAFETY: SSE2 is in every x86-64 target; each unaligned load reads four u32 of the
    // block of 64, and each store sixteen bytes of `out`, 64 long. Signed saturation to 16
    // bits then unsigned to 8 keeps ASCII and makes every other value (below 2^31, as
    // `batch_view` checks) 0x80 to 0xFF.
    unsafe {
        let v = |b: u8| _mm_set1_epi8(b as i8);
        let (case, s0, s1) = (v(0x20), v(starters[0]), v(starters[1]));
        let (a, z, zero, nine) = (v(b'a' - 1), v(b'z' + 1), v(b'0' - 1), v(b'9' + 1));
        for q in 0..4 {
            let b = crate::simd::code_point_bytes(block.as_ptr().add(16 * q));
            let low = _mm_or_si128(b, case);
            _mm_storeu_si128(out.as_mut_ptr().add(16 * q).cast::<__m128i>(), low);
            // (as signed bytes, every value past ASCII is below all of these)
            let letter = _mm_and_si128(_mm_cmpgt_epi8(low, a), _mm_cmplt_epi8(low, z));
            let digit = _mm_and_si128(_mm_cmpgt_epi8(b, zero), _mm_cmplt_epi8(b, nine));
            let starts = _mm_or_si128(_mm_cmpeq_epi8(b, s0), _mm_cmpeq_epi8(b, s1));
            let shift = 16 * q;
            al |= (_mm_movemask_epi8(_mm_or_si128(letter, digit)) as u64) << shift;
            wi |= (_mm_movemask_epi8(b) as u64) << shift;
            st |= (_mm_movemask_epi8(starts) as u64) << shift;
        }
    }
    (al, wi, st & !wi)
}

impl CharMasks {
    #[cfg(test)]
    fn new(scanner: &PlaceScanner, text: &[u32]) -> Self {
        let mut m = CharMasks::default();
        m.fill(scanner, text);
        m
    }

    /// The masks of `text`, in the space of the previous text's (a batch's texts reuse it:
    /// most are short, and allocating the masks cost more than filling them).
    fn fill(&mut self, scanner: &PlaceScanner, text: &[u32]) {
        let n = text.len();
        let words = n.div_ceil(64);
        let m = self;
        for mask in [&mut m.alnum, &mut m.wide, &mut m.starter] {
            mask.clear();
            mask.resize(words, 0);
        }
        // (written in order below, so not zeroed first)
        m.bytes.clear();
        m.bytes.reserve(n + PAD);
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if let Some(starters) = scanner.simd_starters {
            done = m.fill_sse2(text, starters);
        }
        m.fill_scalar(scanner, text, done);
        m.bytes.extend([0; PAD]);
        // The characters that are not ASCII, one by one (few in most texts).
        for k in 0..words {
            let mut wide = m.wide[k];
            while wide != 0 {
                let bit = wide & wide.wrapping_neg();
                wide ^= bit;
                let (low, alnum) =
                    scanner.lowered_alnum_wide(text[k * 64 + bit.trailing_zeros() as usize]);
                if alnum {
                    m.alnum[k] |= bit;
                } else if scanner.starter_bits >> (low % 64) & 1 != 0
                    && scanner.starters.binary_search(&low).is_ok()
                {
                    m.starter[k] |= bit;
                }
            }
        }
    }

    /// The ASCII characters of `text[from..]` by the scanner's tables, one at a time; the
    /// others are only marked `wide`.
    fn fill_scalar(&mut self, scanner: &PlaceScanner, text: &[u32], from: usize) {
        debug_assert_eq!(self.bytes.len(), from);
        for (i, &c) in text.iter().enumerate().skip(from) {
            let bit = 1u64 << (i % 64);
            if c < 0x80 {
                let entry = scanner.ascii[c as usize];
                self.bytes.push(entry & 0x7f);
                if entry & 0x80 != 0 {
                    self.alnum[i / 64] |= bit;
                } else if scanner.ascii_starters >> c & 1 != 0 {
                    self.starter[i / 64] |= bit;
                }
            } else {
                self.bytes.push(0);
                self.wide[i / 64] |= bit;
            }
        }
    }

    /// `fill_scalar` sixteen characters at a time, with SSE2 (part of every x86-64), the
    /// last characters copied into a block of 64 (most texts of a batch of fields are
    /// shorter than 64); returns where it stopped (the end). ASCII letters and digits are
    /// found by their ranges and lower-cased by setting 0x20 (`new` checked that the tables
    /// agree).
    #[cfg(target_arch = "x86_64")]
    fn fill_sse2(&mut self, text: &[u32], starters: [u8; 2]) -> usize {
        let blocks = text.chunks_exact(64);
        let tail = blocks.remainder();
        let masks = self
            .alnum
            .iter_mut()
            .zip(&mut self.wide)
            .zip(&mut self.starter);
        for (block, ((alnum, wide), starter)) in blocks.zip(masks) {
            let block: &[u32; 64] = block.try_into().expect("a block of 64");
            let mut out = [0u8; 64];
            (*alnum, *wide, *starter) = sse2_block(block, starters, &mut out);
            self.bytes.extend_from_slice(&out);
        }
        if !tail.is_empty() {
            let mut block = [0u32; 64];
            block[..tail.len()].copy_from_slice(tail);
            let mut out = [0u8; 64];
            let (al, wi, st) = sse2_block(&block, starters, &mut out);
            // (only the text's characters: the zeros after them are in no mask anyway)
            let keep = u64::MAX >> (64 - tail.len());
            let last = self.alnum.len() - 1;
            self.alnum[last] = al & keep;
            self.wide[last] = wi & keep;
            self.starter[last] = st & keep;
            self.bytes.extend_from_slice(&out[..tail.len()]);
        }
        text.len()
    }

    /// The end of the run of letters and digits at `start`.
    #[inline]
    fn word_end(&self, start: usize) -> usize {
        let mut k = start / 64;
        let mut end = start + (!(self.alnum[k] >> (start % 64))).trailing_zeros() as usize;
        while end == (k + 1) * 64 && k + 1 < self.alnum.len() {
            k += 1;
            end += (!self.alnum[k]).trailing_zeros() as usize;
        }
        end
    }

    /// Is any character of `start..end` not ASCII?
    #[inline]
    fn any_wide(&self, start: usize, end: usize) -> bool {
        let (first, last) = (start / 64, (end - 1) / 64);
        let head = u64::MAX << (start % 64);
        let tail = u64::MAX >> (63 - (end - 1) % 64);
        if first == last {
            return self.wide[first] & head & tail != 0;
        }
        self.wide[first] & head != 0
            || self.wide[first + 1..last].iter().any(|&w| w != 0)
            || self.wide[last] & tail != 0
    }
}

/// One step of `chunk_hash`: eight bytes more.
#[inline]
fn word_hash(hash: u64, chunk: u64) -> u64 {
    (hash.rotate_left(5) ^ chunk).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// The ASCII first words of the keys (`PlaceScanner::first_words`), looked up by their
/// `chunk_hash` (open addressing): a word of the text is hashed once, for the filter and here.
struct AsciiWords {
    /// per slot: 1 + the index of a word in `words`, or 0; a power of two long
    slots: Vec<u32>,
    words: Vec<AsciiWord>,
    /// Each word's bytes, eight to a chunk (the last padded with zeros), from `AsciiWord::at`.
    chunks: Vec<u64>,
}

#[derive(Clone, Copy)]
struct AsciiWord {
    hash: u64,
    at: u32,
    len: u32,
    edge: Edge,
}

impl AsciiWords {
    fn new(words: Vec<(Vec<u8>, Edge)>) -> Self {
        let size = (words.len() * 2).next_power_of_two().max(16);
        let mut table = AsciiWords {
            slots: vec![0; size],
            words: Vec::with_capacity(words.len()),
            chunks: Vec::new(),
        };
        for (bytes, edge) in words {
            let mut padded = bytes.clone();
            padded.resize(bytes.len().div_ceil(8) * 8 + PAD, 0);
            let hash = chunk_hash(&padded, 0, bytes.len());
            let at = table.chunks.len() as u32;
            table.chunks.extend(
                padded[..bytes.len().div_ceil(8) * 8]
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("eight bytes"))),
            );
            let mut slot = table.slot(hash);
            while table.slots[slot] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            table.words.push(AsciiWord {
                hash,
                at,
                len: bytes.len() as u32,
                edge,
            });
            table.slots[slot] = table.words.len() as u32;
        }
        table
    }

    /// The first slot for a hash (from bits below those `first_word_bits` takes).
    #[inline]
    fn slot(&self, hash: u64) -> usize {
        (hash >> 24) as usize & (self.slots.len() - 1)
    }

    /// The edge after the word `bytes[start..end]` (`chunk_hash` `hash`, `bytes` readable as
    /// for `chunk_hash`), if it is one of the words.
    fn get(&self, hash: u64, bytes: &[u8], start: usize, end: usize) -> Option<Edge> {
        let mut slot = self.slot(hash);
        loop {
            let index = self.slots[slot];
            if index == 0 {
                return None;
            }
            let word = &self.words[index as usize - 1];
            if word.hash == hash && word.len as usize == end - start {
                let chunks = &self.chunks[word.at as usize..][..(end - start).div_ceil(8)];
                let same = chunks.iter().enumerate().all(|(j, &want)| {
                    let at = start + 8 * j;
                    let chunk = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight"));
                    let rest = (end - at).min(8);
                    chunk & (u64::MAX >> (8 * (8 - rest))) == want
                });
                if same {
                    return Some(word.edge);
                }
            }
            slot = (slot + 1) & (self.slots.len() - 1);
        }
    }
}

/// The gazetteer's facts and the context rules of `PlaceExtractor._resolve`, by key index and
/// by place index (the places `_choice` can answer, numbered by Python).
pub struct Rules {
    /// per key: `COMMON` (in `common_words`), `GIVEN` (in `given_names`)
    pub key_flags: Vec<u8>,
    /// per key: the place `_choice(key, None)` answers, or `NO_KEY`
    pub default: Vec<u32>,
    /// per key: its (region code index, place) pairs, `_choice(key, code)`, in
    /// `regional[regional_at[key]..regional_at[key + 1]]`
    pub regional_at: Vec<u32>,
    pub regional: Vec<(u32, u32)>,
    /// per place: `HOME` (in the US or Canada), `BIG` (a million people or more)
    pub place_flags: Vec<u8>,
    /// `region_lookup`: the region codes (two characters, matched as they are) and the region
    /// names (lower-case ASCII) with their code index
    pub codes: RegionCodes,
    pub region_names: NamesAfter,
    /// `country_lookup`: the country names (lower-case ASCII)
    pub countries: NamesAfter,
    /// `CUE_WORDS` (lower-case ASCII)
    pub cues: Vec<Vec<u8>>,
    /// The characters `str.isupper` is true of, among those that lower-case to a key's first
    /// character (the only ones `_resolve` asks about), sorted.
    pub upper: Vec<u32>,
}

pub const COMMON: u8 = 1;
pub const GIVEN: u8 = 2;
pub const HOME: u8 = 1;
pub const BIG: u8 = 2;
/// `_CUE_WINDOW`
const CUE_WINDOW: usize = 24;
/// `LISTED_RUN`, `_LIST_GAP_MAX`
const LISTED_RUN: usize = 8;
const LIST_GAP_MAX: usize = 8;
/// The separators of `_LIST_GAP`.
const LIST_SEPARATORS: &str = ",/|.&+;:•*~()-–";

/// `_lookup.NamesAfter` without its codes: lower-case ASCII names grouped by their first word,
/// longest first, each with a payload (a region code index; 0 for a country).
pub struct NamesAfter {
    by_word: HashMap<Box<[u8]>, NameGroup, FxBuild>,
    /// The length of the longest first word (a longer word of the text is none of them).
    longest_word: usize,
}

/// The names of one first word, with their payloads, longest first.
type NameGroup = Vec<(Vec<u8>, u32)>;

/// The first words `names_after` folds on the stack (a longer one is folded on the heap).
const SHORT_WORD: usize = 32;

impl NamesAfter {
    pub fn new(names: Vec<(String, u32)>) -> Result<Self, String> {
        let mut by_word: HashMap<Box<[u8]>, NameGroup, FxBuild> = Default::default();
        for (name, payload) in names {
            let bytes = name.as_bytes().to_vec();
            if !name.is_ascii() || name != name.to_ascii_lowercase() {
                return Err(format!("name {name:?} is not lower-case ASCII"));
            }
            let first: Vec<u8> = bytes
                .iter()
                .copied()
                .take_while(u8::is_ascii_lowercase)
                .collect();
            if first.is_empty() {
                return Err(format!("name {name:?} does not start with a letter"));
            }
            by_word
                .entry(first.into_boxed_slice())
                .or_default()
                .push((bytes, payload));
        }
        for group in by_word.values_mut() {
            group.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        }
        let longest_word = by_word.keys().map(|w| w.len()).max().unwrap_or(0);
        Ok(NamesAfter {
            by_word,
            longest_word,
        })
    }
}

/// `_lookup.NamesAfter`'s codes: two characters each, matched as they are, found by a direct
/// table where both are ASCII capitals (every region code: a linear search of the sixty-odd
/// codes was a third of `names_after`, which runs for every candidate place).
#[derive(Default)]
pub struct RegionCodes {
    /// per pair of ASCII capitals, by `26 * first + second`: 1 + the code's index, or 0
    capitals: Vec<u32>,
    /// (code, index) of the other codes
    others: Vec<([u32; 2], u32)>,
    count: usize,
}

impl RegionCodes {
    pub fn new(codes: &[[u32; 2]]) -> Self {
        let mut table = RegionCodes {
            capitals: vec![0; 26 * 26],
            others: Vec::new(),
            count: codes.len(),
        };
        // (a code listed twice is found at its first index, as a linear search finds it)
        for (i, &code) in codes.iter().enumerate().rev() {
            match Self::capitals_at(code) {
                Some(at) => table.capitals[at] = i as u32 + 1,
                None => table.others.insert(0, (code, i as u32)),
            }
        }
        table
    }

    #[inline]
    fn capitals_at([a, b]: [u32; 2]) -> Option<usize> {
        let capital = |c: u32| (0x41..=0x5A).contains(&c);
        (capital(a) && capital(b)).then(|| 26 * (a - 0x41) as usize + (b - 0x41) as usize)
    }

    /// The index of the code `two`, if it is one.
    #[inline]
    fn get(&self, two: [u32; 2]) -> Option<u32> {
        if let Some(at) = Self::capitals_at(two) {
            // (an empty table for no codes)
            return self.capitals.get(at).and_then(|&i| i.checked_sub(1));
        }
        self.others
            .iter()
            .find(|&&(c, _)| c == two)
            .map(|&(_, i)| i)
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The keys as a trie of characters, laid out flat: each node's children are one block of
/// `edges`, sorted by character, and the edge to a node carries that node's block and the
/// key ending at it, so a step of the walk reads one block.
struct Trie {
    edges: Vec<Edge>,
    /// The root's block.
    root: (u32, u32),
    /// The edge from the root for each ASCII character, or `NO_KEY`.
    root_ascii: [u32; 128],
    /// The edge after two ASCII characters, by `first * 128 + second`, or `NO_KEY`: the
    /// second step from a start is the widest choice the walk makes (a binary search in a
    /// block of dozens of edges, missing the cache), this is one look-up.
    second: Vec<u32>,
}

#[derive(Clone, Copy)]
struct Edge {
    c: u32,
    /// The child's block: `edges[first..first + count]`.
    first: u32,
    count: u32,
    /// The key ending at the child, or `NO_KEY`.
    key: u32,
}

const NO_KEY: u32 = u32::MAX;

/// What `PlaceScanner::candidates` has found, and its scratch space.
#[derive(Default)]
struct Found {
    /// (start, end, key index), by start, longest first
    out: Vec<(usize, usize, u32)>,
    /// (end, key index) of the keys at the current start, shortest first
    ends: Vec<(usize, u32)>,
    /// a word of the text lower-cased
    word: Vec<u32>,
}

/// The space `candidates` and `extract` work in, kept from one text of a batch to the next
/// (`per_text`): a batch of short texts, the ads' location fields, otherwise paid a handful
/// of allocations per text, more than the scan of most of them.
#[derive(Default)]
pub struct Scratch {
    masks: CharMasks,
    found: Found,
    /// `extract`'s spans
    spans: Vec<PlaceSpan>,
}

impl Found {
    /// Add the keys of `ends`, which start at `start`.
    fn add(&mut self, start: usize) {
        self.out
            .extend(self.ends.iter().rev().map(|&(e, k)| (start, e, k)));
    }
}

/// One place span of `PlaceScanner::extract`.
#[derive(Clone, Copy, Debug)]
pub struct PlaceSpan {
    pub start: usize,
    pub end: usize,
    pub place: u32,
    pub anchored: bool,
    pub listed: bool,
}

impl Trie {
    /// The trie of `keys` (a key listed twice ends where its last index says).
    ///
    /// Built from the keys in order of their characters, so that the keys below a node are
    /// one run of that order: a node's children are the runs its next character splits its
    /// run into, written as one block when the node is taken from the stack of nodes to
    /// visit, and the edge to it is given that block then. (A node per character, each with
    /// a vector of its children, cost an allocation per node.)
    fn new(keys: &[String]) -> Self {
        // (UTF-8's byte order is the characters' order)
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]).then(a.cmp(&b)));
        // Each key in that order: where its characters start in `chars`, how many, its index.
        let mut chars: Vec<u32> = Vec::with_capacity(keys.iter().map(String::len).sum());
        let mut rows = Vec::with_capacity(keys.len());
        for &k in &order {
            let start = chars.len();
            chars.extend(keys[k as usize].chars().map(u32::from));
            rows.push((start, chars.len() - start, k));
        }
        let char_at = |row: usize, depth: usize| chars[rows[row].0 + depth];
        let mut edges: Vec<Edge> = Vec::with_capacity(chars.len());
        let mut root = (0, 0);
        // (the node's run of `rows`, its depth, and the edge to it: none for the root)
        let mut stack = vec![(0usize, rows.len(), 0usize, NO_KEY)];
        while let Some((lo, hi, depth, into)) = stack.pop() {
            let block = edges.len() as u32;
            let mut at = lo;
            while at < hi && rows[at].1 == depth {
                at += 1; // the keys ending here (their edge has them), first in the run
            }
            while at < hi {
                let c = char_at(at, depth);
                let mut end = at + 1;
                while end < hi && char_at(end, depth) == c {
                    end += 1;
                }
                let key = rows[at..end]
                    .iter()
                    .take_while(|row| row.1 == depth + 1)
                    .last()
                    .map_or(NO_KEY, |row| row.2);
                stack.push((at, end, depth + 1, edges.len() as u32));
                edges.push(Edge {
                    c,
                    first: 0,
                    count: 0,
                    key,
                });
                at = end;
            }
            let count = edges.len() as u32 - block;
            if into == NO_KEY {
                root = (block, count);
            } else {
                edges[into as usize].first = block;
                edges[into as usize].count = count;
            }
        }
        let mut root_ascii = [NO_KEY; 128];
        for (i, e) in edges[root.0 as usize..(root.0 + root.1) as usize]
            .iter()
            .enumerate()
        {
            if e.c < 128 {
                root_ascii[e.c as usize] = root.0 + i as u32;
            }
        }
        let mut second = vec![NO_KEY; 128 * 128];
        for (c1, &i) in root_ascii.iter().enumerate() {
            if i == NO_KEY {
                continue;
            }
            let e = edges[i as usize];
            for (j, e2) in edges[e.first as usize..(e.first + e.count) as usize]
                .iter()
                .enumerate()
            {
                if e2.c < 128 {
                    second[c1 * 128 + e2.c as usize] = e.first + j as u32;
                }
            }
        }
        Trie {
            edges,
            root,
            root_ascii,
            second,
        }
    }

    /// The edge after the first two characters of a walk.
    #[inline]
    fn step2(&self, first: Edge, c1: u32, c2: u32) -> Option<Edge> {
        if c1 < 128 && c2 < 128 {
            let i = self.second[(c1 * 128 + c2) as usize];
            return (i != NO_KEY).then(|| self.edges[i as usize]);
        }
        self.step((first.first, first.count), c2)
    }

    /// The edge for `c` out of the block (first, count); the root's block is `self.root`.
    #[inline]
    fn step(&self, block: (u32, u32), c: u32) -> Option<Edge> {
        if block == self.root && c < 128 {
            let i = self.root_ascii[c as usize];
            return (i != NO_KEY).then(|| self.edges[i as usize]);
        }
        let edges = &self.edges[block.0 as usize..(block.0 + block.1) as usize];
        let i = if edges.len() <= 8 {
            edges.iter().position(|e| e.c == c)?
        } else {
            edges.binary_search_by_key(&c, |e| e.c).ok()?
        };
        Some(edges[i])
    }
}

/// `_IN_DOMAIN`'s endings.
const DOMAINS: [&str; 8] = ["com", "net", "org", "info", "biz", "us", "ca", "co"];

impl PlaceScanner {
    pub fn new(tables: Tables, lower: Vec<(u32, u32)>, keys: Vec<String>) -> Result<Self, String> {
        if let Some(k) = keys.iter().find(|k| k.contains(['σ', 'ς'])) {
            return Err(format!("key {k:?} spells a sigma"));
        }
        let table = crate::tables::lower_table(lower)?;
        let trie = Trie::new(&keys);
        let mut first_words: HashMap<Box<[u32]>, Edge, FxBuild> = HashMap::default();
        for key in &keys {
            let word: Vec<u32> = key
                .chars()
                .map(u32::from)
                .take_while(|&c| tables.flag(c, ALNUM))
                .collect();
            let mut edge = None;
            let mut block = trie.root;
            for &c in &word {
                let e = trie
                    .step(block, c)
                    .ok_or("a key's first word is not in the trie")?;
                block = (e.first, e.count);
                edge = Some(e);
            }
            if let Some(e) = edge {
                first_words.insert(word.into_boxed_slice(), e);
            }
        }
        if (0..0x80).any(|c| table[c] >= 0x80) {
            return Err("an ASCII character lower-cases to another".into());
        }
        let ascii = std::array::from_fn(|c| {
            let low = table[c] as u8;
            low | if tables.flag(u32::from(low), ALNUM) {
                0x80
            } else {
                0
            }
        });
        let mut first_word_bits = Box::new([0u64; 1 << (FIRST_WORD_BITS - 6)]);
        let mut ascii_words = Vec::new();
        for (word, &edge) in &first_words {
            let Some(bytes) = word
                .iter()
                .map(|&c| u8::try_from(c).ok().filter(u8::is_ascii))
                .collect::<Option<Vec<u8>>>()
            else {
                continue;
            };
            let mut padded = bytes.clone();
            padded.extend([0; PAD]);
            let bit = (chunk_hash(&padded, 0, bytes.len()) >> (64 - FIRST_WORD_BITS)) as usize;
            first_word_bits[bit / 64] |= 1 << (bit % 64);
            ascii_words.push((bytes, edge));
        }
        // (in a fixed order: the table's probes then do not depend on the map's)
        ascii_words.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let ascii_first_words = AsciiWords::new(ascii_words);
        let root = &trie.edges[trie.root.0 as usize..(trie.root.0 + trie.root.1) as usize];
        let starters: Vec<u32> = root
            .iter()
            .map(|e| e.c)
            .filter(|&c| !tables.flag(c, ALNUM))
            .collect();
        let starter_bits = starters.iter().fold(0u64, |bits, &c| bits | 1 << (c % 64));
        let ascii_starters = (0..0x80u8)
            .filter(|&c| ascii[c as usize] & 0x80 == 0)
            .filter(|&c| starters.contains(&u32::from(ascii[c as usize])))
            .fold(0u128, |bits, c| bits | 1 << c);
        // (the sixteen-at-a-time masks take ASCII letters and digits by their ranges)
        let plain_ascii = (0..0x80u8).all(|c| {
            let alnum = c.is_ascii_alphanumeric();
            ascii[c as usize] & 0x80 != 0 && alnum && ascii[c as usize] & 0x7f == c | 0x20
                || ascii[c as usize] & 0x80 == 0 && !alnum
        });
        let simd_starters = match (0..0x80u8)
            .filter(|&c| ascii_starters >> c & 1 != 0)
            .collect::<Vec<_>>()[..]
        {
            // (0x80 matches only characters past ASCII, which are left out)
            [] => Some([0x80, 0x80]),
            [a] => Some([a, 0x80]),
            [a, b] => Some([a, b]),
            _ => None,
        }
        .filter(|_| plain_ascii);
        Ok(PlaceScanner {
            tables,
            lower: table,
            trie,
            first_words,
            rules: None,
            ascii,
            ascii_first_words,
            first_word_bits,
            starters,
            starter_bits,
            ascii_starters,
            simd_starters,
        })
    }

    /// Hand over the rules `extract` decides with (checked against the keys).
    pub fn with_rules(mut self, rules: Rules, n_keys: usize) -> Result<Self, String> {
        let n_places = rules.place_flags.len();
        if rules.key_flags.len() != n_keys
            || rules.default.len() != n_keys
            || rules.regional_at.len() != n_keys + 1
        {
            return Err("rules for a different number of keys".into());
        }
        if rules.regional_at.windows(2).any(|w| w[0] > w[1])
            || rules.regional_at.last().copied() != Some(rules.regional.len() as u32)
        {
            return Err("regional choices out of order".into());
        }
        let bad_place = |p: u32| p != NO_KEY && p as usize >= n_places;
        if rules.default.iter().any(|&p| bad_place(p))
            || rules
                .regional
                .iter()
                .any(|&(c, p)| p == NO_KEY || bad_place(p) || c as usize >= rules.codes.len())
            || rules
                .region_names
                .by_word
                .values()
                .flatten()
                .any(|&(_, c)| c as usize >= rules.codes.len())
        {
            return Err("a choice names no such place or region".into());
        }
        self.rules = Some(rules);
        Ok(self)
    }

    /// (start, end, key index) of the candidates in one text, by start, longest first: every
    /// key that the lower-cased text holds with no letter or digit right before or after it
    /// and that is not part of a web address (what the Python extractor keeps of its
    /// matcher's matches, found here by walking the keys' trie from each such start).
    pub fn candidates(&self, text: &[u32]) -> Vec<(usize, usize, u32)> {
        let mut scratch = Scratch::default();
        self.candidates_in(text, &mut scratch);
        scratch.found.out
    }

    /// `candidates` into `scratch.found.out` (in the space of its previous text).
    fn candidates_in(&self, text: &[u32], scratch: &mut Scratch) {
        scratch.masks.fill(self, text);
        scratch.found.out.clear();
        self.starts(text, &scratch.masks, &mut scratch.found);
    }

    /// `candidates_in` once the masks are made. (The masks and what is found are two
    /// arguments, not parts of one: the compiler then knows that no call the loop makes
    /// with `found` changes the masks, and keeps them at hand.)
    fn starts(&self, text: &[u32], masks: &CharMasks, found: &mut Found) {
        // A key starts only where a word starts or at a starter, with no letter or digit
        // right before it. Most words are ASCII and end in the block they start in: those
        // are hashed here and looked up only if `first_word_bits` lets them through.
        let mut carry = 0;
        for (k, ((&alnum, &starter), &wide)) in masks
            .alnum
            .iter()
            .zip(&masks.starter)
            .zip(&masks.wide)
            .enumerate()
        {
            let mut starts = (alnum | starter) & !(alnum << 1 | carry);
            carry = alnum >> 63;
            while starts != 0 {
                let at = starts.trailing_zeros();
                starts &= starts - 1;
                let start = k * 64 + at as usize;
                let len = (!(alnum >> at)).trailing_zeros();
                if len == 0 || at + len == 64 || wide >> at & ((1 << len) - 1) != 0 {
                    // (a starter, or a word that may go on into the next block, or one that
                    // is not ASCII)
                    self.other_start(text, masks, start, found);
                    continue;
                }
                let end = start + len as usize;
                let hash = chunk_hash(&masks.bytes, start, end);
                if self.may_be_first_word(hash) {
                    let edge = self.ascii_first_words.get(hash, &masks.bytes, start, end);
                    self.first_word(text, start, end, edge, found);
                }
            }
        }
    }

    /// `candidates` from a start its loop leaves: a starter, or a word that is not ASCII or
    /// that reaches the end of its block of 64.
    #[inline(never)]
    fn other_start(&self, text: &[u32], masks: &CharMasks, start: usize, found: &mut Found) {
        if masks.alnum[start / 64] >> (start % 64) & 1 == 0 {
            if !self.after_link(text, start) {
                found.ends.clear();
                self.walk(text, start, start, self.trie.root, &mut found.ends);
                found.add(start);
            }
            return;
        }
        let end = masks.word_end(start);
        let edge = if !masks.any_wide(start, end) {
            let hash = chunk_hash(&masks.bytes, start, end);
            if !self.may_be_first_word(hash) {
                return;
            }
            self.ascii_first_words.get(hash, &masks.bytes, start, end)
        } else {
            found.word.clear();
            found
                .word
                .extend(text[start..end].iter().map(|&c| self.lowered(c)));
            self.first_words.get(found.word.as_slice()).copied()
        };
        self.first_word(text, start, end, edge, found);
    }

    /// `candidates` at the word `start..end` of the text: `edge` is the trie's edge after it
    /// if it is a first word (`first_words`).
    #[inline(never)]
    fn first_word(
        &self,
        text: &[u32],
        start: usize,
        end: usize,
        edge: Option<Edge>,
        found: &mut Found,
    ) {
        let Some(edge) = edge.filter(|_| !self.after_link(text, start)) else {
            return;
        };
        // Resume the walk after the text's first word (see `first_words`). No letter or digit
        // follows (the word is whole), so only a web address after it can refuse a key
        // ending here.
        found.ends.clear();
        if edge.key != NO_KEY && !self.in_domain(text, end) {
            found.ends.push((end, edge.key));
        }
        if edge.count != 0 {
            self.walk(text, start, end, (edge.first, edge.count), &mut found.ends);
        }
        found.add(start);
    }

    /// Is the character before `start` a '/' or '@' (after which no key starts)?
    #[inline]
    fn after_link(&self, text: &[u32], start: usize) -> bool {
        start > 0 && matches!(self.lowered(text[start - 1]), 0x2f | 0x40)
    }

    /// Walk the trie from `block`, reached at `end`, for a key starting at `start`: adds
    /// (end, key) of each key that ends with no letter or digit after it, outside a web
    /// address.
    fn walk(
        &self,
        text: &[u32],
        start: usize,
        mut end: usize,
        mut block: (u32, u32),
        ends: &mut Vec<(usize, u32)>,
    ) {
        let n = text.len();
        let low = |i: usize| self.lowered(text[i]);
        let mut first = None;
        while end < n {
            let next = match first {
                Some(e) if end == start + 1 => self.trie.step2(e, low(start), low(end)),
                _ => self.trie.step(block, low(end)),
            };
            let Some(edge) = next else {
                break;
            };
            if end == start {
                first = Some(edge);
            }
            block = (edge.first, edge.count);
            end += 1;
            let in_word = end < n && self.alnum_lowered(text[end]);
            if edge.key != NO_KEY && !in_word && !self.in_domain(text, end) {
                ends.push((end, edge.key));
            }
            if edge.count == 0 {
                break;
            }
        }
    }

    /// `c` lower-cased as `str.lower` does (one character).
    #[inline]
    fn lowered(&self, c: u32) -> u32 {
        if c < 0x80 {
            return u32::from(self.ascii[c as usize] & 0x7f);
        }
        self.lower.get(c as usize).copied().unwrap_or(c)
    }

    /// Is `c` lower-cased a letter or digit (`str.isalnum`)?
    #[inline]
    fn alnum_lowered(&self, c: u32) -> bool {
        self.lowered_alnum(c).1
    }

    /// `c` lower-cased, and whether that is a letter or digit (`str.isalnum`).
    #[inline]
    fn lowered_alnum(&self, c: u32) -> (u32, bool) {
        if c < 0x80 {
            // (`new` made sure an ASCII character lower-cases to one)
            let entry = self.ascii[c as usize];
            return (u32::from(entry & 0x7f), entry & 0x80 != 0);
        }
        self.lowered_alnum_wide(c)
    }

    /// `lowered_alnum` of a character that is not ASCII (kept out of the scan's loops).
    #[inline(never)]
    fn lowered_alnum_wide(&self, c: u32) -> (u32, bool) {
        let low = self.lower.get(c as usize).copied().unwrap_or(c);
        (low, self.tables.flag(low, ALNUM))
    }

    /// May a word with this `word_hash` be in `first_words`? (Most words of a text are not,
    /// and a look-up there costs more than this bit.)
    #[inline]
    fn may_be_first_word(&self, hash: u64) -> bool {
        let bit = (hash >> (64 - FIRST_WORD_BITS)) as usize;
        self.first_word_bits[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// `PlaceExtractor.extract` (needs the rules): (start, end, place, anchored, listed) of
    /// each place span, in text order.
    pub fn extract(&self, text: &[u32]) -> Vec<PlaceSpan> {
        let mut scratch = Scratch::default();
        self.extract_in(text, &mut scratch);
        scratch.spans
    }

    /// `extract` into `scratch.spans` (in the space of its previous text).
    fn extract_in(&self, text: &[u32], scratch: &mut Scratch) {
        scratch.spans.clear();
        let Some(rules) = &self.rules else {
            return;
        };
        self.candidates_in(text, scratch);
        let Scratch { found, spans, .. } = scratch;
        let mut taken = 0;
        for &(start, end, key) in &found.out {
            if start < taken {
                continue;
            }
            if let Some(span) = self.resolve(rules, text, key as usize, start, end) {
                taken = span.end;
                spans.push(span);
            }
        }
        self.mark_lists(text, spans);
    }

    /// `_resolve`: the place `key` means at `start..end`, or None when the context is too weak.
    fn resolve(
        &self,
        rules: &Rules,
        text: &[u32],
        key: usize,
        start: usize,
        end: usize,
    ) -> Option<PlaceSpan> {
        let key_flags = rules.key_flags[key];
        let (common, given) = (key_flags & COMMON != 0, key_flags & GIVEN != 0);
        let capitalised = rules.upper.binary_search(&text[start]).is_ok();
        if common && !capitalised {
            return None;
        }
        let (mut chosen, mut span_end, mut anchored) = (NO_KEY, end, false);
        if let Some((after_end, code)) =
            self.names_after(&rules.region_names, Some(&rules.codes), text, end)
        {
            let at = rules.regional_at[key] as usize..rules.regional_at[key + 1] as usize;
            if let Some(&(_, place)) = rules.regional[at].iter().find(|&&(c, _)| c == code) {
                (chosen, span_end, anchored) = (place, after_end, true);
            }
        }
        if chosen == NO_KEY {
            chosen = rules.default[key];
            if chosen == NO_KEY {
                return None;
            }
        }
        let place_flags = rules.place_flags[chosen as usize];
        let home = place_flags & HOME != 0;
        if !anchored && !home {
            if let Some((after_end, _)) = self.names_after(&rules.countries, None, text, end) {
                (anchored, span_end) = (true, after_end);
            }
        }
        if common || given || !home {
            let cued = anchored
                || self.cue_before(rules, text, start)
                || (start > 0 && text[start - 1] == '#' as u32)
                || self.cue_after(text, span_end);
            if common && !(capitalised && cued) || given && !cued {
                return None;
            }
            if !home && (!capitalised || !(cued || place_flags & BIG != 0)) {
                return None;
            }
        }
        Some(PlaceSpan {
            start,
            end: span_end,
            place: chosen,
            anchored,
            listed: false,
        })
    }

    /// `[^\S\f]`: a space of Python's `\s` other than a form feed.
    #[inline]
    fn gap_space(&self, c: u32) -> bool {
        c != 0x0c && self.tables.flag(c, SPACE)
    }

    fn skip_gap(&self, text: &[u32], mut q: usize, to: usize) -> usize {
        while q < to && self.gap_space(text[q]) {
            q += 1;
        }
        q
    }

    /// `\b` at `at`.
    fn boundary(&self, text: &[u32], at: usize) -> bool {
        let before = at > 0 && self.tables.is_word(text[at - 1]);
        let after = at < text.len() && self.tables.is_word(text[at]);
        before != after
    }

    /// Do `chars` fold (as `_lookup.fold`, which folds as case-insensitive `re` does) to the
    /// lower-case ASCII `word`?
    fn folds_to(&self, chars: &[u32], word: &[u8]) -> bool {
        chars.len() == word.len()
            && chars
                .iter()
                .zip(word)
                .all(|(&c, &b)| self.tables.fold(c) == b)
    }

    /// `NamesAfter.match(text, pos)`: (end, code index) of a region code (`codes`, matched as
    /// they are) or a listed name after the gap at `pos`.
    fn names_after(
        &self,
        names: &NamesAfter,
        codes: Option<&RegionCodes>,
        text: &[u32],
        pos: usize,
    ) -> Option<(usize, u32)> {
        let n = text.len();
        let mut p = self.skip_gap(text, pos, n);
        if p < n && text[p] == ',' as u32 {
            p = self.skip_gap(text, p + 1, n);
        }
        if let Some(codes) = codes.filter(|_| p + 2 <= n) {
            if let Some(i) = codes.get([text[p], text[p + 1]]) {
                let after = text.get(p + 2);
                if !after.is_some_and(|&c| c == '.' as u32 || self.tables.is_word(c)) {
                    return Some((p + 2, i));
                }
            }
        }
        let mut q = p;
        while q < n && self.tables.is_letter(text[q]) {
            q += 1;
        }
        if q == p {
            return None;
        }
        if q - p > names.longest_word {
            return None; // (no first word is that long)
        }
        let (mut short, mut long) = ([0u8; SHORT_WORD], Vec::new());
        let word = if q - p <= SHORT_WORD {
            &mut short[..q - p]
        } else {
            long.resize(q - p, 0);
            &mut long[..]
        };
        for (b, &c) in word.iter_mut().zip(&text[p..q]) {
            match self.tables.fold(c) {
                0 => return None, // folds to no ASCII letter: no name starts so
                folded => *b = folded,
            }
        }
        for (name, payload) in names.by_word.get(&*word)? {
            let end = p + name.len();
            if end <= n && self.folds_to(&text[p..end], name) && self.boundary(text, end) {
                return Some((end, *payload));
            }
        }
        None
    }

    /// `CueBefore.found(text, start, _CUE_WINDOW)`: the last word before `start` (past spaces
    /// and one ":", "," or "-"), or the word before a last word "the", is a cue, whole inside
    /// the window or at the start of the text.
    fn cue_before(&self, rules: &Rules, text: &[u32], start: usize) -> bool {
        let lo = start.saturating_sub(CUE_WINDOW);
        let back_gap = |mut q: usize| {
            while q > lo && self.gap_space(text[q - 1]) {
                q -= 1;
            }
            q
        };
        let back_word = |mut q: usize| {
            while q > lo && self.tables.is_word(text[q - 1]) {
                q -= 1;
            }
            q
        };
        let is_cue = |w: &[u32]| rules.cues.iter().any(|cue| self.folds_to(w, cue));
        let mut q = back_gap(start);
        if q > lo && [':', ',', '-'].iter().any(|&c| text[q - 1] == c as u32) {
            q -= 1;
        }
        let end = back_gap(q);
        let mut from = back_word(end);
        if from == end {
            return false;
        }
        if !is_cue(&text[from..end]) {
            if !self.folds_to(&text[from..end], b"the") {
                return false;
            }
            let end = back_gap(from);
            if end == from {
                return false;
            }
            from = back_word(end);
            if from == end || !is_cue(&text[from..end]) {
                return false;
            }
        }
        from > lo || lo == 0
    }

    /// `_CUE_AFTER.match(text, pos)`: spaces, then "area" or "metro" (any case) as a word.
    fn cue_after(&self, text: &[u32], pos: usize) -> bool {
        let n = text.len();
        let q = self.skip_gap(text, pos, n);
        q > pos
            && [&b"area"[..], &b"metro"[..]].iter().any(|w| {
                let e = q + w.len();
                e <= n
                    && self.folds_to(&text[q..e], w)
                    && !text.get(e).is_some_and(|&c| self.tables.is_word(c))
            })
    }

    /// `_LIST_GAP.match(text, from, to)` reaches `to`: nothing but separators, spaces and a
    /// last "and" / "or" between two places.
    fn list_gap(&self, text: &[u32], from: usize, to: usize) -> bool {
        let mut q = self.skip_gap(text, from, to);
        while q < to && LIST_SEPARATORS.chars().any(|c| text[q] == c as u32) {
            q = self.skip_gap(text, q + 1, to);
        }
        if q == to {
            return true;
        }
        for w in [&b"and"[..], &b"or"[..]] {
            let e = q + w.len();
            if e <= to && self.folds_to(&text[q..e], w) {
                let r = self.skip_gap(text, e, to);
                if r > e {
                    return r == to;
                }
            }
        }
        false
    }

    /// `_mark_lists`: every run of `LISTED_RUN` or more places joined only by a short gap.
    fn mark_lists(&self, text: &[u32], spans: &mut [PlaceSpan]) {
        let mut run_start = 0;
        for i in 0..=spans.len() {
            if i < spans.len() && i > run_start {
                let (prev_end, start) = (spans[i - 1].end, spans[i].start);
                if start - prev_end <= LIST_GAP_MAX && self.list_gap(text, prev_end, start) {
                    continue;
                }
            }
            if i - run_start >= LISTED_RUN {
                for span in &mut spans[run_start..i] {
                    span.listed = true;
                }
            }
            run_start = i;
        }
    }

    /// `_IN_DOMAIN.match(low, end)`: `\.[a-z0-9-]+\.(?:com|net|org|info|biz|us|ca|co)\b`,
    /// `low` being `text` lower-cased.
    fn in_domain(&self, text: &[u32], end: usize) -> bool {
        let n = text.len();
        let low = |i: usize| self.lowered(text[i]);
        if end >= n || low(end) != '.' as u32 {
            return false;
        }
        let mut q = end + 1;
        while q < n && {
            let c = low(q);
            (0x61..=0x7A).contains(&c) || (0x30..=0x39).contains(&c) || c == '-' as u32
        } {
            q += 1;
        }
        if q == end + 1 || q >= n || low(q) != '.' as u32 {
            return false;
        }
        let q = q + 1;
        DOMAINS.iter().any(|d| {
            let e = q + d.len();
            e <= n
                && d.bytes().zip(q..e).all(|(b, i)| u32::from(b) == low(i))
                && !(e < n && {
                    let c = low(e);
                    c == '_' as u32 || self.tables.flag(c, ALNUM)
                })
        })
    }
}

/// `Rules` as Python hands them over: (key flags, default place per key or -1, regional
/// offsets per key, (code index, place) pairs, place flags, region codes, (region name, code
/// index), country names, cue words, upper-case characters, case folds).
#[derive(FromPyObject)]
pub struct RulesArgs {
    key_flags: Vec<u8>,
    default: Vec<i64>,
    regional_at: Vec<u32>,
    regional: Vec<(u32, u32)>,
    place_flags: Vec<u8>,
    codes: Vec<String>,
    region_names: Vec<(String, u32)>,
    countries: Vec<String>,
    cues: Vec<String>,
    upper: Vec<u32>,
    folds: Vec<(u32, u8)>,
}

impl RulesArgs {
    fn into_rules(self) -> Result<Rules, String> {
        let codes = self
            .codes
            .iter()
            .map(
                |code| match code.chars().map(u32::from).collect::<Vec<_>>()[..] {
                    [a, b] => Ok([a, b]),
                    _ => Err(format!("region code {code:?} is not two characters")),
                },
            )
            .collect::<Result<Vec<_>, _>>()?;
        let default = self
            .default
            .iter()
            .map(|&p| {
                if p < 0 {
                    Ok(NO_KEY)
                } else {
                    u32::try_from(p).map_err(|e| e.to_string())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if self.folds.iter().any(|&(_, b)| !b.is_ascii_lowercase()) {
            return Err("a case fold to no lower-case ASCII letter".into());
        }
        let ascii = |words: Vec<String>| -> Result<Vec<Vec<u8>>, String> {
            words
                .into_iter()
                .map(|w| {
                    (w.is_ascii() && w == w.to_ascii_lowercase())
                        .then(|| w.into_bytes())
                        .ok_or_else(|| "a cue word is not lower-case ASCII".to_string())
                })
                .collect()
        };
        let mut upper = self.upper;
        upper.sort_unstable();
        Ok(Rules {
            key_flags: self.key_flags,
            default,
            regional_at: self.regional_at,
            regional: self.regional,
            place_flags: self.place_flags,
            codes: RegionCodes::new(&codes),
            region_names: NamesAfter::new(self.region_names)?,
            countries: NamesAfter::new(self.countries.into_iter().map(|c| (c, 0)).collect())?,
            cues: ascii(self.cues)?,
            upper,
        })
    }
}

/// The place gazetteer's scan, compiled once; `scan_batch` runs it on a batch.
#[pyclass(frozen, module = "amberline._core", name = "PlaceScanner")]
pub struct PyPlaceScanner {
    scanner: PlaceScanner,
}

#[pymethods]
impl PyPlaceScanner {
    /// `flags`: Python's character flags (`text/native.py`); `lower`: (code point, lower
    /// case) where `str.lower` turns a character into one other; `keys`: the gazetteer's
    /// names (lower case), in the extractor's key order; `rules`: what `extract_batch`
    /// decides with (see `PlaceExtractor._core_rules`), or None for `scan_batch` alone.
    #[new]
    #[pyo3(signature = (flags, lower, keys, panic_on=None, rules=None))]
    fn new(
        flags: &[u8],
        lower: Vec<(u32, u32)>,
        keys: Vec<String>,
        panic_on: Option<u32>,
        rules: Option<RulesArgs>,
    ) -> PyResult<Self> {
        let n_keys = keys.len();
        let fold = rules
            .as_ref()
            .map(|r| r.folds.iter().copied().collect())
            .unwrap_or_default();
        let tables = Tables::new(
            flags,
            Default::default(),
            Default::default(),
            fold,
            panic_on,
        )
        .map_err(PyValueError::new_err)?;
        let mut scanner = PlaceScanner::new(tables, lower, keys).map_err(PyValueError::new_err)?;
        if let Some(args) = rules {
            scanner = scanner
                .with_rules(args.into_rules().map_err(PyValueError::new_err)?, n_keys)
                .map_err(PyValueError::new_err)?;
        }
        Ok(PyPlaceScanner { scanner })
    }

    /// `PlaceExtractor.extract` on a batch (`data`, `bounds` as for `scan_batch`).
    ///
    /// Returns (rows, errors): rows of five int64 (text index, start, end, place index,
    /// 1 if anchored by a region or country after it + 2 if in a listed run), per text in
    /// text order; `errors` as for `scan_batch`.
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
    ) -> PyResult<(Bound<'py, PyBytes>, crate::TextErrors)> {
        if self.scanner.rules.is_none() {
            return Err(PyValueError::new_err(
                "this scanner was built without rules",
            ));
        }
        per_text(
            py,
            &self.scanner,
            data,
            &bounds,
            |scanner, index, text, scratch, rows| {
                scanner.extract_in(text, scratch);
                for s in &scratch.spans {
                    let marks = i64::from(s.anchored) + 2 * i64::from(s.listed);
                    let place = i64::from(s.place);
                    rows.extend([index as i64, s.start as i64, s.end as i64, place, marks]);
                }
            },
        )
    }

    /// Scan a batch (`data`, `bounds` as for `Normaliser.normalise_batch`).
    ///
    /// Returns (rows, errors): rows of four int64 (text index, start, end, key index), per
    /// text by start, longest first; `errors` lists (text index, message) for the texts the
    /// core panicked on, which have no rows.
    fn scan_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
    ) -> PyResult<(Bound<'py, PyBytes>, crate::TextErrors)> {
        per_text(
            py,
            &self.scanner,
            data,
            &bounds,
            |scanner, index, text, scratch, rows| {
                scanner.candidates_in(text, scratch);
                for &(s, e, k) in &scratch.found.out {
                    rows.extend([index as i64, s as i64, e as i64, i64::from(k)]);
                }
            },
        )
    }
}

/// Run `each` on every text of a batch (`data`, `bounds` as for `scan_batch`), which adds the
/// text's rows: (rows, errors), a panic caught per text (that text has no rows).
fn per_text<'py, F>(
    py: Python<'py>,
    scanner: &PlaceScanner,
    data: &[u8],
    bounds: &[i64],
    each: F,
) -> PyResult<(Bound<'py, PyBytes>, crate::TextErrors)>
where
    F: Fn(&PlaceScanner, usize, &[u32], &mut Scratch, &mut Vec<i64>) + Sync,
{
    let (chars, offsets) = crate::batch_view(data, bounds)?;
    let (rows, errors) = py.detach(|| {
        let (mut rows, mut errors) = (Vec::new(), Vec::new());
        let mut found = Vec::new();
        // (each text starts by clearing what it uses: one that panicked leaves no trace)
        let mut scratch = Scratch::default();
        for (index, w) in offsets.windows(2).enumerate() {
            let text = &chars[w[0]..w[1]];
            found.clear();
            let run = || {
                if let Some(c) = scanner.tables.panic_on {
                    assert!(!text.contains(&c), "test panic on {c:#x}");
                }
                each(scanner, index, text, &mut scratch, &mut found);
            };
            match catch_unwind(AssertUnwindSafe(run)) {
                Ok(()) => rows.extend_from_slice(&found),
                Err(payload) => errors.push((index, crate::panic_message(payload.as_ref()))),
            }
        }
        (rows, errors)
    });
    Ok((crate::le_column(py, &rows)?, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::N_CODE_POINTS;

    /// A scanner over a few keys, with tables that know ASCII, a few accented letters and
    /// the Kelvin sign (which lower-cases to an ASCII "k").
    fn scanner(keys: &[&str]) -> PlaceScanner {
        let mut flags = vec![0u8; N_CODE_POINTS];
        let letters = ('0'..='9')
            .chain('a'..='z')
            .chain('A'..='Z')
            .chain(['é', 'É', 'ü', 'ı', '\u{212a}']);
        for c in letters {
            flags[c as usize] |= ALNUM;
        }
        flags[' ' as usize] |= SPACE;
        let lower = ('A'..='Z')
            .map(|c| (c as u32, c.to_ascii_lowercase() as u32))
            .chain([(0xC9, 0xE9), (0x212A, 'k' as u32)])
            .collect();
        let tables = Tables::flags_only(&flags, None).unwrap();
        let keys = keys.iter().map(|k| k.to_string()).collect();
        PlaceScanner::new(tables, lower, keys).unwrap()
    }

    const KEYS: [&str; 9] = [
        "dallas",
        "new york",
        "new",
        "'s-hertogenbosch",
        "\u{2018}ajlun",
        "san josé",
        "ürümqi",
        "kirkland",
        "abcdefghijklmnopqrst uvw",
    ];

    /// Text from pieces around the keys, at random (a xorshift, fixed seed).
    fn texts(count: usize, seed: u64) -> Vec<Vec<u32>> {
        let pieces = [
            "Dallas",
            "NEW YORK",
            "new",
            "'S-Hertogenbosch",
            "\u{2018}Ajlun",
            "SAN JOSÉ",
            "San Josè",
            "Ürümqi",
            "\u{212a}irkland",
            "abcdefghijklmnopqrst uvw",
            "ABCDEFGHIJKLMNOPQRSTUVW",
            " ",
            "  ",
            "x",
            "2",
            "é",
            "ı",
            "/",
            "@",
            ".com",
            ".x.com",
            "'",
            "\u{2018}",
            "🌹",
            "\u{80}",
            "\u{ff}",
            "\u{10ffff}",
            "-",
            "\n",
        ];
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..count)
            .map(|_| {
                let n = next() % 60;
                let mut text = Vec::new();
                for _ in 0..n {
                    let r = next();
                    match r % 8 {
                        // (any ASCII character, or any code point)
                        0 => text.push((r >> 8) as u32 % 0x80),
                        1 => text.push((r >> 8) as u32 % 0x110000),
                        _ => text.extend(
                            pieces[(r >> 8) as usize % pieces.len()]
                                .chars()
                                .map(u32::from),
                        ),
                    }
                }
                text
            })
            .collect()
    }

    #[test]
    fn masks_sixteen_at_a_time_are_those_one_at_a_time() {
        let s = scanner(&KEYS);
        assert!(s.simd_starters.is_some());
        for text in texts(3000, 7) {
            let fast = CharMasks::new(&s, &text);
            let mut slow = CharMasks {
                alnum: vec![0; fast.alnum.len()],
                wide: vec![0; fast.alnum.len()],
                starter: vec![0; fast.alnum.len()],
                bytes: Vec::new(),
            };
            slow.fill_scalar(&s, &text, 0);
            let plain = |m: &CharMasks| {
                (
                    m.alnum.clone(),
                    m.wide.clone(),
                    m.bytes[..text.len()].to_vec(),
                )
            };
            // (the starters and letters past ASCII are only set by `new`)
            let fast_starter: Vec<u64> = fast
                .starter
                .iter()
                .zip(&fast.wide)
                .map(|(s, w)| s & !w)
                .collect();
            assert_eq!(fast_starter, slow.starter);
            let (fa, fw, fb) = plain(&fast);
            let (sa, sw, sb) = plain(&slow);
            assert_eq!(fw, sw);
            assert_eq!(
                fa.iter().zip(&fw).map(|(a, w)| a & !w).collect::<Vec<_>>(),
                sa
            );
            for (i, (f, b)) in fb.iter().zip(&sb).enumerate() {
                if fa[i / 64] >> (i % 64) & 1 != 0 && fw[i / 64] >> (i % 64) & 1 == 0 {
                    assert_eq!(f, b, "byte {i}");
                }
            }
        }
    }

    /// The candidates by their definition: each key, lower-cased, at each start with no
    /// letter or digit before it (nor a '/' or '@') and none after it, outside a web address.
    fn naive(s: &PlaceScanner, text: &[u32]) -> Vec<(usize, usize, u32)> {
        let low: Vec<u32> = text.iter().map(|&c| s.lowered(c)).collect();
        let alnum = |i: usize| s.alnum_lowered(text[i]);
        let keys: Vec<Vec<u32>> = KEYS
            .iter()
            .map(|k| k.chars().map(u32::from).collect())
            .collect();
        let mut out = Vec::new();
        for start in 0..text.len() {
            if start > 0 && (alnum(start - 1) || matches!(low[start - 1], 0x2f | 0x40)) {
                continue;
            }
            let mut here: Vec<(usize, usize, u32)> = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| low[start..].starts_with(k))
                .map(|(i, k)| (start, start + k.len(), i as u32))
                .filter(|&(_, e, _)| !(s.in_domain(text, e) || e < text.len() && alnum(e)))
                .collect();
            here.sort_by_key(|&(_, e, _)| std::cmp::Reverse(e));
            out.extend(here);
        }
        out
    }

    #[test]
    fn the_trie_holds_each_key_at_its_last_index_and_nothing_else() {
        // Out of order, with prefixes of each other, a key listed twice, an empty one and
        // characters past ASCII and the BMP.
        let keys: Vec<String> = [
            "new york",
            "new",
            "ne",
            "dallas",
            "new",
            "",
            "ürümqi",
            "\u{1f339}x",
            "n",
            "newt",
            "dal",
            "san josé",
            "san jose",
        ]
        .iter()
        .map(|k| k.to_string())
        .collect();
        let trie = Trie::new(&keys);
        let mut last = std::collections::HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            last.insert(k.as_str(), i as u32);
        }
        let mut seen = 0;
        let mut blocks = vec![trie.root];
        while let Some((first, count)) = blocks.pop() {
            let block = &trie.edges[first as usize..(first + count) as usize];
            assert!(
                block.windows(2).all(|w| w[0].c < w[1].c),
                "a block out of order"
            );
            seen += block.len();
            blocks.extend(block.iter().map(|e| (e.first, e.count)));
        }
        let prefixes: std::collections::BTreeSet<String> = keys
            .iter()
            .flat_map(|k| {
                k.char_indices()
                    .map(|(i, c)| k[..i + c.len_utf8()].to_string())
            })
            .collect();
        assert_eq!(seen, prefixes.len()); // one edge per distinct non-empty prefix
        for probe in prefixes
            .iter()
            .map(String::as_str)
            .chain(["x", "newy", "dallasx"])
        {
            let mut block = trie.root;
            let mut edge = None;
            for c in probe.chars() {
                edge = trie.step(block, u32::from(c));
                match edge {
                    Some(e) => block = (e.first, e.count),
                    None => break,
                }
            }
            let want = last.get(probe).copied();
            assert_eq!(
                edge.map(|e| e.key).filter(|&k| k != NO_KEY),
                want,
                "{probe:?}"
            );
            assert_eq!(edge.is_some(), prefixes.contains(probe), "{probe:?}");
        }
    }

    #[test]
    fn candidates_are_the_keys_on_word_boundaries() {
        let s = scanner(&KEYS);
        let mut scalar = scanner(&KEYS);
        scalar.simd_starters = None;
        let mut seen = 0;
        // (and with the space of each previous text, as a batch's texts are scanned)
        let (mut scratch, mut scalar_scratch) = (Scratch::default(), Scratch::default());
        for text in texts(3000, 11) {
            let want = naive(&s, &text);
            seen += want.len();
            assert_eq!(s.candidates(&text), want, "{text:x?}");
            assert_eq!(scalar.candidates(&text), want, "{text:x?}");
            s.candidates_in(&text, &mut scratch);
            assert_eq!(scratch.found.out, want, "{text:x?}");
            scalar.candidates_in(&text, &mut scalar_scratch);
            assert_eq!(scalar_scratch.found.out, want, "{text:x?}");
        }
        // (and in one text of them all, whose words cross the blocks of 64 everywhere)
        let text: Vec<u32> = texts(3000, 13).concat();
        assert_eq!(s.candidates(&text), naive(&s, &text));
        assert!(seen > 1000);
    }

    #[test]
    fn a_word_hashes_the_same_whatever_follows_it() {
        let word = b"abcdefghijklmnopq";
        for len in 1..=word.len() {
            let mut a = word[..len].to_vec();
            a.extend([0; PAD]);
            let mut b = word.to_vec();
            b.extend([0xff; PAD]);
            assert_eq!(chunk_hash(&a, 0, len), chunk_hash(&b, 0, len), "{len}");
        }
    }

    fn chars(text: &str) -> Vec<u32> {
        text.chars().map(u32::from).collect()
    }

    #[test]
    fn region_codes_are_found_as_a_linear_search_finds_them() {
        let alphabet = [
            'A',
            'B',
            'Z',
            'a',
            'z',
            '@',
            '[',
            '0',
            'é',
            'É',
            '\u{10ffff}',
        ];
        let codes: Vec<[u32; 2]> = ["AZ", "ZA", "AB", "Ba", "a@", "AZ", "éZ", "[0", "Ba", "BB"]
            .iter()
            .map(|c| chars(c).try_into().unwrap())
            .collect();
        let table = RegionCodes::new(&codes);
        assert_eq!(table.len(), codes.len());
        let mut found = 0;
        for a in alphabet {
            for b in alphabet {
                let two = [a as u32, b as u32];
                let want = codes.iter().position(|&c| c == two).map(|i| i as u32);
                assert_eq!(table.get(two), want, "{a}{b}");
                found += usize::from(want.is_some());
            }
        }
        assert_eq!(found, 8);
        assert_eq!(RegionCodes::default().get([b'A'.into(), b'Z'.into()]), None);
    }

    #[test]
    fn names_after_reads_codes_and_first_words_of_any_length() {
        let s = scanner(&KEYS);
        let long = "abcdefghijklmnopqrstuvwxyzabcdefghij"; // (longer than SHORT_WORD)
        assert!(long.len() > SHORT_WORD);
        let names = NamesAfter::new(vec![
            (format!("{long} land"), 7),
            (long.to_string(), 8),
            ("ohio".to_string(), 3),
        ])
        .unwrap();
        let codes: Vec<[u32; 2]> = ["TX", "on", "TX", "éx"]
            .iter()
            .map(|c| chars(c).try_into().unwrap())
            .collect();
        let codes = RegionCodes::new(&codes);
        let after = |text: &str| s.names_after(&names, Some(&codes), &chars(text), 0);
        assert_eq!(after(", TX"), Some((4, 0)));
        assert_eq!(after("  on"), Some((4, 1)));
        assert_eq!(after(" éx"), Some((3, 3)));
        assert_eq!(after("TXs"), None);
        assert_eq!(after(" OHIO"), Some((5, 3)));
        let upper = long.to_uppercase();
        assert_eq!(after(&format!(" {upper} Land.")), Some((42, 7)));
        assert_eq!(after(&format!(" {long} lands")), Some((37, 8)));
        assert_eq!(after(&format!(" {long}x land")), None);
        assert_eq!(s.names_after(&names, None, &chars("TX"), 0), None);
    }
}
