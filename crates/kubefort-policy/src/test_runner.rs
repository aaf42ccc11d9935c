//! Policy unit tests (`kubefort policy test`): `PolicyTest` files with
//! cases of objects and the verdict each should get, and OPA-style
//! `*_test.rego` files whose `test_*` rules must hold.
//!
//! ```yaml
//! apiVersion: kubefort.io/v1alpha1
//! kind: PolicyTest
//! metadata:
//!   name: image-tags
//! spec:
//!   policies: [../policies]      # files or directories, relative to this file
//!   cases:
//!   - name: a pinned image is allowed
//!     object: {apiVersion: v1, kind: Pod, ...}
//!     expect: allow              # allow | deny | warn
//!   - name: latest is refused
//!     file: fixtures/latest.yaml # every object of the file
//!     expect: deny
//!     messages: ["uses a disallowed tag"]   # each must be in some message
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubefort_core::config::PolicyEntry;
use kubefort_core::yaml::{load_str, Limits};
use serde::Serialize;
use serde_json::Value as Json;

use crate::load::{read, walk};
use crate::rego;
use crate::{Action, LoadOptions, Operation, PolicyError, PolicySet, Request};

/// The outcome of one case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    pub file: String,
    pub line: u32,
    pub suite: String,
    pub name: String,
    pub passed: bool,
    /// What went wrong, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// The outcome of a run.
#[derive(Debug, Default, Serialize)]
pub struct TestReport {
    pub version: u32,
    pub passed: usize,
    pub failed: usize,
    pub cases: Vec<CaseResult>,
    /// Test files or policies that could not be read or compiled.
    pub errors: Vec<PolicyError>,
}

/// Run every test under `paths` (files or directories).
pub fn run(paths: &[PathBuf], opts: &LoadOptions) -> TestReport {
    let mut report = TestReport {
        version: 1,
        ..Default::default()
    };
    let mut files = Vec::new();
    for p in paths {
        match walk(p) {
            Ok(f) => files.extend(f),
            Err(e) => report.errors.push(PolicyError {
                file: p.display().to_string().into(),
                line: None,
                message: e,
            }),
        }
    }
    files.sort();
    files.dedup();
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with("_test.rego") {
            rego_tests(f, &mut report);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            let Ok(text) = read(f) else { continue };
            if text.contains("PolicyTest") {
                yaml_tests(f, &text, opts, &mut report);
            }
        }
    }
    report.passed = report.cases.iter().filter(|c| c.passed).count();
    report.failed = report.cases.len() - report.passed;
    report.errors.sort();
    report.errors.dedup();
    report
}

