use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::matches_pattern;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-disallowed-namespace",
        severity: Severity::Low,
        groups: &["audit"],
        summary: "A namespace outside the configured `allowed-namespaces` was created",
        remediation:
            "Delete the namespace if nobody owns it, or add it to `audit.allowed-namespaces`.",
        docs: r#"## What it does
When `audit.allowed-namespaces` is set (names, or prefixes ending in
`*`), alerts on the creation of any other namespace by anyone but the
control plane. Silent when the list is empty.

## Why it matters
A new namespace escapes the policies, quotas and NetworkPolicies set up
per namespace; attackers create one to run workloads out of sight.

## How to respond
Find its owner; delete it otherwise.

## False positives
Namespaces created by CI for previews: add a prefix pattern.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
            "https://attack.mitre.org/techniques/T1610/",
        ],
        default_enabled: true,
    },
    mitre: &["T1610"],
    falco: &["Create Disallowed Namespace"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let allowed = &ctx.settings.config.allowed_namespaces;
    let ev = ctx.ev;
    if allowed.is_empty()
        || ev.resource() != "namespaces"
        || ev.verb != "create"
        || !ev.subresource().is_empty()
        || ctx.facts.trusted
    {
        return;
    }
    let name = ctx.target();
    if allowed.iter().any(|p| matches_pattern(p, &name)) {
        return;
    }
    let sev = ctx.attempt_severity(Severity::Low);
    let msg = format!(
        "{} created namespace {name}, which is not in allowed-namespaces{}",
        ctx.who(),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}
