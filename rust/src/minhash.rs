//! MinHash signatures of ad text (`link/minhash.py`'s `MinHasher`), for a whole batch.
//!
//! Why: a scan computes every new ad's signature as it stores it, and the reference spends
//! its time in per-token interpreter work (the token regex, lower-casing and masking the
//! joined tokens) and in numpy passes over a (permutations x shingles) matrix. Here each text
//! is tokenised, hashed and permuted in one pass with no intermediate arrays.
//!
//! The reference, step by step, and what this does for each:
//! - tokens are the runs of `[^\W_]+`: characters with Python's `str.isalnum()` (the ALNUM
//!   flag of the running Python's tables);
//! - the tokens, joined by NUL, are lower-cased by `str.lower` and every `\d` becomes "0":
//!   one character at a time with Python's single-character lower-case table and DECIMAL
//!   flag. `str.lower` turns the dotted capital I into two characters and lower-cases a
//!   capital sigma by its context; a text with either in a token is declined (returned as
//!   such) and the caller computes it with the reference;
//! - each token's hash is zlib's CRC-32 of its UTF-8 bytes;
//! - shingles of `shingle_size` tokens combine as `h = h * 0x01000193 ^ next` (a text with
//!   fewer tokens has one shingle of them all), are premixed by MurmurHash3's finaliser and
//!   permuted as `a * x + b` (all modulo 2^32); a signature is the minimum per permutation,
//!   all 0xFFFFFFFF for a text without tokens (marked empty).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::tables::{Tables, ALNUM, DECIMAL};

const COMBINE: u32 = 0x0100_0193;
const EMPTY: u32 = u32::MAX;

pub struct Signer {
    tables: Tables,
    /// `str.lower` of each code point where it gives one character (else the point itself).
    lower: std::sync::Arc<[u32]>,
    /// Code points whose lower case this table cannot give (several characters, context).
    hard: Vec<u32>,
    crc: [u32; 256],
    /// Each ASCII character as a token byte: lower-cased and digit-masked by `lower` and the
    /// flags, 0 where it is no token character, `SLOW` where `hard` holds it.
    ascii: [u8; 128],
    /// `ascii` with 0 where it holds `SLOW` too: a token byte, or 0 for "ask `ascii_byte`".
    plain: [u8; 128],
}

/// An ASCII character `Signer::ascii` leaves to the general path.
const SLOW: u8 = 0xFF;

fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    table
}

fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

/// Buffers `Signer::sign` reuses from one text to the next: the token hashes and the
/// shingles' premixed hashes.
#[derive(Default)]
pub struct Scratch {
    tokens: Vec<u32>,
    mixed: Vec<u32>,
}

/// What one text gave.
pub enum Outcome {
    /// The signature row (`num_perm` values), and whether the text had no token.
    Signed(bool),
    /// A token holds a character whose lower case needs the reference.
    Declined,
}

impl Signer {
    pub fn new(tables: Tables, lower: Vec<(u32, u32)>, hard: Vec<u32>) -> Result<Self, String> {
        let mut signer = Signer {
            tables,
            lower: crate::tables::lower_table(lower)?,
            hard,
            crc: crc_table(),
            ascii: [0; 128],
            plain: [0; 128],
        };
        for c in 0..128u32 {
            signer.ascii[c as usize] = if signer.hard.contains(&c) {
                SLOW
            } else if !signer.tables.flag(c, ALNUM) {
                0
            } else {
                match signer.masked_lower(c) {
                    low @ 1..=0x7F => low as u8,
                    _ => SLOW, // lower case past ASCII (or NUL): hashed by the general path
                }
            };
        }
        for (plain, &byte) in signer.plain.iter_mut().zip(&signer.ascii) {
            *plain = if byte == SLOW { 0 } else { byte };
        }
        Ok(signer)
    }

    /// A token character's lower case, "0" for a digit.
    #[inline]
    fn masked_lower(&self, c: u32) -> u32 {
        let low = self.lower.get(c as usize).copied().unwrap_or(c);
        if self.tables.flag(low, DECIMAL) {
            u32::from(b'0')
        } else {
            low
        }
    }

