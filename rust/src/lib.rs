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
pub mod shared_triggers;
mod simd;
pub mod tables;
pub mod triggers;
pub mod word_table;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use pyo3::exceptions::{PyBufferError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyType};

use crate::finish::Maker;
use crate::matcher::{Matcher, MatcherSpec, Refusal};
use crate::normalise::{Normalised, Obfuscation, Work, KIND_NAMES};
use crate::tables::Tables;

/// The normaliser's tables, compiled once; `normalise_batch` screens a batch.
#[pyclass(frozen, module = "amberline._core")]
struct Normaliser {
    tables: Tables,
    /// The class each obfuscation record is made of (`model.Obfuscation`).
    obfuscation: Py<PyType>,
    /// The last batch's buffers, cleared and refilled: a batch's columns are megabytes, and
    /// fresh ones cost a page fault per page touched. (A batch that finds it in use, in
    /// another thread, takes fresh ones.)
    scratch: Mutex<Scratch>,
}

/// The normaliser's buffers kept from one batch to the next.
#[derive(Default)]
struct Scratch {
    /// The code points of the texts being read (`CHUNK`).
    chars: Vec<u32>,
    /// One text's work buffers.
    work: Work,
    columns: Columns,
    /// The offset maps handed out with the last batch, taken back by the next batch when
    /// nothing else holds them any more (`Int32Column::reclaim`).
    maps: Option<[Py<Int32Column>; 2]>,
}

/// Buffers larger than this are not kept for the next batch.
const SCRATCH_KEPT: usize = 64 << 20;

/// What the normaliser finds in one batch, before it is handed to Python (see
/// `Normaliser.normalise_batch`).
#[derive(Default)]
struct Columns {
    status: Vec<u8>,
    /// The changed texts' code points, one after another, and the n + 1 bounds of each text's
    /// stretch (an unchanged text's is empty).
    text: Vec<u32>,
    text_bounds: Vec<usize>,
    starts: Vec<i32>,
    ends: Vec<i32>,
    /// The length of each changed text whose maps are in `starts` and `ends`, in order.
    lengths: Vec<i64>,
    /// (text index, record) of every obfuscation, by text.
    obfuscations: Vec<(usize, Obfuscation)>,
    errors: Vec<(usize, String)>,
}

const UNCHANGED: u8 = 0;
const CHANGED: u8 = 1;
const CHANGED_SAME_OFFSETS: u8 = 2;
const FAILED: u8 = 3;

/// A number of the columns handed to Python, written as its little-endian bytes.
pub(crate) trait LeBytes: Copy {
    type Bytes: AsRef<[u8]>;
    fn le(self) -> Self::Bytes;
}

macro_rules! le_bytes_of {
    ($($t:ty),*) => {$(
        impl LeBytes for $t {
            type Bytes = [u8; std::mem::size_of::<$t>()];
            fn le(self) -> Self::Bytes {
                self.to_le_bytes()
            }
        }
    )*};
}

le_bytes_of!(u32, i64, f64);

/// `values` as a bytes object of their little-endian bytes, written where the bytes object
/// keeps them (no buffer between, no second copy, no zeroing first): every column of numbers
/// a stage hands back.
pub(crate) fn le_column<'py, T: LeBytes>(
    py: Python<'py>,
    values: &[T],
) -> PyResult<Bound<'py, PyBytes>> {
    let width = std::mem::size_of::<T::Bytes>();
    let length = values
        .len()
        .checked_mul(width)
        .and_then(|size| isize::try_from(size).ok())
        .ok_or_else(|| PyValueError::new_err("a column too long"))?;
    // SAFETY: the GIL is held; a NULL source makes a bytes object of `length` bytes, not yet
    // written (a new reference or NULL with an error set), whose every byte is written
    // below, through a raw pointer, before anything reads it.
    unsafe {
        let object = Bound::from_owned_ptr_or_err(
            py,
            ffi::PyBytes_FromStringAndSize(std::ptr::null(), length),
        )?;
        let out = ffi::PyBytes_AsString(object.as_ptr()).cast::<u8>();
        if out.is_null() {
            return Err(PyErr::fetch(py));
        }
        for (k, &value) in values.iter().enumerate() {
            let bytes = value.le();
            std::ptr::copy_nonoverlapping(bytes.as_ref().as_ptr(), out.add(width * k), width);
        }
        Ok(object.cast_into_unchecked::<PyBytes>())
    }
}

