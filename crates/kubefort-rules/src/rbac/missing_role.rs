use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::model::Resolution;

use super::{rbac, report_binding, report_rule, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-missing-role",
        severity: Severity::Medium,
        groups: &["rbac"],
        summary: "A binding refers to a role that the inputs do not define and Kubernetes does not create, or a role or binding is one the API server rejects",
        remediation: "Define the role next to the binding, fix the reference, or delete the binding.",
        docs: r#"## What it does
Flags bindings whose `roleRef` names a Role (in the binding's namespace) or
ClusterRole that neither the scanned inputs define nor Kubernetes creates
at start-up, and bindings whose `roleRef` the API server cannot follow (a
ClusterRoleBinding to a Role, an unknown kind or API group, an invalid
subject), reported at `roleRef`; and Roles and ClusterRoles the API
server's validation rejects (a rule without verbs, API groups or resources,
non-resource URLs in a Role or mixed with resources, an aggregation rule
without valid selectors), reported at the rule entry or `aggregationRule`.

## Why it matters
Such a binding grants nothing now, which is usually a typo or a missing
file; a rejected role or binding fails `kubectl apply` and leaves whatever
was there before. But it is a standing grant: whoever later creates a role with that
name (anyone with `create` on roles in the namespace) grants its rules to
the binding's subjects without touching the binding.

## Example
```yaml
kind: RoleBinding
metadata: {namespace: shop}
roleRef: {kind: Role, name: auditor}   # flagged: no Role shop/auditor
subjects: [{kind: User, name: alice}]
```

## How to fix
Add the missing Role to the same manifests, or correct the name.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding",
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
        let msg = match &m.resolution[bi] {
            Resolution::Role(_) => continue,
            Resolution::Missing => format!(
                "{} refers to {} {:?}, which is not defined{}: it grants nothing until someone creates a role with that name",
                b.display(),
                b.role_ref.kind,
                b.role_ref.name,
                match &b.namespace {
                    Some(ns) if b.role_ref.kind == "Role" => format!(" in namespace {ns}"),
                    _ => String::new(),
                }
            ),
            Resolution::Invalid(why) => format!("{}: {why}; the API server rejects it", b.display()),
        };
        report_binding(ctx, rb, bi, None, Severity::Medium, msg);
    }
    for (role, r) in m.roles.iter().enumerate() {
        let Some(why) = m.rejection(role) else {
            continue;
        };
        let msg = format!(
            "{}: {}; the API server rejects it, so it does not exist for its bindings",
            r.display(),
            why.message
        );
        match why.rule {
            Some(i) => report_rule(ctx, rb, role, i, Severity::Medium, msg),
            None => {
                let Some(src) = r.source else { continue };
                let object = std::sync::Arc::clone(&ctx.inventory.retained[src]);
                ctx.report_object_with(
                    Severity::Medium,
                    &object,
                    kubefort_core::FieldPath::root().key("aggregationRule"),
                    msg,
                );
            }
        }
    }
}
