use kubefort_core::{RuleMeta, Severity};

use super::{written_policy_rules, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-role-escalation-verbs",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A Role or ClusterRole granting `escalate`, `bind` or `impersonate` was created or changed",
        remediation: "Remove `escalate`, `bind` and `impersonate` unless the subject is an RBAC manager or an authenticating proxy, and then limit them with `resourceNames`.",
        docs: r#"## What it does
Alerts when a Role or ClusterRole is written whose rules grant `escalate`
or `bind` on roles or clusterroles, or `impersonate` on users, groups,
service accounts, uids or user extras (directly or through `*`), by anyone
but the control plane. Rules with `*` verbs on `*` resources are left to
`audit-role-wildcard`.

## Why it matters
These verbs are RBAC's own escape hatches: `escalate` writes roles with
permissions the writer lacks, `bind` binds roles the writer does not hold,
`impersonate` acts as any user, `system:masters` included. Each is
equivalent to cluster-admin.

## How to respond
Treat the role as a cluster-admin grant: find its bindings and subjects,
remove the verbs or the role.

## False positives
RBAC managers (e.g. Rancher, Argo CD's project roles) and authenticating
proxies. Exception by role name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb",
            "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    mitre: &["T1098.006", "T1078"],
    falco: &[],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if ctx.facts.trusted {
        return;
    }
    let Some(rules) = written_policy_rules(ctx) else {
        return;
    };
    let mut found: Vec<String> = Vec::new();
    for r in &rules {
        if r.verbs.iter().any(|v| v == "*") && r.resources.iter().any(|x| x == "*") {
            continue; // audit-role-wildcard speaks
        }
        let rbac = |res: &str| r.covers("rbac.authorization.k8s.io", res);
        if r.has_verb("escalate") && (rbac("roles") || rbac("clusterroles")) {
            found.push("escalate on roles".into());
        }
        if r.has_verb("bind") && (rbac("roles") || rbac("clusterroles")) {
            found.push("bind on roles".into());
        }
        if r.has_verb("impersonate")
            && (r.covers("", "users")
                || r.covers("", "groups")
                || r.covers("", "serviceaccounts")
                || r.covers("authentication.k8s.io", "userextras/*")
                || r.covers("authentication.k8s.io", "uids"))
        {
            found.push("impersonate".into());
        }
    }
    found.dedup();
    if found.is_empty() {
        return;
    }
    let sev = ctx.attempt_severity(Severity::High);
    let msg = format!(
        "{} {} {} {} granting {}{}",
        ctx.who(),
        super::verb_past(&ctx.ev.verb),
        if ctx.ev.resource() == "roles" {
            "Role"
        } else {
            "ClusterRole"
        },
        ctx.target(),
        found.join(", "),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}
