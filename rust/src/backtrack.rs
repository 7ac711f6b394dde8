//! A backtracking regex engine with the semantics of Python's `re`, for the extractors' patterns.
//!
//! Why: the extractors' Python regexes are the specification of what they find, and they lean
//! on what automata-based engines leave out: lookbehinds, lookaheads in the middle of a
//! pattern (after which a backtracking engine tries the next alternative), possessive
//! repeats, and the leftmost-first choice among alternatives. Rewriting each by hand would be
//! a second definition to keep in step. Instead Python hands over its own parse of each
//! pattern (`re._parser`, flattened by `amberline/extract/_program.py`) and this engine runs
//! it as `re` does: the same alternative order, the same greedy/lazy/possessive repeats, the
//! same captures, and characters classified by the running Python's Unicode tables (`\w`,
//! `\d`, `\s`, the non-ASCII letters case-insensitive `re` matches to ASCII ones), not Rust's.
//!
//! The backtracking state lives on a heap stack (no recursion per character or repeat), so a
//! huge input cannot overflow the thread's stack; recursion happens only for lookarounds and
//! atomic groups, as deep as the pattern nests them. To stay fast, every alternation keeps,
//! per first character, the alternatives that can start with it (a word-start flag for those
//! behind a `\b`), and a search tries only positions where the pattern can start: where its
//! first two characters fit, and where a lazy DFA of a looser form of it (`Loose`) finds a
//! match, which rules out most failing tries within a few characters. A lookaround whose body
//! is run as a pattern of its own is checked the same way first (most of them are negative
//! lookaheads whose body is not there: "not followed by a unit"). A pattern that can start at
//! nearly every position of a long text (the boilerplate's, one of whose alternatives starts
//! at any gap between words) is built `with_starts`: one backward pass of a DFA of the looser
//! pattern reversed marks every position where it can start (`Regex::starts`), and its
//! searches try only those.

use std::sync::Mutex;

use regex_automata::hybrid;
use regex_automata::nfa::thompson;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Repetition};

use crate::tables::{Tables, DECIMAL, SPACE};

// The flat node form handed over by Python: (op, a, b, c) in prefix order.
const OP_SEQ: i64 = 0;
const OP_LIT: i64 = 1;
const OP_NLIT: i64 = 2;
const OP_ANY: i64 = 3;
const OP_SET: i64 = 4;
const OP_AT: i64 = 5;
const OP_BRANCH: i64 = 6;
const OP_GROUP: i64 = 7;
const OP_REP: i64 = 8;
const OP_ASSERT: i64 = 9;
const OP_ATOMIC: i64 = 10;
const ITEM_LIT: i64 = 20;
const ITEM_RANGE: i64 = 21;
const ITEM_CAT: i64 = 22;

const CAT_DIGIT: u8 = 0;
const CAT_NOT_DIGIT: u8 = 1;
const CAT_SPACE: u8 = 2;
const CAT_NOT_SPACE: u8 = 3;
const CAT_WORD: u8 = 4;
const CAT_NOT_WORD: u8 = 5;

const AT_BOUNDARY: u8 = 0;
const AT_NON_BOUNDARY: u8 = 1;
const AT_BEGINNING: u8 = 2;
const AT_END: u8 = 4;
const AT_END_STRING: u8 = 5;

const REP_GREEDY: i64 = 0;
const REP_LAZY: i64 = 1;
const REP_POSSESSIVE: i64 = 2;

const INF: usize = usize::MAX;
const UNSET: usize = usize::MAX;
const WORD_ASCII: u128 = {
    let mut m = 0u128;
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'_' {
            m |= 1 << c;
        }
        c += 1;
    }
    m
};

/// Python's `\w` for any code point (ALNUM or "_").
#[inline]
fn is_word(t: &Tables, c: u32) -> bool {
    t.is_word(c)
}

/// `re`'s `\b` at `pos` of a text that ends at `end` (never in an empty text).
#[inline]
fn word_boundary(t: &Tables, text: &[u32], pos: usize, end: usize) -> bool {
    end != 0 && (pos > 0 && is_word(t, text[pos - 1])) != (pos < end && is_word(t, text[pos]))
}

fn category(t: &Tables, cat: u8, c: u32) -> bool {
    match cat {
        CAT_DIGIT => t.flag(c, DECIMAL),
        CAT_NOT_DIGIT => !t.flag(c, DECIMAL),
        CAT_SPACE => t.flag(c, SPACE),
        CAT_NOT_SPACE => !t.flag(c, SPACE),
        CAT_WORD => is_word(t, c),
        _ => !is_word(t, c),
    }
}

/// A set of characters as `re` tests it. For a case-insensitive set with cased members (only
/// ASCII ones are accepted), `re` tests the lower case of the character against the lowered
/// members: an ASCII character by its own lower case, a non-ASCII one by the ASCII letter it
/// folds to (see `Tables::fold`), the rest as written.
#[derive(Clone, Debug)]
struct CharSet {
    ascii: u128,
    negate: bool,
    icase: bool,
    lits: Vec<u32>,
    ranges: Vec<(u32, u32)>,
    cats: Vec<u8>,
}

impl CharSet {
    fn member(&self, t: &Tables, c: u32) -> bool {
        self.lits.contains(&c)
            || self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
            || self.cats.iter().any(|&k| category(t, k, c))
    }

    #[inline]
    fn matches(&self, t: &Tables, c: u32) -> bool {
        if c < 128 {
            return self.ascii >> c & 1 == 1;
        }
        if self.icase {
            let f = t.fold(c);
            if f != 0 {
                return self.ascii >> f & 1 == 1;
            }
        }
        self.negate != self.member(t, c)
    }
}

#[derive(Clone, Debug)]
enum CharTest {
    Lit(u32),
    /// case-insensitive ASCII letter (lower case)
    LitFold(u8),
    NotLit(u32),
    NotLitFold(u8),
    Any,
    Set(Box<CharSet>),
}

impl CharTest {
    #[inline(always)]
    fn matches(&self, t: &Tables, c: u32) -> bool {
        match self {
            CharTest::Lit(l) => c == *l,
            CharTest::LitFold(l) => t.fold(c) == *l,
            CharTest::NotLit(l) => c != *l,
            CharTest::NotLitFold(l) => t.fold(c) != *l,
            CharTest::Any => c != u32::from(b'\n'),
            CharTest::Set(s) => s.matches(t, c),
        }
    }

    /// (ASCII characters it matches, whether it may match a non-ASCII one)
    fn first(&self, t: &Tables) -> (u128, bool) {
        let mut ascii = 0u128;
        for c in 0..128u32 {
            if self.matches(t, c) {
                ascii |= 1 << c;
            }
        }
        let folds_to = |l: u8| t.fold.values().any(|&v| v == l);
        let non_ascii = match self {
            CharTest::Lit(l) => *l >= 128,
            CharTest::LitFold(l) => folds_to(*l),
            CharTest::Set(s)
                if !s.negate && s.cats.is_empty() && s.lits.is_empty() && s.ranges.is_empty() =>
            {
                s.icase && (b'a'..=b'z').any(|l| s.ascii >> l & 1 == 1 && folds_to(l))
            }
            _ => true,
        };
        (ascii, non_ascii)
    }
}

#[derive(Clone, Debug)]
enum Node {
    Char(CharTest),
    At(u8),
    Branch(Vec<Vec<Node>>),
    Group(Option<usize>, Vec<Node>),
    Rep {
        min: usize,
        max: usize,
        kind: i64,
        body: Vec<Node>,
    },
    Look {
        behind: bool,
        width: usize,
        negate: bool,
        body: Vec<Node>,
    },
    Atomic(Vec<Node>),
}

/// Where a pattern can start: the ASCII characters it can start with anywhere (`free`) or
/// only where no word character precedes (`wstart`, behind a leading `\b`), whether it can
/// start with a non-ASCII character, and whether it can match the empty string.
#[derive(Clone, Copy, Debug, Default)]
struct First {
    free: u128,
    wstart: u128,
    non_ascii: bool,
    nullable: bool,
}

impl First {
    fn union(&mut self, o: First) {
        self.free |= o.free;
        self.wstart |= o.wstart;
        self.non_ascii |= o.non_ascii;
    }

    #[inline]
    fn admits(&self, t: &Tables, text: &[u32], pos: usize, end: usize) -> bool {
        if pos >= end {
            return self.nullable;
        }
        let c = text[pos];
        if c >= 128 {
            return self.non_ascii || self.nullable;
        }
        if self.free >> c & 1 == 1 || self.nullable {
            return true;
        }
        self.wstart >> c & 1 == 1 && (pos == 0 || !is_word(t, text[pos - 1]))
    }
}

fn first_of_seq(t: &Tables, seq: &[Node]) -> First {
    let mut acc = First {
        nullable: true,
        ..First::default()
    };
    let mut boundary = false;
    let mut consumed = false;
    for node in seq {
        match node {
            Node::At(kind) => {
                if *kind == AT_BOUNDARY && !consumed {
                    boundary = true;
                }
                continue;
            }
            Node::Look { .. } => continue,
            _ => {}
        }
        let mut f = first_of(t, node);
        if boundary {
            f.wstart |= f.free & WORD_ASCII;
            f.free &= !WORD_ASCII;
        }
        consumed = true;
        acc.union(f);
        if !f.nullable {
            acc.nullable = false;
            return acc;
        }
    }
    acc
}

fn first_of(t: &Tables, node: &Node) -> First {
    match node {
        Node::Char(test) => {
            let (free, non_ascii) = test.first(t);
            First {
                free,
                wstart: 0,
                non_ascii,
                nullable: false,
            }
        }
        Node::At(_) | Node::Look { .. } => First {
            nullable: true,
            ..First::default()
        },
        Node::Branch(alts) => {
            let mut acc = First::default();
            for alt in alts {
                let f = first_of_seq(t, alt);
                acc.union(f);
                acc.nullable |= f.nullable;
            }
            acc
        }
        Node::Group(_, body) | Node::Atomic(body) => first_of_seq(t, body),
        Node::Rep { min, body, .. } => {
            let mut f = first_of_seq(t, body);
            f.nullable |= *min == 0;
            f
        }
    }
}

