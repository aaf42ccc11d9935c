//! The HTML report and the baseline comparison for large scans: 20,000
//! findings on 5,000 objects in 100 namespaces, with the source text of 500
//! files.
//!
//! `cargo bench -p kubefort-report --bench html`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kubefort_core::finding::ScannedObject;
use kubefort_core::{Finding, Location, ObjectRef, Report, Severity};
use kubefort_report::baseline::{Baseline, Comparison};
use kubefort_report::html::{self, Extras};
use kubefort_report::{json, WriteOptions};

const OBJECTS: usize = 5_000;
const PER_OBJECT: usize = 4;
const FILES: usize = 500;

fn report() -> (Report, Extras) {
    let rules = kubefort_rules::all();
    let metas: Vec<_> = rules.iter().map(|r| &r.meta).collect();
    let mut r = Report {
        rules: metas.clone(),
        ..Report::default()
    };
    let mut extras = Extras::default();
    for file in 0..FILES {
        let text: String = (0..OBJECTS / FILES * 40)
            .map(|l| format!("      key{l}: value {l} of a manifest line\n"))
            .collect();
        extras
            .sources
            .insert(format!("deploy/app-{file}.yaml"), text);
    }
    for o in 0..OBJECTS {
        let file: Arc<str> = Arc::from(format!("deploy/app-{}.yaml", o % FILES));
        let object = ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some(format!("team-{}", o % 100)),
            name: Some(format!("app-{o}")),
        };
        let base = (o / FILES) as u32 * 40 + 1;
        r.objects.push(ScannedObject {
            object: object.clone(),
            location: Location {
                file: file.clone(),
                line: base,
                column: 1,
            },
        });
        for k in 0..PER_OBJECT {
            let m = metas[(o * 7 + k * 13) % metas.len()];
            r.findings.push(Finding {
                rule: m.name,
                severity: Severity::ALL[(o + k) % 5],
                message: format!("{} in container \"app\" of app-{o}", m.summary),
                object: object.clone(),
                path: format!("spec.template.spec.containers[{k}].securityContext"),
                location: Location {
                    file: file.clone(),
                    line: base + 5 + k as u32 * 3,
                    column: 9,
                },
                remediation: m.remediation,
                groups: m.groups,
                suppressed: None,
            });
        }
    }
    r.stats.objects = OBJECTS;
    r.stats.files = FILES;
    (r, extras)
}

fn bench(c: &mut Criterion) {
    let (report, extras) = report();
    let opts = WriteOptions::default();
    let mut g = c.benchmark_group("html");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("write 20,000 findings", |b| {
        b.iter(|| black_box(html::write(&report, &opts, &extras).len()))
    });
    // The baseline: the same report with every fourth finding gone.
    let mut old = Report {
        findings: report.findings.clone(),
        ..Report::default()
    };
    let mut i = 0;
    old.findings.retain(|_| {
        i += 1;
        i % 4 != 0
    });
    let text = json::write(&old, &opts);
    g.bench_function("read a 15,000-finding baseline", |b| {
        b.iter(|| black_box(Baseline::parse("old.json", &text).unwrap().findings.len()))
    });
    let baseline = Baseline::parse("old.json", &text).unwrap();
    g.bench_function("compare 20,000 findings with 15,000", |b| {
        b.iter(|| black_box(Comparison::new(&report, &baseline).new_count()))
    });
    g.finish();
    let size = html::write(&report, &opts, &extras).len();
    eprintln!("report size: {:.1} MiB", size as f64 / (1 << 20) as f64);
}

criterion_group!(benches, bench);
criterion_main!(benches);