/// A column of little-endian int32 handed to Python without a copy: it exports its own
/// storage by the buffer protocol as a bytes object would (read-only, one byte an item,
/// format "B"), so `numpy.frombuffer` views it where it lies. (A batch's offset maps are
/// megabytes: a bytes copy wrote them all a second time, into memory touched for the first
/// time.)
#[pyclass(frozen, module = "amberline._core")]
pub(crate) struct Int32Column {
    values: Reclaimable,
}

/// An `Int32Column`'s values, which its maker may take back once nothing else refers to the
/// column (`Int32Column::reclaim`); until then only read.
struct Reclaimable(std::cell::UnsafeCell<Vec<i32>>);

// SAFETY: the vector is written only by `Int32Column::reclaim`, which holds the GIL and the
// only reference to the column, so no other thread (nor any buffer view or borrow, each of
// which holds a reference) can be reading it; otherwise it is only read.
unsafe impl Sync for Reclaimable {}

impl Int32Column {
    /// The column's values, little-endian (as its buffer gives them).
    pub(crate) fn values(&self) -> &[i32] {
        // SAFETY: see `Reclaimable`: while anyone can call this, nobody writes the vector.
        unsafe { &*self.values.0.get() }
    }

    fn new(mut values: Vec<i32>) -> Self {
        // (no-op on a little-endian machine)
        for v in &mut values {
            *v = v.to_le();
        }
        Int32Column {
            values: Reclaimable(std::cell::UnsafeCell::new(values)),
        }
    }

    /// The column's storage, to be filled again, when `column` is the only reference to it
    /// left (Python has dropped the column and every view of it: a buffer view and a numpy
    /// array over it each hold a reference); else None, and the column stays as it is.
    fn reclaim(column: Py<Int32Column>, py: Python<'_>) -> Option<Vec<i32>> {
        let _ = py;
        // SAFETY: the GIL is held (`py`) and `column` is a live reference.
        if unsafe { ffi::Py_REFCNT(column.as_ptr()) } != 1 {
            return None;
        }
        // SAFETY: the GIL is held and `column` is the only reference to the object, so
        // nothing else can read or write its vector (see `Reclaimable`); the object keeps an
        // empty one, and is dropped with `column` right after.
        Some(unsafe { std::mem::take(&mut *column.get().values.0.get()) })
    }
}

#[pymethods]
impl Int32Column {
    /// The buffer protocol's `getbuffer`: fills `view` with the column's bytes.
    ///
    /// # Safety
    /// `view` must be null or a `Py_buffer` to fill, as Python passes it.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: std::ffi::c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("no view to fill"));
        }
        if flags & ffi::PyBUF_WRITABLE == ffi::PyBUF_WRITABLE {
            return Err(PyBufferError::new_err("an Int32Column is read-only"));
        }
        let values = slf.get().values();
        // SAFETY: an i32 is four initialised bytes with no padding and bytes need no
        // alignment, so the whole vector is the middle part.
        let (_, bytes, _) = unsafe { values.align_to::<u8>() };
        let buf = bytes.as_ptr();
        let len = isize::try_from(bytes.len())
            .map_err(|_| PyBufferError::new_err("column too long for a buffer"))?;
        // SAFETY: `view` is a live Py_buffer that Python gave us to fill. The data stays put
        // and unchanged while the view holds its reference to the object (`obj`: the class
        // is frozen and the vector never changes after `new`); `shape` and `strides` point
        // into the view itself, as a bytes object's do, and the format is a static string
        // that Python only reads.
        unsafe {
            (*view).obj = slf.into_any().into_ptr();
            (*view).buf = buf.cast_mut().cast();
            (*view).len = len;
            (*view).readonly = 1;
            (*view).itemsize = 1;
            (*view).format = if flags & ffi::PyBUF_FORMAT == ffi::PyBUF_FORMAT {
                c"B".as_ptr().cast_mut()
            } else {
                std::ptr::null_mut()
            };
            (*view).ndim = 1;
            (*view).shape = if flags & ffi::PyBUF_ND == ffi::PyBUF_ND {
                &mut (*view).len
            } else {
                std::ptr::null_mut()
            };
            (*view).strides = if flags & ffi::PyBUF_STRIDES == ffi::PyBUF_STRIDES {
                &mut (*view).itemsize
            } else {
                std::ptr::null_mut()
            };
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = std::ptr::null_mut();
        }
        Ok(())
    }

    fn __len__(&self) -> usize {
        self.values().len() * 4
    }
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