    #[inline]
    fn crc_update(&self, mut crc: u32, byte: u8) -> u32 {
        crc = self.crc[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
        crc
    }

    /// `crc` updated by one token character's lower-cased, digit-masked UTF-8 bytes.
    fn char_crc(&self, mut crc: u32, c: u32) -> u32 {
        let low = self.masked_lower(c);
        // UTF-8 (surrogates as three bytes, like Python's "surrogatepass").
        if low < 0x80 {
            crc = self.crc_update(crc, low as u8);
        } else if low < 0x800 {
            crc = self.crc_update(crc, (0xC0 | (low >> 6)) as u8);
            crc = self.crc_update(crc, (0x80 | (low & 0x3F)) as u8);
        } else if low < 0x10000 {
            crc = self.crc_update(crc, (0xE0 | (low >> 12)) as u8);
            crc = self.crc_update(crc, (0x80 | ((low >> 6) & 0x3F)) as u8);
            crc = self.crc_update(crc, (0x80 | (low & 0x3F)) as u8);
        } else {
            crc = self.crc_update(crc, (0xF0 | (low >> 18)) as u8);
            crc = self.crc_update(crc, (0x80 | ((low >> 12) & 0x3F)) as u8);
            crc = self.crc_update(crc, (0x80 | ((low >> 6) & 0x3F)) as u8);
            crc = self.crc_update(crc, (0x80 | (low & 0x3F)) as u8);
        }
        crc
    }

    /// Whether `c` is a token character, and its byte when it is an ASCII one the table
    /// answers (`Some(0)`: not a token character; `None`: the general path's).
    #[inline]
    fn ascii_byte(&self, c: u32) -> Option<u8> {
        match self.ascii.get(c as usize) {
            Some(&SLOW) | None => None,
            Some(&byte) => Some(byte),
        }
    }

    /// The token hashes of one text (CRC-32 of each lower-cased, digit-masked token's UTF-8
    /// bytes), or false when a token needs the reference. ASCII characters, nearly all of an
    /// ad, are one table look-up each.
    fn token_hashes(&self, text: &[u32], out: &mut Vec<u32>) -> bool {
        out.clear();
        let mut i = 0;
        while i < text.len() {
            let c = text[i];
            let starts = match self.ascii_byte(c) {
                Some(byte) => byte != 0,
                None => self.tables.flag(c, ALNUM),
            };
            if !starts {
                i += 1;
                continue;
            }
            let mut crc = u32::MAX;
            while i < text.len() {
                let c = text[i];
                // (the common case first, one look-up and one test: a plain ASCII token byte)
                let plain = if c < 0x80 { self.plain[c as usize] } else { 0 };
                if plain != 0 {
                    crc = self.crc_update(crc, plain);
                    i += 1;
                    continue;
                }
                match self.ascii_byte(c) {
                    Some(0) => break,
                    Some(byte) => crc = self.crc_update(crc, byte),
                    None => {
                        if !self.tables.flag(c, ALNUM) {
                            break;
                        }
                        if self.hard.contains(&c) {
                            return false;
                        }
                        crc = self.char_crc(crc, c);
                    }
                }
                i += 1;
            }
            out.push(!crc);
        }
        true
    }

    /// One text's signature into `row` (`a.len()` values).
    pub fn sign(
        &self,
        text: &[u32],
        a: &[u32],
        b: &[u32],
        shingle_size: usize,
        scratch: &mut Scratch,
        row: &mut [u32],
    ) -> Outcome {
        let Scratch { tokens, mixed } = scratch;
        row.fill(EMPTY);
        if !self.token_hashes(text, tokens) {
            return Outcome::Declined;
        }
        if tokens.is_empty() {
            return Outcome::Signed(true);
        }
        shingle_hashes(tokens, shingle_size, mixed);
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU running this has AVX2 (checked just above).
            unsafe { permute_all_avx2(mixed, a, b, row) };
            return Outcome::Signed(false);
        }
        permute_all(mixed, a, b, row);
        Outcome::Signed(false)
    }
}

