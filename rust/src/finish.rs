//! The derived flags of a batch (`indicators/derived.py`), read straight from its spans, and
//! the records of the batch finish (`pipeline.Screener._finish_batch`): offsets read and set,
//! flags and screenings made.
//!
//! Why: the per-ad finish of a screening touches every span the extractors made, and in the
//! interpreter each attribute read, comparison and branch is a bytecode step. Here one call
//! walks a whole batch's spans, reading their attributes through the C API, and returns which
//! rule fires on which span, in the order `derive_flags` gives its flags; Python then makes
//! just those flags. Every comparison is Python's own (rich comparison, `int()`, `str()`,
//! `casefold()`, `attrs.get`), made here by value only for exact `str`, `int`, `float` and
//! `dict` (what their own methods do, without a call per span), so any value an extractor may
//! store behaves as in the reference, which the differential tests
//! (tests/test_finish_batch.py) hold this to.
//! The records are slotted dataclasses without `__post_init__` (the pipeline checks): their
//! generated `__init__` only sets each field, so setting the fields of a bare object makes
//! the same record without a Python frame per record.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyIndexError, PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType,
};

use crate::word_table::FxBuild;
use crate::{le_column, panic_message, Int32Column};

/// Rule codes, as `derive_rows` hands them back (the order of `derived.DERIVED_RULES`).
const MINOR: i64 = 0;
const NEAR: i64 = 1;
const MULTIPLE: i64 = 2;
const OBSCURED: i64 = 3;
const ETHNIC: i64 = 4;

fn column(data: &[u8], name: &str, len: Option<usize>) -> PyResult<Vec<i64>> {
    if data.len() % 8 != 0 {
        return Err(PyValueError::new_err(format!("{name}: not int64 values")));
    }
    let values: Vec<i64> = data
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    if len.is_some_and(|n| n != values.len()) {
        return Err(PyValueError::new_err(format!("{name}: wrong length")));
    }
    Ok(values)
}

/// `(attrs or {}).get(key, default)` of a span's `attrs` (None when they are empty), for an
/// exact dict by the dict itself.
fn attr_get<'py>(
    attrs: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
    default: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(dict) = attrs.cast_exact::<PyDict>() {
        if dict.is_empty() {
            return Ok(None);
        }
        return Ok(Some(dict.get_item(key)?.unwrap_or_else(|| default.clone())));
    }
    if !attrs.is_truthy()? {
        return Ok(None);
    }
    Ok(Some(attrs.call_method1(
        intern!(attrs.py(), "get"),
        (key, default),
    )?))
}

/// The age a span states, as `derived._age` reads it: the value if it is an int, else
/// `int(value)`, None when that raises TypeError, ValueError or OverflowError.
fn age_of<'py>(value: Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if value.is_exact_instance_of::<PyInt>() {
        return Ok(Some(value));
    }
    let py = value.py();
    match py.get_type::<PyInt>().call1((value,)) {
        Ok(age) => Ok(Some(age)),
        Err(e)
            if e.is_instance_of::<PyTypeError>(py)
                || e.is_instance_of::<PyValueError>(py)
                || e.is_instance_of::<PyOverflowError>(py) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// `value == constant` for an exact `str` constant: by content when `value` is an exact
/// `str` too (what `str.__eq__` does), else Python's comparison.
fn equals_str<'py>(
    value: &Bound<'py, PyAny>,
    constant: &Bound<'py, PyAny>,
    text: &str,
) -> PyResult<bool> {
    if value.is(constant) {
        return Ok(true);
    }
    if value.is_exact_instance_of::<PyString>() {
        if let Ok(found) = value.cast::<PyString>()?.to_str() {
            return Ok(found == text);
        }
    }
    value.eq(constant)
}

/// A span kind the derived rules tell apart.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Age,
    Name,
    Descriptor,
    Contact,
    Other,
}

/// The kinds as `derive_flags` compares them (`kind == AGE`, ...): each constant with its
/// text when every constant is an exact `str` (then an exact `str` kind is told apart by
/// content, as `str.__eq__` does, and its kind kept for the next span with that very object:
/// a batch's spans share a few kind objects), else by Python's comparison.
struct Kinds<'py> {
    constants: Vec<(Bound<'py, PyAny>, Kind)>,
    texts: Option<Vec<String>>,
    /// Exact `str` kinds already told apart, with their kind among all the constants
    /// (held, so no other object takes their address while they are here).
    seen: Vec<(Bound<'py, PyAny>, Kind)>,
}

impl<'py> Kinds<'py> {
    fn new(
        (age, name, descriptor): (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>),
        contact: Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let mut constants = vec![
            (age, Kind::Age),
            (name, Kind::Name),
            (descriptor, Kind::Descriptor),
        ];
        constants.extend(contact.into_iter().map(|c| (c, Kind::Contact)));
        let texts = constants
            .iter()
            .map(|(c, _)| {
                c.cast_exact::<PyString>()
                    .ok()
                    .and_then(|s| s.to_str().ok().map(str::to_owned))
            })
            .collect();
        Ok(Self {
            constants,
            texts,
            seen: Vec::new(),
        })
    }

    /// The kind of `kind`: the first constant it equals (the contact kinds are only asked
    /// about when `contact`, as `derive_flags` asks only when the ad hides a contact).
    fn of(&mut self, kind: &Bound<'py, PyAny>, contact: bool) -> PyResult<Kind> {
        let only = |found: Kind| {
            if found == Kind::Contact && !contact {
                Kind::Other
            } else {
                found
            }
        };
        if let Some((_, found)) = self.seen.iter().find(|(seen, _)| seen.is(kind)) {
            return Ok(only(*found));
        }
        let text = match &self.texts {
            Some(texts) if kind.is_exact_instance_of::<PyString>() => {
                kind.cast::<PyString>()?.to_str().ok().map(|t| (t, texts))
            }
            _ => None,
        };
        if let Some((t, texts)) = text {
            // By content only: no Python code runs, so every constant may be asked.
            let found = self
                .constants
                .iter()
                .zip(texts)
                .find(|((constant, _), c)| kind.is(constant) || t == c.as_str())
                .map_or(Kind::Other, |((_, found), _)| *found);
            if self.seen.len() < 32 {
                self.seen.push((kind.clone(), found));
            }
            return Ok(only(found));
        }
        for (constant, found) in &self.constants {
            if *found == Kind::Contact && !contact {
                break;
            }
            if kind.is(constant) || kind.eq(constant)? {
                return Ok(*found);
            }
        }
        Ok(Kind::Other)
    }
}

/// A stated age as a key: an exact int (what `derived._age` gives) by its value.
#[derive(Hash, PartialEq, Eq)]
enum AgeKey {
    Small(i64),
    Big(String),
}

/// The first span of each key (`dict.setdefault` order): keys the core can compare by
/// value in a map, any other in a Python dict of its own.
struct Firsts<'py, K> {
    seen: HashMap<(i64, K), (), FxBuild>,
    other: Bound<'py, PyDict>,
    order: Vec<usize>,
}

impl<'py, K: std::hash::Hash + Eq> Firsts<'py, K> {
    fn new(py: Python<'py>) -> Self {
        Self {
            seen: HashMap::default(),
            other: PyDict::new(py),
            order: Vec::new(),
        }
    }

    fn add(&mut self, ad: i64, key: K, k: usize) {
        if let std::collections::hash_map::Entry::Vacant(e) = self.seen.entry((ad, key)) {
            e.insert(());
            self.order.push(k);
        }
    }

    fn add_other(&mut self, ad: i64, key: Bound<'py, PyAny>, k: usize) -> PyResult<()> {
        let py = key.py();
        let key = PyTuple::new(py, [ad.into_pyobject(py)?.into_any(), key])?;
        if !self.other.contains(&key)? {
            self.other.set_item(key, k)?;
            self.order.push(k);
        }
        Ok(())
    }
}

