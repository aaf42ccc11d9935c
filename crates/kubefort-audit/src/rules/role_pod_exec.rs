use kubefort_core::{RuleMeta, Severity};

use super::{written_policy_rules, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-role-pod-exec",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "A Role or ClusterRole granting exec or attach into pods, or `nodes/proxy`, was created or changed",
        remediation: "Grant `pods/exec`, `pods/attach` and `nodes/proxy` only to the people who debug production, through a role bound just-in-time.",
        docs: r#"## What it does
Alerts when a Role or ClusterRole is written whose rules grant `create` or
`get` on `pods/exec` or `pods/attach`, or any verb on `nodes/proxy`
(wildcards included), by anyone but the control plane. Roles with `*`
resources are reported by `audit-role-wildcard` as well.

## Why it matters
Exec is a shell in every pod the role reaches, with every secret those
pods hold; `nodes/proxy` is exec on every pod of every node, without an
exec event.

## How to respond
Find the role's bindings; keep it only for people on call.

## False positives
Debugging roles of platform teams. Exception by role name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    mitre: &["T1098.006", "T1609"],
    falco: &["ClusterRole With Pod Exec Created"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if ctx.facts.trusted {
        return;
    }
    let Some(rules) = written_policy_rules(ctx) else {
        return;
    };
    let mut found: Vec<&str> = Vec::new();
    for r in &rules {
        if r.verbs.iter().any(|v| v == "*") && r.resources.iter().any(|x| x == "*") {
            continue; // audit-role-wildcard speaks
        }
        for res in ["pods/exec", "pods/attach"] {
            if (r.has_verb("create") || r.has_verb("get"))
                && r.covers("", res)
                && !found.contains(&res)
            {
                found.push(res);
            }
        }
        if !r.verbs.is_empty() && r.covers("", "nodes/proxy") && !found.contains(&"nodes/proxy") {
            found.push("nodes/proxy");
        }
    }
    if found.is_empty() {
        return;
    }
    let sev = ctx.attempt_severity(if found.contains(&"nodes/proxy") {
        Severity::High
    } else {
        Severity::Medium
    });
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
