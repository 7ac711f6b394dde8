//! The indicator lexicon matcher: every lexicon entry found in a text, in one pass.
//!
//! Why: the Python matcher (`indicators/matcher.py`) spends its time per match in Python. This
//! is a port of its Aho-Corasick engine, whose definition is the specification: the text is
//! lower-cased one code point at a time as Python's `str.lower` does (the running Python hands
//! the table over), tab, newline, vertical tab and carriage return become spaces and every
//! run of spaces counts as one; each entry's patterns are expanded (by Python) to lower-case
//! literals in which one space stands for any whitespace run; a literal with a word character
//! at an end needs an ASCII word boundary there; per entry, the leftmost-longest matches that
//! do not overlap are kept; and a refusable entry right after a refusal ("no", "never", a
//! prohibition emoji) in the same clause is dropped, as `_REFUSAL` in the reference decides.
//!
//! The literals' characters get dense ids, one byte each, so the automaton steps a byte per
//! code point; it steps as each byte is made, so no copy of the text is made. A whitespace
//! run is folded by the automaton itself (a space after a space leaves its state as it is),
//! so the pass does nothing per space, and a match's positions are found in the text from its
//! end.

use std::collections::HashMap;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};

use crate::tables::{ALNUM, N_CODE_POINTS};
use crate::word_table::FxBuild;

/// Tab, newline, vertical tab, carriage return and space: what the reference folds to one
/// space (a form feed is not among them, so no match crosses one).
fn is_folded_space(c: u32) -> bool {
    matches!(c, 0x09 | 0x0a | 0x0b | 0x0d | 0x20)
}

/// The id of the space (and of every folded space) among the literals' characters.
const SPACE: u8 = 1;

fn is_ascii_word(c: u32) -> bool {
    c < 0x80 && (c as u8).is_ascii_alphanumeric() || c == u32::from(b'_')
}

/// One literal's owners: (entry index, word boundary at the start, at the end).
type Owners = Vec<(u32, bool, bool)>;

/// The refusal rule of the reference's `_REFUSAL` regex:
/// `(?:\b(?:word|...)\b|mark|...)[^stops]{0,gap}\Z`, case-insensitive, searched in the
/// `window` characters before a match (its `\b` sees the character before the window).
pub struct Refusal {
    /// lower-case ASCII words
    pub words: Vec<Vec<u8>>,
    /// code point sequences matched exactly (emoji)
    pub marks: Vec<Vec<u32>>,
    pub stops: Vec<u32>,
    pub window: usize,
    pub gap: usize,
}

pub struct Matcher {
    /// The literals' automaton as a table: one look-up per byte.
    automaton: Option<Table>,
    owners: Vec<Owners>,
    /// per code point: the id of its lower-case form among the literals' characters, or 0;
    /// zeros past the last code point up to a power of two (see `CLASSES`)
    class: Box<[u8; CLASSES]>,
    /// per code point, one bit: its lower-case form is an ASCII word character
    lower_word: Vec<u64>,
    n_entries: usize,
    refusable: Vec<bool>,
    refusal: Refusal,
    /// per code point, Python's unicode flags (`tables.rs`): `\w` for the refusal's `\b`
    flags: Vec<u8>,
    /// non-ASCII code point -> the ASCII letter case-insensitive `re` matches it to
    fold: HashMap<u32, u8>,
    panic_on: Option<u32>,
}

/// The literals' DFA (aho-corasick's, for every match) copied into one table the scan
/// indexes itself: its states, numbered from the start state, premultiplied by the stride,
/// so a step is one look-up with nothing of the DFA's reloaded around it.
struct Table {
    /// `trans[state + byte]`: the next state, with `ENDS` set where literals end there; a
    /// space after a space leaves the state as it is; zeros after the last state up to a
    /// power of two (so an index masked by the length less one is in bounds)
    trans: Vec<u32>,
    /// log2 of the stride (the alphabet's size rounded up to a power of two)
    shift: u32,
    /// per state: its literals (pattern, length) in `ends[ends_from[s]..ends_from[s + 1]]`
    ends_from: Vec<u32>,
    ends: Vec<(u32, u32)>,
}

