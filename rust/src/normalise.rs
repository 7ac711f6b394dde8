//! The text normaliser: a port of `amberline/text/normalise.py` and `chars.py`.
//!
//! The Python module is the reference (its docstrings give the why); this one must produce
//! the same text, offset maps and obfuscation records for every input, which
//! `tests/test_core_differential.py` checks. It computes what the Python reference
//! (`_slow(text, ..., None, True)`) computes, without the Python fast paths' gate: a scan here
//! costs a few nanoseconds per character.

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::edits::{compose, Edit, Maps, Repl};
use crate::numbers::Parsed;
use crate::tables::{Tables, ALNUM, ALPHA, GLYPH, INVISIBLE, MAPPED};

pub const COMPAT_FORM: u8 = 0;
pub const SCRIPT_DIGITS: u8 = 1;
pub const TYPOGRAPHY: u8 = 2;
pub const INVISIBLE_KIND: u8 = 3;
pub const CONTROL: u8 = 4;
pub const HOMOGLYPH: u8 = 5;

/// The kinds of obfuscation, by id (the order of `normalise.KINDS`).
pub const KIND_NAMES: [&str; 9] = [
    "compat_form",
    "script_digits",
    "typography",
    "invisible",
    "control",
    "homoglyph",
    "spelled_digits",
    "letter_digits",
    "emoji_separator",
];

/// Each kind's place in the alphabetical order of the names (Python sorts by the name), by id;
/// `tests::kind_ranks_follow_the_names` checks it against `KIND_NAMES`.
const KIND_RANK: [u8; 9] = [0, 6, 8, 4, 1, 3, 7, 5, 2];

fn kind_rank(kind: u8) -> u8 {
    KIND_RANK[kind as usize]
}

/// One merged obfuscation: normalised [start, end), kind, original [orig_start, orig_end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Obfuscation {
    pub start: usize,
    pub end: usize,
    pub kind: u8,
    pub orig_start: usize,
    pub orig_end: usize,
}

/// A text the normaliser changed (an unchanged text has no result: `offsets` is None).
#[derive(Debug, Default)]
pub struct Normalised {
    pub text: Vec<u32>,
    /// (u32: `normalise_all` takes no text longer than an int32 offset reaches)
    pub starts: Vec<u32>,
    pub ends: Vec<u32>,
    /// Every edit kept its length (the maps are the identity); set only where Python sets it.
    pub same_offsets: bool,
    pub obfuscations: Vec<Obfuscation>,
}

/// Buffers that normalising one text leaves for the next to reuse: a batch's changed texts
/// would otherwise each allocate, grow and free a dozen vectors. Each use clears what it
/// fills, so whatever a panic leaves in them is harmless.
#[derive(Default)]
pub struct Work {
    /// The character stage's edits of this round, of the last one, and its look-alikes.
    edits: Vec<Edit>,
    last_edits: Vec<Edit>,
    glyphs: Vec<Edit>,
    /// The number stage's edits, the scratch of its backtracking walk, its start marks and
    /// the runs it parses.
    number_edits: Vec<Edit>,
    stack: Vec<(usize, usize)>,
    marks: Vec<u64>,
    parsed: Parsed,
    /// The text after the last round and the next one being made.
    text: Vec<u32>,
    next: Vec<u32>,
    /// The last round's text to the original, the next text to the last, and the two composed.
    maps: Maps,
    step: Maps,
    composed: Maps,
    /// Every edit's stretch of the original text, and each placed in the normalised text.
    spans: Vec<(usize, usize, u8)>,
    mapped: Vec<Mapped>,
    /// The last changed text's result (see `Tables::normalise`).
    pub result: Normalised,
}

/// Line-breaking controls that become "\n".
fn to_newline(c: u32) -> bool {
    matches!(c, 0x0B | 0x0C | 0x1C | 0x1D | 0x1E | 0x85 | 0x2028 | 0x2029)
}

/// Is this printable ASCII (" " to "~")?
#[inline]
fn printable(c: u32) -> bool {
    c.wrapping_sub(0x20) < 0x5F
}

