//! `amberline._core`: Amberline's compiled screening stages, driven from Python.
//!
//! Why: screening in CPython costs a Python object or call per character edit and per match,
//! which keeps it near 2-10 MB/s per core. Each stage here takes a whole batch as one buffer
//! plus offsets and returns columns (flat little-endian arrays), never one Python object per
//! finding; the Python modules stay the reference implementation, and a differential test
//! holds every stage here to produce exactly their output. Rust also keeps the parsing of
//! hostile text memory-safe, and a panic on one ad is caught and reported for that ad alone.

pub mod backtrack;
pub mod contact;
pub mod edits;
pub mod finish;
pub mod matcher;
pub mod minhash;
pub mod names;
pub mod normalise;
pub mod numbers;
pub mod phones;
pub mod places;
pub mod profile;
pub mod tables;
pub mod triggers;
pub mod word_table;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use crate::matcher::{Matcher, MatcherSpec, Refusal};
use crate::normalise::{Normalised, KIND_NAMES};
use crate::tables::Tables;

/// The normaliser's tables, compiled once; `normalise_batch` screens a batch.
#[pyclass(frozen, module = "amberline._core")]
struct Normaliser {
    tables: Tables,
    /// The last batch's buffers, cleared and refilled: a batch's columns are megabytes, and
    /// fresh ones cost a page fault per page touched. (A batch that finds it in use, in
    /// another thread, takes fresh ones.)
    scratch: Mutex<(Vec<u32>, Columns)>,
}

/// Buffers larger than this are not kept for the next batch.
const SCRATCH_KEPT: usize = 64 << 20;

/// What one batch gives back: see `Normaliser.normalise_batch`.
#[derive(Default)]
struct Columns {
    status: Vec<u8>,
    /// The changed texts' code points and their maps, already little-endian bytes (handed to
    /// Python by one copy each).
    text: Vec<u8>,
    text_bounds: Vec<i64>,
    starts: Vec<u8>,
    ends: Vec<u8>,
    obfuscations: Vec<i64>,
    errors: Vec<(usize, String)>,
}

const UNCHANGED: u8 = 0;
const CHANGED: u8 = 1;
const CHANGED_SAME_OFFSETS: u8 = 2;
const FAILED: u8 = 3;

pub(crate) fn le_bytes(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// `values` as a Python bytes of little-endian words, written in place (one copy).
fn py_le_bytes<'py, const N: usize, T: Copy>(
    py: Python<'py>,
    values: &[T],
    to_bytes: fn(T) -> [u8; N],
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, values.len() * N, |buf| {
        for (chunk, &v) in buf.chunks_exact_mut(N).zip(values) {
            chunk.copy_from_slice(&to_bytes(v));
        }
        Ok(())
    })
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

/// `values` appended to `out` as little-endian words.
fn extend_le<T, const N: usize>(out: &mut Vec<u8>, values: &[T], to_bytes: fn(&T) -> [u8; N]) {
    let at = out.len();
    out.resize(at + values.len() * N, 0);
    for (chunk, v) in out[at..].chunks_exact_mut(N).zip(values) {
        chunk.copy_from_slice(&to_bytes(v));
    }
}

impl Columns {
    fn push(&mut self, index: usize, result: Normalised) {
        let same = result.same_offsets;
        self.status
            .push(if same { CHANGED_SAME_OFFSETS } else { CHANGED });
        extend_le(&mut self.text, &result.text, |&c| c.to_le_bytes());
        // Offsets kept: both maps are the identity, which the caller knows without them.
        if !same {
            // (`normalise_all` takes no text longer than an int32 offset reaches)
            extend_le(&mut self.starts, &result.starts, |&v| {
                (v as i32).to_le_bytes()
            });
            extend_le(&mut self.ends, &result.ends, |&v| (v as i32).to_le_bytes());
        }
        for o in &result.obfuscations {
            self.obfuscations.extend([
                index as i64,
                o.start as i64,
                o.end as i64,
                i64::from(o.kind),
                o.orig_start as i64,
                o.orig_end as i64,
            ]);
        }
    }
}

