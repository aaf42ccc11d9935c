//! The fast YAML reader against saphyr-parser on the shared corpus: every
//! chunk the fast reader takes must load to the same tree, positions
//! included, and every file to the same documents and errors.

use std::path::{Path, PathBuf};

mod common;

use common::{diff, diff_docs};
use kubefort_core::yaml::{
    load_chunk_by, load_chunk_fast, load_str_by, split_documents, Limits, Route,
};

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    assert!(
        dir.is_dir(),
        "corpus directory {} is missing: the differential test needs it (set CORPUS to another place)",
        dir.display()
    );
    dir
}

fn corpus_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable corpus directory") {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fast_reader_matches_saphyr_on_the_corpus() {
    let files = corpus_files(&corpus_dir());
    assert!(
        files.len() > 1000,
        "corpus looks truncated: {} files",
        files.len()
    );
    let limits = Limits::default();
    let (mut fast, mut fallback, mut fast_bytes, mut fallback_bytes) = (0usize, 0usize, 0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let Ok(text) = kubefort_core::source::decode(std::fs::read(f).expect("readable file"))
        else {
            continue;
        };
        let stream = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for chunk in split_documents(stream) {
            match load_chunk_fast(chunk, &limits) {
                Some(root) => {
                    fast += 1;
                    fast_bytes += chunk.text.len();
                    let mut slow = Vec::new();
                    load_chunk_by(chunk, &limits, Route::Saphyr, &mut slow);
                    let problem = match slow.as_slice() {
                        [Ok(d)] => diff(&root, &d.root, "root"),
                        other => Some(format!("saphyr gives {other:?}")),
                    };
                    if let Some(p) = problem {
                        failures.push(format!("{}:{}: {p}", f.display(), chunk.first_line));
                    }
                }
                None => {
                    fallback += 1;
                    fallback_bytes += chunk.text.len();
                }
            }
        }
        let a = load_str_by(&text, &limits, Route::Auto);
        let b = load_str_by(&text, &limits, Route::Saphyr);
        if let Some(p) = diff_docs(&a, &b) {
            failures.push(format!("{}: whole file: {p}", f.display()));
        }
    }
    println!(
        "{} files; chunks: {fast} fast ({fast_bytes} bytes), {fallback} fell back ({fallback_bytes} bytes)",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}