/// How many characters at the start of `t` are printable ASCII: sixteen at a time (with SSE2,
/// part of every x86-64: narrowed to bytes, where the first other one is found by its bit),
/// then one by one for the last few.
#[inline]
fn skip_printable(t: &[u32]) -> usize {
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            _mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_movemask_epi8, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is in every x86-64 target; each unaligned load reads four u32 of
        // t[i..i + 16], which is within `t`. Signed saturation to 16 bits then unsigned to 8
        // keeps ASCII and makes every other value a byte that is not printable ASCII (0x80 to
        // 0xFF, or 0 for a value past 2^31).
        unsafe {
            let (low, high) = (_mm_set1_epi8(0x1F), _mm_set1_epi8(0x7F));
            while i + 16 <= t.len() {
                let bytes = crate::simd::code_point_bytes(t.as_ptr().add(i));
                // (as signed bytes: 0x20..=0x7E are exactly those above 0x1F and below 0x7F)
                let ok = _mm_and_si128(_mm_cmpgt_epi8(bytes, low), _mm_cmplt_epi8(bytes, high));
                let ok = _mm_movemask_epi8(ok) as u32;
                if ok != 0xFFFF {
                    return i + (!ok).trailing_zeros() as usize;
                }
                i += 16;
            }
        }
    }
    i + t[i..]
        .iter()
        .position(|&c| !printable(c))
        .unwrap_or(t.len() - i)
}

impl Tables {
    /// `chars.char_edits`: stage one edits, sorted by start, non-overlapping, into `edits`
    /// (cleared first; `glyphs` is scratch space).
    pub fn char_edits(&self, t: &[u32], edits: &mut Vec<Edit>, glyphs: &mut Vec<Edit>) {
        edits.clear();
        let mut any_glyph = false;
        let n = t.len();
        let mut i = 0;
        while i < n {
            // Printable ASCII, most of any ad, needs nothing: skipped sixteen at a time, then
            // straight to the first other character of the block that holds one.
            i += skip_printable(&t[i..]);
            if i == n {
                break;
            }
            let c = t[i];
            if c >= 0xA0 && self.needs_nothing(c) {
                // Past the C1 controls most characters (emoji, other scripts, symbols) need
                // nothing either, and come in runs.
                i += 1;
                while i < n && t[i] >= 0xA0 && self.needs_nothing(t[i]) {
                    i += 1;
                }
                continue;
            }
            if (0x20..0x7F).contains(&c) || c == 0x09 || c == 0x0A || c == 0x0D {
                i += 1;
                continue;
            }
            if to_newline(c) {
                edits.push(Edit::new(i, i + 1, Repl::Char(0x0A), CONTROL));
            } else if c == 0x20E3 {
                // keycap: digit, optional U+FE0F, U+20E3 -> the digit
                let base = if i > 0 && t[i - 1] == 0xFE0F {
                    i - 1
                } else {
                    i
                };
                if base > 0 && matches!(t[base - 1], 0x30..=0x39 | 0x23 | 0x2A) {
                    while edits.last().is_some_and(|e| e.start + 1 >= base) {
                        edits.pop();
                    }
                    edits.push(Edit::new(
                        base - 1,
                        i + 1,
                        Repl::Char(t[base - 1]),
                        COMPAT_FORM,
                    ));
                }
            } else {
                let f = self.flags_of(c);
                if f & MAPPED != 0 {
                    let kind = self.mapping.get(&c).map_or(COMPAT_FORM, |m| m.1);
                    edits.push(Edit::new(i, i + 1, Repl::Mapped(c), kind));
                } else if f & INVISIBLE != 0 {
                    edits.push(Edit::new(i, i + 1, Repl::Empty, INVISIBLE_KIND));
                } else if c <= 0x9F {
                    edits.push(Edit::new(i, i + 1, Repl::Empty, CONTROL));
                } else if f & GLYPH != 0 {
                    any_glyph = true;
                }
            }
            i += 1;
        }
        if !any_glyph {
            return;
        }
        self.homoglyph_edits(t, glyphs);
        if glyphs.is_empty() {
            return;
        }
        edits.extend_from_slice(glyphs);
        edits.sort_by_key(|e| e.start);
    }

