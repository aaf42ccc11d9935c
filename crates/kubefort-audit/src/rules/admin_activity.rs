use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::Kind;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-admin-activity",
        severity: Severity::Low,
        groups: &["audit"],
        summary: "A person used a `system:masters` identity (off by default)",
        remediation: "Give people identities with RBAC roles and keep `system:masters` credentials for break-glass use.",
        docs: r#"## What it does
Alerts on writes by users in the `system:masters` group other than the
control plane: the cluster-creation admin credential (`kubernetes-admin`)
in daily use. Off by default (select it): many clusters are administered
this way, and the rule would speak on every change.

## Why it matters
`system:masters` bypasses RBAC and cannot be revoked without rotating the
cluster CA; its use should be rare and every use explained.

## How to respond
Find who holds the credential; move them to an RBAC identity.

## False positives
Bootstrap and break-glass procedures.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
            "https://attack.mitre.org/techniques/T1078/001/",
        ],
        default_enabled: false,
    },
    mitre: &["T1078.001"],
    falco: &["Full K8s Administrative Access"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if ctx.facts.kind != Kind::User
        || ctx.facts.trusted
        || !ctx.facts.write
        || !ctx.facts.actor.groups.iter().any(|g| g == "system:masters")
    {
        return;
    }
    let ev = ctx.ev;
    let msg = format!(
        "{} (system:masters) {} {} {}{}",
        ctx.who(),
        super::verb_past(&ev.verb),
        ev.resource_path(),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report(msg);
}