fn min_width(seq: &[Node]) -> usize {
    seq.iter()
        .map(|n| match n {
            Node::Char(_) => 1,
            Node::At(_) | Node::Look { .. } => 0,
            Node::Branch(alts) => alts.iter().map(|a| min_width(a)).min().unwrap_or(0),
            Node::Group(_, b) | Node::Atomic(b) => min_width(b),
            Node::Rep { min, body, .. } => min.saturating_mul(min_width(body)),
        })
        .fold(0, usize::saturating_add)
}

/// The characters that can come second in a match of `seq` (ASCII ones, and whether a
/// non-ASCII one can), or None when that is not known (every match has at least two).
fn second_of_seq(t: &Tables, seq: &[Node]) -> Option<(u128, bool)> {
    let i = seq
        .iter()
        .position(|n| !matches!(n, Node::At(_) | Node::Look { .. }))?;
    match &seq[i] {
        Node::Char(_) => {
            let f = first_of_seq(t, &seq[i + 1..]);
            (!f.nullable).then_some((f.free | f.wstart, f.non_ascii))
        }
        Node::Group(_, body) | Node::Atomic(body) if min_width(body) >= 2 => second_of_seq(t, body),
        Node::Branch(alts) => {
            let mut acc = (0u128, false);
            for alt in alts {
                if min_width(alt) < 2 {
                    return None;
                }
                let (a, n) = second_of_seq(t, alt)?;
                acc.0 |= a;
                acc.1 |= n;
            }
            Some(acc)
        }
        _ => None,
    }
}

/// Whether the character after `pos` fits `second`.
#[inline]
fn second_fits(second: &Option<(u128, bool)>, text: &[u32], pos: usize, end: usize) -> bool {
    match second {
        None => true,
        Some((ascii, non_ascii)) => match text.get(pos + 1) {
            Some(&c) if pos + 1 < end => {
                if c < 128 {
                    ascii >> c & 1 == 1
                } else {
                    *non_ascii
                }
            }
            _ => false,
        },
    }
}

/// The first position from `from` (before `end`) holding one of `chars`, else `end`: a block
/// of characters is compared at a time, without a branch per character, which vectorises.
#[inline]
pub fn find_any(text: &[u32], from: usize, end: usize, chars: &[u32; 4]) -> usize {
    const BLOCK: usize = 16;
    let end = end.min(text.len());
    let mut p = from.min(end);
    while p + BLOCK <= end {
        let block = &text[p..p + BLOCK];
        let hit = block.iter().fold(false, |hit, &c| {
            hit | (c == chars[0]) | (c == chars[1]) | (c == chars[2]) | (c == chars[3])
        });
        if hit {
            break;
        }
        p += BLOCK;
    }
    while p < end && !chars.contains(&text[p]) {
        p += 1;
    }
    p
}

/// One ASCII character, or an ASCII letter in either case: what `c | or == val` accepts.
#[derive(Clone, Copy, Debug)]
pub struct Pick {
    or: u32,
    val: u32,
}

impl Pick {
    /// The pick of a set of ASCII characters (as bits), if it is one.
    fn of(set: u128) -> Option<Pick> {
        let lowest = set.trailing_zeros();
        match set.count_ones() {
            1 => Some(Pick { or: 0, val: lowest }),
            2 if (lowest as u8).is_ascii_uppercase() && set >> (lowest | 0x20) & 1 == 1 => {
                Some(Pick {
                    or: 0x20,
                    val: lowest | 0x20,
                })
            }
            _ => None,
        }
    }

    #[inline]
    fn has(self, c: u32) -> bool {
        c | self.or == self.val
    }
}

/// The first position from `from` holding a character of `first` followed (before `end`) by
/// one of `second` or, if `non_ascii`, by a non-ASCII character; else `end`. Sixteen positions
/// at a time (`pair_block`): "mix" is tried only where an "m" is followed by an "i", not
/// restarted at every "m" of the text.
#[inline]
pub fn find_pair(
    text: &[u32],
    from: usize,
    end: usize,
    first: Pick,
    second: Pick,
    non_ascii: bool,
) -> usize {
    const BLOCK: usize = 16;
    let end = end.min(text.len());
    let pair = |x: u32, y: u32| first.has(x) & (second.has(y) | (non_ascii & (y >= 128)));
    let mut p = from.min(end);
    while p + BLOCK < end {
        let hits = pair_block(&text[p..p + BLOCK + 1], first, second, non_ascii);
        if hits != 0 {
            return p + hits.trailing_zeros() as usize;
        }
        p += BLOCK;
    }
    while p + 1 < end {
        if pair(text[p], text[p + 1]) {
            return p;
        }
        p += 1;
    }
    end
}

/// Of the first sixteen positions of `block` (seventeen characters), the ones `find_pair`
/// takes, as bits. On x86-64 by SSE2 on the characters as bytes (`simd::code_point_bytes`):
/// a byte is ASCII exactly where its character is, and `Pick`s accept only ASCII characters,
/// so the bytes answer as the characters do; a non-ASCII character is a byte with its high bit.
#[inline(always)]
fn pair_block(block: &[u32], first: Pick, second: Pick, non_ascii: bool) -> u32 {
    assert!(block.len() > 16);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `block` holds seventeen u32, so sixteen from its start and from the next one.
    unsafe {
        use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
        let pick = |bytes, pick: Pick| {
            // (a Pick's `or` and `val` are below 128)
            let or = _mm_set1_epi8(pick.or as i8);
            _mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_or_si128(bytes, or),
                _mm_set1_epi8(pick.val as i8),
            )) as u32
        };
        let x = crate::simd::code_point_bytes(block.as_ptr());
        let y = crate::simd::code_point_bytes(block.as_ptr().add(1));
        let wide = if non_ascii {
            _mm_movemask_epi8(y) as u32
        } else {
            0
        };
        pick(x, first) & (pick(y, second) | wide)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (0..16).fold(0u32, |m, i| {
            let (x, y) = (block[i], block[i + 1]);
            let hit = first.has(x) & (second.has(y) | (non_ascii & (y >= 128)));
            m | u32::from(hit) << i
        })
    }
}

/// The byte a non-ASCII character stands for in `Loose`'s view of a text.
const LOOSE_OTHER: u8 = 0x80;

/// The byte the looser patterns' DFAs read for a character: ASCII as itself, any other
/// character as `LOOSE_OTHER`.
fn loose_byte(c: u32) -> u8 {
    if c < 128 {
        c as u8
    } else {
        LOOSE_OTHER
    }
}
/// The most memory (bytes) `Loose` gives a pattern's NFA, and its lazy DFA's cache.
const LOOSE_LIMIT: usize = 1 << 20;

/// A DFA of a looser form of a pattern, run anchored before the backtracker: where it finds
/// no match, the pattern has none, and the try is skipped after a few table steps instead of
/// a run (most tries at trigger starts fail within a few characters).
///
/// Looser: lookarounds and word boundaries read as empty, atomic groups and possessive or
/// lazy repeats as plain ones, captures as plain groups (each only adds matches), and the
/// text seen one byte per character: ASCII as itself, any other character as one byte that
/// every test which may match some non-ASCII character accepts. So its matches are a superset
/// of the pattern's, whatever the Unicode tables say.
///
/// The DFA is lazy (`regex-automata`'s hybrid): it costs no more than its NFA to make (a
/// whole DFA of each larger pattern made start-up markedly slower), and the states a search
/// reaches are few, since most tries end within a few characters. Its cache is in the
/// `Scratch` the regex gave out (see `Regex::scratch`), so a check takes no lock.
///
/// A pattern whose every match ends at the end of the text (`\Z`, `$`) keeps that much:
/// its loose match must end there too (or, for `$`, before a final newline), so a window
/// search rules out the starts whose rest of the window does not fit.
struct Loose {
    dfa: hybrid::dfa::DFA,
    /// for a pattern anchored at the end: whether its match may also end before a final
    /// newline (`$`)
    at_end: Option<bool>,
}

impl Loose {
    fn new(t: &Tables, seq: &[Node]) -> Option<Loose> {
        Loose::build(t, seq, false)
    }

    /// The reversed looser pattern, for `starts`: whether a match starts somewhere does not
    /// depend on what its end may leave out, so that is left out (`trim_tail`), which keeps
    /// the DFA's states few (a trailing `[^.]{0,160}` would count in every state).
    fn reversed(t: &Tables, seq: &[Node]) -> Option<Loose> {
        if end_slack(seq).is_some() {
            return None; // (a match anchored at the end: `walk` keeps that, `starts` does not)
        }
        Loose::build(t, &unbounded(&trim_tail(seq)), true)
    }

    fn build(t: &Tables, seq: &[Node], reverse: bool) -> Option<Loose> {
        let folded = folded_letters(t);
        let hir = loose_seq(seq, folded);
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .utf8(false)
                    .reverse(reverse)
                    // (a reverse NFA takes no capture states; the looser pattern has none)
                    .which_captures(if reverse {
                        thompson::WhichCaptures::None
                    } else {
                        thompson::WhichCaptures::All
                    })
                    .nfa_size_limit(Some(LOOSE_LIMIT)),
            )
            .build_from_hir(&hir)
            .ok()?;
        let dfa = hybrid::dfa::DFA::builder()
            .configure(
                hybrid::dfa::DFA::config()
                    // every match end, not only the preferred ones: an anchored end must
                    // not be hidden by a shorter alternative listed first
                    .match_kind(MatchKind::All)
                    .cache_capacity(LOOSE_LIMIT)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .ok()?;
        let at_end = end_slack(seq).map(|slack| slack > 0);
        Some(Loose { dfa, at_end })
    }