/// A batch as handed over: the texts' code points as UTF-32-LE (lone surrogates allowed) and
/// the n + 1 code point offsets where each text starts and ends; checked, never trusted.
pub(crate) fn decode_batch(data: &[u8], bounds: &[i64]) -> PyResult<(Vec<u32>, Vec<usize>)> {
    let mut chars = Vec::new();
    let offsets = decode_batch_into(data, bounds, &mut chars)?;
    Ok((chars, offsets))
}

/// `decode_batch` without a copy where it can: a Python bytes' data is aligned for `u32`
/// (its header is a multiple of 8 bytes), so on a little-endian machine the buffer is read in
/// place as code points (no megabytes allocated, written and faulted in per batch and
/// stage); a misaligned buffer or a big-endian machine gets the copy.
pub(crate) fn batch_view<'a>(
    data: &'a [u8],
    bounds: &[i64],
) -> PyResult<(std::borrow::Cow<'a, [u32]>, Vec<usize>)> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: every bit pattern is a valid u32; `align_to` puts in `chars` only whole,
        // aligned words of `data`, which stays borrowed for the view's lifetime.
        let (head, chars, tail) = unsafe { data.align_to::<u32>() };
        if head.is_empty() && tail.is_empty() {
            let offsets = check_batch(chars, bounds)?;
            return Ok((std::borrow::Cow::Borrowed(chars), offsets));
        }
    }
    let (chars, offsets) = decode_batch(data, bounds)?;
    Ok((std::borrow::Cow::Owned(chars), offsets))
}

/// `decode_batch` into `chars` (cleared first); returns the offsets.
pub(crate) fn decode_batch_into(
    data: &[u8],
    bounds: &[i64],
    chars: &mut Vec<u32>,
) -> PyResult<Vec<usize>> {
    if data.len() % 4 != 0 {
        return Err(PyValueError::new_err(
            "data is not UTF-32: length not a multiple of 4",
        ));
    }
    chars.clear();
    chars.extend(
        data.chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    );
    check_batch(chars, bounds)
}

/// The batch's offsets from `bounds`, once every code point and bound is checked.
fn check_batch(chars: &[u32], bounds: &[i64]) -> PyResult<Vec<usize>> {
    // (whether any is too large first: a pass without an early exit, which vectorises)
    let limit = tables::N_CODE_POINTS as u32;
    if chars
        .iter()
        .fold(0u32, |any, &c| any | u32::from(c >= limit))
        != 0
    {
        let c = chars
            .iter()
            .find(|&&c| c as usize >= tables::N_CODE_POINTS)
            .copied()
            .unwrap_or(0);
        return Err(PyValueError::new_err(format!("not a code point: {c:#x}")));
    }
    let mut offsets = Vec::with_capacity(bounds.len());
    for &b in bounds {
        let b = usize::try_from(b).map_err(|_| PyValueError::new_err("negative bound"))?;
        if b > chars.len() || offsets.last().is_some_and(|&prev| b < prev) {
            return Err(PyValueError::new_err("bounds must ascend within the data"));
        }
        offsets.push(b);
    }
    Ok(offsets)
}

