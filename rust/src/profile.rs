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

use crate::backtrack::{find_any, Regex, Scratch};
use crate::shared_triggers::BatchStarts;
use crate::tables::{Tables, SPACE};
use crate::triggers::{
    starts_together, Ends, TriggerAutomaton, TriggerEnds, TriggerForm, Triggers,
};
use crate::word_table::FxBuild;
use crate::{batch_view, le_column, panic_message, TextErrors};

/// How far after a trigger's start a match may start (`Prefilter.finditer`'s `probe`).
const PROBE: usize = 2;

/// The readers' tables, looked up per match: by FxHash (their keys are Python's, not a
/// text's).
type Map<K, V> = HashMap<K, V, FxBuild>;

/// A pattern as `_program.py` hands it over.
type Program = Vec<(i64, i64, i64, i64)>;

/// What every reader holds: this Python's character tables and decimal digit values.
struct Chars {
    tables: Tables,
    digits: Map<u32, u8>,
}

impl Chars {
    fn new(flags: &[u8], folds: Vec<(u32, u8)>, digits: Vec<(u32, u8)>) -> PyResult<Chars> {
        let tables = Tables::new(
            flags,
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
        self.number_of(s.iter().copied())
    }

    /// `number` of digits as they come.
    fn number_of(&self, digits: impl Iterator<Item = u32>) -> u64 {
        digits.fold(0u64, |acc, c| {
            acc.saturating_mul(10).saturating_add(self.digit(c))
        })
    }

    /// Lower case as the extractors' `fold` gives it: ASCII lowered, the letters
    /// case-insensitive `re` folds to ASCII as that letter, any other letter by `str.lower`
    /// (a vocabulary term with a capital accented letter, "Ñ", is looked up lower-cased).
    /// A character whose lower case is more than one character is kept as it is.
    fn fold(&self, c: u32) -> u32 {
        let f = self.tables.fold(c);
        if f != 0 {
            return u32::from(f);
        }
        let Some(ch) = char::from_u32(c) else {
            return c;
        };
        let mut lower = ch.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => u32::from(l),
            _ => c,
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
pub(crate) fn run_batch<F>(
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
    let (chars, offsets) = batch_view(data, &bounds)?;
    Ok(py.detach(|| {
        let mut found = Found::default();
        for (index, w) in offsets.windows(2).enumerate() {
            found.run(index, &chars[w[0]..w[1]], width, panic_on, &extract);
        }
        (found.rows, found.errors)
    }))
}

/// A reader's rows (each led by its text's index) and the texts it panicked on.
#[derive(Default)]
struct Found {
    rows: Vec<i64>,
    errors: TextErrors,
    one: Vec<i64>,
}

impl Found {
    /// `extract` on text `index`, its panic caught and kept as that text's error.
    fn run<F>(
        &mut self,
        index: usize,
        text: &[u32],
        width: usize,
        panic_on: Option<u32>,
        extract: &F,
    ) where
        F: Fn(&[u32], &mut Vec<i64>),
    {
        self.one.clear();
        let one = &mut self.one;
        let result = catch_unwind(AssertUnwindSafe(|| {
            if panic_on.is_some_and(|p| text.contains(&p)) {
                panic!("test panic on request");
            }
            extract(text, one)
        }));
        match result {
            Ok(()) => {
                for row in self.one.chunks(width) {
                    self.rows.push(index as i64);
                    self.rows.extend_from_slice(row);
                }
            }
            Err(payload) => self.errors.push((index, panic_message(payload.as_ref()))),
        }
    }
}

/// Where a pattern's matches are looked for: everywhere (`finditer`), or only where a trigger
/// can start (`triggers.rs`), up to `probe - 1` characters past the end of the longest
/// trigger match from there (`ends`), or `probe - 1` after the start: what `finditer` gives
/// at those positions, which is all it gives when the triggers are what they must be. The
/// windows' union is `Prefilter.finditer`'s, which takes Hyperscan's leftmost start of each
/// match end (no later than any start of a match with that end) up to that end.
struct Matches<'a> {
    regex: &'a Regex,
    text: &'a [u32],
    starts: Option<&'a [usize]>,
    ends: Ends<'a>,
    probe: usize,
    /// the next trigger start to take
    next: usize,
    /// every position before it is tried, or inside a match given
    pos: usize,
    /// where the positions tried for the triggers taken so far end
    stop: usize,
}

impl<'a> Matches<'a> {
    fn new(
        regex: &'a Regex,
        text: &'a [u32],
        starts: Option<&'a [usize]>,
        ends: Ends<'a>,
        probe: usize,
    ) -> Self {
        Matches {
            regex,
            text,
            starts,
            ends,
            probe,
            next: 0,
            pos: 0,
            stop: 0,
        }
    }

    fn next(&mut self, t: &Tables, s: &mut Scratch) -> Option<(usize, usize)> {
        let text = self.text;
        let Some(starts) = self.starts else {
            let found = self.regex.next_nonempty(t, text, self.pos, s)?;
            self.pos = found.1;
            return Some(found);
        };
        loop {
            while self.pos < self.stop {
                let p = self.pos;
                if self.regex.can_start(t, text, p, text.len(), s) {
                    if let Some(e) = self.regex.match_at(t, text, p, text.len(), s) {
                        if e > p {
                            self.pos = e;
                            return Some((p, e));
                        }
                    }
                }
                self.pos += 1;
            }
            let start = *starts.get(self.next)?;
            self.next += 1;
            self.pos = self.pos.max(start);
            let reach = self
                .ends
                .longest(text, start)
                .map_or(start + 1, |e| e.max(start + 1));
            self.stop = (reach + self.probe - 1).min(text.len());
        }
    }
}

/// Where a text's matches are tried, per trigger set: near the starts of the set's triggers
/// (`used`), or everywhere (not used, or the trigger scan gave up).
fn starts_of<const N: usize>(
    triggers: &Triggers,
    text: &[u32],
    used: [bool; N],
) -> [Option<Vec<usize>>; N] {
    let mut found = if used.iter().any(|&u| u) {
        triggers.starts(text).map(Vec::into_iter)
    } else {
        None
    };
    used.map(|u| {
        let s = found.as_mut().and_then(Iterator::next);
        s.filter(|_| u)
    })
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
    terms: Vec<Map<Vec<u32>, i64>>,
    /// (refusal window, service window, mix gap)
    windows: (usize, usize, usize),
    triggers: Triggers,
    panic_on: Option<u32>,
}

impl DescriptorReader {
    /// The vocabulary key of a term, into `key` (one buffer for the text's terms).
    fn term_key(&self, text: &[u32], key: &mut Vec<u32>) {
        key.clear();
        key.extend(
            text.iter()
                .filter(|&&c| c != u32::from(b'-') && !self.chars.is_space(c))
                .map(|&c| self.chars.fold(c)),
        );
    }

    fn extract(&self, text: &[u32], starts: Option<&[usize]>, out: &mut Vec<i64>) {
        let t = &self.chars.tables;
        let [main, refused, service, person, after, mix, join, mix_person] = &self.re;
        let g = &self.groups;
        let (refusal_window, service_window, gap) = self.windows;
        // (a scratch per regex: each holds its regex's caches)
        let mut s = main.scratch();
        let [mut s_refused, mut s_service, mut s_person, mut s_after, mut s_mix, mut s_join, mut s_mix_person] =
            [refused, service, person, after, mix, join, mix_person].map(Regex::scratch);
        // rows: start, end, code, a, b
        let mut rows: Vec<[i64; 5]> = Vec::new();
        let mut key = Vec::new();
        let mut found = Matches::new(main, text, starts, self.triggers.ends(0), PROBE);
        while let Some((start, end)) = found.next(t, &mut s) {
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
                self.term_key(&text[a..b], &mut key);
                let (table, value) = if table == T_ETHNICITY {
                    match self.terms[T_ETHNICITY].get(key.as_slice()) {
                        Some(&v) => (T_ETHNICITY, v),
                        None => (
                            T_ETHNICITY_CUED,
                            *self.terms[T_ETHNICITY_CUED]
                                .get(key.as_slice())
                                .expect("an ethnicity term not in its tables"),
                        ),
                    }
                } else {
                    (
                        table,
                        *self.terms[table]
                            .get(key.as_slice())
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
                            &mut s_refused,
                        )
                        .is_some()
                        || (is_eth1
                            && service
                                .search(
                                    t,
                                    text,
                                    start.saturating_sub(service_window),
                                    start,
                                    &mut s_service,
                                )
                                .is_some()
                            && person
                                .match_at(t, text, end, text.len(), &mut s_person)
                                .is_none())
                    {
                        continue;
                    }
                }
                (D_TERM, table as u64, value as u64)
            };
            rows.push([start as i64, end as i64, code, a as i64, b as i64]);
            let height = code == D_HEIGHT_FT || code == D_HEIGHT_CM;
            if height
                && after
                    .match_at(t, text, end, text.len(), &mut s_after)
                    .is_some()
            {
                if let Some((a, b)) = group(&s_after.slots, g[G_AFTER_LB]) {
                    let lb = self.chars.number(&text[a..b]);
                    rows.push([a as i64, b as i64, D_WEIGHT_AFTER, lb as i64, 0]);
                }
            }
        }
        if has_mix(text) {
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
            while let Some((ms, me)) = mix.next_nonempty(t, text, p, &mut s_mix) {
                p = me;
                // ethnicities ending up to `gap` before, or starting up to `gap` after
                let lo = ethnic.partition_point(|&(_, e)| e + gap < ms);
                let near = ethnic[lo..]
                    .iter()
                    .take_while(|&&(st, _)| st <= me + gap)
                    .any(|&(st, e)| {
                        (e <= ms && ms - e <= gap && join.fullmatch(t, text, e, ms, &mut s_join))
                            || (st >= me
                                && st - me <= gap
                                && join.fullmatch(t, text, me, st, &mut s_join))
                    });
                let i = ethnic.partition_point(|&(st, _)| st < ms);
                if ethnic.get(i).is_some_and(|&(st, _)| st == ms) {
                    continue;
                }
                if near
                    || mix_person
                        .match_at(t, text, me, text.len(), &mut s_mix_person)
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

/// Whether the text holds "mix", "Mix" or "MIX" (the reference's test before it looks
/// for "mixed"): only where an "m" or "M" is are the next two characters read.
fn has_mix(text: &[u32]) -> bool {
    let m = [b'm', b'M', b'm', b'M'].map(u32::from);
    let mut p = 0;
    loop {
        p = find_any(text, p, text.len(), &m);
        let Some(word) = text.get(p..p + 3) else {
            return false;
        };
        if [b"mix", b"Mix", b"MIX"]
            .iter()
            .any(|w| w.iter().zip(word).all(|(&a, &b)| u32::from(a) == b))
        {
            return true;
        }
        p += 1;
    }
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
    #[pyo3(signature = (programs, groups, terms, windows, triggers, flags, folds, digits, panic_on=None, ends=None))]
    fn new(
        programs: Vec<Program>,
        groups: Vec<usize>,
        terms: Vec<Vec<(String, i64)>>,
        windows: (usize, usize, usize),
        triggers: TriggerForm,
        flags: &[u8],
        folds: Vec<(u32, u8)>,
        digits: Vec<(u32, u8)>,
        panic_on: Option<u32>,
        ends: Option<PyRef<'_, TriggerEnds>>,
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
            triggers: Triggers::new(triggers, ends.as_deref()).map_err(PyValueError::new_err)?,
            panic_on,
        })
    }

    /// Descriptors in a batch (`data`, `bounds` as for `Normaliser.normalise_batch`): (rows,
    /// errors), rows of six int64 (text index, start, end, code, a, b). `triggers`: see
    /// `AgeReader.extract_batch`.
    #[pyo3(signature = (data, bounds, triggers=false))]
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
        triggers: bool,
    ) -> PyResult<(Bound<'py, PyBytes>, TextErrors)> {
        let (rows, errors) = run_batch(py, data, bounds, 5, self.panic_on, |text, out| {
            let [starts] = starts_of(&self.triggers, text, [triggers]);
            self.extract(text, starts.as_deref(), out)
        })?;
        Ok((le_column(py, &rows)?, errors))
    }
}

// ---- ages ---------------------------------------------------------------------------------

// Cue codes of an age row (see `ages.py`'s `extract`).
const A_TITLE: i64 = 0;
const A_TURNED: i64 = 1;
const A_AGE: i64 = 2;
const A_I_AM: i64 = 3;
const A_YEARS_OLD: i64 = 4;
const A_YEARS: i64 = 5;

/// `AgeExtractor` in the core: rows of seven int64 (text index, start, end, value, cue code,
/// cue start, cue end) per age, in the reference's order.
#[pyclass(frozen, module = "amberline._core")]
pub struct AgeReader {
    chars: Chars,
    /// main, not before a title suffix, line end
    re: [Regex; 3],
    /// num, num2, num3, num4, num5, cue_turn, cue_age, cue_i, unit
    groups: Vec<usize>,
    units: Map<Vec<u32>, u64>,
    teens: Map<Vec<u32>, u64>,
    /// in the reference's order (the first that prefixes a glued word wins)
    tens: Vec<(Vec<u32>, u64)>,
    /// (lowest age, highest age, characters looked back before a title suffix, longest title)
    limits: (u64, u64, usize, usize),
    triggers: Triggers,
    panic_on: Option<u32>,
}

impl AgeReader {
    /// `parse_number`: digits, or English number words from ten to ninety-nine.
    fn parse_number(&self, token: &[u32]) -> Option<u64> {
        let c = &self.chars;
        let start = token.iter().position(|&x| !c.is_space(x))?;
        let end = token.iter().rposition(|&x| !c.is_space(x))? + 1;
        // (no character folds to a decimal digit or from one: digits are read as they are)
        let token = &token[start..end];
        if token
            .iter()
            .all(|&x| c.tables.flag(x, crate::tables::DECIMAL))
        {
            return Some(c.number(token));
        }
        let token: Vec<u32> = token.iter().map(|&x| c.fold(x)).collect();
        let parts: Vec<&[u32]> = token
            .split(|&x| x == u32::from(b'-') || c.is_space(x))
            .filter(|p| !p.is_empty())
            .collect();
        match parts.as_slice() {
            [word] => {
                if let Some(&v) = self.teens.get(*word) {
                    return Some(v);
                }
                if let Some(&(_, v)) = self.tens.iter().find(|(t, _)| t.as_slice() == *word) {
                    return Some(v);
                }
                self.tens.iter().find_map(|(t, v)| {
                    let rest = word.strip_prefix(t.as_slice())?;
                    self.units.get(rest).map(|u| v + u)
                })
            }
            [tens, unit] => {
                let (_, t) = self.tens.iter().find(|(t, _)| t.as_slice() == *tens)?;
                self.units.get(*unit).map(|u| t + u)
            }
            _ => None,
        }
    }

    /// `_ends_title`: the match ends the first line of its ad.
    fn ends_title(&self, text: &[u32], start: usize, end: usize, s: &mut Scratch) -> bool {
        let t = &self.chars.tables;
        if self.re[2].match_at(t, text, end, text.len(), s).is_none() {
            return false;
        }
        let floor = start.saturating_sub(self.limits.3);
        match text[floor..start]
            .iter()
            .rposition(|&c| c == u32::from(b'\n'))
        {
            None => floor == 0,
            Some(i) => {
                let newline = floor + i;
                newline > 0 && text[newline - 1] == 0x0c
            }
        }
    }

    fn extract(&self, text: &[u32], starts: Option<&[usize]>, out: &mut Vec<i64>) {
        let t = &self.chars.tables;
        let g = &self.groups;
        let (lowest, highest, back, _) = self.limits;
        // (a scratch per regex: each holds its regex's caches)
        let [mut s, mut s_suffix, mut s_line_end] = self.re.each_ref().map(Regex::scratch);
        let mut found = Matches::new(&self.re[0], text, starts, self.triggers.ends(0), PROBE);
        while let Some((start, end)) = found.next(t, &mut s) {
            let slots = &s.slots;
            let get = |i: usize| group(slots, g[i]);
            let Some((a, b)) = (0..5).find_map(get) else {
                continue;
            };
            let Some(value) = self.parse_number(&text[a..b]) else {
                continue;
            };
            if value < lowest || value > highest || text[start..end].contains(&0x0c) {
                continue;
            }
            let (mut cue, mut cue_span) = (A_YEARS_OLD, (0, 0));
            if get(4).is_some() {
                let lo = start.saturating_sub(back);
                let mut hi = start;
                while hi > lo && matches!(text[hi - 1], 0x20 | 0x09) {
                    hi -= 1;
                }
                if hi == lo || matches!(text[hi - 1], 0x0a | 0x0c) {
                    continue;
                }
                let before = &text[lo..hi];
                if self.re[1]
                    .search(t, before, 0, before.len(), &mut s_suffix)
                    .is_some()
                    && !self.ends_title(text, start, end, &mut s_line_end)
                {
                    continue;
                }
                cue = A_TITLE;
            } else if let Some(span) = get(5) {
                (cue, cue_span) = (A_TURNED, span);
            } else if get(6).is_some() {
                cue = A_AGE;
            } else if get(7).is_some() {
                cue = A_I_AM;
            } else if let Some((ua, ub)) = get(8) {
                let unit = &text[ua..ub];
                // (ASCII lowered, as `str.lower` lowers it; the words are ASCII)
                let at = |x: &[u32], w: &[u8]| {
                    x.len() >= w.len()
                        && x.iter()
                            .zip(w)
                            .all(|(&c, &l)| c < 128 && (c as u8).to_ascii_lowercase() == l)
                };
                let has = |w: &[u8]| (0..unit.len()).any(|i| at(&unit[i..], w));
                let starts = |w: &[u8]| at(unit, w);
                if !(has(b"old") || !(starts(b"yr") || starts(b"year"))) {
                    cue = A_YEARS;
                }
            }
            out.extend_from_slice(&[
                start as i64,
                end as i64,
                value as i64,
                cue,
                cue_span.0 as i64,
                cue_span.1 as i64,
            ]);
        }
    }
}

#[pymethods]
impl AgeReader {
    /// `programs`: main, not before a title suffix, line end; `groups`: the main pattern's
    /// num, num2, num3, num4, num5, cue_turn, cue_age, cue_i, unit; `words`: (units, teens,
    /// tens) as (word, value), tens in the reference's order; `limits`: (lowest age, highest
    /// age, characters looked back before a title suffix, longest title).
    #[new]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[pyo3(signature = (programs, groups, words, limits, triggers, flags, folds, digits, panic_on=None, ends=None))]
    fn new(
        programs: Vec<Program>,
        groups: Vec<usize>,
        words: (Vec<(String, u64)>, Vec<(String, u64)>, Vec<(String, u64)>),
        limits: (u64, u64, usize, usize),
        triggers: TriggerForm,
        flags: &[u8],
        folds: Vec<(u32, u8)>,
        digits: Vec<(u32, u8)>,
        panic_on: Option<u32>,
        ends: Option<PyRef<'_, TriggerEnds>>,
    ) -> PyResult<Self> {
        let chars = Chars::new(flags, folds, digits)?;
        let re: [Regex; 3] = self::programs(&chars, &programs)?;
        if groups.len() != 9 || groups.iter().any(|&g| g >= re[0].n_groups) {
            return Err(PyValueError::new_err(
                "group numbers do not fit the pattern",
            ));
        }
        let keyed = |list: Vec<(String, u64)>| -> Vec<(Vec<u32>, u64)> {
            list.into_iter().map(|(w, v)| (to_u32(&w), v)).collect()
        };
        let (units, teens, tens) = words;
        Ok(AgeReader {
            chars,
            re,
            groups,
            units: keyed(units).into_iter().collect(),
            teens: keyed(teens).into_iter().collect(),
            tens: keyed(tens),
            limits,
            triggers: Triggers::new(triggers, ends.as_deref()).map_err(PyValueError::new_err)?,
            panic_on,
        })
    }

    /// Ages in a batch (`data`, `bounds` as for `Normaliser.normalise_batch`): (rows, errors).
    /// `triggers`: whether matches are tried only near the starts of the reader's triggers
    /// (as `Prefilter.finditer` does with Hyperscan's), or everywhere.
    #[pyo3(signature = (data, bounds, triggers=false))]
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
        triggers: bool,
    ) -> PyResult<(Bound<'py, PyBytes>, TextErrors)> {
        let (rows, errors) = run_batch(py, data, bounds, 6, self.panic_on, |text, out| {
            let [starts] = starts_of(&self.triggers, text, [triggers]);
            self.extract(text, starts.as_deref(), out)
        })?;
        Ok((le_column(py, &rows)?, errors))
    }
}

// ---- prices -------------------------------------------------------------------------------

/// `PriceExtractor` in the core: rows of nine int64 (text index, start, end, kind (0 a rate,
/// 1 an amount of a slash list), amount start, amount end, currency id, code word id or -1,
/// minutes or -1), in the reference's order.
#[pyclass(frozen, module = "amberline._core")]
pub struct PriceReader {
    chars: Chars,
    /// main, period before, slash list, refused
    re: [Regex; 4],
    /// per side ("d" then "a"): hh, qv, min, hour, hn, sym, word, emoji, a1, a2, a3; then
    /// the slash list's sym and list
    groups: Vec<usize>,
    symbols: Map<Vec<u32>, i64>,
    words: Map<Vec<u32>, i64>,
    code_words: Map<Vec<u32>, i64>,
    word_minutes: Map<Vec<u32>, i64>,
    /// (default currency id, the rose's code word id, minutes of an hour named otherwise)
    defaults: (i64, i64, i64),
    /// (lowest bare amount, characters looked back for a period, for a refusal)
    limits: (u64, usize, usize),
    /// the rates' triggers, the slash lists'
    triggers: Triggers,
    panic_on: Option<u32>,
}

impl PriceReader {
    fn folded(&self, text: &[u32]) -> Vec<u32> {
        text.iter().map(|&c| self.chars.fold(c)).collect()
    }

