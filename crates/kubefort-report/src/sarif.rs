//! SARIF 2.1.0, as GitHub code scanning reads it.

use std::io;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use kubefort_core::{Finding, InputError, Report, RuleMeta, Severity};

use crate::baseline::{OldFinding, State};
use crate::stream::{map_order, to_string, write_pretty, Seq};
use crate::WriteOptions;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` scale: 9+ critical, 7+ high, 4+ medium, else low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// A relative URI reference for a file name as the scan showed it.
pub fn file_uri(name: &str) -> String {
    if name == kubefort_core::source::STDIN_NAME {
        return "stdin".into();
    }
    let slashed = name.replace('\\', "/");
    let trimmed = slashed.trim_start_matches("./");
    let mut out = String::new();
    if trimmed.starts_with('/') {
        out.push_str("file://");
    }
    for b in trimmed.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The URI of an object read from the API server: its API path, as a
/// relative reference (`/apis/apps/v1/namespaces/shop/deployments/web`).
fn api_uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn fingerprint(f: &Finding) -> String {
    // FNV-1a over what identifies the finding, not where it is: it survives
    // lines moving.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let o = &f.object;
    for part in [
        f.rule,
        &o.api_version,
        &o.kind,
        o.namespace.as_deref().unwrap_or(""),
        o.name.as_deref().unwrap_or(""),
        &f.path,
        &f.location.file,
    ] {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn rule_descriptor(m: &RuleMeta) -> Value {
    let mut help_md = m.docs.to_string();
    if !m.references.is_empty() {
        help_md.push_str("\n## References\n");
        for r in m.references {
            help_md.push_str(&format!("- {r}\n"));
        }
    }
    let mut tags: Vec<&str> = m.groups.to_vec();
    if !tags.contains(&"security") && m.groups.iter().any(|g| g.starts_with("pss")) {
        tags.push("security");
    }
    json!({
        "id": m.name,
        "name": m.name,
        "shortDescription": {"text": m.summary},
        "fullDescription": {"text": format!("{} {}", m.summary, m.remediation)},
        "help": {
            "text": format!("{}\n\nFix: {}", m.summary, m.remediation),
            "markdown": help_md,
        },
        "helpUri": m.references.first().copied().unwrap_or("https://kubernetes.io/docs/concepts/security/"),
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {
            "tags": tags,
            "precision": "high",
            "problem.severity": level(m.severity),
            "security-severity": security_severity(m.severity),
        },
    })
}

/// A finding of the baseline that this run no longer reports: a result
/// with `baselineState` `absent`.
fn absent_result(f: &OldFinding, rule_index: Option<usize>) -> Value {
    let o = &f.object;
    let physical = if f.location.line > 0 {
        json!({
            "artifactLocation": {"uri": file_uri(&f.location.file)},
            "region": {"startLine": f.location.line, "startColumn": f.location.column.max(1)},
        })
    } else {
        json!({"artifactLocation": {"uri": api_uri(&f.location.file)}})
    };
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": format!("{} ({}: {})", f.message, o, f.path)},
        "locations": [{"physicalLocation": physical}],
        "baselineState": "absent",
        "properties": {
            "severity": f.severity.as_str(),
            "path": f.path,
            "remediation": f.remediation,
        },
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    r
}

fn result(f: &Finding, rule_index: Option<usize>, state: Option<State>) -> Value {
    let o = &f.object;
    let fqn = [
        o.kind.as_str(),
        o.namespace.as_deref().unwrap_or(""),
        o.name.as_deref().unwrap_or(""),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join("/");
    // An object read from the API server has no region: its URI is its API path.
    let physical = if f.location.has_position() {
        json!({
            "artifactLocation": {"uri": file_uri(&f.location.file)},
            "region": {"startLine": f.location.line, "startColumn": f.location.column},
        })
    } else {
        json!({"artifactLocation": {"uri": api_uri(&f.location.file)}})
    };
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": format!("{} ({}: {})", f.message, f.object, f.path)},
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{
                "name": o.name.as_deref().unwrap_or(""),
                "fullyQualifiedName": fqn,
                "kind": "object",
            }],
        }],
        "partialFingerprints": {"kubefortFinding/v1": fingerprint(f)},
        "properties": {
            "severity": f.severity.as_str(),
            "path": f.path,
            "remediation": f.remediation,
            "object": {
                "apiVersion": o.api_version,
                "kind": o.kind,
                "namespace": o.namespace,
                "name": o.name,
            },
        },
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(state) = state {
        r["baselineState"] = json!(state.as_str());
    }
    if let Some(reason) = &f.suppressed {
        let kind = if reason.contains("(annotation ") || reason.starts_with("annotation ") {
            "inSource"
        } else {
            "external"
        };
        r["suppressions"] = json!([{"kind": kind, "justification": reason}]);
    }
    r
}

fn notification(e: &InputError) -> Value {
    let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": file_uri(&e.file)}}});
    if let Some(line) = e.line {
        loc["physicalLocation"]["region"] = json!({"startLine": line});
        if let Some(c) = e.column {
            loc["physicalLocation"]["region"]["startColumn"] = json!(c);
        }
    }
    json!({"level": "error", "message": {"text": e.message}, "locations": [loc]})
}

fn driver(report: &Report, opts: &WriteOptions) -> Value {
    let rules: Vec<Value> = report.rules.iter().map(|m| rule_descriptor(m)).collect();
    json!({"driver": {
        "name": "kubefort",
        "version": opts.tool_version,
        "semanticVersion": opts.tool_version,
        "informationUri": "https://github.com/kubefort/kubefort",
        "rules": rules,
    }})
}

/// The SARIF log written member by member: results and notifications are
/// written one at a time.
struct Log<'a> {
    report: &'a Report,
    opts: &'a WriteOptions,
}

/// The log's one run.
struct Run<'a>(&'a Log<'a>);

/// The run's one invocation.
struct Invocation<'a>(&'a Report);

impl Serialize for Log<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys = map_order(&["$schema", "version", "runs"]);
        let mut m = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                "$schema" => {
                    m.serialize_entry(key, "https://json.schemastore.org/sarif-2.1.0.json")?
                }
                "version" => m.serialize_entry(key, "2.1.0")?,
                "runs" => m.serialize_entry(key, &[Run(self)])?,
                _ => unreachable!("every key is written"),
            }
        }
        m.end()
    }
}

impl Serialize for Run<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0.report;
        let index = |name: &str| report.rules.iter().position(|m| m.name == name);
        let keys = map_order(&["tool", "invocations", "columnKind", "results"]);
        let mut m = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                "tool" => m.serialize_entry(key, &driver(report, self.0.opts))?,
                "invocations" => m.serialize_entry(key, &[Invocation(report)])?,
                "columnKind" => m.serialize_entry(key, "unicodeCodePoints")?,
                "results" => m.serialize_entry(
                    key,
                    &Seq(|| {
                        let cmp = self.0.opts.baseline.as_deref();
                        let found =
                            report.findings.iter().enumerate().map(move |(i, f)| {
                                result(f, index(f.rule), cmp.map(|c| c.state(i)))
                            });
                        let suppressed = report
                            .suppressed
                            .iter()
                            .map(move |f| result(f, index(f.rule), None));
                        let absent = cmp
                            .into_iter()
                            .flat_map(|c| &c.fixed)
                            .map(move |f| absent_result(f, index(&f.rule)));
                        found.chain(suppressed).chain(absent)
                    }),
                )?,
                _ => unreachable!("every key is written"),
            }
        }
        m.end()
    }
}

impl Serialize for Invocation<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        let keys = map_order(&["executionSuccessful", "toolExecutionNotifications"]);
        let mut m = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                "executionSuccessful" => m.serialize_entry(key, &report.errors.is_empty())?,
                "toolExecutionNotifications" => {
                    m.serialize_entry(key, &Seq(|| report.errors.iter().map(notification)))?
                }
                _ => unreachable!("every key is written"),
            }
        }
        m.end()
    }
}

/// Write the log to `out` as it is produced: memory does not grow with the
/// number of results.
pub fn write_to<W: io::Write>(report: &Report, opts: &WriteOptions, out: W) -> io::Result<()> {
    write_pretty(&Log { report, opts }, out)
}

pub fn write(report: &Report, opts: &WriteOptions) -> String {
    to_string(|buf| write_to(report, opts, buf))
}