/// The bit of a `Table` transition saying that literals end in the state it leads to.
const ENDS: u32 = 1 << 31;
/// The state in a `Table` transition.
const STATE: u32 = ENDS - 1;

/// The length of `Matcher::class`: a value masked by this less one is in bounds. (The
/// batches a matcher reads hold code points only: `batch_view` refuses anything else.)
const CLASSES: usize = N_CODE_POINTS.next_power_of_two();

impl Table {
    /// `dfa`'s states reachable from its unanchored start over the bytes `0..alphabet`
    /// (the only bytes the scan makes).
    fn new(dfa: &DFA, alphabet: usize) -> Result<Self, String> {
        let start = dfa
            .start_state(Anchored::No)
            .map_err(|e| format!("the automaton has no unanchored start: {e}"))?;
        let stride = alphabet.next_power_of_two();
        // (FxHash: a look-up per state and byte, of the DFA's own state ids)
        let mut number: HashMap<u32, u32, FxBuild> = HashMap::default();
        number.insert(start.as_u32(), 0);
        let mut states = vec![start];
        let mut trans: Vec<u32> = Vec::new();
        let (mut ends_from, mut ends) = (Vec::new(), Vec::new());
        let mut i = 0;
        while let Some(&sid) = states.get(i) {
            ends_from.push(ends.len() as u32);
            if dfa.is_match(sid) {
                for k in 0..dfa.match_len(sid) {
                    let pattern = dfa.match_pattern(sid, k);
                    ends.push((pattern.as_u32(), dfa.pattern_len(pattern) as u32));
                }
            }
            let row = trans.len();
            trans.resize(row + stride, 0);
            for byte in 0..alphabet {
                let next = dfa.next_state(Anchored::No, sid, byte as u8);
                let n = number.len() as u32;
                let index = *number.entry(next.as_u32()).or_insert_with(|| {
                    states.push(next);
                    n
                });
                let at = (index as usize)
                    .checked_mul(stride)
                    .filter(|&at| at <= STATE as usize)
                    .ok_or("the automaton has too many states")?;
                trans[row + byte] = at as u32 | if dfa.is_match(next) { ENDS } else { 0 };
            }
            i += 1;
        }
        // A space after a space is dropped from the view: the state a space leads to reads
        // another one as nothing. In an Aho-Corasick automaton only a space enters such a
        // state (its literal prefix ends in a space) or the space leaves it where it is (the
        // start, when no literal starts with a space); anything else is refused.
        let row_of = |at: u32| (at & STATE) as usize;
        let mut by_space = vec![false; states.len()];
        let mut by_other = vec![false; states.len()];
        by_other[0] = true; // (the start of the text)
        for (k, &next) in trans.iter().enumerate() {
            let entered = if k % stride == usize::from(SPACE) {
                &mut by_space
            } else {
                &mut by_other
            };
            entered[row_of(next) / stride] = true;
        }
        for (q, _) in by_space.iter().enumerate().filter(|&(_, &on)| on) {
            let at = q * stride + usize::from(SPACE);
            if by_other[q] && row_of(trans[at]) != q * stride {
                return Err(
                    "a state of the automaton is entered by a space and by another \
                            character"
                        .into(),
                );
            }
            trans[at] = (q * stride) as u32;
        }
        trans.resize(trans.len().next_power_of_two(), 0);
        if trans.len() > ENDS as usize {
            return Err("the automaton has too many states".into());
        }
        ends_from.push(ends.len() as u32);
        Ok(Table {
            trans,
            shift: stride.trailing_zeros(),
            ends_from,
            ends,
        })
    }

