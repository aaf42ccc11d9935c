use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, names_note, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-token-create",
        severity: Severity::High,
        groups: &["rbac"],
        summary: "A role creates service-account tokens (serviceaccounts/token)",
        remediation: "Remove create on serviceaccounts/token, or limit it with resourceNames to the service accounts meant.",
        docs: r#"## What it does
Flags rule entries that allow `create` on `serviceaccounts/token` (high;
medium when limited by `resourceNames`).

## Why it matters
The TokenRequest API issues a token for the service account named in the
request: whoever may create it authenticates as any service account of the
namespace, with all its permissions, for as long as the token lives.

## Example
```yaml
kind: Role
rules:
  - apiGroups: [""]
    resources: [serviceaccounts/token]
    verbs: [create]    # flagged
```

## How to fix
Let pods get their tokens from the kubelet (projected volumes) instead.
Where a controller must mint tokens, name the service accounts:
```yaml
    resourceNames: [builder]
```
"#,
        references: &[
            "https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/",
            "https://attack.mitre.org/techniques/T1528/",
            "https://attack.mitre.org/techniques/T1550/001/",
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
        let (_, named) = allowed_verbs(rule, &["create"], "", "serviceaccounts", "token")?;
        Some(if named {
            (
                Severity::Medium,
                format!("can create tokens of service accounts{}", names_note(rule)),
            )
        } else {
            (
                Severity::High,
                "can create a token for any service account it reaches, and act as it".into(),
            )
        })
    });
}
