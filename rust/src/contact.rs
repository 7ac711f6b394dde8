//! The contact extractors: e-mail addresses, web addresses and social handles.
//!
//! Why: the Python extractors (`extract/emails.py`, `urls.py`, `handles.py`) are the
//! specification; their regexes run in Python over every batch. This is a port that finds
//! exactly their matches in one call per batch and returns columns.
//!
//! Each text becomes one byte per code point (its "class byte"): ASCII stays itself, and any
//! other character becomes a byte that says what the patterns ask of it (a word character, a
//! decimal digit, whitespace, one of the few non-ASCII characters a pattern names, or one of the
//! characters Python's case-insensitive `re` matches to an ASCII letter), decided by the running
//! Python's Unicode tables. So the byte regexes below see what Python's `re` sees, and their
//! offsets are code point offsets with no conversion.
//!
//! The Python patterns use lookarounds and possessive quantifiers, which the `regex` crate does
//! not have. A one-character lookbehind becomes a consumed prefix (`\A` or a character not in
//! the class), a one-character lookahead becomes a consumed suffix (or `\z`), and the search
//! loop keeps `finditer`'s positions (a match may not start before the previous one ended).
//! The possessive quantifiers in the e-mail and URL patterns are followed by something the
//! quantified class cannot match, so they equal greedy ones there. The handle patterns, whose
//! possessive groups do change the result, are matched by hand, following the backtracking
//! order of the Python regex step by step.
//!
//! A text is split at the batch separator "\n\f\n" (no pattern matches across it and its
//! characters act as the edges of a text do), and handles in a piece that names a WhatsApp
//! phone (a `whatsapp` cue before a number, a wa.me link) are left to the Python extractor for
//! that piece: their value needs the phone parser.

use std::collections::{HashMap, HashSet};

use regex::bytes::{Captures, Regex, RegexBuilder};

use crate::tables::{ALNUM, DECIMAL, FOLDS, N_CODE_POINTS, SPACE};

const OTHER: u8 = 0x80;
const WORD: u8 = 0x81;
const DIGIT: u8 = 0x82;
const BLANK: u8 = 0x83;
/// U+2010..=U+2015 (dashes) are 0x84..=0x89.
const DASHES: u8 = 0x84;
const EN_DASH: u8 = DASHES + 3;
/// The characters that are not ASCII and that a pattern names: the dashes, the currency signs.
const NAMED: [u32; 9] = [
    0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0xa3, 0x20ac, 0xa5,
];
/// U+00A3, U+20AC, U+00A5: currency signs a phone pattern names.
const POUND: u8 = 0x8a;
const EURO: u8 = 0x8b;
const YEN: u8 = 0x8c;
/// Characters Python's case-insensitive `re` matches to an ASCII letter: FOLD0 + index.
const FOLD0: u8 = 0x90;
const MAX_FOLDS: usize = 0x100 - FOLD0 as usize;
/// The longest TLD the core takes.
const MAX_TLD: usize = 24;

/// Row kinds (column 0 of a row).
pub const EMAIL: i64 = 0;
pub const EMAIL_SPELLED: i64 = 1;
pub const URL: i64 = 2;
pub const URL_BARE: i64 = 3;
pub const HANDLE: i64 = 4;
/// A piece of text whose handles the Python extractor finds (a WhatsApp phone in it).
pub const HANDLE_PYTHON: i64 = 5;

/// Platforms, as `HANDLE` rows give them (column 3).
pub const PLATFORMS: [&str; 8] = [
    "twitter",
    "instagram",
    "snapchat",
    "whatsapp",
    "telegram",
    "wechat",
    "kik",
    "unknown",
];
const SNAPCHAT: usize = 2;
const WHATSAPP: usize = 3;
const INSTAGRAM: usize = 1;
const TWITTER: usize = 0;
const TELEGRAM: usize = 4;
const WECHAT: usize = 5;
const KIK: usize = 6;
const UNKNOWN: usize = 7;

/// The cue alternatives of `handles._CUE`, in its order: (first part, part after an optional
/// space or tab, platform, weak). `insta(?:gram)?` is "instagram" tried before "insta".
const CUES: [(&str, &str, usize, bool); 13] = [
    ("snap", "chat", SNAPCHAT, false),
    ("snap", "", SNAPCHAT, true),
    ("sc", "", SNAPCHAT, true),
    ("instagram", "", INSTAGRAM, false),
    ("insta", "", INSTAGRAM, true),
    ("ig", "", INSTAGRAM, true),
    ("twitter", "", TWITTER, false),
    ("kik", "", KIK, false),
    ("telegram", "", TELEGRAM, false),
    ("tg", "", TELEGRAM, true),
    ("we", "chat", WECHAT, false),
    ("weixin", "", WECHAT, false),
    ("whats", "app", WHATSAPP, false),
];
/// The first letters (lower case) of the cue words and of the profile links.
const LEADS: [u8; 7] = *b"sitkwhx";
/// The connector words of `_CUE`, in its order.
const CONNECTORS: [&str; 10] = [
    "id", "me", "at", "is", "name", "handle", "username", "user", "add", "on",
];
/// The sites of `handles._LINK`, in its order, with their platforms.
const SITES: [(&str, usize); 9] = [
    ("t.me", TELEGRAM),
    ("telegram.me", TELEGRAM),
    ("wa.me", WHATSAPP),
    ("instagram.com", INSTAGRAM),
    ("instagr.am", INSTAGRAM),
    ("twitter.com", TWITTER),
    ("x.com", TWITTER),
    ("snapchat.com/add", SNAPCHAT),
    ("kik.me", KIK),
];
/// `handles._DOMAIN_END` without its dot.
const DOMAIN_ENDS: [&str; 12] = [
    "com", "net", "org", "co", "io", "me", "us", "uk", "ca", "info", "edu", "gov",
];
/// Confidence codes of `HANDLE` rows (column 4): cue 0.85, link 0.9, bare "@" 0.6.
const CUE_CONF: i64 = 0;
const LINK_CONF: i64 = 1;
const BARE_CONF: i64 = 2;

/// Everything the core needs from Python: Unicode tables and the extractors' word lists.
pub struct ContactSpec {
    pub flags: Vec<u8>,
    pub folds: Vec<(u32, u8)>,
    pub lower: Vec<(u32, u32)>,
    /// the common TLDs, in the order of the Python alternation (longest first)
    pub tlds: Vec<String>,
    pub wordy_tlds: Vec<String>,
    pub not_local: Vec<String>,
    pub not_names: Vec<String>,
    pub not_profile: Vec<String>,
    pub panic_on: Option<u32>,
}

/// One finding: kind, start, end, two kind-specific columns, and the value's bounds in the
/// batch's value text (in characters).
pub type Row = [i64; 7];

/// What a text gives: rows in each extractor's order, values appended to `values`.
#[derive(Default)]
pub struct Found {
    pub rows: Vec<Row>,
    pub values: String,
    n_chars: usize,
    /// The handles' start positions, a buffer kept from piece to piece.
    starts: Vec<usize>,
}

impl Found {
    fn value(&mut self, chars: impl Iterator<Item = char>) -> (i64, i64) {
        let start = self.n_chars;
        for c in chars {
            self.values.push(c);
            self.n_chars += 1;
        }
        (start as i64, self.n_chars as i64)
    }
}

