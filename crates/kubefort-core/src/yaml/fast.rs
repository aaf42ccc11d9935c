//! The fast path of the loader: a purpose-written reader for the YAML that
//! manifests are actually written in.
//!
//! It reads block mappings and sequences (including sequences written at the
//! indentation of their key), plain, single- and double-quoted scalars (also
//! over several lines), literal and folded block scalars with a chomping
//! indicator, flow collections (JSON included) and comments, and builds the
//! very tree, positions included, that the event-based path of
//! [`super::load_chunk`] builds from saphyr-parser's events.
//!
//! Everything else gives up on the whole chunk, which is then read by the
//! event-based path: anchors, aliases, tags, merge keys, complex keys,
//! directives and document markers inside the chunk, tabs, explicit
//! indentation indicators, unusual indentation, and every error (duplicate
//! keys included). The fast path therefore never reports an error of its own;
//! it either returns the document saphyr would have produced or nothing.
//!
//! Where saphyr-parser places a node is reproduced exactly:
//!
//! * a block mapping starts at its first key, a block sequence at its first
//!   `-`, but a sequence written at its key's indentation starts where the
//!   content of its first entry does (after the `- `, or at the end of that
//!   line when the entry is empty or starts on the next line);
//! * an empty value stands at its key's `:`; an empty entry at the end of its
//!   `-` line;
//! * a block scalar starts at the indentation of its first content line;
//! * columns count characters, not bytes.

use std::borrow::Cow;

use super::{format_go_float32, resolve_plain, Limits};
use crate::value::{Entry, Map, Node, Pos, Value};

/// Deepest nesting the fast path follows; deeper documents are left to the
/// event-based path, which knows how to report them.
const MAX_DEPTH: usize = 100;

/// Longest block mapping key, in bytes from its start to its `:`. saphyr stops
/// treating a scalar as a possible key 1024 characters after its start.
const MAX_KEY_LEN: usize = 1000;

/// The fast path gives up on the chunk.
#[derive(Debug)]
pub(super) struct Bail;

type Res<T> = Result<T, Bail>;

/// Read one chunk (the text between `---` separator lines) holding exactly
/// one document whose root is a collection. `None` when the chunk is outside
/// the subset this reader knows, or is not valid.
pub(super) fn parse(text: &str, first_line: u32, limits: &Limits) -> Option<Node> {
    if !clean(text.as_bytes()) {
        return None;
    }
    let mut r = Reader {
        src: text,
        b: text.as_bytes(),
        pos: 0,
        line: 0,
        line_start: 0,
        col_byte: 0,
        col_chars: 0,
        first_line,
        depth: 0,
        max_depth: limits.max_depth.min(MAX_DEPTH),
        indent: None,
        entries: Vec::new(),
        items: Vec::new(),
    };
    r.document().ok()
}

/// Whether the text is free of what the fast path never reads: NUL (the
/// end of input to saphyr), tabs, carriage returns that do not end a line
/// with a line feed, and byte order marks.
fn clean(b: &[u8]) -> bool {
    // A quick test over blocks, written to be vectorised: control
    // characters but the line feed, and 0xEF (which starts a byte order
    // mark). Blocks that fail it get the exact test.
    let mut blocks = b.chunks_exact(64);
    let mut at = 0;
    for blk in &mut blocks {
        let mut hit = 0u8;
        for &x in blk {
            hit |= u8::from(x < 0x0E && x != b'\n') | u8::from(x == 0xEF);
        }
        if hit != 0 && !clean_exact(b, at, at + 64) {
            return false;
        }
        at += 64;
    }
    clean_exact(b, at, b.len())
}

fn clean_exact(b: &[u8], from: usize, to: usize) -> bool {
    (from..to).all(|i| match b[i] {
        0 | b'\t' => false,
        b'\r' => b.get(i + 1) == Some(&b'\n'),
        0xEF => !b[i..].starts_with(&[0xEF, 0xBB, 0xBF]),
        _ => true,
    })
}

/// A line break or the end of the text (the text holds no NUL, so `0` is
/// the end); a carriage return is always followed by a line feed.
#[inline]
fn is_eol(c: u8) -> bool {
    c == b'\n' || c == b'\r' || c == 0
}

#[inline]
fn is_blank_eol(c: u8) -> bool {
    c == b' ' || is_eol(c)
}

#[inline]
fn is_flow_char(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

/// Characters that cannot start a plain scalar here (or start one the fast
/// path leaves alone).
#[inline]
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// Whether `c` (followed by `next`) starts a plain scalar in block context:
/// not an indicator, but for `-`, `?` and `:` followed by a non-blank.
#[inline]
fn plain_start(c: u8, next: u8) -> bool {
    if matches!(c, b'-' | b'?' | b':') {
        !is_blank_eol(next)
    } else {
        !is_blank_eol(c) && !is_indicator(c)
    }
}

/// Bytes that end a run of ordinary plain-scalar characters in block context.
static PLAIN_STOP: [bool; 256] = table(b" \n\r\0#:");
/// Bytes that end a run of ordinary plain-scalar characters in flow context.
static FLOW_PLAIN_STOP: [bool; 256] = table(b" \n\r\0#:,[]{}");
/// Bytes that end a run of ordinary characters in a double-quoted scalar.
static DQ_STOP: [bool; 256] = table(b" \n\r\0\"\\");
/// Bytes that end a run of ordinary characters in a single-quoted scalar.
static SQ_STOP: [bool; 256] = table(b" \n\r\0'");

const fn table(stops: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
}

/// The index of the first line feed in `b` from `from`, or `b.len()`;
/// eight bytes at a time.
pub(super) fn find_newline(b: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = ONES * b'\n' as u64;
    let mut i = from;
    while i + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(word) ^ NL;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] != b'\n' {
        i += 1;
    }
    i
}

/// Characters in a byte slice of valid UTF-8 text.
#[inline]
fn count_chars(b: &[u8]) -> u32 {
    b.iter().filter(|&&x| (x & 0xC0) != 0x80).count() as u32
}

/// How a plain scalar's first line ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stop {
    /// At a `:` followed by a blank: the scalar is a key.
    Colon,
    /// At a `#` after a blank.
    Comment,
    /// At the end of the line.
    Eol,
}

/// Where a node starts, which decides what it may be.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    /// First on its line: anything but a block scalar.
    LineStart,
    /// After `- ` on the line of a sequence entry.
    AfterDash,
    /// After `key: `: no block sequence, no mapping.
    AfterKey,
}

