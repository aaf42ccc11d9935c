use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::{matches_pattern, Kind};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-disallowed-user",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "A user outside the configured `allowed-users` called the API",
        remediation: "Find out who the user is and how they got a credential; revoke it, or add the user to `audit.allowed-users`.",
        docs: r#"## What it does
When `audit.allowed-users` is set, alerts on requests by users (not
service accounts, nodes or the control plane) that match none of its
entries (exact names, or prefixes ending in `*`). One alert per request.
Silent when the list is empty.

## Why it matters
In clusters where people reach the API through a few known identities
(an SSO group, a break-glass account), any other user is a credential
nobody manages: a leaked kubeconfig or a forgotten certificate.

## How to respond
Identify the credential (`user.extra`, certificate CN) and revoke it.

## False positives
New team members: keep the list current (groups can be matched with an
exception by group).
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/authentication/",
            "https://attack.mitre.org/techniques/T1078/",
        ],
        default_enabled: true,
    },
    mitre: &["T1078"],
    falco: &["Disallowed K8s User"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let allowed = &ctx.settings.config.allowed_users;
    if allowed.is_empty() || ctx.facts.kind != Kind::User || ctx.facts.trusted {
        return;
    }
    if allowed.iter().any(|p| matches_pattern(p, ctx.who())) {
        return;
    }
    let ev = ctx.ev;
    let msg = format!(
        "{} is not in allowed-users and called {} {}{}",
        ctx.who(),
        ev.verb,
        if ev.resource().is_empty() {
            ev.request_uri.to_string()
        } else {
            format!("{} {}", ev.resource_path(), ctx.target())
        },
        ctx.outcome()
    );
    ctx.report(msg);
}