pub struct Contact {
    /// Python's flags, with `FOLDS` also set on the case folds and on the characters a
    /// pattern names (`class_byte_special` decides those)
    flags: Vec<u8>,
    /// per flag byte without `FOLDS`: the class byte of a character that is not ASCII
    by_flag: [u8; 256],
    fold_of: HashMap<u32, u8>,
    /// per class byte: the ASCII character it matches case-insensitively (lower case), or 0
    fold_table: [u8; 256],
    /// per class byte: 1 if it may start a cue word or a profile link (case-insensitively),
    /// plus 1 << 32 if it is a word character
    lead_word: [u64; 256],
    /// no class byte past ASCII folds to "a" or "t" (`find_at` compares bytes then)
    ascii_at: bool,
    /// the first two characters (folded) of each cue word, of each profile link (its scheme,
    /// "www." or site), as bits of `pair_index`: a word start whose pair is in neither set
    /// can start neither
    cue_pairs: Box<[u64; 1024]>,
    link_pairs: Box<[u64; 1024]>,
    lower: HashMap<u32, u32>,
    word: [bool; 256],
    plain: Regex,
    spelled: Regex,
    split_dot: Regex,
    url: Regex,
    /// "://", which every URL with a scheme holds (boxed: the finder keeps 32-byte aligned
    /// vectors, and a Python object's memory is aligned to 16 bytes only)
    scheme_sep: Box<memchr::memmem::Finder<'static>>,
    wordy_tlds: HashSet<String>,
    /// the TLDs, lower case (for a quick check before the URL pattern runs)
    tld_set: HashSet<Vec<u8>>,
    not_local: HashSet<String>,
    not_names: HashSet<String>,
    not_profile: HashSet<String>,
    panic_on: Option<u32>,
}

/// A byte set rendered as a regex class (`negate`: its complement).
fn class(set: &[bool; 256], negate: bool) -> String {
    let mut out = String::from(if negate { "[^" } else { "[" });
    for (b, _) in set.iter().enumerate().filter(|(_, &on)| on) {
        out.push_str(&format!("\\x{b:02x}"));
    }
    out.push(']');
    out
}

fn with(set: &[bool; 256], extra: &[u8]) -> [bool; 256] {
    let mut out = *set;
    for &b in extra {
        out[b as usize] = true;
    }
    out
}

fn build(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| format!("contact pattern: {e}"))
}

