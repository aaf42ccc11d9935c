//! YAML and JSON read the way `kubectl` reads them.
//!
//! `kubectl` splits a stream into documents at lines that start with `---`
//! (k8s.io/apimachinery `YAMLReader`), then converts each document to JSON with
//! sigs.k8s.io/yaml, which decodes with go-yaml v2 (YAML 1.1 rules) in strict
//! mode. This module reproduces that pipeline:
//!
//! * documents are split on `---` lines first, so a syntax error in one
//!   document never hides the others;
//! * plain scalars are resolved with go-yaml v2's YAML 1.1 rules: `yes`, `no`,
//!   `on`, `off`, `y`, `n` (any of their capitalisations go-yaml knows) are
//!   booleans, `0644` is octal, `0x1f` hex, `1_000` an integer, `08` a float;
//! * merge keys (`<<`) are honoured, with explicit keys winning;
//! * anchors and aliases are expanded within a budget, so an alias bomb fails
//!   fast with "excessive aliasing" instead of exhausting memory;
//! * duplicate keys are rejected ("key already set in map"), as strict
//!   decoding does;
//! * non-string keys become strings as sigs.k8s.io/yaml makes them (`on:`
//!   becomes the key `"true"`);
//! * nesting is bounded.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use crate::value::{Entry, Map, Node, Pos, Value};

mod fast;

/// Bounds that keep hostile input from taking unbounded time or memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences in one document.
    pub max_depth: usize,
    /// Nodes that alias expansion may add to one document beyond
    /// `alias_ratio` times the nodes written out in the source.
    pub alias_allowance: usize,
    pub alias_ratio: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 1000,
            alias_allowance: 100_000,
            alias_ratio: 10,
        }
    }
}

/// One document of a stream.
#[derive(Debug)]
pub struct Document {
    /// 0-based index of the document in its file.
    pub index: usize,
    pub root: Node,
}

/// A document that could not be read, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub pos: Pos,
    pub message: String,
}

impl LoadError {
    fn new(pos: Pos, message: impl Into<String>) -> Self {
        LoadError {
            pos,
            message: message.into(),
        }
    }
}

/// A piece of the stream between `---` separator lines.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// 1-based line of the chunk's first line in the file.
    pub first_line: u32,
}

/// Split a stream where `kubectl` does: at every line that starts with `---`
/// followed by nothing, white space or a comment. Such a line can never be
/// document content (YAML forbids `---` at column 0 inside a document), so the
/// split is exact. Chunks holding only blanks and comments are dropped; a
/// chunk holding only directives (`%YAML`) is joined to the next one.
pub fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut line = 1u32;
    let mut i = 0usize;
    while i < bytes.len() {
        // `i` is at the start of a line.
        if bytes[i] == b'-' && bytes[i..].starts_with(b"---") && is_separator_tail(&bytes[i + 3..])
        {
            if i > start {
                chunks.push(Chunk {
                    text: &text[start..i],
                    first_line: start_line,
                });
            }
            start = i;
            start_line = line;
        }
        match memchr_nl(&bytes[i..]) {
            Some(off) => {
                i += off + 1;
                line += 1;
            }
            None => break,
        }
    }
    if start < bytes.len() {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
        });
    }
    // Join directive-only chunks to their document; drop empty ones.
    let mut out: Vec<Chunk<'_>> = Vec::with_capacity(chunks.len());
    let mut pending: Option<Chunk<'_>> = None;
    for c in chunks {
        let c = match pending.take() {
            Some(p) => Chunk {
                text: &text[offset_of(text, p.text)..offset_of(text, c.text) + c.text.len()],
                first_line: p.first_line,
            },
            None => c,
        };
        match chunk_kind(c.text) {
            ChunkKind::Empty => {}
            ChunkKind::DirectivesOnly => pending = Some(c),
            ChunkKind::Content => out.push(c),
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

fn offset_of(base: &str, part: &str) -> usize {
    part.as_ptr() as usize - base.as_ptr() as usize
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    let i = fast::find_newline(b, 0);
    (i < b.len()).then_some(i)
}

fn is_separator_tail(rest: &[u8]) -> bool {
    let line_end = memchr_nl(rest).unwrap_or(rest.len());
    let tail = &rest[..line_end];
    let trimmed = tail
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\r'))
        .map(|p| &tail[p..]);
    match trimmed {
        None => true,
        // Separator followed by a comment.
        Some(t) => t[0] == b'#' && (tail.len() > t.len()),
    }
}

enum ChunkKind {
    Empty,
    DirectivesOnly,
    Content,
}

fn chunk_kind(text: &str) -> ChunkKind {
    let mut directives = false;
    for l in text.lines() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || t == "---" || t.starts_with("--- #") || t == "..."
        {
            continue;
        }
        if l.starts_with('%') {
            directives = true;
            continue;
        }
        if let Some(rest) = l.strip_prefix("---") {
            // `---\t# comment` and the like.
            let rest = rest.trim();
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
        }
        return ChunkKind::Content;
    }
    if directives {
        ChunkKind::DirectivesOnly
    } else {
        ChunkKind::Empty
    }
}

/// Load every document of a YAML or JSON stream. Each document is its own
/// `Result`, in order.
pub fn load_str(text: &str, limits: &Limits) -> Vec<Result<Document, LoadError>> {
    load_str_by(text, limits, Route::Auto)
}

/// Which reader loads a chunk. Both give the same result; the choice exists
/// so that tests, benchmarks and fuzzing can compare them.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The fast reader, falling back to saphyr-parser for what it leaves.
    Auto,
    /// saphyr-parser only.
    Saphyr,
}

