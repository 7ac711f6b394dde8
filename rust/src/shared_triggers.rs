//! Several stages' trigger sets found in one pass over a batch (`SharedTriggers`).
//!
//! Why: the profile readers and the names each scanned the whole batch with a DFA of their
//! own triggers, and the scan costs about as much per character as the DFA's table look-ups
//! (a chain of dependent loads): one DFA of both groups of sets reads the text once for both.
//!
//! Each group (one stage's `TriggerForm`) is written for its own view of the text
//! (`triggers.rs`): the non-ASCII characters it names, everything else non-ASCII as "?". The
//! shared view gives every character any group names a byte: the bytes of 0x80 and above as
//! the groups give them (they must agree); a character every group reads as one ASCII
//! character (the letters case-insensitive `re` folds to ASCII ones, the other scripts'
//! decimal digits and spaces, `_prefilter.view_folds`, which the profile readers' and the
//! names' views both read so) that ASCII character; and a byte of its own, from the next free
//! one, to each other non-ASCII character a group reads as an ASCII one (an ASCII separator
//! read as " " by some groups only refuses the merge: the others read it as itself). Each group's patterns are
//! rewritten (as parsed) to read every shared byte it does not name as that byte as "?":
//! wherever they admit "?" they admit those bytes too, and nowhere else (no such byte is a
//! word, space or digit character, as "?" is none, so `\b` and the classes agree). That makes
//! a group's starts exact, except near a character the group reads as an ASCII one and another
//! group does not: there its `\b` and classes would move, so such a group must take a superset
//! of its starts (`may_widen`: the names' cue forms give the same wherever more places are
//! tried), and gets, for each such character, every position from the start of the run of
//! characters its patterns can read that ends there to just after it (where any of its matches
//! that reads or looks at that character starts).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use regex_automata::util::syntax;
use regex_syntax::hir::{Capture, Class, ClassBytes, ClassBytesRange, Hir, HirKind, Repetition};

use crate::triggers::{syntax_config, unions, TriggerAutomaton, TriggerForm, View};

const QUESTION: u8 = b'?';

/// Where a group's sets are among the shared DFA's, and how its view differs from the shared
/// one.
#[derive(Clone, Debug)]
struct Group {
    first: usize,
    sets: usize,
    /// the shared view's bytes (0x80 and above) this group reads as "?"
    others: Vec<u8>,
    /// this group reads some character as an ASCII one (whose shared byte is among
    /// `others`): its starts are widened around each
    widen: bool,
    /// the bytes its patterns can read (set when it widens)
    reads: Vec<bool>,
}

/// The shared view's named characters, the first byte given to a character some group reads
/// as an ASCII one, and each group's place and differences.
type Merged = (Vec<(u32, u8)>, u16, Vec<Group>);

