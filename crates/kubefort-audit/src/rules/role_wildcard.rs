use kubefort_core::{RuleMeta, Severity};

use super::{written_policy_rules, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-role-wildcard",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A Role or ClusterRole granting `*` verbs or `*` resources was created or changed",
        remediation: "Replace the wildcards with the verbs and resources the subject needs; wildcards also grant every resource added to the cluster later.",
        docs: r#"## What it does
Alerts when a Role or ClusterRole whose rules have `*` in `verbs` or in
`resources` is created, updated or patched by anyone but the control plane
(which reconciles its bootstrap roles, `cluster-admin` among them, at
start).

## Why it matters
A wildcard grants everything, including `escalate`, `bind`, `impersonate`,
secrets and every resource a CRD adds tomorrow. A new wildcard role is
either an over-broad grant or an attacker preparing one.

## How to respond
Read the rules in the message; ask the author for the permissions actually
needed; replace the role.

## False positives
Operators whose charts ship wildcard roles. Exception by role name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    mitre: &["T1098.006"],
    falco: &["ClusterRole With Wildcard Created"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if ctx.facts.trusted {
        return;
    }
    let Some(rules) = written_policy_rules(ctx) else {
        return;
    };
    let wild: Vec<String> = rules
        .iter()
        .filter(|r| r.verbs.iter().any(|v| v == "*") || r.resources.iter().any(|x| x == "*"))
        .map(|r| r.describe())
        .collect();
    if wild.is_empty() {
        return;
    }
    let sev = ctx.attempt_severity(Severity::High);
    let msg = format!(
        "{} {} {} {} with wildcard rules: {}{}",
        ctx.who(),
        super::verb_past(&ctx.ev.verb),
        if ctx.ev.resource() == "roles" {
            "Role"
        } else {
            "ClusterRole"
        },
        ctx.target(),
        wild.join("; "),
        ctx.outcome()
    );
    ctx.report_with(sev, msg);
}