impl Columns {
    fn push(&mut self, index: usize, result: &Normalised) {
        let same = result.same_offsets;
        self.status
            .push(if same { CHANGED_SAME_OFFSETS } else { CHANGED });
        self.text.extend_from_slice(&result.text);
        // Offsets kept: both maps are the identity, which the caller knows without them.
        if !same {
            // (`normalise_all` takes no text longer than an int32 offset reaches, so each
            // u32 offset is the same int32)
            self.starts.extend_from_slice(as_i32(&result.starts));
            self.ends.extend_from_slice(as_i32(&result.ends));
            self.lengths.push(result.text.len() as i64);
        }
        self.obfuscations
            .extend(result.obfuscations.iter().map(|&o| (index, o)));
    }
}

/// The same values read as i32 (a copy of them is then one memcpy).
fn as_i32(values: &[u32]) -> &[i32] {
    // SAFETY: u32 and i32 have one size and alignment, and every bit pattern is valid for both.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<i32>(), values.len()) }
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

/// Each text's length in code points.
fn text_sizes(texts: &[Bound<'_, PyString>]) -> PyResult<Vec<usize>> {
    let mut sizes = Vec::with_capacity(texts.len());
    for text in texts {
        // SAFETY: `text` is a live str, held by this thread, which holds the GIL.
        let size = unsafe { ffi::PyUnicode_GetLength(text.as_ptr()) };
        sizes.push(usize::try_from(size).map_err(|_| PyErr::fetch(text.py()))?);
    }
    Ok(sizes)
}

/// The code points of some Python strings (`sizes`: each one's length), copied straight from
/// each into `chars` (cleared first); returns the n + 1 offsets where each text starts and
/// ends.
///
/// `PyUnicode_AsUCS4` widens a str's own storage into our buffer, lone surrogates included:
/// no UTF-8 form is made (CPython would keep it on the str for the str's lifetime, and the
/// pipeline's texts are fresh strs each batch), none is decoded here, and the buffer's room is
/// written once, without being zeroed first.
fn read_texts(
    texts: &[Bound<'_, PyString>],
    sizes: &[usize],
    chars: &mut Vec<u32>,
) -> PyResult<Vec<usize>> {
    room_for(chars, sizes.iter().sum::<usize>().max(CHUNK));
    let mut offsets = Vec::with_capacity(texts.len() + 1);
    offsets.push(0);
    for (text, &n) in texts.iter().zip(sizes) {
        let ptr = text.as_ptr();
        let size = n as ffi::Py_ssize_t;
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

/// `text.encode("utf-32-le", "surrogatepass")`, for the core's batch buffer (`core.batch_buffer`).
///
/// Why: CPython's UTF-32 encoder steps through the text a code point at a time, and the
/// pipeline's joined batches are most often stored four bytes a code point already (an emoji
/// in any ad makes the whole batch so); `PyUnicode_AsUCS4` copies such a str's storage whole
/// and widens the narrower kinds in a tight loop, straight into the new bytes object. Lone
/// surrogates come out as their code points, as "surrogatepass" writes them.
#[cfg(target_endian = "little")]
#[pyfunction]
fn utf32<'py>(text: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyBytes>> {
    Ok(ucs4_bytes(text.py(), std::slice::from_ref(text))?.0)
}

/// `"".join(texts)` as `utf32` gives it, and the n + 1 bounds of each text in it (code
/// points): `core.batch_buffer` of several texts.
///
/// Why: the join made a str as large as the buffer only to copy it once more and drop it,
/// fresh memory written twice per batch (a page fault per page on first write); each str's
/// storage goes straight into the bytes object here.
#[cfg(target_endian = "little")]
#[pyfunction]
fn utf32_batch<'py>(
    py: Python<'py>,
    texts: Vec<Bound<'py, PyString>>,
) -> PyResult<(Bound<'py, PyBytes>, Vec<i64>)> {
    ucs4_bytes(py, &texts)
}

/// The texts' code points one after another (native order), as a new bytes object, and the
/// n + 1 code point offsets where each text starts and ends.
#[cfg(target_endian = "little")]
fn ucs4_bytes<'py>(
    py: Python<'py>,
    texts: &[Bound<'py, PyString>],
) -> PyResult<(Bound<'py, PyBytes>, Vec<i64>)> {
    let mut bounds = Vec::with_capacity(texts.len() + 1);
    bounds.push(0);
    let mut total: ffi::Py_ssize_t = 0;
    for text in texts {
        // SAFETY: `text` is a live str, held by this thread, which holds the GIL.
        let size = unsafe { ffi::PyUnicode_GetLength(text.as_ptr()) };
        if size < 0 {
            return Err(PyErr::fetch(py));
        }
        total = total
            .checked_add(size)
            .ok_or_else(|| PyValueError::new_err("texts too long for one bytes object"))?;
        bounds.push(total as i64);
    }
    let bytes_len = total
        .checked_mul(4)
        .ok_or_else(|| PyValueError::new_err("texts too long for one bytes object"))?;
    // SAFETY: a NULL source asks CPython for an uninitialised bytes object of that length,
    // which we own (a new reference, or NULL with an error set) and fill below before anyone
    // else can see it.
    let owned = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyBytes_FromStringAndSize(std::ptr::null(), bytes_len),
        )?
    };
    // SAFETY: its storage holds `bytes_len` = 4 * `total` bytes, suitably aligned for a code
    // point (a bytes object's storage starts on a word of its allocation).
    let data = unsafe { ffi::PyBytes_AsString(owned.as_ptr()).cast::<ffi::Py_UCS4>() };
    for (text, w) in texts.iter().zip(bounds.windows(2)) {
        let size = (w[1] - w[0]) as ffi::Py_ssize_t;
        // SAFETY: the text's stretch [w[0], w[1]) lies within the storage; with `copy_null` 0
        // CPython writes exactly the str's `size` code points there (native order, little-endian
        // here), or nothing and returns NULL.
        let written =
            unsafe { ffi::PyUnicode_AsUCS4(text.as_ptr(), data.add(w[0] as usize), size, 0) };
        if written.is_null() {
            return Err(PyErr::fetch(py));
        }
    }
    Ok((owned.cast_into::<PyBytes>()?, bounds))
}

/// `text.encode("ascii", "replace")` from `points`, the text's UTF-32 buffer (`utf32`'s bytes,
/// which the core stages have asked for already): a code point past ASCII becomes one "?".
///
/// Why: the codec's error handler steps through every character of a batch's joined text, which
/// nearly always holds some non-ASCII character, and numpy needs several passes and arrays;
/// this is one pass, sixteen code points a step (the Hyperscan scans read these bytes).
#[pyfunction]
fn ascii_of_utf32<'py>(py: Python<'py>, points: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    if points.len() % 4 != 0 {
        return Err(PyValueError::new_err("points: four bytes a code point"));
    }
    let count = points.len() / 4;
    // SAFETY: the GIL is held; a NULL source makes a bytes object of `count` bytes, not yet
    // written (a new reference or NULL with an error set; not zero-filled first), whose every
    // byte is written below, through a raw pointer, before anything reads it.
    unsafe {
        let object = Bound::from_owned_ptr_or_err(
            py,
            ffi::PyBytes_FromStringAndSize(std::ptr::null(), count as ffi::Py_ssize_t),
        )?;
        let out = ffi::PyBytes_AsString(object.as_ptr()).cast::<u8>();
        if out.is_null() {
            return Err(PyErr::fetch(py));
        }
        let done = narrow_ascii_sse2(points, out);
        for (k, point) in points.chunks_exact(4).enumerate().skip(done) {
            let point = u32::from_le_bytes(point.try_into().expect("four bytes"));
            *out.add(k) = if point < 0x80 { point as u8 } else { b'?' };
        }
        Ok(object.cast_into_unchecked::<PyBytes>())
    }
}