/// The derived rules that fire on a batch's spans.
///
/// `spans` are every ad's spans one ad after the other; `ads`, `starts`, `ends` (int64 bytes)
/// the ad of each and its offsets in that ad's normalised text; `obfuscations` each ad's
/// obfuscations, of which those whose kind is in `obscuring` hide a contact; `kinds` the span kinds (age, name,
/// descriptor) and `contact_kinds`; `min_confidence` a name's least confidence to count as a
/// provider; `ranks` each rule's place when rule ids are sorted (ties between flags at one
/// place go by rule id). Returns int64 rows (span, rule code), ordered as `derive_flags`
/// orders each ad's flags: by ad, start, end, rule id, then the order it makes them.
///
/// Exact `int`, `float`, `str` and `dict` values are compared here by value, as their own
/// methods compare them; any other value by Python.
///
/// A panic (none is known) becomes a RuntimeError: the batch fails as a `ScreeningError`,
/// and `amberline.isolate` quarantines the ad it fails on, never a crash of the run.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn derive_rows<'py>(
    py: Python<'py>,
    spans: &Bound<'py, PyList>,
    ads: &[u8],
    starts: &[u8],
    ends: &[u8],
    obfuscations: &Bound<'py, PyList>,
    obscuring: &Bound<'py, PyAny>,
    kinds: (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>),
    contact_kinds: Vec<Bound<'py, PyAny>>,
    min_confidence: Bound<'py, PyAny>,
    ranks: [i64; 5],
) -> PyResult<Bound<'py, PyBytes>> {
    catch_unwind(AssertUnwindSafe(|| -> PyResult<Bound<'py, PyBytes>> {
        let n = spans.len();
        let ads = column(ads, "ads", Some(n))?;
        let starts = column(starts, "starts", Some(n))?;
        let ends = column(ends, "ends", Some(n))?;
        // The stretches that hide a contact, ad after ad: ad i's are
        // `stretches[bounds[i]..bounds[i + 1]]`.
        let mut stretches: Vec<(i64, i64)> = Vec::new();
        let mut bounds = Vec::with_capacity(obfuscations.len() + 1);
        let mut stretch = Fields::named([
            intern!(py, "kind").clone(),
            intern!(py, "start").clone(),
            intern!(py, "end").clone(),
        ]);
        // Whether an exact `str` kind hides a contact, kept per kind object when `obscuring`
        // is an exact set or frozenset (its `in` then runs no Python code).
        let by_set = obscuring.is_exact_instance_of::<PyFrozenSet>()
            || obscuring.is_exact_instance_of::<PySet>();
        let mut hiding: Vec<(Bound<'py, PyAny>, bool)> = Vec::new();
        let mut add = |stretches: &mut Vec<(i64, i64)>, o: Bound<'py, PyAny>| -> PyResult<()> {
            let [kind, start, end] = stretch.get(&o)?;
            let hides = match hiding.iter().find(|(seen, _)| seen.is(&kind)) {
                Some(&(_, hides)) => hides,
                None => {
                    let hides = obscuring.contains(&kind)?;
                    if by_set && kind.is_exact_instance_of::<PyString>() && hiding.len() < 32 {
                        hiding.push((kind, hides));
                    }
                    hides
                }
            };
            if hides {
                stretches.push((start.extract()?, end.extract()?));
            }
            Ok(())
        };
        for found in obfuscations.iter() {
            bounds.push(stretches.len());
            match found.cast_exact::<PyList>() {
                Ok(list) => list.iter().try_for_each(|o| add(&mut stretches, o))?,
                Err(_) => found
                    .try_iter()?
                    .try_for_each(|o| add(&mut stretches, o?))?,
            }
        }
        bounds.push(stretches.len());
        let mut fields = Fields::named([
            intern!(py, "kind").clone(),
            intern!(py, "value").clone(),
            intern!(py, "attrs").clone(),
            intern!(py, "confidence").clone(),
        ]);
        let mut kinds = Kinds::new(kinds, contact_kinds)?;
        let origin = intern!(py, "origin").clone().into_any();
        let text = intern!(py, "text").clone().into_any();
        let kind_key = intern!(py, "kind").clone().into_any();
        let ethnicity = intern!(py, "ethnicity").clone().into_any();
        let none = py.None().into_bound(py);
        let eighteen = 18i64.into_pyobject(py)?.into_any();
        let nineteen = 19i64.into_pyobject(py)?.into_any();
        let least = min_confidence
            .cast_exact::<PyFloat>()
            .ok()
            .map(|f| f.value());

        // (span, phase, rule): phase 0 span by span, 1 the names, 2 the ages.
        let mut rows: Vec<(usize, i64, i64)> = Vec::new();
        let mut first_name: Firsts<'py, String> = Firsts::new(py);
        let mut first_age: Firsts<'py, AgeKey> = Firsts::new(py);
        for k in 0..n {
            let span = spans.get_item(k)?;
            // (read as the reference reads them: each only where a rule looks at it)
            let [kind, value, attrs, confidence] = fields.of(&span)?;
            let kind = kind.get(&span)?;
            let found = usize::try_from(ads[k])
                .ok()
                .filter(|&i| i + 1 < bounds.len())
                .map(|i| &stretches[bounds[i]..bounds[i + 1]])
                .filter(|found| !found.is_empty());
            match kinds.of(&kind, found.is_some())? {
                Kind::Age => {
                    let Some(age) = age_of(value.get(&span)?)? else {
                        continue;
                    };
                    // `age_of` gives an exact int.
                    let small = age.extract::<i64>().ok();
                    let minor = match small {
                        Some(a) => a < 18,
                        None => age.lt(&eighteen)?,
                    };
                    if minor {
                        rows.push((k, 0, MINOR));
                    } else if match small {
                        Some(a) => a <= 19,
                        None => age.le(&nineteen)?,
                    } {
                        rows.push((k, 0, NEAR));
                    }
                    let from_text = match attr_get(&attrs.get(&span)?, &origin, &text)? {
                        None => true,
                        Some(value) => equals_str(&value, &text, "text")?,
                    };
                    if from_text {
                        let key = match small {
                            Some(a) => AgeKey::Small(a),
                            None => AgeKey::Big(age.str()?.to_str()?.to_owned()),
                        };
                        first_age.add(ads[k], key, k);
                    }
                }
                Kind::Name => {
                    let value = value.get(&span)?;
                    let named = match value.cast_exact::<PyString>() {
                        Ok(s) => s.len()? > 0,
                        Err(_) => value.is_truthy()?,
                    };
                    if !named {
                        continue;
                    }
                    let confidence = confidence.get(&span)?;
                    let enough = match (least, confidence.cast_exact::<PyFloat>()) {
                        (Some(least), Ok(c)) => c.value() >= least,
                        _ => confidence.ge(&min_confidence)?,
                    };
                    if enough {
                        let folded = value.str()?.call_method0(intern!(py, "casefold"))?;
                        let key = folded
                            .cast_exact::<PyString>()
                            .ok()
                            .and_then(|s| s.to_str().ok().map(str::to_owned));
                        match key {
                            Some(key) => first_name.add(ads[k], key, k),
                            None => first_name.add_other(ads[k], folded, k)?,
                        }
                    }
                }
                Kind::Descriptor => {
                    if let Some(value) = attr_get(&attrs.get(&span)?, &kind_key, &none)? {
                        if equals_str(&value, &ethnicity, "ethnicity")? {
                            rows.push((k, 0, ETHNIC));
                        }
                    }
                }
                Kind::Contact => {
                    let found = found.expect("asked only where the ad hides a contact");
                    if found.iter().any(|&(a, b)| a < ends[k] && starts[k] < b) {
                        rows.push((k, 0, OBSCURED));
                    }
                }
                Kind::Other => {}
            }
        }
        for (phase, firsts) in [(1, first_name.order), (2, first_age.order)] {
            if firsts.len() < 2 {
                continue;
            }
            let mut per_ad: HashMap<i64, usize> = HashMap::new();
            for &k in &firsts {
                *per_ad.entry(ads[k]).or_default() += 1;
            }
            rows.extend(
                firsts
                    .into_iter()
                    .filter(|k| per_ad[&ads[*k]] >= 2)
                    .map(|k| (k, phase, MULTIPLE)),
            );
        }
        rows.sort_by_key(|&(k, phase, rule)| {
            (ads[k], starts[k], ends[k], ranks[rule as usize], phase, k)
        });
        let flat: Vec<i64> = rows
            .iter()
            .flat_map(|&(k, _phase, rule)| [k as i64, rule])
            .collect();
        le_column(py, &flat)
    }))
    .unwrap_or_else(|payload| {
        Err(PyRuntimeError::new_err(format!(
            "the core's derived flags failed: {}",
            panic_message(payload.as_ref())
        )))
    })
}

/// Runs `body`, a panic inside it becoming a RuntimeError naming `what` (the batch fails as
/// a `ScreeningError`, and `amberline.isolate` quarantines the ad it fails on).
fn guarded<T>(what: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        Err(PyRuntimeError::new_err(format!(
            "the core's {what} failed: {}",
            panic_message(payload.as_ref())
        )))
    })
}

