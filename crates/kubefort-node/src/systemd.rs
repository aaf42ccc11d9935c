//! The kubelet's command line as systemd builds it from a unit file, its
//! drop-ins and environment files, each word with the file, line and column
//! it comes from.
//!
//! What is read, as systemd reads it: the unit from the first directory that
//! has it (`/etc` before `/usr/lib` before `/lib`), drop-ins
//! (`kubelet.service.d/*.conf`) from every directory, ordered by file name,
//! a drop-in in an earlier directory hiding one of the same name in a later
//! one; in `[Service]`, `Environment=` (several quoted or unquoted
//! assignments per line), `EnvironmentFile=` (a leading `-` makes a missing
//! file fine; its assignments override `Environment=`), and `ExecStart=`
//! (an empty one resets; the last one runs). In `ExecStart`, `$VAR` expands
//! to the variable's words split at white space and `${VAR}` to one word.
//! Lines ending in `\` continue on the next line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubefort_core::Pos;

/// One word of the command line and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub file: Arc<str>,
    pub pos: Pos,
}

/// The kubelet's service as found on the node.
#[derive(Debug, Default)]
pub struct Service {
    /// Unit and drop-in files read, in order.
    pub files: Vec<PathBuf>,
    /// Environment files read.
    pub env_files: Vec<PathBuf>,
    /// The command line after the program name, or `None` without `ExecStart`.
    pub args: Option<Vec<Word>>,
    /// Where `ExecStart` is.
    pub exec_start: Option<(Arc<str>, Pos)>,
    /// Files that could not be read.
    pub errors: Vec<(PathBuf, String)>,
}

/// A variable's value with the position of each of its characters' start.
#[derive(Clone, Debug)]
struct Val {
    text: String,
    file: Arc<str>,
    /// Position of each byte offset of `text` where a character starts.
    pos: Vec<(usize, Pos)>,
}

impl Val {
    fn pos_at(&self, offset: usize) -> Pos {
        self.pos
            .iter()
            .rev()
            .find(|(o, _)| *o <= offset)
            .map(|p| p.1)
            .unwrap_or_default()
    }

    /// Split at white space, as `$VAR` expands.
    fn words(&self) -> Vec<Word> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in self.text.char_indices().chain([(self.text.len(), ' ')]) {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    out.push(Word {
                        text: self.text[s..i].to_string(),
                        file: self.file.clone(),
                        pos: self.pos_at(s),
                    });
                    start = None;
                }
                _ => {}
            }
        }
        out
    }
}

/// Logical lines of a unit or environment file: `(line, column of the
/// first character, text)`, continuations joined with a space.
fn logical_lines(text: &str) -> Vec<(Vec<(usize, Pos)>, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut map: Vec<(usize, Pos)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n as u32 + 1;
        let (body, cont) = match raw.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (raw, false),
        };
        if !cur.is_empty() {
            cur.push(' ');
        }
        for (col, c) in (1..).zip(body.chars()) {
            map.push((cur.len(), Pos::new(line, col)));
            cur.push(c);
        }
        if !cont {
            out.push((std::mem::take(&mut map), std::mem::take(&mut cur)));
        }
    }
    if !cur.is_empty() {
        out.push((map, cur));
    }
    out
}

fn pos_in(map: &[(usize, Pos)], offset: usize) -> Pos {
    map.iter()
        .rev()
        .find(|(o, _)| *o <= offset)
        .map(|p| p.1)
        .unwrap_or_default()
}

/// Split an assignment list (`"A=x y" B=z`) into `(name, value with positions)`.
fn assignments(
    map: &[(usize, Pos)],
    text: &str,
    start: usize,
    file: &Arc<str>,
) -> Vec<(String, Val)> {
    let mut out = Vec::new();
    let bytes: Vec<(usize, char)> = text[start..]
        .char_indices()
        .map(|(i, c)| (i + start, c))
        .collect();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].1.is_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let quote = match bytes[i].1 {
            '"' | '\'' => {
                i += 1;
                Some(bytes[i - 1].1)
            }
            _ => None,
        };
        let mut word = String::new();
        let mut wpos: Vec<(usize, Pos)> = Vec::new();
        while i < bytes.len() {
            let (off, c) = bytes[i];
            match quote {
                Some(q) if c == q => {
                    i += 1;
                    break;
                }
                None if c.is_whitespace() => break,
                _ => {}
            }
            let c = if c == '\\' && i + 1 < bytes.len() {
                i += 1;
                bytes[i].1
            } else {
                c
            };
            wpos.push((word.len(), pos_in(map, off)));
            word.push(c);
            i += 1;
        }
        if let Some((name, _)) = word.split_once('=') {
            let skip = name.len() + 1;
            let value = word[skip..].to_string();
            let pos = wpos
                .iter()
                .filter(|(o, _)| *o >= skip)
                .map(|(o, p)| (o - skip, *p))
                .collect();
            out.push((
                name.to_string(),
                Val {
                    text: value,
                    file: file.clone(),
                    pos,
                },
            ));
        }
    }
    out
}