    /// (integer part, any non-zero decimal) of an amount ("1,250.50").
    fn amount(&self, token: &[u32]) -> (u64, bool) {
        let dot = token.iter().position(|&c| c == u32::from(b'.'));
        let int = token[..dot.unwrap_or(token.len())]
            .iter()
            .copied()
            .filter(|&c| c != u32::from(b','));
        let frac = dot.is_some_and(|d| token[d + 1..].iter().any(|&c| self.chars.digit(c) != 0));
        (self.chars.number_of(int), frac)
    }

    fn minutes(&self, text: &[u32], side: &[Option<(usize, usize)>]) -> Option<i64> {
        if side[0].is_some() {
            return Some(30);
        }
        if side[1].is_some() {
            return Some(15);
        }
        if let Some((a, b)) = side[2] {
            return Some(self.chars.number(&text[a..b]) as i64);
        }
        side[3]?;
        let Some((a, b)) = side[4] else {
            return Some(60);
        };
        let count = &text[a..b];
        if self.chars.tables.flag(count[0], crate::tables::DECIMAL) {
            let half = if count.len() > 1 { 30 } else { 0 };
            return Some(self.chars.digit(count[0]) as i64 * 60 + half);
        }
        Some(
            *self
                .word_minutes
                .get(&self.folded(count))
                .unwrap_or(&self.defaults.2),
        )
    }

