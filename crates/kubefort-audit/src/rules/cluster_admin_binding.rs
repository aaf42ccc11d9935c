use kubefort_core::{RuleMeta, Severity};

use super::{written_binding, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-cluster-admin-binding",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A binding to `cluster-admin` (or to the `system:masters` group) was created or changed",
        remediation: "Confirm the grant with its author; remove the binding unless it is a reviewed break-glass account, and grant a narrower role instead.",
        docs: r#"## What it does
Alerts when a ClusterRoleBinding or RoleBinding that refers to the
`cluster-admin` ClusterRole, or that names the `system:masters` group as a
subject, is created, updated or patched by anyone but the API server
itself (which creates the bootstrap bindings at start). Needs the request
body (`Request` level or higher for RBAC resources).

## Why it matters
`cluster-admin` is every permission on every resource. Binding it to a new
subject is how attackers make a foothold permanent; `system:masters`
bypasses authorization entirely and cannot be revoked by RBAC.

## How to respond
Read the subjects. Unknown: delete the binding, then audit what the
subjects did since (`kubefort audit` with an exception-free run over the
period), and rotate their credentials.

## False positives
Cluster bootstrap and break-glass procedures. Exception by name of the
binding.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    mitre: &["T1098.006"],
    falco: &["Attach to cluster-admin Role"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if ctx.facts.trusted {
        return;
    }
    let Some(b) = written_binding(ctx) else {
        return;
    };
    let admin = b.role_kind == "ClusterRole" && b.role_name == "cluster-admin";
    let masters = b
        .subjects
        .iter()
        .any(|(k, n, _)| k == "Group" && n == "system:masters");
    if !admin && !masters {
        return;
    }
    let what = if admin {
        "to cluster-admin".to_string()
    } else {
        format!(
            "to {} {} naming the group system:masters",
            b.role_kind, b.role_name
        )
    };
    let sev = ctx.attempt_severity(if masters {
        Severity::Critical
    } else {
        Severity::High
    });
    let msg = format!(
        "{} {} the {} {} {what} for {}{}",
        ctx.who(),
        super::verb_past(&ctx.ev.verb),
        if ctx.ev.resource() == "rolebindings" {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        },
        ctx.target(),
        if b.subjects.is_empty() {
            "no subjects".to_string()
        } else {
            b.describe_subjects()
        },
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}
