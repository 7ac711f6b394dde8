//! `PhoneExtractor` in the core: candidate runs, their split into numbers, and the checks of
//! the numbers, exactly as `extract/phones.py` does them.
//!
//! Why: phone numbers are found in every batch, and the reference's cost is Python work per
//! digit run (a regex match, a digit string, a cached `phonenumbers` answer, a Span). Here the
//! runs are found by hand-written code equivalent to the reference's `_CANDIDATE` regex, split
//! as `_split_run` and `_pieces` split them, and each digit string the reference would give
//! `parse_phone` is answered from the installed `phonenumbers` metadata (its +1 regions'
//! patterns, handed over by Python, compiled once) when that answer is certain:
//!
//! - ten-digit North American numbers (bare, after a "1", after "+1") are classified by their
//!   first seven digits, as `extract/nanp.py` does (the core is only built when
//!   `nanp.shortcut_safe()` holds for the installed metadata), memoised;
//! - other digit strings that start with 2-9 and have no "+" parse, in the US region, to that
//!   very national number with country code 1 (no prefix to strip, no international prefix),
//!   so the same region patterns decide them;
//! - a leading 1 or 0, and "+1" followed by other than ten digits, are read as
//!   `phonenumbers.parse` reads them (a country code, a national prefix; `Plan::parse_rare`),
//!   from the US metadata's prefixes and general pattern, handed over with the regions.
//!
//! - "+" (or the US international prefix) and another country code: once Python has handed
//!   over every other country code's metadata (`add_countries`, at the first such number a
//!   process meets), the number is read as `phonenumbers.parse` reads it (the country code,
//!   the national prefix stripped as its region's pattern says) and decided by that country's
//!   regions' patterns, as for +1.
//!
//! Anything else (a national prefix whose region rewrites the number, digits of other
//! scripts) is not decided here: the whole run is handed back to the
//! Python reference, which answers it with `phonenumbers` (a row of kind `HAND_BACK`). Why
//! the rare shapes are decided too: one such run costs the reference `phonenumbers`' first use
//! (its modules imported, the region's metadata loaded, its patterns compiled), most of a
//! process' first batch.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use regex_automata::meta::{Config, Regex};
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;

use crate::profile::run_batch;
use crate::TextErrors;

/// A phone found (start, end, E.164 digits after the "+", valid, formatted, region index or -1).
pub const FOUND: i64 = 0;
/// A run the core does not decide (start, end, 0, 0, 0, 0): the reference splits it.
pub const HAND_BACK: i64 = 1;
/// A line holding a digit of another script (start, end after its newline, 0, 0, 0, 0): the
/// reference reads it.
/// Its Hyperscan prefilter sees only ASCII digits, so with and without it the reference finds
/// other runs there; nothing the reference finds crosses a line, so the line is its unit.
pub const HAND_BACK_LINE: i64 = 2;
/// Columns of a row after the text index.
const WIDTH: usize = 7;

const MIN_DIGITS: usize = 7;
const MAX_DIGITS: usize = 15;
const MAX_GROUPS: usize = 12;
const PREFIX: usize = 7;

/// A pattern of the metadata, compiled at its first use: most numbers need only a few of the
/// +1 regions' patterns, and compiling all of them would cost every process' start-up.
/// Anchored by `anchor` ("^(?:...)$" for a full match, "^(?:...)" for `re.match`). One the
/// regex crate refuses answers "cannot tell", and the number goes to `phonenumbers`.
/// Compiled for a cheap build: each answer is memoised, but a pattern still runs once per new
/// prefix, which in a long run of new ads is most numbers. Hence ASCII classes (the numbers
/// matched are ASCII digits, where `\d` means the same) and the lazy DFA, whose states are
/// made only as numbers need them and are shared by every number after, but no full or
/// one-pass DFA and no prefilter, which would be built whole for every pattern used.
struct Lazy {
    source: String,
    anchor: &'static str,
    captures: WhichCaptures,
    compiled: OnceLock<Option<Regex>>,
}

impl Lazy {
    fn new(source: String, anchor: &'static str) -> Lazy {
        Lazy {
            source,
            anchor,
            captures: WhichCaptures::Implicit,
            compiled: OnceLock::new(),
        }
    }

    /// With its groups, as `re.match(...).groups()` reads them.
    fn with_groups(source: String) -> Lazy {
        Lazy {
            captures: WhichCaptures::All,
            ..Lazy::new(source, "^(?:...)")
        }
    }

    fn compiled(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                Regex::builder()
                    .configure(
                        Config::new()
                            .hybrid(true)
                            .dfa(false)
                            .onepass(false)
                            .auto_prefilter(false)
                            .which_captures(self.captures),
                    )
                    .syntax(syntax::Config::new().unicode(false))
                    .build(&self.anchor.replace("...", &self.source))
                    .ok()
            })
            .as_ref()
    }

    fn is_match(&self, national: &str) -> Option<bool> {
        self.compiled().map(|r| r.is_match(national))
    }
}