    /// Push (start, end, pattern) of the literals ending in `state` after `text[..end]`,
    /// in code points of the text (see `Matcher::find`).
    #[inline(never)]
    fn ends_at(&self, state: usize, text: &[u32], end: usize, raw: &mut Vec<(usize, usize, u32)>) {
        let s = state >> self.shift;
        let (a, b) = (self.ends_from[s] as usize, self.ends_from[s + 1] as usize);
        // (past the end, a view position is where the next kept code point is)
        let mut after = end;
        if end > 0 && is_folded_space(text[end - 1]) {
            while after < text.len() && is_folded_space(text[after]) {
                after += 1;
            }
        }
        for &(pattern, len) in &self.ends[a..b] {
            // (back over `len` kept code points: a folded space is dropped after another)
            let (mut start, mut left) = (end, len);
            while left > 0 && start > 0 {
                start -= 1;
                let dropped =
                    start > 0 && is_folded_space(text[start]) && is_folded_space(text[start - 1]);
                left -= u32::from(!dropped);
            }
            raw.push((start, after, pattern));
        }
    }
}

/// What one text gives: (entry, start, end) in code points, ordered by start, longest first.
pub type Hits = Vec<(u32, usize, usize)>;

/// Everything `Matcher::new` needs, as handed over by Python.
pub struct MatcherSpec {
    /// (literal, entry index, word boundary at start, at end)
    pub literals: Vec<(Vec<u32>, u32, bool, bool)>,
    pub n_entries: usize,
    pub refusable: Vec<u32>,
    /// (code point, its lower case) where they differ, as the reference lower-cases
    pub lower: Vec<(u32, u32)>,
    pub flags: Vec<u8>,
    pub fold: Vec<(u32, u8)>,
    pub refusal: Refusal,
    pub panic_on: Option<u32>,
}

