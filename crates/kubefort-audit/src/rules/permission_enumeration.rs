use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};
use crate::identity::Kind;

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-permission-enumeration",
        severity: Severity::Low,
        groups: &["audit"],
        summary: "A workload's service account listed its own permissions (`kubectl auth can-i --list`)",
        remediation: "Find out why the workload enumerates its permissions; applications check single permissions, attackers list them all.",
        docs: r#"## What it does
Alerts when a service account outside kube-system creates a
SelfSubjectRulesReview: the request behind `kubectl auth can-i --list`.

## Why it matters
Listing one's own permissions is the first command of every Kubernetes
post-exploitation guide: it tells the attacker which way to move. Workloads
rarely need it; they check single permissions with
SelfSubjectAccessReviews.

## How to respond
Look at the pod behind the account and what it requested next; combined
with `audit-sa-token-unexpected-client` or `audit-forbidden-burst`, treat
the pod as compromised.

## False positives
Tools that display their permissions (dashboards). Exception by user.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access",
            "https://attack.mitre.org/techniques/T1069/",
        ],
        default_enabled: true,
    },
    mitre: &["T1069", "T1613"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ev.resource() != "selfsubjectrulesreviews"
        || ev.verb != "create"
        || ctx.facts.kind != Kind::ServiceAccount
        || ctx.settings.known_controller(ctx.facts.actor)
    {
        return;
    }
    let ns = ctx
        .lazy
        .request_object(ev)
        .and_then(|o| o.pointer("/spec/namespace"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let msg = format!(
        "{} listed its permissions in namespace {}{}",
        ctx.who(),
        if ns.is_empty() { "(none given)" } else { &ns },
        ctx.outcome()
    );
    ctx.report(msg);
}