    /// `_currency`: (currency id, code word id or -1).
    fn currency(
        &self,
        text: &[u32],
        sym: Option<(usize, usize)>,
        word: Option<(usize, usize)>,
        emoji: bool,
    ) -> (i64, i64) {
        let (default, rose, _) = self.defaults;
        if let Some((a, b)) = sym {
            return (
                *self
                    .symbols
                    .get(&self.folded(&text[a..b]))
                    .unwrap_or(&default),
                -1,
            );
        }
        if emoji {
            return (default, rose);
        }
        if let Some((a, b)) = word {
            let w = self.folded(&text[a..b]);
            if w.first() == Some(&0x1f339) {
                return (default, rose);
            }
            if let Some(&code) = self.code_words.get(&w) {
                return (default, code);
            }
            if let Some(&cur) = self.symbols.get(&w) {
                return (cur, -1);
            }
            return (*self.words.get(&w).unwrap_or(&default), -1);
        }
        (default, -1)
    }

    fn extract(&self, text: &[u32], starts: [Option<&[usize]>; 2], out: &mut Vec<i64>) {
        let t = &self.chars.tables;
        let g = &self.groups;
        let (lowest, period_back, refused_back) = self.limits;
        let [main, period, slash, refused] = &self.re;
        // (a scratch per regex: each holds its regex's caches)
        let [mut s, mut s_period, mut s_slash, mut s_refused] =
            self.re.each_ref().map(Regex::scratch);
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut found = Matches::new(main, text, starts[0], self.triggers.ends(0), PROBE);
        while let Some((start, end)) = found.next(t, &mut s) {
            let slots = &s.slots;
            let d_side: [_; 11] = std::array::from_fn(|i| group(slots, g[i]));
            let side = if d_side[8..].iter().any(Option::is_some) {
                d_side
            } else {
                std::array::from_fn(|i| group(slots, g[11 + i]))
            };
            let minutes = self.minutes(text, &side);
            let Some((ta, tb)) = side[8].or(side[9]).or(side[10]) else {
                continue;
            };
            let (int, frac) = self.amount(&text[ta..tb]);
            let (sym, mut word, emoji) = (side[5], side[6], side[7].is_some());
            let column = word.is_some_and(|(a, b)| {
                let mut rest = text[a..b]
                    .iter()
                    .map(|&c| self.chars.fold(c))
                    .skip_while(|&c| c == u32::from(b'/') || c == 0x20);
                let two = [rest.next(), rest.next()];
                two == [Some(u32::from(b'i')), Some(u32::from(b'n'))]
                    || two == [Some(u32::from(b'o')), Some(u32::from(b'u'))]
            });
            if column {
                word = None;
            }
            let (currency, code_word) = self.currency(text, sym, word, emoji);
            let bare = sym.is_none() && word.is_none() && !emoji;
            if bare && ((minutes.is_none() && !column) || int < lowest) {
                continue;
            }
            if code_word >= 0 && int < lowest {
                continue;
            }
            if int == 0 && !frac {
                continue;
            }
            if period
                .search(
                    t,
                    text,
                    start.saturating_sub(period_back),
                    start,
                    &mut s_period,
                )
                .is_some()
            {
                continue;
            }
            taken.push((start, end));
            out.extend_from_slice(&[
                start as i64,
                end as i64,
                0,
                ta as i64,
                tb as i64,
                currency,
                code_word,
                minutes.unwrap_or(-1),
            ]);
        }
        let mut found = Matches::new(slash, text, starts[1], self.triggers.ends(1), PROBE);
        while let Some((start, _)) = found.next(t, &mut s_slash) {
            let sym = group(&s_slash.slots, g[22]).is_some();
            let Some((la, lb)) = group(&s_slash.slots, g[23]) else {
                continue;
            };
            let mut items: Vec<(usize, usize)> = Vec::new();
            let mut a = la;
            for (i, &c) in text[la..lb].iter().enumerate() {
                if c == u32::from(b'/') {
                    items.push((a, la + i));
                    a = la + i + 1;
                }
            }
            items.push((a, lb));
            let values: Vec<u64> = items
                .iter()
                .map(|&(a, b)| self.chars.number(&text[a..b]))
                .collect();
            if values.len() < if sym { 2 } else { 3 } || values[0] < lowest {
                continue;
            }
            if refused
                .search(
                    t,
                    text,
                    start.saturating_sub(refused_back),
                    start,
                    &mut s_refused,
                )
                .is_some()
            {
                continue;
            }
            if values.iter().any(|v| v % 5 != 0) || values.windows(2).any(|w| w[1] <= w[0]) {
                continue;
            }
            for &(a, b) in &items {
                let i = taken.partition_point(|&(_, e)| e <= a);
                if taken.get(i).is_some_and(|&(s0, _)| s0 < b) {
                    continue;
                }
                out.extend_from_slice(&[
                    a as i64,
                    b as i64,
                    1,
                    a as i64,
                    b as i64,
                    self.defaults.0,
                    -1,
                    -1,
                ]);
            }
        }
    }
}

#[pymethods]
impl PriceReader {
    /// `programs`: main, period before, slash list, refused; `groups`: per side ("d", then
    /// "a") hh, qv, min, hour, hn, sym, word, emoji, a1, a2, a3, then the slash list's sym and
    /// list; `tables`: (symbols, currency words, code words, word hours as minutes) as (folded
    /// text, id); `defaults`: (default currency id, the rose's code word id, minutes of an
    /// hour otherwise named); `limits`: (lowest bare amount, characters looked back for a
    /// period, for a refusal).
    #[new]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[pyo3(signature = (programs, groups, tables, defaults, limits, triggers, flags, folds, digits, panic_on=None, ends=None))]
    fn new(
        programs: Vec<Program>,
        groups: Vec<usize>,
        tables: (
            Vec<(String, i64)>,
            Vec<(String, i64)>,
            Vec<(String, i64)>,
            Vec<(String, i64)>,
        ),
        defaults: (i64, i64, i64),
        limits: (u64, usize, usize),
        triggers: TriggerForm,
        flags: &[u8],
        folds: Vec<(u32, u8)>,
        digits: Vec<(u32, u8)>,
        panic_on: Option<u32>,
        ends: Option<PyRef<'_, TriggerEnds>>,
    ) -> PyResult<Self> {
        let chars = Chars::new(flags, folds, digits)?;
        let re: [Regex; 4] = self::programs(&chars, &programs)?;
        if groups.len() != 24
            || groups[..22].iter().any(|&g| g >= re[0].n_groups)
            || groups[22..].iter().any(|&g| g >= re[2].n_groups)
        {
            return Err(PyValueError::new_err(
                "group numbers do not fit the patterns",
            ));
        }
        let keyed = |list: Vec<(String, i64)>| -> Map<Vec<u32>, i64> {
            list.into_iter().map(|(w, v)| (to_u32(&w), v)).collect()
        };
        let (symbols, words, code_words, word_minutes) = tables;
        Ok(PriceReader {
            chars,
            re,
            groups,
            symbols: keyed(symbols),
            words: keyed(words),
            code_words: keyed(code_words),
            word_minutes: keyed(word_minutes),
            defaults,
            limits,
            triggers: Triggers::new(triggers, ends.as_deref()).map_err(PyValueError::new_err)?,
            panic_on,
        })
    }

