//! The streaming JSON and SARIF writers print exactly what printing the whole
//! report as one `serde_json::Value` printed.

use std::path::Path;
use std::sync::Arc;

use kubefort_core::source::{discover, Input, SourceFile};
use kubefort_core::{Config, Engine, Finding, InputError, Location, ObjectRef, Report, Severity};
use kubefort_core::{SkipLevel, Skipped};
use kubefort_report::{json, sarif, WriteOptions};

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
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

/// A report with every optional part: suppressions of both kinds, errors with
/// and without positions, skips, standard input, characters JSON escapes.
fn odd_report() -> Report {
    let mut report = examples_report();
    let mut f = report.findings[0].clone();
    f.message = "quote \" backslash \\ tab \t nl \n bell \u{7} é 😀".into();
    f.object.namespace = None;
    f.location.file = Arc::from("<stdin>");
    report.findings.push(f.clone());
    let mut s = f.clone();
    s.suppressed = Some("annotation kubefort.io/ignore: accepted".into());
    report.suppressed.push(s.clone());
    s.suppressed = Some("config file .kubefort.yaml".into());
    s.object = ObjectRef {
        api_version: "v1".into(),
        kind: "Pod".into(),
        namespace: Some("ns".into()),
        name: None,
    };
    report.suppressed.push(s);
    let file: Arc<str> = Arc::from("dir with space/ü.yaml");
    report.errors = vec![
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
    ];
    report.skipped = vec![
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
    ];
    report.findings.push(Finding {
        rule: "no-such-rule",
        severity: Severity::Info,
        message: String::new(),
        object: ObjectRef::default(),
        path: String::new(),
        location: Location {
            file: Arc::from(""),
            line: 0,
            column: 0,
        },
        remediation: "",
        groups: &[],
        suppressed: None,
    });
    report
}

fn opts() -> WriteOptions {
    WriteOptions {
        tool_version: "0.0.0-test",
        ..WriteOptions::default()
    }
}

fn printed(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap();
    s.push('\n');
    s
}

#[test]
fn streamed_json_matches_the_value_it_replaces() {
    for report in [examples_report(), odd_report(), Report::default()] {
        let want = printed(&json::to_value(&report, &opts()));
        assert_eq!(json::write(&report, &opts()), want);
    }
}

#[test]
fn streamed_sarif_matches_the_value_it_replaces() {
    for report in [examples_report(), odd_report(), Report::default()] {
        let want = printed(&sarif::to_value(&report, &opts()));
        assert_eq!(sarif::write(&report, &opts()), want);
    }
}