    /// Of a `reversed` DFA: every position from `pos` to `end` where the looser pattern
    /// matches (in the text ending at `end`), from one backward pass, unanchored from `end`:
    /// after reading a character the DFA is in a match state exactly when a match starts
    /// just after it (`regex-automata` reports a match one byte late). None when the DFA
    /// gave up.
    fn starts(
        &self,
        cache: &mut hybrid::dfa::Cache,
        text: &[u32],
        pos: usize,
        end: usize,
    ) -> Option<Starts> {
        let dfa = &self.dfa;
        let end = end.min(text.len());
        let pos = pos.min(end);
        let mut bits = vec![0u64; (end - pos) / 64 + 1];
        let unanchored = start::Config::new().anchored(Anchored::No);
        let mut sid = dfa.start_state(cache, &unanchored).ok()?;
        let span = &text[pos..end];
        // (k: how many characters of the span are left to read, backward)
        let mut k = span.len();
        while k > 0 {
            if !sid.is_tagged() {
                // most steps: a known state to a known state that is no match, read with the
                // cache borrowed shared (its table stays in registers)
                let known: &hybrid::dfa::Cache = cache;
                while k > 0 {
                    let next = dfa.next_state_untagged(known, sid, loose_byte(span[k - 1]));
                    if next.is_tagged() {
                        break;
                    }
                    sid = next;
                    k -= 1;
                }
                if k == 0 {
                    break;
                }
            }
            k -= 1;
            sid = dfa.next_state(cache, sid, loose_byte(span[k])).ok()?;
            if sid.is_match() {
                bits[(k + 1) / 64] |= 1 << ((k + 1) % 64);
            } else if sid.is_dead() || sid.is_quit() {
                return None; // (neither happens to an unanchored search without quit bytes)
            }
        }
        if dfa.next_eoi_state(cache, sid).ok()?.is_match() {
            bits[0] |= 1;
        }
        Some(Starts {
            from: pos,
            end,
            bits,
        })
    }

    /// Whether the loose pattern matches at `pos` (in the text ending at `end`, and ending
    /// there if the pattern is anchored at the end); None when that cannot be told.
    fn walk(
        &self,
        cache: &mut hybrid::dfa::Cache,
        text: &[u32],
        pos: usize,
        end: usize,
    ) -> Option<bool> {
        let dfa = &self.dfa;
        let anchored = start::Config::new().anchored(Anchored::Yes);
        let mut sid = dfa.start_state(cache, &anchored).ok()?;
        // (a match state: a match ended before the character just read)
        let mut before_last = false;
        for &c in &text[pos.min(end)..end] {
            sid = dfa.next_state(cache, sid, loose_byte(c)).ok()?;
            if sid.is_tagged() {
                if sid.is_match() && self.at_end.is_none() {
                    return Some(true);
                }
                if sid.is_dead() {
                    return Some(false);
                }
                if sid.is_quit() {
                    return None;
                }
            }
            before_last = sid.is_match();
        }
        let at_end = dfa.next_eoi_state(cache, sid).ok()?.is_match();
        Some(match self.at_end {
            Some(true) => at_end || (before_last && end > pos && text[end - 1] == u32::from(b'\n')),
            _ => at_end,
        })
    }
}

/// The positions of a text where a pattern's looser form matches (`Regex::starts`), which hold
/// every position where the pattern matches: a search given them tries no other start.
pub struct Starts {
    from: usize,
    end: usize,
    /// bit k: a match may start at `from + k`
    bits: Vec<u64>,
}

impl Starts {
    /// The first position from `p` to `last` (both at or after `from`) where a match may
    /// start.
    #[inline]
    fn next(&self, p: usize, last: usize) -> Option<usize> {
        let mut k = p.checked_sub(self.from)?;
        let stop = last.checked_sub(self.from)?;
        while k <= stop {
            let word = *self.bits.get(k / 64)? >> (k % 64);
            if word != 0 {
                k += word.trailing_zeros() as usize;
                return (k <= stop).then_some(self.from + k);
            }
            k = (k / 64 + 1) * 64;
        }
        None
    }
}

/// `seq` less what its end may leave out, for the question whether a match starts at a
/// position: a trailing part that can match empty (in the looser reading, where lookarounds
/// and anchors are empty) is dropped, a trailing repeat kept at its least, and a trailing
/// group or alternation trimmed within. A match of `seq` starts exactly where one of the
/// trimmed sequence does (its end is never later).
fn trim_tail(seq: &[Node]) -> Vec<Node> {
    let mut out = seq.to_vec();
    while let Some(last) = out.pop() {
        if min_width(std::slice::from_ref(&last)) > 0 {
            out.push(match last {
                Node::Group(_, body) | Node::Atomic(body) => Node::Group(None, trim_tail(&body)),
                Node::Branch(alts) => Node::Branch(alts.iter().map(|a| trim_tail(a)).collect()),
                Node::Rep {
                    min, kind, body, ..
                } => Node::Rep {
                    min,
                    max: min,
                    kind,
                    body,
                },
                node => node,
            });
            break;
        }
    }
    out
}

/// `seq` with each repeat's upper bound lifted (a looser pattern still): a reversed DFA run
/// unanchored counts a bounded repeat in its states (`[^-]{1,60}`: a state per count, times
/// whatever else is under way), so its states kept growing with every new text.
fn unbounded(seq: &[Node]) -> Vec<Node> {
    seq.iter()
        .map(|node| match node {
            Node::Group(g, body) => Node::Group(*g, unbounded(body)),
            Node::Atomic(body) => Node::Atomic(unbounded(body)),
            Node::Branch(alts) => Node::Branch(alts.iter().map(|a| unbounded(a)).collect()),
            Node::Rep {
                min,
                max,
                kind,
                body,
            } => Node::Rep {
                min: *min,
                max: if *max > *min { INF } else { *max },
                kind: *kind,
                body: unbounded(body),
            },
            node => node.clone(),
        })
        .collect()
}

impl std::fmt::Debug for Loose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Loose")
    }
}

/// The ASCII letters (lower case) some non-ASCII character folds to (`Tables::fold`).
fn folded_letters(t: &Tables) -> u128 {
    t.fold.values().fold(0u128, |m, &l| m | 1 << (l & 127))
}

/// The bytes of `Loose`'s view a character test may match: the ASCII characters it matches,
/// and the stand-in for the others when it may match one (`folded`: see `folded_letters`).
fn loose_class(test: &CharTest, folded: u128) -> Hir {
    let letter = |l: u8| 1u128 << l | 1u128 << l.to_ascii_uppercase();
    let all = u128::MAX;
    let (ascii, non_ascii) = match test {
        CharTest::Lit(l) if *l < 128 => (1u128 << l, false),
        CharTest::Lit(_) => (0, true),
        CharTest::LitFold(l) => (letter(*l), folded >> l & 1 == 1),
        CharTest::NotLit(l) if *l < 128 => (all & !(1u128 << l), true),
        CharTest::NotLit(_) => (all, true),
        CharTest::NotLitFold(l) => (all & !letter(*l), true),
        CharTest::Any => (all & !(1u128 << b'\n'), true),
        CharTest::Set(s) => {
            let plain = !s.negate && s.cats.is_empty() && s.lits.is_empty() && s.ranges.is_empty();
            let non_ascii = !plain || (s.icase && s.ascii & folded != 0);
            (s.ascii, non_ascii)
        }
    };
    // the runs of set bits, lowest first
    let mut ranges = Vec::new();
    let mut rest = ascii;
    while rest != 0 {
        let lo = rest.trailing_zeros();
        let len = (!(rest >> lo)).trailing_zeros();
        ranges.push(ClassBytesRange::new(lo as u8, (lo + len - 1) as u8));
        rest = rest.checked_shr(lo + len).map_or(0, |r| r << (lo + len));
    }
    if non_ascii {
        ranges.push(ClassBytesRange::new(LOOSE_OTHER, LOOSE_OTHER));
    }
    Hir::class(Class::Bytes(ClassBytes::new(ranges)))
}

fn loose_seq(seq: &[Node], folded: u128) -> Hir {
    Hir::concat(seq.iter().map(|n| loose_node(n, folded)).collect())
}

fn loose_node(node: &Node, folded: u128) -> Hir {
    match node {
        Node::Char(test) => loose_class(test, folded),
        Node::At(_) | Node::Look { .. } => Hir::empty(),
        Node::Branch(alts) => Hir::alternation(alts.iter().map(|a| loose_seq(a, folded)).collect()),
        Node::Group(_, body) | Node::Atomic(body) => loose_seq(body, folded),
        Node::Rep { min, max, body, .. } => Hir::repetition(Repetition {
            min: u32::try_from(*min).unwrap_or(u32::MAX),
            max: if *max == INF {
                None
            } else {
                Some(u32::try_from(*max).unwrap_or(u32::MAX))
            },
            greedy: true,
            sub: Box::new(loose_seq(body, folded)),
        }),
    }
}

/// For a pattern that starts with an ASCII character, the characters that may follow it.
struct Pairs {
    second: Vec<Option<(u128, bool)>>,
}

impl Pairs {
    fn new(t: &Tables, seq: &[Node]) -> Pairs {
        let mut second: Vec<Option<(u128, bool)>> = vec![Some((0, false)); 128];
        let alts: Vec<&[Node]> = match seq {
            [Node::Branch(alts)] => alts.iter().map(Vec::as_slice).collect(),
            _ => vec![seq],
        };
        for alt in alts {
            let f = first_of_seq(t, alt);
            let s = if min_width(alt) >= 2 {
                second_of_seq(t, alt)
            } else {
                None
            };
            for (c, slot) in second.iter_mut().enumerate() {
                if f.nullable || (f.free | f.wstart) >> c & 1 == 1 {
                    *slot = match (*slot, s) {
                        (Some((a, n)), Some((b, m))) => Some((a | b, n || m)),
                        _ => None,
                    };
                }
            }
        }
        Pairs { second }
    }