/// `ascii_of_utf32`'s bytes for the first multiple of sixteen code points of `points` (four
/// bytes each, little-endian), written to `out`; returns how many were written.
///
/// SAFETY: `out` has room for a byte per code point of `points`.
#[cfg(target_arch = "x86_64")]
unsafe fn narrow_ascii_sse2(points: &[u8], out: *mut u8) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi32, _mm_loadu_si128, _mm_or_si128,
        _mm_packs_epi32, _mm_packus_epi16, _mm_set1_epi32, _mm_setzero_si128, _mm_storeu_si128,
    };
    let steps = points.len() / 64;
    // SSE2 is part of every x86_64; each step reads 64 bytes of `points` and writes 16 to
    // `out` within the `steps` whole steps both hold (unaligned loads and stores).
    let high = _mm_set1_epi32(!0x7F);
    let question = _mm_set1_epi32(0x3F);
    let zero = _mm_setzero_si128();
    for step in 0..steps {
        let from = points.as_ptr().add(64 * step).cast::<__m128i>();
        let mut words = [0, 1, 2, 3].map(|i| _mm_loadu_si128(from.add(i)));
        for word in &mut words {
            // ASCII where no bit above the seventh is set (as unsigned 32-bit values).
            let ascii = _mm_cmpeq_epi32(_mm_and_si128(*word, high), zero);
            *word = _mm_or_si128(
                _mm_and_si128(ascii, *word),
                _mm_andnot_si128(ascii, question),
            );
        }
        // Every value is now below 0x80: the saturating packs keep it.
        let bytes = _mm_packus_epi16(
            _mm_packs_epi32(words[0], words[1]),
            _mm_packs_epi32(words[2], words[3]),
        );
        _mm_storeu_si128(out.add(16 * step).cast::<__m128i>(), bytes);
    }
    16 * steps
}