/// The premixed hash of every shingle of `tokens` into `mixed`: shingles of `shingle_size`
/// tokens combine as `h = h * 0x01000193 ^ next` (fewer tokens: one shingle of them all).
fn shingle_hashes(tokens: &[u32], shingle_size: usize, mixed: &mut Vec<u32>) {
    let n = tokens.len();
    let k = shingle_size.max(1);
    let shingles = if n < k { 1 } else { n - k + 1 };
    mixed.clear();
    for s in 0..shingles {
        let mut h = tokens[s];
        for &next in &tokens[s + 1..n.min(s + k)] {
            h = h.wrapping_mul(COMBINE) ^ next;
        }
        mixed.push(fmix32(h));
    }
}

/// Every premixed shingle hash permuted by each (a, b), the minimum per permutation into
/// `row`.
///
/// Each group of `LANES` permutations runs over all the shingles with its minima, `a` and `b`
/// held in registers, so the row is loaded and stored once per text instead of once per
/// shingle. Inlined into `permute_all_avx2` too, where the compiler may use AVX2's 32-bit
/// lane multiply and unsigned minimum (baseline x86-64 has neither): the same integer
/// arithmetic, so the same values, several permutations at a time.
#[inline(always)]
fn permute_all(mixed: &[u32], a: &[u32], b: &[u32], row: &mut [u32]) {
    let mut groups = row.chunks_exact_mut(LANES);
    let mut a_groups = a.chunks_exact(LANES);
    let mut b_groups = b.chunks_exact(LANES);
    for ((slots, ag), bg) in (&mut groups).zip(&mut a_groups).zip(&mut b_groups) {
        let ag: &[u32; LANES] = ag.try_into().expect("a group of LANES");
        let bg: &[u32; LANES] = bg.try_into().expect("a group of LANES");
        let mut low = [EMPTY; LANES];
        for &x in mixed {
            for lane in 0..LANES {
                low[lane] = low[lane].min(ag[lane].wrapping_mul(x).wrapping_add(bg[lane]));
            }
        }
        for (slot, &m) in slots.iter_mut().zip(&low) {
            *slot = (*slot).min(m);
        }
    }
    let rest = groups.into_remainder();
    for ((slot, &aj), &bj) in rest
        .iter_mut()
        .zip(a_groups.remainder())
        .zip(b_groups.remainder())
    {
        for &x in mixed {
            *slot = (*slot).min(aj.wrapping_mul(x).wrapping_add(bj));
        }
    }
}

/// Permutations per group of `permute_all`: four AVX2 registers' worth.
const LANES: usize = 32;

/// `permute_all` compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn permute_all_avx2(mixed: &[u32], a: &[u32], b: &[u32], row: &mut [u32]) {
    permute_all(mixed, a, b, row);
}

