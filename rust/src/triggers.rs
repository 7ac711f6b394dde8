//! An extractor's trigger patterns found in the core: where its exact regex is tried.
//!
//! Why: the profile readers try their exact pattern only near the starts of cheap trigger
//! patterns (see `extract/_prefilter.py`). Scanning those triggers with Hyperscan from Python
//! cost more than the readers themselves (a Python call per trigger hit, then a sorted set).
//! Here the same triggers run on a lazy DFA of `regex-automata` over the reader's own copy of
//! the text, and every position where a trigger can start is a place to try.
//!
//! The view is Hyperscan's: one byte per character, ASCII as itself, the non-ASCII characters
//! the triggers name (and their case variants) as the bytes Python assigned to them (from
//! 0x80), each letter `re` folds to an ASCII letter as that letter (so "roſes" is tried where
//! `re` can match in it, and `\b` sees a word character there: `_prefilter.core_triggers`),
//! each decimal digit of another script, which `re`'s `\d` matches, as the ASCII digit of its
//! value (so "19٥٠ roses" is tried where the exact pattern reads 1950: `_prefilter.view_folds`)
//! and each other space `re`'s `\s` matches (a no-break space, an ASCII separator "\x1c" to
//! "\x1f", which Hyperscan's `\s` does not match) as " ", any other non-ASCII
//! character as "?" (which a trigger writes `\?` where any such character will do); `\b`, `\d`,
//! `\s` and case-insensitive matching are ASCII's, as Hyperscan's are. Hyperscan reports, per
//! match end, the leftmost start; this reports every position where a trigger matches, a
//! superset of those. The reference tries every position from a leftmost start to one past its
//! match's end; the core tries every position from each start to one past the longest trigger
//! match from there (`Ends`: the same patterns forward, anchored at the start), and those
//! windows' union is the reference's: each of its windows is one of a match (leftmost start,
//! end), whose start is a start here with a match at least that long, and each window here lies
//! within the reference's window of its longest match's end (a match that starts inside a
//! longer trigger match, where no trigger of its own starts, is tried by both:
//! `test_an_age_that_starts_inside_a_title_dash_trigger`).
//!
//! All starts are found in one backward pass: a DFA of the reversed triggers, searched without
//! an anchor from the end of the text, is in a match state exactly after reading the first
//! character of some trigger match (the DFA reports it one byte late, as `regex-automata`'s own
//! reverse searches read it).
//!
//! `Triggers` builds that DFA lazily, state by state as texts reach them: cheap to make, but
//! the first texts a process reads pay for the states. `TriggerAutomaton` is the same DFA
//! built whole (`dfa::dense`), which takes far longer once but serialises: Python keeps its
//! bytes in the disk cache, so a process loads it ready (`from_bytes` validates every table,
//! so hostile bytes are refused, never run).

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::Hir;

/// The byte a character the triggers do not name stands for.
const OTHER: u8 = b'?';

/// The trigger sets of one reader as Python hands them over (`_prefilter.core_triggers`):
/// (patterns, caseless) per set, and the named characters (character, byte).
pub type TriggerForm = (Vec<(Vec<String>, bool)>, Vec<(u32, u8)>);

/// Hyperscan's view of a text: one byte per character (see the module's docs).
#[derive(Clone)]
pub(crate) struct View {
    /// characters the triggers name (non-ASCII ones, and ASCII separators read as " "), and
    /// the byte each stands for, by character
    pub(crate) named: Vec<(u32, u8)>,
    /// every character's byte as a table: per page of 256 characters (`c >> 8`) its block in
    /// `blocks`, block 0 being `OTHER` throughout (each page without a named character), the
    /// first page's block reading ASCII as itself but for the named separators. Why
    /// not a search of `named`: the views name hundreds of digits and spaces, and the text's
    /// non-ASCII characters are mostly emoji, which no trigger names; a search of that list
    /// per character was most of the scan's cost beyond its ASCII.
    pages: Box<[u16]>,
    /// 256 bytes per block: the byte of each character of its pages
    blocks: Box<[u8]>,
}