    /// Look-alikes inside words (letters and digits) that are Latin in disguise, into `out`
    /// (cleared first).
    fn homoglyph_edits(&self, t: &[u32], out: &mut Vec<Edit>) {
        out.clear();
        let mut i = 0;
        while i < t.len() {
            if !self.flag(t[i], ALNUM) {
                i += 1;
                continue;
            }
            let s = i;
            let mut glyph = false;
            while i < t.len() && self.flag(t[i], ALNUM) {
                glyph |= self.flag(t[i], GLYPH);
                i += 1;
            }
            if glyph && self.is_disguised_latin(&t[s..i]) {
                for (k, &c) in t[s..i].iter().enumerate() {
                    if let Some(&latin) = self.homoglyphs.get(&c) {
                        out.push(Edit::new(s + k, s + k + 1, Repl::Char(latin), HOMOGLYPH));
                    }
                }
            }
        }
    }

    /// `chars._is_disguised_latin`: a word mixing look-alikes into Latin letters, or into
    /// digits only. (A word's characters are letters or digits assigned in the running
    /// Python's Unicode version, whose NFKC forms later versions keep unchanged.)
    fn is_disguised_latin(&self, token: &[u32]) -> bool {
        // An ASCII letter followed by nothing, by ASCII or by a character NFKC keeps wherever
        // it stands is in the word's NFKC form as it is: NFKC composes an ASCII letter only
        // with a character after it that may be a composition's second, which none of those
        // is (nor can one before it take it as its second). So the word holds a Latin letter
        // whatever NFKC makes of the rest (most words with a look-alike that is not in NFKC,
        // "ℓ" among them, are answered so, without building their NFKC form).
        let kept_letter = token.iter().enumerate().any(|(k, &c)| {
            matches!(c, 0x41..=0x5A | 0x61..=0x7A)
                && token
                    .get(k + 1)
                    .is_none_or(|&next| next < 0x80 || self.nfkc_stable(next))
        });
        if kept_letter {
            return true;
        }
        let chars = token
            .iter()
            .map(|&c| char::from_u32(c).unwrap_or('\u{fffd}'));
        // Most words are in NFKC already, which the quick check tells without building it.
        // (Its ASCII letters and digits and the characters NFKC keeps wherever they stand are
        // left out of the check: they are NFKC and of combining class 0, so they can neither
        // fail it nor separate two marks out of order.)
        let owned: Vec<u32>;
        let unsure = chars
            .clone()
            .filter(|&c| !c.is_ascii() && !self.nfkc_stable(u32::from(c)));
        let folded: &[u32] = if token.iter().all(|&c| char::from_u32(c).is_some())
            && is_nfkc_quick(unsure) == IsNormalized::Yes
        {
            token
        } else {
            owned = chars.nfkc().map(u32::from).collect();
            &owned
        };
        if folded
            .iter()
            .any(|&c| matches!(c, 0x41..=0x5A | 0x61..=0x7A))
        {
            return true;
        }
        if folded.iter().any(|&c| (0x30..=0x39).contains(&c)) {
            return folded
                .iter()
                .all(|&c| !self.flag(c, ALPHA) || self.homoglyphs.contains_key(&c));
        }
        false
    }

    /// Whether `char_edits` may find anything in `t`, which applying `edits` (the last
    /// round's, all of them found) made: false only where it finds nothing for sure, so that
    /// most changed texts are not scanned a second time. A character the last round kept
    /// gets the same answer again unless what it depends on moved next to an edit: a keycap
    /// reads the two characters before it, a look-alike its word. So every window of the
    /// new text around an edit's replacement (its words on both sides, and two characters
    /// after it) must hold only characters that need nothing whatever surrounds them.
    fn may_edit_again(&self, t: &[u32], edits: &[Edit]) -> bool {
        let n = t.len();
        // Where each replacement landed, walked as `apply` walks the edits.
        let (mut at, mut pos) = (0, 0);
        // The windows move right: `checked` ends what is already known inert, and `word_end`
        // the last word walked to its end. So each character is walked and checked once,
        // not once per edit of its word (a word of 10^5 mapped letters, "ﬁﬁﬁ…", took
        // minutes).
        let (mut checked, mut word_end) = (0, 0);
        for e in edits {
            if pos < e.start {
                at += e.start - pos;
            }
            let (start, end) = (at, at + self.repl(&e.repl).len());
            at = end;
            pos = e.end;
            let mut lo = start;
            while lo > checked && self.flag(t[lo - 1], ALNUM) {
                lo -= 1;
            }
            let mut hi = end;
            if hi <= word_end {
                hi = word_end;
            } else {
                while hi < n && self.flag(t[hi], ALNUM) {
                    hi += 1;
                }
                word_end = hi;
            }
            let hi = hi.max((end + 2).min(n));
            let lo = lo.max(checked);
            if lo < hi && !t[lo..hi].iter().all(|&c| self.inert(c)) {
                return true;
            }
            checked = checked.max(hi);
        }
        false
    }