#[inline]
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[inline]
fn is_alnum_ascii(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Python's `bisect_right` on (start, end) tuples.
fn bisect_right(list: &[(usize, usize)], x: (usize, usize)) -> usize {
    let (mut lo, mut hi) = (0, list.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if x < list[mid] {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// `handles._overlaps`: only the spans beside the bisection point are looked at.
fn overlaps_near(taken: &[(usize, usize)], start: usize, end: usize) -> bool {
    let i = bisect_right(taken, (start, end)) as isize - 1;
    let lo = i.max(0) as usize;
    let hi = ((i + 2).max(0) as usize).min(taken.len());
    taken
        .get(lo..hi.max(lo))
        .is_some_and(|near| near.iter().any(|&(a, b)| a < end && start < b))
}

/// The search loop of `finditer` for a pattern whose lookbehind is a consumed prefix:
/// `span` gives a match's (start, end) as Python's pattern would; a match starting before
/// the previous end is searched again one character later. `may_start(from)` is a position
/// at or after `from` before which no match starting at `from` or later can start, or None
/// when none can: the regex then neither runs over text that holds no match nor runs at all
/// after the last one (the lazy DFA's states for prose are never built).
fn find_all<'h>(
    re: &Regex,
    hay: &'h [u8],
    back: usize,
    may_start: impl Fn(usize) -> Option<usize>,
    span: impl Fn(&Captures<'h>) -> (usize, usize),
    mut found: impl FnMut(&Captures<'h>, usize, usize),
) {
    let mut pos = 0;
    let mut from = 0;
    while from <= hay.len() {
        let Some(at) = may_start(from) else {
            break;
        };
        let Some(caps) = re.captures_at(hay, at.max(from)) else {
            break;
        };
        let (start, end) = span(&caps);
        if start < pos {
            from = caps.get(0).map_or(hay.len(), |m| m.start()) + 1;
            continue;
        }
        found(&caps, start, end);
        pos = end;
        from = end.saturating_sub(back);
    }
}

/// What the last search asked: from where, and the first position found at or after it.
type Memo = std::cell::Cell<Option<(usize, Option<usize>)>>;

/// `find(from)`, the first position at or after `from` of something, remembered in `memo`:
/// `find_all` asks with rising positions, and searching afresh from each could go over the
/// same text again and again (once per match, on hostile input).
fn remembered(
    memo: &Memo,
    from: usize,
    find: impl FnOnce(usize) -> Option<usize>,
) -> Option<usize> {
    if let Some((asked, found)) = memo.get() {
        if asked <= from && found.is_none_or(|f| f >= from) {
            return found;
        }
    }
    let found = find(from);
    memo.set(Some((from, found)));
    found
}

fn group(caps: &Captures, name: &str) -> Option<(usize, usize)> {
    caps.name(name).map(|m| (m.start(), m.end()))
}

impl Contact {
    pub fn new(spec: ContactSpec) -> Result<Self, String> {
        if spec.flags.len() != N_CODE_POINTS {
            return Err(format!(
                "flag table has {} entries, expected {N_CODE_POINTS}",
                spec.flags.len()
            ));
        }
        if spec.folds.len() > MAX_FOLDS {
            return Err(format!(
                "{} case folds (at most {MAX_FOLDS})",
                spec.folds.len()
            ));
        }
        let mut fold_of = HashMap::new();
        let mut fold_letters = Vec::new();
        for &(c, letter) in &spec.folds {
            if c < 0x80 || c as usize >= N_CODE_POINTS || !letter.is_ascii_lowercase() {
                return Err(format!("bad case fold {c:#x} -> {letter}"));
            }
            fold_of.insert(c, FOLD0 + fold_letters.len() as u8);
            fold_letters.push(letter);
        }
        for c in NAMED {
            if spec.flags[c as usize] & (ALNUM | DECIMAL | SPACE) != 0 || fold_of.contains_key(&c) {
                return Err(format!(
                    "{c:#x} is expected to be no word character or space"
                ));
            }
        }
        let (mut word, mut space) = ([false; 256], [false; 256]);
        for b in 0..0x80usize {
            word[b] = b == usize::from(b'_') || spec.flags[b] & ALNUM != 0;
            space[b] = spec.flags[b] & SPACE != 0;
        }
        word[WORD as usize] = true;
        word[DIGIT as usize] = true;
        for i in 0..fold_letters.len() {
            word[FOLD0 as usize + i] = true;
        }
        space[BLANK as usize] = true;
        let ci = |text: &str| -> String {
            let mut out = String::new();
            for ch in text.chars() {
                if ch.is_ascii_alphabetic() {
                    let low = ch.to_ascii_lowercase() as u8;
                    out.push_str(&format!(
                        "[\\x{:02x}\\x{:02x}",
                        low,
                        low.to_ascii_uppercase()
                    ));
                    for (i, &l) in fold_letters.iter().enumerate() {
                        if l == low {
                            out.push_str(&format!("\\x{:02x}", FOLD0 as usize + i));
                        }
                    }
                    out.push(']');
                } else {
                    out.push_str(&regex::escape(&ch.to_string()));
                }
            }
            out
        };
        if spec.tlds.iter().any(|t| {
            t.is_empty() || t.len() > MAX_TLD || !t.bytes().all(|b| b.is_ascii_alphabetic())
        }) {
            return Err(format!("TLDs must be 1 to {MAX_TLD} ASCII letters"));
        }
        let tlds = format!(
            "(?:{})",
            spec.tlds
                .iter()
                .map(|t| ci(t))
                .collect::<Vec<_>>()
                .join("|")
        );
        let local = r"A-Za-z0-9._%+\-";
        let label = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?";
        let sp = r"[ \t]";
        let plain = format!(
            r"(?:\A|[^{local}])(?P<m>[A-Za-z0-9_][{local}]{{0,63}}@(?:{label}\.)+[A-Za-z]{{2,24}})(?:[^A-Za-z0-9\-]|\z)"
        );
        let spoken = |word: &str| {
            let w = ci(word);
            format!(
                r"(?:{sp}*{sep}{sp}*|{sp}*[\[({{<]{sp}*{w}{sp}*[\])}}>]{sp}*|{sp}+{w}{sp}+)",
                sep = if word == "at" { "@" } else { r"\." }
            )
        };
        let (at, dot) = (spoken("at"), spoken("dot"));
        let spelled = format!(
            r"(?:\A|[^{local}@])(?P<local>[A-Za-z0-9_][{local}]{{0,63}}){at}(?P<domain>(?:{label}{dot})+)(?P<tld>{tlds})(?:[^A-Za-z0-9\-]|\z)"
        );
        let before_url = class(&with(&word, b"@.-/ \t"), true);
        let path_char = class(&with(&space, b"<>\"'`{}|\\^"), true);
        let host_char = class(&with(&space, b"<>\"'`{}|\\^/"), true);
        let after_host = class(&with(&word, b"@-."), true);
        let not_word = class(&word, true);
        let url = format!(
            r"(?:\A|\A[ \t]|[^@][ \t]|{before_url})(?:(?P<scheme>(?:{http}|{ftp})://){host_char}+(?:[/?#]{path_char}*)?|(?P<host>(?:{label}\.)+{tlds})(?:(?P<path>[/?#]{path_char}*)|\z|{after_host}|\.(?:\z|{not_word})))",
            http = ci("https?").replace("\\?", "?"),
            ftp = ci("ftp"),
        );
        let set = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>();
        let mut fold_table = [0u8; 256];
        for (b, slot) in fold_table.iter_mut().enumerate().take(0x80) {
            *slot = (b as u8).to_ascii_lowercase();
        }
        for (i, &letter) in fold_letters.iter().enumerate() {
            fold_table[FOLD0 as usize + i] = letter;
        }
        let lead_word: [u64; 256] = std::array::from_fn(|b| {
            u64::from(LEADS.contains(&fold_table[b])) | (u64::from(word[b]) << 32)
        });
        // (`lead_word_masks` tests ASCII bytes by these rules, not by the table)
        for b in 0..0x80u8 {
            let lead = LEADS.contains(&(b | 0x20));
            let is_word = b.is_ascii_alphanumeric() || b == b'_';
            if lead_word[usize::from(b)] != u64::from(lead) | (u64::from(is_word) << 32) {
                return Err(format!("ASCII {b:#x}: unexpected word or case table"));
            }
        }
        let mut flags = spec.flags;
        for &c in fold_of.keys().chain(&NAMED) {
            flags[c as usize] |= FOLDS;
        }
        let by_flag = std::array::from_fn(|f| {
            let f = f as u8;
            if f & DECIMAL != 0 {
                DIGIT
            } else if f & ALNUM != 0 {
                WORD
            } else if f & SPACE != 0 {
                BLANK
            } else {
                OTHER
            }
        });
        Ok(Contact {
            flags,
            by_flag,
            fold_of,
            fold_table,
            lead_word,
            ascii_at: (0x80..=255u8).all(|b| !b"at".contains(&fold_table[b as usize])),
            cue_pairs: pair_set(CUES.iter().map(|c| c.0)),
            link_pairs: pair_set(
                ["https://", "http://", "www."]
                    .into_iter()
                    .chain(SITES.iter().map(|s| s.0)),
            ),
            lower: spec.lower.into_iter().collect(),
            word,
            plain: build(&plain)?,
            spelled: build(&spelled)?,
            split_dot: build(&dot)?,
            url: build(&url)?,
            scheme_sep: Box::new(memchr::memmem::Finder::new(b"://").into_owned()),
            tld_set: spec
                .tlds
                .iter()
                .map(|t| t.to_ascii_lowercase().into_bytes())
                .collect(),
            wordy_tlds: set(spec.wordy_tlds),
            not_local: set(spec.not_local),
            not_names: set(spec.not_names),
            not_profile: set(spec.not_profile),
            panic_on: spec.panic_on,
        })
    }

    #[inline]
    fn class_byte(&self, c: u32) -> u8 {
        if c < 0x80 {
            return c as u8;
        }
        self.class_byte_wide(c)
    }

    #[inline]
    fn class_byte_wide(&self, c: u32) -> u8 {
        let f = self.flags.get(c as usize).copied().unwrap_or(0);
        if f & FOLDS != 0 {
            return self.class_byte_special(c, f);
        }
        self.by_flag[usize::from(f)]
    }

    /// `class_byte_wide` of a character flagged `FOLDS` (a case fold, a character a pattern
    /// names, or one Python flags so).
    #[inline(never)]
    fn class_byte_special(&self, c: u32, f: u8) -> u8 {
        if let Some(&b) = self.fold_of.get(&c) {
            return b;
        }
        match c {
            0x2010..=0x2015 => DASHES + (c - 0x2010) as u8,
            0xa3 => POUND,
            0x20ac => EURO,
            0xa5 => YEN,
            _ => self.by_flag[usize::from(f)],
        }
    }

    /// The ASCII letter (or ASCII character) a class byte matches case-insensitively.
    #[inline]
    fn fold(&self, b: u8) -> u8 {
        self.fold_table[b as usize]
    }

    /// Does `word` (lower-case ASCII) match case-insensitively at `at`?
    fn ci_at(&self, hay: &[u8], at: usize, word: &str) -> bool {
        let w = word.as_bytes();
        at + w.len() <= hay.len() && w.iter().zip(&hay[at..]).all(|(&a, &b)| self.fold(b) == a)
    }

    /// Python's `str.lower` of characters that lower-case one by one (those the patterns
    /// here let into a value: ASCII and the case folds).
    fn lower_chars<'a>(&'a self, text: &'a [u32]) -> impl Iterator<Item = char> + 'a {
        text.iter().flat_map(move |&c| {
            let (first, second) = if c == 0x130 {
                ('i', Some('\u{307}'))
            } else {
                let low = self.lower.get(&c).copied().unwrap_or(c);
                (char::from_u32(low).unwrap_or('\u{fffd}'), None)
            };
            std::iter::once(first).chain(second)
        })
    }

    fn lower_string(&self, text: &[u32]) -> String {
        self.lower_chars(text).collect()
    }

    /// All findings in one text (offsets into it).
    pub fn scan(&self, text: &[u32], out: &mut Found) {
        self.scan_with(text, &mut Vec::new(), out);
    }

    /// `scan` with a buffer for the class bytes (kept between calls by the caller).
    pub fn scan_with(&self, text: &[u32], hay: &mut Vec<u8>, out: &mut Found) {
        if let Some(trap) = self.panic_on {
            if text.contains(&trap) {
                panic!("test panic: the contact extractors met {trap:#x}");
            }
        }
        // (every byte of the text's part is written below: the buffer is neither cleared
        // nor shortened first)
        if hay.len() < text.len() {
            hay.resize(text.len(), 0);
        }
        let hay = &mut hay[..text.len()];
        self.class_bytes(text, hay);
        let hay = &*hay;
        let mut start = 0;
        // (the separator "\n\f\n" found by its form feed, which text seldom holds: a
        // substring search costs more per find than the scan saves)
        for f in memchr::memchr_iter(0x0c, hay) {
            let i = f.wrapping_sub(1);
            if f >= 1 && i >= start && hay[i] == b'\n' && hay.get(f + 1) == Some(&b'\n') {
                self.piece(&text[start..i], &hay[start..i], start, out);
                start = i + 3;
            }
        }
        self.piece(&text[start..], &hay[start..], start, out);
    }

    /// Each code point's class byte into `hay` (as long as `text`). Most code points of an
    /// ad are ASCII, each its own class byte, but most blocks of an ad hold some that are not
    /// (emoji): sixteen code points are narrowed at a time and only those past ASCII, found
    /// by their top bit, are classed one by one.
    fn class_bytes(&self, text: &[u32], hay: &mut [u8]) {
        let mut p = 0;
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{__m128i, _mm_movemask_epi8, _mm_storeu_si128};
            while p + 16 <= text.len() {
                let out = &mut hay[p..p + 16];
                // SAFETY: SSE2 is in every x86-64 target; the load reads text[p..p + 16] and
                // the store writes `out`, sixteen bytes. `code_point_bytes` keeps ASCII and
                // makes every other code point (below 2^31, as `batch_view` checks) a byte
                // with its top bit set.
                let mut wide = unsafe {
                    let b = crate::simd::code_point_bytes(text.as_ptr().add(p));
                    _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), b);
                    _mm_movemask_epi8(b) as u32
                };
                while wide != 0 {
                    let k = wide.trailing_zeros() as usize;
                    wide &= wide - 1;
                    out[k] = self.class_byte_wide(text[p + k]);
                }
                p += 16;
            }
        }
        for (slot, &c) in hay[p..].iter_mut().zip(&text[p..]) {
            *slot = self.class_byte(c);
        }
    }

    fn piece(&self, text: &[u32], hay: &[u8], offset: usize, out: &mut Found) {
        let base = out.rows.len();
        self.emails(text, hay, out);
        self.urls(text, hay, out);
        let mut starts = std::mem::take(&mut out.starts);
        self.handles(hay, out, &mut starts);
        out.starts = starts;
        for row in &mut out.rows[base..] {
            row[1] += offset as i64;
            row[2] += offset as i64;
            if row[0] == URL || row[0] == URL_BARE {
                row[3] += offset as i64;
                row[4] += offset as i64;
            }
        }
    }

    // ---------------------------------------------------------------- e-mail addresses

    fn emails(&self, text: &[u32], hay: &[u8], out: &mut Found) {
        let has_at = memchr::memchr(b'@', hay).is_some();
        if !has_at && !self.spoken_at_anywhere(hay) {
            return; // every address holds an "@" or a spelled "at" after a blank or bracket
        }
        let mut plain: Vec<(usize, usize)> = Vec::new();
        if has_at {
            // (an address's "@" follows at most 64 characters of its local part and one
            // character before it)
            let may_start = |from: usize| {
                memchr::memchr(b'@', &hay[from..]).map(|a| (from + a).saturating_sub(65))
            };
            find_all(
                &self.plain,
                hay,
                1,
                may_start,
                |c| group(c, "m").unwrap_or((0, 0)),
                |_, s, e| plain.push((s, e)),
            );
        }
        let mut spelled: Vec<(usize, usize, Vec<char>)> = Vec::new();
        let memo = Memo::default();
        if self.spelled_from(hay, 0, &memo).is_some() {
            find_all(
                &self.spelled,
                hay,
                1,
                |from| self.spelled_from(hay, from, &memo),
                |c| {
                    let (s, _) = group(c, "local").unwrap_or((0, 0));
                    (s, group(c, "tld").map_or(s, |t| t.1))
                },
                |c, s, e| {
                    if plain.iter().any(|&(a, b)| a < e && s < b) {
                        return;
                    }
                    let (Some(local), Some(domain), Some(tld)) =
                        (group(c, "local"), group(c, "domain"), group(c, "tld"))
                    else {
                        return;
                    };
                    let name: String = self.lower_string(&text[local.0..local.1]);
                    let name = name.trim_matches('.');
                    if name.is_empty()
                        || (self.not_local.contains(name) && self.spoken_at(hay, local.1))
                    {
                        return;
                    }
                    let mut value: Vec<char> = name.chars().collect();
                    value.push('@');
                    let mut first = true;
                    let mut at = domain.0;
                    let mut label = |a: usize, b: usize, value: &mut Vec<char>| {
                        if a < b {
                            if !first {
                                value.push('.');
                            }
                            first = false;
                            value.extend(self.lower_chars(&text[a..b]));
                        }
                    };
                    for m in self.split_dot.find_iter(&hay[domain.0..domain.1]) {
                        label(at, domain.0 + m.start(), &mut value);
                        at = domain.0 + m.end();
                    }
                    label(at, domain.1, &mut value);
                    value.push('.');
                    value.extend(self.lower_chars(&text[tld.0..tld.1]));
                    spelled.push((s, e, value));
                },
            );
        }
        let mut rows: Vec<(usize, usize, i64, Vec<char>)> = plain
            .iter()
            .map(|&(s, e)| (s, e, EMAIL, self.lower_chars(&text[s..e]).collect()))
            .collect();
        rows.extend(
            spelled
                .into_iter()
                .map(|(s, e, v)| (s, e, EMAIL_SPELLED, v)),
        );
        rows.sort_by_key(|r| r.0);
        for (s, e, kind, value) in rows {
            let (vs, ve) = out.value(value.into_iter());
            out.rows.push([kind, s as i64, e as i64, 0, 0, vs, ve]);
        }
    }

    /// Where a spelled-address match at `from` or later may start at the earliest, or None
    /// when none can. Its "@", spoken or bracketed "at" must be followed by what
    /// `emails._DOMAIN_NEXT` says follows it in every spelled address: a domain label, then
    /// a dot, an opening bracket or a spoken "dot". Before that "@" or "at" come blanks and
    /// brackets, then at most 64 characters of the local part and one character before it.
    /// (`memo`: the first such "@" found, for the next call)
    fn spelled_from(&self, hay: &[u8], from: usize, memo: &Memo) -> Option<usize> {
        let n = hay.len();
        let skip = |mut i: usize| {
            while i < n && is_blank(hay[i]) {
                i += 1;
            }
            i
        };
        let domain_next = |p: usize| {
            if p >= n || !hay[p].is_ascii_alphanumeric() {
                return false;
            }
            let mut i = p + 1;
            while i < n && (hay[i].is_ascii_alphanumeric() || hay[i] == b'-') {
                i += 1;
            }
            let j = skip(i);
            (j < n && b".[({<".contains(&hay[j]))
                || (j > i && self.ci_at(hay, j, "dot") && j + 3 < n && is_blank(hay[j + 3]))
        };
        let at = remembered(memo, from, |from| {
            memchr::memchr_iter(b'@', &hay[from..])
                .map(|i| from + i)
                .find(|&i| domain_next(skip(i + 1)))
        });
        // (an "at" after the first such "@" gives no earlier start)
        let mut past = false;
        let spoken = self
            .find_at(hay, from, |i| {
                if at.is_some_and(|a| i > a) {
                    past = true;
                    return true;
                }
                let q = skip(i + 1);
                if q < n && b"])}>".contains(&hay[q]) {
                    return domain_next(skip(q + 1));
                }
                q > i + 1 && domain_next(q)
            })
            .filter(|_| !past)
            .map(|i| i - 1);
        let mut q = at.into_iter().chain(spoken).min()?;
        while q > from && (is_blank(hay[q - 1]) || b"[({<".contains(&hay[q - 1])) {
            q -= 1;
        }
        Some(q.saturating_sub(65).max(from))
    }

    /// Is there an "at" (any case) after a blank or an opening bracket?
    fn spoken_at_anywhere(&self, hay: &[u8]) -> bool {
        self.find_at(hay, 0, |i| {
            i >= 2 && (is_blank(hay[i - 2]) || b"[({<".contains(&hay[i - 2]))
        })
        .is_some()
    }

    /// The first position from `from` on of a character that folds to "t" after one that
    /// folds to "a" for which `hit` holds. Where only ASCII letters fold to them (Python's
    /// tables), sixteen bytes are compared at a time and only the pairs are visited: "t"
    /// alone is common in text.
    fn find_at(
        &self,
        hay: &[u8],
        from: usize,
        mut hit: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let pair = |i: usize| i > 0 && self.fold(hay[i - 1]) == b'a' && self.fold(hay[i]) == b't';
        if !self.ascii_at {
            return (from..hay.len()).find(|&i| pair(i) && hit(i));
        }
        let mut p = from;
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{
                __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
                _mm_set1_epi8,
            };
            // (an "a" that ends the block before)
            let mut carry = u32::from(p > 0 && self.fold(hay[p - 1]) == b'a');
            while p + 16 <= hay.len() {
                // SAFETY: SSE2 is in every x86-64 target; the load reads hay[p..p + 16].
                // Only "a", "A", "t" and "T" give "a" or "t" when 0x20 is set.
                let (a, t) = unsafe {
                    let low = _mm_or_si128(
                        _mm_loadu_si128(hay.as_ptr().add(p).cast::<__m128i>()),
                        _mm_set1_epi8(0x20),
                    );
                    (
                        _mm_movemask_epi8(_mm_cmpeq_epi8(low, _mm_set1_epi8(b'a' as i8))) as u32,
                        _mm_movemask_epi8(_mm_cmpeq_epi8(low, _mm_set1_epi8(b't' as i8))) as u32,
                    )
                };
                let mut pairs = t & ((a << 1) | carry);
                carry = a >> 15;
                while pairs != 0 {
                    let i = p + pairs.trailing_zeros() as usize;
                    pairs &= pairs - 1;
                    if hit(i) {
                        return Some(i);
                    }
                }
                p += 16;
            }
        }
        (p..hay.len()).find(|&i| pair(i) && hit(i))
    }

    /// `emails._SPOKEN_AT.match(text, at)`: blanks, "at", blanks.
    fn spoken_at(&self, hay: &[u8], at: usize) -> bool {
        let blanks = |mut i: usize| {
            let from = i;
            while i < hay.len() && is_blank(hay[i]) {
                i += 1;
            }
            (i > from).then_some(i)
        };
        match blanks(at) {
            Some(i) if self.ci_at(hay, i, "at") => blanks(i + 2).is_some(),
            _ => false,
        }
    }

    // ---------------------------------------------------------------- web addresses

    fn urls(&self, text: &[u32], hay: &[u8], out: &mut Found) {
        // Every URL holds "://" after its scheme, or a dot before a listed TLD that ends a
        // word after its host, whose characters (letters, digits, dots, hyphens) follow at
        // most two characters before the match: so no match starts before the first of
        // these bounds. (the word after each dot folded into a buffer on the stack: no
        // allocation per dot)
        let tld_after = |i: usize| {
            let mut tld = [0u8; MAX_TLD + 1];
            let mut len = 0;
            for &b in hay[i + 1..].iter().take_while(|&&b| self.word[b as usize]) {
                if len > MAX_TLD {
                    break;
                }
                tld[len] = self.fold(b);
                len += 1;
            }
            len > 0 && len <= MAX_TLD && self.tld_set.contains(&tld[..len])
        };
        let memo = Memo::default();
        let may_start = |from: usize| {
            let rest = &hay[from..];
            let sep = remembered(&memo, from, |from| {
                self.scheme_sep.find(&hay[from..]).map(|c| from + c)
            });
            // (a host's run after "://" starts after it, so a later dot gives no lower bound)
            let host = memchr::memchr_iter(b'.', rest)
                .map(|d| from + d)
                .take_while(|&d| sep.is_none_or(|c| d < c))
                .find(|&d| tld_after(d))
                .map(|d| {
                    // (the walk stops at `from`, below which the bound is not needed)
                    let mut r = d;
                    while r > from && matches!(hay[r - 1], b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-') {
                        r -= 1;
                    }
                    r.saturating_sub(2)
                });
            let scheme = sep.map(|c| c.saturating_sub(7));
            match (scheme, host) {
                (Some(c), Some(h)) => Some(c.min(h)),
                (c, h) => c.or(h),
            }
        };
        let mut found: Vec<Row> = Vec::new();
        find_all(
            &self.url,
            hay,
            2,
            may_start,
            |c| {
                if let Some(scheme) = group(c, "scheme") {
                    (scheme.0, c.get(0).map_or(scheme.1, |m| m.end()))
                } else {
                    let host = group(c, "host").unwrap_or((0, 0));
                    (host.0, group(c, "path").map_or(host.1, |p| p.1))
                }
            },
            |c, start, end| {
                let end = trim(text, start, end);
                if end == start {
                    return;
                }
                if let Some(scheme) = group(c, "scheme") {
                    let host_end = split_host(text, scheme.1, end);
                    let host = &text[scheme.1..host_end];
                    if host.is_empty() || !host.contains(&u32::from(b'.')) {
                        return;
                    }
                    found.push([
                        URL,
                        start as i64,
                        end as i64,
                        scheme.1 as i64,
                        host_end as i64,
                        0,
                        0,
                    ]);
                    return;
                }
                let host_end = split_host(text, start, end);
                let host = &hay[start..host_end];
                let www = host.len() >= 4 && self.ci_at(host, 0, "www.");
                if !www && self.in_address(hay, start) {
                    return;
                }
                let dot = host.iter().rposition(|&b| b == b'.').map_or(0, |i| i + 1);
                let tld = self.lower_string(&text[start + dot..host_end]);
                if self.wordy_tlds.contains(&tld) && end - host_end <= 1 && !www {
                    return;
                }
                let kind = if www { URL } else { URL_BARE };
                found.push([
                    kind,
                    start as i64,
                    end as i64,
                    start as i64,
                    host_end as i64,
                    0,
                    0,
                ]);
            },
        );
        out.rows.extend(found);
    }

    /// `urls._in_address`: is the bare domain at `start` the domain of an address written
    /// with a spaced "@" or a written "at" (the local part not a prose word)?
    /// `_ADDRESS_BEFORE.search(text, start - 80, start)`, whose `$` also matches before a
    /// newline that ends the window.
    fn in_address(&self, hay: &[u8], start: usize) -> bool {
        let lo = start.saturating_sub(80);
        let local_char = |b: u8| is_alnum_ascii(b) || b"._%+-".contains(&b);
        for s in lo..start {
            let b = hay[s];
            if !is_alnum_ascii(b) {
                continue;
            }
            if s > 0 {
                let p = hay[s - 1];
                if self.word[p as usize] || b".%+-".contains(&p) {
                    continue;
                }
            }
            let mut l = s + 1;
            while l < start && l - s < 64 && local_char(hay[l]) {
                l += 1;
            }
            if l < start && local_char(hay[l]) {
                continue; // a local part longer than 64: the next character starts no "at"
            }
            let fits = self.at_form(&hay[l..start])
                || (start > l && hay[start - 1] == b'\n' && self.at_form(&hay[l..start - 1]));
            if fits {
                let local: String = hay[s..l]
                    .iter()
                    .map(|&b| (b as char).to_ascii_lowercase())
                    .collect();
                return !self.not_local.contains(&local);
            }
        }
        false
    }

    /// The whole of `part` is `[ \t]*@[ \t]*`, `[ \t]*[\[({<][ \t]*at[ \t]*[\])}>][ \t]*` or
    /// `[ \t]+at[ \t]+` ("at" in any case).
    fn at_form(&self, part: &[u8]) -> bool {
        let skip = |mut i: usize| {
            while i < part.len() && is_blank(part[i]) {
                i += 1;
            }
            i
        };
        let i = skip(0);
        if i < part.len() && part[i] == b'@' {
            return skip(i + 1) == part.len();
        }
        if i < part.len() && b"[({<".contains(&part[i]) {
            let j = skip(i + 1);
            if !self.ci_at(part, j, "at") {
                return false;
            }
            let k = skip(j + 2);
            return k < part.len() && b"])}>".contains(&part[k]) && skip(k + 1) == part.len();
        }
        if i > 0 && self.ci_at(part, i, "at") {
            let k = skip(i + 2);
            return k > i + 2 && k == part.len();
        }
        false
    }

    // ---------------------------------------------------------------- handles

    /// The lead and word bits (`lead_word`) of 32 class bytes as two masks. ASCII bytes are
    /// tested sixteen at a time (`new` checks that the table says the same of them); the
    /// others, rarer, are looked up one by one.
    #[inline]
    fn lead_word_masks(&self, bytes: &[u8; 32]) -> (u32, u32) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{
                __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8,
                _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
            };
            let (mut lead, mut word, mut wide) = (0u32, 0u32, 0u32);
            // SAFETY: SSE2 is in every x86-64 target; each load reads sixteen of the 32
            // bytes. As signed bytes, every byte past ASCII is below each value compared
            // with, and `b | 0x20` of it is no ASCII letter: its lanes come out 0.
            unsafe {
                let v = |b: u8| _mm_set1_epi8(b as i8);
                for h in 0..2 {
                    let b = _mm_loadu_si128(bytes.as_ptr().add(16 * h).cast::<__m128i>());
                    let low = _mm_or_si128(b, v(0x20));
                    let mut l = _mm_cmpeq_epi8(low, v(LEADS[0]));
                    for &c in &LEADS[1..] {
                        l = _mm_or_si128(l, _mm_cmpeq_epi8(low, v(c)));
                    }
                    let letter = _mm_and_si128(
                        _mm_cmpgt_epi8(low, v(b'a' - 1)),
                        _mm_cmplt_epi8(low, v(b'z' + 1)),
                    );
                    let digit = _mm_and_si128(
                        _mm_cmpgt_epi8(b, v(b'0' - 1)),
                        _mm_cmplt_epi8(b, v(b'9' + 1)),
                    );
                    let w = _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(b, v(b'_')));
                    let shift = 16 * h;
                    lead |= (_mm_movemask_epi8(l) as u32) << shift;
                    word |= (_mm_movemask_epi8(w) as u32) << shift;
                    wide |= (_mm_movemask_epi8(b) as u32) << shift;
                }
            }
            while wide != 0 {
                let j = wide.trailing_zeros();
                wide &= wide - 1;
                let both = self.lead_word[usize::from(bytes[j as usize])];
                lead |= (both as u32 & 1) << j;
                word |= ((both >> 32) as u32 & 1) << j;
            }
            (lead, word)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let mut both = 0u64;
            for (j, &b) in bytes.iter().enumerate() {
                both |= self.lead_word[usize::from(b)] << j;
            }
            (both as u32, (both >> 32) as u32)
        }
    }

    fn handles(&self, hay: &[u8], out: &mut Found, starts: &mut Vec<usize>) {
        let n = hay.len();
        let mut spans: Vec<(usize, usize, String, usize, i64)> = Vec::new();
        let mut python = false;
        // (a cue or a link starts with one of the pairs of its set: only those are tried)
        let pair = |set: &[u64; 1024], s: usize| {
            s + 1 < n && {
                let i = pair_index(self.fold(hay[s]), self.fold(hay[s + 1]));
                set[i / 64] & (1 << (i % 64)) != 0
            }
        };
        // Where a cue or a link may start: a word's first character, one of their first
        // letters (both lookbehinds exclude a word character before). Found 32 bytes at a
        // time as bit masks, without a branch per byte (which bytes qualify is unpredictable,
        // text being text); only the starts are visited.
        starts.clear();
        let mut after_word = 0u32; // (the last byte of the block before: a word character)
        let mut block = |base: usize, bytes: &[u8; 32]| {
            let (lead, word) = self.lead_word_masks(bytes);
            let mut at = lead & !((word << 1) | after_word);
            after_word = word >> 31;
            while at != 0 {
                let s = base + at.trailing_zeros() as usize;
                at &= at - 1;
                if pair(&self.cue_pairs, s) || pair(&self.link_pairs, s) {
                    starts.push(s);
                }
            }
        };
        let mut blocks = hay.chunks_exact(32);
        let mut base = 0;
        for bytes in &mut blocks {
            block(base, bytes.try_into().unwrap_or(&[0; 32]));
            base += 32;
        }
        // (the last bytes with zeros after them, which start nothing)
        let mut last = [0u8; 32];
        last[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
        block(base, &last);
        let starts = starts.as_slice();
        // _CUE
        let mut pos = 0;
        for &s in starts {
            if s < pos || (s > 0 && matches!(hay[s - 1], b'@' | b'.')) || !pair(&self.cue_pairs, s)
            {
                continue;
            }
            let Some(m) = self.cue_at(hay, s) else {
                continue;
            };
            pos = m.end;
            let (_, _, platform, weak) = CUES[m.cue];
            match m.handle {
                Err(_) => python |= platform == WHATSAPP,
                Ok((h0, h1)) => {
                    let h1 = strip_dots(hay, h0, h1);
                    if platform != WHATSAPP && self.plausible(hay, h0, h1, weak, m.conn) {
                        spans.push((h0, h1, ascii_lower(hay, h0, h1), platform, CUE_CONF));
                    }
                }
            }
        }
        // _LINK
        let mut pos = 0;
        for &s in starts {
            if s < pos || (s > 0 && matches!(hay[s - 1], b'.' | b'-')) || !pair(&self.link_pairs, s)
            {
                continue;
            }
            let Some((site, h0, h1)) = self.link_at(hay, s) else {
                continue;
            };
            let end = strip_dots(hay, h0, h1);
            let platform = SITES[site].1;
            if platform == WHATSAPP {
                python = true;
            } else {
                let handle = ascii_lower(hay, h0, end);
                if !self.not_profile.contains(&handle) && has_letter(&hay[h0..end]) {
                    spans.push((s, end, handle, platform, LINK_CONF));
                }
            }
            pos = h1;
        }
        if python {
            out.rows.push([HANDLE_PYTHON, 0, n as i64, 0, 0, 0, 0]);
            return;
        }
        spans.sort_by_key(|r| r.0);
        let taken: Vec<(usize, usize)> = spans.iter().map(|r| (r.0, r.1)).collect();
        // _BARE
        let mut pos = 0;
        for s in memchr::memchr_iter(b'@', hay) {
            let free = s >= pos
                && (s == 0 || {
                    let p = hay[s - 1];
                    !(self.word[p as usize] || b"@.+-".contains(&p))
                });
            let Some(h1) = (if free { self.bare_at(hay, s + 1) } else { None }) else {
                continue;
            };
            let h0 = s + 1;
            let end = strip_dots(hay, h0, h1);
            if has_letter(&hay[h0..end])
                && !self.domain_end(&hay[h0..end])
                && !overlaps_near(&taken, s, end)
            {
                spans.push((s, end, ascii_lower(hay, h0, end), UNKNOWN, BARE_CONF));
            }
            pos = h1;
        }
        spans.sort_by_key(|r| r.0);
        for (start, end, value, platform, conf) in spans {
            let (vs, ve) = out.value(value.chars());
            out.rows.push([
                HANDLE,
                start as i64,
                end as i64,
                platform as i64,
                conf,
                vs,
                ve,
            ]);
        }
    }

    /// `_CUE.match(text, s)` (its lookbehind checked by the caller).
    fn cue_at(&self, hay: &[u8], s: usize) -> Option<CueMatch> {
        let n = hay.len();
        let lead = self.fold(hay[s]);
        for (index, &(first, second, _, _)) in CUES.iter().enumerate() {
            if first.as_bytes()[0] != lead || !self.ci_at(hay, s, first) {
                continue;
            }
            let mid = s + first.len();
            let cue_end = if second.is_empty() {
                Some(mid)
            } else if mid < n && is_blank(hay[mid]) && self.ci_at(hay, mid + 1, second) {
                Some(mid + 1 + second.len())
            } else if self.ci_at(hay, mid, second) {
                Some(mid + second.len())
            } else {
                None
            };
            if let Some(cue_end) = cue_end {
                if cue_end < n && self.word[hay[cue_end] as usize] {
                    continue; // (?!\w)
                }
                let conn_end = self.connectors(hay, cue_end);
                let mut k = conn_end;
                while k < n && is_blank(hay[k]) {
                    k += 1;
                }
                if let Some(end) = self.phone_start(hay, k) {
                    return Some(CueMatch {
                        cue: index,
                        conn: (cue_end, conn_end),
                        handle: Err(k),
                        end,
                    });
                }
                if let Some(e) = self.handle_at(hay, k) {
                    return Some(CueMatch {
                        cue: index,
                        conn: (cue_end, conn_end),
                        handle: Ok((k, e)),
                        end: e,
                    });
                }
            }
        }
        None
    }

    /// The possessive connector group of `_CUE`: up to four of (blanks, then a separator
    /// character or a connector word not followed by a word character), each the first
    /// alternative that matches; returns where it ends.
    fn connectors(&self, hay: &[u8], mut at: usize) -> usize {
        let n = hay.len();
        'outer: for _ in 0..4 {
            let mut j = at;
            while j < n && is_blank(hay[j]) {
                j += 1;
            }
            if j < n && (b":=>@-".contains(&hay[j]) || hay[j] == EN_DASH) {
                at = j + 1;
                continue;
            }
            for w in CONNECTORS {
                let e = j + w.len();
                if self.ci_at(hay, j, w) && (e == n || !self.word[hay[e] as usize]) {
                    at = e;
                    continue 'outer;
                }
            }
            break;
        }
        at
    }

    /// `[+(]?\d(?=[\d \t.\-()/]{6})` at `k`: the end of its match.
    fn phone_start(&self, hay: &[u8], k: usize) -> Option<usize> {
        let digit = |b: u8| b.is_ascii_digit() || b == DIGIT;
        let run = |b: u8| digit(b) || b" \t.-()/".contains(&b);
        let at = |d: usize| {
            d + 7 <= hay.len() && digit(hay[d]) && hay[d + 1..d + 7].iter().all(|&b| run(b))
        };
        if k < hay.len() && (hay[k] == b'+' || hay[k] == b'(') && at(k + 1) {
            return Some(k + 2);
        }
        at(k).then_some(k + 1)
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.]{0,29}+(?![\w@/])` at `k`: the end of its match.
    fn handle_at(&self, hay: &[u8], k: usize) -> Option<usize> {
        let e = self.handle_run(hay, k)?;
        let ok = e == hay.len() || {
            let b = hay[e];
            !(self.word[b as usize] || b == b'@' || b == b'/')
        };
        ok.then_some(e)
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.]{0,29}+` at `k`.
    fn handle_run(&self, hay: &[u8], k: usize) -> Option<usize> {
        if k >= hay.len() || !is_alnum_ascii(hay[k]) {
            return None;
        }
        let mut e = k + 1;
        while e < hay.len() && e - k < 30 && (is_alnum_ascii(hay[e]) || hay[e] == b'.') {
            e += 1;
        }
        Some(e)
    }

    /// `_BARE` after its "@": the handle's end.
    fn bare_at(&self, hay: &[u8], k: usize) -> Option<usize> {
        let e = self.handle_run(hay, k)?;
        let ok = e == hay.len() || {
            let b = hay[e];
            !(self.word[b as usize] || b == b'@')
        };
        ok.then_some(e)
    }

    /// `_LINK.match(text, s)` (its lookbehind checked by the caller): (site, handle start,
    /// handle end), trying the optional scheme, "www." and "@" as the regex backtracks.
    fn link_at(&self, hay: &[u8], s: usize) -> Option<(usize, usize, usize)> {
        let n = hay.len();
        let schemes: &[usize] = if self.ci_at(hay, s, "https://") {
            &[8, 0]
        } else if self.ci_at(hay, s, "http://") {
            &[7, 0]
        } else {
            &[0]
        };
        for &scheme in schemes {
            let at = s + scheme;
            let wwws: &[usize] = if self.ci_at(hay, at, "www.") {
                &[4, 0]
            } else {
                &[0]
            };
            for &www in wwws {
                let p = at + www;
                let lead = hay.get(p).map_or(0, |&b| self.fold(b));
                for (site, &(name, _)) in SITES.iter().enumerate() {
                    let q = p + name.len();
                    if name.as_bytes()[0] != lead
                        || q >= n
                        || hay[q] != b'/'
                        || !self.ci_at(hay, p, name)
                    {
                        continue;
                    }
                    let ats: &[usize] = if q + 1 < n && hay[q + 1] == b'@' {
                        &[1, 0]
                    } else {
                        &[0]
                    };
                    for &a in ats {
                        let r = q + 1 + a;
                        let mut e = r;
                        while e < n
                            && e - r < 30
                            && (is_alnum_ascii(hay[e]) || b".+".contains(&hay[e]))
                        {
                            e += 1;
                        }
                        if e > r {
                            return Some((site, r, e));
                        }
                    }
                }
            }
        }
        None
    }

    fn plausible(
        &self,
        hay: &[u8],
        h0: usize,
        h1: usize,
        weak: bool,
        conn: (usize, usize),
    ) -> bool {
        let handle = &hay[h0..h1];
        if handle.len() < 2
            || self.not_names.contains(&ascii_lower(hay, h0, h1))
            || !has_letter(handle)
            || self.domain_end(handle)
        {
            return false;
        }
        if !weak {
            return true;
        }
        let explicit = hay[conn.0..conn.1]
            .iter()
            .any(|&b| b":=>@-".contains(&b) || b == EN_DASH);
        explicit || handle.iter().any(|&b| b.is_ascii_digit() || b == b'_')
    }

    /// `handles._DOMAIN_END.search(handle)` (the handle is ASCII).
    fn domain_end(&self, handle: &[u8]) -> bool {
        DOMAIN_ENDS.iter().any(|end| {
            let k = end.len() + 1;
            handle.len() >= k
                && handle[handle.len() - k] == b'.'
                && self.ci_at(handle, handle.len() - end.len(), end)
        })
    }
}