/// SAFETY: none needed (writes nothing).
#[cfg(not(target_arch = "x86_64"))]
unsafe fn narrow_ascii_sse2(_points: &[u8], _out: *mut u8) -> usize {
    0
}

/// Empties `v` and gives it room for `n` items: a kept buffer too small for this batch is
/// replaced rather than grown (growing would copy the last batch's contents along).
fn room_for<T>(v: &mut Vec<T>, n: usize) {
    v.clear();
    if v.capacity() < n {
        *v = Vec::with_capacity(n);
    }
}

/// The longest text the normaliser takes: its offset maps are int32 (half the bytes of a
/// batch's largest columns); a longer one fails like a panic on it would.
const MAX_TEXT: usize = i32::MAX as usize - 8;

/// Empties `out` for a batch of `total` code points: room for a batch that changes every text
/// by a little, grown once rather than doubled (`room_for` empties the three columns).
fn start_columns(out: &mut Columns, total: usize, count: usize) {
    out.status.clear();
    out.lengths.clear();
    out.text_bounds.clear();
    out.obfuscations.clear();
    out.errors.clear();
    let room = total + total / 8 + count;
    room_for(&mut out.text, room);
    room_for(&mut out.starts, room);
    room_for(&mut out.ends, room);
    out.text_bounds.push(0);
}

/// Normalises the texts of `chars` (`bounds`: n + 1 offsets), the batch's texts from number
/// `first` on, onto the columns `out` (`start_columns` first).
fn normalise_all(
    tables: &Tables,
    chars: &[u32],
    bounds: &[usize],
    first: usize,
    work: &mut Work,
    out: &mut Columns,
) {
    for (k, w) in bounds.windows(2).enumerate() {
        let index = first + k;
        let text = &chars[w[0]..w[1]];
        if text.len() >= MAX_TEXT {
            out.status.push(FAILED);
            out.errors.push((
                index,
                "text too long for the core's int32 offset maps".to_string(),
            ));
            out.text_bounds.push(out.text.len());
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| tables.normalise(text, work))) {
            Ok(false) => out.status.push(UNCHANGED),
            Ok(true) => out.push(index, &work.result),
            Err(payload) => {
                out.status.push(FAILED);
                out.errors.push((index, panic_message(payload.as_ref())));
            }
        }
        out.text_bounds.push(out.text.len());
    }
}

/// How many code points of a batch's texts are read at a time (a longer text is read
/// alone), then normalised while they are still in the cache.
const CHUNK: usize = 1 << 15;