fn index(value: i64, bound: usize, name: &str) -> PyResult<usize> {
    usize::try_from(value)
        .ok()
        .filter(|&v| v < bound)
        .ok_or_else(|| PyValueError::new_err(format!("{name}: {value} out of range")))
}

/// A character offset (never negative) as a slice bound.
fn to_isize(value: i64, name: &str) -> PyResult<isize> {
    isize::try_from(value)
        .ok()
        .filter(|&v| v >= 0)
        .ok_or_else(|| PyValueError::new_err(format!("{name}: {value} out of range")))
}

fn offset(value: i64, name: &str) -> PyResult<usize> {
    usize::try_from(value).map_err(|_| PyValueError::new_err(format!("{name}: negative offset")))
}

/// The `start` and `end` of each item of `items` as two int64 columns (bytes): the
/// pipeline's `_column` for both offsets in one pass through the C API.
#[pyfunction]
pub fn offsets<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyList>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    guarded("offsets", || {
        let mut starts = Vec::with_capacity(items.len());
        let mut ends = Vec::with_capacity(items.len());
        let mut access = OffsetSlots::new(py);
        for item in items.iter() {
            let [start, end] = access.of(&item)?;
            starts.push(start.get(&item)?.extract::<i64>()?);
            ends.push(end.get(&item)?.extract::<i64>()?);
        }
        Ok((le_column(py, &starts)?, le_column(py, &ends)?))
    })
}

/// Gives each item of `items` its `start` and `end` from two int64 columns (bytes): the
/// pipeline's `_place` (in place: the pipeline owns these records).
#[pyfunction]
pub fn place<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyList>,
    starts: &[u8],
    ends: &[u8],
) -> PyResult<()> {
    guarded("place", || {
        let n = items.len();
        let starts = column(starts, "starts", Some(n))?;
        let ends = column(ends, "ends", Some(n))?;
        let mut access = OffsetSlots::new(py);
        for (k, item) in items.iter().enumerate() {
            let [start, end] = access.of(&item)?;
            start.set(&item, starts[k].into_pyobject(py)?.as_any())?;
            end.set(&item, ends[k].into_pyobject(py)?.as_any())?;
        }
        Ok(())
    })
}

/// A batch's joined offset map as `map_items` reads it: the normaliser's own column, or
/// bytes of little-endian integers of a width (4 or 8).
enum Entries<'a> {
    Column(&'a [i32]),
    Bytes(&'a [u8], usize),
}

impl<'a> Entries<'a> {
    fn of(map: &'a Bound<'_, PyAny>, width: usize) -> PyResult<Self> {
        if width != 4 && width != 8 {
            return Err(PyValueError::new_err("width: 4 or 8"));
        }
        if let Ok(column) = map.cast::<Int32Column>() {
            if width != 4 {
                return Err(PyValueError::new_err("an Int32Column's width is 4"));
            }
            return Ok(Entries::Column(column.get().values()));
        }
        let bytes = map
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("a map: bytes or an Int32Column"))?;
        Ok(Entries::Bytes(bytes.as_bytes(), width))
    }

    /// Entry `i`.
    #[inline]
    fn at(&self, i: i64) -> PyResult<i64> {
        let short = || PyIndexError::new_err("an offset map is shorter than its text");
        let i = usize::try_from(i).map_err(|_| short())?;
        match *self {
            Entries::Column(values) => values
                .get(i)
                .map(|&v| i64::from(i32::from_le(v)))
                .ok_or_else(short),
            Entries::Bytes(bytes, width) => {
                let at = i
                    .checked_mul(width)
                    .and_then(|b| bytes.get(b..b + width))
                    .ok_or_else(short)?;
                Ok(match width {
                    4 => i64::from(i32::from_le_bytes(at.try_into().expect("4 bytes"))),
                    _ => i64::from_le_bytes(at.try_into().expect("8 bytes")),
                })
            }
        }
    }
}

/// A batch's offset maps as the pipeline hands them to `map_items`, `map_rows` and
/// `flag_rows` (`_Maps.core_columns`): `moved` (one byte per ad), the int64 `head_base`,
/// `tail_base` and `length` by ad, the `heads` and `tails` entries (`Entries`) and their
/// width in bytes.
#[derive(FromPyObject)]
pub struct MapColumns<'py>(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    usize,
);

impl MapColumns<'_> {
    /// One byte per ad, not 0 where the ad's text moved.
    fn moved(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A batch's offset maps as `map_items`, `map_rows` and `flag_rows` read them.
struct OffsetMaps<'a> {
    heads: Entries<'a>,
    tails: Entries<'a>,
    head_base: Vec<i64>,
    tail_base: Vec<i64>,
    length: Vec<i64>,
}

impl<'a> OffsetMaps<'a> {
    fn of(columns: &'a MapColumns<'_>) -> PyResult<Self> {
        let MapColumns(moved, head_base, tail_base, length, heads, tails, width) = columns;
        let n = moved.as_bytes().len();
        Ok(Self {
            heads: Entries::of(heads, *width)?,
            tails: Entries::of(tails, *width)?,
            head_base: column(head_base.as_bytes(), "head_base", Some(n))?,
            tail_base: column(tail_base.as_bytes(), "tail_base", Some(n))?,
            length: column(length.as_bytes(), "length", Some(n))?,
        })
    }

    /// The offsets in the original text of (start, end) in moved ad `a`'s normalised text.
    #[inline(always)]
    fn map(&self, a: usize, s: i64, e: i64) -> PyResult<(i64, i64)> {
        if s < 0 || s > self.length[a] || e > self.length[a] {
            return Err(PyIndexError::new_err(
                "an offset lies outside its ad's normalised text",
            ));
        }
        let head = self.heads.at(self.head_base[a] + s)?;
        let tail = if e > s {
            self.tails.at(self.tail_base[a] + e - 1)?
        } else {
            head
        };
        Ok((head, tail))
    }
}

/// Rewrites the `start` and `end` of the items of `groups` (lists; group g's items lie in ad
/// `ads[g]`) as offsets into the original texts, in place (the pipeline owns them), by the
/// batch's joined offset maps, with `_Maps.to_original`'s rule: in an ad whose text moved
/// (`moved`, one byte per ad), a normalised `start` becomes `heads[head_base[ad] + start]`
/// and an `end` past its start `tails[tail_base[ad] + end - 1]`, else the new start; items
/// of the other ads keep theirs. `heads` and `tails` are the normaliser's `Int32Column`s
/// (read where they lie) or bytes of `width`-byte integers (4 or 8);
/// `head_base`, `tail_base` and `length` (each moved text's normalised length) are int64 by
/// ad (all of them in `maps`, `MapColumns`). Every offset is read and checked before any is set: an offset outside its ad's text
/// raises IndexError, as `to_original` does.
#[pyfunction]
pub fn map_items<'py>(
    py: Python<'py>,
    groups: Vec<Bound<'py, PyList>>,
    ads: Vec<i64>,
    maps: MapColumns<'py>,
) -> PyResult<()> {
    guarded("map_items", || {
        let moved = maps.moved();
        let n = moved.len();
        let maps = OffsetMaps::of(&maps)?;
        if groups.len() != ads.len() {
            return Err(PyValueError::new_err("ads: one per group"));
        }
        let mut access = OffsetSlots::new(py);
        let mut found = Vec::new();
        for (group, &ad) in groups.iter().zip(&ads) {
            let a = index(ad, n, "ads")?;
            if moved[a] == 0 {
                continue;
            }
            for item in group.iter() {
                let [start, end] = access.of(&item)?;
                let (head, tail) = maps.map(
                    a,
                    start.get(&item)?.extract::<i64>()?,
                    end.get(&item)?.extract::<i64>()?,
                )?;
                found.push((item, head, tail));
            }
        }
        for (item, head, tail) in found {
            let [start, end] = access.of(&item)?;
            start.set(&item, head.into_pyobject(py)?.as_any())?;
            end.set(&item, tail.into_pyobject(py)?.as_any())?;
        }
        Ok(())
    })
}