/// Read an environment file: one `KEY=value` per line (the value is the
/// rest of the line, or what a pair of quotes encloses), `#` comments,
/// optional `export`.
fn read_env_file(shown: &Arc<str>, text: &str) -> Vec<(String, Val)> {
    let mut out = Vec::new();
    for (map, line) in logical_lines(text) {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        let start = line.len() - t.len();
        let start = if t.starts_with("export ") {
            start + 7
        } else {
            start
        };
        let Some((name, _)) = line[start..].split_once('=') else {
            continue;
        };
        let mut vstart = start + name.len() + 1;
        let mut value = line[vstart..].trim_end();
        if let Some(q @ ('"' | '\'')) = value.chars().next() {
            if let Some(end) = value[1..].find(q) {
                value = &value[1..1 + end];
                vstart += 1;
            }
        }
        let pos = (0..value.len())
            .filter(|o| value.is_char_boundary(*o))
            .map(|o| (o, pos_in(&map, vstart + o)))
            .collect();
        out.push((
            name.trim().to_string(),
            Val {
                text: value.to_string(),
                file: shown.clone(),
                pos,
            },
        ));
    }
    out
}

/// Largest unit or environment file read (systemd's own limit on a unit
/// file's line is far smaller; real ones are a few hundred bytes).
pub const MAX_FILE_SIZE: u64 = 1 << 20;

/// Read a unit or environment file, refusing oversized ones.
fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut text = String::new();
    f.take(MAX_FILE_SIZE + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_SIZE {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_FILE_SIZE} bytes: not a unit or environment file"
        )));
    }
    Ok(text)
}

/// The last `ExecStart=`: its file, character positions, line and where its value starts.
type ExecLine = (Arc<str>, Vec<(usize, Pos)>, String, usize);

/// Read the kubelet service under `root`: the unit from the first of
/// `dirs` that has `kubelet.service`, drop-ins from all of them.
pub fn read_service(root: &Path, dirs: &[String], show: &dyn Fn(&Path) -> Arc<str>) -> Service {
    let mut svc = Service::default();
    let under = |d: &str| root.join(d.trim_start_matches('/'));
    let unit = dirs
        .iter()
        .map(|d| under(d).join("kubelet.service"))
        .find(|p| p.is_file());
    let mut dropins: Vec<(String, PathBuf)> = Vec::new();
    for d in dirs {
        let dir = under(d).join("kubelet.service.d");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut here: Vec<(String, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "conf") && p.is_file())
            .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), p)))
            .collect();
        here.sort();
        for (name, p) in here {
            if !dropins.iter().any(|(n, _)| *n == name) {
                dropins.push((name, p));
            }
        }
    }
    dropins.sort();
    let files: Vec<PathBuf> = unit
        .into_iter()
        .chain(dropins.into_iter().map(|d| d.1))
        .collect();

    let mut env: HashMap<String, Val> = HashMap::new();
    let mut env_files: Vec<(PathBuf, bool)> = Vec::new();
    let mut exec: Option<ExecLine> = None;
    for f in &files {
        let text = match read_limited(f) {
            Ok(t) => t,
            Err(e) => {
                svc.errors.push((f.clone(), e.to_string()));
                continue;
            }
        };
        svc.files.push(f.clone());
        let shown = show(f);
        let mut section = String::new();
        for (map, line) in logical_lines(&text) {
            let t = line.trim();
            if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
                continue;
            }
            if t.starts_with('[') {
                section = t.to_string();
                continue;
            }
            if section != "[Service]" {
                continue;
            }
            let Some((key, _)) = line.split_once('=') else {
                continue;
            };
            let key_trim = key.trim();
            let vstart = key.len() + 1;
            let value = line[vstart..].trim();
            let vstart = vstart + (line[vstart..].len() - line[vstart..].trim_start().len());
            match key_trim {
                "Environment" => {
                    for (k, v) in assignments(&map, &line, vstart, &shown) {
                        env.insert(k, v);
                    }
                }
                "EnvironmentFile" => {
                    if value.is_empty() {
                        env_files.clear();
                    } else {
                        let (optional, p) = match value.strip_prefix('-') {
                            Some(p) => (true, p),
                            None => (false, value),
                        };
                        env_files.push((under(p), optional));
                    }
                }
                "ExecStart" => {
                    exec = if value.is_empty() {
                        None
                    } else {
                        Some((shown.clone(), map.clone(), line.clone(), vstart))
                    };
                }
                _ => {}
            }
        }
    }
    for (p, optional) in env_files {
        match read_limited(&p) {
            Ok(text) => {
                let shown = show(&p);
                for (k, v) in read_env_file(&shown, &text) {
                    env.insert(k, v);
                }
                svc.env_files.push(p);
            }
            Err(e) if !optional || e.kind() != std::io::ErrorKind::NotFound => {
                svc.errors.push((p, e.to_string()))
            }
            Err(_) => {}
        }
    }
    if let Some((file, map, line, start)) = exec {
        svc.exec_start = Some((file.clone(), pos_in(&map, start)));
        let cmd = Val {
            text: line[start..].to_string(),
            file: file.clone(),
            pos: map
                .iter()
                .filter(|(o, _)| *o >= start)
                .map(|(o, p)| (o - start, *p))
                .collect(),
        };
        let mut words = Vec::new();
        for (i, w) in cmd.words().into_iter().enumerate() {
            let text = if i == 0 {
                w.text
                    .trim_start_matches(['-', '@', '+', '!', ':'])
                    .to_string()
            } else {
                w.text.clone()
            };
            if let Some(name) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) {
                if let Some(v) = env.get(name) {
                    words.push(Word {
                        text: v.text.clone(),
                        file: v.file.clone(),
                        pos: v.pos_at(0),
                    });
                }
            } else if let Some(name) = text.strip_prefix('$') {
                if let Some(v) = env.get(name) {
                    words.extend(v.words());
                }
            } else {
                words.push(Word { text, ..w });
            }
        }
        if !words.is_empty() {
            words.remove(0);
        }
        svc.args = Some(words);
    }
    svc
}