/// The code points of a batch of Python strings, copied straight from each into `chars`
/// (cleared first); returns the n + 1 offsets where each text starts and ends.
///
/// `PyUnicode_AsUCS4` widens a str's own storage into our buffer, lone surrogates included:
/// no UTF-8 form is made (CPython would keep it on the str for the str's lifetime, and the
/// pipeline's texts are fresh strs each batch), none is decoded here, and the buffer's room is
/// written once, without being zeroed first.
fn read_texts(texts: &[Bound<'_, PyString>], chars: &mut Vec<u32>) -> PyResult<Vec<usize>> {
    chars.clear();
    let mut offsets = Vec::with_capacity(texts.len() + 1);
    offsets.push(0);
    for text in texts {
        let ptr = text.as_ptr();
        // SAFETY: `text` is a live str, held by this thread, which holds the GIL.
        let size = unsafe { ffi::PyUnicode_GetLength(ptr) };
        let n = usize::try_from(size).map_err(|_| PyErr::fetch(text.py()))?;
        chars.reserve(n);
        let at = chars.len();
        // SAFETY: the spare capacity holds at least `n` code points and `buflen` says so;
        // with `copy_null` 0 CPython writes exactly the str's `n` code points there, or
        // nothing and returns NULL.
        let written = unsafe { ffi::PyUnicode_AsUCS4(ptr, chars.as_mut_ptr().add(at), size, 0) };
        if written.is_null() {
            return Err(PyErr::fetch(text.py()));
        }
        // SAFETY: the `n` code points after `at` were just written.
        unsafe { chars.set_len(at + n) };
        offsets.push(chars.len());
    }
    Ok(offsets)
}

/// The longest text the normaliser takes: its offset maps are int32 (half the bytes of a
/// batch's largest columns); a longer one fails like a panic on it would.
const MAX_TEXT: usize = i32::MAX as usize - 8;

fn normalise_all(tables: &Tables, chars: &[u32], bounds: &[usize], out: &mut Columns) {
    out.status.clear();
    out.text.clear();
    out.text_bounds.clear();
    out.starts.clear();
    out.ends.clear();
    out.obfuscations.clear();
    out.errors.clear();
    // Room for a batch that changes every text by a little, grown once rather than doubled.
    let room = chars.len() + chars.len() / 8 + bounds.len();
    out.text.reserve(room * 4);
    out.starts.reserve(room * 4);
    out.ends.reserve(room * 4);
    out.text_bounds.push(0);
    for (index, w) in bounds.windows(2).enumerate() {
        let text = &chars[w[0]..w[1]];
        if text.len() >= MAX_TEXT {
            out.status.push(FAILED);
            out.errors.push((
                index,
                "text too long for the core's int32 offset maps".to_string(),
            ));
            out.text_bounds.push((out.text.len() / 4) as i64);
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| tables.normalise(text))) {
            Ok(None) => out.status.push(UNCHANGED),
            Ok(Some(result)) => out.push(index, result),
            Err(payload) => {
                out.status.push(FAILED);
                out.errors.push((index, panic_message(payload.as_ref())));
            }
        }
        out.text_bounds.push((out.text.len() / 4) as i64);
    }
}

#[pymethods]
impl Normaliser {
    /// `flags`: one byte per code point (see `tables.rs`); `mapping`: (code point,
    /// replacement, kind id) of the character stage; `homoglyphs`: (look-alike, Latin
    /// letter); `fold`: (code point, ASCII letter) pairs that case-insensitive `re` matches.
    #[new]
    #[pyo3(signature = (flags, mapping, homoglyphs, fold, panic_on=None))]
    fn new(
        flags: &[u8],
        mapping: Vec<(u32, String, u8)>,
        homoglyphs: Vec<(u32, u32)>,
        fold: Vec<(u32, u8)>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let mut map = HashMap::with_capacity(mapping.len());
        for (c, repl, kind) in mapping {
            if usize::from(kind) >= KIND_NAMES.len() || c as usize >= tables::N_CODE_POINTS {
                return Err(PyValueError::new_err(format!(
                    "bad mapping entry {c:#x} (kind {kind})"
                )));
            }
            map.insert(c, (repl.chars().map(u32::from).collect(), kind));
        }
        let tables = Tables::new(
            flags.to_vec(),
            map,
            homoglyphs.into_iter().collect(),
            fold.into_iter().collect(),
            panic_on,
        )
        .map_err(PyValueError::new_err)?;
        Ok(Normaliser {
            tables,
            scratch: Mutex::new((Vec::new(), Columns::default())),
        })
    }

