use kubefort_core::{RuleMeta, Severity};

use super::{written_policy_rules, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-role-write-privileges",
        severity: Severity::Info,
        groups: &["audit"],
        summary: "A Role or ClusterRole granting write verbs was created (activity record, off by default)",
        remediation: "Review the role's write permissions against what its subjects need.",
        docs: r#"## What it does
Records the creation of every Role or ClusterRole that grants `create`,
`update`, `patch`, `delete` or `deletecollection`, by anyone but the
control plane. Off by default: select it (`--select
audit-role-write-privileges`) for an RBAC change trail.

## Why it matters
Write permissions are where escalation starts; a trail of who created
which ones helps an investigation.

## How to respond
Nothing by itself; correlate with the bindings that use the role.

## False positives
Every chart installation creates such roles: this is an activity record,
not a detection.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: false,
    },
    mitre: &["T1098.006"],
    falco: &["ClusterRole With Write Privileges Created"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    if ctx.facts.trusted || ctx.ev.verb != "create" || !ctx.ev.succeeded() {
        return;
    }
    let Some(rules) = written_policy_rules(ctx) else {
        return;
    };
    let writes: Vec<String> = rules
        .iter()
        .filter(|r| {
            ["create", "update", "patch", "delete", "deletecollection"]
                .iter()
                .any(|v| r.has_verb(v))
        })
        .map(|r| r.describe())
        .collect();
    if writes.is_empty() {
        return;
    }
    let msg = format!(
        "{} created {} {} with write rules: {}",
        ctx.who(),
        if ctx.ev.resource() == "roles" {
            "Role"
        } else {
            "ClusterRole"
        },
        ctx.target(),
        writes.join("; ")
    );
    ctx.report(msg);
}