    /// Prices in a batch (`data`, `bounds` as for `Normaliser.normalise_batch`): (rows, errors).
    /// `triggers`: for the rates and for the slash lists, whether matches are tried only near
    /// the starts of their triggers (see `AgeReader.extract_batch`).
    #[pyo3(signature = (data, bounds, triggers=(false, false)))]
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
        triggers: (bool, bool),
    ) -> PyResult<(Bound<'py, PyBytes>, TextErrors)> {
        let (rows, errors) = run_batch(py, data, bounds, 8, self.panic_on, |text, out| {
            let [starts, slash] = starts_of(&self.triggers, text, [triggers.0, triggers.1]);
            self.extract(text, [starts.as_deref(), slash.as_deref()], out)
        })?;
        Ok((le_column(py, &rows)?, errors))
    }
}

// ---- one pattern ---------------------------------------------------------------------------

/// One Python pattern on the core's engine, `re`'s `finditer` as rows: the boilerplate stage
/// runs its pattern on it (`text/boilerplate.py`), and tests hold the engine to `re` with it.
#[pyclass(frozen, module = "amberline._core")]
pub struct Pattern {
    chars: Chars,
    regex: Regex,
    panic_on: Option<u32>,
}

impl Pattern {
    /// The non-empty matches of `finditer(text, pos)` (`text` ends where the search must
    /// end, as `re`'s `endpos`) that start at `last` or before (the caller knows none starts
    /// after it), each as `lead` then start, end and (start, end) of every group (-1 if
    /// unset).
    fn matches(&self, text: &[u32], pos: usize, last: usize, lead: &[i64], rows: &mut Vec<i64>) {
        let t = &self.chars.tables;
        let mut s = self.regex.scratch();
        let starts = self.regex.starts(text, pos, &mut s);
        let mut pos = pos;
        while let Some((a, b)) =
            self.regex
                .next_nonempty_starting_by(t, text, pos, last, starts.as_ref(), &mut s)
        {
            rows.extend_from_slice(lead);
            rows.extend([a as i64, b as i64]);
            for g in 1..self.regex.n_groups {
                for k in [2 * g, 2 * g + 1] {
                    let v = s.slots[k];
                    rows.push(if v == usize::MAX { -1 } else { v as i64 });
                }
            }
            pos = b;
        }
    }
}

