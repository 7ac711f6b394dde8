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
//! The literals' characters get dense ids, one byte each, so the automaton runs over a byte
//! per code point and its offsets are already the text's code point offsets.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::tables::{ALNUM, N_CODE_POINTS};

/// Tab, newline, vertical tab, carriage return and space: what the reference folds to one
/// space (a form feed is not among them, so no match crosses one).
fn is_folded_space(c: u32) -> bool {
    matches!(c, 0x09 | 0x0a | 0x0b | 0x0d | 0x20)
}

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
    automaton: Option<AhoCorasick>,
    owners: Vec<Owners>,
    /// per code point: the id of its lower-case form among the literals' characters, or 0
    class: Vec<u8>,
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
        let mut ids: HashMap<u32, u8> = HashMap::new();
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
        let mut lower: Vec<u32> = (0..N_CODE_POINTS as u32).collect();
        for (c, l) in spec.lower {
            if c as usize >= N_CODE_POINTS || l as usize >= N_CODE_POINTS {
                return Err(format!("bad lower-case pair {c:#x} -> {l:#x}"));
            }
            lower[c as usize] = l;
        }
        // The literals' character ids by code point (0: in no literal), so the loop over
        // every code point below indexes an array instead of hashing each one.
        let mut id_of = vec![0u8; N_CODE_POINTS];
        for (&c, &id) in &ids {
            id_of[c as usize] = id;
        }
        let mut class = vec![0u8; N_CODE_POINTS];
        let mut lower_word = vec![0u64; N_CODE_POINTS.div_ceil(64)];
        for (c, &l) in lower.iter().enumerate() {
            let l = if is_folded_space(l) { 0x20 } else { l };
            class[c] = id_of[l as usize];
            if is_ascii_word(l) {
                lower_word[c / 64] |= 1 << (c % 64);
            }
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
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    // A full DFA: one table lookup per byte; the literals are few and short.
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| format!("cannot build the automaton: {e}"))?,
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

    /// All of the lexicon's matches in one text. `hay` and `orig` are scratch buffers.
    pub fn find(&self, text: &[u32], hay: &mut Vec<u8>, orig: &mut Vec<usize>) -> Hits {
        if let Some(trap) = self.panic_on {
            assert!(!text.contains(&trap), "test panic: the trap character");
        }
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        // Lower-case, one byte per code point, whitespace runs folded to their first space;
        // `orig` maps each kept position back to the text, plus the text's end.
        hay.clear();
        orig.clear();
        let mut in_space = false;
        for (i, &c) in text.iter().enumerate() {
            let space = is_folded_space(c);
            if space && in_space {
                continue;
            }
            in_space = space;
            hay.push(self.class.get(c as usize).copied().unwrap_or(0));
            orig.push(i);
        }
        orig.push(text.len());
        let kept_word = |k: usize| self.lowers_to_word(text[orig[k]]);
        let mut hits: Vec<(usize, std::cmp::Reverse<usize>, u32)> = Vec::new();
        for m in automaton.find_overlapping_iter(hay.as_slice()) {
            let (start, end) = (m.start(), m.end());
            for &(entry, ws, we) in &self.owners[m.pattern().as_usize()] {
                if ws && start > 0 && kept_word(start - 1) {
                    continue;
                }
                if we && end < hay.len() && kept_word(end) {
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
            let (s, t) = (orig[start], orig[end]);
            if self.refusable[e] && self.refused(text, s) {
                continue;
            }
            out.push((entry, s, t));
        }
        out
    }
}