struct Key {
    name: Box<str>,
    pos: Pos,
    /// The `:`, where an empty value stands.
    colon: Pos,
}

enum Scalar<'a> {
    Plain(Cow<'a, str>),
    Quoted(Cow<'a, str>),
}

struct Reader<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// 0-based line of `pos` in the chunk, and where that line starts.
    line: u32,
    line_start: usize,
    /// Column cache on the current line: a byte offset and its column.
    col_byte: usize,
    col_chars: u32,
    first_line: u32,
    depth: usize,
    max_depth: usize,
    /// After [`Reader::next_content`]: the indentation of the line whose
    /// first character `pos` is on, or `None` at the end of the text.
    indent: Option<usize>,
    /// Entries and items of the collections being read, so that each
    /// collection is allocated once, at its size, when it is complete.
    entries: Vec<Entry>,
    items: Vec<Node>,
}

impl<'a> Reader<'a> {
    #[inline]
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    #[inline]
    fn peek(&self) -> u8 {
        self.at(self.pos)
    }

    /// The position of byte `i`, which is on the current line.
    fn pos_at(&mut self, i: usize) -> Pos {
        if i < self.col_byte {
            self.col_byte = self.line_start;
            self.col_chars = 0;
        }
        self.col_chars += count_chars(&self.b[self.col_byte..i]);
        self.col_byte = i;
        Pos::new(self.first_line + self.line, self.col_chars + 1)
    }

    /// Move past the line break at `pos` (nothing at the end of the text).
    fn newline(&mut self) {
        if self.peek() == b'\r' {
            self.pos += 1;
        }
        if self.peek() == b'\n' {
            self.pos += 1;
            self.line += 1;
            self.line_start = self.pos;
            self.col_byte = self.pos;
            self.col_chars = 0;
        }
    }

    fn skip_to_eol(&mut self) {
        let start = self.pos;
        self.pos = find_newline(self.b, start);
        if self.pos > start && self.b[self.pos - 1] == b'\r' {
            self.pos -= 1;
        }
    }

    fn skip_spaces(&mut self) -> usize {
        let start = self.pos;
        while self.peek() == b' ' {
            self.pos += 1;
        }
        self.pos - start
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Bail);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// From the start of a line, skip blank and comment lines; stop on the
    /// first character of the next content line and record its indentation.
    fn next_content(&mut self) -> Res<()> {
        loop {
            let n = self.skip_spaces();
            match self.peek() {
                0 => {
                    self.indent = None;
                    return Ok(());
                }
                b'\n' | b'\r' => self.newline(),
                b'#' => {
                    self.skip_to_eol();
                    self.newline();
                }
                c => {
                    if n == 0 {
                        let rest = &self.b[self.pos..];
                        if c == b'%' || rest.starts_with(b"---") || rest.starts_with(b"...") {
                            return Err(Bail);
                        }
                    }
                    self.indent = Some(n);
                    return Ok(());
                }
            }
        }
    }

    /// The end of a line holding a node: blanks, maybe a comment, the break;
    /// then on to the next content line. `spaces` blanks were just skipped.
    fn end_line(&mut self, spaces: usize) -> Res<()> {
        match self.peek() {
            c if is_eol(c) => {}
            b'#' if spaces > 0 => self.skip_to_eol(),
            _ => return Err(Bail),
        }
        self.newline();
        self.next_content()
    }

    fn document(&mut self) -> Res<Node> {
        if self.b.starts_with(b"---") {
            self.pos = 3;
            let n = self.skip_spaces();
            match self.peek() {
                c if is_eol(c) => {}
                b'#' if n > 0 => self.skip_to_eol(),
                _ => return Err(Bail),
            }
            self.newline();
        }
        self.next_content()?;
        let Some(indent) = self.indent else {
            return Err(Bail);
        };
        let root = self.node(indent, -1, Ctx::LineStart)?;
        if self.indent.is_some() || !matches!(root.value, Value::Map(_) | Value::Seq(_)) {
            return Err(Bail);
        }
        Ok(root)
    }

    /// A node whose first character is at `pos`, in column `c` (all that
    /// precedes it on its line is ASCII), inside a block collection indented
    /// `p` (-1 for the root). On return `pos` is on the next content line.
    fn node(&mut self, c: usize, p: isize, ctx: Ctx) -> Res<Node> {
        let ch = self.peek();
        let next = self.at(self.pos + 1);
        match ch {
            b'-' if is_blank_eol(next) => {
                if ctx == Ctx::AfterKey {
                    return Err(Bail);
                }
                self.block_seq(c, false)
            }
            b'[' | b'{' => {
                let node = self.flow(p)?;
                let n = self.skip_spaces();
                self.end_line(n)?;
                Ok(node)
            }
            b'|' | b'>' => {
                if ctx == Ctx::LineStart {
                    return Err(Bail);
                }
                self.block_scalar(p)
            }
            _ => {
                let start = self.pos;
                let pos = self.pos_at(start);
                let line = self.line;
                let scalar = self.scalar(p)?;
                let n = self.skip_spaces();
                if self.peek() == b':' && is_blank_eol(self.at(self.pos + 1)) {
                    // A key: the node is a mapping.
                    if ctx == Ctx::AfterKey || self.line != line || self.pos - start > MAX_KEY_LEN {
                        return Err(Bail);
                    }
                    let colon = self.pos_at(self.pos);
                    self.pos += 1;
                    let name = match scalar {
                        Scalar::Plain(s) => plain_key(&s)?,
                        Scalar::Quoted(s) => s.into(),
                    };
                    return self.block_map(c, Key { name, pos, colon });
                }
                self.end_line(n)?;
                let value = match scalar {
                    Scalar::Plain(s) => match resolve_plain(&s) {
                        Some(v) => v,
                        None => Value::String(s.into()),
                    },
                    Scalar::Quoted(s) => Value::String(s.into()),
                };
                Ok(Node::new(value, pos))
            }
        }
    }

