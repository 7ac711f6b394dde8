//! The profile extractors in the core: descriptors, ages and prices.
//!
//! Why: in Python these extractors spend their time per candidate (a regex call at each
//! trigger, a dict of groups per match, look-behind checks as separate searches, and, for
//! "mixed", a scan of every ethnicity of the batch per occurrence). Here each runs over the
//! batch's joined text in one call, with the extractor's own regexes (Python's parse of them,
//! run by `backtrack.rs`) and the same decisions in the same order, and returns one row of
//! integers per span; Python turns rows into spans. `extract/descriptors.py`, `ages.py` and
//! `prices.py` are the specification, and `tests/test_core_profile.py` holds this to them.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::backtrack::{Regex, Scratch};
use crate::tables::{Tables, SPACE};
use crate::{decode_batch, le_bytes, panic_message, TextErrors};

/// A pattern as `_program.py` hands it over.
type Program = Vec<(i64, i64, i64, i64)>;

/// What every reader holds: this Python's character tables and decimal digit values.
struct Chars {
    tables: Tables,
    digits: HashMap<u32, u8>,
}

impl Chars {
    fn new(flags: &[u8], folds: Vec<(u32, u8)>, digits: Vec<(u32, u8)>) -> PyResult<Chars> {
        let tables = Tables::new(
            flags.to_vec(),
            HashMap::new(),
            HashMap::new(),
            folds.into_iter().collect(),
            None,
        )
        .map_err(PyValueError::new_err)?;
        Ok(Chars {
            tables,
            digits: digits.into_iter().collect(),
        })
    }

    fn compile(&self, program: &Program) -> PyResult<Regex> {
        Regex::new(&self.tables, program).map_err(PyValueError::new_err)
    }

    /// The value of a decimal digit (`int()` of it).
    fn digit(&self, c: u32) -> u64 {
        if (0x30..0x3a).contains(&c) {
            u64::from(c - 0x30)
        } else {
            u64::from(
                *self
                    .digits
                    .get(&c)
                    .expect("a \\d character without a digit value"),
            )
        }
    }

    /// `int()` of a run of decimal digits, saturating.
    fn number(&self, s: &[u32]) -> u64 {
        s.iter().fold(0u64, |acc, &c| {
            acc.saturating_mul(10).saturating_add(self.digit(c))
        })
    }

    /// Lower case as the extractors' `fold` gives it for the characters their patterns
    /// match: ASCII lowered, the letters case-insensitive `re` folds to ASCII as that letter.
    fn fold(&self, c: u32) -> u32 {
        let f = self.tables.fold(c);
        if f != 0 {
            u32::from(f)
        } else {
            c
        }
    }

    fn is_space(&self, c: u32) -> bool {
        self.tables.flag(c, SPACE)
    }
}

fn group(slots: &[usize], g: usize) -> Option<(usize, usize)> {
    let (s, e) = (*slots.get(2 * g)?, *slots.get(2 * g + 1)?);
    (s != usize::MAX && e != usize::MAX && e > s).then_some((s, e))
}

fn to_u32(s: &str) -> Vec<u32> {
    s.chars().map(u32::from).collect()
}

fn programs<const N: usize>(chars: &Chars, progs: &[Program]) -> PyResult<[Regex; N]> {
    if progs.len() != N {
        return Err(PyValueError::new_err(format!(
            "expected {N} patterns, got {}",
            progs.len()
        )));
    }
    let compiled: Vec<Regex> = progs
        .iter()
        .map(|p| chars.compile(p))
        .collect::<PyResult<_>>()?;
    compiled
        .try_into()
        .map_err(|_| PyValueError::new_err("pattern count"))
}

