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

use crate::tables::{Tables, ALNUM};

pub struct PlaceScanner {
    tables: Tables,
    lower: Vec<u32>,
    trie: Trie,
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

impl Trie {
    fn new(built: Vec<Node>) -> Self {
        let mut first = Vec::with_capacity(built.len());
        let mut at = 0u32;
        for node in &built {
            first.push(at);
            at += node.children.len() as u32;
        }
        let mut edges = Vec::with_capacity(at as usize);
        for node in &built {
            for &(c, child) in &node.children {
                let child_node = &built[child as usize];
                edges.push(Edge {
                    c,
                    first: first[child as usize],
                    count: child_node.children.len() as u32,
                    key: child_node.key.unwrap_or(NO_KEY),
                });
            }
        }
        let root = (first[0], built[0].children.len() as u32);
        let mut root_ascii = [NO_KEY; 128];
        for (i, e) in edges[root.0 as usize..(root.0 + root.1) as usize]
            .iter()
            .enumerate()
        {
            if e.c < 128 {
                root_ascii[e.c as usize] = root.0 + i as u32;
            }
        }
        Trie {
            edges,
            root,
            root_ascii,
        }
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

/// A node of the trie while it is built.
#[derive(Default)]
struct Node {
    /// (character, child node), sorted by character.
    children: Vec<(u32, u32)>,
    /// The key ending here.
    key: Option<u32>,
}

/// `_IN_DOMAIN`'s endings.
const DOMAINS: [&str; 8] = ["com", "net", "org", "info", "biz", "us", "ca", "co"];

impl PlaceScanner {
    pub fn new(tables: Tables, lower: Vec<(u32, u32)>, keys: Vec<String>) -> Result<Self, String> {
        if let Some(k) = keys.iter().find(|k| k.contains(['σ', 'ς'])) {
            return Err(format!("key {k:?} spells a sigma"));
        }
        let table = crate::tables::lower_table(lower)?;
        let mut trie = vec![Node::default()];
        for (index, key) in keys.iter().enumerate() {
            let mut node = 0usize;
            for c in key.chars().map(u32::from) {
                node = match trie[node].children.binary_search_by_key(&c, |&(ch, _)| ch) {
                    Ok(i) => trie[node].children[i].1 as usize,
                    Err(i) => {
                        trie.push(Node::default());
                        let child = trie.len() - 1;
                        trie[node].children.insert(i, (c, child as u32));
                        child
                    }
                };
            }
            trie[node].key = Some(index as u32);
        }
        Ok(PlaceScanner {
            tables,
            lower: table,
            trie: Trie::new(trie),
        })
    }

    /// (start, end, key index) of the candidates in one text, by start, longest first: every
    /// key that the lower-cased text holds with no letter or digit right before or after it
    /// and that is not part of a web address (what the Python extractor keeps of its
    /// matcher's matches, found here by walking the keys' trie from each such start).
    pub fn candidates(&self, text: &[u32]) -> Vec<(usize, usize, u32)> {
        let low: Vec<u32> = text
            .iter()
            .map(|&c| self.lower.get(c as usize).copied().unwrap_or(c))
            .collect();
        let n = low.len();
        let alnum = |c: u32| self.tables.flag(c, ALNUM);
        let mut out = Vec::new();
        let mut ends = Vec::new();
        for start in 0..n {
            if start > 0 && alnum(low[start - 1]) {
                continue;
            }
            if start > 0 && (low[start - 1] == '/' as u32 || low[start - 1] == '@' as u32) {
                continue;
            }
            let mut block = self.trie.root;
            let mut end = start;
            ends.clear();
            while end < n {
                let Some(edge) = self.trie.step(block, low[end]) else {
                    break;
                };
                block = (edge.first, edge.count);
                end += 1;
                let in_word = end < n && alnum(low[end]);
                if edge.key != NO_KEY && !in_word && !self.in_domain(&low, end) {
                    ends.push((end, edge.key));
                }
                if edge.count == 0 {
                    break;
                }
            }
            out.extend(ends.iter().rev().map(|&(e, k)| (start, e, k)));
        }
        out
    }

    /// `_IN_DOMAIN.match(low, end)`: `\.[a-z0-9-]+\.(?:com|net|org|info|biz|us|ca|co)\b`.
    fn in_domain(&self, low: &[u32], end: usize) -> bool {
        if low.get(end) != Some(&('.' as u32)) {
            return false;
        }
        let mut q = end + 1;
        while q < low.len() && {
            let c = low[q];
            (0x61..=0x7A).contains(&c) || (0x30..=0x39).contains(&c) || c == '-' as u32
        } {
            q += 1;
        }
        if q == end + 1 || low.get(q) != Some(&('.' as u32)) {
            return false;
        }
        let q = q + 1;
        DOMAINS.iter().any(|d| {
            let e = q + d.len();
            e <= low.len()
                && d.bytes().zip(&low[q..e]).all(|(b, &c)| u32::from(b) == c)
                && !low
                    .get(e)
                    .is_some_and(|&c| c == '_' as u32 || self.tables.flag(c, ALNUM))
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
    /// names (lower case), in the extractor's key order.
    #[new]
    #[pyo3(signature = (flags, lower, keys, panic_on=None))]
    fn new(
        flags: &[u8],
        lower: Vec<(u32, u32)>,
        keys: Vec<String>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let tables = Tables::new(
            flags.to_vec(),
            Default::default(),
            Default::default(),
            Default::default(),
            panic_on,
        )
        .map_err(PyValueError::new_err)?;
        Ok(PyPlaceScanner {
            scanner: PlaceScanner::new(tables, lower, keys).map_err(PyValueError::new_err)?,
        })
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
        let (chars, offsets) = crate::decode_batch(data, &bounds)?;
        let scanner = &self.scanner;
        let (rows, errors) = py.detach(|| {
            let (mut rows, mut errors) = (Vec::new(), Vec::new());
            for (index, w) in offsets.windows(2).enumerate() {
                let text = &chars[w[0]..w[1]];
                let run = || {
                    if let Some(c) = scanner.tables.panic_on {
                        assert!(!text.contains(&c), "test panic on {c:#x}");
                    }
                    scanner.candidates(text)
                };
                match catch_unwind(AssertUnwindSafe(run)) {
                    Ok(found) => {
                        for (s, e, k) in found {
                            rows.extend([index as i64, s as i64, e as i64, i64::from(k)]);
                        }
                    }
                    Err(payload) => errors.push((index, crate::panic_message(payload.as_ref()))),
                }
            }
            (rows, errors)
        });
        Ok((PyBytes::new(py, &crate::le_bytes(&rows)), errors))
    }
}
