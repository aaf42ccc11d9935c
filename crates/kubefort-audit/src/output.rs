//! Writing alerts: text for people, JSON lines for machines, and the
//! summary table that ends a run over files.

use std::fmt::Write as _;

use kubefort_core::Severity;

use crate::detect::{Alert, Detector};
use crate::read::LineError;

/// Version of the JSON-lines alert format.
pub const JSON_VERSION: u32 = 1;

/// One alert as two lines of text: what happened, then who and where.
pub fn text(alert: &Alert, color: bool) -> String {
    let sev = alert.severity.as_str().to_ascii_uppercase();
    let sev = if color {
        let code = match alert.severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        format!("\x1b[{code}m{sev:<8}\x1b[0m")
    } else {
        format!("{sev:<8}")
    };
    let mut s = format!(
        "{} {sev} {}: {}",
        if alert.time.is_empty() {
            "-"
        } else {
            &alert.time
        },
        alert.rule,
        alert.message
    );
    if let Some(why) = &alert.suppressed {
        let _ = write!(s, " [suppressed: {why}]");
    }
    s.push('\n');
    let _ = write!(s, "    user={}", alert.user);
    if let Some(imp) = &alert.impersonator {
        let _ = write!(s, " impersonator={imp}");
    }
    if !alert.source_ips.is_empty() {
        let _ = write!(s, " from={}", alert.source_ips.join(","));
    }
    if !alert.user_agent.is_empty() {
        let _ = write!(s, " agent={:?}", alert.user_agent);
    }
    let _ = write!(
        s,
        " code={} mitre={}",
        alert.response_code,
        alert.mitre.join(",")
    );
    let _ = write!(s, " auditID={}", alert.audit_id);
    if let Some(src) = &alert.source {
        let _ = write!(s, " at {}:{}", src.file, src.line);
    }
    s.push('\n');
    s
}

/// One alert as a JSON line (with the format's version).
pub fn json_line(alert: &Alert) -> String {
    let mut v = serde_json::to_value(alert).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.insert("version".into(), JSON_VERSION.into());
    }
    let mut s = v.to_string();
    s.push('\n');
    s
}

/// The summary of a run: totals, then one row per rule that spoke.
pub fn summary(det: &Detector, errors: &[LineError], shown_errors: usize) -> String {
    let st = &det.stats;
    let mut s = String::new();
    let _ = writeln!(s, "\nSummary");
    let _ = writeln!(
        s,
        "  events: {} read, {} judged, {} at other stages (a request is judged once), {} invalid, {} over the size limit",
        st.events, st.evaluated, st.other_stages, st.invalid, st.oversized
    );
    let mut rows: Vec<(&str, Severity, u64, u64)> = Vec::new();
    for rule in det.rules() {
        if let Some(c) = det.per_rule.get(rule.meta.name) {
            if c.alerts + c.suppressed > 0 {
                rows.push((rule.meta.name, rule.meta.severity, c.alerts, c.suppressed));
            }
        }
    }
    let _ = writeln!(
        s,
        "  alerts: {} ({} suppressed by exceptions)",
        st.alerts, st.suppressed
    );
    if !rows.is_empty() {
        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(4).max(4);
        let _ = writeln!(
            s,
            "\n  {:<w$}  {:<8}  {:>7}  {:>10}",
            "rule", "default", "alerts", "suppressed"
        );
        for (name, sev, n, sup) in &rows {
            let _ = writeln!(s, "  {name:<w$}  {:<8}  {n:>7}  {sup:>10}", sev.as_str());
        }
    }
    if !errors.is_empty() {
        let _ = writeln!(
            s,
            "\n  {} input error(s){}",
            errors.len(),
            if errors.len() > shown_errors {
                format!(" (first {shown_errors} shown above)")
            } else {
                String::new()
            }
        );
    }
    s
}