/// The groups' named characters as one view (see the module's docs), the first byte given to
/// a character some group reads as an ASCII one, and each group's place and differences.
/// `groups`: (form, whether the stage takes a superset of its starts) per group.
fn merge(groups: &[(TriggerForm, bool)]) -> Result<Merged, String> {
    let mut named: BTreeMap<u32, u8> = BTreeMap::new();
    for ((_, chars), _) in groups {
        for &(c, b) in chars.iter().filter(|&&(_, b)| b >= 0x80) {
            if *named.entry(c).or_insert(b) != b {
                return Err(format!("character {c:#x} stands for two bytes"));
            }
        }
    }
    let first_free = named
        .values()
        .map(|&b| u16::from(b) + 1)
        .max()
        .unwrap_or(0x80);
    // (a character every group reads as one ASCII one is read so here too)
    // (each group's characters as a set: the views name hundreds of digits and spaces)
    let sets: Vec<std::collections::BTreeSet<(u32, u8)>> = groups
        .iter()
        .map(|((_, chars), _)| chars.iter().copied().collect())
        .collect();
    if let Some(((_, chars), _)) = groups.first() {
        for &(c, b) in chars.iter().filter(|&&(_, b)| b < 0x80) {
            if sets.iter().all(|theirs| theirs.contains(&(c, b))) {
                named.entry(c).or_insert(b);
            }
        }
    }
    let mut next = first_free;
    for ((_, chars), _) in groups {
        for &(c, _) in chars.iter().filter(|&&(_, b)| b < 0x80) {
            if c < 0x80 && !named.contains_key(&c) {
                // (a group that does not name it reads it as itself, not as "?")
                return Err(format!(
                    "ASCII character {c:#x} read as another by some groups"
                ));
            }
            if let std::collections::btree_map::Entry::Vacant(e) = named.entry(c) {
                e.insert(u8::try_from(next).map_err(|_| "too many named characters")?);
                next += 1;
            }
        }
    }
    let mut out = Vec::new();
    let mut first = 0;
    for ((sets, chars), may_widen) in groups {
        let own: BTreeMap<u32, u8> = chars.iter().copied().collect();
        let mut others = Vec::new();
        let mut widen = false;
        for (&c, &b) in &named {
            match own.get(&c) {
                Some(&mine) if mine == b => {}
                Some(_) => {
                    widen = true;
                    others.push(b);
                }
                None => others.push(b),
            }
        }
        others.sort_unstable();
        others.dedup();
        // (a byte this group names must stand for no character it reads otherwise)
        if chars.iter().any(|&(_, b)| others.contains(&b)) {
            return Err("a byte stands for other characters in another group".into());
        }
        if widen && !may_widen {
            return Err("a group that must be exact reads a character as an ASCII one".into());
        }
        out.push(Group {
            first,
            sets: sets.len(),
            others,
            widen,
            reads: Vec::new(),
        });
        first += sets.len();
    }
    Ok((named.into_iter().collect(), first_free, out))
}

/// Mark in `reads` every byte a pattern (as parsed) can read.
fn mark_reads(hir: &Hir, reads: &mut [bool]) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => literal.0.iter().for_each(|&b| reads[usize::from(b)] = true),
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                (r.start()..=r.end()).for_each(|b| reads[usize::from(b)] = true);
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                let (a, b) = (u32::from(r.start()), u32::from(r.end()).min(0xFF));
                (a..=b).for_each(|b| reads[b as usize] = true);
            }
        }
        HirKind::Repetition(r) => mark_reads(&r.sub, reads),
        HirKind::Capture(c) => mark_reads(&c.sub, reads),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().for_each(|h| mark_reads(h, reads));
        }
    }
}

/// A pattern (as parsed) that reads the `others` bytes as "?": every class or literal that
/// admits "?" admits them too, every other one none of them.
fn read_as_question(hir: &Hir, others: &ClassBytes) -> Result<Hir, String> {
    let holds_question = |c: &ClassBytes| {
        c.ranges()
            .iter()
            .any(|r| r.start() <= QUESTION && QUESTION <= r.end())
    };
    let class = |mut c: ClassBytes| {
        if holds_question(&c) {
            c.union(others);
        } else {
            c.difference(others);
        }
        Hir::class(Class::Bytes(c))
    };
    let again = |h: &Hir| read_as_question(h, others);
    Ok(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => hir.clone(),
        HirKind::Literal(literal) => {
            if !literal.0.contains(&QUESTION) {
                return Ok(hir.clone());
            }
            Hir::concat(
                literal
                    .0
                    .iter()
                    .map(|&b| {
                        if b == QUESTION {
                            class(ClassBytes::new([ClassBytesRange::new(b, b)]))
                        } else {
                            Hir::literal([b])
                        }
                    })
                    .collect(),
            )
        }
        HirKind::Class(Class::Bytes(c)) => class(c.clone()),
        HirKind::Class(Class::Unicode(c)) => class(
            c.to_byte_class()
                .ok_or("a trigger class beyond ASCII in a byte pattern")?,
        ),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(again(&r.sub)?),
            ..r.clone()
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(again(&c.sub)?),
            ..c.clone()
        }),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(again).collect::<Result<_, _>>()?),
        HirKind::Alternation(parts) => {
            Hir::alternation(parts.iter().map(again).collect::<Result<_, _>>()?)
        }
    })
}