struct CueMatch {
    cue: usize,
    conn: (usize, usize),
    /// Ok: the handle's bounds; Err: where a phone number starts
    handle: Result<(usize, usize), usize>,
    end: usize,
}

/// The bit of a pair of folded ASCII characters in a pair set.
fn pair_index(a: u8, b: u8) -> usize {
    (usize::from(a & 0x7f) << 7) | usize::from(b & 0x7f)
}

/// The first two characters of each word (lower-case ASCII, two or more characters).
fn pair_set<'a>(words: impl Iterator<Item = &'a str>) -> Box<[u64; 1024]> {
    let mut set = Box::new([0u64; 1024]);
    for w in words {
        let w = w.as_bytes();
        let i = pair_index(w[0], w[1]);
        set[i / 64] |= 1 << (i % 64);
    }
    set
}

fn has_letter(part: &[u8]) -> bool {
    part.iter().any(|b| b.is_ascii_alphabetic())
}

fn ascii_lower(hay: &[u8], a: usize, b: usize) -> String {
    hay[a..b]
        .iter()
        .map(|&c| (c as char).to_ascii_lowercase())
        .collect()
}

/// `.rstrip(".")`: the end without trailing dots.
fn strip_dots(hay: &[u8], a: usize, mut b: usize) -> usize {
    while b > a && hay[b - 1] == b'.' {
        b -= 1;
    }
    b
}

