use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{FieldPath, ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "default-service-account-automount",
        severity: Severity::Low,
        groups: &["hardening"],
        summary: "A namespace's `default` ServiceAccount does not disable token automounting (opt-in)",
        remediation: "Set `automountServiceAccountToken: false` on the `default` ServiceAccount; pods that need the API use a dedicated service account.",
        docs: r#"## What it does
Flags ServiceAccount objects named `default` that do not set
`automountServiceAccountToken: false`. Only ServiceAccounts present in the
inputs are checked: Kubernetes creates `default` in every namespace, and a
manifest that declares it is where the setting belongs. Off by default.

## Why it matters
Every pod that names no service account runs as `default`. When the
account does not disable automounting, each of those pods gets an API
token, including pods whose own spec forgot to opt out.

## Example
```yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
  namespace: shop
automountServiceAccountToken: false   # fine
```

## How to fix
Declare the `default` ServiceAccount of each namespace with
`automountServiceAccountToken: false`.

Peers: Checkov CKV_K8S_41, Kubescape C-0189.
"#,
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
        ],
        default_enabled: false,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    let id = &ctx.object.id;
    if id.kind != "ServiceAccount" || id.name.as_deref() != Some("default") {
        return;
    }
    let v = ctx.object.root.get("automountServiceAccountToken");
    if v.and_then(|n| n.as_bool()) == Some(false) {
        return;
    }
    let path = match v {
        Some(_) => FieldPath::root().key("automountServiceAccountToken"),
        None => FieldPath::root().keys("metadata.name"),
    };
    ctx.report(
        path,
        "the default ServiceAccount does not set automountServiceAccountToken: false, so every pod without a service account of its own gets an API token",
    );
}
