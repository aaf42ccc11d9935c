//! The JSON and SARIF writers stream the report; what they print is what
//! printing the report as one `serde_json::Value` printed, which they
//! replaced: stored output of that earlier writer for a report with every
//! optional part, and the canonical form of a `Value` for a real scan.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubefort_core::finding::Stats;
use kubefort_core::source::{discover, Input, SourceFile};
use kubefort_core::{Config, Engine, Finding, InputError, Location, ObjectRef, Report, RuleMeta};
use kubefort_core::{Severity, SkipLevel, Skipped};
use kubefort_report::{json, sarif, WriteOptions};

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn snapshot(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

/// A scan of the examples, with file names as a scan from the repository
/// root shows them.
fn examples_report() -> Report {
    let root = repo();
    let found = discover(&[Input::Path(root.join("examples"))], &Config::default());
    assert!(found.files.len() >= 2, "examples are missing");
    let prefix = format!("{}/", root.display());
    let files: Vec<SourceFile> = found
        .files
        .into_iter()
        .map(|f| SourceFile {
            name: f
                .name
                .strip_prefix(prefix.as_str())
                .unwrap_or(&f.name)
                .into(),
            path: f.path,
        })
        .collect();
    let engine = Engine::new(kubefort_rules::all(), Config::default());
    let report = engine.scan(&files, &|| {});
    assert!(!report.findings.is_empty());
    report
}

static PRIVILEGED: RuleMeta = RuleMeta {
    name: "test-privileged",
    severity: Severity::Critical,
    groups: &["pss-baseline", "workload"],
    summary: "Containers run privileged.",
    remediation: "Remove `privileged: true`.",
    docs: "## What it does\n\nFinds \"privileged\" containers.\n",
    references: &["https://kubernetes.io/docs/concepts/security/pod-security-standards/"],
    default_enabled: true,
};

static LIMITS: RuleMeta = RuleMeta {
    name: "test-limits",
    severity: Severity::Low,
    groups: &["reliability"],
    summary: "No limits.",
    remediation: "Set limits.",
    docs: "",
    references: &[],
    default_enabled: false,
};

fn finding(rule: &'static RuleMeta, severity: Severity, file: &str, line: u32) -> Finding {
    Finding {
        rule: rule.name,
        severity,
        message: format!("{} in {file}", rule.summary),
        object: ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: Some("web".into()),
        },
        path: "spec.template.spec.containers[0].securityContext".into(),
        location: Location {
            file: Arc::from(file),
            line,
            column: 9,
        },
        remediation: rule.remediation,
        groups: rule.groups,
        suppressed: None,
    }
}

/// A report with every optional part: findings of every severity, both
/// kinds of suppression, errors with and without positions, skips, standard
/// input, file names URIs escape, characters JSON escapes. It does not depend
/// on the rules.
fn full_report() -> Report {
    let mut findings = vec![
        finding(&PRIVILEGED, Severity::Critical, "app.yaml", 3),
        finding(&LIMITS, Severity::Low, "dir with space/ü.yaml", 12),
        finding(&PRIVILEGED, Severity::High, "<stdin>", 1),
        finding(&LIMITS, Severity::Medium, "/abs/path.yaml", 2),
        finding(&LIMITS, Severity::Info, "./rel\\win.yaml", 4),
    ];
    findings[1].message = "quote \" backslash \\ tab \t nl \n bell \u{7} é 😀".into();
    findings[2].object.namespace = None;
    findings[3].object.name = None;
    // A finding of a rule the report does not list.
    findings[4].rule = "unlisted-rule";
    let mut by_annotation = finding(&PRIVILEGED, Severity::Critical, "app.yaml", 30);
    by_annotation.suppressed = Some("annotation kubefort.io/ignore: accepted risk".into());
    let mut by_config = finding(&LIMITS, Severity::Low, "app.yaml", 40);
    by_config.suppressed = Some("ignored by .kubefort.yaml".into());
    let file: Arc<str> = Arc::from("dir with space/ü.yaml");
    Report {
        findings,
        suppressed: vec![by_annotation, by_config],
        errors: vec![
            InputError {
                file: file.clone(),
                line: Some(3),
                column: Some(7),
                message: "bad \"thing\"".into(),
            },
            InputError {
                file: file.clone(),
                line: Some(4),
                column: None,
                message: "line only".into(),
            },
            InputError {
                file: Arc::from("/abs/path.yaml"),
                line: None,
                column: None,
                message: "no position".into(),
            },
        ],
        skipped: vec![
            Skipped {
                file: file.clone(),
                line: Some(1),
                level: SkipLevel::Info,
                reason: "not an object".into(),
            },
            Skipped {
                file,
                line: None,
                level: SkipLevel::Warning,
                reason: "template".into(),
            },
        ],
        objects: Vec::new(),
        stats: Stats {
            files: 4,
            documents: 7,
            objects: 6,
        },
        rules: vec![&PRIVILEGED, &LIMITS],
    }
}

fn opts() -> WriteOptions {
    WriteOptions {
        tool_version: "0.0.0-test",
        ..WriteOptions::default()
    }
}

/// Compare with stored output; `KUBEFORT_UPDATE_SNAPSHOTS=1` rewrites it.
fn check_snapshot(name: &str, got: &str) {
    let path = snapshot(name);
    if std::env::var_os("KUBEFORT_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (KUBEFORT_UPDATE_SNAPSHOTS=1 writes it)",
            path.display()
        )
    });
    assert!(got == want, "{name} differs from {}", path.display());
}

/// Output is what printing its own `Value` prints: keys in `serde_json::Map`
/// order, two-space indentation, a final line break.
fn assert_canonical(out: &str) {
    let v: serde_json::Value = serde_json::from_str(out).expect("valid JSON");
    let mut again = serde_json::to_string_pretty(&v).unwrap();
    again.push('\n');
    assert!(out == again, "not in canonical form");
}

#[test]
fn json_report_is_unchanged() {
    check_snapshot("full-report.json", &json::write(&full_report(), &opts()));
    check_snapshot(
        "empty-report.json",
        &json::write(&Report::default(), &opts()),
    );
}

#[test]
fn sarif_log_is_unchanged() {
    check_snapshot("full-report.sarif", &sarif::write(&full_report(), &opts()));
    check_snapshot(
        "empty-report.sarif",
        &sarif::write(&Report::default(), &opts()),
    );
}

#[test]
fn scans_print_in_canonical_form() {
    let report = examples_report();
    for out in [
        json::write(&report, &opts()),
        sarif::write(&report, &opts()),
    ] {
        assert_canonical(&out);
    }
}

#[test]
fn write_to_streams_what_write_returns() {
    let report = full_report();
    let mut buf = Vec::new();
    json::write_to(&report, &opts(), &mut buf).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        json::write(&report, &opts())
    );
    let mut buf = Vec::new();
    sarif::write_to(&report, &opts(), &mut buf).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        sarif::write(&report, &opts())
    );
}