/// Run `extract` on each text of a batch; a panic on one becomes that text's error.
fn run_batch<F>(
    py: Python<'_>,
    data: &[u8],
    bounds: Vec<i64>,
    width: usize,
    panic_on: Option<u32>,
    extract: F,
) -> PyResult<(Vec<i64>, TextErrors)>
where
    F: Fn(&[u32], &mut Vec<i64>) + Sync,
{
    let (chars, offsets) = decode_batch(data, &bounds)?;
    Ok(py.detach(|| {
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut one = Vec::new();
        for (index, w) in offsets.windows(2).enumerate() {
            let text = &chars[w[0]..w[1]];
            one.clear();
            let result = catch_unwind(AssertUnwindSafe(|| {
                if panic_on.is_some_and(|p| text.contains(&p)) {
                    panic!("test panic on request");
                }
                extract(text, &mut one)
            }));
            match result {
                Ok(()) => {
                    for row in one.chunks(width) {
                        rows.push(index as i64);
                        rows.extend_from_slice(row);
                    }
                }
                Err(payload) => errors.push((index, panic_message(payload.as_ref()))),
            }
        }
        (rows, errors)
    }))
}

// ---- descriptors ------------------------------------------------------------------------

// Row codes (see `descriptors.py`'s `_read`).
const D_HEIGHT_FT: i64 = 0;
const D_HEIGHT_CM: i64 = 1;
const D_WEIGHT_LB: i64 = 2;
const D_WEIGHT_KG: i64 = 3;
const D_TERM: i64 = 4;
const D_WEIGHT_AFTER: i64 = 5;
const D_MIXED: i64 = 6;

// Vocabulary tables, in the order Python hands them over.
const T_HAIR_CUED: usize = 0;
const T_HAIR_STANDALONE: usize = 1;
const T_EYES_CUED: usize = 2;
const T_EYES_STANDALONE: usize = 3;
const T_BUILD: usize = 4;
const T_ETHNICITY: usize = 5;
const T_ETHNICITY_CUED: usize = 6;

// Groups, in the order Python hands them over.
const G_FT: usize = 0;
const G_INCH: usize = 1;
const G_CM: usize = 2;
const G_LB: usize = 3;
const G_KG: usize = 4;
const G_ETH1: usize = 12;
const G_AFTER_LB: usize = 15;
/// (group index, table) of the vocabulary groups in `_read`'s order.
const TERM_GROUPS: [(usize, usize); 10] = [
    (5, T_HAIR_CUED),
    (6, T_HAIR_CUED),
    (7, T_HAIR_STANDALONE),
    (8, T_EYES_CUED),
    (9, T_EYES_CUED),
    (10, T_EYES_STANDALONE),
    (11, T_BUILD),
    (12, T_ETHNICITY),
    (13, T_ETHNICITY),
    (14, T_ETHNICITY),
];

/// `DescriptorExtractor` in the core: `extract_batch` gives rows of six int64 (text index,
/// start, end, code, a, b) per span, in the reference's order.
#[pyclass(frozen, module = "amberline._core")]
pub struct DescriptorReader {
    chars: Chars,
    /// main, refused, service before, person after, weight after height, mix, mix join,
    /// mix person
    re: [Regex; 8],
    groups: Vec<usize>,
    terms: Vec<HashMap<Vec<u32>, i64>>,
    /// (refusal window, service window, mix gap)
    windows: (usize, usize, usize),
    panic_on: Option<u32>,
}

impl DescriptorReader {
    fn term_key(&self, text: &[u32]) -> Vec<u32> {
        text.iter()
            .filter(|&&c| c != u32::from(b'-') && !self.chars.is_space(c))
            .map(|&c| self.chars.fold(c))
            .collect()
    }