#[pymethods]
impl Normaliser {
    /// `flags`: one byte per code point (see `tables.rs`); `mapping`: (code point,
    /// replacement, kind id) of the character stage; `homoglyphs`: (look-alike, Latin
    /// letter); `fold`: (code point, ASCII letter) pairs that case-insensitive `re` matches;
    /// `obfuscation`: the class of the obfuscation records (a dataclass with slots whose
    /// fields are start, end, kind and original).
    #[new]
    #[pyo3(signature = (flags, mapping, homoglyphs, fold, obfuscation, panic_on=None))]
    fn new(
        flags: &[u8],
        mapping: Vec<(u32, String, u8)>,
        homoglyphs: Vec<(u32, u32)>,
        fold: Vec<(u32, u8)>,
        obfuscation: Py<PyType>,
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
            flags,
            map,
            homoglyphs.into_iter().collect(),
            fold.into_iter().collect(),
            panic_on,
        )
        .map_err(PyValueError::new_err)?;
        Ok(Normaliser {
            tables,
            obfuscation,
            scratch: Mutex::new(Scratch::default()),
        })
    }

    /// Normalise a batch of texts (a list of str; lone surrogates allowed).
    ///
    /// Returns (status, texts, starts, ends, lengths, obfuscations, errors): per text a status
    /// byte (0 unchanged, 1 changed, 2 changed with offsets kept, 3 failed: see `errors`, a
    /// list of (index, message)); the list of normalised texts (an unchanged text's is the
    /// very str given); for each changed text in order but those of status 2 (whose maps are
    /// the identity), len(text) + 1 start offsets and len(text) end offsets (two columns of
    /// little-endian int32, read by the buffer protocol) and its len(text) (little-endian
    /// int64 bytes: the joined maps' lengths, without a call per text in Python); and per
    /// text a new list of its obfuscation records.
    #[allow(clippy::type_complexity)]
    fn normalise_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<Bound<'py, PyString>>,
    ) -> PyResult<(
        Bound<'py, PyBytes>,
        Bound<'py, PyList>,
        Bound<'py, Int32Column>,
        Bound<'py, Int32Column>,
        Bound<'py, PyBytes>,
        Bound<'py, PyList>,
        Vec<(usize, String)>,
    )> {
        let mut fresh = Scratch::default();
        let mut kept = self.scratch.try_lock().ok();
        let Scratch {
            chars,
            work,
            columns: cols,
            maps,
        } = match kept.as_deref_mut() {
            Some(scratch) => scratch,
            None => &mut fresh,
        };
        // The last batch's maps, when Python is done with them, are this batch's room.
        if let Some([starts, ends]) = maps.take() {
            cols.starts = Int32Column::reclaim(starts, py).unwrap_or_default();
            cols.ends = Int32Column::reclaim(ends, py).unwrap_or_default();
        }
        // The texts are read a chunk at a time into one small buffer, kept for the next batch:
        // a copy of the whole batch was megabytes written once and read once, a page fault per
        // page in a process's first batches.
        let sizes = text_sizes(&texts)?;
        start_columns(cols, sizes.iter().sum(), texts.len());
        let tables = &self.tables;
        let mut first = 0;
        while first < texts.len() {
            let mut end = first;
            let mut size = 0;
            while end < texts.len() && (end == first || size + sizes[end] <= CHUNK) {
                size += sizes[end];
                end += 1;
            }
            let offsets = read_texts(&texts[first..end], &sizes[first..end], chars)?;
            py.detach(|| normalise_all(tables, chars, &offsets, first, work, cols));
            first = end;
        }
        // (the maps go with their column objects, kept here to be taken back)
        let starts = Bound::new(py, Int32Column::new(std::mem::take(&mut cols.starts)))?;
        let ends = Bound::new(py, Int32Column::new(std::mem::take(&mut cols.ends)))?;
        let room = starts.get().values().len() + ends.get().values().len();
        let out = (
            PyBytes::new(py, &cols.status),
            normalised_texts(py, &texts, cols)?,
            starts,
            ends,
            le_column(py, &cols.lengths)?,
            obfuscation_records(
                py,
                self.obfuscation.bind(py).as_any(),
                &texts,
                &cols.obfuscations,
            )?,
            std::mem::take(&mut cols.errors),
        );
        if sizes.iter().any(|&n| n > CHUNK) {
            *work = Work::default(); // (a long text's buffers are not kept)
        }
        if chars.capacity() * 4 + cols.text.capacity() * 4 + room * 4 > SCRATCH_KEPT {
            *chars = Vec::new();
            *cols = Columns::default();
        } else {
            *maps = Some([out.2.clone().unbind(), out.3.clone().unbind()]);
        }
        Ok(out)
    }
}

