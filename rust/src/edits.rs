//! Replacement lists and the offset maps they induce (a port of `amberline/text/edits.py`).

use crate::tables::Tables;

/// What an edit puts in place of its stretch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repl {
    Empty,
    Char(u32),
    /// The character stage's replacement for this (mapped) character.
    Mapped(u32),
}

/// Replace text[start..end] by `repl`; `kind` names the obfuscation undone.
#[derive(Clone, Copy, Debug)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub repl: Repl,
    pub kind: u8,
}

impl Edit {
    pub fn new(start: usize, end: usize, repl: Repl, kind: u8) -> Self {
        Edit {
            start,
            end,
            repl,
            kind,
        }
    }
}

impl Tables {
    pub fn repl<'a>(&'a self, repl: &'a Repl) -> &'a [u32] {
        match repl {
            Repl::Empty => &[],
            Repl::Char(c) => std::slice::from_ref(c),
            Repl::Mapped(c) => self.mapping.get(c).map_or(&[], |(r, _)| r.as_slice()),
        }
    }

    /// `apply_edits` into `out` and `maps` (both cleared first): new character i came from
    /// text[starts[i]..ends[i]], and `starts` has one more entry, len(text). (`text` must be
    /// shorter than 2^32 characters.)
    pub fn apply(&self, text: &[u32], edits: &[Edit], out: &mut Vec<u32>, maps: &mut Maps) {
        out.clear();
        maps.starts.clear();
        maps.ends.clear();
        // Room for the usual case, a text that keeps or loses length: no growing per edit.
        out.reserve(text.len());
        let (starts, ends) = (&mut maps.starts, &mut maps.ends);
        starts.reserve(text.len() + 1);
        ends.reserve(text.len());
        let mut pos = 0;
        let mut mapped = 0;
        for e in edits {
            if pos < e.start {
                out.extend_from_slice(&text[pos..e.start]);
            }
            let r = self.repl(&e.repl);
            out.extend_from_slice(r);
            if r.len() != e.end - e.start {
                if mapped < e.start {
                    counting(starts, mapped, e.start);
                    counting(ends, mapped + 1, e.start + 1);
                }
                for _ in 0..r.len() {
                    starts.push(e.start as u32);
                    ends.push(e.end as u32);
                }
                mapped = e.end;
            }
            pos = e.end;
        }
        let n = text.len();
        if pos < n {
            out.extend_from_slice(&text[pos..]);
        }
        counting(starts, mapped, n + 1);
        counting(ends, mapped + 1, n + 1);
    }
}

/// `from..to` appended to `values`.
#[inline]
fn counting(values: &mut Vec<u32>, from: usize, to: usize) {
    values.extend(from as u32..to as u32);
}

/// A text's offset maps to the text it was made from: character i came from
/// [starts[i], ends[i]), and `starts` has one more entry, the length of that text.
#[derive(Default, Debug)]
pub struct Maps {
    pub starts: Vec<u32>,
    pub ends: Vec<u32>,
}

/// Maps of step 1 (original -> text1) and step 2 (text1 -> text2) as text2 -> original, into
/// `out` (cleared first).
pub fn compose(first: &Maps, second: &Maps, n_original: usize, out: &mut Maps) {
    out.starts.clear();
    out.ends.clear();
    let (starts1, ends1) = (&first.starts, &first.ends);
    out.starts.extend(
        second.starts[..second.ends.len()]
            .iter()
            .map(|&j| starts1[j as usize]),
    );
    out.starts.push(n_original as u32);
    out.ends
        .extend(second.ends.iter().map(|&e| ends1[e as usize - 1]));
}
