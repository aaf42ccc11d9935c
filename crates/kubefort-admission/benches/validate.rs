//! Latency of one admission review of a realistic Deployment (5 KB, as the
//! API server sends it on CREATE: defaults, managedFields, two hardened
//! containers): in process (decode, scan, decide, encode), and over HTTPS
//! on loopback with a keep-alive connection (the API server keeps its
//! connections to webhooks open), one request at a time and with 16
//! concurrent connections.
//!
//! Besides criterion's estimates, every request's own latency is recorded
//! during the measurement; p50, p99 and p99.9 are printed at the end and
//! written to `target/criterion/admission-latency.txt`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use kubefort_admission::server::Options;
use kubefort_admission::{review, Policy, Validator};

const REVIEW: &str = include_str!("deployment-review.json");

/// Per-request latencies of one benchmark.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, Vec<Duration>)>>);

impl Recorder {
    fn add(&self, name: &str, d: Vec<Duration>) {
        let mut v = self.0.lock().unwrap();
        match v.iter_mut().find(|(n, _)| n == name) {
            Some((_, all)) => all.extend(d),
            None => v.push((name.to_string(), d)),
        }
    }

    fn report(&self) -> String {
        let mut out = String::new();
        for (name, d) in self.0.lock().unwrap().iter_mut() {
            d.sort();
            let q = |p: f64| d[((d.len() as f64 * p) as usize).min(d.len() - 1)];
            out.push_str(&format!(
                "{name}: n={} p50={:?} p99={:?} p99.9={:?} max={:?}\n",
                d.len(),
                q(0.50),
                q(0.99),
                q(0.999),
                d[d.len() - 1]
            ));
        }
        out
    }
}

fn bench(c: &mut Criterion) {
    let rec = Arc::new(Recorder::default());
    let validator = Validator::new(Policy::default()).unwrap();
    {
        // The body is admitted: a realistic object decides with no finding
        // at a threshold, so the whole path runs.
        let r = review::decode(REVIEW.as_bytes()).unwrap();
        let o = validator.evaluate(&r, None);
        assert!(o.response.allowed, "{:?}", o.response);
    }
    let mut g = c.benchmark_group("admission");
    g.throughput(Throughput::Elements(1));
    g.bench_function("in-process", |b| {
        b.iter_custom(|iters| {
            let mut lat = Vec::with_capacity(iters as usize);
            let start = Instant::now();
            for _ in 0..iters {
                let t = Instant::now();
                let r = review::decode(REVIEW.as_bytes()).unwrap();
                let o = validator.evaluate(&r, None);
                std::hint::black_box(review::encode(&o.response));
                lat.push(t.elapsed());
            }
            let total = start.elapsed();
            rec.add("in-process", lat);
            total
        })
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, certs) = rt.block_on(common::start("", Options::default()));
    let mut conn = rt
        .block_on(common::Conn::open(server.addr, &certs.ca_pem))
        .unwrap();
    g.bench_function("https-loopback", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut lat = Vec::with_capacity(iters as usize);
                let start = Instant::now();
                for _ in 0..iters {
                    let t = Instant::now();
                    let r = conn.post("/validate", REVIEW).await;
                    assert_eq!(r.status, 200);
                    lat.push(t.elapsed());
                }
                let total = start.elapsed();
                rec.add("https-loopback", lat);
                total
            })
        })
    });

    // 16 keep-alive connections sending at once: throughput is
    // elements / time; the recorded latencies include queueing.
    const CONNS: u64 = 16;
    let conns: Vec<_> = (0..CONNS)
        .map(|_| {
            Arc::new(tokio::sync::Mutex::new(
                rt.block_on(common::Conn::open(server.addr, &certs.ca_pem))
                    .unwrap(),
            ))
        })
        .collect();
    g.throughput(Throughput::Elements(CONNS * 8));
    g.bench_function("https-loopback-16-connections", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                let mut tasks = Vec::new();
                for c in &conns {
                    let c = c.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut c = c.lock().await;
                        let mut lat = Vec::with_capacity(iters as usize * 8);
                        for _ in 0..iters * 8 {
                            let t = Instant::now();
                            let r = c.post("/validate", REVIEW).await;
                            assert_eq!(r.status, 200);
                            lat.push(t.elapsed());
                        }
                        lat
                    }));
                }
                let mut all = Vec::new();
                for t in tasks {
                    all.extend(t.await.unwrap());
                }
                let total = start.elapsed();
                rec.add("https-loopback-16-connections", all);
                total
            })
        })
    });
    g.finish();
    drop(conns);
    rt.block_on(server.stop());

    let report = rec.report();
    println!("\nper-request latency during the measurement:\n{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("admission-latency.txt"), report);
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(8));
    targets = bench
}
criterion_main!(benches);
