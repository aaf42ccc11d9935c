//! PSS baseline control "Host Namespaces" (upstream check `hostNamespaces`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "hostNamespaces",
    rule: "pss-host-namespaces",
    level: Level::Baseline,
    title: "Host Namespaces",
    allowed: "undefined/null, false",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-host-namespaces",
        severity: Severity::High,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: the pod shares the node's network, PID or IPC namespace",
        remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false).",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Host Namespaces** (baseline)
as the Pod Security Admission controller does: `spec.hostNetwork`,
`spec.hostPID` and `spec.hostIPC` must be unset or `false`.

## Why it matters
Sharing the node's network namespace exposes every port bound on the node
and lets the pod sniff or spoof node traffic; sharing the PID namespace lets
it see and signal every process on the node (and read their environment);
sharing IPC exposes the node's shared memory.

## Example
```yaml
spec:
  hostNetwork: true   # forbidden
```

## How to fix
Drop the host namespace settings; expose services through a Service instead
of host ports.

## Versions
Unchanged since v1.0.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut found = Vec::new();
    let mut first = None;
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if opt_bool(pod.spec, key) == Some(true) {
            found.push(format!("{key}=true"));
            first.get_or_insert_with(|| pod.spec_path.key(key));
        }
    }
    Some(Violation {
        reason: "host namespaces".into(),
        detail: found.join(", "),
        path: first?,
    })
}