/// `urls._trim`: the end without trailing sentence punctuation, keeping a ")" that closes a
/// "(" inside the URL.
fn trim(text: &[u32], start: usize, mut end: usize) -> usize {
    let count = |c: u8, end: usize| {
        text[start..end]
            .iter()
            .filter(|&&x| x == u32::from(c))
            .count()
    };
    let (open, mut close) = (count(b'(', end), count(b')', end));
    while end > start {
        let last = text[end - 1];
        if last >= 0x80 || !b".,;:!?'\")]}*".contains(&(last as u8)) {
            break;
        }
        if last == u32::from(b')') {
            if open >= close {
                break;
            }
            close -= 1;
        }
        end -= 1;
    }
    end
}

/// `urls._split_host`: where the host ends (the first "/", "?", "#" or ":").
fn split_host(text: &[u32], start: usize, end: usize) -> usize {
    text[start..end]
        .iter()
        .position(|&c| matches!(c, 0x2f | 0x3f | 0x23 | 0x3a))
        .map_or(end, |i| start + i)
}

// ---------------------------------------------------------------- Python class

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::{batch_view, le_column, panic_message};

/// A batch's class bytes, kept for the next batch (fresh megabytes cost page faults) unless
/// they grew past this many bytes.
const SCRATCH_KEPT: usize = 64 << 20;