impl Matcher {
    pub fn new(spec: MatcherSpec) -> Result<Self, String> {
        if spec.flags.len() != N_CODE_POINTS {
            return Err(format!(
                "flag table has {} entries, expected {N_CODE_POINTS}",
                spec.flags.len()
            ));
        }
        // (the space has an id of its own even when no literal holds one: the pass tells a
        // folded space by its id alone)
        let mut ids: HashMap<u32, u8> = HashMap::from([(0x20, SPACE)]);
        let mut keys: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Owners> = Vec::new();
        for (literal, entry, ws, we) in spec.literals {
            if entry as usize >= spec.n_entries {
                return Err(format!("literal of entry {entry}: no such entry"));
            }
            if literal.is_empty() {
                return Err(format!("empty literal in entry {entry}"));
            }
            let mut key = Vec::with_capacity(literal.len());
            for c in literal {
                if c as usize >= N_CODE_POINTS {
                    return Err(format!("not a code point: {c:#x}"));
                }
                let id = match ids.get(&c) {
                    Some(&id) => id,
                    None => {
                        let id = u8::try_from(ids.len() + 1).map_err(|_| {
                            "the literals use more than 255 distinct characters".to_string()
                        })?;
                        ids.insert(c, id);
                        id
                    }
                };
                key.push(id);
            }
            let slot = *keys.entry(key.clone()).or_insert_with(|| {
                patterns.push(key);
                owners.push(Vec::new());
                owners.len() - 1
            });
            owners[slot].push((entry, ws, we));
        }
        // Each code point's lower case: itself, but for the pairs (the last one given for a
        // code point counts).
        let mut lower: HashMap<u32, u32> = HashMap::with_capacity(spec.lower.len());
        for (c, l) in spec.lower {
            if c as usize >= N_CODE_POINTS || l as usize >= N_CODE_POINTS {
                return Err(format!("bad lower-case pair {c:#x} -> {l:#x}"));
            }
            lower.insert(c, l);
        }
        // The class and word bit of a code point follow from its lower case; the tables
        // start zeroed (so their pages are only made where written: most code points are in
        // no literal and no word) and are set for the few that are not: the literals'
        // characters and the ASCII word characters lower-casing to themselves, the folded
        // spaces, and the pairs.
        let mut class: Box<[u8; CLASSES]> = vec![0u8; CLASSES]
            .into_boxed_slice()
            .try_into()
            .map_err(|_| "class table size")?;
        let mut lower_word = vec![0u64; N_CODE_POINTS.div_ceil(64)];
        let mut set = |c: u32, l: u32| {
            let l = if is_folded_space(l) { 0x20 } else { l };
            class[c as usize] = ids.get(&l).copied().unwrap_or(0);
            let bit = 1u64 << (c % 64);
            if is_ascii_word(l) {
                lower_word[c as usize / 64] |= bit;
            } else {
                lower_word[c as usize / 64] &= !bit;
            }
        };
        // (ASCII holds the folded spaces)
        for c in ids
            .keys()
            .copied()
            .chain(0..0x80)
            .filter(|c| !lower.contains_key(c))
        {
            set(c, c);
        }
        for (&c, &l) in &lower {
            if is_folded_space(l) != is_folded_space(c) {
                return Err(format!("{c:#x} lower-cases to {l:#x}: one is whitespace"));
            }
            set(c, l);
        }
        let mut refusable = vec![false; spec.n_entries];
        for e in spec.refusable {
            *refusable
                .get_mut(e as usize)
                .ok_or_else(|| format!("refusable entry {e}: no such entry"))? = true;
        }
        let mut fold = HashMap::new();
        for (c, letter) in spec.fold {
            if c as usize >= N_CODE_POINTS || !letter.is_ascii_lowercase() {
                return Err(format!("bad case fold {c:#x} -> {letter}"));
            }
            fold.insert(c, letter);
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                DFA::builder()
                    .match_kind(MatchKind::Standard)
                    // (stepped by hand, every match: no prefilter to skip ahead with)
                    .prefilter(false)
                    .build(&patterns)
                    .map_err(|e| format!("cannot build the automaton: {e}"))
                    .and_then(|dfa| Table::new(&dfa, ids.len() + 1))?,
            )
        };
        Ok(Matcher {
            automaton,
            owners,
            class,
            lower_word,
            n_entries: spec.n_entries,
            refusable,
            refusal: spec.refusal,
            flags: spec.flags,
            fold,
            panic_on: spec.panic_on,
        })
    }

    #[inline]
    fn lowers_to_word(&self, c: u32) -> bool {
        let c = c as usize;
        c < N_CODE_POINTS && self.lower_word[c / 64] & (1 << (c % 64)) != 0
    }

    /// Python's `\w` (for the refusal's `\b`, which is Unicode-aware there).
    #[inline]
    fn is_word(&self, c: u32) -> bool {
        c == u32::from(b'_') || self.flags.get(c as usize).is_some_and(|f| f & ALNUM != 0)
    }

    /// Does case-insensitive `re` match `c` to the pattern character `want`?
    #[inline]
    fn same_caseless(&self, c: u32, want: u8) -> bool {
        if c < 0x80 {
            (c as u8).to_ascii_lowercase() == want
        } else {
            want.is_ascii_lowercase() && self.fold.get(&c) == Some(&want)
        }
    }

    /// `\b` at `at` in `text[..end]` (the reference searches with `endpos`).
    fn boundary(&self, text: &[u32], at: usize, end: usize) -> bool {
        let before = at > 0 && self.is_word(text[at - 1]);
        let after = at < end && self.is_word(text[at]);
        before != after
    }

    /// The reference's `_REFUSAL.search(text, max(0, start - window), start)`.
    fn refused(&self, text: &[u32], start: usize) -> bool {
        let r = &self.refusal;
        let clause_from =
            |e: usize| start - e <= r.gap && !text[e..start].iter().any(|c| r.stops.contains(c));
        for p in start.saturating_sub(r.window)..start {
            for mark in &r.marks {
                let e = p + mark.len();
                if e <= start && text[p..e] == mark[..] && clause_from(e) {
                    return true;
                }
            }
            if !self.boundary(text, p, start) {
                continue;
            }
            for word in &r.words {
                let e = p + word.len();
                if e <= start
                    && text[p..e]
                        .iter()
                        .zip(word)
                        .all(|(&c, &w)| self.same_caseless(c, w))
                    && self.boundary(text, e, start)
                    && clause_from(e)
                {
                    return true;
                }
            }
        }
        false
    }

    /// The automaton's pass over `text` (see `find`), filling `raw`. (A function of its
    /// own, so that its loop keeps what it reads in registers.)
    #[inline(never)]
    fn step_all(&self, table: &Table, text: &[u32], raw: &mut Vec<(usize, usize, u32)>) {
        // (`mask`: the table's length less one, a power of two less one, so that the
        // look-up needs no bounds check)
        let mask = table.trans.len() - 1;
        let trans = &table.trans[..=mask];
        let class = &*self.class;
        // (the last transition, `ENDS` and all: the mask, below `ENDS`, drops it)
        let mut next = 0usize;
        let mut step = |c: u32, end: usize| {
            let byte = class[c as usize & (CLASSES - 1)];
            next = trans[(next + usize::from(byte)) & mask] as usize;
            if next & ENDS as usize != 0 {
                table.ends_at(next & STATE as usize, text, end, raw);
            }
        };
        // (four code points a round: the loop's own count is paid once for four)
        let mut quads = text.chunks_exact(4);
        let mut at = 0;
        for quad in &mut quads {
            step(quad[0], at + 1);
            step(quad[1], at + 2);
            step(quad[2], at + 3);
            step(quad[3], at + 4);
            at += 4;
        }
        for &c in quads.remainder() {
            at += 1;
            step(c, at);
        }
    }

    /// All of the lexicon's matches in one text. `raw` is a scratch buffer.
    pub fn find(&self, text: &[u32], raw: &mut Vec<(usize, usize, u32)>) -> Hits {
        if let Some(trap) = self.panic_on {
            assert!(!text.contains(&trap), "test panic: the trap character");
        }
        let Some(table) = &self.automaton else {
            return Vec::new();
        };
        // The automaton steps over the text lower-cased, one byte per code point, whitespace
        // runs folded to their first space (a space after a space leaves its state as it
        // is), each byte as it is made. `raw` takes each literal's (start, end, pattern) in
        // code points of the text: the start is its first code point, the end where the code
        // point after it in that view is (or the text's end). These positions keep the
        // view's order, so they stand for the view's positions below.
        raw.clear();
        self.step_all(table, text, raw);
        let n = text.len();
        let kept_word = |k: usize| self.lowers_to_word(text[k]);
        let mut hits: Vec<(usize, std::cmp::Reverse<usize>, u32)> = Vec::new();
        for &(start, end, pattern) in raw.iter() {
            for &(entry, ws, we) in &self.owners[pattern as usize] {
                if ws && start > 0 && kept_word(start - 1) {
                    continue;
                }
                if we && end < n && kept_word(end) {
                    continue;
                }
                hits.push((start, std::cmp::Reverse(end), entry));
            }
        }
        if hits.is_empty() {
            return Vec::new();
        }
        hits.sort_unstable();
        let mut last_end: Vec<usize> = vec![0; self.n_entries];
        let mut seen: Vec<bool> = vec![false; self.n_entries];
        let mut out = Vec::new();
        for (start, std::cmp::Reverse(end), entry) in hits {
            let e = entry as usize;
            if seen[e] && start < last_end[e] {
                continue;
            }
            seen[e] = true;
            last_end[e] = end;
            if self.refusable[e] && self.refused(text, start) {
                continue;
            }
            out.push((entry, start, end));
        }
        out
    }
}
