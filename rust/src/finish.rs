//! The derived flags of a batch (`indicators/derived.py`), read straight from its spans.
//!
//! Why: the per-ad finish of a screening touches every span the extractors made, and in the
//! interpreter each attribute read, comparison and branch is a bytecode step. Here one call
//! walks a whole batch's spans, reading their attributes through the C API, and returns which
//! rule fires on which span, in the order `derive_flags` gives its flags; Python then makes
//! just those flags. Every comparison is Python's own (rich comparison, `int()`, `str()`,
//! `casefold()`, `attrs.get`), so any value an extractor may store behaves as in the
//! reference, which the differential test (tests/test_finish_batch.py) holds this to.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt, PyList, PyTuple};

use crate::{le_bytes, panic_message};

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

/// `(attrs or {}).get(key, default)` of a span.
fn attr_get<'py>(
    span: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
    default: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let attrs = span.getattr(intern!(span.py(), "attrs"))?;
    if !attrs.is_truthy()? {
        return Ok(None);
    }
    Ok(Some(
        attrs.call_method1(intern!(span.py(), "get"), (key, default))?,
    ))
}

/// The age a span states, as `derived._age` reads it: the value if it is an int, else
/// `int(value)`, None when that raises TypeError or ValueError.
fn age_of<'py>(value: Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if value.is_exact_instance_of::<PyInt>() {
        return Ok(Some(value));
    }
    let py = value.py();
    match py.get_type::<PyInt>().call1((value,)) {
        Ok(age) => Ok(Some(age)),
        Err(e) if e.is_instance_of::<PyTypeError>(py) || e.is_instance_of::<PyValueError>(py) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn same<'py>(value: &Bound<'py, PyAny>, constant: &Bound<'py, PyAny>) -> PyResult<bool> {
    Ok(value.is(constant) || value.eq(constant)?)
}

/// The derived rules that fire on a batch's spans.
///
/// `spans` are every ad's spans one ad after the other; `ads`, `starts`, `ends` (int64 bytes)
/// the ad of each and its offsets in that ad's normalised text; `hidden` rows of three int64
/// (ad, start, end), the obscuring obfuscations by ad; `kinds` the span kinds (age, name,
/// descriptor) and `contact_kinds`; `min_confidence` a name's least confidence to count as a
/// provider; `ranks` each rule's place when rule ids are sorted (ties between flags at one
/// place go by rule id). Returns int64 rows (span, rule code), ordered as `derive_flags`
/// orders each ad's flags: by ad, start, end, rule id, then the order it makes them.
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
    hidden: &[u8],
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
        let hidden = column(hidden, "hidden", None)?;
        if hidden.len() % 3 != 0 {
            return Err(PyValueError::new_err("hidden: rows of three int64"));
        }
        let mut stretches: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for row in hidden.chunks_exact(3) {
            stretches.entry(row[0]).or_default().push((row[1], row[2]));
        }
        let (age_kind, name_kind, descriptor_kind) = kinds;
        let origin = intern!(py, "origin").clone().into_any();
        let text = intern!(py, "text").clone().into_any();
        let kind_key = intern!(py, "kind").clone().into_any();
        let ethnicity = intern!(py, "ethnicity").clone().into_any();
        let none = py.None().into_bound(py);
        let eighteen = 18i64.into_pyobject(py)?.into_any();
        let nineteen = 19i64.into_pyobject(py)?.into_any();

        // (span, phase, rule): phase 0 span by span, 1 the names, 2 the ages.
        let mut rows: Vec<(usize, i64, i64)> = Vec::new();
        let first_name = PyDict::new(py);
        let first_age = PyDict::new(py);
        for k in 0..n {
            let span = spans.get_item(k)?;
            let kind = span.getattr(intern!(py, "kind"))?;
            if same(&kind, &age_kind)? {
                let Some(age) = age_of(span.getattr(intern!(py, "value"))?)? else {
                    continue;
                };
                if age.lt(&eighteen)? {
                    rows.push((k, 0, MINOR));
                } else if age.le(&nineteen)? {
                    rows.push((k, 0, NEAR));
                }
                let from_text = match attr_get(&span, &origin, &text)? {
                    None => true,
                    Some(value) => value.eq(&text)?,
                };
                if from_text {
                    let key = PyTuple::new(py, [ads[k].into_pyobject(py)?.into_any(), age])?;
                    if !first_age.contains(&key)? {
                        first_age.set_item(key, k)?;
                    }
                }
            } else if same(&kind, &name_kind)? {
                let value = span.getattr(intern!(py, "value"))?;
                if value.is_truthy()?
                    && span
                        .getattr(intern!(py, "confidence"))?
                        .ge(&min_confidence)?
                {
                    let folded = value.str()?.call_method0(intern!(py, "casefold"))?;
                    let key = PyTuple::new(py, [ads[k].into_pyobject(py)?.into_any(), folded])?;
                    if !first_name.contains(&key)? {
                        first_name.set_item(key, k)?;
                    }
                }
            } else if same(&kind, &descriptor_kind)? {
                if let Some(value) = attr_get(&span, &kind_key, &none)? {
                    if value.eq(&ethnicity)? {
                        rows.push((k, 0, ETHNIC));
                    }
                }
            } else if let Some(found) = stretches.get(&ads[k]) {
                let mut contact = false;
                for constant in &contact_kinds {
                    if same(&kind, constant)? {
                        contact = true;
                        break;
                    }
                }
                if contact && found.iter().any(|&(a, b)| a < ends[k] && starts[k] < b) {
                    rows.push((k, 0, OBSCURED));
                }
            }
        }
        for (phase, group) in [(1, &first_name), (2, &first_age)] {
            if group.len() < 2 {
                continue;
            }
            let mut per_ad: HashMap<i64, usize> = HashMap::new();
            let mut firsts = Vec::with_capacity(group.len());
            for (_key, k) in group.iter() {
                let k: usize = k.extract()?;
                *per_ad.entry(ads[k]).or_default() += 1;
                firsts.push(k);
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
        Ok(PyBytes::new(py, &le_bytes(&flat)))
    }))
    .unwrap_or_else(|payload| {
        Err(PyRuntimeError::new_err(format!(
            "the core's derived flags failed: {}",
            panic_message(payload.as_ref())
        )))
    })
}
