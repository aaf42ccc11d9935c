//! kubefort's audit event analysis: the `audit.k8s.io/v1` model, readers
//! for JSON-lines logs (plain or gzip-compressed), the detection rules
//! (group `audit`), alerts and their writers, and the receiver for the API
//! server's audit webhook backend.

pub mod baseline;
pub mod cidr;
pub mod config;
pub mod detect;
pub mod event;
pub mod identity;
pub mod output;
pub mod read;
pub mod rules;
pub mod serve;
pub mod time;

pub use config::AuditConfig;
pub use detect::{Alert, Detector, Source, Stats};
pub use event::{Event, EventList};
pub use rules::{all as all_rules, AuditRule};

/// The rules to run: `select` (rule names, `audit` or `all`; every rule on
/// by default when absent) plus `extend`, minus `ignore`. An unknown name is
/// an error naming the known ones.
pub fn select_rules(
    select: Option<&[String]>,
    extend: &[String],
    ignore: &[String],
) -> Result<Vec<&'static AuditRule>, String> {
    let all = rules::all();
    let matches = |token: &str, r: &AuditRule| -> Result<bool, String> {
        if token == "all" || r.meta.groups.contains(&token) || token == r.meta.name {
            return Ok(true);
        }
        if all.iter().any(|x| x.meta.name == token) {
            return Ok(false);
        }
        Err(format!(
            "unknown audit rule or group {token:?} (see `kubefort audit rules`)"
        ))
    };
    let mut out = Vec::new();
    for r in &all {
        let mut on = match select {
            None => r.meta.default_enabled,
            Some(tokens) => {
                let mut any = false;
                for t in tokens {
                    any |= matches(t, r)?;
                }
                any
            }
        };
        for t in extend {
            on |= matches(t, r)?;
        }
        for t in ignore {
            if matches(t, r)? {
                on = false;
            }
        }
        if on {
            out.push(*r);
        }
    }
    Ok(out)
}