/// A number description of the metadata (`PhoneNumberDesc`): possible lengths (empty: any)
/// and the national number pattern (None: matches nothing).
struct Desc {
    lengths: Vec<i64>,
    pattern: Option<Lazy>,
}

impl Desc {
    /// `phonenumberutil._is_number_matching_desc` (None: cannot tell).
    fn matches(&self, national: &str) -> Option<bool> {
        if !self.lengths.is_empty() && !self.lengths.contains(&(national.len() as i64)) {
            return Some(false);
        }
        self.pattern
            .as_ref()
            .map_or(Some(false), |p| p.is_match(national))
    }
}

/// One region's metadata, as far as validity and the region of a number depend on it.
struct Region {
    /// matched at the start only (`re.match`)
    leading: Option<Lazy>,
    general: Option<Desc>,
    /// premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail
    others: Vec<Option<Desc>>,
    fixed_line: Option<Desc>,
    mobile: Option<Desc>,
    same_mobile_and_fixed_line: bool,
}

fn matches(desc: &Option<Desc>, national: &str) -> Option<bool> {
    desc.as_ref().map_or(Some(false), |d| d.matches(national))
}

impl Region {
    /// `phonenumberutil._number_type_helper(...) != UNKNOWN` (None: cannot tell).
    fn known_type(&self, national: &str) -> Option<bool> {
        if !matches(&self.general, national)? {
            return Some(false);
        }
        for desc in self.others.iter().chain([&self.fixed_line]) {
            if matches(desc, national)? {
                return Some(true);
            }
        }
        if self.same_mobile_and_fixed_line {
            return Some(false);
        }
        matches(&self.mobile, national)
    }
}

/// What `parse_phone(digits, "US")` gives, as far as the core knows it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Parsed {
    /// None: neither valid nor of a possible length
    Rejected,
    /// this E.164 number (its digits after the "+"), valid or merely possible, of region
    /// index (-1: none)
    Phone { e164: u64, valid: bool, region: i64 },
    /// not decided here (the reference asks `phonenumbers`)
    Unknown,
}

/// How `phonenumbers.parse` reads a US digit string before any pattern of a number type: the
/// US metadata's national prefix for parsing and international prefix (both plain digits:
/// Python hands none over otherwise) and its general description's pattern.
struct Parsing {
    prefix: String,
    idd: String,
    general: Lazy,
}

/// A country code other than 1: its regions (a range of `Countries::regions`, in the order
/// `region_code_for_number` tries them) and how `phonenumbers.parse` reads its national
/// numbers (its main region's national prefix for parsing and general pattern).
struct Country {
    regions: std::ops::Range<usize>,
    /// `national_prefix_for_parsing`, with its groups (None: none)
    prefix: Option<Lazy>,
    /// the region rewrites the number when the prefix's last group takes part
    /// (`national_prefix_transform_rule`): such numbers are left to `phonenumbers`
    transform: bool,
    /// the general description's pattern, without its lengths (None: matches nothing)
    general: Option<Lazy>,
    lengths: Lengths,
}

/// How `_test_number_length` judges a country's national numbers by their length.
struct Lengths {
    /// the lengths `is_possible_number_with_reason` calls IS_POSSIBLE
    possible: Vec<usize>,
    /// those it calls TOO_LONG
    too_long: Vec<usize>,
}

impl Lengths {
    fn possible(&self, n: usize) -> bool {
        self.possible.contains(&n)
    }

    fn too_long(&self, n: usize) -> bool {
        self.too_long.contains(&n)
    }

    /// Whether `parse` keeps a number stripped of its national prefix at this length
    /// (IS_POSSIBLE or TOO_LONG), rather than the number as it was.
    fn keeps_stripped(&self, n: usize) -> bool {
        self.possible(n) || self.too_long(n)
    }
}

/// The end of `_maybe_strip_national_prefix_carrier_code` once the prefix matched: `rest`,
/// unless that turns a number the general pattern matches into one it does not (None: cannot
/// tell).
fn unless_no_longer_general<'a>(
    general: impl Fn(&str) -> Option<bool>,
    number: &'a str,
    rest: &'a str,
) -> Option<&'a str> {
    if general(number)? && !general(rest)? {
        return Some(number);
    }
    Some(rest)
}

impl Country {
    /// `_match_national_number(number, general_desc, False)` (None: cannot tell).
    fn general_matches(&self, number: &str) -> Option<bool> {
        self.general
            .as_ref()
            .map_or(Some(false), |g| g.is_match(number))
    }

