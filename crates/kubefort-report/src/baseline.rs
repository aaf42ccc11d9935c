//! Comparison with an earlier JSON report (`--baseline`): which findings are
//! new, which were there before, and which are gone.
//!
//! A finding is identified by its rule, its object (API group, kind,
//! namespace, name) and its field path: never by its line, so a finding whose
//! lines moved is still the same finding. When one key occurs several times
//! (the same object in two files), findings of the same file are paired
//! first.

use std::collections::HashMap;

use serde::Deserialize;

use kubefort_core::{Finding, Report, Severity};

/// The largest baseline report read, in bytes.
pub const MAX_BASELINE_SIZE: u64 = 256 << 20;

/// Where a finding of this run stands against the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not in the baseline.
    New,
    /// In the baseline too.
    Unchanged,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Unchanged => "unchanged",
        }
    }
}

/// The object of a baseline finding, as the JSON report wrote it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OldObject {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl OldObject {
    fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }
}

impl std::fmt::Display for OldObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ", self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(self.name.as_deref().unwrap_or("<unnamed>"))
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct OldLocation {
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub line: u32,
    #[serde(default)]
    pub column: u32,
}

/// A finding of the baseline report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OldFinding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub object: OldObject,
    pub path: String,
    pub location: OldLocation,
    pub remediation: String,
    pub groups: Vec<String>,
}

/// A severity read from JSON (`Severity` itself only serializes).
struct ReadSeverity(Severity);

impl<'de> Deserialize<'de> for ReadSeverity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map(ReadSeverity)
            .map_err(serde::de::Error::custom)
    }
}

/// What is read of a baseline report.
#[derive(Deserialize)]
struct OldReport {
    version: Option<u64>,
    findings: Option<Vec<serde_json::Value>>,
}

/// The baseline: the findings of an earlier JSON report.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// The report's name as the user gave it.
    pub name: String,
    pub findings: Vec<OldFinding>,
}

impl Baseline {
    /// Read a JSON report (`kubefort scan --format json`, version 1). The
    /// error names the report and what is wrong with it.
    pub fn parse(name: &str, text: &str) -> Result<Baseline, String> {
        let old: OldReport = serde_json::from_str(text).map_err(|e| {
            format!(
                "{name}:{}:{}: not a kubefort JSON report: {e}",
                e.line(),
                e.column()
            )
        })?;
        match old.version {
            Some(1) => {}
            Some(v) => {
                return Err(format!(
                    "{name}: JSON report version {v} is not supported (this kubefort reads version 1); \
                     write the baseline again with `kubefort scan --format json`"
                ))
            }
            None => {
                return Err(format!(
                    "{name}: not a kubefort JSON report (no \"version\"); write one with \
                     `kubefort scan --format json -o {name}`"
                ))
            }
        }
        let Some(raw) = old.findings else {
            return Err(format!(
                "{name}: not a kubefort JSON report (no \"findings\" list)"
            ));
        };
        let mut findings = Vec::with_capacity(raw.len());
        for (i, v) in raw.into_iter().enumerate() {
            let mut v = v;
            // Severity is read through its string form.
            let sev = v
                .get("severity")
                .cloned()
                .ok_or_else(|| format!("{name}: findings[{i}] has no \"severity\""))?;
            let sev: ReadSeverity = serde_json::from_value(sev)
                .map_err(|e| format!("{name}: findings[{i}].severity: {e}"))?;
            if let Some(o) = v.as_object_mut() {
                o.remove("severity");
            }
            let f: RawFinding =
                serde_json::from_value(v).map_err(|e| format!("{name}: findings[{i}]: {e}"))?;
            findings.push(OldFinding {
                rule: f.rule,
                severity: sev.0,
                message: f.message,
                object: f.object,
                path: f.path,
                location: f.location,
                remediation: f.remediation,
                groups: f.groups,
            });
        }
        Ok(Baseline {
            name: name.to_string(),
            findings,
        })
    }
}

#[derive(Deserialize)]
struct RawFinding {
    rule: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    object: OldObject,
    #[serde(default)]
    path: String,
    #[serde(default)]
    location: OldLocation,
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    groups: Vec<String>,
}

/// What identifies a finding across runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key<'a> {
    rule: &'a str,
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    path: &'a str,
}

fn key_of(f: &Finding) -> Key<'_> {
    Key {
        rule: f.rule,
        group: f.object.group(),
        kind: &f.object.kind,
        namespace: f.object.namespace.as_deref(),
        name: f.object.name.as_deref(),
        path: &f.path,
    }
}

fn key_of_old(f: &OldFinding) -> Key<'_> {
    Key {
        rule: &f.rule,
        group: f.object.group(),
        kind: &f.object.kind,
        namespace: f.object.namespace.as_deref(),
        name: f.object.name.as_deref(),
        path: &f.path,
    }
}

/// This run's findings against the baseline.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// The baseline report's name.
    pub name: String,
    /// One state per finding of the report, in its order.
    pub states: Vec<State>,
    /// Findings of the baseline that this run no longer reports (suppressed
    /// ones are not counted as fixed).
    pub fixed: Vec<OldFinding>,
}