/// [`load_str`] with a choice of reader.
#[doc(hidden)]
pub fn load_str_by(text: &str, limits: &Limits, route: Route) -> Vec<Result<Document, LoadError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for chunk in split_documents(text) {
        load_chunk_by(chunk, limits, route, &mut out);
    }
    number_documents(&mut out);
    out
}

/// The fast reader alone: the chunk's one document, or `None` when it
/// leaves the chunk to saphyr-parser.
#[doc(hidden)]
pub fn load_chunk_fast(chunk: Chunk<'_>, limits: &Limits) -> Option<Node> {
    fast::parse(chunk.text, chunk.first_line, limits)
}

/// Give every loaded document its 0-based index in the stream.
pub fn number_documents(docs: &mut [Result<Document, LoadError>]) {
    for (i, d) in docs.iter_mut().enumerate() {
        if let Ok(d) = d {
            d.index = i;
        }
    }
}

/// Load the documents of one chunk, appending them to `out`.
pub fn load_chunk(chunk: Chunk<'_>, limits: &Limits, out: &mut Vec<Result<Document, LoadError>>) {
    load_chunk_by(chunk, limits, Route::Auto, out)
}

/// [`load_chunk`] with a choice of reader.
#[doc(hidden)]
pub fn load_chunk_by(
    chunk: Chunk<'_>,
    limits: &Limits,
    route: Route,
    out: &mut Vec<Result<Document, LoadError>>,
) {
    // Most manifests are plain block YAML, which the fast reader builds
    // exactly as saphyr-parser's events would; it leaves everything else,
    // errors included, to the general path below.
    if route == Route::Auto {
        if let Some(root) = fast::parse(chunk.text, chunk.first_line, limits) {
            out.push(Ok(Document { index: 0, root }));
            return;
        }
    }
    let base = out.len();
    let ok = parse_chunk(chunk.text, chunk.first_line, &[], limits, out);
    if ok {
        return;
    }
    // go-yaml (libyaml) does not check indentation inside flow collections
    // and quoted scalars, where YAML gives it no meaning; saphyr does. When
    // that is why a document failed, indent those lines and read it again,
    // keeping columns as written.
    let failed_on_indent = matches!(out.last(), Some(Err(e)) if e.message.contains("indentation"));
    if !failed_on_indent {
        return;
    }
    if let Some((text, pads)) = relax_indentation(chunk.text) {
        let mut retry = Vec::new();
        if parse_chunk(&text, chunk.first_line, &pads, limits, &mut retry) {
            out.truncate(base);
            out.extend(retry);
        }
    }
}

