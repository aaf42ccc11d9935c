//! Evaluations per second of a typical CEL policy (a ValidatingAdmissionPolicy
//! matching every resource, three validations and a variable) and a typical
//! Rego policy (conftest style, the same three checks), over every object of
//! the shared corpus, one object after another on one core. Compilation is
//! outside the measured loop; each iteration converts each object into the
//! engine's shape, as a scan does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kubefort_core::config::PolicyEntry;
use kubefort_core::source::{discover, read_source, Input, DEFAULT_MAX_FILE_SIZE};
use kubefort_core::yaml::{load_str, Limits};
use kubefort_core::Config;
use kubefort_policy::{LoadOptions, PolicySet, Request};

fn corpus() -> Vec<Arc<serde_json::Value>> {
    let root = std::env::var_os("CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let found = discover(&[Input::Path(root)], &Config::default());
    let mut out = Vec::new();
    for f in &found.files {
        let Ok(text) = read_source(f, DEFAULT_MAX_FILE_SIZE) else {
            continue;
        };
        for d in load_str(&text, &Limits::default()).into_iter().flatten() {
            let j = d.root.to_json();
            if j.get("kind").and_then(|k| k.as_str()).is_some()
                && j.get("apiVersion").and_then(|k| k.as_str()).is_some()
                && j.get("metadata").is_some_and(|m| m.is_object())
            {
                out.push(Arc::new(j));
            }
        }
    }
    out
}

fn set(file: &str) -> PolicySet {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/policies")
        .join(file);
    let s = PolicySet::load(
        &[PolicyEntry {
            path: p.display().to_string(),
            ..Default::default()
        }],
        &LoadOptions::default(),
    );
    assert!(s.errors.is_empty() && s.len() == 1, "{:?}", s.errors);
    s
}

fn bench(c: &mut Criterion) {
    let objects = corpus();
    assert!(!objects.is_empty(), "no corpus: set CORPUS");
    let mut g = c.benchmark_group("policies");
    g.sample_size(10);
    g.throughput(Throughput::Elements(objects.len() as u64));
    for (name, file) in [("cel-vap", "cel.yaml"), ("rego-conftest", "rego.rego")] {
        let s = set(file);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0;
                for o in &objects {
                    let req = Request {
                        object: Some(o.clone()),
                        ..Default::default()
                    };
                    n += s.evaluate(&req).len();
                }
                n
            })
        });
        let mut n = 0;
        for o in &objects {
            n += s
                .evaluate(&Request {
                    object: Some(o.clone()),
                    ..Default::default()
                })
                .len();
        }
        println!(
            "{name}: {} objects, {n} violations, {} evaluation errors",
            objects.len(),
            s.evaluation_errors().len()
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