/// How many pages of 256 characters there are (Unicode's code points).
const PAGES: usize = 0x11_0000 >> 8;

impl PartialEq for View {
    fn eq(&self, other: &Self) -> bool {
        // (the table is made from `named`)
        self.named == other.named
    }
}

impl View {
    pub(crate) fn new(mut named: Vec<(u32, u8)>) -> Result<Self, String> {
        // A named character stands for a byte of its own from 0x80, for the ASCII letter
        // case-insensitive `re` folds it to (a dotless i read as "i": for caseless triggers
        // that only adds places to try), for the ASCII digit of its value (a decimal digit
        // of another script, which `re`'s `\d` matches, read as a digit and a word
        // character, as `re` reads it), or for " " (a space `re`'s `\s` matches, the ASCII
        // separators "\x1c" to "\x1f" among them: the only ASCII characters named, and no
        // printable one, which `byte` reads as itself without the table).
        if named.iter().any(|&(c, b)| {
            c >= 0x11_0000
                || (c < 0x80 && !(c < 0x20 && b == b' '))
                || (b < 0x80 && !(b.is_ascii_alphanumeric() || b == b' '))
        }) {
            return Err(
                "a named character is no character or an ASCII one but a control read \
                        as \" \", or its byte no letter, digit or space"
                    .into(),
            );
        }
        named.sort_unstable();
        named.dedup_by_key(|&mut (c, _)| c);
        let mut pages = vec![0u16; PAGES];
        let mut blocks = vec![OTHER; 0x100];
        // (the first page's block: ASCII as itself)
        pages[0] = 1;
        blocks.extend((0..=0xff).map(|c: u8| if c < 0x80 { c } else { OTHER }));
        for &(c, b) in &named {
            let page = &mut pages[(c >> 8) as usize];
            if *page == 0 {
                // (at most one block per page: PAGES blocks fit a u16)
                *page = (blocks.len() >> 8) as u16;
                blocks.resize(blocks.len() + 0x100, OTHER);
            }
            blocks[(usize::from(*page) << 8) | (c & 0xff) as usize] = b;
        }
        Ok(View {
            named,
            pages: pages.into(),
            blocks: blocks.into(),
        })
    }

    /// A character as the triggers see it.
    #[inline]
    fn byte(&self, c: u32) -> u8 {
        if printable(c) {
            return c as u8;
        }
        self.other(c)
    }

    /// The byte of a character `printable` does not take: its named byte, a control
    /// character itself, or `OTHER` for a non-ASCII one the triggers do not name.
    #[inline]
    fn other(&self, c: u32) -> u8 {
        let block = self
            .pages
            .get((c >> 8) as usize)
            .map_or(0, |&b| usize::from(b));
        self.blocks[(block << 8) | (c & 0xff) as usize]
    }

    /// `byte` as a search of `named` (what the table holds), for tests.
    #[cfg(test)]
    fn searched(&self, c: u32) -> u8 {
        let named = self.named.as_slice();
        let unnamed = if c < 0x80 { c as u8 } else { OTHER };
        named
            .binary_search_by_key(&c, |&(n, _)| n)
            .map_or(unnamed, |i| named[i].1)
    }
}

/// Whether a character is printable ASCII (" " to DEL), which every view reads as itself
/// (and the scan's loop without the table: no ASCII character from " " on is named).
#[inline]
fn printable(c: u32) -> bool {
    c.wrapping_sub(0x20) < 0x60
}

/// Each set's patterns as one pattern over the byte view (`(?-u)`: a named non-ASCII
/// character written as its byte, `\xHH`).
pub(crate) fn unions(sets: &[(Vec<String>, bool)]) -> Result<Vec<String>, String> {
    if sets.is_empty() || sets.iter().any(|(p, _)| p.is_empty()) {
        return Err("an empty trigger set".into());
    }
    Ok(sets
        .iter()
        .map(|(patterns, caseless)| {
            let union = patterns
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|");
            format!("(?{}:{union})", if *caseless { "i" } else { "-i" })
        })
        .collect())
}

pub(crate) fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

fn thompson_config() -> thompson::Config {
    thompson::Config::new().reverse(true).utf8(false)
}