/// The groups' trigger sets as one DFA (built whole, or loaded from its `to_bytes`, as
/// `TriggerAutomaton`; Python keeps the bytes in the disk cache), whose `starts_batch` hands
/// each stage its group's starts (see the module's docs).
#[pyclass(frozen, module = "amberline._core")]
pub struct SharedTriggers {
    automaton: TriggerAutomaton,
    groups: Vec<Group>,
    /// the first byte of a character some group reads as an ASCII one
    widened_from: u16,
}

impl SharedTriggers {
    /// Each group's patterns, parsed and rewritten for the shared view; the groups that widen
    /// get the bytes they read.
    fn patterns(groups: &[(TriggerForm, bool)], places: &mut [Group]) -> Result<Vec<Hir>, String> {
        let mut hirs = Vec::new();
        for (((sets, _), _), group) in groups.iter().zip(places.iter_mut()) {
            let others = ClassBytes::new(group.others.iter().map(|&b| ClassBytesRange::new(b, b)));
            let mut reads = vec![false; 256];
            for pattern in unions(sets)? {
                let hir = syntax::parse_with(&pattern, &syntax_config())
                    .map_err(|e| format!("trigger patterns: {e}"))?;
                let hir = if group.others.is_empty() {
                    hir
                } else {
                    read_as_question(&hir, &others)?
                };
                mark_reads(&hir, &mut reads);
                hirs.push(hir);
            }
            if group.widen {
                group.reads = reads;
            }
        }
        Ok(hirs)
    }

    fn build(groups: &[(TriggerForm, bool)]) -> Result<Self, String> {
        let (named, widened_from, mut places) = merge(groups)?;
        let hirs = Self::patterns(groups, &mut places)?;
        Ok(SharedTriggers {
            automaton: TriggerAutomaton::build_from_hirs(&hirs, View::new(named)?)?,
            groups: places,
            widened_from,
        })
    }

    fn load(groups: &[(TriggerForm, bool)], data: &[u8]) -> Result<Self, String> {
        let (named, widened_from, mut places) = merge(groups)?;
        // (parsed again for the bytes the widening groups read)
        let hirs = Self::patterns(groups, &mut places)?;
        Ok(SharedTriggers {
            automaton: TriggerAutomaton::load_view(View::new(named)?, hirs.len(), data)?,
            groups: places,
            widened_from,
        })
    }

    /// Every set's starts in `text`, each widening group's widened (see the module's docs).
    fn text_starts(&self, text: &[u32]) -> Option<Vec<Vec<usize>>> {
        let (mut sets, marks) = self.automaton.scan::<true>(text, self.widened_from)?;
        if marks.is_empty() {
            return Some(sets);
        }
        for group in self.groups.iter().filter(|g| g.widen) {
            let reads = |c: u32| {
                let b = self.automaton.byte(c);
                group.reads[usize::from(b)] || u16::from(b) >= self.widened_from
            };
            let mut added = Vec::new();
            // (the marks descend: one inside the last run has its positions taken already)
            let mut lowest = usize::MAX;
            for &at in marks.iter().filter(|&&at| at < text.len()) {
                if at >= lowest {
                    continue;
                }
                let mut from = at;
                while from > 0 && reads(text[from - 1]) {
                    from -= 1;
                }
                added.extend(from..at + 2);
                lowest = from;
            }
            for set in &mut sets[group.first..group.first + group.sets] {
                set.extend(&added);
                set.sort_unstable();
                set.dedup();
            }
        }
        Some(sets)
    }
}