    /// `_maybe_strip_national_prefix_carrier_code` (None: cannot tell, or rewritten).
    fn strip_national_prefix<'a>(&self, number: &'a str) -> Option<&'a str> {
        let Some(prefix) = &self.prefix else {
            return Some(number);
        };
        if number.is_empty() {
            return Some(number);
        }
        let re = prefix.compiled()?;
        let mut caps = re.create_captures();
        re.captures(number, &mut caps);
        let Some(found) = caps.get_match() else {
            return Some(number);
        };
        if self.transform {
            let last = caps.group_len().checked_sub(1).filter(|&g| g > 0)?;
            if caps.get_group(last).is_some() {
                return None;
            }
        }
        unless_no_longer_general(|n| self.general_matches(n), number, &number[found.end()..])
    }
}

/// Every country code but 1, handed over by `add_countries`.
struct Countries {
    regions: Vec<Region>,
    /// by country code: None for a code `phonenumbers` knows whose numbers the core leaves to it
    codes: HashMap<u16, Option<Country>>,
}

/// The metadata and the memo of its answers.
struct Plan {
    /// the +1 regions
    regions: Vec<Region>,
    /// how +1's national numbers are judged by their length
    lengths: Lengths,
    /// None: digit strings other than the common shapes are left to `phonenumbers`
    parsing: Option<Parsing>,
    /// the other country codes (not set: their numbers are left to `phonenumbers`)
    countries: OnceLock<Countries>,
    /// (country code, length, national number) -> class: bit 0 valid, bit 1 possible, bits
    /// 2.. region index + 1 (the +1 regions, then `Countries::regions`)
    memo: Mutex<HashMap<(u16, usize, u64), u32>>,
}

/// Memo entries kept at most (a crawl's numbers share far fewer prefixes).
const MEMO_MAX: usize = 1 << 20;

/// (valid, region index in `regions` or None) of a national significant number of a country
/// with these regions, as `region_code_for_number` and `is_valid_number_for_region` give
/// them; None if a pattern could not be compiled.
fn classify(regions: &[Region], national: &str) -> Option<(bool, Option<usize>)> {
    let region = if regions.len() == 1 {
        Some(0) // the only region, taken unchecked
    } else {
        let mut found = None;
        for (i, r) in regions.iter().enumerate() {
            let here = match &r.leading {
                Some(leading) => leading.is_match(national)?,
                None => r.known_type(national)?,
            };
            if here {
                found = Some(i);
                break;
            }
        }
        found
    };
    let valid = match region {
        Some(i) => regions[i].known_type(national)?,
        None => false,
    };
    Some((valid, region))
}

