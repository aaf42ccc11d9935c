//! The cost of the CIS rules in a scan: the engine (loading, every rule,
//! suppressions, sorting; no report writing) over the shared corpus with no
//! rule (loading alone), the default rules minus `cis`, the default rules,
//! and `cis` alone.
//! Single-threaded per file, files in sequence, so the figures compare CPU
//! cost.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use kubefort_core::source::{discover, read_source, Input, DEFAULT_MAX_FILE_SIZE};
use kubefort_core::{select_rules, Config, Engine};

fn corpus() -> Vec<(String, String)> {
    let root = std::env::var_os("CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let found = discover(&[Input::Path(root)], &Config::default());
    found
        .files
        .iter()
        .filter_map(|f| {
            let text = read_source(f, DEFAULT_MAX_FILE_SIZE).ok()?;
            Some((f.name.to_string(), text))
        })
        .collect()
}

fn engine(select: Option<&[&str]>, ignore: &[&str]) -> Engine {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let select = select.map(s);
    let rules = select_rules(&kubefort_rules::all(), select.as_deref(), &[], &s(ignore)).unwrap();
    let mut config = Config::default();
    config.select = select;
    Engine::new(rules, config)
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    assert!(!files.is_empty(), "no corpus: set CORPUS");
    let mut g = c.benchmark_group("cis");
    g.sample_size(10);
    let nothing = Engine::new(Vec::new(), Config::default());
    let cases = [
        ("loading-only", nothing),
        ("default-without-cis", engine(None, &["cis"])),
        ("default-rules", engine(None, &[])),
        ("cis-only", engine(Some(&["cis"]), &[])),
    ];
    for (name, e) in &cases {
        g.bench_function(*name, |b| {
            b.iter(|| {
                let mut n = 0;
                for (name, text) in &files {
                    n += e.scan_str(name, text).findings.len();
                }
                n
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