#[pymethods]
impl SharedTriggers {
    /// One DFA of the trigger sets of several stages (`groups`: each a
    /// `_prefilter.core_triggers` form and whether its stage takes a superset of its starts):
    /// built whole, or, given `data`, loaded from what `to_bytes` gave for the same groups
    /// (ValueError if refused, or if the groups' views cannot be merged).
    #[new]
    #[pyo3(signature = (groups, data=None))]
    fn new(
        py: Python<'_>,
        groups: Vec<(TriggerForm, bool)>,
        data: Option<&[u8]>,
    ) -> PyResult<Self> {
        match data {
            Some(data) => py.detach(|| Self::load(&groups, data)),
            None => py.detach(|| Self::build(&groups)),
        }
        .map_err(PyValueError::new_err)
    }

    /// The DFA serialised, in this machine's byte order.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.automaton.to_bytes(py)
    }

    /// Every group's trigger starts in each text of a batch (`data`, `bounds` as for
    /// `Normaliser.normalise_batch`), for the stages' `extract_batch` (`starts=(this,
    /// group)`).
    fn starts_batch(&self, py: Python<'_>, data: &[u8], bounds: Vec<i64>) -> PyResult<BatchStarts> {
        let (chars, offsets) = crate::batch_view(data, &bounds)?;
        let texts = py.detach(|| {
            offsets
                .windows(2)
                .map(|w| {
                    let text = &chars[w[0]..w[1]];
                    // (a panic leaves the text to each stage's own scan)
                    catch_unwind(AssertUnwindSafe(|| self.text_starts(text)))
                        .ok()
                        .flatten()
                })
                .collect()
        });
        Ok(BatchStarts {
            texts,
            groups: self.groups.iter().map(|g| (g.first, g.sets)).collect(),
        })
    }

    /// For tests: a group's starts in one text (UTF-32-LE), as `BatchStarts::group` gives
    /// them (None where the stage scans the text itself).
    fn group_starts(
        &self,
        py: Python<'_>,
        data: &[u8],
        group: usize,
    ) -> PyResult<Option<Vec<Vec<usize>>>> {
        let len = i64::try_from(data.len() / 4).unwrap_or(i64::MAX);
        let batch = self.starts_batch(py, data, vec![0, len])?;
        Ok(batch.group(0, group)?.map(<[_]>::to_vec))
    }
}

/// `SharedTriggers::starts_batch`'s result: per text, every set's starts.
#[pyclass(frozen, module = "amberline._core")]
pub struct BatchStarts {
    texts: Vec<Option<Vec<Vec<usize>>>>,
    /// (first set, sets) per group
    groups: Vec<(usize, usize)>,
}

impl BatchStarts {
    /// Group `group`'s starts in text `text` of the batch, per set, ascending (as its own
    /// `TriggerAutomaton::starts` gives them, or more for a group that widens); None where
    /// the stage must scan the text itself. Err if there is no such group.
    pub fn group(&self, text: usize, group: usize) -> PyResult<Option<&[Vec<usize>]>> {
        let &(first, sets) = self
            .groups
            .get(group)
            .ok_or_else(|| PyValueError::new_err("no such trigger group"))?;
        Ok(match self.texts.get(text) {
            Some(Some(all)) => all.get(first..first + sets),
            _ => None,
        })
    }