    #[inline]
    fn admits(&self, text: &[u32], pos: usize, end: usize) -> bool {
        match text.get(pos) {
            Some(&c) if c < 128 && pos < end => {
                second_fits(&self.second[c as usize], text, pos, end)
            }
            _ => true,
        }
    }
}

struct Reader<'a> {
    nodes: &'a [(i64, i64, i64, i64)],
    at: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<(i64, i64, i64, i64), String> {
        let n = *self
            .nodes
            .get(self.at)
            .ok_or("the program ends in the middle of a node")?;
        self.at += 1;
        Ok(n)
    }

    fn code_point(v: i64) -> Result<u32, String> {
        u32::try_from(v)
            .ok()
            .filter(|&c| c < 0x110000)
            .ok_or_else(|| format!("not a code point: {v}"))
    }

    fn count(v: i64) -> Result<usize, String> {
        usize::try_from(v).map_err(|_| format!("bad count {v}"))
    }

    fn seq(&mut self) -> Result<Vec<Node>, String> {
        let (op, n, _, _) = self.next()?;
        if op != OP_SEQ {
            return Err(format!("expected a sequence, found op {op}"));
        }
        (0..Self::count(n)?).map(|_| self.node()).collect()
    }

    fn letter(c: u32) -> Result<u8, String> {
        u8::try_from(c)
            .ok()
            .filter(u8::is_ascii_alphabetic)
            .map(|b| b.to_ascii_lowercase())
            .ok_or_else(|| format!("case-insensitive literal {c:#x} is not an ASCII letter"))
    }

    fn node(&mut self) -> Result<Node, String> {
        let (op, a, b, c) = self.next()?;
        Ok(match op {
            OP_LIT | OP_NLIT => {
                let cp = Self::code_point(a)?;
                let not = op == OP_NLIT;
                match (b != 0, not) {
                    (false, false) => Node::Char(CharTest::Lit(cp)),
                    (false, true) => Node::Char(CharTest::NotLit(cp)),
                    (true, false) => Node::Char(CharTest::LitFold(Self::letter(cp)?)),
                    (true, true) => Node::Char(CharTest::NotLitFold(Self::letter(cp)?)),
                }
            }
            OP_ANY => Node::Char(CharTest::Any),
            OP_SET => {
                let mut set = CharSet {
                    ascii: 0,
                    negate: a != 0,
                    icase: b != 0,
                    lits: Vec::new(),
                    ranges: Vec::new(),
                    cats: Vec::new(),
                };
                let mut ascii_items: Vec<(u32, u32)> = Vec::new();
                for _ in 0..Self::count(c)? {
                    let (iop, x, y, _) = self.next()?;
                    match iop {
                        ITEM_LIT => {
                            let cp = Self::code_point(x)?;
                            set.lits.push(cp);
                            ascii_items.push((cp, cp));
                        }
                        ITEM_RANGE => {
                            let (lo, hi) = (Self::code_point(x)?, Self::code_point(y)?);
                            set.ranges.push((lo, hi));
                            ascii_items.push((lo, hi));
                        }
                        ITEM_CAT => set.cats.push(
                            u8::try_from(x)
                                .ok()
                                .filter(|&k| k <= CAT_NOT_WORD)
                                .ok_or("bad category")?,
                        ),
                        _ => return Err(format!("bad set item {iop}")),
                    }
                }
                if set.icase {
                    if !set.cats.is_empty() {
                        return Err("case-insensitive set with a category".into());
                    }
                    if ascii_items.iter().any(|&(_, hi)| hi >= 128) {
                        return Err("case-insensitive set with non-ASCII members".into());
                    }
                }
                // the answer for each ASCII character (lowered for a case-insensitive set)
                let mut lowered = 0u128;
                for &(lo, hi) in &ascii_items {
                    for cp in lo..=hi.min(127) {
                        let l = if set.icase {
                            (cp as u8).to_ascii_lowercase()
                        } else {
                            cp as u8
                        };
                        lowered |= 1 << l;
                    }
                }
                set.lits.retain(|&l| l >= 128);
                set.ranges.retain(|&(_, hi)| hi >= 128);
                for cp in 0..128u32 {
                    let key = if set.icase {
                        (cp as u8).to_ascii_lowercase()
                    } else {
                        cp as u8
                    };
                    let m =
                        lowered >> key & 1 == 1 || set.cats.iter().any(|&k| category_ascii(k, cp));
                    if m != set.negate {
                        set.ascii |= 1 << cp;
                    }
                }
                let out = set;
                Node::Char(CharTest::Set(Box::new(out)))
            }
            OP_AT => Node::At(
                u8::try_from(a)
                    .ok()
                    .filter(|&k| k <= AT_END_STRING)
                    .ok_or("bad AT")?,
            ),
            OP_BRANCH => {
                let n = Self::count(a)?;
                Node::Branch((0..n).map(|_| self.seq()).collect::<Result<_, _>>()?)
            }
            OP_GROUP => {
                let g = if a < 0 { None } else { Some(Self::count(a)?) };
                Node::Group(g, self.seq()?)
            }
            OP_REP => Node::Rep {
                min: Self::count(a)?,
                max: if b < 0 { INF } else { Self::count(b)? },
                kind: c,
                body: self.seq()?,
            },
            OP_ASSERT => Node::Look {
                behind: a < 0,
                width: Self::count(c)?,
                negate: b != 0,
                body: self.seq()?,
            },
            OP_ATOMIC => Node::Atomic(self.seq()?),
            _ => return Err(format!("unknown op {op}")),
        })
    }
}

fn category_ascii(cat: u8, c: u32) -> bool {
    let b = c as u8;
    let digit = b.is_ascii_digit();
    let space = matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f);
    let word = b.is_ascii_alphanumeric() || b == b'_';
    match cat {
        CAT_DIGIT => digit,
        CAT_NOT_DIGIT => !digit,
        CAT_SPACE => space,
        CAT_NOT_SPACE => !space,
        CAT_WORD => word,
        _ => !word,
    }
}

#[derive(Debug)]
struct BranchIndex {
    alts: Vec<usize>,
    /// per alternative: ASCII characters it may start with anywhere, and nullable
    free: Vec<(u128, bool)>,
    /// per alternative: the characters that may come second, where known
    second: Vec<Option<(u128, bool)>>,
    by_ascii: Vec<Vec<u16>>,
    /// for large alternations, candidates by the first two characters (see `Pairs2`)
    pairs: Option<Pairs2>,
    non_ascii: Vec<u16>,
    at_end: Vec<u16>,
}

/// The candidates of an alternation by its first two characters: lists of alternatives
/// (in order) for each ASCII pair, for an ASCII character followed by a non-ASCII one, and
/// for an ASCII character that ends the text.
#[derive(Debug)]
struct Pairs2 {
    lists: Vec<Vec<u16>>,
    pair: Vec<u32>,
    non_ascii_next: Vec<u32>,
    last: Vec<u32>,
}

impl Pairs2 {
    fn new(by_ascii: &[Vec<u16>], second: &[Option<(u128, bool)>]) -> Pairs2 {
        // The empty list is id 0: most characters start no alternative, and their 130
        // entries are filled without hashing anything (this runs at every start-up).
        let mut lists: Vec<Vec<u16>> = vec![Vec::new()];
        let mut ids: std::collections::HashMap<Vec<u16>, u32> = std::collections::HashMap::new();
        ids.insert(Vec::new(), 0);
        let mut intern = |list: Vec<u16>| -> u32 {
            if let Some(&id) = ids.get(&list) {
                return id;
            }
            lists.push(list.clone());
            ids.insert(list, (lists.len() - 1) as u32);
            (lists.len() - 1) as u32
        };
        let mut pair = vec![0u32; 128 * 128];
        let mut non_ascii_next = vec![0u32; 128];
        let mut last = vec![0u32; 128];
        for (c, list) in by_ascii.iter().enumerate() {
            if list.is_empty() {
                continue; // every entry of `c` is the empty list, 0
            }
            let keep = |f: &dyn Fn(&(u128, bool)) -> bool| -> Vec<u16> {
                list.iter()
                    .copied()
                    .filter(|&k| second[k as usize].as_ref().is_none_or(f))
                    .collect()
            };
            for d in 0..128usize {
                pair[c * 128 + d] = intern(keep(&|&(a, _)| a >> d & 1 == 1));
            }
            non_ascii_next[c] = intern(keep(&|&(_, n)| n));
            last[c] = intern(keep(&|_| false));
        }
        Pairs2 {
            lists,
            pair,
            non_ascii_next,
            last,
        }
    }
}

#[derive(Debug)]
enum Inst {
    Char(CharTest),
    RepChar {
        test: CharTest,
        min: usize,
        max: usize,
        kind: i64,
    },
    /// try `first`, then `second`
    Split(usize, usize),
    Jmp(usize),
    Save(usize),
    At(u8),
    Branch(Box<BranchIndex>),
    Look {
        prog: usize,
        behind: bool,
        width: usize,
        negate: bool,
        /// the body's looser DFA (in `Regex::looses`): where it finds no match, the body has
        /// none (no run)
        loose: Option<usize>,
    },
    /// a lookaround whose body is alternatives of single characters in a row, checked in place
    LookChars(Box<LookChars>),
    Atomic(usize),
    Match,
}

/// A lookaround whose body is alternatives of single characters in a row, in a lookahead
/// perhaps followed by `\b` (`boundary`): checked in place, without a run of its own.
#[derive(Debug)]
struct LookChars {
    alts: Vec<Vec<CharTest>>,
    /// per row, the ASCII characters its first test admits (every one for an empty row), and
    /// all of them together: most rows are passed over by one bit test
    firsts: Vec<u128>,
    any_first: u128,
    behind: bool,
    width: usize,
    negate: bool,
    boundary: bool,
}

