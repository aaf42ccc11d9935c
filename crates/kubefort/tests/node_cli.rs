//! `kubefort node` end to end: formats, exit codes, selection, configuration
//! and an empty or missing root.

use std::path::Path;
use std::process::{Command, Output};

use kubefort_node::layout::{self, Layout};
use serde_json::Value;

fn node(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .current_dir(dir)
        .env("CI", "true")
        .arg("node")
        .arg("--no-config")
        .args(args)
        .output()
        .expect("runs")
}

fn laid_out(l: Layout) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    layout::write(dir.path(), l).unwrap();
    dir
}

fn root_arg(d: &tempfile::TempDir) -> String {
    d.path().display().to_string()
}

#[test]
fn kubeadm_node_fails_with_findings_in_every_format() {
    let d = laid_out(Layout::Kubeadm);
    let r = root_arg(&d);
    let out = node(d.path(), &["--root", &r, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["rule"] == "apiserver-encryption-at-rest")
        .expect("finding");
    assert_eq!(f["location"]["line"], 13);
    assert_eq!(f["path"], "spec.containers[0].command");
    assert!(f["location"]["file"]
        .as_str()
        .unwrap()
        .ends_with("etc/kubernetes/manifests/kube-apiserver.yaml"));
    assert!(findings.iter().all(|f| f["groups"][0] == "cis"));

    let sarif = node(d.path(), &["--root", &r, "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(
        s["runs"][0]["results"].as_array().unwrap().len(),
        findings.len()
    );

    let junit = node(d.path(), &["--root", &r, "--format", "junit"]);
    assert_eq!(junit.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&junit.stdout).contains("<testsuites"));

    // Only high and above fail.
    let text = node(d.path(), &["--root", &r, "--fail-on", "critical"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&text.stdout).contains("CIS 1.2.27"));
}

#[test]
fn hardened_node_passes() {
    let d = laid_out(Layout::Hardened);
    let r = root_arg(&d);
    let mut args = vec!["--root", r.as_str()];
    if !layout::can_chown(d.path()) {
        args.extend(["--ignore", "node-file-ownership"]);
    }
    let out = node(d.path(), &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("No findings"));
}

#[test]
fn selection_and_configured_paths() {
    let d = laid_out(Layout::Kubeadm);
    let r = root_arg(&d);
    let out = node(
        d.path(),
        &[
            "--root",
            &r,
            "--select",
            "node-file-ownership",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["node-file-ownership"]);

    // Paths from the configuration file.
    std::fs::rename(
        d.path().join("etc/kubernetes/manifests"),
        d.path().join("etc/kubernetes/static"),
    )
    .unwrap();
    std::fs::write(
        d.path().join("node.yaml"),
        "node:\n  manifests-dir: /etc/kubernetes/static\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kubefort"))
        .current_dir(d.path())
        .args([
            "node",
            "--root",
            &r,
            "--config",
            "node.yaml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["location"]["file"]
            .as_str()
            .unwrap()
            .contains("/static/kube-apiserver.yaml")));
    // And from the command line, which wins.
    let out = node(
        d.path(),
        &[
            "--root",
            &r,
            "--manifests-dir",
            "/nowhere",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "apiserver-anonymous-auth"));
}

#[test]
fn empty_and_missing_roots() {
    let d = tempfile::tempdir().unwrap();
    let r = root_arg(&d);
    let out = node(d.path(), &["--root", &r]);
    assert_eq!(out.status.code(), Some(0));
    // The report says there was nothing; standard error says why.
    assert!(String::from_utf8_lossy(&out.stdout).contains("No findings in 0 objects"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Kubernetes node files found under"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to check"));

    let out = node(d.path(), &["--root", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));

    let out = node(d.path(), &["--root", &r, "--select", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unreadable_input_exits_2_with_findings_still_reported() {
    let d = laid_out(Layout::Kubeadm);
    let r = root_arg(&d);
    std::fs::write(
        d.path().join("etc/kubernetes/manifests/broken.yaml"),
        "kind: Pod\nspec: [\n",
    )
    .unwrap();
    let out = node(d.path(), &["--root", &r, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["findings"].as_array().unwrap().is_empty());
    let e = &v["errors"][0];
    assert!(e["file"].as_str().unwrap().ends_with("broken.yaml"), "{e}");
    assert!(e["line"].as_u64().is_some());
}