/// Parse one chunk; false when it ended in an error (which is pushed last).
fn parse_chunk(
    text: &str,
    first_line: u32,
    pads: &[u32],
    limits: &Limits,
    out: &mut Vec<Result<Document, LoadError>>,
) -> bool {
    let mut builder = Builder::new(first_line, pads, limits);
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None | Some(Ok((Event::StreamEnd, _))) => return true,
            Some(Ok((event, span))) => match builder.event(event, span) {
                Ok(Some(root)) => out.push(Ok(Document { index: 0, root })),
                Ok(None) => {}
                Err(e) => {
                    out.push(Err(e));
                    return false;
                }
            },
            Some(Err(e)) => {
                let mut err = scan_error(&e, first_line);
                // An error found at the end of the input (an unclosed
                // bracket or quote) is reported on the last line with content.
                let last = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .map(|(i, _)| first_line + i as u32)
                    .last()
                    .unwrap_or(first_line);
                if err.pos.line > last {
                    err.pos = Pos::new(last, 1);
                }
                out.push(Err(err));
                return false;
            }
        }
    }
}

/// Indent the continuation lines of flow collections and multi-line quoted
/// scalars past the line that opened them. Returns the new text and the
/// spaces added to each line (0-based from the chunk start), or `None` when
/// nothing needed it.
fn relax_indentation(text: &str) -> Option<(String, Vec<u32>)> {
    #[derive(PartialEq)]
    enum Quote {
        None,
        Single,
        Double,
    }
    let mut out = String::with_capacity(text.len() + 256);
    let mut pads = Vec::new();
    let mut depth = 0usize;
    let mut quote = Quote::None;
    let mut opener_indent = 0usize;
    let mut block_scalar: Option<usize> = None;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(bi) = block_scalar {
            if blank || indent > bi {
                out.push_str(line);
                pads.push(0);
                continue;
            }
            block_scalar = None;
        }
        let continuation = depth > 0 || quote != Quote::None;
        let mut pad = 0;
        if continuation {
            if !blank && indent <= opener_indent {
                pad = opener_indent + 1 - indent;
                changed = true;
            }
        } else {
            // The column content starts at, past any `- ` sequence markers.
            let mut c = indent;
            let b = line.as_bytes();
            while c + 1 < b.len() && b[c] == b'-' && b[c + 1] == b' ' {
                c += 2;
                while c < b.len() && b[c] == b' ' {
                    c += 1;
                }
            }
            opener_indent = c;
        }
        for _ in 0..pad {
            out.push(' ');
        }
        out.push_str(line);
        pads.push(pad as u32);
        let b = line.as_bytes();
        let mut i = 0;
        let mut content_end = b.len();
        while i < b.len() {
            let c = b[i];
            match quote {
                Quote::Single => {
                    if c == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            quote = Quote::None;
                        }
                    }
                }
                Quote::Double => {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        quote = Quote::None;
                    }
                }
                Quote::None => {
                    let prev = b[..i].iter().rev().find(|&&p| p != b' ' && p != b'\t');
                    let token_start =
                        matches!(prev, None | Some(b'[' | b'{' | b',' | b':' | b'-' | b'?'));
                    match c {
                        b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t') => {
                            content_end = i;
                            break;
                        }
                        b'\'' if token_start => quote = Quote::Single,
                        b'"' if token_start => quote = Quote::Double,
                        b'[' | b'{' if token_start || depth > 0 => depth += 1,
                        b']' | b'}' if depth > 0 => depth -= 1,
                        _ => {}
                    }
                }
            }
            i += 1;
        }
        if depth == 0 && quote == Quote::None {
            let content = line[..content_end].trim_end();
            let tail =
                content.trim_end_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
            if tail.ends_with(" |")
                || tail.ends_with(" >")
                || tail == "|"
                || tail == ">"
                || tail.ends_with("-|")
            {
                block_scalar = Some(indent);
            }
        }
    }
    changed.then_some((out, pads))
}