    /// A plain or quoted scalar in block context, continued over the lines
    /// indented more than `p`. Stops after the scalar (before any blanks).
    fn scalar(&mut self, p: isize) -> Res<Scalar<'a>> {
        let ch = self.peek();
        if ch == b'"' || ch == b'\'' {
            return Ok(Scalar::Quoted(self.quoted(p)?));
        }
        if !plain_start(ch, self.at(self.pos + 1)) {
            return Err(Bail);
        }
        let start = self.pos;
        let (end, stop_at, stop) = self.plain_line(start);
        let first = &self.src[start..end];
        if first == "<<" {
            // A merge key, or a value that looks like one: left alone.
            return Err(Bail);
        }
        match stop {
            Stop::Colon => {
                self.pos = end;
                Ok(Scalar::Plain(Cow::Borrowed(first)))
            }
            Stop::Comment => {
                self.pos = end;
                Ok(Scalar::Plain(Cow::Borrowed(first)))
            }
            Stop::Eol => {
                self.pos = stop_at;
                Ok(Scalar::Plain(self.plain_continuation(first, p)?))
            }
        }
    }

    /// Scan one line of a plain scalar in block context from `start`.
    /// Returns the end of its text (trailing blanks excluded), where the
    /// scan stopped and why.
    fn plain_line(&self, start: usize) -> (usize, usize, Stop) {
        let b = self.b;
        let mut i = start;
        let mut end = start;
        loop {
            while i < b.len() && !PLAIN_STOP[b[i] as usize] {
                i += 1;
            }
            if i > end && b[i - 1] != b' ' {
                end = i;
            }
            match self.at(i) {
                b' ' => {
                    while self.at(i) == b' ' {
                        i += 1;
                    }
                    if self.at(i) == b'#' {
                        return (end, i, Stop::Comment);
                    }
                }
                b':' => {
                    if is_blank_eol(self.at(i + 1)) {
                        return (end, i, Stop::Colon);
                    }
                    i += 1;
                    end = i;
                }
                b'#' => {
                    // Not after a blank: part of the scalar.
                    i += 1;
                    end = i;
                }
                _ => return (end, i, Stop::Eol),
            }
        }
    }

    /// Continue a plain scalar whose first line `first` ended at `pos` (a
    /// line break or the end) over the following lines indented more than
    /// `p`. Leaves `pos` at the end of its last line.
    fn plain_continuation(&mut self, first: &'a str, p: isize) -> Res<Cow<'a, str>> {
        let mut out: Option<String> = None;
        loop {
            // Look ahead to the next non-empty line without moving.
            let mut i = self.pos;
            let mut breaks = 0u32;
            let (line_start, spaces, c) = loop {
                match self.at(i) {
                    0 => return Ok(out.map_or(Cow::Borrowed(first), Cow::Owned)),
                    b'\r' => i += 2,
                    _ => i += 1,
                }
                breaks += 1;
                let ls = i;
                while self.at(i) == b' ' {
                    i += 1;
                }
                let c = self.at(i);
                if c == 0 || !is_eol(c) {
                    break (ls, i - ls, c);
                }
            };
            if c == 0 || c == b'#' || spaces as isize <= p {
                break;
            }
            // Indicators are ordinary characters here, but for `: `, which
            // `plain_line` stops at.
            if p < 0 {
                return Err(Bail);
            }
            let (end, stop_at, stop) = self.plain_line(i);
            if stop != Stop::Eol {
                return Err(Bail);
            }
            let s = out.get_or_insert_with(|| first.to_owned());
            if breaks == 1 {
                s.push(' ');
            } else {
                for _ in 1..breaks {
                    s.push('\n');
                }
            }
            s.push_str(&self.src[i..end]);
            self.line += breaks;
            self.line_start = line_start;
            self.col_byte = line_start;
            self.col_chars = 0;
            self.pos = stop_at;
        }
        Ok(out.map_or(Cow::Borrowed(first), Cow::Owned))
    }

    /// A single- or double-quoted scalar starting at `pos`; continuation
    /// lines must be indented more than `p`. Leaves `pos` after the closing
    /// quote.
    fn quoted(&mut self, p: isize) -> Res<Cow<'a, str>> {
        let single = self.peek() == b'\'';
        let stops = if single { &SQ_STOP } else { &DQ_STOP };
        let start = self.pos + 1;
        let mut i = start;
        let b = self.b;
        // The common case: one line, no escapes.
        loop {
            while i < b.len() && !stops[b[i] as usize] {
                i += 1;
            }
            if self.at(i) == b' ' {
                i += 1;
                continue;
            }
            break;
        }
        let c = self.at(i);
        if (single && c == b'\'' && self.at(i + 1) != b'\'') || (!single && c == b'"') {
            self.pos = i + 1;
            return Ok(Cow::Borrowed(&self.src[start..i]));
        }
        self.quoted_slow(single, p, start).map(Cow::Owned)
    }

    fn quoted_slow(&mut self, single: bool, p: isize, start: usize) -> Res<String> {
        let stops = if single { &SQ_STOP } else { &DQ_STOP };
        let b = self.b;
        let mut s = String::new();
        let mut spaces = 0usize;
        let mut i = start;
        loop {
            let c = self.at(i);
            match c {
                0 => return Err(Bail),
                b' ' => {
                    spaces += 1;
                    i += 1;
                    continue;
                }
                b'\n' | b'\r' => {
                    // A line break: trailing blanks go, the break folds.
                    spaces = 0;
                    self.pos = i;
                    self.newline();
                    let breaks = self.quoted_next_line(p)?;
                    if breaks == 0 {
                        s.push(' ');
                    } else {
                        push_breaks(&mut s, breaks);
                    }
                    i = self.pos;
                    continue;
                }
                _ => {}
            }
            for _ in 0..spaces {
                s.push(' ');
            }
            spaces = 0;
            match c {
                b'\'' if single => {
                    if self.at(i + 1) == b'\'' {
                        s.push('\'');
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                }
                b'"' if !single => {
                    i += 1;
                    break;
                }
                b'\\' if !single => {
                    let n = self.at(i + 1);
                    if n == b'\n' || n == b'\r' {
                        // An escaped line break joins the lines.
                        self.pos = i + 1;
                        self.newline();
                        let breaks = self.quoted_next_line(p)?;
                        push_breaks(&mut s, breaks);
                        i = self.pos;
                    } else {
                        i = escape(b, i, &mut s)?;
                    }
                }
                _ => {
                    let run = i;
                    i += 1;
                    while i < b.len() && !stops[b[i] as usize] {
                        i += 1;
                    }
                    s.push_str(&self.src[run..i]);
                }
            }
        }
        self.pos = i;
        Ok(s)
    }

    /// Inside a quoted scalar, at the start of a line: skip empty lines and
    /// the indentation of the next one, which must be indented more than
    /// `p`. Returns the number of empty lines.
    fn quoted_next_line(&mut self, p: isize) -> Res<u32> {
        let mut breaks = 0;
        loop {
            let n = self.skip_spaces();
            match self.peek() {
                0 => return Err(Bail),
                b'\n' | b'\r' => {
                    breaks += 1;
                    self.newline();
                }
                _ => {
                    if n == 0 || n as isize <= p {
                        return Err(Bail);
                    }
                    return Ok(breaks);
                }
            }
        }
    }

    /// A block mapping in column `c` whose first key has been read (`pos` is
    /// after its `:`).
    fn block_map(&mut self, c: usize, first: Key) -> Res<Node> {
        self.enter()?;
        let map_pos = first.pos;
        let base = self.entries.len();
        let mut key = first;
        loop {
            let value = self.map_value(c, key.colon)?;
            self.entries.push(Entry {
                key: key.name,
                key_pos: key.pos,
                value,
            });
            match self.indent {
                Some(i) if i == c => key = self.key_line()?,
                Some(i) if i > c => return Err(Bail),
                _ => break,
            }
        }
        no_duplicates(&self.entries[base..])?;
        let entries = self.entries.drain(base..).collect();
        self.leave();
        Ok(Node::new(Value::Map(Map { entries }), map_pos))
    }

    /// A `key:` that starts a content line.
    fn key_line(&mut self) -> Res<Key> {
        let start = self.pos;
        let pos = self.pos_at(start);
        let line = self.line;
        let name = match self.peek() {
            b'"' | b'\'' => self.quoted(-1)?.into(),
            ch => {
                if !plain_start(ch, self.at(self.pos + 1)) {
                    return Err(Bail);
                }
                let (end, _, stop) = self.plain_line(start);
                if stop != Stop::Colon {
                    return Err(Bail);
                }
                self.pos = end;
                plain_key(&self.src[start..end])?
            }
        };
        self.skip_spaces();
        if self.peek() != b':' || !is_blank_eol(self.at(self.pos + 1)) || self.line != line {
            return Err(Bail);
        }
        if self.pos - start > MAX_KEY_LEN {
            return Err(Bail);
        }
        let colon = self.pos_at(self.pos);
        self.pos += 1;
        Ok(Key { name, pos, colon })
    }

    /// The value of a key of the mapping in column `c`; `pos` is after the
    /// key's `:`.
    fn map_value(&mut self, c: usize, colon: Pos) -> Res<Node> {
        let n = self.skip_spaces();
        let ch = self.peek();
        if is_eol(ch) || ch == b'#' {
            // Nothing on the key's line: the value is below it, or empty.
            self.skip_to_eol();
            self.newline();
            self.next_content()?;
            return match self.indent {
                Some(i) if i > c => self.node(i, c as isize, Ctx::LineStart),
                Some(i) if i == c && self.peek() == b'-' && is_blank_eol(self.at(self.pos + 1)) => {
                    self.block_seq(c, true)
                }
                _ => Ok(Node::new(Value::Null, colon)),
            };
        }
        debug_assert!(n > 0);
        // The column only matters for collections, which cannot start here.
        self.node(0, c as isize, Ctx::AfterKey)
    }

    /// A block sequence whose first `-` is at `pos`, in column `n`.
    /// `indentless` when it is written at its key's indentation.
    fn block_seq(&mut self, n: usize, indentless: bool) -> Res<Node> {
        self.enter()?;
        let dash = self.pos_at(self.pos);
        let base = self.items.len();
        let mut seq_pos = None;
        loop {
            // At a `-` followed by a blank or the end of the line.
            self.pos += 1;
            self.skip_spaces();
            let ch = self.peek();
            let item = if is_eol(ch) || ch == b'#' {
                self.skip_to_eol();
                let mark = self.pos_at(self.pos);
                seq_pos.get_or_insert(if indentless { mark } else { dash });
                self.newline();
                self.next_content()?;
                match self.indent {
                    Some(i) if i > n => self.node(i, n as isize, Ctx::LineStart)?,
                    _ => Node::new(Value::Null, mark),
                }
            } else {
                let mark = self.pos_at(self.pos);
                seq_pos.get_or_insert(if indentless { mark } else { dash });
                let col = self.pos - self.line_start;
                self.node(col, n as isize, Ctx::AfterDash)?
            };
            self.items.push(item);
            match self.indent {
                Some(i) if i == n && self.peek() == b'-' && is_blank_eol(self.at(self.pos + 1)) => {
                }
                Some(i) if i > n => return Err(Bail),
                _ => break,
            }
        }
        self.leave();
        let items = self.items.drain(base..).collect();
        let pos = seq_pos.unwrap_or(dash);
        Ok(Node::new(Value::Seq(items), pos))
    }

    /// A literal or folded block scalar whose indicator is at `pos`, in a
    /// block collection indented `p`.
    fn block_scalar(&mut self, p: isize) -> Res<Node> {
        #[derive(PartialEq)]
        enum Chomp {
            Strip,
            Clip,
            Keep,
        }
        let literal = self.peek() == b'|';
        self.pos += 1;
        // Chomping and indentation indicators, in either order.
        let mut chomp = Chomp::Clip;
        let mut explicit = None;
        for _ in 0..2 {
            match self.peek() {
                b'-' if chomp == Chomp::Clip => chomp = Chomp::Strip,
                b'+' if chomp == Chomp::Clip => chomp = Chomp::Keep,
                c @ b'1'..=b'9' if explicit.is_none() => explicit = Some((c - b'0') as usize),
                _ => break,
            }
            self.pos += 1;
        }
        let n = self.skip_spaces();
        match self.peek() {
            0 => return Err(Bail),
            b'\n' | b'\r' => {}
            b'#' if n > 0 => self.skip_to_eol(),
            _ => return Err(Bail),
        }
        if self.peek() == 0 {
            return Err(Bail);
        }
        self.newline();

        // Leading empty lines, up to the first content line, which is
        // indented as the indicator says or sets the indentation.
        let mut breaks = 0u32;
        let indent = match explicit {
            Some(d) => {
                let indent = (p.max(0) as usize) + d;
                loop {
                    let ls = self.pos;
                    let sp = self.skip_spaces();
                    match self.peek() {
                        0 => return Err(Bail),
                        b'\n' | b'\r' if sp <= indent => {
                            breaks += 1;
                            self.newline();
                        }
                        _ => {
                            if sp < indent {
                                return Err(Bail);
                            }
                            self.pos = ls + indent;
                            break indent;
                        }
                    }
                }
            }
            None => {
                let mut longest_empty = 0;
                loop {
                    let sp = self.skip_spaces();
                    match self.peek() {
                        0 => return Err(Bail),
                        b'\n' | b'\r' => {
                            longest_empty = longest_empty.max(sp);
                            breaks += 1;
                            self.newline();
                        }
                        _ => {
                            if sp as isize <= p || longest_empty > sp {
                                return Err(Bail);
                            }
                            break sp;
                        }
                    }
                }
            }
        };
        let node_pos = Pos::new(self.first_line + self.line, indent as u32 + 1);

        let mut s = String::new();
        push_breaks(&mut s, breaks);
        let mut trailing = 0u32;
        let mut leading_break = false;
        let mut leading_blank = false;
        let b = self.b;
        loop {
            // `pos` is at column `indent` of a content line.
            let text_start = self.pos;
            let trailing_blank = b[text_start] == b' ';
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if trailing == 0 {
                    s.push(' ');
                }
            } else if leading_break {
                s.push('\n');
            }
            push_breaks(&mut s, trailing);
            trailing = 0;
            leading_blank = trailing_blank;
            self.skip_to_eol();
            s.push_str(&self.src[text_start..self.pos]);
            // A last line without a line break is chomped as if it had one.
            leading_break = true;
            if self.peek() == 0 {
                break;
            }
            self.newline();
            // Empty lines, up to the next content line or the end.
            let more = loop {
                let ls = self.pos;
                let mut i = ls;
                while self.at(i) == b' ' {
                    i += 1;
                }
                let sp = i - ls;
                match self.at(i) {
                    0 => {
                        // saphyr counts a last line of blanks as deep as
                        // the content, with no line break, as one more.
                        if sp >= indent {
                            return Err(Bail);
                        }
                        self.pos = ls;
                        break false;
                    }
                    b'\n' | b'\r' if sp <= indent => {
                        trailing += 1;
                        self.pos = i;
                        self.newline();
                    }
                    _ => {
                        if sp >= indent {
                            self.pos = ls + indent;
                            break true;
                        }
                        break false;
                    }
                }
            };
            if !more {
                break;
            }
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => {
                if leading_break {
                    s.push('\n');
                }
            }
            Chomp::Keep => {
                if leading_break {
                    s.push('\n');
                }
                push_breaks(&mut s, trailing);
            }
        }
        // `pos` is at the start of the line that ended the scalar, or at the end.
        if self.peek() != 0 {
            self.pos = self.line_start;
        }
        self.next_content()?;
        Ok(Node::new(Value::String(s.into()), node_pos))
    }

    /// A flow collection whose bracket is at `pos`, inside a block collection
    /// indented `p` (-1 at the root). Leaves `pos` after the closing bracket.
    fn flow(&mut self, p: isize) -> Res<Node> {
        self.enter()?;
        let start = self.pos_at(self.pos);
        let open = self.peek();
        self.pos += 1;
        self.flow_ws(p)?;
        let value = if open == b'[' {
            let base = self.items.len();
            if self.peek() == b']' {
                self.pos += 1;
            } else {
                loop {
                    let item = self.flow_item(p)?;
                    self.items.push(item);
                    self.flow_ws(p)?;
                    match self.peek() {
                        b',' => {
                            self.pos += 1;
                            self.flow_ws(p)?;
                            // A trailing comma.
                            if self.peek() == b']' {
                                self.pos += 1;
                                break;
                            }
                        }
                        b']' => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(Bail),
                    }
                }
            }
            Value::Seq(self.items.drain(base..).collect())
        } else {
            let base = self.entries.len();
            if self.peek() == b'}' {
                self.pos += 1;
            } else {
                loop {
                    let key_pos = self.pos_at(self.pos);
                    let line = self.line;
                    let ch = self.peek();
                    let key: Box<str> = if ch == b'"' || ch == b'\'' {
                        let k = self.quoted(p)?;
                        self.skip_spaces();
                        k.into()
                    } else {
                        let k = self.flow_plain()?;
                        self.skip_spaces();
                        if !is_blank_eol(self.at(self.pos + 1)) {
                            return Err(Bail);
                        }
                        plain_key(k)?
                    };
                    if self.line != line || self.peek() != b':' {
                        return Err(Bail);
                    }
                    self.pos += 1;
                    self.flow_ws(p)?;
                    if matches!(self.peek(), b',' | b'}') {
                        return Err(Bail);
                    }
                    let value = self.flow_item(p)?;
                    self.entries.push(Entry {
                        key,
                        key_pos,
                        value,
                    });
                    self.flow_ws(p)?;
                    match self.peek() {
                        b',' => {
                            self.pos += 1;
                            self.flow_ws(p)?;
                            // A trailing comma.
                            if self.peek() == b'}' {
                                self.pos += 1;
                                break;
                            }
                        }
                        b'}' => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(Bail),
                    }
                }
            }
            no_duplicates(&self.entries[base..])?;
            Value::Map(Map {
                entries: self.entries.drain(base..).collect(),
            })
        };
        self.leave();
        Ok(Node::new(value, start))
    }

    /// An entry of a flow collection, or a flow mapping's value.
    fn flow_item(&mut self, p: isize) -> Res<Node> {
        let ch = self.peek();
        match ch {
            b'[' | b'{' => self.flow(p),
            b'"' | b'\'' => {
                let pos = self.pos_at(self.pos);
                let s = self.quoted(p)?;
                Ok(Node::new(Value::String(s.into()), pos))
            }
            _ => {
                let pos = self.pos_at(self.pos);
                let s = self.flow_plain()?;
                let value = match resolve_plain(s) {
                    Some(v) => v,
                    None => Value::String(s.into()),
                };
                Ok(Node::new(value, pos))
            }
        }
    }

    /// A plain scalar inside a flow collection, on one line.
    fn flow_plain(&mut self) -> Res<&'a str> {
        let ch = self.peek();
        let next = self.at(self.pos + 1);
        let ok_start = if ch == b'-' {
            !is_blank_eol(next) && !is_flow_char(next)
        } else {
            !is_blank_eol(ch) && !is_indicator(ch)
        };
        if !ok_start {
            return Err(Bail);
        }
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        let mut end = start;
        loop {
            while i < b.len() && !FLOW_PLAIN_STOP[b[i] as usize] {
                i += 1;
            }
            if i > end && b[i - 1] != b' ' {
                end = i;
            }
            match self.at(i) {
                b' ' => {
                    while self.at(i) == b' ' {
                        i += 1;
                    }
                    match self.at(i) {
                        b'#' => break,
                        // saphyr rejects a word `-` followed by a flow character.
                        b'-' if is_flow_char(self.at(i + 1)) => return Err(Bail),
                        _ => {}
                    }
                }
                b':' => {
                    let n = self.at(i + 1);
                    if is_blank_eol(n) || is_flow_char(n) {
                        break;
                    }
                    i += 1;
                    end = i;
                }
                b'#' => {
                    i += 1;
                    end = i;
                }
                _ => break,
            }
        }
        self.pos = end;
        let s = &self.src[start..end];
        if s == "<<" {
            return Err(Bail);
        }
        Ok(s)
    }

    /// Blanks, line breaks and comments between the tokens of a flow
    /// collection. Lines must be indented more than `p`.
    fn flow_ws(&mut self, p: isize) -> Res<()> {
        loop {
            match self.peek() {
                b' ' => self.pos += 1,
                b'\n' | b'\r' => {
                    self.newline();
                    let n = self.skip_spaces();
                    match self.peek() {
                        b'\n' | b'\r' | b'#' => {}
                        0 => return Err(Bail),
                        c => {
                            if n as isize <= p || (n == 0 && matches!(c, b'-' | b'.' | b'%')) {
                                return Err(Bail);
                            }
                        }
                    }
                }
                b'#' => {
                    if self.pos != self.line_start && self.b[self.pos - 1] != b' ' {
                        return Err(Bail);
                    }
                    self.skip_to_eol();
                }
                0 => return Err(Bail),
                _ => return Ok(()),
            }
        }
    }
}

