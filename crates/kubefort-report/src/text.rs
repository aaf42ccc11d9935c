//! The human-readable report: findings grouped by file, then a summary.

use std::fmt::Write;

use kubefort_core::{Report, Severity, SkipLevel};

use crate::baseline::{Comparison, State};
use crate::{counts, WriteOptions};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, &format!("{:<8}", s.as_str()))
    }
}

pub fn write(report: &Report, opts: &WriteOptions) -> String {
    let p = Paint { on: opts.color };
    let mut out = String::new();
    let mut current: Option<&str> = None;
    let cmp = opts.baseline.as_deref();
    for (i, f) in report.findings.iter().enumerate() {
        // With a baseline, only new findings are listed (all with --verbose).
        let state = cmp.map(|c| c.state(i));
        if state == Some(State::Unchanged) && !opts.verbose {
            continue;
        }
        if current != Some(&*f.location.file) {
            if current.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", p.wrap("1;4", &f.location.file));
            current = Some(&f.location.file);
        }
        // Objects read from the API server have no source position: the
        // heading names the object and the line below gives the field.
        let pos = if f.location.has_position() {
            format!("{}:{}", f.location.line, f.location.column)
        } else {
            String::new()
        };
        let tag = match state {
            Some(State::New) if opts.verbose => p.wrap("1;33", "new "),
            Some(State::Unchanged) => p.wrap("2", "baseline "),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:>7}  {} {tag}{}  {}",
            pos,
            p.severity(f.severity),
            p.wrap("1", f.rule),
            f.message
        );
        let _ = writeln!(
            out,
            "  {:>7}  {}",
            "",
            p.wrap("2", &format!("{} · {}", f.object, f.path))
        );
        if opts.verbose {
            let _ = writeln!(
                out,
                "  {:>7}  {} {}",
                "",
                p.wrap("32", "fix:"),
                f.remediation
            );
        }
    }
    if current.is_some() {
        out.push('\n');
    }
    if let Some(cmp) = cmp.filter(|_| opts.verbose) {
        for f in &cmp.fixed {
            let at = if f.location.line > 0 {
                format!("{}:{}", f.location.file, f.location.line)
            } else {
                f.location.file.clone()
            };
            let _ = writeln!(
                out,
                "{} {at}: {} on {} · {}",
                p.wrap("32", "fixed:"),
                f.rule,
                f.object,
                f.path
            );
        }
        if !cmp.fixed.is_empty() {
            out.push('\n');
        }
    }
    if opts.verbose && !report.suppressed.is_empty() {
        for f in &report.suppressed {
            let at = if f.location.has_position() {
                format!(
                    "{}:{}:{}",
                    f.location.file, f.location.line, f.location.column
                )
            } else {
                f.location.file.to_string()
            };
            let _ = writeln!(
                out,
                "{} {}: {} on {} ({})",
                p.wrap("2", "suppressed:"),
                at,
                f.rule,
                f.object,
                f.suppressed.as_deref().unwrap_or("")
            );
        }
        out.push('\n');
    }
    for e in &report.errors {
        let _ = writeln!(out, "{} {e}", p.wrap("1;31", "error:"));
    }
    for s in &report.skipped {
        if s.level == SkipLevel::Info && !opts.verbose {
            continue;
        }
        let label = match s.level {
            SkipLevel::Warning => p.wrap("1;33", "warning:"),
            SkipLevel::Info => p.wrap("2", "skipped:"),
        };
        let at = match s.line {
            Some(l) => format!("{}:{l}", s.file),
            None => s.file.to_string(),
        };
        let _ = writeln!(out, "{label} {at}: {}", s.reason);
    }
    if !report.errors.is_empty()
        || report
            .skipped
            .iter()
            .any(|s| opts.verbose || s.level == SkipLevel::Warning)
    {
        out.push('\n');
    }
    out.push_str(&summary(report, &p));
    if let Some(cmp) = cmp {
        out.push_str(&baseline_line(cmp, &p));
    }
    out
}

/// The comparison with the baseline, in one line.
fn baseline_line(cmp: &Comparison, p: &Paint) -> String {
    let new = cmp.new_count();
    let new_text = format!("{new} new");
    format!(
        "Compared with {}: {}, {} unchanged, {} fixed\n",
        cmp.name,
        if new > 0 {
            p.wrap("1;33", &new_text)
        } else {
            new_text
        },
        cmp.unchanged_count(),
        cmp.fixed.len()
    )
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The closing summary line alone.
pub fn summary_line(report: &Report, color: bool) -> String {
    summary(report, &Paint { on: color })
}

fn summary(report: &Report, p: &Paint) -> String {
    let n = report.findings.len();
    let mut s = if n == 0 {
        p.wrap("1;32", "No findings")
    } else {
        let parts: Vec<String> = counts(report)
            .iter()
            .filter(|(_, c)| *c > 0)
            .map(|(sev, c)| format!("{c} {sev}"))
            .collect();
        format!(
            "{} ({})",
            p.wrap("1", &plural(n, "finding")),
            parts.join(", ")
        )
    };
    let mut affected: Vec<_> = report
        .findings
        .iter()
        .map(|f| (&f.location.file, &f.object))
        .collect();
    affected.sort();
    affected.dedup();
    // Objects read from a cluster come from no file.
    let files = if report.stats.files == 0 && report.stats.objects > 0 {
        String::new()
    } else {
        format!(", {} scanned", plural(report.stats.files, "file"))
    };
    if n == 0 {
        let _ = write!(s, " in {}{files}", plural(report.stats.objects, "object"));
    } else {
        let _ = write!(
            s,
            " in {} of {}{files}",
            affected.len(),
            plural(report.stats.objects, "object"),
        );
    }
    if !report.suppressed.is_empty() {
        let _ = write!(s, "; {} suppressed", report.suppressed.len());
    }
    if !report.errors.is_empty() {
        let _ = write!(
            s,
            "; {}",
            p.wrap("1;31", &plural(report.errors.len(), "error"))
        );
    }
    let warnings = report
        .skipped
        .iter()
        .filter(|s| s.level == SkipLevel::Warning)
        .count();
    if warnings > 0 {
        let _ = write!(s, "; {} skipped", plural(warnings, "input"));
    }
    s.push('\n');
    s
}
