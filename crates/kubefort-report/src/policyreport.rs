//! `wgpolicyk8s.io/v1alpha2` PolicyReports: the format Kyverno and
//! Kubescape write into clusters, so dashboards built for it (Policy
//! Reporter and others) show kubefort's results.
//!
//! One `PolicyReport` named `kubefort` per namespace that holds a scanned
//! object (empty when the namespace is clean, so a fixed namespace's old
//! results are replaced), and one `ClusterPolicyReport` named `kubefort`
//! for cluster-scoped objects. Each finding is one `fail` result.

use std::collections::BTreeMap;
use std::io::{self, Write};

use kubefort_core::{Finding, Report, Severity};
use serde_json::{json, Value};

use crate::baseline::{Comparison, State};

/// The name of every report kubefort writes.
pub const REPORT_NAME: &str = "kubefort";
pub const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";

/// The reports for a scan; `seconds` is the scan's time (Unix seconds).
pub fn reports(report: &Report, seconds: u64) -> Vec<Value> {
    reports_with(report, seconds, None)
}

/// The reports, with each result's `properties.baseline` (`new` or
/// `unchanged`) when compared with a baseline.
pub fn reports_with(report: &Report, seconds: u64, cmp: Option<&Comparison>) -> Vec<Value> {
    let mut by_ns: BTreeMap<Option<&str>, Vec<(&Finding, Option<State>)>> = BTreeMap::new();
    for o in &report.objects {
        by_ns.entry(o.object.namespace.as_deref()).or_default();
    }
    for (i, f) in report.findings.iter().enumerate() {
        by_ns
            .entry(f.object.namespace.as_deref())
            .or_default()
            .push((f, cmp.map(|c| c.state(i))));
    }
    by_ns
        .into_iter()
        .map(|(ns, findings)| one(ns, &findings, seconds))
        .collect()
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

fn one(namespace: Option<&str>, findings: &[(&Finding, Option<State>)], seconds: u64) -> Value {
    let results: Vec<Value> = findings
        .iter()
        .map(|&(f, state)| {
            let o = &f.object;
            let mut resource = json!({
                "apiVersion": o.api_version,
                "kind": o.kind,
                "name": o.name.as_deref().unwrap_or(""),
            });
            if let Some(ns) = &o.namespace {
                resource["namespace"] = json!(ns);
            }
            let mut properties = json!({
                "path": f.path,
                "location": f.location.file.to_string(),
                "remediation": f.remediation,
            });
            if let Some(state) = state {
                properties["baseline"] = json!(state.as_str());
            }
            json!({
                "source": "kubefort",
                "policy": f.rule,
                "rule": f.rule,
                "category": f.groups.first().copied().unwrap_or(""),
                "severity": severity(f.severity),
                "result": "fail",
                "scored": true,
                "timestamp": {"seconds": seconds, "nanos": 0},
                "message": f.message,
                "resources": [resource],
                "properties": properties,
            })
        })
        .collect();
    let summary = json!({"pass": 0, "fail": results.len(), "warn": 0, "error": 0, "skip": 0});
    let labels = json!({"app.kubernetes.io/managed-by": "kubefort"});
    match namespace {
        Some(ns) => json!({
            "apiVersion": API_VERSION,
            "kind": "PolicyReport",
            "metadata": {"name": REPORT_NAME, "namespace": ns, "labels": labels},
            "summary": summary,
            "results": results,
        }),
        None => json!({
            "apiVersion": API_VERSION,
            "kind": "ClusterPolicyReport",
            "metadata": {"name": REPORT_NAME, "labels": labels},
            "summary": summary,
            "results": results,
        }),
    }
}

/// Write the reports as one YAML stream of JSON documents (what
/// `kubectl apply -f -` reads).
pub fn write_to(report: &Report, seconds: u64, out: &mut dyn Write) -> io::Result<()> {
    write_to_with(report, seconds, None, out)
}

/// [`write_to`] with the comparison with a baseline.
pub fn write_to_with(
    report: &Report,
    seconds: u64,
    cmp: Option<&Comparison>,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (i, r) in reports_with(report, seconds, cmp).iter().enumerate() {
        if i > 0 {
            out.write_all(b"---\n")?;
        }
        serde_json::to_writer_pretty(&mut *out, r)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubefort_core::Engine;

    #[test]
    fn one_report_per_namespace_and_one_for_the_cluster() {
        let rules = kubefort_rules::all();
        let engine = Engine::new(rules, Default::default());
        let report = engine.scan_str(
            "m.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {privileged: true}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: clean}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: b}\n",
        );
        let rs = reports(&report, 1_700_000_000);
        let kinds: Vec<(&str, Option<&str>)> = rs
            .iter()
            .map(|r| {
                (
                    r["kind"].as_str().unwrap(),
                    r["metadata"]["namespace"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("ClusterPolicyReport", None),
                ("PolicyReport", Some("a")),
                ("PolicyReport", Some("b")),
            ]
        );
        let a = &rs[1];
        let results = a["results"].as_array().unwrap();
        assert_eq!(a["summary"]["fail"], results.len());
        let privileged = results
            .iter()
            .find(|r| r["policy"] == "privileged-container")
            .expect("privileged finding");
        assert_eq!(privileged["severity"], "critical");
        assert_eq!(privileged["result"], "fail");
        assert_eq!(privileged["resources"][0]["kind"], "Pod");
        assert_eq!(
            privileged["properties"]["path"],
            "spec.containers[0].securityContext.privileged"
        );
        assert_eq!(rs[2]["results"].as_array().unwrap().len(), 0);
    }
}