impl Plan {
    /// The class of the national significant number `national` of country code `cc` (see
    /// `memo`), or None (a pattern that did not compile; a country not handed over).
    fn class(&self, cc: u16, national: &str) -> Option<u32> {
        let key = (
            cc,
            national.len(),
            national.parse::<u64>().unwrap_or(u64::MAX),
        );
        if let Some(&c) = self
            .memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Some(c);
        }
        let (valid, possible, region) = if cc == 1 {
            let (valid, region) = classify(&self.regions, national)?;
            (valid, self.lengths.possible(national.len()), region)
        } else {
            let countries = self.countries.get()?;
            let country = countries.codes.get(&cc)?.as_ref()?;
            let regions = &countries.regions[country.regions.clone()];
            let (valid, region) = classify(regions, national)?;
            let global = region.map(|i| self.regions.len() + country.regions.start + i);
            (valid, country.lengths.possible(national.len()), global)
        };
        let region = u32::try_from(region.map_or(0, |i| i + 1)).ok()?;
        let c = u32::from(valid) | (u32::from(possible) << 1) | (region << 2);
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        if memo.len() >= MEMO_MAX {
            memo.clear();
        }
        memo.insert(key, c);
        Some(c)
    }

    /// The answer for the national number `national` of country code `cc`, classified as
    /// `key` (ten digits of +1: by their first seven, as `nanp._classify` does).
    fn answer(&self, cc: u16, national: &str, key: &str) -> Parsed {
        let Some(c) = self.class(cc, key) else {
            return Parsed::Unknown;
        };
        let (valid, possible) = (c & 1 != 0, c & 2 != 0);
        if !valid && !possible {
            return Parsed::Rejected;
        }
        // "+", the country code, then the national number with its leading zeros, if any
        let e164 = u32::try_from(national.len())
            .ok()
            .and_then(|n| 10u64.checked_pow(n))
            .and_then(|scale| u64::from(cc).checked_mul(scale))
            .zip(national.parse::<u64>().ok())
            .and_then(|(head, tail)| head.checked_add(tail))
            .filter(|&e| e <= i64::MAX as u64);
        let Some(e164) = e164 else {
            return Parsed::Unknown;
        };
        Parsed::Phone {
            e164,
            valid,
            region: i64::from(c >> 2) - 1,
        }
    }

    fn ten(&self, national: &str) -> Parsed {
        let mut key = *b"0000000000";
        key[..PREFIX].copy_from_slice(&national.as_bytes()[..PREFIX]);
        // (ASCII digits: `parse` checked them)
        self.answer(1, national, std::str::from_utf8(&key).unwrap_or_default())
    }

    /// `parse_phone` of ASCII `digits` ("+" before them when `international`) in the US.
    pub fn parse(&self, international: bool, digits: &str) -> Parsed {
        let b = digits.as_bytes();
        let n = b.len();
        if n == 0 || !b.iter().all(u8::is_ascii_digit) {
            return Parsed::Unknown;
        }
        let nxx = |c: u8| (b'2'..=b'9').contains(&c);
        if n == 11 && b[0] == b'1' && nxx(b[1]) {
            return self.ten(&digits[1..]); // "+1NXX..." anywhere, "1NXX..." in the US
        }
        if !international && nxx(b[0]) && n == 10 {
            return self.ten(digits);
        }
        if !international && nxx(b[0]) && n <= 17 {
            return self.answer(1, digits, digits); // the national number as written, +1
        }
        self.parse_rare(international, digits)
            .unwrap_or(Parsed::Unknown)
    }

    /// `parse` of the other shapes `phonenumbers.parse(digits, "US")` reads: a leading 1 or
    /// 0 ("1" followed by other than ten digits, a country code and a national prefix, a
    /// leading zero kept), "+1" followed by other than ten digits, "+" and another country
    /// code (`parse_international`). Its steps for a string of ASCII digits: an
    /// international prefix (`after_idd`); without one, a leading "1" is the country code if
    /// the rest, its national prefix stripped, matches the general pattern and the whole does
    /// not, or the whole is too long; then the national prefix is stripped from what is left
    /// (unless that turns a matching number into one that does not) if what remains is of a
    /// possible or too long length. None: cannot tell (a pattern that did not compile).
    fn parse_rare(&self, international: bool, digits: &str) -> Option<Parsed> {
        let parsing = self.parsing.as_ref()?;
        let national = if international {
            // "+1...": country code 1 (a one-digit code, read first)
            match digits.strip_prefix('1') {
                Some(rest) => rest,
                None => return self.parse_international(parsing, digits),
            }
        } else if let Some(parsed) = self.after_idd(parsing, digits) {
            return Some(parsed);
        } else if let Some(rest) = digits.strip_prefix('1') {
            let rest = self.strip_national_prefix(parsing, rest)?;
            if (!parsing.general.is_match(digits)? && parsing.general.is_match(rest)?)
                || self.lengths.too_long(digits.len())
            {
                rest
            } else {
                digits
            }
        } else {
            digits
        };
        if national.len() < 2 {
            return Some(Parsed::Rejected); // too short a national number: parse raises
        }
        let stripped = self.strip_national_prefix(parsing, national)?;
        let national = if self.lengths.keeps_stripped(stripped.len()) {
            stripped
        } else {
            national
        };
        if national.len() > 17 {
            return Some(Parsed::Rejected); // too long: parse raises
        }
        if national.len() == 10 && !national.starts_with(['0', '1']) {
            return Some(self.ten(national));
        }
        Some(self.answer(1, national, national))
    }

    /// `parse` of `digits` that start with the US international prefix (not followed by a
    /// 0, which `_parse_prefix_as_idd` leaves in place) read as after a "+"; None if they do
    /// not.
    fn after_idd(&self, parsing: &Parsing, digits: &str) -> Option<Parsed> {
        let rest = digits.strip_prefix(parsing.idd.as_str())?;
        if rest.starts_with('0') {
            return None;
        }
        Some(if rest.len() <= 2 {
            Parsed::Rejected // too short after the prefix: parse raises
        } else {
            self.parse(true, rest)
        })
    }

    /// `parse` of "+" and ASCII `digits` that do not start with 1, as `phonenumbers.parse`
    /// reads them: the country code is the shortest prefix of one to three digits that is
    /// one (none, or a leading zero: the library tries once more without the "+", which only
    /// the US international prefix survives, `after_idd`); then the national prefix is
    /// stripped as the country's main region says, if what remains is of a possible or too
    /// long length.
    /// None: cannot tell (the other countries not handed over yet, a code whose numbers are
    /// left to `phonenumbers`, a rewritten national prefix, a pattern that did not compile).
    fn parse_international(&self, parsing: &Parsing, digits: &str) -> Option<Parsed> {
        let countries = self.countries.get()?;
        if digits.len() <= 2 {
            return Some(Parsed::Rejected); // too short after the "+": parse raises
        }
        if digits.starts_with('0') {
            return Some(self.after_idd(parsing, digits).unwrap_or(Parsed::Rejected));
        }
        let Some((cc, rest)) = (1..=3).find_map(|i| {
            let cc = digits.get(..i)?.parse::<u16>().ok()?;
            countries
                .codes
                .contains_key(&cc)
                .then(|| (cc, &digits[i..]))
        }) else {
            return Some(Parsed::Rejected); // no country code: parse raises
        };
        let country = countries.codes.get(&cc)?.as_ref()?;
        if rest.len() < 2 {
            return Some(Parsed::Rejected); // too short a national number: parse raises
        }
        let stripped = country.strip_national_prefix(rest)?;
        let national = if country.lengths.keeps_stripped(stripped.len()) {
            stripped
        } else {
            rest
        };
        if national.len() < 2 || national.len() > 17 {
            return Some(Parsed::Rejected); // parse raises
        }
        Some(self.answer(cc, national, national))
    }

    /// `_maybe_strip_national_prefix_carrier_code` of the US (None: cannot tell).
    fn strip_national_prefix<'a>(&self, parsing: &Parsing, number: &'a str) -> Option<&'a str> {
        let Some(rest) = number.strip_prefix(parsing.prefix.as_str()) else {
            return Some(number);
        };
        unless_no_longer_general(|n| parsing.general.is_match(n), number, rest)
    }
}

