use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::model::Resolution;
use kubefort_rbac::{BindingKind, Request};

use super::{rbac, report_binding, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-cluster-admin-binding",
        severity: Severity::Critical,
        groups: &["rbac"],
        summary: "A ClusterRoleBinding grants cluster-admin (or `*` on everything), admin or edit cluster-wide",
        remediation: "Bind a ClusterRole with only the needed permissions, or bind admin/edit with RoleBindings in the namespaces that need them.",
        docs: r#"## What it does
Flags each subject of a ClusterRoleBinding whose ClusterRole is
`cluster-admin` or grants `*` verbs on `*` resources in `*` API groups
(critical), or is the built-in `admin` or `edit` role (high), which a
ClusterRoleBinding grants in every namespace, `kube-system` included.

## Why it matters
cluster-admin can do anything, including reading every Secret and running
privileged pods on every node. `admin` and `edit` bound cluster-wide read
every Secret of every namespace (service-account tokens of controllers
included) and run pods as any service account, which is the same in a few
steps.

## Example
```yaml
kind: ClusterRoleBinding
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects:
  - kind: ServiceAccount      # flagged
    name: ci
    namespace: ci
```

## How to fix
Grant a ClusterRole with the resources and verbs needed, or a RoleBinding
to `admin`/`edit` in each namespace the subject manages.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
            "https://attack.mitre.org/techniques/T1078/",
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
        if b.kind != BindingKind::ClusterRoleBinding {
            continue;
        }
        let Resolution::Role(role) = m.resolution[bi] else {
            continue;
        };
        let name = m.roles[role].name.as_str();
        let all = m
            .role_allows(role, &Request::resource("*", "*", "*"))
            .is_some();
        let (severity, what) = if name == "cluster-admin" || all {
            (Severity::Critical, "every permission in the cluster")
        } else if name == "admin" || name == "edit" {
            (
                Severity::High,
                "read and write access, Secrets included, in every namespace",
            )
        } else {
            continue;
        };
        for (si, s) in b.subjects.iter().enumerate() {
            if s.kind == "Group" && s.name == "system:masters" {
                continue;
            }
            let msg = format!(
                "{} grants {} to {}: {what}",
                b.display(),
                m.describe_role(role),
                rb.subject(bi, si)
            );
            report_binding(ctx, rb, bi, Some(si), severity, msg);
        }
    }
}