/// `_Maps.to_original` of the rows (ad, start, end) (int64 bytes; offsets in each ad's
/// normalised text): the (start, end) columns (int64 bytes) of their offsets in the original
/// texts, by `map_items`' rule and `maps`; rows of an ad that did not move keep theirs. A negative ad
/// counts from the end, as numpy indexes; an ad outside the batch, or an offset outside
/// its moved ad's text, raises IndexError.
#[pyfunction]
pub fn map_rows<'py>(
    py: Python<'py>,
    ad: &[u8],
    start: &[u8],
    end: &[u8],
    maps: MapColumns<'py>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    guarded("map_rows", || {
        let moved = maps.moved();
        let n = moved.len();
        let maps = OffsetMaps::of(&maps)?;
        let ad = column(ad, "ad", None)?;
        let mut starts = column(start, "start", Some(ad.len()))?;
        let mut ends = column(end, "end", Some(ad.len()))?;
        for ((&a, s), e) in ad.iter().zip(starts.iter_mut()).zip(ends.iter_mut()) {
            let a = usize::try_from(if a < 0 { a.wrapping_add(n as i64) } else { a })
                .ok()
                .filter(|&a| a < n)
                .ok_or_else(|| PyIndexError::new_err("an ad outside the batch"))?;
            if moved[a] != 0 {
                (*s, *e) = maps.map(a, *s, *e)?;
            }
        }
        Ok((le_column(py, &starts)?, le_column(py, &ends)?))
    })
}

/// The spans of a batch, each made or placed once at its final offsets, as the flat list and
/// the lists by ad: `sources` are the extractors' findings in their order, each either a
/// list of spans (given their offsets here, in place: the pipeline owns them) or a tuple
/// (kind, extractor, values, confidences, attrs) of columns, whose k-th row becomes a new
/// span of `cls` (fields `fields`: kind, value, start, end, extractor, confidence, attrs);
/// `order` (int64) the rows of all sources, numbered one source after the other, in the
/// order they are kept; `starts` and `ends` (int64) their final offsets in that order;
/// `cuts` (int64, one more than the ads) where each ad's spans begin in that order.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn make_spans<'py>(
    py: Python<'py>,
    cls: Bound<'py, PyAny>,
    fields: Vec<Bound<'py, PyString>>,
    sources: Vec<Bound<'py, PyAny>>,
    order: &[u8],
    starts: &[u8],
    ends: &[u8],
    cuts: &[u8],
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    guarded("spans", || {
        if fields.len() != 7 {
            return Err(PyValueError::new_err("fields: seven names"));
        }
        let order = column(order, "order", None)?;
        let starts = column(starts, "starts", Some(order.len()))?;
        let ends = column(ends, "ends", Some(order.len()))?;
        let cuts = column(cuts, "cuts", None)?;
        // Each source's first row, and its columns when it is one.
        let mut first = Vec::with_capacity(sources.len() + 1);
        // A column source's kind, extractor, values, confidences and attrs.
        type Columns<'py> = (
            Bound<'py, PyAny>,
            Bound<'py, PyAny>,
            [Bound<'py, PyList>; 3],
        );
        let mut made: Vec<Option<Columns<'py>>> = Vec::with_capacity(sources.len());
        let mut total = 0usize;
        for source in &sources {
            first.push(total);
            if let Ok(items) = source.cast::<PyList>() {
                total += items.len();
                made.push(None);
                continue;
            }
            let parts = source.cast::<PyTuple>().map_err(|_| {
                PyTypeError::new_err("sources: a list of spans or a tuple of columns")
            })?;
            if parts.len() != 5 {
                return Err(PyValueError::new_err("sources: five columns"));
            }
            let list = |i: usize| -> PyResult<Bound<'py, PyList>> {
                Ok(parts.get_item(i)?.cast_into::<PyList>()?)
            };
            let (values, confidences, attrs) = (list(2)?, list(3)?, list(4)?);
            if confidences.len() != values.len() || attrs.len() != values.len() {
                return Err(PyValueError::new_err("sources: columns of one length"));
            }
            total += values.len();
            made.push(Some((
                parts.get_item(0)?,
                parts.get_item(1)?,
                [values, confidences, attrs],
            )));
        }
        first.push(total);
        let maker = Maker::new(&cls, &fields)?;
        let mut access = OffsetSlots::new(py);
        let mut spans = Vec::with_capacity(order.len());
        for (k, &row) in order.iter().enumerate() {
            let row = index(row, total, "order")?;
            let s = first.partition_point(|&f| f <= row) - 1;
            let r = row - first[s];
            let (start, end) = (
                starts[k].into_pyobject(py)?.into_any(),
                ends[k].into_pyobject(py)?.into_any(),
            );
            let span = match &made[s] {
                None => {
                    let item = sources[s].cast::<PyList>()?.get_item(r)?;
                    let [start_slot, end_slot] = access.of(&item)?;
                    start_slot.set(&item, &start)?;
                    end_slot.set(&item, &end)?;
                    item
                }
                Some((kind, extractor, [values, confidences, attrs])) => maker.make([
                    kind.clone(),
                    values.get_item(r)?,
                    start,
                    end,
                    extractor.clone(),
                    confidences.get_item(r)?,
                    attrs.get_item(r)?,
                ])?,
            };
            spans.push(span);
        }
        Ok((PyList::new(py, &spans)?, by_ad(py, &spans, &cuts)?))
    })
}

/// The bits of `order_rows`' packed position: ad, start, end.
const PACKED: [u32; 3] = [20, 22, 22];

/// The batch finish's sort of what it found: the rows of the (ad, start, end) columns
/// (int64) that `keep` keeps (one byte per row; empty keeps all), by (ad, start, end), ties
/// in row order (`np.lexsort`'s order), as int64 bytes; and where each of `ads` ads' run
/// begins in that order (ads + 1 int64 bounds, `np.searchsorted` of 0..=ads on the sorted
/// ads, so rows of an ad outside 0..ads lie outside every run).
#[pyfunction]
pub fn order_rows<'py>(
    py: Python<'py>,
    ad: &[u8],
    start: &[u8],
    end: &[u8],
    keep: &[u8],
    ads: usize,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    guarded("order", || {
        let ad = column(ad, "ad", None)?;
        let start = column(start, "start", Some(ad.len()))?;
        let end = column(end, "end", Some(ad.len()))?;
        if !keep.is_empty() && keep.len() != ad.len() {
            return Err(PyValueError::new_err("keep: one byte per row"));
        }
        let (order, _, cuts) =
            sort_rows(&ad, &start, &end, |k| keep.is_empty() || keep[k] != 0, ads);
        Ok((le_column(py, &order)?, le_column(py, &cuts)?))
    })
}

/// `order_rows` of the rows `kept` keeps: their order, their ads in that order, and the
/// bounds of each of `ads` ads' run.
fn sort_rows(
    ad: &[i64],
    start: &[i64],
    end: &[i64],
    kept: impl Fn(usize) -> bool,
    ads: usize,
) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    // The row number is the last key, so equal positions keep their rows' order; the
    // columns are a few sorted runs (one per extractor), which this sort merges. When
    // every kept row's ad, start and end fit in PACKED's fields (as a batch's do), each
    // row is one u128 (its packed position, then its number): a cheaper comparison and
    // half the memory moved of the tuples that any other rows are sorted as.
    let fits = |k: usize| {
        (0..1 << PACKED[0]).contains(&ad[k])
            && (0..1 << PACKED[1]).contains(&start[k])
            && (0..1 << PACKED[2]).contains(&end[k])
    };
    let (order, sorted_ads): (Vec<i64>, Vec<i64>) = if (0..ad.len()).filter(|&k| kept(k)).all(fits)
    {
        let mut rows: Vec<u128> = Vec::with_capacity(ad.len());
        rows.extend((0..ad.len()).filter(|&k| kept(k)).map(|k| {
            let position = (ad[k] as u64) << (PACKED[1] + PACKED[2])
                | (start[k] as u64) << PACKED[2]
                | end[k] as u64;
            u128::from(position) << 64 | k as u128
        }));
        rows.sort();
        rows.iter()
            .map(|&r| {
                let ad = (r >> 64) as u64 >> (PACKED[1] + PACKED[2]);
                (r as u64 as i64, ad as i64)
            })
            .unzip()
    } else {
        let mut rows: Vec<(i64, i64, i64, usize)> = Vec::with_capacity(ad.len());
        rows.extend(
            (0..ad.len())
                .filter(|&k| kept(k))
                .map(|k| (ad[k], start[k], end[k], k)),
        );
        rows.sort();
        rows.iter().map(|r| (r.3 as i64, r.0)).unzip()
    };
    let mut cuts = Vec::with_capacity(ads + 1);
    let mut at = 0;
    for a in 0..=ads as i64 {
        at += sorted_ads[at..].partition_point(|&d| d < a);
        cuts.push(at as i64);
    }
    (order, sorted_ads, cuts)
}