fn dense_config() -> dense::Config {
    dense::Config::new()
        .match_kind(MatchKind::All)
        .start_kind(StartKind::Unanchored)
}

pub struct Triggers {
    /// one pattern per set
    dfa: DFA,
    sets: usize,
    /// caches kept between calls (one per concurrent caller)
    caches: Mutex<Vec<Cache>>,
    view: View,
    /// the same patterns forward, each searched anchored at a start (`Ends`)
    forward: Arc<EndsDfa>,
}

impl Triggers {
    /// Patterns in `regex` syntax over the byte view (`(?-u)`: a named non-ASCII character
    /// written as its byte, `\xHH`). `ends`: their `TriggerEnds` (from the disk cache), else
    /// built here.
    pub fn new((sets, named): TriggerForm, ends: Option<&TriggerEnds>) -> Result<Self, String> {
        let view = View::new(named)?;
        let patterns = unions(&sets)?;
        let dfa = DFA::builder()
            .syntax(syntax_config())
            .thompson(thompson_config())
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .minimum_cache_clear_count(None),
            )
            .build_many(&patterns)
            .map_err(|e| format!("trigger patterns: {e}"))?;
        let forward = match ends {
            Some(TriggerEnds(ends)) if ends.patterns == patterns && ends.view == view => {
                Arc::clone(ends)
            }
            Some(_) => return Err("the trigger ends are of other trigger sets".into()),
            None => Arc::new(EndsDfa::build(patterns, view.clone())?),
        };
        Ok(Triggers {
            dfa,
            sets: sets.len(),
            caches: Mutex::new(Vec::new()),
            view,
            forward,
        })
    }

    /// Where the trigger matches of set `set` that start at given positions end (`Ends`).
    pub fn ends(&self, set: usize) -> Ends<'_> {
        let starts = &self.forward.starts;
        Ends {
            dfa: &self.forward.dfa,
            view: &self.view,
            starts: starts.get(set * STARTS..(set + 1) * STARTS).unwrap_or(&[]),
        }
    }

    /// How many trigger sets there are (the length of each result of `starts`).
    pub fn sets(&self) -> usize {
        self.sets
    }

    /// Per set, every position of `text` where one of its triggers matches, ascending; None
    /// if the DFA gave up (then the caller tries every position, which is never fewer).
    pub fn starts(&self, text: &[u32]) -> Option<Vec<Vec<usize>>> {
        let [found] = starts_together([self], text);
        found
    }

    fn take_cache(&self) -> Cache {
        self.caches
            .lock()
            .ok()
            .and_then(|mut c| c.pop())
            .unwrap_or_else(|| self.dfa.create_cache())
    }

    fn give_cache(&self, cache: Cache) {
        if let Ok(mut caches) = self.caches.lock() {
            caches.push(cache);
        }
    }
}

/// The longest trigger match of one set from each of its starts, which `Prefilter.finditer`
/// tries up to (see the module's docs): an anchored search of the set's patterns forward from
/// the start, to where no match can end any more, on `TriggerEnds`' whole DFA (a table step
/// per character: no cache, no start state to make).
pub struct Ends<'a> {
    dfa: &'a dense::DFA<Vec<u32>>,
    view: &'a View,
    /// the set's start states (`EndsDfa::starts`); empty for a set the triggers do not have
    starts: &'a [StateID],
}

impl Ends<'_> {
    /// Where the longest match of the set's triggers starting at `start` ends; None if none
    /// starts there.
    pub fn longest(&self, text: &[u32], start: usize) -> Option<usize> {
        let (dfa, view) = (self.dfa, self.view);
        let behind = start
            .checked_sub(1)
            .and_then(|i| text.get(i))
            .map_or(NO_BYTE, |&c| usize::from(view.byte(c)));
        let mut sid = *self.starts.get(behind)?;
        let mut last = None;
        for (at, &c) in text.iter().enumerate().skip(start) {
            sid = dfa.next_state(sid, view.byte(c));
            if dfa.is_special_state(sid) {
                // (a match state: a match ended before the character just read)
                if dfa.is_match_state(sid) {
                    last = Some(at);
                } else if dfa.is_dead_state(sid) {
                    return last;
                } else if dfa.is_quit_state(sid) {
                    // (none: the DFA has no quit bytes)
                    return None;
                }
            }
        }
        if dfa.is_match_state(dfa.next_eoi_state(sid)) {
            last = Some(text.len());
        }
        last
    }
}

