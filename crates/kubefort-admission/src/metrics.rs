//! Prometheus metrics in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::validate::{Action, Decision};

/// Upper bounds of the review latency histogram, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// The webhook's counters.
#[derive(Default)]
pub struct Metrics {
    /// HTTP requests by path and status code.
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// Reviews by decision and operation.
    decisions: Mutex<BTreeMap<(Decision, &'static str), u64>>,
    /// Findings by rule and action.
    rules: Mutex<BTreeMap<(&'static str, Action), u64>>,
    /// Requests refused before review, by reason.
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// Certificate reloads by result.
    reloads: Mutex<BTreeMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
    in_flight: AtomicI64,
}

fn bump<K: Ord>(m: &Mutex<BTreeMap<K, u64>>, k: K) {
    *m.lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(k)
        .or_default() += 1;
}

impl Metrics {
    pub fn request(&self, path: &'static str, code: u16) {
        bump(&self.requests, (path, code));
    }

    pub fn decision(
        &self,
        decision: Decision,
        operation: &'static str,
        actions: &[(&'static str, Action)],
    ) {
        bump(&self.decisions, (decision, operation));
        if !actions.is_empty() {
            let mut m = self.rules.lock().unwrap_or_else(|e| e.into_inner());
            for a in actions {
                *m.entry(*a).or_default() += 1;
            }
        }
    }

    pub fn rejected(&self, reason: &'static str) {
        bump(&self.rejected, reason);
    }

    pub fn reload(&self, result: &'static str) {
        bump(&self.reloads, result);
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }

    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// Counter value of one decision, for tests.
    pub fn decisions_of(&self, decision: Decision) -> u64 {
        self.decisions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|((d, _), _)| *d == decision)
            .map(|(_, n)| n)
            .sum()
    }

    /// The metrics in Prometheus text format.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(
            "# HELP kubefort_webhook_http_requests_total HTTP requests by path and status code.\n",
        );
        s.push_str("# TYPE kubefort_webhook_http_requests_total counter\n");
        for ((path, code), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                s,
                "kubefort_webhook_http_requests_total{{path=\"{path}\",code=\"{code}\"}} {n}"
            );
        }
        s.push_str("# HELP kubefort_webhook_admission_reviews_total Admission reviews by decision and operation.\n");
        s.push_str("# TYPE kubefort_webhook_admission_reviews_total counter\n");
        for ((d, op), n) in self
            .decisions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                s,
                "kubefort_webhook_admission_reviews_total{{decision=\"{}\",operation=\"{op}\"}} {n}",
                d.as_str()
            );
        }
        s.push_str("# HELP kubefort_webhook_rule_findings_total Findings by rule and what was done with them.\n");
        s.push_str("# TYPE kubefort_webhook_rule_findings_total counter\n");
        for ((rule, a), n) in self.rules.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                s,
                "kubefort_webhook_rule_findings_total{{rule=\"{rule}\",action=\"{}\"}} {n}",
                a.as_str()
            );
        }
        s.push_str("# HELP kubefort_webhook_rejected_requests_total Requests refused before review, by reason.\n");
        s.push_str("# TYPE kubefort_webhook_rejected_requests_total counter\n");
        for (reason, n) in self
            .rejected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                s,
                "kubefort_webhook_rejected_requests_total{{reason=\"{reason}\"}} {n}"
            );
        }
        s.push_str("# HELP kubefort_webhook_certificate_reloads_total Serving certificate reloads by result.\n");
        s.push_str("# TYPE kubefort_webhook_certificate_reloads_total counter\n");
        for (result, n) in self
            .reloads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                s,
                "kubefort_webhook_certificate_reloads_total{{result=\"{result}\"}} {n}"
            );
        }
        s.push_str("# HELP kubefort_webhook_in_flight_reviews Reviews being decided now.\n");
        s.push_str("# TYPE kubefort_webhook_in_flight_reviews gauge\n");
        let _ = writeln!(
            s,
            "kubefort_webhook_in_flight_reviews {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        s.push_str("# HELP kubefort_webhook_review_duration_seconds Time to decide an admission review, from the first byte of the body.\n");
        s.push_str("# TYPE kubefort_webhook_review_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "kubefort_webhook_review_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "kubefort_webhook_review_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "kubefort_webhook_review_duration_seconds_sum {}",
            self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
        );
        let _ = writeln!(s, "kubefort_webhook_review_duration_seconds_count {count}");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.request("/validate", 200);
        m.request("/validate", 200);
        m.decision(
            Decision::Denied,
            "CREATE",
            &[
                ("privileged-container", Action::Denied),
                ("latest-tag", Action::Warned),
            ],
        );
        m.observe(Duration::from_micros(300));
        m.observe(Duration::from_millis(20));
        let t = m.render();
        assert!(
            t.contains("kubefort_webhook_http_requests_total{path=\"/validate\",code=\"200\"} 2\n"),
            "{t}"
        );
        assert!(t.contains("kubefort_webhook_admission_reviews_total{decision=\"denied\",operation=\"CREATE\"} 1\n"));
        assert!(t.contains("kubefort_webhook_rule_findings_total{rule=\"privileged-container\",action=\"denied\"} 1\n"));
        assert!(t.contains("_bucket{le=\"0.00025\"} 0\n"));
        assert!(t.contains("_bucket{le=\"0.0005\"} 1\n"));
        assert!(t.contains("_bucket{le=\"0.025\"} 2\n"));
        assert!(t.contains("_bucket{le=\"+Inf\"} 2\n"));
        assert!(t.contains("kubefort_webhook_review_duration_seconds_count 2\n"));
        assert_eq!(m.decisions_of(Decision::Denied), 1);
    }
}
