//! The JSON report, version 1 (documented in docs/json-report.md).

use std::io;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use kubefort_core::Report;

use crate::stream::{map_order, to_string, write_pretty, Each};
use crate::{counts, fails, WriteOptions};

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
        "failed": fails(report, opts.fail_on),
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
        let keys = map_order(&[
            "version",
            "tool",
            "summary",
            "findings",
            "suppressed",
            "errors",
            "skipped",
        ]);
        let mut m = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                "version" => m.serialize_entry(key, &SCHEMA_VERSION)?,
                "tool" => m.serialize_entry(key, &tool(self.opts))?,
                "summary" => m.serialize_entry(key, &summary(r, self.opts))?,
                "findings" => m.serialize_entry(key, &Each(&r.findings))?,
                "suppressed" => m.serialize_entry(key, &Each(&r.suppressed))?,
                "errors" => m.serialize_entry(key, &Each(&r.errors))?,
                "skipped" => m.serialize_entry(key, &Each(&r.skipped))?,
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