fn push_breaks(s: &mut String, n: u32) {
    for _ in 0..n {
        s.push('\n');
    }
}

/// Decode the escape sequence of a double-quoted scalar at `b[i]` (the
/// backslash); returns the index after it.
fn escape(b: &[u8], i: usize, s: &mut String) -> Res<usize> {
    let code = |len: usize| -> Res<char> {
        let digits = b.get(i + 2..i + 2 + len).ok_or(Bail)?;
        let mut v = 0u32;
        for &d in digits {
            v = (v << 4) + (d as char).to_digit(16).ok_or(Bail)?;
        }
        char::from_u32(v).ok_or(Bail)
    };
    let (ch, len) = match b.get(i + 1).copied().unwrap_or(0) {
        b'0' => ('\0', 2),
        b'a' => ('\x07', 2),
        b'b' => ('\x08', 2),
        b't' => ('\t', 2),
        b'n' => ('\n', 2),
        b'v' => ('\x0b', 2),
        b'f' => ('\x0c', 2),
        b'r' => ('\r', 2),
        b'e' => ('\x1b', 2),
        b' ' => (' ', 2),
        b'"' => ('"', 2),
        b'/' => ('/', 2),
        b'\\' => ('\\', 2),
        b'N' => ('\u{85}', 2),
        b'_' => ('\u{a0}', 2),
        b'L' => ('\u{2028}', 2),
        b'P' => ('\u{2029}', 2),
        b'x' => (code(2)?, 4),
        b'u' => (code(4)?, 6),
        b'U' => (code(8)?, 10),
        _ => return Err(Bail),
    };
    s.push(ch);
    Ok(i + len)
}