/// The forward DFA of a reader's trigger sets that `Ends` walks, built whole: each set a
/// pattern searched anchored (`MatchKind::All`, a start state per pattern). Built once per
/// machine and kept in the disk cache as `TriggerAutomaton` is (`_native.trigger_ends`),
/// and handed to the reader; a lazy DFA's walks cost several times as much per step (a
/// cache, a start state made per walk), and its first texts paid for its states.
#[pyclass(frozen, module = "amberline._core")]
pub struct TriggerEnds(Arc<EndsDfa>);

/// `TriggerEnds`' DFA and what it is of: one pattern per set (`unions`), in `view`.
pub struct EndsDfa {
    dfa: dense::DFA<Vec<u32>>,
    /// per set, its anchored start state after each byte, then at the start of the text
    /// (`NO_BYTE`): looked up per walk instead of worked out from a start configuration
    starts: Vec<StateID>,
    patterns: Vec<String>,
    view: View,
}

/// Where `EndsDfa::starts` keeps a set's start state at the start of the text.
const NO_BYTE: usize = 256;
/// How many start states `EndsDfa::starts` keeps per set.
const STARTS: usize = NO_BYTE + 1;

impl EndsDfa {
    /// With each set's start states, which also checks that the DFA has an anchored start
    /// per set (one loaded from bytes might not).
    fn new(dfa: dense::DFA<Vec<u32>>, patterns: Vec<String>, view: View) -> Result<Self, String> {
        if dfa.pattern_len() != patterns.len() {
            return Err("trigger ends: not one pattern per trigger set".into());
        }
        let mut starts = Vec::with_capacity(patterns.len() * STARTS);
        for set in 0..patterns.len() {
            let anchored = Anchored::Pattern(PatternID::new(set).map_err(|e| e.to_string())?);
            for behind in (0..=255u8).map(Some).chain([None]) {
                let config = start::Config::new().anchored(anchored).look_behind(behind);
                starts.push(
                    dfa.start_state(&config)
                        .map_err(|e| format!("trigger ends: no anchored start per set ({e})"))?,
                );
            }
        }
        Ok(EndsDfa {
            dfa,
            starts,
            patterns,
            view,
        })
    }

    fn build(patterns: Vec<String>, view: View) -> Result<Self, String> {
        let dfa = dense::Builder::new()
            .syntax(syntax_config())
            .thompson(
                thompson::Config::new()
                    .utf8(false)
                    .which_captures(thompson::WhichCaptures::None),
            )
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .starts_for_each_pattern(true)
                    .start_kind(StartKind::Anchored)
                    // (built once per machine: the time buys smaller cache files, which
                    // every start-up reads and checks)
                    .minimize(true),
            )
            .build_many(&patterns)
            .map_err(|e| format!("trigger patterns: {e}"))?;
        Self::new(dfa, patterns, view)
    }

    /// Load what `to_bytes` gave for these trigger sets (hostile bytes: see
    /// `TriggerAutomaton::load`); one without a pattern and an anchored start per set is
    /// refused.
    fn load(patterns: Vec<String>, view: View, data: &[u8]) -> Result<Self, String> {
        Self::new(dense_from_bytes(data)?, patterns, view)
    }
}

#[pymethods]
impl TriggerEnds {
    /// The forward DFA of a reader's trigger sets (`_prefilter.core_triggers`' form): built
    /// whole, or, given `data`, loaded from what `to_bytes` gave for the same form
    /// (ValueError if refused).
    #[new]
    #[pyo3(signature = (form, data=None))]
    fn new(py: Python<'_>, form: TriggerForm, data: Option<&[u8]>) -> PyResult<Self> {
        let (sets, named) = form;
        py.detach(|| {
            let (patterns, view) = (unions(&sets)?, View::new(named)?);
            match data {
                Some(data) => EndsDfa::load(patterns, view, data),
                None => EndsDfa::build(patterns, view),
            }
        })
        .map(|ends| TriggerEnds(Arc::new(ends)))
        .map_err(PyValueError::new_err)
    }

