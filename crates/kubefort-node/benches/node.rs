//! `kubefort node` on realistic node layouts written to a temporary
//! directory: finding the files, reading the kubelet's service, checking
//! settings and permissions (everything but writing the report).

use criterion::{criterion_group, criterion_main, Criterion};
use kubefort_core::config::NodePaths;
use kubefort_core::{select_rules, Config, Engine};
use kubefort_node::layout::{self, Layout};
use kubefort_node::{check, collect, Options};

fn bench(c: &mut Criterion) {
    let all = kubefort_rules::all();
    let names: Vec<String> = all
        .iter()
        .filter(|r| r.meta.default_enabled && r.meta.groups.contains(&"cis"))
        .map(|r| r.meta.name.to_string())
        .collect();
    let engine = Engine::new(
        select_rules(&all, Some(&names), &[], &[]).unwrap(),
        Config::default(),
    );
    let mut g = c.benchmark_group("node");
    for (name, l) in [("kubeadm", Layout::Kubeadm), ("hardened", Layout::Hardened)] {
        let dir = tempfile::tempdir().unwrap();
        layout::write(dir.path(), l).unwrap();
        let opts = Options {
            root: dir.path().to_path_buf(),
            paths: NodePaths::default(),
        };
        g.bench_function(name, |b| {
            b.iter(|| check(&engine, collect(&opts)).findings.len())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
