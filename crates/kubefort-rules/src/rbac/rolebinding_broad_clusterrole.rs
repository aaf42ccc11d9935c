use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::model::Resolution;
use kubefort_rbac::resource::is_namespaced;
use kubefort_rbac::{BindingKind, Request, RoleKind};

use super::{rbac, report_binding, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-rolebinding-broad-clusterrole",
        severity: Severity::Medium,
        groups: &["rbac"],
        summary: "A RoleBinding grants cluster-admin (or another `*` on everything ClusterRole) in a namespace, or a ClusterRole whose cluster-wide rules it cannot grant",
        remediation: "Bind admin, edit or a Role with the resources the subject needs.",
        docs: r#"## What it does
Flags RoleBindings whose ClusterRole grants `*` verbs on `*` resources in
`*` API groups, such as `cluster-admin` (medium), and RoleBindings to a
ClusterRole with rules for cluster-scoped resources (nodes,
persistentvolumes, …) or non-resource URLs, which a RoleBinding never
grants (low; `namespaces` is not counted: a RoleBinding does grant access to
its own Namespace object). Reported at `roleRef`.

## Why it matters
Through a RoleBinding, cluster-admin is limited to the namespace, but
within it, it is more than a namespace owner needs and more than `admin`
gives: every custom resource, `escalate` and `bind` on Roles, every
subresource. The binding usually means "I did not know which role to pick",
and it gives the subject every service account and Secret of the namespace.
Rules a RoleBinding cannot grant show a ClusterRole written for another
purpose, or a reader who believes the subject can see nodes when it cannot.

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
        if m.roles[role].kind != RoleKind::ClusterRole {
            continue;
        }
        let ns = b.namespace.as_deref().unwrap_or("default");
        let who: Vec<String> = (0..b.subjects.len()).map(|s| rb.subject(bi, s)).collect();
        let who = if who.is_empty() {
            "no subject".to_string()
        } else {
            who.join(", ")
        };
        if m.role_allows(role, &Request::resource("*", "*", "*"))
            .is_some()
        {
            let msg = format!(
                "{} grants {} in namespace {ns} to {who}: every permission there, beyond what admin gives",
                b.display(),
                m.describe_role(role),
            );
            report_binding(ctx, rb, bi, None, Severity::Medium, msg);
            continue;
        }
        // The bootstrap roles are written for RoleBindings too.
        if m.roles[role].builtin {
            continue;
        }
        let mut ignored: Vec<String> = Vec::new();
        for &rr in m.rules_of(role) {
            let rule = m.rule(rr);
            for u in &rule.non_resource_urls {
                if !ignored.contains(u) {
                    ignored.push(u.clone());
                }
            }
            for res in &rule.resources {
                let base = res.split('/').next().unwrap_or(res);
                // A request for a Namespace object carries its own name as
                // namespace, so a RoleBinding grants access to its namespace.
                if base == "namespaces" {
                    continue;
                }
                let cluster_scoped = rule
                    .api_groups
                    .iter()
                    .any(|g| is_namespaced(g, base) == Some(false));
                if cluster_scoped && !ignored.contains(res) {
                    ignored.push(res.clone());
                }
            }
        }
        if ignored.is_empty() {
            continue;
        }
        let msg = format!(
            "{} grants {} in namespace {ns} to {who}, but its rules for {} are cluster-wide and a RoleBinding never grants them",
            b.display(),
            m.describe_role(role),
            ignored.join(", ")
        );
        report_binding(ctx, rb, bi, None, Severity::Low, msg);
    }
}