impl LookChars {
    /// Whether the body matches at `pos` (before it, for a lookbehind).
    fn found(&self, t: &Tables, text: &[u32], pos: usize, end: usize) -> bool {
        if self.behind {
            let w = self.width;
            return pos >= w
                && self.alts.iter().any(|a| {
                    a.iter()
                        .zip(&text[pos - w..pos])
                        .all(|(test, &c)| test.matches(t, c))
                });
        }
        // an ASCII character at `pos` that no row starts with: no row matches
        let ascii = (pos < end && text[pos] < 128).then(|| text[pos]);
        if ascii.is_some_and(|c| self.any_first >> c & 1 == 0) {
            return false;
        }
        self.alts.iter().zip(&self.firsts).any(|(a, &first)| {
            let q = pos + a.len();
            ascii.is_none_or(|c| first >> c & 1 == 1)
                && q <= end
                && a.iter()
                    .zip(&text[pos..q])
                    .all(|(test, &c)| test.matches(t, c))
                && (!self.boundary || word_boundary(t, text, q, end))
        })
    }
}

/// At most this many rows of characters stand for one lookaround's body in place.
const MAX_ROWS: usize = 64;

/// The rows of characters a sequence made only of single characters (groups of them, and an
/// optional character such as the "s" of "names?") can match, if it is one. A lookaround
/// only asks whether one of them matches, so an optional character's two ways are two rows,
/// in any order (a possessive one is not: it never gives its character back).
fn simple_chars(seq: &[Node]) -> Option<Vec<Vec<CharTest>>> {
    let mut rows: Vec<Vec<CharTest>> = vec![Vec::new()];
    for node in seq {
        match node {
            Node::Char(t) => rows.iter_mut().for_each(|r| r.push(t.clone())),
            Node::Group(None, body) => {
                let tails = simple_chars(body)?;
                rows = rows
                    .iter()
                    .flat_map(|r| tails.iter().map(move |tail| [&r[..], tail].concat()))
                    .collect();
            }
            Node::Rep {
                min: 0,
                max: 1,
                kind,
                body,
            } if *kind != REP_POSSESSIVE => {
                let [Node::Char(t)] = body.as_slice() else {
                    return None;
                };
                let mut with = rows.clone();
                with.iter_mut().for_each(|r| r.push(t.clone()));
                rows.extend(with);
            }
            _ => return None,
        }
        if rows.len() > MAX_ROWS {
            return None;
        }
    }
    Some(rows)
}

/// A lookaround body as alternatives of single characters in a row, if it is one.
fn simple_alts(body: &[Node]) -> Option<Vec<Vec<CharTest>>> {
    match body {
        [Node::Branch(alts)] => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(simple_chars(a)?);
                if out.len() > MAX_ROWS {
                    return None;
                }
            }
            Some(out)
        }
        [Node::Group(None, inner)] => simple_alts(inner),
        _ => simple_chars(body),
    }
}

enum Frame {
    Alt(usize, usize),
    Restore(usize, usize),
    /// greedy single-character repeat: next pc, lowest position, current position
    Greedy(usize, usize, usize),
    /// lazy single-character repeat: its instruction, current position, highest position
    Lazy(usize, usize, usize),
    /// alternation: its instruction, next candidate, position
    Branch(usize, usize, usize),
}

/// A compiled pattern (see the module docstring).
pub struct Regex {
    progs: Vec<Vec<Inst>>,
    first: First,
    /// per ASCII character, whether a match can start with it (`first`, as a table: the
    /// search's skip loop reads one byte per character)
    starters: [bool; 128],
    /// the same, when a match can start with at most four characters, all ASCII: those
    /// characters (the search's skip loop then compares a block of characters at a time)
    few: Option<[u32; 4]>,
    /// when a match starts with one character or one letter in either case, and the second
    /// is one such or a non-ASCII one: the two, and whether the second may be non-ASCII (the
    /// search's skip loop then looks for the pair)
    few_next: Option<(Pick, Pick, bool)>,
    pairs: Pairs,
    pub n_groups: usize,
    /// for a pattern whose every match ends at the end of the text (`\Z`, or `$` up to a
    /// final newline) and is at most so long: how far before the end a match can start
    /// (`search` tries no earlier position: a look-behind at the end of a window)
    reach: Option<usize>,
    /// the looser pattern's DFA (in `looses`), checked before each run (None where it would
    /// be too large)
    loose: Option<usize>,
    /// the reversed looser DFA (in `looses`) that finds every start of a text at once
    /// (`Regex::starts`): built only on request (`with_starts`)
    rev: Option<usize>,
    /// the looser DFAs of the pattern and of its lookarounds' bodies
    looses: Vec<Loose>,
    /// sets of the looser DFAs' caches (one per DFA, in `looses`' order) that scratches gave
    /// back, for the next to take
    spare: Mutex<Vec<Vec<hybrid::dfa::Cache>>>,
}

/// How many sets of caches a regex keeps for the next scratches (one per thread running it
/// at once): the rest are dropped.
const SPARE_SETS: usize = 4;

/// Reusable scratch for one regex's runs (`Regex::scratch`): the backtracking stack, the
/// capture slots, and the caches of the regex's looser DFAs. Why the caches are here: they
/// stay warm from batch to batch (the scratch gives them back to its regex when dropped), and
/// a check walks its DFA without taking a lock.
pub struct Scratch<'r> {
    frames: Vec<Frame>,
    pub slots: Vec<usize>,
    /// the regex the caches are of
    owner: &'r Regex,
    caches: Vec<hybrid::dfa::Cache>,
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        let caches = std::mem::take(&mut self.caches);
        if let Ok(mut spare) = self.owner.spare.lock() {
            if spare.len() < SPARE_SETS {
                spare.push(caches);
            }
        }
    }
}

struct Compiler<'a> {
    tables: &'a Tables,
    progs: Vec<Vec<Inst>>,
    looses: Vec<Loose>,
}

impl Compiler<'_> {
    fn sub(&mut self, body: &[Node]) -> Result<usize, String> {
        let id = self.progs.len();
        self.progs.push(Vec::new());
        let mut code = Vec::new();
        self.seq(&mut code, body)?;
        code.push(Inst::Match);
        self.progs[id] = code;
        Ok(id)
    }

    fn seq(&mut self, code: &mut Vec<Inst>, seq: &[Node]) -> Result<(), String> {
        for node in seq {
            self.node(code, node)?;
        }
        Ok(())
    }

    fn node(&mut self, code: &mut Vec<Inst>, node: &Node) -> Result<(), String> {
        match node {
            Node::Char(t) => code.push(Inst::Char(t.clone())),
            Node::At(k) => code.push(Inst::At(*k)),
            Node::Group(g, body) => {
                if let Some(g) = g {
                    code.push(Inst::Save(2 * g));
                    self.seq(code, body)?;
                    code.push(Inst::Save(2 * g + 1));
                } else {
                    self.seq(code, body)?;
                }
            }
            Node::Atomic(body) => {
                let p = self.sub(body)?;
                code.push(Inst::Atomic(p));
            }
            Node::Look {
                behind,
                width,
                negate,
                body,
            } => {
                // a lookahead's body may end with `\b` ("(?!(?:my|it)\b)"): checked after each
                // row of characters, as the engine's `At` checks it
                let (chars, boundary) = match body.split_last() {
                    Some((Node::At(AT_BOUNDARY), rest)) if !*behind => (rest, true),
                    _ => (body.as_slice(), false),
                };
                if let Some(alts) = simple_alts(chars) {
                    if !*behind || alts.iter().all(|a| a.len() == *width) {
                        let firsts: Vec<u128> = alts
                            .iter()
                            .map(|a| match a.first() {
                                Some(test) => (0..128u32)
                                    .filter(|&c| test.matches(self.tables, c))
                                    .fold(0, |m, c| m | 1 << c),
                                None => u128::MAX,
                            })
                            .collect();
                        code.push(Inst::LookChars(Box::new(LookChars {
                            any_first: firsts.iter().fold(0, |m, f| m | f),
                            firsts,
                            alts,
                            behind: *behind,
                            width: *width,
                            negate: *negate,
                            boundary,
                        })));
                        return Ok(());
                    }
                }
                let p = self.sub(body)?;
                code.push(Inst::Look {
                    prog: p,
                    behind: *behind,
                    width: *width,
                    negate: *negate,
                    loose: Loose::new(self.tables, body).map(|l| {
                        self.looses.push(l);
                        self.looses.len() - 1
                    }),
                });
            }
            Node::Branch(alts) => {
                let at = code.len();
                code.push(Inst::Jmp(0)); // replaced below
                let mut starts = Vec::new();
                let mut jumps = Vec::new();
                let mut free = Vec::new();
                let mut second = Vec::new();
                let mut by_ascii = vec![Vec::new(); 128];
                let mut non_ascii = Vec::new();
                let mut at_end = Vec::new();
                for (i, alt) in alts.iter().enumerate() {
                    let f = first_of_seq(self.tables, alt);
                    let i = u16::try_from(i).map_err(|_| "too many alternatives")?;
                    for (c, list) in by_ascii.iter_mut().enumerate() {
                        if f.nullable || (f.free | f.wstart) >> c & 1 == 1 {
                            list.push(i);
                        }
                    }
                    if f.nullable || f.non_ascii {
                        non_ascii.push(i);
                    }
                    if f.nullable {
                        at_end.push(i);
                    }
                    free.push((f.free, f.nullable));
                    second.push(if min_width(alt) >= 2 {
                        second_of_seq(self.tables, alt)
                    } else {
                        None
                    });
                    starts.push(code.len());
                    self.seq(code, alt)?;
                    jumps.push(code.len());
                    code.push(Inst::Jmp(0));
                }
                let end = code.len();
                for j in jumps {
                    code[j] = Inst::Jmp(end);
                }
                let pairs = (alts.len() > 8).then(|| Pairs2::new(&by_ascii, &second));
                code[at] = Inst::Branch(Box::new(BranchIndex {
                    alts: starts,
                    free,
                    second,
                    pairs,
                    by_ascii,
                    non_ascii,
                    at_end,
                }));
            }
            Node::Rep {
                min,
                max,
                kind,
                body,
            } => {
                if *kind == REP_POSSESSIVE {
                    let inner = Node::Rep {
                        min: *min,
                        max: *max,
                        kind: REP_GREEDY,
                        body: body.clone(),
                    };
                    if let [Node::Char(t)] = body.as_slice() {
                        code.push(Inst::RepChar {
                            test: t.clone(),
                            min: *min,
                            max: *max,
                            kind: REP_POSSESSIVE,
                        });
                        return Ok(());
                    }
                    let p = self.sub(std::slice::from_ref(&inner))?;
                    code.push(Inst::Atomic(p));
                    return Ok(());
                }
                if let [Node::Char(t)] = body.as_slice() {
                    code.push(Inst::RepChar {
                        test: t.clone(),
                        min: *min,
                        max: *max,
                        kind: *kind,
                    });
                    return Ok(());
                }
                if first_of_seq(self.tables, body).nullable && *max == INF {
                    return Err("unbounded repeat of a pattern that can match empty".into());
                }
                if *min > 1000 || (*max != INF && *max > 1000) {
                    return Err("repeat count too large".into());
                }
                let greedy = *kind == REP_GREEDY;
                for _ in 0..*min {
                    self.seq(code, body)?;
                }
                if *max == INF {
                    let top = code.len();
                    code.push(Inst::Split(0, 0));
                    self.seq(code, body)?;
                    code.push(Inst::Jmp(top));
                    let exit = code.len();
                    code[top] = if greedy {
                        Inst::Split(top + 1, exit)
                    } else {
                        Inst::Split(exit, top + 1)
                    };
                } else {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(code.len());
                        code.push(Inst::Split(0, 0));
                        self.seq(code, body)?;
                    }
                    let exit = code.len();
                    for s in splits {
                        code[s] = if greedy {
                            Inst::Split(s + 1, exit)
                        } else {
                            Inst::Split(exit, s + 1)
                        };
                    }
                }
            }
        }
        Ok(())
    }
}