    fn extract(&self, text: &[u32], out: &mut Vec<i64>) {
        let t = &self.chars.tables;
        let [main, refused, service, person, after, mix, join, mix_person] = &self.re;
        let g = &self.groups;
        let (refusal_window, service_window, gap) = self.windows;
        let mut s = Scratch::default();
        let mut aux = Scratch::default();
        // rows: start, end, code, a, b
        let mut rows: Vec<[i64; 5]> = Vec::new();
        let mut pos = 0;
        while let Some((start, end)) = main.next_nonempty(t, text, pos, &mut s) {
            pos = end;
            let slots = &s.slots;
            let digits =
                |grp: usize| group(slots, g[grp]).map(|(a, b)| self.chars.number(&text[a..b]));
            let (code, a, b) = if let Some(ft) = digits(G_FT) {
                (D_HEIGHT_FT, ft * 12 + digits(G_INCH).unwrap_or(0), 0)
            } else if let Some(cm) = digits(G_CM) {
                (D_HEIGHT_CM, cm, 0)
            } else if let Some(lb) = digits(G_LB) {
                (D_WEIGHT_LB, lb, 0)
            } else if let Some(kg) = digits(G_KG) {
                (D_WEIGHT_KG, kg, 0)
            } else {
                let Some((gi, table, (a, b))) = TERM_GROUPS
                    .iter()
                    .find_map(|&(gi, table)| group(slots, g[gi]).map(|span| (gi, table, span)))
                else {
                    continue;
                };
                let key = self.term_key(&text[a..b]);
                let (table, value) = if table == T_ETHNICITY {
                    match self.terms[T_ETHNICITY].get(&key) {
                        Some(&v) => (T_ETHNICITY, v),
                        None => (
                            T_ETHNICITY_CUED,
                            *self.terms[T_ETHNICITY_CUED]
                                .get(&key)
                                .expect("an ethnicity term not in its tables"),
                        ),
                    }
                } else {
                    (
                        table,
                        *self.terms[table]
                            .get(&key)
                            .expect("a descriptor term not in its table"),
                    )
                };
                if table == T_ETHNICITY || table == T_ETHNICITY_CUED {
                    let is_eth1 = gi == G_ETH1;
                    if refused
                        .search(
                            t,
                            text,
                            start.saturating_sub(refusal_window),
                            start,
                            &mut aux,
                        )
                        .is_some()
                        || (is_eth1
                            && service
                                .search(
                                    t,
                                    text,
                                    start.saturating_sub(service_window),
                                    start,
                                    &mut aux,
                                )
                                .is_some()
                            && person
                                .match_at(t, text, end, text.len(), &mut aux)
                                .is_none())
                    {
                        continue;
                    }
                }
                (D_TERM, table as u64, value as u64)
            };
            rows.push([start as i64, end as i64, code, a as i64, b as i64]);
            let height = code == D_HEIGHT_FT || code == D_HEIGHT_CM;
            if height && after.match_at(t, text, end, text.len(), &mut aux).is_some() {
                if let Some((a, b)) = group(&aux.slots, g[G_AFTER_LB]) {
                    let lb = self.chars.number(&text[a..b]);
                    rows.push([a as i64, b as i64, D_WEIGHT_AFTER, lb as i64, 0]);
                }
            }
        }
        if contains(text, "mix") || contains(text, "Mix") || contains(text, "MIX") {
            let ethnic: Vec<(usize, usize)> = rows
                .iter()
                .filter(|r| {
                    r[2] == D_TERM
                        && (r[3] == T_ETHNICITY as i64 || r[3] == T_ETHNICITY_CUED as i64)
                })
                .map(|r| (r[0] as usize, r[1] as usize))
                .collect();
            let mut found = Vec::new();
            let mut p = 0;
            while let Some((ms, me)) = mix.next_nonempty(t, text, p, &mut s) {
                p = me;
                // ethnicities ending up to `gap` before, or starting up to `gap` after
                let lo = ethnic.partition_point(|&(_, e)| e + gap < ms);
                let near = ethnic[lo..]
                    .iter()
                    .take_while(|&&(st, _)| st <= me + gap)
                    .any(|&(st, e)| {
                        (e <= ms && ms - e <= gap && join.fullmatch(t, text, e, ms, &mut aux))
                            || (st >= me
                                && st - me <= gap
                                && join.fullmatch(t, text, me, st, &mut aux))
                    });
                let i = ethnic.partition_point(|&(st, _)| st < ms);
                if ethnic.get(i).is_some_and(|&(st, _)| st == ms) {
                    continue;
                }
                if near
                    || mix_person
                        .match_at(t, text, me, text.len(), &mut aux)
                        .is_some()
                {
                    found.push([ms as i64, me as i64, D_MIXED, 0, 0]);
                }
            }
            rows.extend(found);
            rows.sort_by_key(|r| r[0]);
        }
        for r in rows {
            out.extend_from_slice(&r);
        }
    }
}

fn contains(text: &[u32], word: &str) -> bool {
    let w = to_u32(word);
    text.windows(w.len()).any(|x| x == w.as_slice())
}

