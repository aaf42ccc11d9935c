//! Finding and reading inputs: files, directories (recursively) and stdin.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::finding::{InputError, SkipLevel, Skipped};

/// Default for the largest file kubefort reads (the API server refuses
/// requests over 3 MiB, so no real manifest stream comes near this).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 32 * 1024 * 1024;

/// What the user named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    pub fn parse(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// One file to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// How findings name it: the path as reached from the argument, or `<stdin>`.
    pub name: Arc<str>,
    pub path: Option<PathBuf>,
}

pub const STDIN_NAME: &str = "<stdin>";

/// Files found under the inputs, with errors and skips met on the way.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<SourceFile>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
}

fn is_manifest_name(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

/// Expand inputs into files: a file named directly is read whatever its
/// extension; directories are walked for `.yaml`, `.yml` and `.json` files,
/// in name order, following symbolic links but never around a loop.
pub fn discover(inputs: &[Input], config: &Config) -> Discovered {
    let mut d = Discovered::default();
    let mut seen_stdin = false;
    for input in inputs {
        match input {
            Input::Stdin => {
                if !seen_stdin {
                    d.files.push(SourceFile {
                        name: STDIN_NAME.into(),
                        path: None,
                    });
                    seen_stdin = true;
                }
            }
            Input::Path(p) => match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => {
                    let mut ancestors = HashSet::new();
                    if let Some(id) = dir_id(p) {
                        ancestors.insert(id);
                    }
                    walk(p, config, &mut ancestors, &mut d, 0);
                }
                Ok(_) => d.files.push(SourceFile {
                    name: p.display().to_string().into(),
                    path: Some(p.clone()),
                }),
                Err(e) => d.errors.push(InputError {
                    file: p.display().to_string().into(),
                    line: None,
                    column: None,
                    message: io_message(&e),
                }),
            },
        }
    }
    d
}

#[cfg(unix)]
fn dir_id(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(p: &Path) -> Option<(u64, u64)> {
    use std::hash::{Hash, Hasher};
    let c = std::fs::canonicalize(p).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    c.hash(&mut h);
    Some((0, h.finish()))
}

const MAX_WALK_DEPTH: usize = 256;

fn walk(
    dir: &Path,
    config: &Config,
    ancestors: &mut HashSet<(u64, u64)>,
    d: &mut Discovered,
    depth: usize,
) {
    let shown = |p: &Path| -> Arc<str> { p.display().to_string().into() };
    if depth > MAX_WALK_DEPTH {
        d.skipped.push(Skipped {
            file: shown(dir),
            line: None,
            level: SkipLevel::Warning,
            reason: format!("directory nesting deeper than {MAX_WALK_DEPTH} levels; not descended"),
        });
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            d.errors.push(InputError {
                file: shown(dir),
                line: None,
                column: None,
                message: io_message(&e),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if config.is_excluded(&p) {
            continue;
        }
        let is_link = std::fs::symlink_metadata(&p)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => {
                if p.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                let Some(id) = dir_id(&p) else { continue };
                if ancestors.contains(&id) {
                    d.skipped.push(Skipped {
                        file: shown(&p),
                        line: None,
                        level: SkipLevel::Warning,
                        reason: "symbolic link loop: this directory is one of its own ancestors; not descended".into(),
                    });
                    continue;
                }
                ancestors.insert(id);
                walk(&p, config, ancestors, d, depth + 1);
                ancestors.remove(&id);
            }
            Ok(_) => {
                if is_manifest_name(&p) {
                    d.files.push(SourceFile {
                        name: shown(&p),
                        path: Some(p),
                    });
                }
            }
            Err(e) => {
                if is_manifest_name(&p) || !is_link {
                    d.errors.push(InputError {
                        file: shown(&p),
                        line: None,
                        column: None,
                        message: if is_link {
                            format!("broken symbolic link: {}", io_message(&e))
                        } else {
                            io_message(&e)
                        },
                    });
                }
            }
        }
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: cannot read it (check its permissions)".into()
        }
        _ => e.to_string(),
    }
}

/// Read a source as UTF-8 text, refusing what is not text or too large.
pub fn read_source(src: &SourceFile, max_size: u64) -> Result<String, InputError> {
    let err = |message: String| InputError {
        file: src.name.clone(),
        line: None,
        column: None,
        message,
    };
    let bytes = match &src.path {
        Some(p) => {
            let f = std::fs::File::open(p).map_err(|e| err(io_message(&e)))?;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len > max_size {
                return Err(err(too_large(len, max_size)));
            }
            read_limited(f, max_size).map_err(|e| err(io_message(&e)))?
        }
        None => read_limited(std::io::stdin().lock(), max_size).map_err(|e| err(io_message(&e)))?,
    };
    if bytes.len() as u64 > max_size {
        return Err(err(too_large(bytes.len() as u64, max_size)));
    }
    decode(bytes).map_err(|(line, message)| InputError {
        file: src.name.clone(),
        line,
        column: None,
        message,
    })
}

fn read_limited(r: impl Read, max_size: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(max_size + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

fn too_large(len: u64, max: u64) -> String {
    format!(
        "file is {:.1} MiB, over the {:.1} MiB limit; no Kubernetes manifest is this large (raise it with --max-file-size if it really is one)",
        len as f64 / 1048576.0,
        max as f64 / 1048576.0
    )
}

/// Bytes to text: refuse binary data and invalid UTF-8, naming the line.
pub fn decode(bytes: Vec<u8>) -> Result<String, (Option<u32>, String)> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err((None, "the file is UTF-16; save it as UTF-8".into()));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err((
            None,
            "binary file (it contains NUL bytes), not YAML or JSON".into(),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = bytes[..at].iter().filter(|&&c| c == b'\n').count() as u32 + 1;
            Err((
                Some(line),
                format!("invalid UTF-8 at byte {at}; YAML and JSON manifests must be UTF-8"),
            ))
        }
    }
}

/// Whether a file sits in a Helm chart's `templates/` directory.
pub fn in_helm_chart(path: &Path) -> bool {
    path.ancestors().skip(1).take(8).any(|a| {
        a.file_name().is_some_and(|n| n == "templates")
            && a.parent().is_some_and(|p| p.join("Chart.yaml").is_file())
    })
}