/// The ad each of `start` (offsets into a batch's joined text) starts in, by `first` (each
/// ad's start): `np.searchsorted(first, start, side="right") - 1`. None when one starts
/// before the first ad or `first` is not sorted (numpy's gathers would wrap a negative ad
/// around: left to the caller).
fn ads_of(start: &[i64], first: &[i64]) -> Option<Vec<i64>> {
    let n = first.len();
    if n == 0 || first.windows(2).any(|w| w[0] > w[1]) || start.iter().any(|&s| s < first[0]) {
        return None;
    }
    // The ad of the row before is tried first, then the next: a source's rows come in
    // rising runs, so the next row mostly lies in the same ad or the next.
    let mut a = 0usize;
    Some(
        start
            .iter()
            .map(|&s| {
                if !(first[a] <= s && (a + 1 == n || s < first[a + 1])) {
                    a = if a + 2 < n && first[a + 1] <= s && s < first[a + 2] {
                        a + 1
                    } else {
                        first.partition_point(|&f| f <= s) - 1
                    };
                }
                a as i64
            })
            .collect(),
    )
}

/// The rows of a batch's (start, end) columns (int64, offsets into the joined text) dealt
/// to their ads as the pipeline's `_locate` deals them (the ad a row starts in by `first`,
/// each ad's start, and offsets made local to it; kept when it ends by its ad's `last`),
/// then ordered as `order_rows` orders the kept rows: (order, cuts, ad, start, end), the
/// last three the kept rows' columns in that order (int64 bytes). None when a row starts
/// before the first ad or `first` is not sorted (left to the caller, whose numpy gathers
/// wrap a negative ad around).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn locate_order<'py>(
    py: Python<'py>,
    start: &[u8],
    end: &[u8],
    first: &[u8],
    last: &[u8],
) -> PyResult<Option<[Bound<'py, PyBytes>; 5]>> {
    guarded("locate", || {
        let start = column(start, "start", None)?;
        let end = column(end, "end", Some(start.len()))?;
        let first = column(first, "first", None)?;
        let last = column(last, "last", Some(first.len()))?;
        let n = first.len();
        let Some(ad) = ads_of(&start, &first) else {
            return Ok(None);
        };
        let base = |k: usize| first[ad[k] as usize];
        let local_start: Vec<i64> = (0..ad.len())
            .map(|k| start[k].wrapping_sub(base(k)))
            .collect();
        let local_end: Vec<i64> = (0..ad.len())
            .map(|k| end[k].wrapping_sub(base(k)))
            .collect();
        let keep: Vec<bool> = (0..ad.len())
            .map(|k| end[k] <= last[ad[k] as usize])
            .collect();
        let (order, sorted_ads, cuts) = sort_rows(&ad, &local_start, &local_end, |k| keep[k], n);
        let gather =
            |values: &[i64]| -> Vec<i64> { order.iter().map(|&k| values[k as usize]).collect() };
        Ok(Some([
            le_column(py, &order)?,
            le_column(py, &cuts)?,
            le_column(py, &sorted_ads)?,
            le_column(py, &gather(&local_start))?,
            le_column(py, &gather(&local_end))?,
        ]))
    })
}

/// The flags of a batch as rows, from where they were found to the order they are made in
/// (the pipeline's `_finish_batch` from its lexicon flags to `make_flags`, without an
/// exclusion in the batch): the matcher's rows (`lexicon`: int64 rows of four, (_, entry,
/// start, end) in the joined text) dealt to their ads by `first` and kept when they end by
/// their ad's `last` (`_locate`), then the `derived` rows (int64 pairs (span, rule), rule
/// counted from `entry_count`) at their spans' places (`span_ad`, `span_start`,
/// `span_end`, int64, normalised offsets); their offsets mapped to the original texts by
/// `maps` (`map_items`' columns; None when no text moved); ordered by (ad, start, end),
/// ties in that row order (`order_rows`); then one flag per (ad, category, start, end), the
/// heaviest, the first on a tie, in the place of the first (`_one_per_span`; `category`
/// int64 codes and `weight` float64 by entry). Returns int64 bytes: the rows of six (ad,
/// entry, start, end, normalised start, normalised end) that `make_flags` makes, their
/// entries, each of the `first.len()` ads' bounds, and (row, span) pairs of the derived rows
/// on an empty span (whose term names the span's field). None when a lexicon row starts
/// before the first ad (left to the caller's numpy path).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn flag_rows<'py>(
    py: Python<'py>,
    lexicon: &[u8],
    first: &[u8],
    last: &[u8],
    span_ad: &[u8],
    span_start: &[u8],
    span_end: &[u8],
    derived: &[u8],
    entry_count: i64,
    category: &[u8],
    weight: &[u8],
    maps: Option<MapColumns<'py>>,
) -> PyResult<Option<[Bound<'py, PyBytes>; 4]>> {
    guarded("flag rows", || {
        let lexicon = column(lexicon, "lexicon", None)?;
        if lexicon.len() % 4 != 0 {
            return Err(PyValueError::new_err("lexicon: rows of four int64"));
        }
        let first = column(first, "first", None)?;
        let last = column(last, "last", Some(first.len()))?;
        let n = first.len();
        let span_ad = column(span_ad, "span_ad", None)?;
        let span_start = column(span_start, "span_start", Some(span_ad.len()))?;
        let span_end = column(span_end, "span_end", Some(span_ad.len()))?;
        let derived = column(derived, "derived", None)?;
        if derived.len() % 2 != 0 {
            return Err(PyValueError::new_err("derived: pairs of int64"));
        }
        let category = column(category, "category", None)?;
        if weight.len() != 8 * category.len() {
            return Err(PyValueError::new_err("weight: one float64 per entry"));
        }
        let weight: Vec<f64> = weight
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let starts: Vec<i64> = lexicon.chunks_exact(4).map(|r| r[2]).collect();
        let Some(lexicon_ads) = ads_of(&starts, &first) else {
            return Ok(None);
        };
        // (ad, entry, normalised start, normalised end, span or -1), lexicon rows first.
        let count = lexicon_ads.len() + derived.len() / 2;
        let (mut ad, mut entry, mut nstart, mut nend, mut span) = (
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
        );
        for (row, &a) in lexicon.chunks_exact(4).zip(&lexicon_ads) {
            let base = first[a as usize];
            if row[3] <= last[a as usize] {
                ad.push(a);
                entry.push(index(row[1], category.len(), "lexicon")?);
                nstart.push(row[2].wrapping_sub(base));
                nend.push(row[3].wrapping_sub(base));
                span.push(-1);
            }
        }
        for pair in derived.chunks_exact(2) {
            let k = index(pair[0], span_ad.len(), "derived")?;
            ad.push(span_ad[k]);
            entry.push(index(
                pair[1].wrapping_add(entry_count),
                category.len(),
                "derived",
            )?);
            nstart.push(span_start[k]);
            nend.push(span_end[k]);
            span.push(k as i64);
        }
        let (mut start, mut end) = (nstart.clone(), nend.clone());
        if let Some(maps) = &maps {
            let moved = maps.moved();
            let maps = OffsetMaps::of(maps)?;
            for ((&a, s), e) in ad.iter().zip(start.iter_mut()).zip(end.iter_mut()) {
                let a = index(a, moved.len(), "ad")?;
                if moved[a] != 0 {
                    (*s, *e) = maps.map(a, *s, *e)?;
                }
            }
        }
        let (order, _, _) = sort_rows(&ad, &start, &end, |_| true, n);
        // One flag per (category, start, end) of an ad: only runs of rows at one place are
        // looked at; each category's heaviest row takes the place of its first.
        let mut kept: Vec<usize> = Vec::with_capacity(order.len());
        let mut run = 0;
        while run < order.len() {
            let head = order[run] as usize;
            let mut past = run + 1;
            while past < order.len() && {
                let k = order[past] as usize;
                ad[k] == ad[head] && start[k] == start[head] && end[k] == end[head]
            } {
                past += 1;
            }
            if past == run + 1 {
                kept.push(head);
                run = past;
                continue;
            }
            let from = kept.len();
            for &k in &order[run..past] {
                let k = k as usize;
                match kept[from..]
                    .iter_mut()
                    .find(|j| category[entry[**j]] == category[entry[k]])
                {
                    Some(j) => {
                        if weight[entry[k]] > weight[entry[*j]] {
                            *j = k;
                        }
                    }
                    None => kept.push(k),
                }
            }
            run = past;
        }
        let mut rows = Vec::with_capacity(6 * kept.len());
        let mut entries = Vec::with_capacity(kept.len());
        let mut named = Vec::new();
        for (m, &k) in kept.iter().enumerate() {
            rows.extend_from_slice(&[ad[k], entry[k] as i64, start[k], end[k], nstart[k], nend[k]]);
            entries.push(entry[k] as i64);
            if span[k] >= 0 && nend[k] <= nstart[k] {
                named.extend_from_slice(&[m as i64, span[k]]);
            }
        }
        let mut cuts = Vec::with_capacity(n + 1);
        let mut at = 0;
        for a in 0..=n as i64 {
            at += kept[at..].partition_point(|&k| ad[k] < a);
            cuts.push(at as i64);
        }
        Ok(Some([
            le_column(py, &rows)?,
            le_column(py, &entries)?,
            le_column(py, &cuts)?,
            le_column(py, &named)?,
        ]))
    })
}

