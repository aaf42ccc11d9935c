//! Loader throughput: bytes of YAML per second through the whole loading
//! path (document splitting, parsing, YAML 1.1 resolution, tree building
//! with positions), on one core, over the shared corpus. `corpus-saphyr`
//! reads every chunk with saphyr-parser, without the fast reader.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kubefort_core::yaml::{load_str, load_str_by, Limits, Route};

fn corpus_files() -> Vec<String> {
    let root = std::env::var_os("CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                if let Ok(s) = std::fs::read_to_string(&p) {
                    out.push(s);
                }
            }
        }
    }
    out.sort();
    out
}

fn bench(c: &mut Criterion) {
    let files = corpus_files();
    assert!(
        !files.is_empty(),
        "no corpus: set CORPUS or put shared/ beside the repository"
    );
    let bytes: usize = files.iter().map(String::len).sum();
    let limits = Limits::default();
    let mut g = c.benchmark_group("loader");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(
        BenchmarkId::new("corpus", format!("{} files", files.len())),
        |b| {
            b.iter(|| {
                let mut docs = 0usize;
                for f in &files {
                    docs += load_str(f, &limits).len();
                }
                docs
            })
        },
    );
    g.bench_function(
        BenchmarkId::new("corpus-saphyr", format!("{} files", files.len())),
        |b| {
            b.iter(|| {
                let mut docs = 0usize;
                for f in &files {
                    docs += load_str_by(f, &limits, Route::Saphyr).len();
                }
                docs
            })
        },
    );
    // The largest single file: one big multi-document stream.
    let largest = files.iter().max_by_key(|f| f.len()).unwrap();
    g.throughput(Throughput::Bytes(largest.len() as u64));
    g.bench_function("largest-file", |b| {
        b.iter(|| load_str(largest, &limits).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
