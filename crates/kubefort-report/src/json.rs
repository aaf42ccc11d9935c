//! The JSON report, version 1 (documented in docs/json-report.md).

use std::io;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use kubefort_core::Report;

use crate::baseline::{Comparison, OldFinding};
use crate::stream::{map_order, to_string, write_pretty, Each, Seq};
use crate::{counts, run_fails, WriteOptions};

/// Version of the JSON report's schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

fn tool(opts: &WriteOptions) -> Value {
    json!({
        "name": "kubefort",
        "version": opts.tool_version,
    })
}

fn summary(report: &Report, opts: &WriteOptions) -> Value {
    let by_severity: serde_json::Map<String, Value> = counts(report)
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    json!({
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
        "failed": run_fails(report, opts),
    })
}

/// A baseline finding as the JSON report writes findings.
pub(crate) fn old_finding(f: &OldFinding) -> Value {
    let mut loc = json!({"file": f.location.file});
    if f.location.line > 0 {
        loc["line"] = json!(f.location.line);
        loc["column"] = json!(f.location.column);
    }
    json!({
        "rule": f.rule,
        "severity": f.severity.as_str(),
        "message": f.message,
        "object": {
            "apiVersion": f.object.api_version,
            "kind": f.object.kind,
            "namespace": f.object.namespace,
            "name": f.object.name,
        },
        "path": f.path,
        "location": loc,
        "remediation": f.remediation,
        "groups": f.groups,
    })
}

/// The `baseline` section: counts and the fixed findings.
fn baseline(cmp: &Comparison, opts: &WriteOptions) -> Value {
    json!({
        "report": cmp.name,
        "new": cmp.new_count(),
        "unchanged": cmp.unchanged_count(),
        "fixed": cmp.fixed.len(),
        "failOnNew": opts.fail_on_new,
        "fixedFindings": cmp.fixed.iter().map(old_finding).collect::<Vec<_>>(),
    })
}

/// The report as a document written member by member: the long lists are
/// written one entry at a time.
struct Document<'a> {
    report: &'a Report,
    opts: &'a WriteOptions,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        let mut names = vec![
            "version",
            "tool",
            "summary",
            "findings",
            "suppressed",
            "errors",
            "skipped",
        ];
        let cmp = self.opts.baseline.as_deref();
        if cmp.is_some() {
            names.push("baseline");
        }
        let keys = map_order(&names);
        let mut m = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                "version" => m.serialize_entry(key, &SCHEMA_VERSION)?,
                "tool" => m.serialize_entry(key, &tool(self.opts))?,
                "summary" => m.serialize_entry(key, &summary(r, self.opts))?,
                "findings" => match cmp {
                    None => m.serialize_entry(key, &Each(&r.findings))?,
                    // Each finding says whether the baseline has it.
                    Some(cmp) => m.serialize_entry(
                        key,
                        &Seq(|| {
                            r.findings.iter().enumerate().map(|(i, f)| {
                                let mut v = serde_json::to_value(f).expect("a finding serializes");
                                v["baseline"] = json!(cmp.state(i).as_str());
                                v
                            })
                        }),
                    )?,
                },
                "suppressed" => m.serialize_entry(key, &Each(&r.suppressed))?,
                "errors" => m.serialize_entry(key, &Each(&r.errors))?,
                "skipped" => m.serialize_entry(key, &Each(&r.skipped))?,
                "baseline" => {
                    let cmp = cmp.expect("only with a baseline");
                    m.serialize_entry(key, &baseline(cmp, self.opts))?
                }
                _ => unreachable!("every key is written"),
            }
        }
        m.end()
    }
}

/// Write the report to `out` as it is produced: memory does not grow with
/// the number of findings.
pub fn write_to<W: io::Write>(report: &Report, opts: &WriteOptions, out: W) -> io::Result<()> {
    write_pretty(&Document { report, opts }, out)
}

pub fn write(report: &Report, opts: &WriteOptions) -> String {
    to_string(|buf| write_to(report, opts, buf))
}