/// Whether an E.164 number (its digits) is of +1, the only country code starting with a 1.
fn plus_one(mut e164: u64) -> bool {
    while e164 >= 10 {
        e164 /= 10;
    }
    e164 == 1
}

/// `nanp_grouping` of `phones.py`.
fn nanp_grouping(lengths: &[usize]) -> bool {
    let total: usize = lengths.iter().sum();
    if lengths.len() == 1 || (total != 10 && total != 11) {
        return true;
    }
    let base = (total - 10) as i64;
    let mut cuts = Vec::new();
    let mut judged = Vec::new();
    let mut cut = 0i64;
    for w in lengths.windows(2) {
        let (left, right) = (w[0], w[1]);
        cut += left as i64;
        cuts.push(cut - base);
        if left > 1 && right > 1 {
            judged.push(cut - base);
        }
    }
    judged
        .iter()
        .all(|&c| c == 3 || c == 6 || (c == 7 && cuts.contains(&3)) || (c > 6 && cuts.contains(&6)))
}

/// The compiled extractor.
#[pyclass(frozen, module = "amberline._core")]
pub struct PhoneScanner {
    /// one bit per code point: a decimal digit (`\d`)
    digits: Vec<u64>,
    plan: Plan,
    panic_on: Option<u32>,
}

fn is_sep(c: u32) -> bool {
    matches!(c, 0x20 | 0x09 | 0x2e | 0x2d | 0x2f | 0x28 | 0x29 | 0x22)
        || (0x2010..=0x2015).contains(&c)
}

/// Is `c` what the phone scan stops at: what a run starts with ("+", "(", an ASCII digit)
/// or anything not ASCII (a digit of another script?)
#[inline]
fn notable(c: u32) -> bool {
    (c.wrapping_sub(0x30) < 10) | (c == 0x28) | (c == 0x2b) | (c >= 0x80)
}

/// The first `notable` code point of `t` from `p` (or `t.len()`): sixteen at a time with
/// SSE2 (part of every x86-64) as one bit each, so the scan goes straight to the next one
/// (most of a text is none).
fn next_notable(t: &[u32], mut p: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is in every x86-64 target; each unaligned load reads four u32 of
        // t[p..p + 16], within `t`. Signed saturation to 16 bits then unsigned to 8 keeps
        // ASCII and makes every other code point (below 2^31, as `batch_view` checks) 0x80
        // to 0xFF, whose top bit `movemask` reads.
        unsafe {
            let v = |b: u8| _mm_set1_epi8(b as i8);
            let (zero, nine, paren, plus) = (v(b'0' - 1), v(b'9' + 1), v(b'('), v(b'+'));
            while p + 16 <= t.len() {
                let b = crate::simd::code_point_bytes(t.as_ptr().add(p));
                // (as signed bytes, every value past ASCII is below '0')
                let digit = _mm_and_si128(_mm_cmpgt_epi8(b, zero), _mm_cmplt_epi8(b, nine));
                let sign = _mm_or_si128(_mm_cmpeq_epi8(b, paren), _mm_cmpeq_epi8(b, plus));
                let bits = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(digit, sign), b));
                if bits != 0 {
                    return p + bits.trailing_zeros() as usize;
                }
                p += 16;
            }
        }
    }
    t[p..]
        .iter()
        .position(|&c| notable(c))
        .map_or(t.len(), |k| p + k)
}

impl PhoneScanner {
    fn is_digit(&self, c: u32) -> bool {
        if c < 0x80 {
            return (0x30..0x3a).contains(&c);
        }
        self.digits
            .get((c >> 6) as usize)
            .is_some_and(|w| w >> (c & 63) & 1 != 0)
    }