/// `items` as lists by ad: the ad k's run is `items[cuts[k]..cuts[k + 1]]`.
fn by_ad<'py>(
    py: Python<'py>,
    items: &[Bound<'py, PyAny>],
    cuts: &[i64],
) -> PyResult<Bound<'py, PyList>> {
    let mut per_ad = Vec::with_capacity(cuts.len().saturating_sub(1));
    for pair in cuts.windows(2) {
        let (a, b) = (offset(pair[0], "cuts")?, offset(pair[1], "cuts")?);
        if a > b || b > items.len() {
            return Err(PyValueError::new_err("cuts: out of order"));
        }
        per_ad.push(PyList::new(py, &items[a..b])?);
    }
    PyList::new(py, per_ad)
}

/// How the `start` and `end` of the items of one class are read and set (`Fields`).
type OffsetSlots<'py> = Fields<'py, 2>;

impl<'py> OffsetSlots<'py> {
    fn new(py: Python<'py>) -> Self {
        Fields::named([intern!(py, "start").clone(), intern!(py, "end").clone()])
    }
}

/// How `N` attributes of the items of one class are read and set, for the classes seen (a
/// batch's items come in runs of one or two classes): by their `Slot`s, taken once per class.
struct Fields<'py, const N: usize> {
    names: [Bound<'py, PyString>; N],
    classes: Vec<(Bound<'py, PyType>, [Slot<'py>; N])>,
}

impl<'py, const N: usize> Fields<'py, N> {
    fn named(names: [Bound<'py, PyString>; N]) -> Self {
        Self {
            names,
            classes: Vec::new(),
        }
    }

    fn of(&mut self, item: &Bound<'py, PyAny>) -> PyResult<&[Slot<'py>; N]> {
        // SAFETY: `item` is a live object; its type is read, not kept.
        let class = unsafe { ffi::Py_TYPE(item.as_ptr()) };
        let at = match self
            .classes
            .iter()
            .position(|(seen, _)| seen.as_type_ptr() == class)
        {
            Some(at) => at,
            None => {
                let class = item.get_type();
                let mut slots = Vec::with_capacity(N);
                for name in &self.names {
                    slots.push(Slot::new(&class, name)?);
                }
                let slots: [Slot<'py>; N] = slots
                    .try_into()
                    .unwrap_or_else(|_| unreachable!("one slot per name"));
                self.classes.push((class, slots));
                self.classes.len() - 1
            }
        };
        Ok(&self.classes[at].1)
    }

    /// The attributes of `item`, read as `getattr` reads them.
    fn get(&mut self, item: &Bound<'py, PyAny>) -> PyResult<[Bound<'py, PyAny>; N]> {
        let slots = self.of(item)?;
        // In order, none read after one fails (as the reference's reads), without a Vec.
        let mut failed = None;
        let values = std::array::from_fn(|i| match failed {
            Some(_) => None,
            None => slots[i].get(item).map_err(|e| failed = Some(e)).ok(),
        });
        match failed {
            Some(e) => Err(e),
            None => Ok(values.map(|v| v.expect("read above"))),
        }
    }
}

/// A data descriptor with its getter (if any) and setter.
type Descriptor<'py> = (
    Bound<'py, PyAny>,
    Option<ffi::descrgetfunc>,
    ffi::descrsetfunc,
);

/// An attribute of the objects of one class, read and set as `getattr` and `setattr` do:
/// when the class is plain (`__getattribute__` and `__setattr__` are `object`'s) and the
/// attribute is a data descriptor (a slot), by the descriptor's own getter and setter, taken
/// once (what those reach after a lookup in the class's MRO per call); else by name. When
/// the descriptor is a slot of a class defined in Python (`slot_offset`), by the place in the
/// object where it keeps its value, as the slot's own getter and setter reach it.
///
/// `get` and `set` must be given objects of the class the slot was taken from.
pub(crate) struct Slot<'py> {
    name: Bound<'py, PyString>,
    descriptor: Option<Descriptor<'py>>,
    offset: Option<usize>,
}

impl<'py> Slot<'py> {
    fn new(class: &Bound<'py, PyType>, name: &Bound<'py, PyString>) -> PyResult<Self> {
        let descriptor = if plain(class)? {
            data_descriptor(class, name)?
        } else {
            None
        };
        let offset = match &descriptor {
            Some(descriptor) => slot_offset(class, descriptor)?,
            None => None,
        };
        Ok(Self {
            name: name.clone(),
            descriptor,
            offset,
        })
    }

    /// Where `object` keeps this slot's value.
    ///
    /// SAFETY: the caller gives an object of the slot's class and an offset `slot_offset`
    /// found for it, which lies within every object of that class.
    unsafe fn place(object: &Bound<'py, PyAny>, offset: usize) -> *mut *mut ffi::PyObject {
        object
            .as_ptr()
            .cast::<u8>()
            .add(offset)
            .cast::<*mut ffi::PyObject>()
    }

    #[inline]
    fn get(&self, object: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = object.py();
        if let Some(offset) = self.offset {
            // SAFETY: `object` is of the slot's class (see the type's doc), whose slot keeps
            // a strong reference or NULL at `offset`; a non-NULL value is what the slot's
            // getter returns (a new reference to it). NULL (an unset slot) is left to the
            // getter, which raises.
            let value = unsafe { *Self::place(object, offset) };
            if !value.is_null() {
                return Ok(unsafe { Bound::from_borrowed_ptr(py, value) });
            }
        }
        self.get_by_descriptor(object)
    }

    /// `get` by the descriptor's getter or by name.
    #[inline(never)]
    fn get_by_descriptor(&self, object: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = object.py();
        match &self.descriptor {
            Some((descr, Some(get), _)) => {
                // SAFETY: `get` is the getter of `descr`'s type, given the descriptor, a live
                // object of the class it was found on and that class (borrowed); it returns
                // a new reference or NULL with an error set.
                unsafe {
                    Bound::from_owned_ptr_or_err(
                        py,
                        get(
                            descr.as_ptr(),
                            object.as_ptr(),
                            ffi::Py_TYPE(object.as_ptr()).cast(),
                        ),
                    )
                }
            }
            _ => object.getattr(&self.name),
        }
    }