impl Comparison {
    /// Compare `report` with `baseline`.
    pub fn new(report: &Report, baseline: &Baseline) -> Comparison {
        // Each baseline finding is used at most once.
        let mut index: HashMap<Key<'_>, Vec<usize>> = HashMap::new();
        for (i, f) in baseline.findings.iter().enumerate() {
            index.entry(key_of_old(f)).or_default().push(i);
        }
        let mut used = vec![false; baseline.findings.len()];
        // A finding and a baseline finding of the same file pair first; then
        // the rest, in order, whatever their files.
        let mut take = |f: &Finding, same_file: bool| -> bool {
            let Some(cands) = index.get(&key_of(f)) else {
                return false;
            };
            let found = cands.iter().copied().find(|&i| {
                !used[i] && (!same_file || baseline.findings[i].location.file == *f.location.file)
            });
            if let Some(i) = found {
                used[i] = true;
            }
            found.is_some()
        };
        let mut matched: Vec<bool> = report.findings.iter().map(|f| take(f, true)).collect();
        for (f, m) in report.findings.iter().zip(matched.iter_mut()) {
            if !*m {
                *m = take(f, false);
            }
        }
        let states = matched
            .into_iter()
            .map(|m| if m { State::Unchanged } else { State::New })
            .collect();
        // A finding suppressed since is not fixed.
        for f in &report.suppressed {
            if !take(f, true) {
                take(f, false);
            }
        }
        let fixed = baseline
            .findings
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(f, _)| f.clone())
            .collect();
        Comparison {
            name: baseline.name.clone(),
            states,
            fixed,
        }
    }

    /// The state of the report's finding number `i`.
    pub fn state(&self, i: usize) -> State {
        self.states.get(i).copied().unwrap_or(State::New)
    }

    pub fn new_count(&self) -> usize {
        self.states.iter().filter(|s| **s == State::New).count()
    }

    pub fn unchanged_count(&self) -> usize {
        self.states.len() - self.new_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubefort_core::{Location, ObjectRef};
    use std::sync::Arc;

    fn finding(rule: &'static str, name: &str, path: &str, file: &str, line: u32) -> Finding {
        Finding {
            rule,
            severity: Severity::High,
            message: "m".into(),
            object: ObjectRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: Some(name.into()),
            },
            path: path.into(),
            location: Location {
                file: Arc::from(file),
                line,
                column: 3,
            },
            remediation: "fix",
            groups: &["security"],
            suppressed: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            findings,
            ..Report::default()
        }
    }

    fn baseline_of(r: &Report) -> Baseline {
        let opts = crate::WriteOptions::default();
        Baseline::parse("old.json", &crate::json::write(r, &opts)).unwrap()
    }

    #[test]
    fn moved_lines_match_and_changes_are_counted() {
        let old = report(vec![
            finding("host-pid", "web", "spec.hostPID", "a.yaml", 10),
            finding("host-ipc", "web", "spec.hostIPC", "a.yaml", 11),
        ]);
        let new = report(vec![
            // moved 5 lines down, and the apiVersion's version changed
            {
                let mut f = finding("host-pid", "web", "spec.hostPID", "a.yaml", 15);
                f.object.api_version = "apps/v1beta2".into();
                f
            },
            finding("host-network", "web", "spec.hostNetwork", "a.yaml", 16),
        ]);
        let c = Comparison::new(&new, &baseline_of(&old));
        assert_eq!(c.states, vec![State::Unchanged, State::New]);
        assert_eq!(c.fixed.len(), 1);
        assert_eq!(c.fixed[0].rule, "host-ipc");
        assert_eq!(c.fixed[0].location.line, 11);
        assert_eq!((c.new_count(), c.unchanged_count()), (1, 1));
    }

    #[test]
    fn duplicates_pair_by_file_first_and_once_each() {
        let old = report(vec![finding(
            "host-pid",
            "web",
            "spec.hostPID",
            "b.yaml",
            3,
        )]);
        let new = report(vec![
            finding("host-pid", "web", "spec.hostPID", "a.yaml", 3),
            finding("host-pid", "web", "spec.hostPID", "b.yaml", 3),
        ]);
        let c = Comparison::new(&new, &baseline_of(&old));
        assert_eq!(c.states, vec![State::New, State::Unchanged]);
        assert!(c.fixed.is_empty());
    }

    #[test]
    fn a_suppressed_finding_is_not_fixed() {
        let old = report(vec![finding(
            "host-pid",
            "web",
            "spec.hostPID",
            "a.yaml",
            3,
        )]);
        let mut new = report(vec![]);
        new.suppressed
            .push(finding("host-pid", "web", "spec.hostPID", "a.yaml", 3));
        let c = Comparison::new(&new, &baseline_of(&old));
        assert!(c.fixed.is_empty());
    }

    #[test]
    fn bad_baselines_are_explained() {
        let e = Baseline::parse("x.json", "{\"version\": 1,").unwrap_err();
        assert!(e.starts_with("x.json:1:"), "{e}");
        let e = Baseline::parse("x.json", "{\"version\": 2, \"findings\": []}").unwrap_err();
        assert!(e.contains("version 2 is not supported"), "{e}");
        let e = Baseline::parse("x.json", "[]").unwrap_err();
        assert!(e.contains("not a kubefort JSON report"), "{e}");
        let e = Baseline::parse("x.json", "{\"findings\": []}").unwrap_err();
        assert!(e.contains("no \"version\""), "{e}");
        let e = Baseline::parse(
            "x.json",
            "{\"version\": 1, \"findings\": [{\"rule\": \"a\", \"severity\": \"bad\"}]}",
        )
        .unwrap_err();
        assert!(e.contains("findings[0].severity"), "{e}");
        // Deep nesting is refused by the parser, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(Baseline::parse("x.json", &deep).is_err());
    }
}