#[pymethods]
impl DescriptorReader {
    /// `programs`: main, refused, service before, person after, weight after height, mix, mix
    /// join, mix person (`_program.program` of each); `groups`: the main pattern's group
    /// numbers ft, inch, cm, lb, kg, hair1, hair2, hair3, eyes1, eyes2, eyes3, build, eth1,
    /// eth2, eth3, then the weight-after-height pattern's lb; `terms`: per vocabulary table
    /// (hair cued, hair standalone, eyes cued, eyes standalone, build, ethnicity, ethnicity
    /// cued) its (term key, value id); `digits`: (code point, value) of the decimal digits.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (programs, groups, terms, windows, flags, folds, digits, panic_on=None))]
    fn new(
        programs: Vec<Program>,
        groups: Vec<usize>,
        terms: Vec<Vec<(String, i64)>>,
        windows: (usize, usize, usize),
        flags: &[u8],
        folds: Vec<(u32, u8)>,
        digits: Vec<(u32, u8)>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let chars = Chars::new(flags, folds, digits)?;
        let re: [Regex; 8] = self::programs(&chars, &programs)?;
        if groups.len() != 16
            || groups[..15].iter().any(|&g| g >= re[0].n_groups)
            || groups[15] >= re[4].n_groups
        {
            return Err(PyValueError::new_err(
                "group numbers do not fit the patterns",
            ));
        }
        if terms.len() != 7 {
            return Err(PyValueError::new_err("expected 7 vocabulary tables"));
        }
        let terms = terms
            .into_iter()
            .map(|table| table.into_iter().map(|(k, v)| (to_u32(&k), v)).collect())
            .collect();
        Ok(DescriptorReader {
            chars,
            re,
            groups,
            terms,
            windows,
            panic_on,
        })
    }

    /// Descriptors in a batch (`data`, `bounds` as for `Normaliser.normalise_batch`): (rows,
    /// errors), rows of six int64 (text index, start, end, code, a, b).
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
    ) -> PyResult<(Bound<'py, PyBytes>, TextErrors)> {
        let (rows, errors) = run_batch(py, data, bounds, 5, self.panic_on, |text, out| {
            self.extract(text, out)
        })?;
        Ok((PyBytes::new(py, &le_bytes(&rows)), errors))
    }
}

// ---- the engine alone, for tests ----------------------------------------------------------

/// One pattern on the core's engine: `finditer` rows, to hold the engine to `re` itself.
#[pyclass(frozen, module = "amberline._core")]
pub struct Pattern {
    chars: Chars,
    regex: Regex,
}

#[pymethods]
impl Pattern {
    #[new]
    fn new(program: Program, flags: &[u8], folds: Vec<(u32, u8)>) -> PyResult<Self> {
        let chars = Chars::new(flags, folds, Vec::new())?;
        let regex = chars.compile(&program)?;
        Ok(Pattern { chars, regex })
    }

    /// `finditer(text)` on one text given as UTF-32-LE: per non-empty match, start, end and
    /// (start, end) of every group (-1 if unset), int64.
    fn finditer<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let (text, _) = decode_batch(data, &[0])?;
        let t = &self.chars.tables;
        let mut s = Scratch::default();
        let mut rows = Vec::new();
        let mut pos = 0;
        while let Some((a, b)) = self.regex.next_nonempty(t, &text, pos, &mut s) {
            rows.extend([a as i64, b as i64]);
            for g in 1..self.regex.n_groups {
                for k in [2 * g, 2 * g + 1] {
                    let v = s.slots[k];
                    rows.push(if v == usize::MAX { -1 } else { v as i64 });
                }
            }
            pos = b;
        }
        Ok(PyBytes::new(py, &le_bytes(&rows)))
    }

    /// `fullmatch(text, pos, end)` and `search(text, pos, end)` of one text.
    fn check(
        &self,
        data: &[u8],
        pos: usize,
        end: usize,
    ) -> PyResult<(bool, Option<(usize, usize)>)> {
        let (text, _) = decode_batch(data, &[0])?;
        let end = end.min(text.len());
        let pos = pos.min(end);
        let t = &self.chars.tables;
        let mut s = Scratch::default();
        Ok((
            self.regex.fullmatch(t, &text, pos, end, &mut s),
            self.regex.search(t, &text, pos, end, &mut s),
        ))
    }
}