    fn set(&self, object: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<()> {
        self.set_owned(object, value.clone())
    }

    /// `set`, handing the slot `value`'s reference.
    #[inline]
    fn set_owned(&self, object: &Bound<'py, PyAny>, value: Bound<'py, PyAny>) -> PyResult<()> {
        if let Some(offset) = self.offset {
            // SAFETY: as in `get`; the slot's setter stores a value this way (the new value
            // referenced, then the old one released, so a release that runs code finds the
            // slot already set).
            unsafe {
                let place = Self::place(object, offset);
                let old = *place;
                *place = value.into_ptr();
                ffi::Py_XDECREF(old);
            }
            return Ok(());
        }
        self.set_by_descriptor(object, &value)
    }

    /// `set` by the descriptor's setter or by name.
    #[inline(never)]
    fn set_by_descriptor(
        &self,
        object: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<()> {
        match &self.descriptor {
            Some((descr, _, set)) => {
                // SAFETY: `set` is the setter of `descr`'s type, given the descriptor, a live
                // object of the class it was found on and a value it does not steal; it
                // returns -1 with an error set on failure.
                if unsafe { set(descr.as_ptr(), object.as_ptr(), value.as_ptr()) } != 0 {
                    return Err(PyErr::fetch(object.py()));
                }
                Ok(())
            }
            None => object.setattr(&self.name, value),
        }
    }
}

/// Where the objects of `class` keep the value of the slot `descriptor` (a byte offset), when
/// it is a slot of a class defined in Python (a `member_descriptor` of a heap type, as
/// `__slots__` and `dataclass(slots=True)` make), found by setting it to a new object in a
/// bare object of the class and looking for that object in the object's `__basicsize__`
/// bytes (found exactly once, and read back by the slot's getter). None for any other
/// descriptor or class (a read-only slot, a slot of another type, a property): those are
/// read and set by the descriptor.
///
/// Why: the limited API has no call that reads a slot without going through the
/// descriptor's getter and `PyMember_GetOne` (and the setter's type check and
/// `PyMember_SetOne`), which are most of the cost of making a batch's records; a slot of an
/// object a class defined in Python keeps its value as one object pointer at a fixed place,
/// whatever the CPython version.
fn slot_offset<'py>(
    class: &Bound<'py, PyType>,
    (descr, get, set): &Descriptor<'py>,
) -> PyResult<Option<usize>> {
    let py = class.py();
    let member = py
        .import(intern!(py, "types"))?
        .getattr(intern!(py, "MemberDescriptorType"))?;
    // SAFETY: the GIL is held and `class` is a live type object.
    let flags = unsafe { ffi::PyType_GetFlags(class.as_type_ptr()) };
    let Some(get) = get else { return Ok(None) };
    if !descr.get_type().is(&member) || flags & ffi::Py_TPFLAGS_HEAPTYPE == 0 {
        return Ok(None);
    }
    let size: usize = class.getattr(intern!(py, "__basicsize__"))?.extract()?;
    // SAFETY: as in `Maker::new`: a non-null Py_tp_alloc slot is the class's allocator.
    let alloc = unsafe { ffi::PyType_GetSlot(class.as_type_ptr(), ffi::Py_tp_alloc) };
    // A class with a finaliser would run it on the bare probe object.
    let finalize = unsafe { ffi::PyType_GetSlot(class.as_type_ptr(), ffi::Py_tp_finalize) };
    if alloc.is_null() || !finalize.is_null() {
        return Ok(None);
    }
    let alloc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(alloc) };
    // SAFETY: the class's allocator (the class is plain, so not abstract), as `Maker::make`
    // calls it: a new bare object of `size` bytes or more, or NULL with an error set.
    let object = unsafe { Bound::from_owned_ptr_or_err(py, alloc(class.as_type_ptr(), 0))? };
    let probe = py.get_type::<PyAny>().call0()?;
    // SAFETY: `set` is the setter of `descr`'s type, as in `Slot::set`.
    if unsafe { set(descr.as_ptr(), object.as_ptr(), probe.as_ptr()) } != 0 {
        drop(PyErr::fetch(py));
        return Ok(None);
    }
    let width = std::mem::size_of::<*mut ffi::PyObject>();
    let mut found = (width..size.saturating_sub(width - 1))
        .step_by(width)
        // SAFETY: each offset lies within the object's `size` bytes and is aligned.
        .filter(|&at| unsafe { *Slot::place(&object, at) } == probe.as_ptr());
    let (Some(offset), None) = (found.next(), found.next()) else {
        return Ok(None);
    };
    // SAFETY: as in `Slot::get`.
    let back = unsafe {
        Bound::from_owned_ptr_or_err(py, get(descr.as_ptr(), object.as_ptr(), class.as_ptr()))?
    };
    Ok(back.is(&probe).then_some(offset))
}

/// Does `class` read and set attributes as `object` does (and may be made by its
/// allocator: it is not abstract)?
fn plain(class: &Bound<'_, PyType>) -> PyResult<bool> {
    let py = class.py();
    let object = py.get_type::<PyAny>();
    // SAFETY: the GIL is held and `class` is a live type object.
    let flags = unsafe { ffi::PyType_GetFlags(class.as_type_ptr()) };
    if flags & ffi::Py_TPFLAGS_IS_ABSTRACT != 0 {
        return Ok(false);
    }
    for name in [intern!(py, "__setattr__"), intern!(py, "__getattribute__")] {
        if !class.getattr(name)?.is(&object.getattr(name)?) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Makes objects of one class (a dataclass with slots and no `__post_init__`) with their
/// fields set, as its generated `__init__` sets them, without running that `__init__`.
///
/// Why not `object.__new__(cls)` and `setattr`: both go through a call or an attribute lookup
/// per object and field, which for a batch's flags and screenings costs more than the rest
/// of their finish. When the class is plain (see `plain`) and each field a slot, the maker
/// takes the class's allocator (what `object.__new__` calls) and each field's `Slot` once:
/// the same slots written, the same checks made. Any other class is made the slow way.
pub(crate) struct Maker<'py> {
    cls: Bound<'py, PyAny>,
    new: Bound<'py, PyAny>,
    alloc: Option<ffi::allocfunc>,
    fields: Vec<Slot<'py>>,
}

/// The first of `cls.__mro__` to define `name`, as `getattr` and `setattr` find it, when its
/// type has a setter (a data descriptor such as a slot), with its getter if it has one.
fn data_descriptor<'py>(
    cls: &Bound<'py, PyType>,
    name: &Bound<'py, PyString>,
) -> PyResult<Option<Descriptor<'py>>> {
    let py = cls.py();
    for base in cls.getattr(intern!(py, "__mro__"))?.try_iter()? {
        let space = base?.getattr(intern!(py, "__dict__"))?;
        if !space.contains(name)? {
            continue;
        }
        let descr = space.get_item(name)?;
        let kind = descr.get_type().as_type_ptr();
        // SAFETY: the GIL is held and `kind` is a live type object; PyType_GetSlot reads a
        // slot of any type since 3.10 (this build needs 3.11).
        let (get, set) = unsafe {
            (
                ffi::PyType_GetSlot(kind, ffi::Py_tp_descr_get),
                ffi::PyType_GetSlot(kind, ffi::Py_tp_descr_set),
            )
        };
        if set.is_null() {
            return Ok(None);
        }
        // SAFETY: non-null Py_tp_descr_get and Py_tp_descr_set slots are a `descrgetfunc`
        // and a `descrsetfunc`.
        let (get, set) = unsafe {
            (
                (!get.is_null())
                    .then(|| std::mem::transmute::<*mut std::ffi::c_void, ffi::descrgetfunc>(get)),
                std::mem::transmute::<*mut std::ffi::c_void, ffi::descrsetfunc>(set),
            )
        };
        return Ok(Some((descr, get, set)));
    }
    Ok(None)
}

impl<'py> Maker<'py> {
    pub(crate) fn new(cls: &Bound<'py, PyAny>, names: &[Bound<'py, PyString>]) -> PyResult<Self> {
        let py = cls.py();
        let new = object_new(py)?;
        let class = cls.cast::<PyType>().ok();
        let (fields, alloc) = match class {
            Some(t) if plain(t)? => {
                let fields = names
                    .iter()
                    .map(|name| Slot::new(t, name))
                    .collect::<PyResult<Vec<_>>>()?;
                let alloc = if fields.iter().all(|f| f.descriptor.is_some()) {
                    // SAFETY: as above; a type's non-null Py_tp_alloc slot is an `allocfunc`.
                    let slot = unsafe { ffi::PyType_GetSlot(t.as_type_ptr(), ffi::Py_tp_alloc) };
                    (!slot.is_null()).then(|| unsafe {
                        std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(slot)
                    })
                } else {
                    None
                };
                (fields, alloc)
            }
            _ => (
                names
                    .iter()
                    .map(|name| Slot {
                        name: name.clone(),
                        descriptor: None,
                        offset: None,
                    })
                    .collect(),
                None,
            ),
        };
        Ok(Self {
            cls: cls.clone(),
            new,
            alloc,
            fields,
        })
    }

    /// A new object with each field set to the next of `values`.
    pub(crate) fn make(
        &self,
        values: impl IntoIterator<Item = Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let object = match self.alloc {
            // SAFETY: `alloc` is the class's own allocator, called as `object.__new__` calls
            // it (the class is not abstract); it returns a new reference or NULL with an
            // error set.
            Some(alloc) => unsafe {
                Bound::from_owned_ptr_or_err(self.cls.py(), alloc(self.cls.as_ptr().cast(), 0))?
            },
            None => self.new.call1((&self.cls,))?,
        };
        for (field, value) in self.fields.iter().zip(values) {
            field.set_owned(&object, value)?;
        }
        Ok(object)
    }
}

fn object_new(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.get_type::<PyAny>().getattr(intern!(py, "__new__"))
}

/// A flag's category, weight, rule and citation.
type FlagInfo<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
);