    /// The end of a `_CANDIDATE` match starting at `p`, if one does (the regex is
    /// deterministic: separators and digits are disjoint, so it never needs to backtrack).
    fn candidate_at(&self, t: &[u32], p: usize) -> Option<usize> {
        let first = t[p];
        if first != 0x2b && first != 0x28 && !self.is_digit(first) {
            return None;
        }
        if p > 0 {
            let before = t[p - 1];
            if self.is_digit(before)
                || matches!(
                    before,
                    0x24 | 0xa3 | 0x20ac | 0xa5 | 0x2f | 0x3d | 0x5f | 0x23 | 0x26 | 0x25
                )
            {
                return None;
            }
            if p > 1 && (before == 0x2e || before == 0x2c) && self.is_digit(t[p - 2]) {
                return None;
            }
        }
        let mut q = p;
        if t[q] == 0x2b {
            q += 1;
            if q < t.len() && (t[q] == 0x20 || t[q] == 0x09) {
                q += 1;
            }
        }
        if q < t.len() && t[q] == 0x28 {
            q += 1;
        }
        if q >= t.len() || !self.is_digit(t[q]) {
            return None;
        }
        q += 1;
        let mut count = 0;
        loop {
            let mut r = 0;
            while r < 4 && q + r < t.len() && is_sep(t[q + r]) {
                r += 1;
            }
            if r > 3 || q + r >= t.len() || !self.is_digit(t[q + r]) {
                break;
            }
            q += r + 1;
            count += 1;
        }
        (count >= 6).then_some(q)
    }

    fn extract(&self, text: &[u32], out: &mut Vec<i64>) {
        let mut found = Scratch::default();
        let mark = out.len();
        // the common case: no digit of another script, and runs never cross a line, so the
        // lines need no separate scans (one pass, which stops at such a digit)
        if self.scan(text, 0, out, &mut found) {
            return;
        }
        out.truncate(mark);
        let mut line_start = 0;
        while line_start < text.len() {
            let line_end = text[line_start..]
                .iter()
                .position(|&c| c == 0x0a)
                .map_or(text.len(), |k| line_start + k);
            let t = &text[line_start..line_end];
            if t.iter().any(|&c| c >= 0x80 && self.is_digit(c)) {
                // with its newline: the reference looks one character past a run's end
                out.extend([
                    HAND_BACK_LINE,
                    line_start as i64,
                    (line_end + 1).min(text.len()) as i64,
                    0,
                    0,
                    0,
                    0,
                ]);
            } else {
                self.scan(t, line_start, out, &mut found);
            }
            line_start = line_end + 1;
        }
    }

    /// The runs of `t` (a text or a line starting at `offset`), split; false, with `out`
    /// left part-written, as soon as a digit of another script is seen (the caller then
    /// reads the text line by line).
    fn scan(&self, t: &[u32], offset: usize, out: &mut Vec<i64>, found: &mut Scratch) -> bool {
        let mut p = 0;
        loop {
            p = next_notable(t, p);
            if p == t.len() {
                break;
            }
            let c = t[p];
            if c >= 0x80 {
                if self.is_digit(c) {
                    return false;
                }
                p += 1;
                continue;
            }
            match self.candidate_at(t, p) {
                Some(end) => {
                    // (a run's code points are not visited above: its digits are checked here)
                    if t[p..end].iter().any(|&c| c >= 0x80 && self.is_digit(c)) {
                        return false;
                    }
                    self.split_run(&t[p..end], offset + p, out, found);
                    p = end;
                }
                None => p += 1,
            }
        }
        true
    }

    /// `_split_run`: the run whole if it is one number, else its pieces; or a hand-back.
    fn split_run(&self, run: &[u32], offset: usize, out: &mut Vec<i64>, scratch: &mut Scratch) {
        let Scratch {
            found,
            groups,
            digits,
            lengths,
        } = scratch;
        found.clear();
        groups.clear();
        digits.clear();
        let mut i = 0;
        while i < run.len() {
            if self.is_digit(run[i]) {
                let start = i;
                while i < run.len() && self.is_digit(run[i]) {
                    match char::from_u32(run[i]) {
                        Some(c) if c.is_ascii_digit() => digits.push(c),
                        _ => return hand_back(offset, run.len(), out), // other scripts' digits
                    }
                    i += 1;
                }
                groups.push((start, i));
            } else {
                i += 1;
            }
        }
        let offset = offset as i64;
        let n = digits.len();
        if (MIN_DIGITS..=MAX_DIGITS).contains(&n) {
            let international = run[0] == 0x2b;
            let mut parsed = self.plan.parse(international, digits);
            if parsed == Parsed::Unknown {
                return hand_back(offset as usize, run.len(), out);
            }
            if !international && matches!(parsed, Parsed::Phone { e164, .. } if plus_one(e164)) {
                lengths.clear();
                lengths.extend(groups.iter().map(|(a, b)| b - a));
                if !nanp_grouping(lengths) {
                    parsed = Parsed::Rejected;
                }
            }
            if let Parsed::Phone {
                e164,
                valid,
                region,
            } = parsed
            {
                let plus = usize::from(international);
                if valid || n + plus < run.len() {
                    let formatted = international || n < run.len();
                    out.extend([
                        FOUND,
                        offset,
                        offset + run.len() as i64,
                        e164 as i64,
                        i64::from(valid),
                        i64::from(formatted),
                        region,
                    ]);
                    return;
                }
            }
        }
        // `_pieces`
        groups.truncate(MAX_GROUPS);
        let plus = run[0] == 0x2b;
        let ng = groups.len();
        let mut i = 0;
        while i < ng {
            let mut taken = false;
            for j in (i + 1..=ng).rev() {
                let len: usize = groups[i..j].iter().map(|(a, b)| b - a).sum();
                if len > MAX_DIGITS {
                    continue;
                }
                if len < MIN_DIGITS {
                    break;
                }
                let piece: String = groups[i..j]
                    .iter()
                    .flat_map(|&(a, b)| run[a..b].iter().map(|&c| c as u8 as char))
                    .collect();
                let international = plus && i == 0;
                let parsed = self.plan.parse(international, &piece);
                let Parsed::Phone {
                    e164,
                    valid,
                    region,
                } = parsed
                else {
                    if parsed == Parsed::Unknown {
                        return hand_back(offset as usize, run.len(), out);
                    }
                    continue;
                };
                if !international && plus_one(e164) {
                    lengths.clear();
                    lengths.extend(groups[i..j].iter().map(|(a, b)| b - a));
                    if !nanp_grouping(lengths) {
                        continue;
                    }
                }
                let formatted = international || j - i > 1;
                if !valid && (!formatted || i > 0 || j < ng) {
                    continue;
                }
                let mut start = if international { 0 } else { groups[i].0 };
                if start > 0 && run[start - 1] == 0x28 {
                    start -= 1;
                }
                found.extend([
                    FOUND,
                    offset + start as i64,
                    offset + groups[j - 1].1 as i64,
                    e164 as i64,
                    i64::from(valid),
                    i64::from(formatted),
                    region,
                ]);
                i = j;
                taken = true;
                break;
            }
            if !taken {
                i += 1;
            }
        }
        out.extend_from_slice(found);
    }
}

