use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{rbac, report_binding, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-binding-to-system-masters",
        severity: Severity::Low,
        groups: &["rbac"],
        summary: "A binding names the system:masters group, which RBAC never limits",
        remediation: "Remove the subject; grant administrators a ClusterRoleBinding to a named group instead of relying on system:masters.",
        docs: r#"## What it does
Flags binding subjects that are the `system:masters` group.

## Why it matters
Members of `system:masters` are allowed every request before RBAC is asked,
so a binding to it grants nothing and suggests a control that does not exist.
Membership comes from client certificates (organization `system:masters`),
which cannot be revoked short of rotating the cluster's CA: who holds them
is the real question, and RBAC cannot answer it.

## Example
```yaml
kind: ClusterRoleBinding
roleRef: {kind: ClusterRole, name: view}
subjects:
  - kind: Group
    name: system:masters   # flagged: has every permission anyway
```

## How to fix
Delete the subject. Give administrators a group of their own bound to
cluster-admin, which can be audited and revoked.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
            "https://attack.mitre.org/techniques/T1098/006/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let rb = rbac(ctx);
    let m = &rb.model;
    for (bi, b) in m.bindings.iter().enumerate() {
        for (si, s) in b.subjects.iter().enumerate() {
            if s.kind == "Group" && s.name == "system:masters" {
                let msg = format!(
                    "{} names group system:masters, whose members bypass authorization: the binding grants them nothing",
                    b.display()
                );
                report_binding(ctx, rb, bi, Some(si), Severity::Low, msg);
            }
        }
    }
}