    /// The DFA serialised, in this machine's byte order.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let (bytes, pad) = self.0.dfa.to_bytes_native_endian();
        PyBytes::new(py, &bytes[pad..])
    }
}

/// A dense DFA from bytes `to_bytes_native_endian` gave, from any address (its words must be
/// 4-byte aligned: copied where they are not), validated by `from_bytes` (a table that would
/// point outside itself is refused) and whole (no bytes after it).
fn dense_from_bytes(data: &[u8]) -> Result<dense::DFA<Vec<u32>>, String> {
    let mut copy = Vec::new();
    let aligned = if data.as_ptr().align_offset(4) == 0 {
        data
    } else {
        copy.resize(data.len() + 3, 0u8);
        let at = copy.as_ptr().align_offset(4);
        copy[at..at + data.len()].copy_from_slice(data);
        &copy[at..at + data.len()]
    };
    let (dfa, read) =
        dense::DFA::from_bytes(aligned).map_err(|e| format!("trigger automaton: {e}"))?;
    if read != data.len() {
        return Err("trigger automaton: bytes after the DFA".into());
    }
    Ok(dfa.to_owned())
}

/// `Triggers::starts` of several trigger sets over one text, in one backward pass: each
/// character is read once and every DFA steps on it, so their (independent) steps overlap
/// instead of each pass waiting on its own chain of transitions.
pub fn starts_together<const N: usize>(
    all: [&Triggers; N],
    text: &[u32],
) -> [Option<Vec<Vec<usize>>>; N] {
    let mut caches: [Cache; N] = all.map(Triggers::take_cache);
    let mut found: [Option<Vec<Vec<usize>>>; N] = all.map(|t| Some(vec![Vec::new(); t.sets]));
    // (the start state of a search to the end of the text: no byte after it; None once a
    // DFA gave up)
    let mut sids: [Option<LazyStateID>; N] = std::array::from_fn(|k| {
        all[k]
            .dfa
            .start_state_reverse(&mut caches[k], &Input::new(&[]))
            .ok()
    });
    let record =
        |t: &Triggers, cache: &Cache, sid: LazyStateID, at: usize, out: &mut Vec<Vec<usize>>| {
            for i in 0..t.dfa.match_len(cache, sid) {
                out[t.dfa.match_pattern(cache, sid, i).as_usize()].push(at);
            }
        };
    for at in (0..text.len()).rev() {
        let c = text[at];
        for k in 0..N {
            let Some(sid) = sids[k] else {
                continue;
            };
            let t = all[k];
            let next = t.dfa.next_state(&mut caches[k], sid, t.view.byte(c)).ok();
            sids[k] = next;
            match next {
                Some(next) if next.is_tagged() => {
                    if next.is_match() {
                        if let Some(out) = found[k].as_mut() {
                            record(t, &caches[k], next, at + 1, out);
                        }
                    } else if next.is_dead() || next.is_quit() {
                        // neither happens to an unanchored search without quit bytes
                        sids[k] = None;
                    }
                }
                Some(_) => {}
                None => {}
            }
        }
    }
    for k in 0..N {
        let t = all[k];
        let end = sids[k].and_then(|sid| t.dfa.next_eoi_state(&mut caches[k], sid).ok());
        match (end, found[k].as_mut()) {
            (Some(sid), Some(out)) => {
                if sid.is_match() {
                    record(t, &caches[k], sid, 0, out);
                }
                for s in out.iter_mut() {
                    s.reverse();
                }
            }
            _ => found[k] = None,
        }
    }
    for (t, cache) in all.into_iter().zip(caches) {
        t.give_cache(cache);
    }
    found
}

