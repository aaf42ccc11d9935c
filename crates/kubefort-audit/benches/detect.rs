//! Events per second through every default audit rule, from a log of one
//! million real audit events: the sample written by a real kube-apiserver
//! (examples/audit/audit.log: its start-up traffic, an application's
//! set-up, a kubelet, a controller, and every attack step of the tests),
//! replicated with fresh audit IDs. About a quarter of these events raise
//! an alert, far more than any real log: the figure is a floor.

use std::io::{BufReader, Read};
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kubefort_audit::read;
use kubefort_audit::{AuditConfig, Detector};

const EVENTS: usize = 1_000_000;

/// The sample's lines, replayed to `EVENTS` lines with fresh audit IDs,
/// generated as they are read (a million events are over a gigabyte).
struct Replay {
    lines: Vec<String>,
    next: usize,
    buf: Vec<u8>,
    pos: usize,
}

impl Replay {
    fn new() -> Replay {
        let sample = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/audit/audit.log"),
        )
        .expect("examples/audit/audit.log");
        Replay {
            lines: sample
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect(),
            next: 0,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for Replay {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.next == EVENTS {
                return Ok(0);
            }
            self.buf.clear();
            self.pos = 0;
            let i = self.next;
            self.next += 1;
            let line = &self.lines[i % self.lines.len()];
            match line.find("\"auditID\":\"") {
                Some(p) => {
                    let start = p + 11;
                    self.buf.extend_from_slice(&line.as_bytes()[..start]);
                    self.buf.extend_from_slice(
                        format!("{i:08x}-0000-4000-8000-000000000000").as_bytes(),
                    );
                    self.buf.extend_from_slice(&line.as_bytes()[start + 36..]);
                }
                None => self.buf.extend_from_slice(line.as_bytes()),
            }
            self.buf.push(b'\n');
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn run(select: Option<&[String]>) -> usize {
    let mut det = Detector::new(
        kubefort_audit::select_rules(select, &[], &[]).unwrap(),
        AuditConfig::default(),
    );
    let mut alerts = 0usize;
    read::process(
        &mut det,
        "bench.log",
        None,
        Box::new(BufReader::with_capacity(1 << 20, Replay::new())),
        None,
        &mut |_| alerts += 1,
        &mut |e| panic!("{e}"),
    )
    .unwrap();
    assert_eq!(det.stats.events as usize, EVENTS);
    alerts
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit");
    g.sample_size(10);
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.bench_function("detect_1m_real_events_default_rules", |b| {
        b.iter(|| run(None))
    });
    let all = ["all".to_string()];
    g.bench_function("detect_1m_real_events_every_rule", |b| {
        b.iter(|| run(Some(&all)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
