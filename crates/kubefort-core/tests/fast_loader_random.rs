//! The fast YAML reader against saphyr-parser on generated documents: block
//! collections of every shape the fast reader knows, written with the
//! indentation, comments, quoting and scalar forms at the edge of what it
//! takes, plus a sprinkling of what it leaves alone. Both routes must give
//! the same documents, positions and errors.
//!
//! `KUBEFORT_RANDOM_CASES` sets the number of documents (default 20000) and
//! `KUBEFORT_RANDOM_SEED` the first seed.

mod common;

use common::diff_docs;
use kubefort_core::yaml::{load_str_by, split_documents, Limits, Route};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    /// Mostly from the first `good` items, sometimes from all.
    fn pick_mostly<'a>(&mut self, items: &[&'a str], good: usize) -> &'a str {
        if self.chance(8) {
            self.pick(items)
        } else {
            self.pick(&items[..good])
        }
    }
}

/// Keys: the first `GOOD_KEYS` are valid and distinct.
const GOOD_KEYS: usize = 29;

const KEYS: &[&str] = &[
    "a",
    "b",
    "name",
    "image",
    "on",
    "yes",
    "n",
    "1",
    "0x1F",
    "1.5",
    "1e3",
    "-1",
    "\"q\"",
    "'s'",
    "\"a:b\"",
    "'it''s'",
    "\"esc\\tkey\"",
    "k k",
    "a#b",
    ":x",
    "?y",
    "-z",
    "é",
    "日本語",
    "x.y/z",
    "a:b",
    "\"\"",
    "\"<<\"",
    "a ",
    "''",
    "~",
    "null",
    "<<",
    "dup",
    "dup",
    "&a k",
    "? k",
];

/// Scalars and flow collections: the first `GOOD_SCALARS` are valid.
const GOOD_SCALARS: usize = 66;

const SCALARS: &[&str] = &[
    "x",
    "hello world",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "0644",
    "0o17",
    "08",
    "0x1f",
    "-0b101",
    "1_000",
    "1e3",
    "1.",
    ".5",
    ".inf",
    "-.Inf",
    ".nan",
    "~",
    "null",
    "Null",
    "9223372036854775808",
    "-9223372036854775809",
    "2001-12-14",
    "1:20",
    "\"yes\"",
    "'0644'",
    "\"\"",
    "''",
    "'it''s'",
    "'a '' b'",
    "\"esc \\\" \\\\ \\n \\t \\x41 \\u00e9 \\U0001F600 \\/ \\N \\_ \\e \\0\"",
    "\"a\" # c",
    "'a' #c",
    "a#b",
    "a #b",
    "a # b",
    "http://x:80/y",
    "a:b",
    "a :b",
    "--",
    "-x",
    "?x",
    ":x",
    "é日本",
    "x  y",
    "[]",
    "{}",
    "[a, b]",
    "[a, b,]",
    "[a b, c]",
    "[-x, --y]",
    "{a: 1, b: [2, 3], c: {d: e}}",
    "{\"a\":1,\"b\":\"x\"}",
    "{a: 1,}",
    "{on: 1}",
    "[a] # c",
    "{a: [b, {c: d}]}",
    "[\"it's\", 'a''b', \"x\\ty\"]",
    "[1, 1.5, .inf, yes, ~, null, 0644]",
    "[a, [b, [c, [d]]]]",
    "[a#b]",
    "[a, \"b\" ,c ]",
    "{ a : b }",
    "{\"a\" :1}",
    "\"bad \\q\"",
    "\"surrogate \\ud83d\"",
    "a: b",
    "- x",
    ": x",
    "&a x",
    "!!str 1",
    "!t x",
    "[a -]",
    "[a, -]",
    "[a: b]",
    "{a: }",
    "{a: 1, a: 2}",
    "[a, # c",
    "[a]: b",
    "[a] b",
    "[a #b]",
    "{a: 1",
    "\"a\"#c",
    "-",
    "@x",
    "`x",
    "%x",
    "*a",
    ",x",
    "]",
    "}",
    "<<",
    "[a,,b]",
    "[,]",
    "[\"a\":b]",
    "{a}",
    "{a:}",
    "{a:1}",
    "[a]#c",
    "[:a]",
    "[a:b]",
    "'unterminated",
    "\"unterminated",
    "[a",
];