    /// Normalise a batch of texts (a list of str; lone surrogates allowed).
    ///
    /// Returns (status, text, text_bounds, starts, ends, obfuscations, errors): per text a
    /// status byte (0 unchanged, 1 changed, 2 changed with offsets kept, 3 failed: see
    /// `errors`, a list of (index, message)); the changed texts' code points as UTF-32-LE with
    /// n + 1 code point bounds (an unchanged text has none); for each changed text in order
    /// but those of status 2 (whose maps are the identity), len(text) + 1 start offsets and
    /// len(text) end offsets (int32); and obfuscation rows of
    /// six int64 (text index, start, end, kind id, original start, original end), with each
    /// row's kind name and original text (the slice of its text) as two lists of str.
    #[allow(clippy::type_complexity)]
    fn normalise_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<Bound<'py, PyString>>,
    ) -> PyResult<(
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyList>,
        Bound<'py, PyList>,
        Vec<(usize, String)>,
    )> {
        let mut fresh = (Vec::new(), Columns::default());
        let mut kept = self.scratch.try_lock().ok();
        let (chars, cols) = match kept.as_deref_mut() {
            Some(scratch) => scratch,
            None => &mut fresh,
        };
        let offsets = read_texts(&texts, chars)?;
        let tables = &self.tables;
        py.detach(|| normalise_all(tables, chars, &offsets, cols));
        let (kinds, originals) = obfuscation_fields(py, &texts, &cols.obfuscations)?;
        let out = (
            PyBytes::new(py, &cols.status),
            PyBytes::new(py, &cols.text),
            py_le_bytes(py, &cols.text_bounds, i64::to_le_bytes)?,
            PyBytes::new(py, &cols.starts),
            PyBytes::new(py, &cols.ends),
            py_le_bytes(py, &cols.obfuscations, i64::to_le_bytes)?,
            kinds,
            originals,
            std::mem::take(&mut cols.errors),
        );
        if chars.capacity() * 4 + cols.text.capacity() + cols.starts.capacity() * 2 > SCRATCH_KEPT {
            *chars = Vec::new();
            *cols = Columns::default();
        }
        Ok(out)
    }
}

/// The kind name and the original text (its text's slice, as Python slices it) of each
/// obfuscation row: made here, they cost no Python-level call per row.
fn obfuscation_fields<'py>(
    py: Python<'py>,
    texts: &[Bound<'py, PyString>],
    rows: &[i64],
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let names: Vec<Bound<'py, PyString>> =
        KIND_NAMES.iter().map(|k| PyString::intern(py, k)).collect();
    let mut kinds = Vec::with_capacity(rows.len() / 6);
    let mut originals = Vec::with_capacity(rows.len() / 6);
    for row in rows.chunks_exact(6) {
        kinds.push(names[row[3] as usize].clone());
        let text = &texts[row[0] as usize];
        // SAFETY: `text` is a live str held by this thread, which holds the GIL; the bounds
        // are the core's own, 0 <= start <= end <= len(text), where `PyUnicode_Substring` is
        // `text[start:end]` (without making a slice object), and a NULL result is an error.
        let original = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyUnicode_Substring(text.as_ptr(), row[4] as isize, row[5] as isize),
            )?
        };
        originals.push(original);
    }
    Ok((PyList::new(py, kinds)?, PyList::new(py, originals)?))
}

/// (text index, panic message) for the texts of a batch the core failed on.
type TextErrors = Vec<(usize, String)>;

/// The indicator lexicon, compiled once; `match_batch` finds its entries in a batch.
#[pyclass(frozen, module = "amberline._core")]
struct LexiconMatcher {
    matcher: Matcher,
}

fn match_all(matcher: &Matcher, chars: &[u32], bounds: &[usize]) -> (Vec<i64>, TextErrors) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let (mut raw, mut folds) = (Vec::new(), Vec::new());
    for (index, w) in bounds.windows(2).enumerate() {
        let text = &chars[w[0]..w[1]];
        match catch_unwind(AssertUnwindSafe(|| {
            matcher.find(text, &mut raw, &mut folds)
        })) {
            Ok(hits) => {
                for (entry, start, end) in hits {
                    rows.extend([index as i64, i64::from(entry), start as i64, end as i64]);
                }
            }
            Err(payload) => errors.push((index, panic_message(payload.as_ref()))),
        }
    }
    (rows, errors)
}

