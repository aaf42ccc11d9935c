use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_rbac::model::Resolution;

use super::{rbac, report_binding, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-binding-to-everyone",
        severity: Severity::Critical,
        groups: &["rbac"],
        summary: "A binding grants a role to anonymous users, every authenticated user or every service account",
        remediation: "Bind the role to the users, groups or service accounts that need it.",
        docs: r#"## What it does
Flags binding subjects that stand for everyone: `system:anonymous` and
`system:unauthenticated` (anyone who can reach the API server, critical),
`system:authenticated` (every user and every service account, high), and
`system:serviceaccounts` (every service account of the cluster, medium).
The bootstrap discovery roles (`system:basic-user`, `system:discovery`,
`system:public-info-viewer`, `system:service-account-issuer-discovery`),
which Kubernetes itself binds this way, are not flagged.

## Why it matters
Every pod's service account is in `system:authenticated` and
`system:serviceaccounts`, so a permission granted to them is a permission of
any compromised container. Anonymous access is how clusters exposed to the
internet are taken over without credentials.

## Example
```yaml
kind: ClusterRoleBinding
roleRef: {kind: ClusterRole, name: view}
subjects:
  - kind: Group
    name: system:authenticated    # flagged
```

## How to fix
Name the subjects that need the role, or create a group for them in your
identity provider.
"#,
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles",
            "https://attack.mitre.org/techniques/T1078/",
            "https://attack.mitre.org/techniques/T1190/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

const BOOTSTRAP: &[&str] = &[
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:service-account-issuer-discovery",
];

fn check(ctx: &mut InventoryCtx<'_>) {
    let rb = rbac(ctx);
    let m = &rb.model;
    for (bi, b) in m.bindings.iter().enumerate() {
        let role = match m.resolution[bi] {
            Resolution::Role(r) => r,
            _ => continue,
        };
        if BOOTSTRAP.contains(&m.roles[role].name.as_str()) {
            continue;
        }
        for (si, s) in b.subjects.iter().enumerate() {
            let (severity, who) = match (s.kind.as_str(), s.name.as_str()) {
                ("User", "system:anonymous") => (Severity::Critical, "anonymous requests"),
                ("Group", "system:unauthenticated") => {
                    (Severity::Critical, "every unauthenticated request")
                }
                ("Group", "system:authenticated") => (
                    Severity::High,
                    "every authenticated user and every service account",
                ),
                ("Group", "system:serviceaccounts") => {
                    (Severity::Medium, "every service account of the cluster")
                }
                _ => continue,
            };
            let scope = match &b.namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "cluster-wide".into(),
            };
            let msg = format!(
                "{} grants {} to {} ({}) {scope}",
                b.display(),
                m.describe_role(role),
                s.name,
                who
            );
            report_binding(ctx, rb, bi, Some(si), severity, msg);
        }
    }
}
