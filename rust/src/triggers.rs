//! An extractor's trigger patterns found in the core: where its exact regex is tried.
//!
//! Why: the profile readers try their exact pattern only near the starts of cheap trigger
//! patterns (see `extract/_prefilter.py`). Scanning those triggers with Hyperscan from Python
//! cost more than the readers themselves (a Python call per trigger hit, then a sorted set).
//! Here the same triggers run on a lazy DFA of `regex-automata` over the reader's own copy of
//! the text, and every position where a trigger can start is a place to try.
//!
//! The view is Hyperscan's: one byte per character, ASCII as itself, the non-ASCII characters
//! the triggers name (and their case variants) as the bytes Python assigned to them (from 0x80,
//! or an ASCII letter for a letter `re` folds to it), any other non-ASCII character as "?"
//! (which a trigger writes `\?` where any such character will do); `\b`, `\d`, `\s` and
//! case-insensitive matching are ASCII's, as Hyperscan's are. Hyperscan reports, per match
//! end, the leftmost start; this reports every position where a trigger matches, a superset of
//! those, so the exact pattern is tried at least wherever the Python reference tries it.
//!
//! All starts are found in one backward pass: a DFA of the reversed triggers, searched without
//! an anchor from the end of the text, is in a match state exactly after reading the first
//! character of some trigger match (the DFA reports it one byte late, as `regex-automata`'s own
//! reverse searches read it).

use std::sync::Mutex;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};

/// The byte a character the triggers do not name stands for.
const OTHER: u8 = b'?';

/// The trigger sets of one reader as Python hands them over (`_prefilter.core_triggers`):
/// (patterns, caseless) per set, and the named characters (character, byte).
pub type TriggerForm = (Vec<(Vec<String>, bool)>, Vec<(u32, u8)>);

pub struct Triggers {
    /// one pattern per set
    dfa: DFA,
    sets: usize,
    /// caches kept between calls (one per concurrent caller)
    caches: Mutex<Vec<Cache>>,
    /// non-ASCII characters the triggers name, and the byte each stands for, by character
    named: Vec<(u32, u8)>,
}

impl Triggers {
    /// Patterns in `regex` syntax over the byte view (`(?-u)`: a named non-ASCII character
    /// written as its byte, `\xHH`).
    pub fn new((sets, mut named): TriggerForm) -> Result<Self, String> {
        if sets.is_empty() || sets.iter().any(|(p, _)| p.is_empty()) {
            return Err("an empty trigger set".into());
        }
        // A named character stands for a byte of its own from 0x80, or for the ASCII letter
        // case-insensitive `re` folds it to (a dotless i read as "i": for caseless triggers
        // that only adds places to try).
        if named
            .iter()
            .any(|&(c, b)| c < 0x80 || (b < 0x80 && !b.is_ascii_alphabetic()))
        {
            return Err("a named character is ASCII, or its byte ASCII but no letter".into());
        }
        let unions: Vec<String> = sets
            .iter()
            .map(|(patterns, caseless)| {
                let union = patterns
                    .iter()
                    .map(|p| format!("(?:{p})"))
                    .collect::<Vec<_>>()
                    .join("|");
                format!("(?{}:{union})", if *caseless { "i" } else { "-i" })
            })
            .collect();
        let dfa = DFA::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().reverse(true).utf8(false))
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .minimum_cache_clear_count(None),
            )
            .build_many(&unions)
            .map_err(|e| format!("trigger patterns: {e}"))?;
        named.sort_unstable();
        named.dedup_by_key(|&mut (c, _)| c);
        Ok(Triggers {
            dfa,
            sets: sets.len(),
            caches: Mutex::new(Vec::new()),
            named,
        })
    }

    /// How many trigger sets there are (the length of each result of `starts`).
    pub fn sets(&self) -> usize {
        self.sets
    }

    /// A character as the triggers see it.
    #[inline]
    fn byte(&self, c: u32) -> u8 {
        if c < 0x80 {
            return c as u8;
        }
        let named = self.named.as_slice();
        match named.binary_search_by_key(&c, |&(n, _)| n) {
            Ok(i) => named[i].1,
            Err(_) => OTHER,
        }
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
            let next = t.dfa.next_state(&mut caches[k], sid, t.byte(c)).ok();
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