/// The batch's normalised texts: each changed one a new str made from its code points, each
/// other the str given.
fn normalised_texts<'py>(
    py: Python<'py>,
    texts: &[Bound<'py, PyString>],
    cols: &Columns,
) -> PyResult<Bound<'py, PyList>> {
    let mut out = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let (start, end) = (cols.text_bounds[i], cols.text_bounds[i + 1]);
        if matches!(cols.status[i], CHANGED | CHANGED_SAME_OFFSETS) {
            out.push(new_str(py, &cols.text[start..end])?);
        } else {
            out.push(text.clone());
        }
    }
    PyList::new(py, out)
}

// CPython's constructor of a str from code points stored one, two or four bytes each, in the
// public C API since 3.3 but not in the limited API, so pyo3 does not declare it.
extern "C" {
    fn PyUnicode_FromKindAndData(
        kind: std::ffi::c_int,
        buffer: *const std::ffi::c_void,
        size: ffi::Py_ssize_t,
    ) -> *mut ffi::PyObject;
}

/// A str of these code points (each below 0x110000), lone surrogates kept (as slicing a
/// Python str keeps them).
///
/// Why not `PyUnicode_FromWideChar`: it finds the largest code point one at a time, with a
/// check per character, before it copies. Here the OR of all of them (a vectorised pass)
/// tells the narrowest kind that holds them, as the largest would (each kind's limit is a
/// power of two); a text past the BMP, most changed ads (emoji stay), goes over as it is,
/// where CPython's own scan stops at the first such code point and then copies it whole,
/// and a narrower one is narrowed here first.
fn new_str<'py>(py: Python<'py>, chars: &[u32]) -> PyResult<Bound<'py, PyString>> {
    let size = isize::try_from(chars.len())
        .map_err(|_| PyValueError::new_err("text too long for a str"))?;
    let bits = chars.iter().fold(0u32, |any, &c| any | c);
    // SAFETY (each call): the GIL is held; the buffer holds `size` code points of that kind
    // (one, two or four bytes each), which CPython reads and does not keep; a NULL result
    // is an error.
    let made = if bits < 0x100 {
        let narrow: Vec<u8> = chars.iter().map(|&c| c as u8).collect();
        unsafe { PyUnicode_FromKindAndData(1, narrow.as_ptr().cast(), size) }
    } else if bits < 0x10000 {
        let narrow: Vec<u16> = chars.iter().map(|&c| c as u16).collect();
        unsafe { PyUnicode_FromKindAndData(2, narrow.as_ptr().cast(), size) }
    } else {
        unsafe { PyUnicode_FromKindAndData(4, chars.as_ptr().cast(), size) }
    };
    // SAFETY: `made` is a new reference to a str, or NULL with an error set.
    unsafe { Ok(Bound::from_owned_ptr_or_err(py, made)?.cast_into_unchecked()) }
}

/// How many one-character originals `obfuscation_records` keeps to hand out again (a batch
/// holds a few distinct ones; a linear search of this many costs less than a str).
const SINGLES_KEPT: usize = 16;