fn u32_values(data: &[u8], what: &str) -> PyResult<Vec<u32>> {
    if data.len() % 4 != 0 {
        return Err(PyValueError::new_err(format!(
            "{what}: length not a multiple of 4"
        )));
    }
    Ok(data
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// The MinHash signer, compiled once per process; `signatures` signs a batch.
#[pyclass(frozen, module = "amberline._core", name = "MinHashSigner")]
pub struct PyMinHashSigner {
    signer: Signer,
}

/// A signed batch: the signature matrix (n x num_perm uint32, little-endian), one byte per
/// text (1: no token), the texts declined, and (text index, message) of panics.
type Signed<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Vec<usize>,
    crate::TextErrors,
);

#[pymethods]
impl PyMinHashSigner {
    /// `flags`: Python's character flags (`text/native.py`); `lower`: (code point, lower case)
    /// where `str.lower` turns a character into one other; `hard`: the code points whose
    /// lower case that cannot give.
    #[new]
    #[pyo3(signature = (flags, lower, hard, panic_on=None))]
    fn new(
        flags: &[u8],
        lower: Vec<(u32, u32)>,
        hard: Vec<u32>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let tables = Tables::flags_only(flags, panic_on).map_err(PyValueError::new_err)?;
        Ok(PyMinHashSigner {
            signer: Signer::new(tables, lower, hard).map_err(PyValueError::new_err)?,
        })
    }

    /// Sign a batch (`data`, `bounds` as for `Normaliser.normalise_batch`) with the
    /// permutations `a`, `b` (uint32, little-endian, one each per signature value).
    fn signatures<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
        a: &[u8],
        b: &[u8],
        shingle_size: usize,
    ) -> PyResult<Signed<'py>> {
        let (chars, offsets) = crate::batch_view(data, &bounds)?;
        let (a, b) = (u32_values(a, "a")?, u32_values(b, "b")?);
        if a.len() != b.len() || a.is_empty() {
            return Err(PyValueError::new_err(
                "a and b need the same, positive length",
            ));
        }
        let signer = &self.signer;
        let n_texts = offsets.len().saturating_sub(1);
        let perms = a.len();
        let values = n_texts
            .checked_mul(perms)
            .filter(|&n| n.checked_mul(4).is_some_and(|b| isize::try_from(b).is_ok()))
            .ok_or_else(|| PyValueError::new_err("a signature matrix too long"))?;
        // The rows are signed straight into the bytes object handed back: a vector filled
        // first and copied after wrote the whole matrix twice more.
        // SAFETY: the GIL is held; a NULL source makes a bytes object of 4 * `values` bytes,
        // not yet written (a new reference, or NULL with an error set). Nothing else refers to
        // it until it is returned, and it is zeroed, then every value written, before that
        // (each row by `sign` or, for a text that panicked, by the fill after it).
        let matrix = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), (values * 4) as isize),
            )?
            .cast_into_unchecked::<PyBytes>()
        };
        // SAFETY: the storage holds 4 * `values` bytes and starts on a word of its allocation
        // (checked: a misaligned one would be refused rather than read wrongly).
        let storage = unsafe { pyo3::ffi::PyBytes_AsString(matrix.as_ptr()) };
        if storage.is_null() || storage.align_offset(std::mem::align_of::<u32>()) != 0 {
            return Err(PyValueError::new_err(
                "no aligned storage for the signatures",
            ));
        }
        // SAFETY: see above; this is the only view of the storage while it is written. Zeroed
        // first: a `&mut [u32]` must not point at uninitialised memory, even if only written
        // through (one `memset`, where the copy it replaced was a second pass of reads too).
        let sig = unsafe {
            std::ptr::write_bytes(storage, 0, values * 4);
            std::slice::from_raw_parts_mut(storage.cast::<u32>(), values)
        };
        let (empty, declined, errors) = py.detach(|| {
            let mut empty = vec![0u8; n_texts];
            let (mut declined, mut errors) = (Vec::new(), Vec::new());
            let mut scratch = Scratch::default();
            for (index, w) in offsets.windows(2).enumerate() {
                let text = &chars[w[0]..w[1]];
                let row = &mut sig[index * perms..(index + 1) * perms];
                let run = || {
                    if let Some(c) = signer.tables.panic_on {
                        assert!(!text.contains(&c), "test panic on {c:#x}");
                    }
                    signer.sign(text, &a, &b, shingle_size, &mut scratch, row)
                };
                match catch_unwind(AssertUnwindSafe(run)) {
                    Ok(Outcome::Signed(none)) => empty[index] = u8::from(none),
                    Ok(Outcome::Declined) => declined.push(index),
                    Err(payload) => {
                        row.fill(EMPTY);
                        errors.push((index, crate::panic_message(payload.as_ref())));
                    }
                }
            }
            // (little-endian as the bytes promise; nothing to do on a little-endian machine)
            if cfg!(target_endian = "big") {
                for v in sig.iter_mut() {
                    *v = v.to_le();
                }
            }
            (empty, declined, errors)
        });
        Ok((matrix, PyBytes::new(py, &empty), declined, errors))
    }
}
