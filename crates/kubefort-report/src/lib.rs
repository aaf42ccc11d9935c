//! Report writers. A writer formats a finished [`Report`]; it never computes
//! findings.

use kubefort_core::{Report, Severity};

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
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            fail_on: Severity::Low,
            color: false,
            verbose: false,
            tool_version: env!("CARGO_PKG_VERSION"),
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