/// `Triggers` as a DFA built whole, which serialises (`to_bytes`) and loads back ready
/// (`TriggerAutomaton(form, data)`): a process that loads it pays nothing for its states
/// while it scans. Python keeps the bytes in the disk cache (`_native.trigger_automaton`).
#[pyclass(frozen, module = "amberline._core")]
pub struct TriggerAutomaton {
    dfa: dense::DFA<Vec<u32>>,
    sets: usize,
    view: View,
}

impl TriggerAutomaton {
    /// Build it whole from the trigger sets (see `Triggers::new`).
    pub(crate) fn build((sets, named): TriggerForm) -> Result<Self, String> {
        let view = View::new(named)?;
        let dfa = dense::Builder::new()
            .syntax(syntax_config())
            .thompson(thompson_config())
            .configure(dense_config())
            .build_many(&unions(&sets)?)
            .map_err(|e| format!("trigger patterns: {e}"))?;
        Ok(TriggerAutomaton {
            dfa,
            sets: sets.len(),
            view,
        })
    }

    /// Build it whole from one pattern per set, already parsed (`shared_triggers.rs`), over
    /// `view`.
    pub(crate) fn build_from_hirs(hirs: &[Hir], view: View) -> Result<Self, String> {
        let nfa = thompson::Compiler::new()
            .configure(thompson_config().which_captures(thompson::WhichCaptures::None))
            .build_many_from_hir(hirs)
            .map_err(|e| format!("trigger patterns: {e}"))?;
        let dfa = dense::Builder::new()
            .configure(dense_config())
            .build_from_nfa(&nfa)
            .map_err(|e| format!("trigger patterns: {e}"))?;
        Ok(TriggerAutomaton {
            dfa,
            sets: hirs.len(),
            view,
        })
    }

    /// Load what `to_bytes` gave for these trigger sets. The bytes are hostile: the DFA's
    /// own validation refuses anything that is not a whole, well-formed DFA (a table that
    /// would point outside itself), and one without a pattern per set or an unanchored
    /// start is refused here; what else a wrong DFA could do is find other places to try,
    /// which the disk cache's checksum and key exclude.
    fn load((sets, named): TriggerForm, data: &[u8]) -> Result<Self, String> {
        Self::load_view(View::new(named)?, sets.len(), data)
    }

    /// `load` given the view and how many sets the DFA must have.
    pub(crate) fn load_view(view: View, sets: usize, data: &[u8]) -> Result<Self, String> {
        let dfa = dense_from_bytes(data)?;
        if dfa.pattern_len() != sets {
            return Err("trigger automaton: not one pattern per trigger set".into());
        }
        dfa.start_state_reverse(&Input::new(&[]))
            .map_err(|e| format!("trigger automaton: no unanchored start ({e})"))?;
        Ok(TriggerAutomaton { dfa, sets, view })
    }

    /// How many trigger sets there are (the length of each result of `starts`).
    pub fn sets(&self) -> usize {
        self.sets
    }

    /// `Triggers::starts`: per set, every position of `text` where one of its triggers
    /// matches, ascending; None if the DFA cannot search (then the caller tries every
    /// position, which is never fewer).
    pub fn starts(&self, text: &[u32]) -> Option<Vec<Vec<usize>>> {
        self.scan::<false>(text, 0x100).map(|(starts, _)| starts)
    }

    /// `starts`, and (with `MARK`) the positions (descending) of the characters read as a
    /// byte from `marked` up (`shared_triggers.rs`).
    pub(crate) fn scan<const MARK: bool>(
        &self,
        text: &[u32],
        marked: u16,
    ) -> Option<(Vec<Vec<usize>>, Vec<usize>)> {
        let dfa = &self.dfa;
        let mut marks = Vec::new();
        let mut out = vec![Vec::new(); self.sets];
        let record = |sid, at: usize, out: &mut Vec<Vec<usize>>| {
            for i in 0..dfa.match_len(sid) {
                if let Some(set) = out.get_mut(dfa.match_pattern(sid, i).as_usize()) {
                    set.push(at);
                }
            }
        };
        let mut sid = dfa.start_state_reverse(&Input::new(&[])).ok()?;
        for (at, &c) in text.iter().enumerate().rev() {
            let byte = if !MARK {
                self.view.byte(c)
            } else if printable(c) {
                c as u8
            } else {
                self.other(c, at, marked, &mut marks)
            };
            sid = dfa.next_state(sid, byte);
            if dfa.is_special_state(sid) {
                if dfa.is_match_state(sid) {
                    record(sid, at + 1, &mut out);
                } else if dfa.is_dead_state(sid) || dfa.is_quit_state(sid) {
                    // neither happens to an unanchored search without quit bytes
                    return None;
                }
            }
        }
        let end = dfa.next_eoi_state(sid);
        if dfa.is_match_state(end) {
            record(end, 0, &mut out);
        }
        for s in out.iter_mut() {
            s.reverse();
        }
        Some((out, marks))
    }