fn scan_error(e: &ScanError, first_line: u32) -> LoadError {
    let m = e.marker();
    let pos = Pos::new(first_line + m.line() as u32 - 1, m.col() as u32 + 1);
    let info = e.info();
    let message = match info {
        "recursion limit exceeded" => {
            "nesting is too deep (the YAML parser stops at 256 levels); no Kubernetes object is this deep".to_string()
        }
        "mapping values are not allowed in this context" => {
            "mapping values are not allowed in this context (is a key or an indentation wrong, or does a value need quotes?)".to_string()
        }
        _ => info.to_string(),
    };
    LoadError::new(pos, message)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        pos: Pos,
        anchor: usize,
        key: Option<PendingKey>,
        merges: Vec<Node>,
        index: Option<HashSet<Box<str>>>,
    },
}

enum PendingKey {
    Key(Box<str>, Pos),
    Merge(Pos),
}

struct Builder<'l> {
    first_line: u32,
    /// Spaces added to each line by `relax_indentation`, taken off columns.
    pads: &'l [u32],
    limits: &'l Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes written out in the source of this document.
    parsed: usize,
    /// Nodes added by alias expansion.
    expanded: usize,
}

/// What a resolved scalar is, beyond its value: a plain `<<` is a merge key.
struct Scalar {
    node: Node,
    merge: bool,
}

impl<'l> Builder<'l> {
    fn new(first_line: u32, pads: &'l [u32], limits: &'l Limits) -> Self {
        Builder {
            first_line,
            pads,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            parsed: 0,
            expanded: 0,
        }
    }

    fn pos(&self, span: &Span) -> Pos {
        let line = span.start.line();
        let pad = self.pads.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let col = (span.start.col() as u32).saturating_sub(pad);
        Pos::new(self.first_line + line as u32 - 1, col + 1)
    }

    /// Feed one event; returns a finished document root.
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<Option<Node>, LoadError> {
        let pos = self.pos(&span);
        match event {
            Event::StreamStart | Event::Nothing | Event::StreamEnd => Ok(None),
            Event::DocumentStart(_) => {
                self.stack.clear();
                self.anchors.clear();
                self.parsed = 0;
                self.expanded = 0;
                Ok(None)
            }
            Event::DocumentEnd => Ok(None),
            Event::Scalar(text, style, anchor, tag) => {
                self.parsed += 1;
                let s = resolve_scalar(text, style, tag.as_deref(), pos)?;
                if anchor != 0 {
                    self.anchors.insert(anchor, (s.node.clone(), 1));
                }
                self.push(s.node, s.merge)
            }
            Event::Alias(id) => {
                let (node, size) = match self.anchors.get(&id) {
                    Some((n, size)) => (n.clone(), *size),
                    None => return Err(LoadError::new(pos, "unknown anchor referenced")),
                };
                self.expanded += size;
                if self.expanded > self.limits.alias_allowance
                    && self.expanded > self.limits.alias_ratio * self.parsed.max(1)
                {
                    return Err(LoadError::new(
                        pos,
                        format!(
                            "document contains excessive aliasing: aliases expand to more than {} nodes (an alias bomb?)",
                            self.limits.alias_allowance
                        ),
                    ));
                }
                let mut node = node;
                // An alias stands where it is written; its content keeps the
                // anchor's positions.
                node.pos = pos;
                self.push(node, false)
            }
            Event::SequenceStart(anchor, _tag) => {
                self.parsed += 1;
                self.open(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                })
            }
            Event::MappingStart(anchor, _tag) => {
                self.parsed += 1;
                self.open(Frame::Map {
                    entries: Vec::new(),
                    pos,
                    anchor,
                    key: None,
                    merges: Vec::new(),
                    index: None,
                })
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = match self.stack.pop() {
                    Some(f) => f,
                    None => return Err(LoadError::new(pos, "unbalanced end of collection")),
                };
                let (node, anchor) = match frame {
                    Frame::Seq { items, pos, anchor } => {
                        (Node::new(Value::Seq(items), pos), anchor)
                    }
                    Frame::Map {
                        mut entries,
                        pos,
                        anchor,
                        merges,
                        ..
                    } => {
                        if !merges.is_empty() {
                            apply_merges(&mut entries, merges);
                        }
                        (Node::new(Value::Map(Map { entries }), pos), anchor)
                    }
                };
                if anchor != 0 {
                    let size = count_nodes(&node);
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                self.push(node, false)
            }
        }
    }

