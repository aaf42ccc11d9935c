use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "host-ipc",
        severity: Severity::High,
        groups: &["security"],
        summary: "A pod uses the node's IPC namespace (`hostIPC`)",
        remediation: "Remove `hostIPC: true`.",
        docs: DOCS,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    super::flag_pod_bool(ctx, "hostIPC", "the pod shares the node's IPC namespace: it can read and write other processes' shared memory");
}

const DOCS: &str = r#"## What it does
Flags pod specs with `hostIPC: true`.

## Why it matters
The node's IPC namespace holds System V shared memory, semaphores and message
queues of every process on the node. A container in it can read or corrupt
data other workloads keep in shared memory. The Pod Security Standards forbid
it at the baseline level.

## Example
```yaml
spec:
  hostIPC: true   # flagged
```

## How to fix
Remove `hostIPC: true`. Containers of the same pod already share an IPC
namespace.
"#;
