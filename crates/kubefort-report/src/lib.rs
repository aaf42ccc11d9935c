//! Report writers. A writer formats a finished [`Report`]; it never computes
//! findings.

use std::sync::Arc;

use kubefort_core::{Report, Severity};

pub mod baseline;
pub mod html;
pub mod json;
pub mod junit;
pub mod policyreport;
pub mod rules;
pub mod sarif;
mod stream;
pub mod text;

/// Settings every writer may use.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// Findings at or above this severity fail the run.
    pub fail_on: Severity,
    pub color: bool,
    pub verbose: bool,
    pub tool_version: &'static str,
    /// The comparison with `--baseline`, when given.
    pub baseline: Option<Arc<baseline::Comparison>>,
    /// Only new findings fail the run (`--fail-on-new`; needs a baseline).
    pub fail_on_new: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            fail_on: Severity::Low,
            color: false,
            verbose: false,
            tool_version: env!("CARGO_PKG_VERSION"),
            baseline: None,
            fail_on_new: false,
        }
    }
}

/// Findings per severity, highest first.
pub fn counts(report: &Report) -> [(Severity, usize); 5] {
    Severity::ALL.map(|s| {
        (
            s,
            report.findings.iter().filter(|f| f.severity == s).count(),
        )
    })
}

/// Whether the report has findings at or above `fail_on` (`info` never fails).
pub fn fails(report: &Report, fail_on: Severity) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.severity >= fail_on && f.severity != Severity::Info)
}

/// Whether the run fails: findings at or above `fail_on`, and with
/// `fail_on_new` and a baseline, only new ones.
pub fn run_fails(report: &Report, opts: &WriteOptions) -> bool {
    match (&opts.baseline, opts.fail_on_new) {
        (Some(cmp), true) => report.findings.iter().enumerate().any(|(i, f)| {
            f.severity >= opts.fail_on
                && f.severity != Severity::Info
                && cmp.state(i) == baseline::State::New
        }),
        _ => fails(report, opts.fail_on),
    }
}

pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}