    /// A character past the C1 controls that `char_edits` passes by: no line break, keycap,
    /// mapped, invisible or look-alike character.
    #[inline(always)]
    fn needs_nothing(&self, c: u32) -> bool {
        self.flags_of(c) & (MAPPED | INVISIBLE | GLYPH) == 0
            && !matches!(c, 0x20E3 | 0x2028 | 0x2029)
    }

    /// A character `char_edits` neither edits nor looks at twice wherever it stands: printable
    /// ASCII, tab, line feed, carriage return, or a character past the C1 controls that is
    /// no line break, keycap, mapped, invisible or look-alike character.
    #[inline]
    fn inert(&self, c: u32) -> bool {
        printable(c) || matches!(c, 0x09 | 0x0A | 0x0D) || (c > 0x9F && self.needs_nothing(c))
    }

    /// `normalise(text)`: false when nothing changed, else true with the result in
    /// `work.result`.
    pub fn normalise(&self, text: &[u32], work: &mut Work) -> bool {
        if let Some(p) = self.panic_on {
            assert!(!text.contains(&p), "test panic requested for this text");
        }
        let w = work;
        w.spans.clear();
        // Stage one, repeated until nothing changes, at most three rounds; once it changed
        // the text, `w.text` holds it and `w.maps` its maps to `text`.
        let mut changed = false;
        for round in 0..3 {
            let cur: &[u32] = if changed { &w.text } else { text };
            if round > 0 && !self.may_edit_again(cur, &w.last_edits) {
                break;
            }
            self.char_edits(cur, &mut w.edits, &mut w.glyphs);
            if w.edits.is_empty() {
                break;
            }
            self.apply(cur, &w.edits, &mut w.next, &mut w.step);
            if changed {
                later_step(
                    &mut w.spans,
                    &w.edits,
                    &w.maps,
                    &w.step,
                    text.len(),
                    &mut w.composed,
                );
                std::mem::swap(&mut w.maps, &mut w.composed);
            } else {
                w.spans
                    .extend(w.edits.iter().map(|e| (e.start, e.end, e.kind)));
                std::mem::swap(&mut w.maps, &mut w.step);
            }
            std::mem::swap(&mut w.text, &mut w.next);
            std::mem::swap(&mut w.edits, &mut w.last_edits);
            changed = true;
        }
        let text1: &[u32] = if changed { &w.text } else { text };
        self.number_edits(
            text1,
            &mut w.number_edits,
            &mut w.stack,
            &mut w.marks,
            &mut w.parsed,
        );
        if !changed && w.number_edits.is_empty() {
            return false;
        }
        let r = &mut w.result;
        if w.number_edits.is_empty() {
            std::mem::swap(&mut r.text, &mut w.text);
            std::mem::swap(&mut r.starts, &mut w.maps.starts);
            std::mem::swap(&mut r.ends, &mut w.maps.ends);
        } else {
            self.apply(text1, &w.number_edits, &mut w.next, &mut w.step);
            std::mem::swap(&mut r.text, &mut w.next);
            if !changed {
                // Stage one changed nothing: where each edit lands follows from the edits.
                r.same_offsets = self.landed(&w.number_edits, &mut w.mapped);
                std::mem::swap(&mut r.starts, &mut w.step.starts);
                std::mem::swap(&mut r.ends, &mut w.step.ends);
                merge(&mut w.mapped, &mut r.obfuscations);
                return true;
            }
            later_step(
                &mut w.spans,
                &w.number_edits,
                &w.maps,
                &w.step,
                text.len(),
                &mut w.composed,
            );
            std::mem::swap(&mut r.starts, &mut w.composed.starts);
            std::mem::swap(&mut r.ends, &mut w.composed.ends);
        }
        r.same_offsets = false;
        let starts = &r.starts[..r.starts.len() - 1];
        w.mapped.clear();
        w.mapped.extend(w.spans.iter().map(|&(s, e, kind)| {
            let ns = starts.partition_point(|&x| (x as usize) < s);
            let ne = starts.partition_point(|&x| (x as usize) < e);
            (ns, ne, kind, s, e)
        }));
        merge(&mut w.mapped, &mut r.obfuscations);
        true
    }