const COMMENTS: &[&str] = &["# c", "#", "#c: d", "# é", "#- x"];

struct Gen {
    rng: Rng,
    lines: Vec<String>,
}

impl Gen {
    fn spaces(n: usize) -> String {
        " ".repeat(n)
    }

    /// An indentation change that is usually valid, sometimes not.
    fn offset(&mut self) -> usize {
        match self.rng.below(10) {
            0 => 1,
            1..=6 => 2,
            7 => 3,
            8 => 4,
            _ => 6,
        }
    }

    fn maybe_noise(&mut self, col: usize) {
        if self.rng.chance(8) {
            let c = self.rng.pick(COMMENTS).to_string();
            let at = match self.rng.below(3) {
                0 => 0,
                1 => col,
                _ => col + 3,
            };
            self.lines.push(format!("{}{c}", Self::spaces(at)));
        }
        if self.rng.chance(6) {
            let n = self.rng.below(col + 4);
            self.lines.push(Self::spaces(n));
        }
        if self.rng.chance(1) {
            let weird = self.rng.pick(&[
                "...",
                "---",
                "--- x",
                "%YAML 1.1",
                "\t",
                "a:\tb",
                " \tx",
                "? a",
                ": b",
            ]);
            self.lines.push(weird.to_string());
        }
    }