#[pymethods]
impl Pattern {
    /// `panic_on`: tests only, a character on which `finditer_stretches` panics in a stretch
    /// that holds it.
    #[new]
    #[pyo3(signature = (program, flags, folds, panic_on=None))]
    fn new(
        program: Program,
        flags: &[u8],
        folds: Vec<(u32, u8)>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let chars = Chars::new(flags, folds, Vec::new())?;
        let regex = Regex::with_starts(&chars.tables, &program).map_err(PyValueError::new_err)?;
        Ok(Pattern {
            chars,
            regex,
            panic_on,
        })
    }

    /// `finditer(text)` on one text given as UTF-32-LE: per non-empty match, start, end and
    /// (start, end) of every group (-1 if unset), int64.
    fn finditer<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let (text, _) = batch_view(data, &[0])?;
        let mut rows = Vec::new();
        self.matches(&text, 0, text.len(), &[], &mut rows);
        le_column(py, &rows)
    }

    /// `finditer(text, start, end)` for each (start, end, last) of `stretches` of one text
    /// given as UTF-32-LE (a batch's joined text, a stretch per ad: look-behinds see what
    /// comes before a stretch, nothing sees what comes after it), its matches starting at
    /// `last` or before (the caller knows none starts after it): per non-empty match, the
    /// stretch's index, then as `finditer`; and (index, message) of each stretch whose search
    /// panicked (its matches left out).
    fn finditer_stretches<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        stretches: Vec<(usize, usize, usize)>,
    ) -> PyResult<(Bound<'py, PyBytes>, TextErrors)> {
        let (text, _) = batch_view(data, &[0])?;
        if stretches
            .iter()
            .any(|&(start, end, _)| start > end || end > text.len())
        {
            return Err(PyValueError::new_err("a stretch outside the text"));
        }
        let (rows, errors) = py.detach(|| {
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            for (index, &(start, end, last)) in stretches.iter().enumerate() {
                let kept = rows.len();
                let found = catch_unwind(AssertUnwindSafe(|| {
                    if self.panic_on.is_some_and(|p| text[start..end].contains(&p)) {
                        panic!("test panic on request");
                    }
                    self.matches(&text[..end], start, last, &[index as i64], &mut rows)
                }));
                if let Err(payload) = found {
                    rows.truncate(kept);
                    errors.push((index, panic_message(payload.as_ref())));
                }
            }
            (rows, errors)
        });
        Ok((le_column(py, &rows)?, errors))
    }

    /// `fullmatch(text, pos, end)` and `search(text, pos, end)` of one text.
    fn check(
        &self,
        data: &[u8],
        pos: usize,
        end: usize,
    ) -> PyResult<(bool, Option<(usize, usize)>)> {
        let (text, _) = batch_view(data, &[0])?;
        let end = end.min(text.len());
        let pos = pos.min(end);
        let t = &self.chars.tables;
        let mut s = self.regex.scratch();
        Ok((
            self.regex.fullmatch(t, &text, pos, end, &mut s),
            self.regex.search(t, &text, pos, end, &mut s),
        ))
    }
}

