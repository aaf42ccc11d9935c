//! End-to-end tests of user policies: `scan --policy`, `policies:` in the
//! configuration, errors that name the file and line and stop only their
//! policy, parameters found among the scanned objects, and `policy test`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .current_dir(dir)
        .env("CI", "true")
        .args(args)
        .output()
        .expect("runs")
}

fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn policy_findings(v: &Value) -> Vec<(String, String, u64, String)> {
    let mut out: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g == "policy")
        })
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn scan_reports_policy_violations_as_findings() {
    let o = run(&[
        "scan",
        "--no-config",
        "--format",
        "json",
        "--policy",
        "examples/policies",
        "examples/policies/tests/fixtures/bad.yaml",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    let f = policy_findings(&v);
    let rules: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
    for r in [
        "deployments-must-have-owner",
        "main.deny",
        "main.warn",
        "no-host-network",
        "replica-limit",
    ] {
        assert!(rules.contains(&r), "{r} missing from {f:?}");
    }
    // the CEL fieldPath points the finding at spec.replicas (line 7)
    let replicas = f.iter().find(|x| x.0 == "replica-limit").unwrap();
    assert_eq!(replicas.2, 7);
    assert_eq!(replicas.3, "replicas must be at most 5, got 10");
    // severities: annotation, METADATA, defaults
    assert!(f
        .iter()
        .any(|x| x.0 == "no-host-network" && x.1 == "critical"));
    assert!(f
        .iter()
        .any(|x| x.0 == "deployments-must-have-owner" && x.1 == "medium"));
    assert!(f.iter().any(|x| x.0 == "main.warn" && x.1 == "low"));

    // the good fixture passes every policy
    let o = run(&[
        "scan",
        "--no-config",
        "--format",
        "json",
        "--select",
        "latest-tag",
        "--policy",
        "examples/policies",
        "examples/policies/tests/fixtures/good.yaml",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(policy_findings(&json(&o)).is_empty());
}

#[test]
fn config_policies_params_from_inputs_and_errors_that_stop_one_policy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("policies")).unwrap();
    // a VAP whose parameters live in the scanned inputs
    std::fs::write(
        d.join("policies/limit.yaml"),
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= int(params.data.max)"
    messageExpression: "'at most ' + params.data.max + ' replicas'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas}
spec:
  policyName: max-replicas
  validationActions: [Deny]
  paramRef: {name: limits, parameterNotFoundAction: Deny}
"#,
    )
    .unwrap();
    // a broken policy: an unknown CEL function on line 10
    std::fs::write(
        d.join("policies/broken.yaml"),
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validations:
  - expression: >-
      object.metadata.name.frobnicate()
"#,
    )
    .unwrap();
    // a broken Rego file: a syntax error on line 4
    std::fs::write(
        d.join("policies/bad.rego"),
        "package main\n\ndeny contains msg if {\n  msg := \n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join(".kubefort.yaml"),
        "select: [latest-tag]\npolicies:\n  - path: policies\n    severity: critical\n",
    )
    .unwrap();
    std::fs::write(
        d.join("app.yaml"),
        r#"apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: shop}
data: {max: "3"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
"#,
    )
    .unwrap();
    let o = run_in(d, &["scan", "--format", "json", "app.yaml"]);
    // the broken policies are input errors (exit 2); the good one still runs,
    // its finding at the object (metadata.name, line 8)
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    let f = policy_findings(&v);
    assert_eq!(
        f,
        vec![(
            "max-replicas".into(),
            "critical".into(),
            8,
            "at most 3 replicas".into()
        )]
    );
    let errors: Vec<String> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}: {}",
                e["file"].as_str().unwrap(),
                e["line"],
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("broken.yaml:10:") && e.contains("frobnicate")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("bad.rego:") && e.contains("Rego")),
        "{errors:?}"
    );
}

#[test]
fn policy_test_passes_fails_and_errs_with_ci_exit_codes() {
    let o = run(&["policy", "test", "examples/policies"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.trim_end().ends_with("7 passed, 0 failed"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("t.yaml"),
        format!(
            r#"apiVersion: kubefort.io/v1alpha1
kind: PolicyTest
metadata: {{name: wrong-expectations}}
spec:
  policies: [{}]
  cases:
  - name: expects allow but is denied
    file: {}
    expect: allow
  - name: right
    file: {}
    expect: deny
"#,
            root().join("examples/policies/vap").display(),
            root()
                .join("examples/policies/tests/fixtures/bad.yaml")
                .display(),
            root()
                .join("examples/policies/tests/fixtures/bad.yaml")
                .display(),
        ),
    )
    .unwrap();
    let o = run_in(d, &["policy", "test", "--format", "json", "."]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let failure = v["cases"][0]["failure"].as_str().unwrap();
    assert!(failure.starts_with("expected allow, got deny"), "{failure}");
    assert_eq!(v["cases"][0]["line"], 7);

    // no tests at all: a usage error
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        run_in(empty.path(), &["policy", "test", "."]).status.code(),
        Some(2)
    );
}