/// The most characters a sequence can match, if that is bounded.
fn max_len(seq: &[Node]) -> Option<usize> {
    seq.iter().try_fold(0usize, |total, n| {
        let most = match n {
            Node::Char(_) => 1,
            Node::At(_) | Node::Look { .. } => 0,
            Node::Branch(alts) => alts
                .iter()
                .try_fold(0usize, |m, a| max_len(a).map(|l| m.max(l)))?,
            Node::Group(_, body) | Node::Atomic(body) => max_len(body)?,
            Node::Rep { max, body, .. } => {
                if *max == INF {
                    return None;
                }
                max_len(body)?.checked_mul(*max)?
            }
        };
        total.checked_add(most)
    })
}

/// How many characters before the end of the text every match of a sequence ends at most,
/// when every way through it ends with an end anchor: `\Z` at the end, `$` at the end or
/// before a final newline.
fn end_slack(seq: &[Node]) -> Option<usize> {
    match seq.last()? {
        Node::At(AT_END_STRING) => Some(0),
        Node::At(AT_END) => Some(1),
        Node::Branch(alts) => alts
            .iter()
            .try_fold(0usize, |m, a| end_slack(a).map(|l| m.max(l))),
        Node::Group(_, body) | Node::Atomic(body) => end_slack(body),
        _ => None,
    }
}