    fn open(&mut self, frame: Frame) -> Result<Option<Node>, LoadError> {
        if self.stack.len() >= self.limits.max_depth {
            let pos = match &frame {
                Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
            };
            return Err(LoadError::new(
                pos,
                format!(
                    "nesting is deeper than {} levels; no Kubernetes object is this deep",
                    self.limits.max_depth
                ),
            ));
        }
        self.stack.push(frame);
        Ok(None)
    }

    /// Place a finished node in its parent, or return it as a document root.
    fn push(&mut self, node: Node, merge: bool) -> Result<Option<Node>, LoadError> {
        let Some(top) = self.stack.last_mut() else {
            return Ok(Some(node));
        };
        match top {
            Frame::Seq { items, .. } => {
                items.push(node);
                Ok(None)
            }
            Frame::Map {
                entries,
                key,
                merges,
                index,
                ..
            } => match key.take() {
                None => {
                    let pos = node.pos;
                    if merge {
                        *key = Some(PendingKey::Merge(pos));
                    } else {
                        let k = key_string(node)?;
                        let seen = match index {
                            Some(set) => set.contains(&k),
                            None => entries.iter().any(|e| e.key == k),
                        };
                        if seen {
                            let first = entries.iter().find(|e| e.key == k).map(|e| e.key_pos);
                            return Err(LoadError::new(
                                pos,
                                match first {
                                    Some(f) => format!(
                                        "key {:?} already set in map (first set at line {}); duplicate keys are rejected",
                                        &*k, f.line
                                    ),
                                    None => format!("key {:?} already set in map", &*k),
                                },
                            ));
                        }
                        *key = Some(PendingKey::Key(k, pos));
                    }
                    Ok(None)
                }
                Some(PendingKey::Merge(pos)) => {
                    match &node.value {
                        Value::Map(_) => merges.push(node),
                        Value::Seq(items)
                            if items.iter().all(|i| matches!(i.value, Value::Map(_))) =>
                        {
                            merges.push(node)
                        }
                        _ => {
                            return Err(LoadError::new(
                                pos,
                                "map merge requires map or sequence of maps as the value",
                            ))
                        }
                    }
                    Ok(None)
                }
                Some(PendingKey::Key(k, key_pos)) => {
                    if let Some(set) = index {
                        set.insert(k.clone());
                    } else if entries.len() >= 16 {
                        let mut set: HashSet<Box<str>> =
                            entries.iter().map(|e| e.key.clone()).collect();
                        set.insert(k.clone());
                        *index = Some(set);
                    }
                    entries.push(Entry {
                        key: k,
                        key_pos,
                        value: node,
                    });
                    Ok(None)
                }
            },
        }
    }
}

