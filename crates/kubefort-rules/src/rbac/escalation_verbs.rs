use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, names_note, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-escalation-verbs",
        severity: Severity::Critical,
        groups: &["rbac"],
        summary: "A role holds escalate, bind or impersonate",
        remediation: "Remove escalate, bind and impersonate, or limit them with resourceNames to the roles and identities meant.",
        docs: r#"## What it does
Flags rule entries that allow `escalate` or `bind` on roles or
ClusterRoles, or `impersonate` on users, groups or service accounts
(critical; high when limited by `resourceNames`).

## Why it matters
The API server stops a user from granting permissions it does not hold,
unless it has `escalate` (edit a role beyond its own permissions) or `bind`
(bind a role it does not hold, such as cluster-admin). `impersonate` lets a
user act as any user or group, `system:masters` included. Each is a one-step
path to cluster-admin.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [clusterroles]
    verbs: [bind]       # flagged: may bind cluster-admin
```

## How to fix
Remove the verbs, or name exactly what may be bound or impersonated:
```yaml
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [clusterroles]
    resourceNames: [view]
    verbs: [bind]
```
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping",
            "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
            "https://attack.mitre.org/techniques/T1098/006/",
            "https://attack.mitre.org/techniques/T1078/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    check_rules(ctx, |_, _, rule| {
        let rbac = "rbac.authorization.k8s.io";
        let mut hits = Vec::new();
        let mut named = false;
        for (verb, group, res) in [
            ("escalate", rbac, "roles"),
            ("escalate", rbac, "clusterroles"),
            ("bind", rbac, "roles"),
            ("bind", rbac, "clusterroles"),
            ("impersonate", "", "users"),
            ("impersonate", "", "groups"),
            ("impersonate", "", "serviceaccounts"),
        ] {
            if let Some((_, n)) = allowed_verbs(rule, &[verb], group, res, "") {
                hits.push(format!("{verb} {res}"));
                named |= n;
            }
        }
        if hits.is_empty() {
            return None;
        }
        Some(if named {
            (
                Severity::High,
                format!("can {}{}", hits.join(", "), names_note(rule)),
            )
        } else {
            (
                Severity::Critical,
                format!(
                    "can {}: enough to grant itself any permission",
                    hits.join(", ")
                ),
            )
        })
    });
}
