//! Every rule has a pass fixture that yields none of its findings and a fail
//! fixture whose findings, with exact lines, are pinned by a snapshot.

use std::path::Path;

use kubefort_core::{select_rules, Config, Engine, Report};

fn scan(rule: &str, file: &Path) -> Report {
    let rules = select_rules(&kubefort_rules::all(), Some(&[rule.to_string()]), &[], &[]).unwrap();
    assert_eq!(rules.len(), 1);
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let name = format!("{rule}/{}", file.file_name().unwrap().to_string_lossy());
    // A rule with settings reads them from `config.yaml` beside its fixtures.
    let settings = file.with_file_name("config.yaml");
    let mut config = if settings.is_file() {
        Config::load(&settings).unwrap()
    } else {
        Config::default()
    };
    kubefort_rules::configure(&mut config).unwrap();
    config.select = Some(vec![rule.to_string()]);
    Engine::new(rules, config).scan_str(&name, &text)
}

fn render(r: &Report) -> String {
    r.findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {} [{}] {}\n  object: {}\n  path: {}\n  message: {}\n",
                f.location.file,
                f.location.line,
                f.location.column,
                f.rule,
                f.severity,
                f.groups.join(","),
                f.object,
                f.path,
                f.message
            )
        })
        .collect()
}

#[test]
fn every_rule_passes_and_fails_its_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for rule in kubefort_rules::all() {
        let name = rule.meta.name;
        let pass = scan(name, &dir.join(name).join("pass.yaml"));
        assert!(
            pass.errors.is_empty(),
            "{name} pass fixture: {:?}",
            pass.errors
        );
        assert!(
            pass.findings.is_empty(),
            "{name} fires on its pass fixture:\n{}",
            render(&pass)
        );
        assert!(
            pass.stats.objects > 0,
            "{name}: pass fixture has no objects"
        );
        let fail = scan(name, &dir.join(name).join("fail.yaml"));
        assert!(
            fail.errors.is_empty(),
            "{name} fail fixture: {:?}",
            fail.errors
        );
        assert!(
            !fail.findings.is_empty(),
            "{name} does not fire on its fail fixture"
        );
        assert!(fail.findings.iter().all(|f| f.rule == name));
        insta::assert_snapshot!(name, render(&fail));
    }
}

#[test]
fn every_rule_is_documented() {
    let mut names = std::collections::HashSet::new();
    for rule in kubefort_rules::all() {
        let m = &rule.meta;
        assert!(names.insert(m.name), "duplicate rule name {}", m.name);
        assert!(
            m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            m.name
        );
        for section in [
            "## What it does",
            "## Why it matters",
            "## Example",
            "## How to fix",
        ] {
            assert!(
                m.docs.contains(section),
                "{}: docs lack {section:?}",
                m.name
            );
        }
        assert!(!m.references.is_empty(), "{}: no references", m.name);
        assert!(!m.remediation.is_empty() && !m.summary.is_empty());
        for g in m.groups {
            assert!(
                kubefort_rules::GROUPS.iter().any(|(n, _)| n == g),
                "{}: undeclared group {g}",
                m.name
            );
        }
        if m.groups.contains(&"pss-baseline") {
            assert!(
                m.groups.contains(&"pss-restricted"),
                "{}: restricted includes baseline",
                m.name
            );
        }
    }
}

#[test]
fn secrets_findings_never_print_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // Every credential written in the secrets rules' fail fixtures, and
    // every four characters of them past the public prefix.
    const VALUES: &[&str] = &[
        "Zq3v8RkT1mWx9bYcN4pLs7dHf2gJa6eUo0iK",
        "q9W!xz7Lp2#r",
        "Zx8#kq2Lw9vB",
        "S3cr3t-Pa55",
        "Z7QWERTY2VBNM3XC",
        "2048306512-5094021837-Ak9fJq2LmZx7Rt4Vw8Yp",
        "Ak9fJq2LmZx7Rt4Vw8Yp",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
        "cTlXIXh6N0xwMiNy",
    ];
    for rule in kubefort_rules::all()
        .iter()
        .filter(|r| r.meta.groups.contains(&"secrets"))
    {
        let name = rule.meta.name;
        let r = scan(name, &dir.join(name).join("fail.yaml"));
        assert!(!r.findings.is_empty());
        for f in &r.findings {
            let shown = format!("{} {} {}", f.message, f.path, f.remediation);
            for v in VALUES {
                for w in v.as_bytes().windows(4) {
                    let w = std::str::from_utf8(w).unwrap();
                    assert!(
                        !shown.contains(w),
                        "{name} prints {w:?} of a value: {shown}"
                    );
                }
            }
        }
    }
}