/// The flags of a batch, as lists by ad: `cls` is the flag class and `fields` its eight
/// fields in order (category, term, start, end, weight, rule, citation, contribution);
/// `info` rows (category, weight, rule, citation); `rows` int64 rows of six (ad, row of
/// `info`, start, end, and the normalised start and end, which slice the term out of
/// `texts[ad]`, unless `terms` gives a row's term); `contributions` one float64 per row;
/// `cuts` (int64, one more than the ads) where each ad's rows begin.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn make_flags<'py>(
    py: Python<'py>,
    cls: Bound<'py, PyAny>,
    fields: Vec<Bound<'py, PyString>>,
    info: Vec<FlagInfo<'py>>,
    texts: Vec<Bound<'py, PyString>>,
    terms: Bound<'py, PyDict>,
    rows: &[u8],
    contributions: &[u8],
    cuts: &[u8],
) -> PyResult<Bound<'py, PyList>> {
    guarded("flags", || {
        if fields.len() != 8 {
            return Err(PyValueError::new_err("fields: eight names"));
        }
        let rows = column(rows, "rows", None)?;
        if rows.len() % 6 != 0 {
            return Err(PyValueError::new_err("rows: rows of six int64"));
        }
        let count = rows.len() / 6;
        if contributions.len() != 8 * count {
            return Err(PyValueError::new_err("contributions: one float64 per row"));
        }
        let shares: Vec<f64> = contributions
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let cuts = column(cuts, "cuts", None)?;
        let maker = Maker::new(&cls, &fields)?;
        let mut flags = Vec::with_capacity(count);
        for (k, row) in rows.chunks_exact(6).enumerate() {
            let text = &texts[index(row[0], texts.len(), "ad")?];
            let (category, weight, rule, citation) = &info[index(row[1], info.len(), "info")?];
            let (begin, end) = (to_isize(row[4], "start")?, to_isize(row[5], "end")?);
            let named = if end <= begin {
                terms.get_item(k)?
            } else {
                None
            };
            let term = match named {
                Some(term) => term,
                // SAFETY: the GIL is held, `text` is a live str and both bounds are >= 0;
                // `text[begin:end]`, as a new reference or NULL with an error set.
                None => unsafe {
                    Bound::from_owned_ptr_or_err(
                        py,
                        ffi::PyUnicode_Substring(text.as_ptr(), begin, end.max(begin)),
                    )?
                },
            };
            flags.push(maker.make([
                category.clone(),
                term,
                row[2].into_pyobject(py)?.into_any(),
                row[3].into_pyobject(py)?.into_any(),
                weight.clone(),
                rule.clone(),
                citation.clone(),
                PyFloat::new(py, shares[k]).into_any(),
            ])?);
        }
        by_ad(py, &flags, &cuts)
    })
}

/// Objects of `cls` (a dataclass with slots and no `__post_init__`), the k-th with each
/// of `fields` set to the k-th item of that field's column (lists of one length).
#[pyfunction]
pub fn make_objects<'py>(
    py: Python<'py>,
    cls: Bound<'py, PyAny>,
    fields: Vec<Bound<'py, PyString>>,
    columns: Vec<Bound<'py, PyList>>,
) -> PyResult<Bound<'py, PyList>> {
    guarded("objects", || {
        let count = columns.first().map_or(0, |c| c.len());
        if columns.len() != fields.len() || columns.iter().any(|c| c.len() != count) {
            return Err(PyValueError::new_err(
                "columns: one list per field, of one length",
            ));
        }
        let maker = Maker::new(&cls, &fields)?;
        let mut objects = Vec::with_capacity(count);
        // One object's values, refilled for each (not a new list per object).
        let mut values = Vec::with_capacity(columns.len());
        for k in 0..count {
            for column in &columns {
                values.push(column.get_item(k)?);
            }
            objects.push(maker.make(values.drain(..))?);
        }
        PyList::new(py, objects)
    })
}

/// `math.fsum`: the correctly rounded sum of `values` (CPython's algorithm, Shewchuk's
/// partials with its final half-even correction), for finite values.
/// Its partial sums are kept in `partials` (cleared first), so a caller summing many runs
/// allocates them once.
fn fsum(values: impl IntoIterator<Item = f64>, partials: &mut Vec<f64>) -> f64 {
    partials.clear();
    for value in values {
        let mut x = value;
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        if x != 0.0 {
            partials.push(x);
        }
    }
    let mut n = partials.len();
    if n == 0 {
        return 0.0;
    }
    n -= 1;
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = partials[n];
        hi = x + y;
        let yr = hi - x;
        lo = y - yr;
        if lo != 0.0 {
            break;
        }
    }
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        let yr = x - hi;
        if y == yr {
            hi = x;
        }
    }
    hi
}

/// Each ad's score and each flag's contribution, as `score.scorer.Scorer` computes them
/// (steps 3-5 of its formula, `combine`): `flags` (int64) each flag's row of the finish's
/// flag table, whose `raw` (float64: the evidence units of a flag of that row, step 1-2),
/// `category` and `rule` (int64 codes) are given per row; `cuts` (int64) where each ad's
/// flags begin. Returns (scores, contributions) as float64 bytes.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn score_rows<'py>(
    py: Python<'py>,
    raw: &[u8],
    category: &[u8],
    rule: &[u8],
    repeat_bonus: f64,
    max_repeats: usize,
    flags: &[u8],
    cuts: &[u8],
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    guarded("scores", || {
        if raw.len() % 8 != 0 {
            return Err(PyValueError::new_err("raw: not float64 values"));
        }
        let raw: Vec<f64> = raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let category = column(category, "category", Some(raw.len()))?;
        let rule = column(rule, "rule", Some(raw.len()))?;
        let flags = column(flags, "flags", None)?;
        let cuts = column(cuts, "cuts", None)?;
        let rows = flags
            .iter()
            .map(|&j| index(j, raw.len(), "flags"))
            .collect::<PyResult<Vec<usize>>>()?;
        let mut scores = Vec::with_capacity(cuts.len().saturating_sub(1));
        let mut shares = vec![0.0f64; rows.len()];
        // Each ad's working lists, cleared and refilled (one allocation per batch, not per ad).
        let (mut units_raw, mut best, mut units, mut done, mut idxs, mut partials) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for pair in cuts.windows(2) {
            let (a, b) = (offset(pair[0], "cuts")?, offset(pair[1], "cuts")?);
            if a > b || b > rows.len() {
                return Err(PyValueError::new_err("cuts: out of order"));
            }
            if a == b {
                scores.push(0.0);
                continue;
            }
            let of = &rows[a..b];
            units_raw.clear();
            units_raw.extend(of.iter().map(|&j| raw[j]));
            // The strongest flag of each (category, rule), the first on a tie.
            best.clear();
            for (i, &j) in of.iter().enumerate() {
                match best
                    .iter_mut()
                    .find(|k| category[of[**k]] == category[j] && rule[of[**k]] == rule[j])
                {
                    Some(k) => {
                        if units_raw[i] > units_raw[*k] {
                            *k = i;
                        }
                    }
                    None => best.push(i),
                }
            }
            units.clear();
            units.resize(of.len(), 0.0f64);
            done.clear();
            done.resize(best.len(), false);
            for first in 0..best.len() {
                if done[first] {
                    continue;
                }
                let cat = category[of[best[first]]];
                idxs.clear();
                for (m, &k) in best.iter().enumerate() {
                    if category[of[k]] == cat {
                        done[m] = true;
                        idxs.push(k);
                    }
                }
                idxs.sort_by(|&x, &y| {
                    units_raw[y]
                        .partial_cmp(&units_raw[x])
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(x.cmp(&y))
                });
                units[idxs[0]] = units_raw[idxs[0]];
                for &k in idxs.iter().skip(1).take(max_repeats) {
                    units[k] = repeat_bonus * units_raw[k];
                }
            }
            let out = &mut shares[a..b];
            let total = fsum(units.iter().copied(), &mut partials);
            if total <= 0.0 {
                scores.push(0.0);
                continue;
            }
            let score = -(-total).exp_m1();
            for (share, &u) in out.iter_mut().zip(&units) {
                *share = score * u / total;
            }
            if !out.is_empty() {
                let mut top = 0;
                for (m, &share) in out.iter().enumerate() {
                    if share > out[top] {
                        top = m;
                    }
                }
                let rest = score - fsum(out.iter().copied(), &mut partials);
                out[top] += rest;
            }
            scores.push(score);
        }
        Ok((le_column(py, &scores)?, le_column(py, &shares)?))
    })
}
