//! The JSON report, version 1 (documented in docs/json-report.md).

use serde_json::{json, Value};

use kubefort_core::Report;

use crate::{counts, fails, WriteOptions};

/// Version of the JSON report's schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

pub fn to_value(report: &Report, opts: &WriteOptions) -> Value {
    let by_severity: serde_json::Map<String, Value> = counts(report)
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    json!({
        "version": SCHEMA_VERSION,
        "tool": {
            "name": "kubefort",
            "version": opts.tool_version,
        },
        "summary": {
            "files": report.stats.files,
            "documents": report.stats.documents,
            "objects": report.stats.objects,
            "rules": report.rules.len(),
            "findings": report.findings.len(),
            "bySeverity": by_severity,
            "suppressed": report.suppressed.len(),
            "errors": report.errors.len(),
            "skipped": report.skipped.len(),
            "failOn": opts.fail_on.as_str(),
            "failed": fails(report, opts.fail_on),
        },
        "findings": report.findings,
        "suppressed": report.suppressed,
        "errors": report.errors,
        "skipped": report.skipped,
    })
}

pub fn write(report: &Report, opts: &WriteOptions) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report, opts)).expect("JSON");
    s.push('\n');
    s
}
