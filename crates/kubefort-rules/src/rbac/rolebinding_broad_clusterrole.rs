use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::model::Resolution;
use kubefort_rbac::{BindingKind, Request, RoleKind};

use super::{rbac, report_binding, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-rolebinding-broad-clusterrole",
        severity: Severity::Medium,
        groups: &["rbac"],
        summary: "A RoleBinding grants cluster-admin (or another `*` on everything ClusterRole) in a namespace",
        remediation: "Bind admin, edit or a Role with the resources the subject needs.",
        docs: r#"## What it does
Flags RoleBindings whose ClusterRole grants `*` verbs on `*` resources in
`*` API groups, such as `cluster-admin`, reported at `roleRef`.

## Why it matters
Through a RoleBinding, cluster-admin is limited to the namespace, but
within it, it is more than a namespace owner needs and more than `admin`
gives: every custom resource, `escalate` and `bind` on Roles, every
subresource. The binding usually means "I did not know which role to pick",
and it gives the subject every service account and Secret of the namespace.

## Example
```yaml
kind: RoleBinding
metadata: {namespace: shop}
roleRef: {kind: ClusterRole, name: cluster-admin}   # flagged
subjects: [{kind: Group, name: shop-team}]
```

## How to fix
Bind `admin` for namespace owners, `edit` for developers, or a Role listing
the resources needed.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
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
        if b.kind != BindingKind::RoleBinding {
            continue;
        }
        let Resolution::Role(role) = m.resolution[bi] else {
            continue;
        };
        if m.roles[role].kind != RoleKind::ClusterRole
            || m.role_allows(role, &Request::resource("*", "*", "*"))
                .is_none()
        {
            continue;
        }
        let ns = b.namespace.as_deref().unwrap_or("default");
        let who: Vec<String> = (0..b.subjects.len()).map(|s| rb.subject(bi, s)).collect();
        let msg =
            format!(
            "{} grants {} in namespace {ns} to {}: every permission there, beyond what admin gives",
            b.display(),
            m.describe_role(role),
            if who.is_empty() { "no subject".to_string() } else { who.join(", ") }
        );
        report_binding(ctx, &rb, bi, None, Severity::Medium, msg);
    }
}