    fn trailing(&mut self) -> &'static str {
        match self.rng.below(12) {
            0 => " ",
            1 => "   ",
            2 => " # trailing",
            3 => "# no space",
            _ => "",
        }
    }

    /// A block node whose first line starts with `prefix`; the node's own
    /// content starts in column `col` (the width of `prefix`).
    fn node(&mut self, prefix: String, col: usize, parent: isize, depth: u32) {
        let roll = if depth > 5 { 6 } else { self.rng.below(10) };
        match roll {
            0..=3 => self.map(prefix, col, depth),
            4 | 5 => self.seq(prefix, col, depth),
            _ => self.scalar_lines(prefix, parent),
        }
    }

    fn key(&mut self) -> String {
        let k = self.rng.pick_mostly(KEYS, GOOD_KEYS).to_string();
        let sep = match self.rng.below(20) {
            0 => " :",
            1 => ":",
            _ => ":",
        };
        format!("{k}{sep}")
    }

    fn map(&mut self, prefix: String, col: usize, depth: u32) {
        let n = 1 + self.rng.below(4);
        for i in 0..n {
            let lead = if i == 0 {
                prefix.clone()
            } else {
                let mut c = col;
                if self.rng.chance(3) {
                    c = if self.rng.chance(50) {
                        c + 1
                    } else {
                        c.saturating_sub(1)
                    };
                }
                Self::spaces(c)
            };
            let key = self.key();
            self.value(format!("{lead}{key}"), col, depth);
            self.maybe_noise(col);
        }
    }

    /// The value after `head` (which ends with a key's `:`), in a mapping at `col`.
    fn value(&mut self, head: String, col: usize, depth: u32) {
        match self.rng.below(14) {
            0..=4 => {
                let s = self.rng.pick_mostly(SCALARS, GOOD_SCALARS);
                let t = self.trailing();
                self.lines.push(format!("{head} {s}{t}"));
            }
            5 | 6 => {
                let t = self.trailing();
                self.lines.push(format!("{head}{t}"));
                self.maybe_noise(col);
                let off = if self.rng.chance(30) {
                    0
                } else {
                    self.offset()
                };
                let c = col + off;
                if off == 0 {
                    self.seq(Self::spaces(c), c, depth + 1);
                } else {
                    self.node(Self::spaces(c), c, col as isize, depth + 1);
                }
            }
            7 | 8 => self.block_scalar(head, col as isize),
            9 => self.multiline_plain(head, col as isize),
            10 => self.multiline_quoted(head, col as isize),
            11 => {
                let t = self.trailing();
                self.lines.push(format!("{head}{t}"));
            }
            12 => self.multiline_flow(head, col as isize),
            _ => {
                let s = self.rng.pick_mostly(SCALARS, GOOD_SCALARS);
                self.lines.push(format!("{head}  {s}"));
            }
        }
    }

    fn seq(&mut self, prefix: String, col: usize, depth: u32) {
        let n = 1 + self.rng.below(4);
        for i in 0..n {
            let lead = if i == 0 {
                prefix.clone()
            } else {
                let mut c = col;
                if self.rng.chance(3) {
                    c = if self.rng.chance(50) {
                        c + 1
                    } else {
                        c.saturating_sub(1)
                    };
                }
                Self::spaces(c)
            };
            let gap = if self.rng.chance(10) { "   " } else { " " };
            let head = format!("{lead}-{gap}");
            let inner = col + 1 + gap.len();
            match self.rng.below(12) {
                0..=3 => {
                    let s = self.rng.pick_mostly(SCALARS, GOOD_SCALARS);
                    let t = self.trailing();
                    self.lines.push(format!("{head}{s}{t}"));
                }
                4 | 5 => self.map(head, inner, depth + 1),
                6 => self.seq(head, inner, depth + 1),
                7 => {
                    let t = self.trailing();
                    self.lines.push(format!("{lead}-{t}"));
                    if self.rng.chance(60) {
                        let c = col + self.offset();
                        self.node(Self::spaces(c), c, col as isize, depth + 1);
                    }
                }
                8 => self.block_scalar(format!("{lead}-"), col as isize),
                9 => self.multiline_plain(format!("{lead}-"), col as isize),
                10 => self.multiline_quoted(format!("{lead}-"), col as isize),
                _ => self.multiline_flow(format!("{lead}-"), col as isize),
            }
            self.maybe_noise(col);
        }
    }

    fn scalar_lines(&mut self, prefix: String, parent: isize) {
        if self.rng.chance(70) {
            let s = self.rng.pick_mostly(SCALARS, GOOD_SCALARS);
            self.lines.push(format!("{prefix}{s}"));
        } else {
            let col = prefix.len();
            let word = self.rng.pick(&["x", "a b", "'q", "\"q"]);
            self.lines.push(format!("{prefix}{word}"));
            self.continuation(col as isize - 1, parent);
        }
    }

    fn content_col(&mut self, parent: isize) -> usize {
        let base = (parent + 1).max(0) as usize;
        match self.rng.below(10) {
            0 => base.saturating_sub(1),
            1 => base,
            _ => base + 1 + self.rng.below(3),
        }
    }

    fn block_scalar(&mut self, head: String, parent: isize) {
        let ind = self.rng.pick_mostly(
            &[
                "|", "|", "|-", "|+", ">", ">", ">-", ">+", "|2", "|-1", "|1-", ">2+", "| # c",
                ">  ", "|0", "|#x", "|++", "|12",
            ],
            14,
        );
        self.lines.push(format!("{head} {ind}"));
        let col = self.content_col(parent);
        let n = self.rng.below(5);
        for _ in 0..n {
            let line = match self.rng.below(10) {
                0 => String::new(),
                1 => Self::spaces(col + self.rng.below(3)),
                2 => format!("{}  more indented", Self::spaces(col)),
                3 => format!("{}# not a comment", Self::spaces(col)),
                4 => format!("{}x: [y]", Self::spaces(col)),
                5 => format!("{}é  trailing  ", Self::spaces(col)),
                _ => format!("{}text {}", Self::spaces(col), self.rng.below(100)),
            };
            self.lines.push(line);
        }
    }

    fn continuation(&mut self, col: isize, parent: isize) {
        let _ = col;
        let n = 1 + self.rng.below(3);
        for _ in 0..n {
            if self.rng.chance(20) {
                self.lines.push(String::new());
            }
            let c = self.content_col(parent);
            let word = self.rng.pick_mostly(
                &[
                    "cont",
                    "two words",
                    "- dash",
                    "\"quote",
                    "'q'",
                    "[x]",
                    "{y}",
                    "&z",
                    "*z",
                    "!t",
                    "|",
                    ">",
                    "%p",
                    "@a",
                    "a:b",
                    "? q",
                    "x'",
                    "end\"",
                    "it''s",
                    "\\",
                    "é",
                    "a: b",
                    "a #c",
                    "# c",
                    ": v",
                ],
                21,
            );
            self.lines.push(format!("{}{word}", Self::spaces(c)));
        }
    }

    fn multiline_plain(&mut self, head: String, parent: isize) {
        let first = self.rng.pick(&["a", "first words", "x # c", "1", "yes"]);
        self.lines.push(format!("{head} {first}"));
        self.continuation(0, parent);
    }

    fn multiline_quoted(&mut self, head: String, parent: isize) {
        let q = if self.rng.chance(50) { '"' } else { '\'' };
        let first = self.rng.pick(&["a", "a ", "a\\", "esc\\n", "x''y", ""]);
        self.lines.push(format!("{head} {q}{first}"));
        let n = self.rng.below(3);
        for _ in 0..n {
            if self.rng.chance(25) {
                let c = self.rng.below(4);
                self.lines.push(Self::spaces(c));
            }
            let c = self.content_col(parent);
            let w = self.rng.pick(&["mid", " spaced ", "x\\", "\\ y", "é"]);
            self.lines.push(format!("{}{w}", Self::spaces(c)));
        }
        let c = self.content_col(parent);
        let end = self.rng.pick(&["end", "", "  end  "]);
        let t = self.trailing();
        self.lines.push(format!("{}{end}{q}{t}", Self::spaces(c)));
    }

    fn multiline_flow(&mut self, head: String, parent: isize) {
        let open = if self.rng.chance(50) { "[" } else { "{" };
        self.lines.push(format!("{head} {open}"));
        let n = 1 + self.rng.below(3);
        for i in 0..n {
            let c = self.content_col(parent);
            let item = if open == "[" {
                self.rng
                    .pick(&["a", "\"b\"", "'c'", "[d]", "{e: f}", "1", "# c"])
                    .to_string()
            } else {
                self.rng
                    .pick(&["a: 1", "\"b\": 2", "\"c\":3", "d: [e]", "# c", "f: {g: h}"])
                    .to_string()
            };
            let comma = if i + 1 < n || self.rng.chance(20) {
                ","
            } else {
                ""
            };
            self.lines.push(format!("{}{item}{comma}", Self::spaces(c)));
        }
        let c = self.content_col(parent);
        let close = if open == "[" { "]" } else { "}" };
        let t = self.trailing();
        self.lines.push(format!("{}{close}{t}", Self::spaces(c)));
    }

    fn document(&mut self) -> String {
        self.lines.clear();
        if self.rng.chance(20) {
            self.lines
                .push(self.rng.pick(&["---", "--- # c", "---  "]).to_string());
        }
        let col = if self.rng.chance(5) { 2 } else { 0 };
        if self.rng.chance(5) {
            let s = self.rng.pick_mostly(SCALARS, GOOD_SCALARS);
            self.lines.push(s.to_string());
        } else if self.rng.chance(60) {
            self.map(Self::spaces(col), col, 0);
        } else {
            self.seq(Self::spaces(col), col, 0);
        }
        if self.rng.chance(10) {
            self.lines.push("---".into());
            self.map(String::new(), 0, 0);
        }
        let nl = if self.rng.chance(10) { "\r\n" } else { "\n" };
        let mut text = self.lines.join(nl);
        if self.rng.chance(85) {
            text.push_str(nl);
        }
        if self.rng.chance(3) {
            text.insert(0, '\u{feff}');
        }
        text
    }
}

