use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "host-pid",
        severity: Severity::High,
        groups: &["security"],
        summary: "A pod uses the node's process (PID) namespace (`hostPID`)",
        remediation: "Remove `hostPID: true`.",
        docs: DOCS,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    super::flag_pod_bool(
        ctx,
        "hostPID",
        "the pod shares the node's process namespace: it can see and signal every process on the node and read their environments through /proc",
    );
}

const DOCS: &str = r#"## What it does
Flags pod specs with `hostPID: true`.

## Why it matters
In the node's process namespace a container sees every process on the node.
With the same user ID (or root) it can read their environment variables and
memory through `/proc`, send them signals, and, if it is also privileged,
enter their namespaces with `nsenter`, which is a full node takeover. The Pod
Security Standards forbid it at the baseline level.

## Example
```yaml
spec:
  hostPID: true   # flagged
```

## How to fix
Remove `hostPID: true`. To share processes between the containers of one pod,
use `shareProcessNamespace: true`, which does not expose the node.
"#;