// ---- the three together -------------------------------------------------------------------

/// The age, price and descriptor readers run together on a batch, with the result of each
/// reader's own `extract_batch`: every text is decoded once, and their triggers are found in
/// one backward pass over it: by one DFA of all their trigger sets when Python hands one
/// over (a `TriggerAutomaton` of the ages', the rates', the slash lists' and the
/// descriptors' sets, in one view of the text, which Python gives only when each reader's
/// sets find the same there as in its own), else by the three readers' lazy DFAs stepping
/// together (`triggers::starts_together`).
#[pyclass(frozen, module = "amberline._core")]
pub struct ProfileReaders {
    ages: Py<AgeReader>,
    prices: Py<PriceReader>,
    descriptors: Py<DescriptorReader>,
    merged: Option<Py<TriggerAutomaton>>,
}

#[pymethods]
impl ProfileReaders {
    #[new]
    #[pyo3(signature = (ages, prices, descriptors, merged=None))]
    fn new(
        ages: Py<AgeReader>,
        prices: Py<PriceReader>,
        descriptors: Py<DescriptorReader>,
        merged: Option<Py<TriggerAutomaton>>,
    ) -> PyResult<Self> {
        if merged.as_ref().is_some_and(|m| m.get().sets() != 4) {
            return Err(PyValueError::new_err(
                "the merged triggers must have four sets",
            ));
        }
        Ok(ProfileReaders {
            ages,
            prices,
            descriptors,
            merged,
        })
    }