    /// A character as the DFA reads it.
    pub(crate) fn byte(&self, c: u32) -> u8 {
        self.view.byte(c)
    }

    /// `scan`'s byte for a character `printable` does not take (out of its loop, which it
    /// slowed by a quarter inlined), its position kept in `marks` if the byte is `marked` or
    /// above.
    #[cold]
    #[inline(never)]
    fn other(&self, c: u32, at: usize, marked: u16, marks: &mut Vec<usize>) -> u8 {
        let byte = self.view.other(c);
        if u16::from(byte) >= marked {
            marks.push(at);
        }
        byte
    }
}

#[pymethods]
impl TriggerAutomaton {
    /// The trigger sets' DFA (`_prefilter.core_triggers`' form): built whole, or, given
    /// `data`, loaded from what `to_bytes` gave for the same form (ValueError if refused).
    #[new]
    #[pyo3(signature = (form, data=None))]
    fn new(py: Python<'_>, form: TriggerForm, data: Option<&[u8]>) -> PyResult<Self> {
        match data {
            Some(data) => py.detach(|| Self::load(form, data)),
            None => py.detach(|| Self::build(form)),
        }
        .map_err(PyValueError::new_err)
    }

    /// The DFA serialised, in this machine's byte order.
    pub(crate) fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let (bytes, pad) = self.dfa.to_bytes_native_endian();
        PyBytes::new(py, &bytes[pad..])
    }

    /// `starts` of one text (UTF-32-LE, lone surrogates allowed), for tests: per set, the
    /// positions where a trigger matches (None if the DFA cannot search).
    #[pyo3(name = "starts")]
    fn py_starts(&self, data: &[u8]) -> Option<Vec<Vec<usize>>> {
        let chars: Vec<u32> = data
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        self.starts(&chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> TriggerForm {
        (
            vec![
                (vec![r"\bage".into(), r"\d\s*y".into()], true),
                (vec![r"\x80\s?\d".into()], false),
            ],
            vec![(0x20ac, 0x80)],
        )
    }

    fn utf32(text: &str) -> Vec<u32> {
        text.chars().map(u32::from).collect()
    }

    #[test]
    fn whole_dfa_finds_what_the_lazy_one_finds() {
        let whole = TriggerAutomaton::build(form()).unwrap();
        let lazy = Triggers::new(form(), None).unwrap();
        for text in [
            "",
            "Age 19 yrs, \u{20ac}50",
            "page 2y",
            "\u{20ac} 5 \u{20ac}x AGE",
        ] {
            let text = utf32(text);
            assert_eq!(whole.starts(&text), lazy.starts(&text));
        }
        assert_eq!(
            whole.starts(&utf32("Age 19 yrs, \u{20ac}50")),
            Some(vec![vec![0, 5], vec![12]])
        );
    }

    #[test]
    fn ends_are_those_of_the_longest_match_from_each_start() {
        let lazy = Triggers::new(form(), None).unwrap();
        let text = utf32("Age 19 yrs, page 2  Y, \u{20ac} 5");
        assert_eq!(lazy.starts(&text), Some(vec![vec![0, 5, 17], vec![23]]));
        let ends = lazy.ends(0);
        // "Age", "9 y", "2  Y"; no match from "1"; `\b` read before "age" in "page"
        let found: Vec<_> = [0, 5, 17, 4, 13].map(|at| ends.longest(&text, at)).into();
        assert_eq!(found, [Some(3), Some(8), Some(21), None, None]);
        // the second set's "€ 5" runs to the end of the text
        assert_eq!(lazy.ends(1).longest(&text, 23), Some(text.len()));
        assert_eq!(lazy.ends(2).longest(&text, 0), None);
    }

    #[test]
    fn a_digit_of_another_script_is_read_as_its_ascii_digit() {
        // "\u{665}" (Arabic-Indic five) read as "5": "19\u{665}0 roses" starts at its "1"
        let form: TriggerForm = (
            vec![(vec![r"\d[\d,]*\s*rose".into(), r"\bx".into()], true)],
            vec![(0x665, b'5'), (0x660, b'0')],
        );
        let lazy = Triggers::new(form.clone(), None).unwrap();
        let whole = TriggerAutomaton::build(form).unwrap();
        for text in ["19\u{665}\u{660} roses", "\u{665}x 5x"] {
            let text = utf32(text);
            assert_eq!(whole.starts(&text), lazy.starts(&text));
        }
        // (a digit is a word character to `\b`, as to `re`: no start at "x" after one)
        assert_eq!(
            whole.starts(&utf32("19\u{665}\u{660} roses, \u{665}x ?x")),
            Some(vec![vec![0, 1, 2, 3, 16]])
        );
        assert!(View::new(vec![(0x665, b'5'), (0xa0, b' ')]).is_ok());
        assert!(View::new(vec![(0x665, b'?')]).is_err());
    }

    #[test]
    fn the_table_reads_every_character_as_the_named_list_does() {
        // named characters over many pages, as the views' digits and spaces are: each
        // numeric character as a digit, each space as " ", a few as bytes of their own
        let mut named: Vec<(u32, u8)> = (0x80..0x11_0000)
            .filter_map(|c| char::from_u32(c).map(|ch| (c, ch)))
            .filter_map(|(c, ch)| {
                if ch.is_numeric() {
                    Some((c, b'0' + (c % 10) as u8))
                } else if ch.is_whitespace() {
                    Some((c, b' '))
                } else {
                    None
                }
            })
            .collect();
        named.extend([
            (0x20ac, 0x80),
            (0x2019, 0x81),
            (0x1f339, 0x82),
            (0x10_ffff, 0xff),
        ]);
        named.extend([(0x17f, b's'), (0x212a, b'k'), (0x1c, b' '), (0x1f, b' ')]);
        let view = View::new(named).unwrap();
        assert!(view.named.len() > 1000 && view.blocks.len() > 0x100 * 40);
        for c in 0..0x11_0000 {
            assert_eq!(view.byte(c), view.searched(c), "{c:#x}");
        }
        assert_eq!(view.byte(0x1c), b' ');
        assert_eq!(view.byte(0x1d), 0x1d);
        assert_eq!(view.byte(u32::from(b'\n')), b'\n');
        assert_eq!(view.byte(0x1f339), 0x80 + 2);
        assert_eq!(view.byte(0x1f48b), OTHER);
        assert_eq!(view.byte(0x11_0000), OTHER);
        assert_eq!(view.byte(u32::MAX), OTHER);
        assert!(View::new(vec![(0x11_0000, b' ')]).is_err());
        assert!(View::new(vec![(0x41, b'a')]).is_err());
        assert!(View::new(vec![(0x20, b' ')]).is_err());
        assert!(View::new(vec![(0x1c, b'a')]).is_err());
    }

    #[test]
    fn loads_from_any_address() {
        let whole = TriggerAutomaton::build(form()).unwrap();
        let (bytes, pad) = whole.dfa.to_bytes_native_endian();
        let bytes = &bytes[pad..];
        for shift in 0..4 {
            let mut buf = vec![0u8; shift];
            buf.extend_from_slice(bytes);
            let loaded = TriggerAutomaton::load(form(), &buf[shift..]).unwrap();
            let text = utf32("age 21 \u{20ac}5");
            assert_eq!(loaded.starts(&text), whole.starts(&text));
        }
        assert!(TriggerAutomaton::load(form(), &bytes[..bytes.len() - 4]).is_err());
    }
}
