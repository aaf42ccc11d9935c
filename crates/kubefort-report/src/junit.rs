//! JUnit XML: one test suite per rule category, one test case per object in
//! it; a test case fails with the object's findings of that category. Input
//! errors are test cases of their own suite, with `<error>`.

use std::collections::BTreeSet;
use std::fmt::Write;

use kubefort_core::Report;

use crate::baseline::State;
use crate::{xml_escape, WriteOptions};

pub fn write(report: &Report, opts: &WriteOptions) -> String {
    let cmp = opts.baseline.as_deref();
    let categories: BTreeSet<&str> = report
        .rules
        .iter()
        .filter_map(|m| m.groups.first().copied())
        .collect();
    let mut suites = String::new();
    let (mut total_tests, mut total_failures) = (0usize, 0usize);
    for cat in &categories {
        let mut cases = String::new();
        let (mut tests, mut failures) = (0usize, 0usize);
        for o in &report.objects {
            tests += 1;
            let found: Vec<_> = report
                .findings
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    f.groups.first() == Some(cat)
                        && f.object == o.object
                        && f.location.file == o.location.file
                })
                .collect();
            let state = |i: usize| cmp.map(|c| c.state(i));
            let _ = write!(
                cases,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                xml_escape(&o.object.to_string()),
                xml_escape(&o.location.file),
                xml_escape(&o.location.file),
                o.location.line
            );
            if found.is_empty() {
                cases.push_str("/>\n");
                continue;
            }
            let mut body = String::new();
            for &(i, f) in &found {
                let at = if f.location.has_position() {
                    format!(
                        "{}:{}:{}",
                        f.location.file, f.location.line, f.location.column
                    )
                } else {
                    f.location.file.to_string()
                };
                let tag = match state(i) {
                    Some(State::New) => " (new)",
                    Some(State::Unchanged) => " (in the baseline)",
                    None => "",
                };
                let _ = writeln!(
                    body,
                    "{} [{}] {}{tag}: {}\n  path: {}\n  fix: {}",
                    at, f.severity, f.rule, f.message, f.path, f.remediation
                );
            }
            // With --fail-on-new, findings the baseline already has do not fail.
            if opts.fail_on_new
                && found
                    .iter()
                    .all(|&(i, _)| state(i) == Some(State::Unchanged))
            {
                let _ = write!(
                    cases,
                    ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                    xml_escape(&body)
                );
                continue;
            }
            failures += 1;
            let worst = found
                .iter()
                .map(|(_, f)| f.severity)
                .max()
                .expect("non-empty");
            let _ = write!(
                cases,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                xml_escape(&format!(
                    "{} finding{} ({})",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" },
                    found
                        .iter()
                        .map(|(_, f)| f.rule)
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                worst,
                xml_escape(&body)
            );
        }
        total_tests += tests;
        total_failures += failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"kubefort.{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n",
            xml_escape(cat)
        );
    }
    let errors = report.errors.len();
    if errors > 0 {
        let mut cases = String::new();
        for e in &report.errors {
            let _ = write!(
                cases,
                "    <testcase name=\"{}\" classname=\"{}\">\n      <error message=\"{}\" type=\"input\"/>\n    </testcase>\n",
                xml_escape(&format!("read {}", e.file)),
                xml_escape(&e.file),
                xml_escape(&e.to_string())
            );
        }
        total_tests += errors;
        let _ = write!(
            suites,
            "  <testsuite name=\"kubefort.inputs\" tests=\"{errors}\" failures=\"0\" errors=\"{errors}\" skipped=\"0\">\n{cases}  </testsuite>\n"
        );
    }
    if let Some(cmp) = cmp.filter(|c| !c.fixed.is_empty()) {
        // Findings of the baseline that are gone: passing test cases.
        let mut cases = String::new();
        for f in &cmp.fixed {
            let _ = writeln!(
                cases,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"/>",
                xml_escape(&format!("fixed: {} on {} at {}", f.rule, f.object, f.path)),
                xml_escape(&f.location.file),
                xml_escape(&f.location.file),
            );
        }
        let n = cmp.fixed.len();
        total_tests += n;
        let _ = write!(
            suites,
            "  <testsuite name=\"kubefort.baseline-fixed\" tests=\"{n}\" failures=\"0\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n"
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kubefort\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
    )
}