/// `split_run`'s buffers, kept for a text's runs: its pieces' rows, digit groups, digits and
/// group lengths.
#[derive(Default)]
struct Scratch {
    found: Vec<i64>,
    groups: Vec<(usize, usize)>,
    digits: String,
    lengths: Vec<usize>,
}

fn hand_back(offset: usize, len: usize, out: &mut Vec<i64>) {
    out.extend([HAND_BACK, offset as i64, (offset + len) as i64, 0, 0, 0, 0]);
}

/// (possible lengths, pattern) of a description as handed over; None: no description.
type DescSpec = Option<(Vec<i64>, Option<String>)>;

/// A region as handed over (see `PhoneScanner::new`).
type RegionSpec = (Option<String>, DescSpec, Vec<DescSpec>, bool);

fn compile_regions(regions: Vec<RegionSpec>) -> PyResult<Vec<Region>> {
    let mut compiled = Vec::with_capacity(regions.len());
    for (leading, general, descs, same) in regions {
        if descs.len() != 10 {
            return Err(PyValueError::new_err(
                "expected ten descriptions per region",
            ));
        }
        let leading = leading.map(|p| Lazy::new(p, "^(?:...)"));
        let mut descs = descs
            .into_iter()
            .map(compile_desc)
            .collect::<PyResult<Vec<_>>>()?;
        let mobile = descs.pop().flatten();
        let fixed_line = descs.pop().flatten();
        compiled.push(Region {
            leading,
            general: compile_desc(general)?,
            others: descs,
            fixed_line,
            mobile,
            same_mobile_and_fixed_line: same,
        });
    }
    Ok(compiled)
}

fn compile_desc(spec: DescSpec) -> PyResult<Option<Desc>> {
    let Some((lengths, pattern)) = spec else {
        return Ok(None);
    };
    let pattern = pattern
        .filter(|p| !p.is_empty())
        .map(|p| Lazy::new(p, "^(?:...)$"));
    Ok(Some(Desc { lengths, pattern }))
}

#[pymethods]
impl PhoneScanner {
    /// `digits`: (code point, value) of every decimal digit (`\d`); `regions`: the +1 regions
    /// in `COUNTRY_CODE_TO_REGION_CODE` order, each (leading digits pattern or None, general
    /// description, [premium rate, toll free, shared cost, VoIP, personal number, pager, UAN,
    /// voicemail, fixed line, mobile] descriptions, same mobile and fixed line pattern), a
    /// description being (possible lengths, national number pattern or None) or None;
    /// `possible`: the national number lengths that are possible for +1.
    #[new]
    #[pyo3(signature = (digits, regions, possible, too_long, parsing, panic_on=None))]
    #[allow(clippy::type_complexity)]
    fn new(
        digits: Vec<(u32, u8)>,
        regions: Vec<RegionSpec>,
        possible: Vec<usize>,
        too_long: Vec<usize>,
        parsing: Option<(String, String, String)>,
        panic_on: Option<u32>,
    ) -> PyResult<Self> {
        let mut bits = vec![0u64; (crate::tables::N_CODE_POINTS >> 6) + 1];
        for (c, _) in digits {
            let word = bits
                .get_mut((c >> 6) as usize)
                .ok_or_else(|| PyValueError::new_err(format!("not a code point: {c:#x}")))?;
            *word |= 1 << (c & 63);
        }
        let compiled = compile_regions(regions)?;
        if compiled.len() > 60 {
            return Err(PyValueError::new_err("too many regions"));
        }
        let parsing = match parsing {
            Some((prefix, idd, general)) => {
                let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
                if !digits(&prefix) || !digits(&idd) {
                    return Err(PyValueError::new_err("prefixes of digits expected"));
                }
                Some(Parsing {
                    prefix,
                    idd,
                    general: Lazy::new(general, "^(?:...)$"),
                })
            }
            None => None,
        };
        Ok(PhoneScanner {
            digits: bits,
            plan: Plan {
                regions: compiled,
                lengths: Lengths { possible, too_long },
                parsing,
                countries: OnceLock::new(),
                memo: Mutex::new(HashMap::new()),
            },
            panic_on,
        })
    }