/// Add merged keys that the mapping does not set itself. Earlier sources win
/// over later ones, as YAML's merge key type says.
fn apply_merges(entries: &mut Vec<Entry>, merges: Vec<Node>) {
    let mut present: HashSet<Box<str>> = entries.iter().map(|e| e.key.clone()).collect();
    let mut sources: Vec<&Map> = Vec::new();
    for m in &merges {
        match &m.value {
            Value::Map(map) => sources.push(map),
            Value::Seq(items) => sources.extend(items.iter().filter_map(Node::as_map)),
            _ => {}
        }
    }
    for map in sources {
        for e in &map.entries {
            if present.insert(e.key.clone()) {
                entries.push(e.clone());
            }
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut n = 0;
    let mut stack = vec![node];
    while let Some(x) = stack.pop() {
        n += 1;
        match &x.value {
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(m) => stack.extend(m.entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    n
}

/// The JSON key sigs.k8s.io/yaml makes of a YAML key.
fn key_string(mut node: Node) -> Result<Box<str>, LoadError> {
    if let Value::String(s) = &mut node.value {
        return Ok(std::mem::take(s));
    }
    Ok(match &node.value {
        Value::String(_) => unreachable!("taken above"),
        Value::Int(i) => i.to_string().into(),
        Value::Float(f) => format_go_float32(*f).into(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Null => {
            return Err(LoadError::new(
                node.pos,
                "a null mapping key cannot be converted to JSON",
            ))
        }
        Value::Seq(_) | Value::Map(_) => {
            return Err(LoadError::new(
                node.pos,
                format!(
                    "a {} cannot be a mapping key in a Kubernetes object",
                    node.value.type_name()
                ),
            ))
        }
    })
}

fn format_go_float32(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        format!("{}", f as f32)
    }
}

const CORE: &str = "tag:yaml.org,2002:";

fn resolve_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    pos: Pos,
) -> Result<Scalar, LoadError> {
    let string = |t: Cow<'_, str>| Scalar {
        node: Node::new(Value::String(t.into_owned().into_boxed_str()), pos),
        merge: false,
    };
    match tag {
        None => {
            if style != ScalarStyle::Plain {
                return Ok(string(text));
            }
            if text == "<<" {
                return Ok(Scalar {
                    node: Node::new(Value::String("<<".into()), pos),
                    merge: true,
                });
            }
            Ok(match resolve_plain(&text) {
                Some(v) => Scalar {
                    node: Node::new(v, pos),
                    merge: false,
                },
                None => string(text),
            })
        }
        Some(t) if t.handle == CORE => {
            let want = t.suffix.as_str();
            match want {
                "str" | "binary" | "timestamp" => Ok(string(text)),
                "null" | "bool" | "int" | "float" => {
                    let v = resolve_plain(&text);
                    let v = match (want, v) {
                        ("null", Some(Value::Null)) => Value::Null,
                        ("bool", Some(Value::Bool(b))) => Value::Bool(b),
                        ("int", Some(Value::Int(i))) => Value::Int(i),
                        ("float", Some(Value::Float(f))) => Value::Float(f),
                        ("float", Some(Value::Int(i))) => Value::Float(i as f64),
                        _ => {
                            return Err(LoadError::new(
                                pos,
                                format!("cannot decode !!{want} `{text}` as a !!{want}"),
                            ))
                        }
                    };
                    Ok(Scalar {
                        node: Node::new(v, pos),
                        merge: false,
                    })
                }
                "merge" => Ok(Scalar {
                    node: Node::new(Value::String("<<".into()), pos),
                    merge: true,
                }),
                // !!map and !!seq on a scalar and unknown core tags:
                // go-yaml keeps the text.
                _ => Ok(string(text)),
            }
        }
        // Local and unknown tags (`!Ref`, `!`): go-yaml does not resolve them
        // and keeps the text as a string.
        Some(_) => Ok(string(text)),
    }
}

/// Resolve a plain scalar by go-yaml v2's rules; `None` means "a string".
pub fn resolve_plain(s: &str) -> Option<Value> {
    let Some(&first) = s.as_bytes().first() else {
        return Some(Value::Null);
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            resolve_map(s)
        }
        b'.' => resolve_map(s).or_else(|| {
            // Go's ParseFloat on the text as written.
            go_parse_float(s).map(Value::Float)
        }),
        b'+' | b'-' | b'0'..=b'9' => {
            if let Some(v) = resolve_map(s) {
                return Some(v);
            }
            let plain: Cow<'_, str> = if s.contains('_') {
                Cow::Owned(s.replace('_', ""))
            } else {
                Cow::Borrowed(s)
            };
            if let Some(i) = go_parse_int(&plain) {
                return Some(Value::Int(i));
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Some(Value::Float(u as f64));
            }
            if yaml_style_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return Some(Value::Float(f));
                }
            }
            None
        }
        _ => None,
    }
}