/// The contact extractors, compiled once; `scan_batch` runs them on a batch.
#[pyclass(frozen, module = "amberline._core")]
pub struct ContactScanner {
    contact: Contact,
    scratch: std::sync::Mutex<Vec<u8>>,
}

#[pymethods]
impl ContactScanner {
    /// `flags`, `folds`, `lower`: Python's Unicode tables (see `text/native.py`); `tlds`:
    /// the common TLDs in the order of the Python alternation; the word lists of the
    /// extractors: TLDs that need a path, prose words before a spoken "at", words that are
    /// no handle, site paths that are no profile.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (flags, folds, lower, tlds, wordy_tlds, not_local, not_names, not_profile, panic_on=None))]
    fn new(
        flags: &[u8],
        folds: Vec<(u32, u8)>,
        lower: Vec<(u32, u32)>,
        tlds: Vec<String>,
        wordy_tlds: Vec<String>,
        not_local: Vec<String>,
        not_names: Vec<String>,
        not_profile: Vec<String>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let spec = ContactSpec {
            flags: flags.to_vec(),
            folds,
            lower,
            tlds,
            wordy_tlds,
            not_local,
            not_names,
            not_profile,
            panic_on,
        };
        Ok(ContactScanner {
            contact: Contact::new(spec).map_err(PyValueError::new_err)?,
            scratch: Default::default(),
        })
    }

