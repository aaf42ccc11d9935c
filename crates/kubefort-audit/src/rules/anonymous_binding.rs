use kubefort_core::{RuleMeta, Severity};

use super::{written_binding, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-anonymous-binding",
        severity: Severity::Critical,
        groups: &["audit"],
        summary: "A role was bound to anonymous users, unauthenticated users or every authenticated user",
        remediation: "Delete the binding unless the role is read-only public information, and bind the role to the identities that need it.",
        docs: r#"## What it does
Alerts when a RoleBinding or ClusterRoleBinding whose subjects include the
user `system:anonymous`, the group `system:unauthenticated` (critical) or
the group `system:authenticated` (high: every identity the cluster knows,
including every pod's service account) is written by anyone but the API
server (which binds its public discovery roles to them at start).

## Why it matters
A binding to anonymous users opens the API to the internet, which is
exactly how many exposed clusters were taken over. A binding to every
authenticated user hands the role to any compromised pod.

## How to respond
Delete the binding. Then look for requests by `system:anonymous` since it
existed (`audit-anonymous-allowed`).

## False positives
Deliberately public read-only endpoints. Exception by binding name.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    mitre: &["T1098.006", "T1078.001"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if ctx.facts.trusted {
        return;
    }
    let Some(b) = written_binding(ctx) else {
        return;
    };
    let mut worst: Option<(Severity, String)> = None;
    for (k, n, _) in &b.subjects {
        let sev = match (k.as_str(), n.as_str()) {
            ("User", "system:anonymous") | ("Group", "system:unauthenticated") => {
                Severity::Critical
            }
            ("Group", "system:authenticated") => Severity::High,
            _ => continue,
        };
        if worst.as_ref().is_none_or(|(s, _)| sev > *s) {
            worst = Some((sev, format!("{k} {n}")));
        }
    }
    let Some((sev, subject)) = worst else {
        return;
    };
    let sev = ctx.attempt_severity(sev);
    let msg = format!(
        "{} {} binding {} of {} {} to {subject}{}",
        ctx.who(),
        super::verb_past(&ctx.ev.verb),
        ctx.target(),
        b.role_kind,
        b.role_name,
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}