fn max_group(seq: &[Node]) -> usize {
    seq.iter()
        .map(|n| match n {
            Node::Group(g, b) => g.map_or(0, |g| g + 1).max(max_group(b)),
            Node::Branch(alts) => alts.iter().map(|a| max_group(a)).max().unwrap_or(0),
            Node::Rep { body, .. } | Node::Look { body, .. } | Node::Atomic(body) => {
                max_group(body)
            }
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

impl Regex {
    /// Compile the flat node list Python made of one pattern (see `_program.py`).
    pub fn new(tables: &Tables, nodes: &[(i64, i64, i64, i64)]) -> Result<Regex, String> {
        Regex::build(tables, nodes, false)
    }

    /// `new`, with the reversed looser DFA that `starts` runs: for a pattern searched over
    /// long texts whose first characters are common (a start at every gap between words),
    /// where one backward pass over a text costs less than a check at each of its starts.
    pub fn with_starts(tables: &Tables, nodes: &[(i64, i64, i64, i64)]) -> Result<Regex, String> {
        Regex::build(tables, nodes, true)
    }

    fn build(
        tables: &Tables,
        nodes: &[(i64, i64, i64, i64)],
        with_starts: bool,
    ) -> Result<Regex, String> {
        let mut reader = Reader { nodes, at: 0 };
        let seq = reader.seq()?;
        if reader.at != nodes.len() {
            return Err("trailing nodes after the pattern".into());
        }
        let first = first_of_seq(tables, &seq);
        let pairs = Pairs::new(tables, &seq);
        let n_groups = max_group(&seq);
        let mut compiler = Compiler {
            tables,
            progs: vec![Vec::new()],
            looses: Vec::new(),
        };
        let mut code = Vec::new();
        compiler.seq(&mut code, &seq)?;
        code.push(Inst::Match);
        compiler.progs[0] = code;
        let starters: [bool; 128] =
            std::array::from_fn(|c| (first.free | first.wstart) >> c & 1 == 1);
        let listed: Vec<u32> = (0..128u32).filter(|&c| starters[c as usize]).collect();
        let few = (!first.non_ascii && !first.nullable && (1..=4).contains(&listed.len()))
            .then(|| std::array::from_fn(|i| listed[i.min(listed.len() - 1)]));
        let few_next = few.and_then(|few| {
            let (mut next, mut non_ascii) = (0u128, false);
            for c in few {
                let (a, n) = pairs.second[c as usize]?;
                next |= a;
                non_ascii |= n;
            }
            let starts = few.iter().fold(0u128, |m, &c| m | 1 << c);
            Some((Pick::of(starts)?, Pick::of(next)?, non_ascii))
        });
        let reach = end_slack(&seq).and_then(|slack| max_len(&seq)?.checked_add(slack));
        let mut looses = compiler.looses;
        let loose = Loose::new(tables, &seq).map(|l| {
            looses.push(l);
            looses.len() - 1
        });
        let rev = with_starts
            .then(|| Loose::reversed(tables, &seq))
            .flatten()
            .map(|l| {
                looses.push(l);
                looses.len() - 1
            });
        Ok(Regex {
            progs: compiler.progs,
            first,
            starters,
            few,
            few_next,
            pairs,
            n_groups,
            reach,
            loose,
            rev,
            looses,
            spare: Mutex::new(Vec::new()),
        })
    }

    /// A scratch for this regex's runs, with caches for its looser DFAs: a set a dropped
    /// scratch gave back (warm), else new ones.
    pub fn scratch(&self) -> Scratch<'_> {
        let spare = self.spare.lock().ok().and_then(|mut spare| spare.pop());
        let caches =
            spare.unwrap_or_else(|| self.looses.iter().map(|l| l.dfa.create_cache()).collect());
        Scratch {
            frames: Vec::new(),
            slots: Vec::new(),
            owner: self,
            caches,
        }
    }

    /// Whether looser DFA `k` matches at `pos` (`Loose::walk`); true when that cannot be told,
    /// or when `s` is another regex's scratch (its caches are not this regex's DFAs').
    #[inline]
    fn may_match(&self, k: usize, text: &[u32], pos: usize, end: usize, s: &mut Scratch) -> bool {
        if !std::ptr::eq(s.owner, self) {
            return true;
        }
        match (self.looses.get(k), s.caches.get_mut(k)) {
            (Some(loose), Some(cache)) => loose.walk(cache, text, pos, end).unwrap_or(true),
            _ => true,
        }
    }

    /// Every position from `pos` to the end of `text` where a match may start, found in one
    /// backward pass (`Loose::starts`), for `search_starting_by`; None without the reversed
    /// DFA (see `with_starts`), when it gave up, or with another regex's scratch.
    pub fn starts(&self, text: &[u32], pos: usize, s: &mut Scratch) -> Option<Starts> {
        if !std::ptr::eq(s.owner, self) {
            return None;
        }
        let k = self.rev?;
        let (loose, cache) = (self.looses.get(k)?, s.caches.get_mut(k)?);
        loose.starts(cache, text, pos, text.len())
    }

    fn reset(&self, scratch: &mut Scratch) {
        scratch.slots.clear();
        scratch.slots.resize(2 * self.n_groups, UNSET);
    }

    /// `re.match` at `pos` with the text ending at `end` (`pattern.match(text, pos, end)`):
    /// the match's end, its groups in `scratch.slots`.
    #[inline]
    pub fn match_at(
        &self,
        t: &Tables,
        text: &[u32],
        pos: usize,
        end: usize,
        s: &mut Scratch,
    ) -> Option<usize> {
        self.reset(s);
        self.run(t, 0, text, pos, end, false, s)
    }

    /// `pattern.fullmatch(text, pos, end)`.
    pub fn fullmatch(
        &self,
        t: &Tables,
        text: &[u32],
        pos: usize,
        end: usize,
        s: &mut Scratch,
    ) -> bool {
        self.reset(s);
        self.run(t, 0, text, pos, end, true, s).is_some()
    }

    /// `pattern.search(text, pos, end)`: (start, end) of the leftmost match.
    pub fn search(
        &self,
        t: &Tables,
        text: &[u32],
        pos: usize,
        end: usize,
        s: &mut Scratch,
    ) -> Option<(usize, usize)> {
        self.search_starting_by(t, text, pos, end, end, None, s)
    }

    /// `search`, trying no start after `last` (where the caller knows no match starts), nor
    /// any that `starts` (this text's, to `end`) rules out.
    #[allow(clippy::too_many_arguments)]
    pub fn search_starting_by(
        &self,
        t: &Tables,
        text: &[u32],
        pos: usize,
        last: usize,
        end: usize,
        starts: Option<&Starts>,
        s: &mut Scratch,
    ) -> Option<(usize, usize)> {
        let end = end.min(text.len());
        let last = last.min(end);
        let mut p = match self.reach {
            Some(reach) => pos.max(end.saturating_sub(reach)),
            None => pos,
        };
        if let Some(starts) = starts.filter(|st| st.end == end && st.from <= p) {
            // each start the looser pattern allows, checked by its first two characters
            // (word starts) before a run
            while let Some(q) = starts.next(p, last) {
                if self.first.admits(t, text, q, end) && self.pairs.admits(text, q, end) {
                    if let Some(e) = self.match_at(t, text, q, end, s) {
                        return Some((q, e));
                    }
                }
                p = q + 1;
            }
            return None;
        }
        let f = &self.first;
        let starters = &self.starters;
        while p <= last {
            if !f.nullable {
                // the characters no match starts with, skipped in a tight loop
                match (&self.few, &self.few_next) {
                    (Some(_), Some((first, next, non_ascii))) => {
                        p = find_pair(text, p, end, *first, *next, *non_ascii);
                    }
                    (Some(few), None) => p = find_any(text, p, end, few),
                    _ => {}
                }
                while p < end {
                    let c = text[p];
                    if starters.get(c as usize).copied().unwrap_or(f.non_ascii) {
                        break;
                    }
                    p += 1;
                }
                if p == end || p > last {
                    return None;
                }
            }
            if self.can_start(t, text, p, end, s) {
                if let Some(e) = self.match_at(t, text, p, end, s) {
                    return Some((p, e));
                }
            }
            p += 1;
        }
        None
    }

    /// Whether a match can start at `pos` (with the text ending at `end`), as far as its
    /// first two characters and the looser pattern's DFA tell: a cheap test before
    /// `match_at`, which gives None where this is false.
    #[inline]
    pub fn can_start(
        &self,
        t: &Tables,
        text: &[u32],
        pos: usize,
        end: usize,
        s: &mut Scratch,
    ) -> bool {
        self.first.admits(t, text, pos, end)
            && self.pairs.admits(text, pos, end)
            && self
                .loose
                .is_none_or(|k| self.may_match(k, text, pos, end, s))
    }

    /// The next non-empty match at or after `pos` (what `finditer` gives, empty matches left out).
    pub fn next_nonempty(
        &self,
        t: &Tables,
        text: &[u32],
        pos: usize,
        s: &mut Scratch,
    ) -> Option<(usize, usize)> {
        self.next_nonempty_starting_by(t, text, pos, text.len(), None, s)
    }

    /// `next_nonempty`, trying no start after `last` (where the caller knows none starts),
    /// nor any that `starts` (this text's) rules out.
    pub fn next_nonempty_starting_by(
        &self,
        t: &Tables,
        text: &[u32],
        pos: usize,
        last: usize,
        starts: Option<&Starts>,
        s: &mut Scratch,
    ) -> Option<(usize, usize)> {
        let mut p = pos;
        loop {
            let (st, e) = self.search_starting_by(t, text, p, last, text.len(), starts, s)?;
            if e > st {
                return Some((st, e));
            }
            p = st + 1;
        }
    }

    fn admits(b: &BranchIndex, k: u16, t: &Tables, text: &[u32], pos: usize, end: usize) -> bool {
        if pos >= end {
            return true;
        }
        let c = text[pos];
        if c >= 128 {
            return second_fits(&b.second[k as usize], text, pos, end);
        }
        let (free, nullable) = b.free[k as usize];
        (nullable || free >> c & 1 == 1 || pos == 0 || !is_word(t, text[pos - 1]))
            && second_fits(&b.second[k as usize], text, pos, end)
    }

    fn candidates<'b>(b: &'b BranchIndex, text: &[u32], pos: usize, end: usize) -> &'b [u16] {
        if let Some(p) = &b.pairs {
            if pos < end && text[pos] < 128 {
                let c = text[pos] as usize;
                let id = match text.get(pos + 1) {
                    Some(&d) if pos + 1 < end && d < 128 => p.pair[c * 128 + d as usize],
                    Some(_) if pos + 1 < end => p.non_ascii_next[c],
                    _ => p.last[c],
                };
                return &p.lists[id as usize];
            }
        }
        if pos >= end {
            &b.at_end
        } else if text[pos] < 128 {
            &b.by_ascii[text[pos] as usize]
        } else {
            &b.non_ascii
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        t: &Tables,
        prog: usize,
        text: &[u32],
        start: usize,
        end: usize,
        full: bool,
        s: &mut Scratch,
    ) -> Option<usize> {
        let code = &self.progs[prog];
        let base = s.frames.len();
        let mut pc = 0usize;
        let mut pos = start;
        let result = 'outer: loop {
            let ok = match &code[pc] {
                Inst::Char(test) => {
                    if pos < end && test.matches(t, text[pos]) {
                        pos += 1;
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::RepChar {
                    test,
                    min,
                    max,
                    kind,
                } => {
                    let lo = pos;
                    let mut n = 0usize;
                    let limit = if *kind == REP_LAZY { *min } else { *max };
                    while n < limit && pos < end && test.matches(t, text[pos]) {
                        pos += 1;
                        n += 1;
                    }
                    if n < *min {
                        false
                    } else {
                        match *kind {
                            REP_GREEDY if n > *min => {
                                s.frames.push(Frame::Greedy(pc + 1, lo + min, pos))
                            }
                            REP_LAZY if *max > *min => s.frames.push(Frame::Lazy(
                                pc,
                                pos,
                                if *max == INF {
                                    end
                                } else {
                                    (lo + max).min(end)
                                },
                            )),
                            _ => {}
                        }
                        pc += 1;
                        true
                    }
                }
                Inst::Split(a, b) => {
                    s.frames.push(Frame::Alt(*b, pos));
                    pc = *a;
                    true
                }
                Inst::Jmp(to) => {
                    pc = *to;
                    true
                }
                Inst::Save(slot) => {
                    s.frames.push(Frame::Restore(*slot, s.slots[*slot]));
                    s.slots[*slot] = pos;
                    pc += 1;
                    true
                }
                Inst::At(kind) => {
                    let ok = match *kind {
                        AT_BOUNDARY => word_boundary(t, text, pos, end),
                        AT_NON_BOUNDARY => end != 0 && !word_boundary(t, text, pos, end),
                        AT_BEGINNING => pos == 0,
                        AT_END => pos == end || (pos + 1 == end && text[pos] == u32::from(b'\n')),
                        AT_END_STRING => pos == end,
                        _ => pos == 0, // beginning of string
                    };
                    if ok {
                        pc += 1;
                    }
                    ok
                }
                Inst::Branch(b) => self.enter_branch(b, pc, 0, t, text, pos, end, s, &mut pc),
                Inst::LookChars(look) => {
                    if look.found(t, text, pos, end) != look.negate {
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::Look {
                    prog,
                    behind,
                    width,
                    negate,
                    loose,
                } => {
                    let from = if *behind {
                        pos.checked_sub(*width)
                    } else {
                        Some(pos)
                    };
                    let found = from.is_some_and(|from| {
                        loose.is_none_or(|k| self.may_match(k, text, from, end, s))
                            && self.run(t, *prog, text, from, end, false, s).is_some()
                    });
                    if found != *negate {
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::Atomic(p) => match self.run(t, *p, text, pos, end, false, s) {
                    Some(e) => {
                        pos = e;
                        pc += 1;
                        true
                    }
                    None => false,
                },
                Inst::Match => {
                    if full && pos != end {
                        false
                    } else {
                        break 'outer Some(pos);
                    }
                }
            };
            if ok {
                continue;
            }
            // backtrack
            loop {
                if s.frames.len() == base {
                    break 'outer None;
                }
                match s.frames.pop().expect("frame") {
                    Frame::Alt(to, p) => {
                        pc = to;
                        pos = p;
                        break;
                    }
                    Frame::Restore(slot, old) => s.slots[slot] = old,
                    Frame::Greedy(next, lo, p) => {
                        let p = p - 1;
                        if p > lo {
                            s.frames.push(Frame::Greedy(next, lo, p));
                        }
                        pc = next;
                        pos = p;
                        break;
                    }
                    Frame::Lazy(inst, p, hi) => {
                        let Inst::RepChar { test, .. } = &code[inst] else {
                            unreachable!("lazy frame without its repeat")
                        };
                        if p < hi && test.matches(t, text[p]) {
                            s.frames.push(Frame::Lazy(inst, p + 1, hi));
                            pc = inst + 1;
                            pos = p + 1;
                            break;
                        }
                    }
                    Frame::Branch(inst, k, p) => {
                        let Inst::Branch(b) = &code[inst] else {
                            unreachable!("branch frame without its branch")
                        };
                        pos = p;
                        if self.enter_branch(b, inst, k, t, text, pos, end, s, &mut pc) {
                            break;
                        }
                    }
                }
            }
        };
        // a successful sub-run leaves no choice points behind (atomic); captures set in it
        // stay, as they do in `re`
        if result.is_some() && prog != 0 {
            let mut kept = base;
            for i in base..s.frames.len() {
                if let Frame::Restore(..) = s.frames[i] {
                    s.frames.swap(kept, i);
                    kept += 1;
                }
            }
            s.frames.truncate(kept);
        }
        if result.is_some() && prog == 0 {
            s.frames.truncate(base);
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn enter_branch(
        &self,
        b: &BranchIndex,
        inst: usize,
        from: usize,
        t: &Tables,
        text: &[u32],
        pos: usize,
        end: usize,
        s: &mut Scratch,
        pc: &mut usize,
    ) -> bool {
        let list = Self::candidates(b, text, pos, end);
        let mut k = from;
        while k < list.len() {
            let alt = list[k];
            k += 1;
            if Self::admits(b, alt, t, text, pos, end) {
                if k < list.len() {
                    s.frames.push(Frame::Branch(inst, k, pos));
                }
                *pc = b.alts[alt as usize];
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::{find_any, find_pair, Pick, Regex, Tables};

    fn utf32(s: &str) -> Vec<u32> {
        s.chars().map(u32::from).collect()
    }

    /// Tables without a non-ASCII word character or fold.
    fn ascii_tables() -> Tables {
        let flags = vec![0u8; crate::tables::N_CODE_POINTS];
        Tables::new(
            flags,
            Default::default(),
            Default::default(),
            Default::default(),
            None,
        )
        .expect("tables")
    }

    /// `ab(?!c+d)`, whose lookahead body has a looser DFA of its own (as does the pattern).
    fn ab_not_cd(t: &Tables) -> Regex {
        let lit = |c: u8| (1, i64::from(c), 0, 0);
        let nodes = [
            (0, 3, 0, 0),
            lit(b'a'),
            lit(b'b'),
            (9, 1, 1, 0),
            (0, 2, 0, 0),
            (8, 1, -1, 0),
            (0, 1, 0, 0),
            lit(b'c'),
            lit(b'd'),
        ];
        Regex::new(t, &nodes).expect("a pattern")
    }

    #[test]
    fn a_scratch_keeps_its_regex_caches_and_gives_them_back() {
        let t = ascii_tables();
        let (re, other) = (ab_not_cd(&t), ab_not_cd(&t));
        assert_eq!(re.looses.len(), 2);
        let text = utf32("xxabcd abcccd abcx ab");
        let found = |s: &mut super::Scratch| {
            let mut at = Vec::new();
            let mut p = 0;
            while let Some((a, b)) = re.search(&t, &text, p, text.len(), s) {
                at.push((a, b));
                p = b;
            }
            at
        };
        let want = vec![(14, 16), (19, 21)];
        {
            let mut s = re.scratch();
            assert_eq!(found(&mut s), want);
            assert_eq!(found(&mut s), want);
            assert!(re.spare.lock().expect("spare").is_empty());
        }
        // (dropped: its caches are back, warm, for the next scratch)
        assert_eq!(re.spare.lock().expect("spare").len(), 1);
        let mut s = re.scratch();
        assert!(re.spare.lock().expect("spare").is_empty());
        assert_eq!(found(&mut s), want);
        // (the pattern's looser DFA, the last: "ab")
        assert!(!re.may_match(1, &text, 0, text.len(), &mut s));
        assert!(re.may_match(1, &text, 2, text.len(), &mut s));
        // another regex's scratch: no looser check, the same matches
        let mut s = other.scratch();
        assert_eq!(found(&mut s), want);
        assert!(re.may_match(1, &text, 0, text.len(), &mut s));
    }

    #[test]
    fn starts_found_backward_are_where_the_looser_pattern_matches() {
        let t = ascii_tables();
        let plain = ab_not_cd(&t);
        let nodes = [
            (0, 3, 0, 0),
            (1, i64::from(b'a'), 0, 0),
            (1, i64::from(b'b'), 0, 0),
            (9, 1, 1, 0),
            (0, 2, 0, 0),
            (8, 1, -1, 0),
            (0, 1, 0, 0),
            (1, i64::from(b'c'), 0, 0),
            (1, i64::from(b'd'), 0, 0),
        ];
        let re = Regex::with_starts(&t, &nodes).expect("a pattern");
        assert!(plain.rev.is_none() && re.rev.is_some());
        // "ab" on either side of the bit words' edges
        let mut long = "x".repeat(200);
        for at in [0, 62, 64, 126, 128, 190, 198] {
            long.replace_range(at..at + 2, "ab");
        }
        for text in [
            "xxabcd abcccd abcx ab",
            "",
            "a",
            "ab",
            &long,
            "abcd\u{e9}ab\u{e9}",
        ] {
            let text = utf32(text);
            let (mut s, mut s_plain) = (re.scratch(), plain.scratch());
            assert!(plain.starts(&text, 0, &mut s_plain).is_none());
            for from in [0, 1, 63, 64] {
                let Some(starts) = re.starts(&text, from, &mut s) else {
                    panic!("no starts from {from}");
                };
                let loose = re.loose.expect("a looser DFA");
                for p in from.min(text.len())..=text.len() {
                    assert_eq!(
                        starts.next(p, p) == Some(p),
                        re.may_match(loose, &text, p, text.len(), &mut s),
                        "at {p} from {from}"
                    );
                }
                for pos in from.min(text.len())..=text.len() {
                    for last in pos..=text.len() {
                        assert_eq!(
                            re.search_starting_by(
                                &t,
                                &text,
                                pos,
                                last,
                                text.len(),
                                Some(&starts),
                                &mut s
                            ),
                            plain.search_starting_by(
                                &t,
                                &text,
                                pos,
                                last,
                                text.len(),
                                None,
                                &mut s_plain
                            ),
                            "{pos}..{last} from {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn find_pair_finds_the_first_pair_in_either_case() {
        let m = Pick::of(1 << b'm' | 1 << b'M').expect("a letter in either case");
        let i = Pick::of(1 << b'i' | 1 << b'I').expect("a letter in either case");
        assert!(Pick::of(1 << b'm' | 1 << b'N').is_none());
        assert!(Pick::of(1 << b'm' | 1 << b'n').is_none());
        assert!(Pick::of(1 << b'1' | 1 << b'Q').is_none());
        let utf32 = |s: &str| s.chars().map(u32::from).collect::<Vec<u32>>();
        for (text, ascii_only, any) in [
            ("mix", 0, 0),
            ("a long text with many m's: mm, Ma, am, then MIX", 44, 44),
            (
                "a long text with many m's: mm, Ma, am, then m\u{131}x or mIx",
                51,
                44,
            ),
            ("no pair here, m at the very end: m", 34, 34),
            ("", 0, 0),
        ] {
            let text = utf32(text);
            assert_eq!(
                find_pair(&text, 0, text.len(), m, i, false),
                ascii_only.min(text.len())
            );
            assert_eq!(
                find_pair(&text, 0, text.len(), m, i, true),
                any.min(text.len())
            );
        }
        // a pair cut by the end is none
        let text = utf32("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxmi");
        assert_eq!(
            find_pair(&text, 0, text.len() - 1, m, i, true),
            text.len() - 1
        );
        assert_eq!(find_pair(&text, 0, text.len(), m, i, true), text.len() - 2);
        for from in 0..20 {
            assert_eq!(
                find_pair(&text, from, text.len(), m, i, false),
                text.len() - 2
            );
        }
    }

    #[test]
    fn find_pair_agrees_with_a_plain_scan_at_every_block_position() {
        let m = Pick::of(1 << b'm' | 1 << b'M').expect("a letter in either case");
        let i = Pick::of(1 << b'i' | 1 << b'I').expect("a letter in either case");
        let dot = Pick::of(1 << b'.').expect("one character");
        let plain = |text: &[u32], from: usize, end: usize, a: Pick, b: Pick, wide: bool| {
            (from..end.saturating_sub(1))
                .find(|&p| a.has(text[p]) && (b.has(text[p + 1]) || (wide && text[p + 1] >= 128)))
                .unwrap_or(end)
        };
        // characters whose low byte, or low byte with 0x20, is an "m", "i" or ".", and
        // characters past ASCII that a byte view keeps (0x80..=0xFF) or saturates
        let noise = [
            0x14d, 0x149, 0x16d, 0x169, 0x10069, 0x1006d, 0x2e, 0x12e, 0xcd, 0xc9, 0xff, 0xed,
            0x80, 0x7f, 0x20, 0x4d, 0x6d, 0x49, 0x69, 0x78,
        ];
        let mut seed = 7u32;
        for len in [0usize, 1, 16, 17, 18, 33, 40, 70] {
            for _ in 0..40 {
                let text: Vec<u32> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        noise[(seed >> 16) as usize % noise.len()]
                    })
                    .collect();
                for from in [0, 1, 15, 16, 17] {
                    for end in [len, len.saturating_sub(1), 17, 33] {
                        let end = end.min(len);
                        for (a, b) in [(m, i), (i, m), (dot, m), (m, dot)] {
                            for wide in [false, true] {
                                assert_eq!(
                                    find_pair(&text, from, end, a, b, wide),
                                    plain(&text, from.min(end), end, a, b, wide),
                                    "{text:x?} from {from} end {end} wide {wide}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn find_any_finds_the_first_listed_character() {
        let chars = [b'm', b'M', b'm', b'M'].map(u32::from);
        let text: Vec<u32> = "x".repeat(40).chars().map(u32::from).collect();
        for at in [0, 1, 15, 16, 17, 31, 32, 39] {
            let mut t = text.clone();
            t[at] = u32::from(b'M');
            if at + 3 < t.len() {
                t[at + 3] = u32::from(b'm');
            }
            for from in [0, at.saturating_sub(1), at] {
                assert_eq!(
                    find_any(&t, from, t.len(), &chars),
                    at,
                    "at {at} from {from}"
                );
            }
            assert_eq!(find_any(&t, at + 4, t.len(), &chars), t.len());
            assert_eq!(find_any(&t, 0, at, &chars), at);
        }
        assert_eq!(find_any(&[], 0, 5, &chars), 0);
    }
}