#[test]
fn fast_reader_matches_saphyr_on_generated_documents() {
    let cases: usize = std::env::var("KUBEFORT_RANDOM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let seed: u64 = std::env::var("KUBEFORT_RANDOM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let limits = Limits::default();
    let mut fast_chunks = 0usize;
    let mut chunks = 0usize;
    let mut failures = Vec::new();
    for case in 0..cases {
        let mut g = Gen {
            rng: Rng(seed
                .wrapping_add(case as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                | 1),
            lines: Vec::new(),
        };
        let text = g.document();
        let a = load_str_by(&text, &limits, Route::Auto);
        let b = load_str_by(&text, &limits, Route::Saphyr);
        if let Some(d) = diff_docs(&a, &b) {
            failures.push(format!("case {case}: {d}\n{text}"));
            if failures.len() >= 10 {
                break;
            }
        }
        let stream = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for c in split_documents(stream) {
            chunks += 1;
            if kubefort_core::yaml::load_chunk_fast(c, &limits).is_some() {
                fast_chunks += 1;
            }
        }
    }
    println!("{cases} documents, {chunks} chunks, {fast_chunks} read by the fast reader");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        fast_chunks * 5 > chunks,
        "the generator should exercise the fast reader: {fast_chunks} of {chunks} chunks"
    );
}