/// Each text's obfuscation records, in a new list per text: `rows` are (text index, record),
/// by text; each record's kind is its name and its original text its text's slice (as
/// Python slices it), made here without a Python-level call per record.
fn obfuscation_records<'py>(
    py: Python<'py>,
    class: &Bound<'py, PyAny>,
    texts: &[Bound<'py, PyString>],
    rows: &[(usize, Obfuscation)],
) -> PyResult<Bound<'py, PyList>> {
    let fields = [
        intern!(py, "start"),
        intern!(py, "end"),
        intern!(py, "kind"),
        intern!(py, "original"),
    ]
    .map(|name| name.clone());
    let maker = Maker::new(class, &fields)?;
    let names: Vec<Bound<'py, PyString>> =
        KIND_NAMES.iter().map(|k| PyString::intern(py, k)).collect();
    let mut lists = Vec::with_capacity(texts.len());
    // (code point, its str) of the one-character originals past Latin-1 made so far
    let mut singles: Vec<(u32, Bound<'py, PyAny>)> = Vec::new();
    let mut rest = rows;
    for (i, text) in texts.iter().enumerate() {
        let count = rest.iter().take_while(|(at, _)| *at == i).count();
        let (own, after) = rest.split_at(count);
        rest = after;
        if own.is_empty() {
            lists.push(PyList::empty(py));
            continue;
        }
        let mut records = Vec::with_capacity(own.len());
        for (_, o) in own {
            // One character past Latin-1 (an invisible, a variation selector: most records)
            // is the str made for it before in this batch, if any: CPython keeps no such
            // str, and would make and later free one per record.
            let single = if o.orig_end == o.orig_start + 1 {
                // SAFETY: as below; the index is within the text.
                let c = unsafe { ffi::PyUnicode_ReadChar(text.as_ptr(), o.orig_start as isize) };
                (c >= 0x100 && c != u32::MAX).then_some(c)
            } else {
                None
            };
            let made = single.and_then(|c| singles.iter().find(|(k, _)| *k == c));
            let original = match made {
                Some((_, s)) => s.clone(),
                None => {
                    // SAFETY: `text` is a live str held by this thread, which holds the GIL;
                    // the bounds are the core's own, 0 <= start <= end <= len(text), where
                    // `PyUnicode_Substring` is `text[start:end]` (without making a slice
                    // object), and a NULL result is an error.
                    let s = unsafe {
                        Bound::from_owned_ptr_or_err(
                            py,
                            ffi::PyUnicode_Substring(
                                text.as_ptr(),
                                o.orig_start as isize,
                                o.orig_end as isize,
                            ),
                        )?
                    };
                    if let Some(c) = single.filter(|_| singles.len() < SINGLES_KEPT) {
                        singles.push((c, s.clone()));
                    }
                    s
                }
            };
            records.push(maker.make([
                o.start.into_pyobject(py)?.into_any(),
                o.end.into_pyobject(py)?.into_any(),
                names[usize::from(o.kind)].clone().into_any(),
                original,
            ])?);
        }
        lists.push(PyList::new(py, records)?);
    }
    PyList::new(py, lists)
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
    let mut raw = Vec::new();
    for (index, w) in bounds.windows(2).enumerate() {
        let text = &chars[w[0]..w[1]];
        match catch_unwind(AssertUnwindSafe(|| matcher.find(text, &mut raw))) {
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
        Ok((le_column(py, &rows)?, errors))
    }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Normaliser>()?;
    m.add_function(wrap_pyfunction!(finish::derive_rows, m)?)?;
    m.add_function(wrap_pyfunction!(finish::offsets, m)?)?;
    m.add_function(wrap_pyfunction!(finish::place, m)?)?;
    m.add_function(wrap_pyfunction!(finish::make_spans, m)?)?;
    m.add_function(wrap_pyfunction!(finish::order_rows, m)?)?;
    m.add_function(wrap_pyfunction!(finish::locate_order, m)?)?;
    m.add_function(wrap_pyfunction!(finish::map_rows, m)?)?;
    m.add_function(wrap_pyfunction!(finish::flag_rows, m)?)?;
    m.add_function(wrap_pyfunction!(finish::map_items, m)?)?;
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
    m.add_class::<triggers::TriggerEnds>()?;
    m.add_class::<shared_triggers::SharedTriggers>()?;
    m.add_class::<shared_triggers::BatchStarts>()?;
    m.add_class::<profile::Pattern>()?;
    m.add_class::<contact::ContactScanner>()?;
    m.add_class::<minhash::PyMinHashSigner>()?;
    m.add_class::<phones::PhoneScanner>()?;
    #[cfg(target_endian = "little")]
    m.add_function(wrap_pyfunction!(utf32, m)?)?;
    #[cfg(target_endian = "little")]
    m.add_function(wrap_pyfunction!(utf32_batch, m)?)?;
    m.add_function(wrap_pyfunction!(ascii_of_utf32, m)?)?;
    m.add("CONTACT_PLATFORMS", contact::PLATFORMS.to_vec())?;
    m.add("NORMALISER_KINDS", KIND_NAMES.to_vec())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SOURCES", env!("AMBERLINE_CORE_SOURCES"))?;
    Ok(())
}
