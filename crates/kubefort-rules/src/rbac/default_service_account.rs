use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::model::Resolution;

use super::{rbac, report_binding, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-default-service-account",
        severity: Severity::Medium,
        groups: &["rbac"],
        summary: "A binding grants a role to a namespace's default service account",
        remediation: "Create a service account for the workload that needs the role and bind that one.",
        docs: r#"## What it does
Flags binding subjects that are the ServiceAccount `default` of any
namespace.

## Why it matters
Every pod that names no service account runs as `default`, so a role bound
to it is granted to every such pod of the namespace, today's and
tomorrow's, including the ones that never needed it. A compromise of any of
them is a compromise of the role.

## Example
```yaml
kind: RoleBinding
metadata: {namespace: shop}
roleRef: {kind: ClusterRole, name: edit}
subjects:
  - kind: ServiceAccount
    name: default         # flagged
```

## How to fix
```yaml
kind: ServiceAccount
metadata: {name: deployer, namespace: shop}
---
kind: RoleBinding
subjects:
  - kind: ServiceAccount
    name: deployer
```
and set `serviceAccountName: deployer` in the pods that need it.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts",
            "https://attack.mitre.org/techniques/T1078/001/",
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
        let Resolution::Role(role) = m.resolution[bi] else {
            continue;
        };
        for (si, s) in b.subjects.iter().enumerate() {
            if s.kind != "ServiceAccount" || s.name != "default" {
                continue;
            }
            let who = rb.subject(bi, si);
            let scope = match &b.namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "cluster-wide".into(),
            };
            let msg = format!(
                "{} grants {} {scope} to {who}, which every pod of its namespace without serviceAccountName runs as",
                b.display(),
                m.describe_role(role)
            );
            report_binding(ctx, rb, bi, Some(si), Severity::Medium, msg);
        }
    }
}