    /// Hand over every country code but 1 (once; later calls are ignored): `regions` as for
    /// the constructor, the regions of every such code one after the other, and per code
    /// (country code, index of its first region in `regions`, number of its regions (0: the
    /// core leaves its numbers to `phonenumbers`), national prefix for parsing or None,
    /// whether the region rewrites the number after it, general pattern or None, possible
    /// national lengths, too long national lengths).
    #[allow(clippy::type_complexity)]
    fn add_countries(
        &self,
        regions: Vec<RegionSpec>,
        countries: Vec<(
            u16,
            usize,
            usize,
            Option<String>,
            bool,
            Option<String>,
            Vec<usize>,
            Vec<usize>,
        )>,
    ) -> PyResult<()> {
        let regions = compile_regions(regions)?;
        let mut codes = HashMap::with_capacity(countries.len());
        for (cc, first, count, prefix, transform, general, possible, too_long) in countries {
            if cc == 1
                || cc > 999
                || first
                    .checked_add(count)
                    .is_none_or(|end| end > regions.len())
            {
                return Err(PyValueError::new_err(format!("not a country: {cc}")));
            }
            let country = (count > 0).then(|| Country {
                regions: first..first + count,
                prefix: prefix.filter(|p| !p.is_empty()).map(Lazy::with_groups),
                transform,
                general: general
                    .filter(|g| !g.is_empty())
                    .map(|g| Lazy::new(g, "^(?:...)$")),
                lengths: Lengths { possible, too_long },
            });
            codes.insert(cc, country);
        }
        let _ = self.plan.countries.set(Countries { regions, codes });
        Ok(())
    }

    /// Whether `add_countries` was called.
    fn has_countries(&self) -> bool {
        self.plan.countries.get().is_some()
    }

    /// Find phones in a batch (`data`, `bounds` as for `Normaliser.normalise_batch`).
    ///
    /// Returns (rows, errors): rows of eight int64 (text index, kind, start, end, E.164
    /// digits, valid, formatted, region index or -1), `FOUND` rows being phones and
    /// `HAND_BACK` rows runs for the reference to split, in the reference's order.
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        bounds: Vec<i64>,
    ) -> PyResult<(Bound<'py, PyBytes>, TextErrors)> {
        let (rows, errors) = run_batch(py, data, bounds, WIDTH, self.panic_on, |text, out| {
            self.extract(text, out)
        })?;
        Ok((crate::le_column(py, &rows)?, errors))
    }

    /// What the core answers for `parse_phone(digits, "US")` (tests compare it with the
    /// reference): (1, E.164 digits, valid, region index or -1) for a phone, (0, ...) for
    /// None, (-1, ...) when the core leaves it to `phonenumbers`.
    fn parse(&self, digits: &str) -> (i64, u64, bool, i64) {
        let (international, rest) = match digits.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, digits),
        };
        match self.plan.parse(international, rest) {
            Parsed::Rejected => (0, 0, false, -1),
            Parsed::Phone {
                e164,
                valid,
                region,
            } => (1, e164, valid, region),
            Parsed::Unknown => (-1, 0, false, -1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{next_notable, notable};

    #[test]
    fn the_next_notable_code_point_is_found_sixteen_at_a_time_as_one_at_a_time() {
        // Each kind of code point at each place of texts around the blocks of sixteen, from
        // each start.
        let kinds = [
            0x00, 0x20, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2f, 0x30, 0x39, 0x3a, 0x41, 0x7f, 0x80,
            0xff, 0x100, 0x660, 0x7fff, 0x8000, 0xffff, 0x10ffff,
        ];
        for c in kinds {
            for len in 0..40 {
                for at in 0..len {
                    let mut t = vec![u32::from(b'x'); len];
                    t[at] = c;
                    for from in 0..=len {
                        let want = (from..len).find(|&i| notable(t[i])).unwrap_or(len);
                        assert_eq!(next_notable(&t, from), want, "{c:#x} at {at} of {len}");
                    }
                }
            }
        }
    }
}