#[pymethods]
impl LexiconMatcher {
    /// `literals`: (literal, entry index, word boundary at start, at end), the lexicon's
    /// patterns expanded; `refusable`: entry indices; `lower`: (code point, lower case) where
    /// Python's `str.lower` changes a character to one other; `flags`: Python's unicode flags
    /// (`tables.rs`); `fold`: (code point, ASCII letter) that case-insensitive `re` matches;
    /// `refusal`: (words, marks, stop characters, window, gap) of the refusal rule.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (literals, n_entries, refusable, lower, flags, fold, refusal, panic_on=None))]
    fn new(
        literals: Vec<(String, u32, bool, bool)>,
        n_entries: usize,
        refusable: Vec<u32>,
        lower: Vec<(u32, u32)>,
        flags: &[u8],
        fold: Vec<(u32, u8)>,
        refusal: (Vec<String>, Vec<String>, String, usize, usize),
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let (words, marks, stops, window, gap) = refusal;
        if let Some(w) = words
            .iter()
            .find(|w| !w.is_ascii() || w.chars().any(|c| c.is_ascii_uppercase()))
        {
            return Err(PyValueError::new_err(format!(
                "refusal word {w:?} is not lower-case ASCII"
            )));
        }
        let spec = MatcherSpec {
            literals: literals
                .into_iter()
                .map(|(lit, e, ws, we)| (lit.chars().map(u32::from).collect(), e, ws, we))
                .collect(),
            n_entries,
            refusable,
            lower,
            flags: flags.to_vec(),
            fold,
            refusal: Refusal {
                words: words.into_iter().map(String::into_bytes).collect(),
                marks: marks
                    .iter()
                    .map(|m| m.chars().map(u32::from).collect())
                    .collect(),
                stops: stops.chars().map(u32::from).collect(),
                window,
                gap,
            },
            panic_on,
        };
        Ok(LexiconMatcher {
            matcher: Matcher::new(spec).map_err(PyValueError::new_err)?,
        })
    }

    /// Find the lexicon in a batch (`data`, `bounds` as for `Normaliser.normalise_batch`).
    ///
    /// Returns (rows, errors): rows of four int64 (text index, entry index, start, end; code
    /// point offsets into that text), per text ordered by start, longest first; `errors` lists
    /// (text index, message) for texts the core panicked on, which have no rows.
    fn match_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
    ) -> PyResult<(Bound<'py, PyBytes>, TextErrors)> {
        let (chars, offsets) = batch_view(data, &bounds)?;
        let matcher = &self.matcher;
        let (rows, errors) = py.detach(|| match_all(matcher, &chars, &offsets));
        Ok((PyBytes::new(py, &le_bytes(&rows)), errors))
    }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Normaliser>()?;
    m.add_function(wrap_pyfunction!(finish::derive_rows, m)?)?;
    m.add_function(wrap_pyfunction!(finish::offsets, m)?)?;
    m.add_function(wrap_pyfunction!(finish::place, m)?)?;
    m.add_function(wrap_pyfunction!(finish::make_spans, m)?)?;
    m.add_function(wrap_pyfunction!(finish::make_flags, m)?)?;
    m.add_function(wrap_pyfunction!(finish::make_objects, m)?)?;
    m.add_function(wrap_pyfunction!(finish::score_rows, m)?)?;
    m.add_class::<LexiconMatcher>()?;
    m.add_class::<names::PyNameScanner>()?;
    m.add_class::<word_table::PyWordTable>()?;
    m.add_class::<places::PyPlaceScanner>()?;
    m.add("NAME_CUES", names::CUES.to_vec())?;
    m.add_class::<profile::DescriptorReader>()?;
    m.add_class::<profile::AgeReader>()?;
    m.add_class::<profile::PriceReader>()?;
    m.add_class::<profile::ProfileReaders>()?;
    m.add_class::<triggers::TriggerAutomaton>()?;
    m.add_class::<profile::Pattern>()?;
    m.add_class::<contact::ContactScanner>()?;
    m.add_class::<minhash::PyMinHashSigner>()?;
    m.add_class::<phones::PhoneScanner>()?;
    m.add("CONTACT_PLATFORMS", contact::PLATFORMS.to_vec())?;
    m.add("NORMALISER_KINDS", KIND_NAMES.to_vec())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SOURCES", env!("AMBERLINE_CORE_SOURCES"))?;
    Ok(())
}