    /// The three readers on a batch (`data`, `bounds` as for `Normaliser.normalise_batch`):
    /// ((rows, errors) of the ages, of the prices, of the descriptors), each what that
    /// reader's `extract_batch` returns given its part of `triggers`.
    ///
    /// `starts`: (the batch's `SharedTriggers.starts_batch`, the merged sets' group there),
    /// used in place of the merged triggers' own scan where it gives a text's starts.
    #[allow(clippy::type_complexity)]
    #[pyo3(signature = (data, bounds, triggers=(false, (false, false), false), starts=None))]
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
        triggers: (bool, (bool, bool), bool),
        starts: Option<(PyRef<'py, BatchStarts>, usize)>,
    ) -> PyResult<[(Bound<'py, PyBytes>, TextErrors); 3]> {
        let (ages, prices, descriptors) =
            (self.ages.get(), self.prices.get(), self.descriptors.get());
        let merged = self.merged.as_ref().map(Py::get);
        let (used_ages, (used_rates, used_slash), used_descriptors) = triggers;
        let any = used_ages || used_rates || used_slash || used_descriptors;
        let (chars, offsets) = batch_view(data, &bounds)?;
        let shared = match &starts {
            Some((s, group)) => {
                s.check(offsets.len().saturating_sub(1), *group, 4)?;
                Some((&**s, *group))
            }
            None => None,
        };
        let found = py.detach(|| {
            let mut found: [Found; 3] = Default::default();
            for (index, w) in offsets.windows(2).enumerate() {
                let text = &chars[w[0]..w[1]];
                let starts = catch_unwind(AssertUnwindSafe(|| {
                    // (the merged sets dealt back: ages, rates + slash lists, descriptors)
                    let deal = |mut sets: Vec<Vec<usize>>| {
                        let d = sets.pop().unwrap_or_default();
                        let slash = sets.pop().unwrap_or_default();
                        let rates = sets.pop().unwrap_or_default();
                        let a = sets.pop().unwrap_or_default();
                        [Some(vec![a]), Some(vec![rates, slash]), Some(vec![d])]
                    };
                    let given = shared.and_then(|(s, group)| s.group(index, group).ok().flatten());
                    if !any {
                        [None, None, None]
                    } else if let Some(sets) = given {
                        deal(sets.to_vec())
                    } else if let Some(merged) = merged {
                        merged.starts(text).map_or([None, None, None], deal)
                    } else {
                        starts_together(
                            [&ages.triggers, &prices.triggers, &descriptors.triggers],
                            text,
                        )
                    }
                }));
                let Ok([for_ages, for_prices, for_descriptors]) = starts else {
                    let message = "the profile readers' triggers panicked".to_string();
                    for f in &mut found {
                        f.errors.push((index, message.clone()));
                    }
                    continue;
                };
                // (each reader's sets, as `starts_of` hands them out)
                let first = |all: Option<Vec<Vec<usize>>>| all.and_then(|v| v.into_iter().next());
                let age_starts = first(for_ages).filter(|_| used_ages);
                let (rate_starts, slash_starts) = match for_prices {
                    Some(v) => {
                        let mut v = v.into_iter();
                        (
                            v.next().filter(|_| used_rates),
                            v.next().filter(|_| used_slash),
                        )
                    }
                    None => (None, None),
                };
                let descriptor_starts = first(for_descriptors).filter(|_| used_descriptors);
                let [a, p, d] = &mut found;
                a.run(index, text, 6, ages.panic_on, &|text, out| {
                    ages.extract(text, age_starts.as_deref(), out)
                });
                p.run(index, text, 8, prices.panic_on, &|text, out| {
                    prices.extract(text, [rate_starts.as_deref(), slash_starts.as_deref()], out)
                });
                d.run(index, text, 5, descriptors.panic_on, &|text, out| {
                    descriptors.extract(text, descriptor_starts.as_deref(), out)
                });
            }
            found
        });
        let [a, p, d] = found.map(|f| le_column(py, &f.rows).map(|rows| (rows, f.errors)));
        Ok([a?, p?, d?])
    }
}

#[cfg(test)]
mod tests {
    use super::has_mix;

    #[test]
    fn has_mix_reads_the_three_spellings_only() {
        let utf32 = |s: &str| s.chars().map(u32::from).collect::<Vec<u32>>();
        for (text, found) in [
            ("mix", true),
            ("a long text before it, then Mixed", true),
            ("MIX at the start of a text longer than a block", true),
            ("mIx, MiX and mi x are not read", false),
            ("m", false),
            ("mi", false),
            ("", false),
        ] {
            assert_eq!(has_mix(&utf32(text)), found, "{text}");
        }
    }
}