    /// Run the contact extractors on a batch (`data`, `bounds` as for
    /// `Normaliser.normalise_batch`).
    ///
    /// Returns (rows, values, errors): rows of eight int64 (text index, kind, start, end, two
    /// kind-specific columns, value start, value end), per text in each extractor's order;
    /// `values` holds the values the rows point at (character offsets); `errors` lists (text
    /// index, message) for texts the core panicked on, which have no rows. Kinds: 0 e-mail,
    /// 1 spelled-out e-mail, 2 URL (columns: host start, host end), 3 bare domain (the same),
    /// 4 handle (platform index into `CONTACT_PLATFORMS`, confidence code 0 cue / 1 link /
    /// 2 bare "@"), 5 a piece of the text whose handles the Python extractor finds.
    #[allow(clippy::type_complexity)]
    fn scan_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
    ) -> PyResult<(Bound<'py, PyBytes>, String, Vec<(usize, String)>)> {
        let mut fresh = Vec::new();
        let mut kept = self.scratch.try_lock().ok();
        let hay = match kept.as_deref_mut() {
            Some(scratch) => scratch,
            None => &mut fresh,
        };
        let (chars, offsets) = batch_view(data, &bounds)?;
        let contact = &self.contact;
        let (rows, values, errors) = py.detach(|| {
            let mut rows: Vec<i64> = Vec::new();
            let mut errors = Vec::new();
            let mut found = Found::default();
            for (index, w) in offsets.windows(2).enumerate() {
                let text = &chars[w[0]..w[1]];
                let mut one = Found {
                    n_chars: found.n_chars,
                    starts: std::mem::take(&mut found.starts),
                    ..Found::default()
                };
                match catch_unwind(AssertUnwindSafe(|| contact.scan_with(text, hay, &mut one))) {
                    Ok(()) => {
                        for row in &one.rows {
                            rows.push(index as i64);
                            rows.extend_from_slice(row);
                        }
                        found.values.push_str(&one.values);
                        found.n_chars = one.n_chars;
                        found.starts = one.starts;
                    }
                    Err(payload) => errors.push((index, panic_message(payload.as_ref()))),
                }
            }
            (rows, found.values, errors)
        });
        if hay.capacity() > SCRATCH_KEPT {
            *hay = Vec::new();
        }
        Ok((le_column(py, &rows)?, values, errors))
    }
}