    /// Check that these are the starts of a batch of `texts` texts and that `group` has
    /// `sets` sets (what a stage expects of the starts it is handed).
    pub fn check(&self, texts: usize, group: usize, sets: usize) -> PyResult<()> {
        if self.texts.len() != texts {
            return Err(PyValueError::new_err("the starts are of another batch"));
        }
        match self.groups.get(group) {
            Some(&(_, n)) if n == sets => Ok(()),
            _ => Err(PyValueError::new_err(format!(
                "trigger group {group} does not have {sets} sets"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf32(text: &str) -> Vec<u32> {
        text.chars().map(u32::from).collect()
    }

    /// A group naming "’" (0x80), exact; one reading it as "?" and "ſ" as "s", widening.
    fn groups() -> Vec<(TriggerForm, bool)> {
        vec![
            (
                (
                    vec![(vec![r"\bage".into(), r"it\x80s".into()], true)],
                    vec![(0x2019, 0x80)],
                ),
                false,
            ),
            (
                (
                    vec![
                        (vec![r"\bit['?]?s\b".into()], true),
                        (vec![r"\n[ \t]*\?".into(), r"[^?x]y".into()], false),
                    ],
                    vec![(0x17f, b's')],
                ),
                true,
            ),
        ]
    }

    /// The shared automaton of `groups` and each group's own, built alone: what the tests
    /// compare.
    fn shared_and_own(groups: Vec<(TriggerForm, bool)>) -> (SharedTriggers, Vec<TriggerAutomaton>) {
        let shared = SharedTriggers::build(&groups).unwrap();
        let own = groups
            .into_iter()
            .map(|(g, _)| TriggerAutomaton::build(g).unwrap())
            .collect();
        (shared, own)
    }

    #[test]
    fn each_group_finds_what_its_own_dfa_finds() {
        let (shared, own) = shared_and_own(groups());
        for text in [
            "",
            "it\u{2019}s Age 5",
            "it?s \n \u{2019} \n?x ay \u{2019}y ?y",
            "\u{2019}y",
            "it\u{2019}\u{17f} here, it\u{17f}",
            "it\u{17f} age \u{17f}y it\u{17f}",
        ] {
            let chars = utf32(text);
            let sets = shared.text_starts(&chars).unwrap();
            for (g, own) in own.iter().enumerate() {
                let group = &shared.groups[g];
                let mine = &sets[group.first..group.first + group.sets];
                let theirs = own.starts(&chars).unwrap();
                if group.widen && text.contains('\u{17f}') {
                    for (m, t) in mine.iter().zip(&theirs) {
                        assert!(t.iter().all(|p| m.contains(p)), "{text:?}, group {g}");
                    }
                } else {
                    assert_eq!(mine.to_vec(), theirs, "{text:?}, group {g}");
                }
            }
        }
        // the second group's "?" admits "’", and "[^?x]" does not
        let sets = shared.text_starts(&utf32("it\u{2019}s \u{2019}y")).unwrap();
        assert_eq!(sets[1], vec![0]);
        assert_eq!(sets[2], Vec::<usize>::new());
        // "ſ" widens the second group's starts over the run of what it reads that ends there
        // (" it": no "x"), to just after it
        let sets = shared.text_starts(&utf32("x it\u{17f}.")).unwrap();
        assert_eq!(sets[1], vec![1, 2, 3, 4, 5]);
        assert_eq!(sets[0], Vec::<usize>::new());
    }

    #[test]
    fn a_letter_every_group_reads_as_ascii_is_read_so_and_widens_none() {
        // both groups read "ſ" as "s" (as the profile readers and the names do)
        let mut g = groups();
        g[0].0 .1.push((0x17f, b's'));
        g[0].1 = false;
        let (named, _, places) = merge(&g).unwrap();
        assert!(named.contains(&(0x17f, b's')));
        assert!(places.iter().all(|p| !p.widen));
        let (shared, own) = shared_and_own(g);
        for text in [
            "it\u{17f} age",
            "x it\u{17f}.",
            "it\u{2019}\u{17f} \u{17f}y",
        ] {
            let chars = utf32(text);
            let sets = shared.text_starts(&chars).unwrap();
            let theirs: Vec<Vec<usize>> =
                own.iter().flat_map(|o| o.starts(&chars).unwrap()).collect();
            assert_eq!(sets, theirs, "{text:?}");
        }
    }

    #[test]
    fn refuses_groups_that_do_not_merge() {
        let mut g = groups();
        g[1].0 .1.push((0x2019, 0x81));
        assert!(merge(&g).is_err());
        let mut g = groups();
        g[1].1 = false;
        assert!(merge(&g).is_err());
        // an ASCII separator read as " " by one group, as itself by the other
        let mut g = groups();
        g[1].0 .1.push((0x1c, b' '));
        assert!(merge(&g).is_err());
        for group in &mut g {
            group.0 .1.push((0x1c, b' '));
        }
        assert!(merge(&g).is_ok());
    }
}