    /// `normalise._landed`: where each edit of a list applied to the original text lands.
    /// Into `out` (cleared first); returns whether every edit kept its length.
    fn landed(&self, edits: &[Edit], out: &mut Vec<Mapped>) -> bool {
        out.clear();
        let mut shift: isize = 0;
        let mut same = true;
        for e in edits {
            let ns = (e.start as isize + shift) as usize;
            let r = self.repl(&e.repl).len();
            out.push((ns, ns + r, e.kind, e.start, e.end));
            if r != e.end - e.start {
                shift += r as isize - (e.end - e.start) as isize;
                same = false;
            }
        }
        same
    }
}

/// A step after the first: its `edits` (of the text `maps` maps to the original) added to
/// `spans` in the original's offsets, and `composed` = the step's maps composed with `maps`.
fn later_step(
    spans: &mut Vec<(usize, usize, u8)>,
    edits: &[Edit],
    maps: &Maps,
    step: &Maps,
    n_original: usize,
    composed: &mut Maps,
) {
    spans.extend(edits.iter().map(|e| {
        let (s, e_) = (maps.starts[e.start], maps.ends[e.end - 1]);
        (s as usize, e_ as usize, e.kind)
    }));
    compose(maps, step, n_original, composed);
}

/// (normalised start, end, kind, original start, end) of one edit.
type Mapped = (usize, usize, u8, usize, usize);

/// `normalise._merge`: spans of one kind that touch or overlap once mapped become one; into
/// `runs` (cleared first; `mapped` is sorted in place).
fn merge(mapped: &mut [Mapped], runs: &mut Vec<Obfuscation>) {
    mapped.sort_by_key(|&(ns, ne, kind, s, e)| (ns, ne, kind_rank(kind), s, e));
    let mut last_of: [Option<usize>; KIND_NAMES.len()] = [None; KIND_NAMES.len()];
    runs.clear();
    for &(ns, ne, kind, s, e) in mapped.iter() {
        match last_of[kind as usize] {
            Some(i) if runs[i].end >= ns => {
                let last = &mut runs[i];
                last.end = last.end.max(ne);
                last.orig_start = last.orig_start.min(s);
                last.orig_end = last.orig_end.max(e);
            }
            _ => {
                last_of[kind as usize] = Some(runs.len());
                runs.push(Obfuscation {
                    start: ns,
                    end: ne,
                    kind,
                    orig_start: s,
                    orig_end: e,
                });
            }
        }
    }
    runs.sort_by_key(|o| (o.start, o.end, kind_rank(o.kind)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_is_skipped_up_to_the_first_other_character() {
        // Each character at each place of texts around the eight-character blocks.
        for c in [
            0x00, 0x09, 0x0A, 0x1F, 0x20, 0x41, 0x7E, 0x7F, 0x80, 0xA0, 0xFFFF, 0x10FFFF,
        ] {
            for len in 0..40 {
                for at in 0..len {
                    let mut t = vec![u32::from(b'a'); len];
                    t[at] = c;
                    let want = if (0x20..0x7F).contains(&c) { len } else { at };
                    assert_eq!(skip_printable(&t), want, "{c:#x} at {at} of {len}");
                }
            }
        }
        assert_eq!(skip_printable(&[u32::MAX, 0x41]), 0);
    }

    #[test]
    fn kind_ranks_follow_the_names() {
        for (kind, name) in KIND_NAMES.iter().enumerate() {
            let rank = KIND_NAMES.iter().filter(|&&other| other < *name).count();
            assert_eq!(usize::from(kind_rank(kind as u8)), rank, "{name}");
        }
    }
}
