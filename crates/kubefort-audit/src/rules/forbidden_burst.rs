use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::detect::{bound, Burst};
use crate::time::parse_micros;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-forbidden-burst",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "One identity received many forbidden responses in a short time: permission probing",
        remediation: "Find out what the identity was trying to reach; an application missing one permission fails the same request repeatedly, an attacker probes many different ones.",
        docs: r#"## What it does
Counts the `403 Forbidden` responses of every identity (the control plane
and nodes excepted) and alerts when one reaches `forbidden-threshold`
(default 10) within `forbidden-window-seconds` (default 60), naming the
distinct resources it was refused. One alert per identity and window.
High when more than three different resources were refused: that is
exploration, not one misconfigured call.

## Why it matters
After stealing a credential, attackers find out what it can do by trying:
listing secrets, pods, nodes, roles in namespace after namespace. Each
refusal is harmless; the burst is reconnaissance.

## How to respond
Look at the refused resources and the identity's source. A pod's service
account probing cluster-wide resources is compromised: isolate the pod.

## False positives
A controller missing one permission after an upgrade (one resource,
repeated): fix its role. Raise the threshold for noisy clusters.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/authorization/",
            "https://attack.mitre.org/techniques/T1613/",
            "https://attack.mitre.org/techniques/T1069/",
        ],
        default_enabled: true,
    },
    mitre: &["T1613", "T1069"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.code() != 403 || ctx.facts.trusted {
        return;
    }
    let Some(now) = parse_micros(ev.time()) else {
        return;
    };
    let window = i64::from(ctx.settings.config.forbidden_window_seconds) * 1_000_000;
    let threshold = ctx.settings.config.forbidden_threshold as usize;
    let user = ctx.who().to_string();
    bound(&mut ctx.state.forbidden);
    let burst: &mut Burst = ctx.state.forbidden.entry(user.clone()).or_default();
    burst.times.push_back(now);
    let what = if ev.resource().is_empty() {
        ev.request_uri.split('?').next().unwrap_or("").to_string()
    } else {
        let ns = if ev.namespace().is_empty() {
            String::new()
        } else {
            format!(" in {}", ev.namespace())
        };
        format!("{} {}{ns}", ev.verb, ev.resource_path())
    };
    burst.resources.push_back(what);
    while burst.times.front().is_some_and(|t| *t <= now - window) {
        burst.times.pop_front();
        burst.resources.pop_front();
    }
    if burst.times.len() < threshold || now < burst.quiet_until {
        return;
    }
    burst.quiet_until = now + window;
    let mut distinct: Vec<String> = burst.resources.iter().cloned().collect();
    distinct.sort();
    distinct.dedup();
    let count = burst.times.len();
    let seconds = window / 1_000_000;
    let sev = if distinct.len() > 3 {
        Severity::High
    } else {
        Severity::Medium
    };
    let shown: Vec<&str> = distinct.iter().take(8).map(String::as_str).collect();
    let more = if distinct.len() > shown.len() {
        format!(" and {} more", distinct.len() - shown.len())
    } else {
        String::new()
    };
    let msg = format!(
        "{user} was refused {count} requests within {seconds} s ({} distinct: {}{more})",
        distinct.len(),
        shown.join(", ")
    );
    ctx.report_with(sev, msg);
}
