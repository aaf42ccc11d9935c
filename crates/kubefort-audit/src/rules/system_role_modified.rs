use kubefort_core::{RuleMeta, Severity};

use super::{AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-system-role-modified",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A built-in `system:` role or binding was changed or deleted by someone other than the control plane",
        remediation: "Restore the object (the API server reconciles bootstrap roles at its next start, unless `rbac.authorization.kubernetes.io/autoupdate` is false) and find out why it was changed.",
        docs: r#"## What it does
Alerts on updates, patches and deletions of Roles, ClusterRoles,
RoleBindings and ClusterRoleBindings named `system:…`, by anyone but the
control plane (the API server reconciles them at start; the aggregation
controller updates aggregated roles).

## Why it matters
Adding a rule to `system:node` or `system:kube-proxy`, or a subject to
`system:controller:*` bindings, hides an escalation inside roles nobody
reviews; deleting `system:` objects breaks components.

## How to respond
Compare with the bootstrap policy (`kubectl auth reconcile`); restore it,
and look at what the author did before.

## False positives
Add-ons that patch their own `system:` roles (CoreDNS's
`system:coredns`). Exception by name.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#auto-reconciliation",
            "https://attack.mitre.org/techniques/T1098/",
        ],
        default_enabled: true,
    },
    mitre: &["T1098", "T1098.006"],
    falco: &["System ClusterRole Modified/Deleted"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    let ev = ctx.ev;
    if ctx.facts.trusted
        || !matches!(&*ev.verb, "update" | "patch" | "delete")
        || !ev.subresource().is_empty()
        || !matches!(
            ev.resource(),
            "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
        )
        || !ev.name().starts_with("system:")
    {
        return;
    }
    let sev = ctx.attempt_severity(Severity::High);
    let msg = format!(
        "{} {} the built-in {} {}{}",
        ctx.who(),
        super::verb_past(&ev.verb),
        ev.resource().trim_end_matches('s'),
        ctx.target(),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}