fn resolve_map(s: &str) -> Option<Value> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Value::Null,
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`
/// or a leading `0` (octal) prefix, else decimal.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_unsigned_base0(rest)?;
    if neg {
        if u <= (i64::MAX as u64) + 1 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else if u <= i64::MAX as u64 {
        Some(u as i64)
    } else {
        None
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign allowed).
fn go_parse_uint(s: &str) -> Option<u64> {
    parse_unsigned_base0(s)
}

fn parse_unsigned_base0(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => (16, &s[2..]),
            b'o' | b'O' => (8, &s[2..]),
            b'b' | b'B' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.bytes().all(|c| (c as char).is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms YAML produces, and
/// Go's spellings of infinity and NaN.
fn go_parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        return lower.replace("infinity", "inf").parse().ok();
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Node {
        let mut docs = load_str(src, &Limits::default());
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0).expect("loads").root
    }

    fn err(src: &str) -> LoadError {
        let docs = load_str(src, &Limits::default());
        docs.into_iter().find_map(Result::err).expect("an error")
    }

    #[test]
    fn yaml11_booleans() {
        for t in [
            "yes", "Yes", "YES", "y", "Y", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(
                one(&format!("a: {t}")).get("a").unwrap().value,
                Value::Bool(true),
                "{t}"
            );
        }
        for f in [
            "no", "No", "NO", "n", "N", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(
                one(&format!("a: {f}")).get("a").unwrap().value,
                Value::Bool(false),
                "{f}"
            );
        }
        // Not booleans in go-yaml v2.
        for s in ["yES", "tRUE", "oN", "'yes'", "\"on\""] {
            assert!(
                matches!(
                    one(&format!("a: {s}")).get("a").unwrap().value,
                    Value::String(_)
                ),
                "{s}"
            );
        }
    }

    #[test]
    fn yaml11_numbers() {
        let cases: &[(&str, Value)] = &[
            ("0644", Value::Int(420)),
            ("0o644", Value::Int(420)),
            ("0x1F", Value::Int(31)),
            ("0b101", Value::Int(5)),
            ("-0b101", Value::Int(-5)),
            ("1_000", Value::Int(1000)),
            ("+12", Value::Int(12)),
            ("-0", Value::Int(0)),
            ("08", Value::Float(8.0)),
            ("1e3", Value::Float(1000.0)),
            ("1.5", Value::Float(1.5)),
            (".5", Value::Float(0.5)),
            ("1.", Value::Float(1.0)),
            ("9223372036854775807", Value::Int(i64::MAX)),
            ("-9223372036854775808", Value::Int(i64::MIN)),
            ("~", Value::Null),
            ("null", Value::Null),
            ("", Value::Null),
        ];
        for (src, want) in cases {
            assert_eq!(
                &one(&format!("a: {src}")).get("a").unwrap().value,
                want,
                "{src}"
            );
        }
        for s in [
            "1e",
            "0x",
            "1.2.3",
            "+Inf",
            "Infinity",
            "2001-12-14",
            "1:20",
            "12abc",
            "-x",
            "+",
        ] {
            assert!(
                matches!(
                    one(&format!("a: {s}")).get("a").unwrap().value,
                    Value::String(_)
                ),
                "{s}"
            );
        }
        assert!(
            matches!(one("a: .inf").get("a").unwrap().value, Value::Float(f) if f.is_infinite())
        );
    }

    #[test]
    fn explicit_tags() {
        assert_eq!(one("a: !!str 123").get("a").unwrap().as_str(), Some("123"));
        assert_eq!(
            one("a: !!int \"12\"").get("a").unwrap().value,
            Value::Int(12)
        );
        assert_eq!(
            one("a: !!float 1").get("a").unwrap().value,
            Value::Float(1.0)
        );
        assert_eq!(
            one("a: !custom yes").get("a").unwrap().as_str(),
            Some("yes")
        );
        assert!(err("a: !!int abc").message.contains("cannot decode"));
    }

    #[test]
    fn keys_become_json_strings() {
        let n = one("on: 1\n5: 2\nn: 3\n1.5: 4\n");
        let keys: Vec<_> = n
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(keys, ["true", "5", "false", "1.5"]);
        // `on` and `yes` both become "true": a duplicate, as in kubectl.
        let e = err("on: 1\nyes: 2\n");
        assert!(e.message.contains("already set"), "{e:?}");
        assert_eq!(e.pos.line, 2);
    }

    #[test]
    fn duplicate_keys_rejected_with_line() {
        let e = err("a: 1\nb:\n  c: 1\n  c: 2\n");
        assert_eq!(e.pos, Pos::new(4, 3));
        assert!(e
            .message
            .contains("\"c\" already set in map (first set at line 3)"));
    }

    #[test]
    fn many_keys_duplicate_detected() {
        let mut src: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        src.push_str("k7: again\n");
        assert_eq!(err(&src).pos.line, 101);
    }

    #[test]
    fn merge_keys() {
        let n = one("base: &b\n  x: 1\n  w: 2\nd:\n  <<: *b\n  w: 3\n");
        let d = n.get("d").unwrap();
        assert_eq!(d.get("x").unwrap().value, Value::Int(1));
        assert_eq!(d.get("w").unwrap().value, Value::Int(3));
        // `y` is a YAML 1.1 boolean, so the key is "true".
        assert!(one("y: 0").get("true").is_some());
        // Explicit keys win wherever they are written; earlier merge sources win.
        let n = one("a: &a {x: 1}\nb: &b {x: 2, z: 2}\nd:\n  w: 0\n  <<: [*a, *b]\n");
        let d = n.get("d").unwrap();
        assert_eq!(d.get("x").unwrap().value, Value::Int(1));
        assert_eq!(d.get("z").unwrap().value, Value::Int(2));
        assert!(err("a:\n  <<: 5\n").message.contains("map merge"));
    }

    #[test]
    fn positions_are_one_based() {
        let n = one("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n");
        let spec = n.as_map().unwrap().entry("spec").unwrap();
        assert_eq!(spec.key_pos, Pos::new(3, 1));
        let c = &n
            .get_path(&["spec", "containers"])
            .unwrap()
            .as_seq()
            .unwrap()[0];
        let img = c.as_map().unwrap().entry("image").unwrap();
        assert_eq!(img.key_pos, Pos::new(6, 5));
        assert_eq!(img.value.pos, Pos::new(6, 12));
    }

    #[test]
    fn documents_split_like_kubectl() {
        let src = "a: 1\n---\nb: [\n---\nc: 3\n--- # comment\nd: 4\n---\n";
        let docs = load_str(src, &Limits::default());
        assert_eq!(docs.len(), 4);
        assert!(docs[0].is_ok());
        let e = docs[1].as_ref().unwrap_err();
        assert!(e.pos.line >= 3, "{e:?}");
        assert_eq!(docs[2].as_ref().unwrap().root.get("c").unwrap().pos.line, 5);
        assert_eq!(docs[3].as_ref().unwrap().root.get("d").unwrap().pos.line, 7);
    }

    #[test]
    fn directives_join_their_document() {
        let docs = load_str("%YAML 1.1\n---\na: 1\n", &Limits::default());
        assert_eq!(docs.len(), 1);
        assert!(docs[0].is_ok(), "{docs:?}");
    }

    #[test]
    fn block_scalar_may_hold_dashes_when_indented() {
        let n = one("a: |\n  ---\n  x\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("---\nx\n"));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut src = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
            let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
            let refs = vec![format!("*{prev}"); 9].join(",");
            src.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let t = std::time::Instant::now();
        let e = err(&src);
        assert!(e.message.contains("excessive aliasing"), "{e:?}");
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let src = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = err(&src);
        assert!(e.message.contains("too deep"), "{e:?}");
        let src = (0..5000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect::<String>();
        assert!(err(&src).message.contains("deep"));
    }

    #[test]
    fn flow_and_quoted_indentation_is_lenient_like_go_yaml() {
        let n = one("spec:\n  args: [\n    \"a\",\n  \"b\",\n  ]\n  x: 1\n");
        let args = n.get_path(&["spec", "args"]).unwrap().as_seq().unwrap();
        assert_eq!(args.len(), 2);
        assert_eq!(args[1].pos, Pos::new(4, 3));
        assert_eq!(n.get_path(&["spec", "x"]).unwrap().pos, Pos::new(6, 6));
        let n = one("c:\n  args: ['\n    echo a;\n  echo b\n  ']\n");
        let a = &n.get_path(&["c", "args"]).unwrap().as_seq().unwrap()[0];
        assert_eq!(a.as_str(), Some(" echo a; echo b "));
        // Block scalars are left alone.
        let n = one("a: |\n  x [\nb: [1,\n 2]\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("x [\n"));
    }

    #[test]
    fn json_documents() {
        let n = one("{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"spec\": {\"hostPID\": true}}");
        assert_eq!(
            n.get_path(&["spec", "hostPID"]).unwrap().value,
            Value::Bool(true)
        );
        assert_eq!(
            n.as_map().unwrap().entry("spec").unwrap().key_pos,
            Pos::new(2, 2)
        );
    }
}