fn yaml_tests(file: &Path, text: &str, opts: &LoadOptions, report: &mut TestReport) {
    let shown: Arc<str> = file.display().to_string().into();
    let dir = file.parent().unwrap_or(Path::new("."));
    for d in load_str(text, &Limits::default()) {
        let doc = match d {
            Ok(d) => d,
            Err(e) => {
                report.errors.push(PolicyError {
                    file: shown.clone(),
                    line: Some(e.pos.line),
                    message: e.message,
                });
                continue;
            }
        };
        let j = doc.root.to_json();
        if j.get("kind").and_then(Json::as_str) != Some("PolicyTest") {
            continue;
        }
        let err = |line: u32, m: String| PolicyError {
            file: shown.clone(),
            line: Some(line),
            message: m,
        };
        let suite = j
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        let spec_node = doc.root.get("spec");
        let Some(spec) = j.get("spec") else {
            report
                .errors
                .push(err(doc.root.pos.line, "a PolicyTest needs a spec".into()));
            continue;
        };
        let policies: Vec<PolicyEntry> = spec
            .get("policies")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(|p| PolicyEntry {
                        path: dir.join(p).display().to_string(),
                        ..Default::default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        if policies.is_empty() {
            report.errors.push(err(
                doc.root.pos.line,
                "spec.policies: name the policy files or directories to test".into(),
            ));
            continue;
        }
        let base = PolicySet::load(&policies, opts);
        let load_errors = base.errors.clone();
        report.errors.extend(load_errors.iter().cloned());
        let cases = spec
            .get("cases")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let case_nodes = spec_node
            .and_then(|s| s.get("cases"))
            .and_then(|c| c.as_seq())
            .unwrap_or(&[]);
        for (i, c) in cases.iter().enumerate() {
            let line = case_nodes.get(i).map_or(doc.root.pos.line, |n| n.pos.line);
            let name = c
                .get("name")
                .and_then(Json::as_str)
                .map_or_else(|| format!("case {}", i + 1), str::to_string);
            let mut result = CaseResult {
                file: shown.to_string(),
                line,
                suite: suite.clone(),
                name,
                passed: false,
                failure: None,
            };
            match run_case(&policies, opts, dir, c) {
                Ok(()) if load_errors.is_empty() => result.passed = true,
                Ok(()) => {
                    result.failure = Some(format!(
                        "{} policy error(s): {}",
                        load_errors.len(),
                        load_errors[0]
                    ))
                }
                Err(f) => result.failure = Some(f),
            }
            report.cases.push(result);
        }
    }
}

fn run_case(
    policies: &[PolicyEntry],
    opts: &LoadOptions,
    dir: &Path,
    c: &Json,
) -> Result<(), String> {
    let mut objects: Vec<Json> = Vec::new();
    if let Some(o) = c.get("object") {
        objects.push(o.clone());
    }
    if let Some(f) = c.get("file").and_then(Json::as_str) {
        let p = dir.join(f);
        let text = read(&p).map_err(|e| e.to_string())?;
        for d in load_str(&text, &Limits::default()) {
            let d = d.map_err(|e| format!("{}:{}: {}", p.display(), e.pos.line, e.message))?;
            let j = d.root.to_json();
            if j.get("kind").is_some() {
                objects.push(j);
            }
        }
    }
    if objects.is_empty() {
        return Err("the case has neither `object` nor `file`".into());
    }
    let expect = c.get("expect").and_then(Json::as_str).unwrap_or("");
    if !matches!(expect, "allow" | "deny" | "warn") {
        return Err(format!("expect {expect:?}: use allow, deny or warn"));
    }
    let operation = match c.get("operation").and_then(Json::as_str) {
        None => Operation::Create,
        Some(s) => Operation::parse(s)
            .ok_or_else(|| format!("operation {s:?}: use CREATE, UPDATE, DELETE or CONNECT"))?,
    };
    // A fresh set per case: its resources are the case's.
    let mut set = PolicySet::load(policies, opts);
    for r in c
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        set.resources.add(r.clone());
    }
    let mut violations = Vec::new();
    for o in objects {
        let req = Request {
            object: (operation != Operation::Delete).then(|| Arc::new(o.clone())),
            old_object: c
                .get("oldObject")
                .cloned()
                .or_else(|| (operation == Operation::Delete).then_some(o))
                .map(Arc::new),
            operation,
            user_info: c.get("userInfo").cloned(),
            namespace_object: c.get("namespace").cloned().map(Arc::new),
            dry_run: false,
        };
        violations.extend(set.evaluate(&req));
    }
    let eval_errors = set.evaluation_errors();
    if !eval_errors.is_empty() {
        return Err(format!("evaluation error: {}", eval_errors[0]));
    }
    let rules: Vec<&str> = c
        .get("rules")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let violations: Vec<_> = violations
        .into_iter()
        .filter(|v| rules.is_empty() || rules.contains(&v.rule))
        .collect();
    let denies = violations.iter().any(|v| v.actions.contains(&Action::Deny));
    let warns = violations.iter().any(|v| v.actions.contains(&Action::Warn));
    let got = if denies {
        "deny"
    } else if warns {
        "warn"
    } else {
        "allow"
    };
    let show = || {
        violations
            .iter()
            .map(|v| format!("[{}] {}", v.rule, v.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if got != expect {
        return Err(format!(
            "expected {expect}, got {got}{}",
            if violations.is_empty() {
                String::new()
            } else {
                format!(": {}", show())
            }
        ));
    }
    for m in c
        .get("messages")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
    {
        if !violations.iter().any(|v| v.message.contains(m)) {
            return Err(format!("no message contains {m:?}; messages: {}", show()));
        }
    }
    Ok(())
}

/// OPA-style unit tests: every `test_*` rule of a `*_test.rego` file must
/// be true, with the `.rego` files beside it loaded.
fn rego_tests(file: &Path, report: &mut TestReport) {
    let shown: Arc<str> = file.display().to_string().into();
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut modules = Vec::new();
    let mut siblings: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    siblings.sort();
    for p in siblings {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if n.ends_with(".rego") && (p == file || !n.ends_with("_test.rego")) {
            match read(&p) {
                Ok(text) => modules.push(rego::Module {
                    file: p.display().to_string().into(),
                    first_line: 1,
                    text,
                }),
                Err(e) => report.errors.push(e),
            }
        }
    }
    let Ok(text) = read(file) else { return };
    let mut engine = None;
    for v0 in [false, true] {
        match rego::engine(&modules, v0) {
            Ok(e) => {
                engine = Some(e);
                break;
            }
            Err(e) if v0 => report.errors.push(e),
            Err(_) => {}
        }
    }
    let Some(mut engine) = engine else { return };
    let pkg = regex::Regex::new(r"(?m)^package\s+([A-Za-z0-9_.]+)")
        .expect("valid")
        .captures(&text)
        .map(|c| c[1].to_string())
        .unwrap_or_default();
    let test_re = regex::Regex::new(r"^(test_[A-Za-z0-9_]*)").expect("valid");
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let Some(c) = test_re.captures(line) else {
            continue;
        };
        let name = c[1].to_string();
        if !seen.insert(name.clone()) {
            continue;
        }
        let r = engine.eval_rule(format!("data.{pkg}.{name}"));
        let (passed, failure) = match r {
            Ok(regorus::Value::Bool(true)) => (true, None),
            Ok(regorus::Value::Undefined) => (
                false,
                Some("undefined (a condition did not hold)".to_string()),
            ),
            Ok(v) => (false, Some(format!("evaluated to {v}, not true"))),
            Err(e) => (
                false,
                Some(format!(
                    "error: {}",
                    e.to_string().lines().last().unwrap_or("")
                )),
            ),
        };
        report.cases.push(CaseResult {
            file: shown.to_string(),
            line: i as u32 + 1,
            suite: pkg.clone(),
            name,
            passed,
            failure,
        });
    }
}

/// The report as text: one line per case, then `N passed, N failed`.
pub fn text(report: &TestReport, verbose: bool) -> String {
    let mut s = String::new();
    for e in &report.errors {
        s.push_str(&format!("ERROR {e}\n"));
    }
    for c in &report.cases {
        if c.passed {
            if verbose {
                s.push_str(&format!(
                    "PASS  {}:{}: {} / {}\n",
                    c.file, c.line, c.suite, c.name
                ));
            }
        } else {
            s.push_str(&format!(
                "FAIL  {}:{}: {} / {}: {}\n",
                c.file,
                c.line,
                c.suite,
                c.name,
                c.failure.as_deref().unwrap_or("")
            ));
        }
    }
    s.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed, report.failed
    ));
    s
}
