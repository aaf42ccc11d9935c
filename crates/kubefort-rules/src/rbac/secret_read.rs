use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, names_note, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-secret-read",
        severity: Severity::High,
        groups: &["rbac"],
        summary: "A role reads Secrets (get, list or watch)",
        remediation: "Mount the Secrets a workload needs instead of reading them through the API, or limit get to resourceNames.",
        docs: r#"## What it does
Flags rule entries that allow `get`, `list` or `watch` on `secrets` (high),
and says who holds them. A rule limited to `resourceNames` is medium: it
allows `get` of those Secrets only.

## Why it matters
Secrets hold service-account tokens, registry credentials, TLS keys and
database passwords. `list` and `watch` return every Secret with its values,
not just names: "list secrets" is "read secrets". A service-account token
read from a Secret is that service account's identity.

## Example
```yaml
kind: Role
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [list]      # flagged: list returns the values too
```

## How to fix
Mount Secrets as volumes or environment variables of the pods that need
them. When the API must be used, allow `get` on named Secrets only:
```yaml
  - apiGroups: [""]
    resources: [secrets]
    resourceNames: [app-tls]
    verbs: [get]
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
            "https://attack.mitre.org/techniques/T1552/007/",
            "https://attack.mitre.org/techniques/T1528/",
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
        let (verbs, named) = allowed_verbs(rule, &["get", "list", "watch"], "", "secrets", "")?;
        let (severity, note) = if named {
            (Severity::Medium, names_note(rule))
        } else if verbs.iter().any(|v| *v != "get") {
            (
                Severity::High,
                " (list and watch return every Secret with its values)".to_string(),
            )
        } else {
            (
                Severity::High,
                " (any Secret whose name is known)".to_string(),
            )
        };
        Some((severity, format!("can {} secrets{note}", verbs.join("/"))))
    });
}