/// The JSON key sigs.k8s.io/yaml makes of a plain scalar key (as the
/// event-based path's `key_string` does); null and merge keys are left to
/// the event-based path.
fn plain_key(s: &str) -> Res<Box<str>> {
    if s == "<<" {
        return Err(Bail);
    }
    Ok(match resolve_plain(s) {
        None => s.into(),
        Some(Value::Bool(b)) => if b { "true" } else { "false" }.into(),
        Some(Value::Int(i)) => i.to_string().into(),
        Some(Value::Float(f)) => format_go_float32(f).into(),
        Some(_) => return Err(Bail),
    })
}

/// Give up on a mapping with a duplicate key: the event-based path reports it.
fn no_duplicates(entries: &[Entry]) -> Res<()> {
    if entries.len() <= 16 {
        for (i, e) in entries.iter().enumerate().skip(1) {
            if entries[..i].iter().any(|f| f.key == e.key) {
                return Err(Bail);
            }
        }
    } else {
        let mut keys: Vec<&str> = entries.iter().map(|e| &*e.key).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return Err(Bail);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{load_str_by, split_documents, Document, LoadError, Route};

    /// Both routes, compared (through `Debug`, so that NaN equals NaN).
    fn both(src: &str, limits: &Limits) -> Vec<Result<Document, LoadError>> {
        let fast = load_str_by(src, limits, Route::Auto);
        let slow = load_str_by(src, limits, Route::Saphyr);
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "for {src:?}");
        fast
    }

    fn fast_chunks(src: &str, limits: &Limits) -> Vec<Option<Node>> {
        let text = src.strip_prefix('\u{feff}').unwrap_or(src);
        split_documents(text)
            .into_iter()
            .map(|c| parse(c.text, c.first_line, limits))
            .collect()
    }

    /// The one document of `src`, which the fast reader must take.
    fn fast(src: &str) -> Node {
        let limits = Limits::default();
        let chunks = fast_chunks(src, &limits);
        assert_eq!(chunks.len(), 1, "{src:?}");
        assert!(chunks[0].is_some(), "fast reader gave up on {src:?}");
        let mut docs = both(src, &limits);
        docs.remove(0).expect("loads").root
    }

    /// `src` is left to saphyr-parser; its result is returned.
    fn fallback(src: &str, limits: &Limits) -> Vec<Result<Document, LoadError>> {
        assert!(
            fast_chunks(src, limits).iter().any(Option::is_none),
            "fast reader took {src:?}"
        );
        both(src, limits)
    }

    fn at<'n>(n: &'n Node, path: &[&str]) -> &'n Node {
        n.get_path(path)
            .unwrap_or_else(|| panic!("no {path:?} in {n:?}"))
    }

    fn key_pos(n: &Node, key: &str) -> Pos {
        n.as_map().unwrap().entry(key).unwrap().key_pos
    }

    #[test]
    fn yaml11_scalars_plain_and_quoted() {
        let n = fast("a: yes\nb: 'yes'\nc: \"on\"\nd: 0644\ne: '0644'\nf: 08\ng: 0x1F\nh: ~\ni: Off\nj: 1_000\nk: .inf\nl: .nan\n");
        assert_eq!(at(&n, &["a"]).value, Value::Bool(true));
        assert_eq!(at(&n, &["b"]).as_str(), Some("yes"));
        assert_eq!(at(&n, &["c"]).as_str(), Some("on"));
        assert_eq!(at(&n, &["d"]).value, Value::Int(420));
        assert_eq!(at(&n, &["e"]).as_str(), Some("0644"));
        assert_eq!(at(&n, &["f"]).value, Value::Float(8.0));
        assert_eq!(at(&n, &["g"]).value, Value::Int(31));
        assert_eq!(at(&n, &["h"]).value, Value::Null);
        assert_eq!(at(&n, &["i"]).value, Value::Bool(false));
        assert_eq!(at(&n, &["j"]).value, Value::Int(1000));
        assert!(matches!(at(&n, &["k"]).value, Value::Float(f) if f.is_infinite()));
        assert!(matches!(at(&n, &["l"]).value, Value::Float(f) if f.is_nan()));
        // Keys are resolved too, then made strings.
        let n = fast("on: 1\n0x10: 2\n1.5: 3\n'on': 4\n");
        let keys: Vec<_> = n.as_map().unwrap().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["true", "16", "1.5", "on"]);
    }

    #[test]
    fn double_quoted_escapes() {
        let n = fast(
            "a: \"tab\\tnl\\n\\\"q\\\" \\\\ \\/ \\x41\\u00e9\\U0001F600 \\0\\a\\b\\v\\f\\r\\e\\ \\N\\_\\L\\P\"\n",
        );
        assert_eq!(
            at(&n, &["a"]).as_str(),
            Some("tab\tnl\n\"q\" \\ / Aé😀 \0\x07\x08\x0b\x0c\r\x1b \u{85}\u{a0}\u{2028}\u{2029}")
        );
        // Unknown escapes and lone surrogates are errors, reported by saphyr.
        for bad in ["a: \"\\q\"\n", "a: \"\\ud83d\"\n", "a: \"\\x4\"\n"] {
            let docs = fallback(bad, &Limits::default());
            assert!(docs[0].is_err(), "{bad:?}");
        }
    }

    #[test]
    fn single_quotes() {
        let n = fast("a: 'it''s'\nb: ''''\nc: ''\nd: 'x \"y\" \\n'\n");
        assert_eq!(at(&n, &["a"]).as_str(), Some("it's"));
        assert_eq!(at(&n, &["b"]).as_str(), Some("'"));
        assert_eq!(at(&n, &["c"]).as_str(), Some(""));
        assert_eq!(at(&n, &["d"]).as_str(), Some("x \"y\" \\n"));
    }

    #[test]
    fn empty_values_stand_at_their_colon() {
        let n = fast("a:\nb:   # comment\nc: ~\nd:\n");
        for k in ["a", "b", "c", "d"] {
            assert!(at(&n, &[k]).is_null(), "{k}");
        }
        assert_eq!(at(&n, &["a"]).pos, Pos::new(1, 2));
        assert_eq!(at(&n, &["b"]).pos, Pos::new(2, 2));
        assert_eq!(at(&n, &["c"]).pos, Pos::new(3, 4));
        assert_eq!(at(&n, &["d"]).pos, Pos::new(4, 2));
        // Empty sequence entries stand at the end of their `-` line.
        let n = fast("-\n-   \n- # c\n- x\n");
        let s = n.as_seq().unwrap();
        assert_eq!(s[0].pos, Pos::new(1, 2));
        assert_eq!(s[1].pos, Pos::new(2, 5));
        assert_eq!(s[2].pos, Pos::new(3, 6));
        assert!(s[..3].iter().all(Node::is_null));
    }

    #[test]
    fn nested_and_compact_sequences() {
        let n = fast("- - a\n  - b\n- - - c\n");
        let s = n.as_seq().unwrap();
        assert_eq!(n.pos, Pos::new(1, 1));
        assert_eq!(s[0].pos, Pos::new(1, 3));
        assert_eq!(s[0].as_seq().unwrap()[1].pos, Pos::new(2, 5));
        assert_eq!(s[1].as_seq().unwrap()[0].pos, Pos::new(3, 5));
        // Sequences of mappings, at and below their key's indentation.
        let src = "spec:\n  containers:\n  - name: a\n    image: x\n  -   name: b\n      image: y\n  ports:\n    - containerPort: 80\n";
        let n = fast(src);
        let c = at(&n, &["spec", "containers"]);
        // A sequence at its key's indentation starts at its first entry's content.
        assert_eq!(c.pos, Pos::new(3, 5));
        let items = c.as_seq().unwrap();
        assert_eq!(items[0].pos, Pos::new(3, 5));
        assert_eq!(key_pos(&items[0], "image"), Pos::new(4, 5));
        assert_eq!(items[1].pos, Pos::new(5, 7));
        assert_eq!(at(&items[1], &["image"]).pos, Pos::new(6, 14));
        // An indented one starts at its first `-`.
        assert_eq!(at(&n, &["spec", "ports"]).pos, Pos::new(8, 5));
        // An indentless sequence whose first entry starts below its `-`.
        let n = fast("a:\n- # c\n  b: 1\n");
        assert_eq!(at(&n, &["a"]).pos, Pos::new(2, 6));
        assert_eq!(at(&n, &["a"]).as_seq().unwrap()[0].pos, Pos::new(3, 3));
    }

    #[test]
    fn comments_and_hashes() {
        let n = fast("# head\na: x # c\nb: x#y\nc: 'x # y' # c\nd: \"#\"\n  # indented comment\ne: [a, b] # c\n# tail\n");
        assert_eq!(at(&n, &["a"]).as_str(), Some("x"));
        assert_eq!(at(&n, &["b"]).as_str(), Some("x#y"));
        assert_eq!(at(&n, &["c"]).as_str(), Some("x # y"));
        assert_eq!(at(&n, &["d"]).as_str(), Some("#"));
        assert_eq!(at(&n, &["e"]).as_seq().unwrap().len(), 2);
        // A comment right after a quote or a bracket is an error or unusual.
        fallback("a: 'x'# c\n", &Limits::default());
        fallback("a: [x]# c\n", &Limits::default());
    }

    #[test]
    fn trailing_spaces_and_crlf() {
        let n = fast("a: x   \nb:    \n- \n");
        assert_eq!(at(&n, &["a"]).as_str(), Some("x"));
        let _ = n;
        let src = "a: x\r\nb:\r\n  - 1\r\n  - 'y'\r\nc: |\r\n  l1\r\n  l2\r\nd: \"m\r\n  n\"\r\n";
        let n = fast(src);
        assert_eq!(at(&n, &["a"]).as_str(), Some("x"));
        assert_eq!(at(&n, &["c"]).as_str(), Some("l1\nl2\n"));
        assert_eq!(at(&n, &["d"]).as_str(), Some("m n"));
        assert_eq!(key_pos(&n, "d"), Pos::new(8, 1));
        // A lone carriage return is a line break to saphyr: left to it.
        fallback("a: x\rb: y\n", &Limits::default());
    }

    #[test]
    fn byte_order_mark() {
        let n = fast("\u{feff}a: 1\n");
        assert_eq!(key_pos(&n, "a"), Pos::new(1, 1));
        fallback("a: \u{feff}1\n", &Limits::default());
    }

    #[test]
    fn documents_with_only_comments() {
        let docs = both(
            "# nothing\n---\n# still nothing\n---\na: 1\n",
            &Limits::default(),
        );
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].as_ref().unwrap().root.get("a").unwrap().pos.line, 5);
        assert!(both("# only\n", &Limits::default()).is_empty());
    }

    #[test]
    fn quoted_keys() {
        let n = fast("\"a:b\": 1\n'c: d' : 2\n\"e\\tf\": 3\n\"\": 4\n");
        let keys: Vec<_> = n.as_map().unwrap().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a:b", "c: d", "e\tf", ""]);
        assert_eq!(at(&n, &["c: d"]).pos, Pos::new(2, 10));
        // Plain keys may hold colons not followed by a blank.
        let n = fast("a:b: 1\nhttp://x: 2\n");
        assert!(n.get("a:b").is_some() && n.get("http://x").is_some());
    }

    #[test]
    fn multi_line_scalars() {
        let n = fast("a: one\n  two\n\n  three\nb: 'x\n   y'\nc: >-\n  f1\n  f2\n\n   g\n  h\nd: |+\n  k\n\ne: 1\n");
        assert_eq!(at(&n, &["a"]).as_str(), Some("one two\nthree"));
        assert_eq!(at(&n, &["b"]).as_str(), Some("x y"));
        assert_eq!(at(&n, &["c"]).as_str(), Some("f1 f2\n\n g\nh"));
        assert_eq!(at(&n, &["c"]).pos, Pos::new(8, 3));
        assert_eq!(at(&n, &["d"]).as_str(), Some("k\n\n"));
        assert_eq!(at(&n, &["e"]).pos, Pos::new(16, 4));
        let n = fast("a: |2-\n    indented\n  x\n");
        assert_eq!(at(&n, &["a"]).as_str(), Some("  indented\nx"));
    }

    #[test]
    fn long_lines_and_unicode_columns() {
        let long = "x".repeat(100_000);
        let n = fast(&format!("a: {long}\nb: 1\n"));
        assert_eq!(at(&n, &["a"]).as_str().map(str::len), Some(100_000));
        // Columns count characters.
        let n = fast("é: ü\nwörds: [日本, \"語\", x]\n");
        assert_eq!(at(&n, &["é"]).pos, Pos::new(1, 4));
        let s = at(&n, &["wörds"]).as_seq().unwrap();
        assert_eq!(s[1].pos, Pos::new(2, 13));
        assert_eq!(s[2].pos, Pos::new(2, 18));
        // A long flow line with non-ASCII text throughout.
        let items: Vec<String> = (0..20_000).map(|i| format!("é{i}")).collect();
        let n = fast(&format!("a: [{}]\n", items.join(", ")));
        let s = at(&n, &["a"]).as_seq().unwrap();
        assert_eq!(
            s[19_999].pos.column,
            5 + (0..19_999)
                .map(|i: usize| 3 + i.to_string().len() as u32)
                .sum::<u32>()
        );
        // saphyr stops looking for a key's colon after 1024 characters.
        let key = "k".repeat(1500);
        fallback(&format!("{key}: 1\n"), &Limits::default());
    }

    #[test]
    fn duplicate_keys_are_reported_by_saphyr() {
        let docs = fallback("a: 1\nb:\n  c: 1\n  c: 2\n", &Limits::default());
        let e = docs[0].as_ref().unwrap_err();
        assert_eq!(e.pos, Pos::new(4, 3));
        assert_eq!(
            e.message,
            "key \"c\" already set in map (first set at line 3); duplicate keys are rejected"
        );
        let mut big: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        big.push_str("k7: again\n");
        let docs = fallback(&big, &Limits::default());
        assert_eq!(docs[0].as_ref().unwrap_err().pos, Pos::new(41, 1));
        let docs = fallback("a: {x: 1, x: 2}\n", &Limits::default());
        assert!(docs[0].is_err());
    }

    #[test]
    fn depth_limit() {
        let nested = |levels: usize| -> String {
            (0..levels)
                .map(|i| format!("{}k:\n", "  ".repeat(i)))
                .collect::<String>()
                + &"  ".repeat(levels)
                + "v: 1\n"
        };
        let limits = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        // Four mappings deep is within the limit and read fast ...
        assert!(fast_chunks(&nested(3), &limits)[0].is_some());
        both(&nested(3), &limits);
        // ... five is the event-based path's error.
        let docs = fallback(&nested(4), &limits);
        let e = docs[0].as_ref().unwrap_err();
        assert!(e.message.contains("deeper than 4 levels"), "{e:?}");
        // Beyond the fast reader's own bound, the general path decides.
        let docs = fallback(&nested(150), &Limits::default());
        assert!(docs[0].is_ok());
        let flow = format!("a: {}{}\n", "[".repeat(150), "]".repeat(150));
        fallback(&flow, &Limits::default());
    }

    #[test]
    fn json_documents() {
        let n = fast("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"spec\": {\"hostPID\": true, \"n\": [1, 2.5, null]}\n}\n");
        assert_eq!(at(&n, &["spec", "hostPID"]).value, Value::Bool(true));
        assert_eq!(key_pos(&n, "kind"), Pos::new(3, 3));
        assert_eq!(
            at(&n, &["spec", "n"]).as_seq().unwrap()[2].pos,
            Pos::new(4, 43)
        );
    }

    #[test]
    fn left_to_saphyr() {
        let limits = Limits::default();
        for src in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "base: &b {x: 1}\nd:\n  <<: *b\n",
            "? a\n: b\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: 1\n...\n",
            "a:\tb\n",
            "just a scalar\n",
            "a: 1\n b: 2\n",
            "a: [\n1]\n",
            "a: |\nb: 1\n",
            "a: 1\n- b\n",
            "",
        ] {
            let chunks = fast_chunks(src, &limits);
            assert!(chunks.iter().all(Option::is_none), "{src:?}");
            both(src, &limits);
        }
    }
}
