//! PSS baseline control "HostProcess" (upstream check `windowsHostProcess`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "windowsHostProcess",
    rule: "pss-host-process",
    level: Level::Baseline,
    title: "HostProcess",
    allowed: "undefined/null, false",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-host-process",
        severity: Severity::Critical,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: a Windows pod or container runs as a HostProcess",
        remediation: "Remove `securityContext.windowsOptions.hostProcess: true` from the pod and its containers.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **HostProcess** (baseline level)
exactly as the Pod Security Admission controller does: the pod's and every
container's `securityContext.windowsOptions.hostProcess` must be unset or
`false`.

## Why it matters
A Windows HostProcess container runs directly on the node as a host process,
with the node's network and file system and, usually, an administrator
account. It is the Windows counterpart of a privileged Linux container.

## Example
```yaml
spec:
  securityContext:
    windowsOptions:
      hostProcess: true   # forbidden
```

## How to fix
Remove `hostProcess: true`. Node-management agents that need it belong in a
dedicated namespace whose Pod Security level is `privileged`.

## Versions
Unchanged since v1.0.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn host_process(sc: Option<&Node>) -> bool {
    sc.and_then(|sc| set(sc, "windowsOptions"))
        .is_some_and(|w| opt_bool(w, "hostProcess") == Some(true))
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        if host_process(c.sc()) {
            bad.push(c.name);
            first.get_or_insert_with(|| c.sc_path().keys("windowsOptions.hostProcess"));
        }
    }
    let pod_bad = host_process(pod.security_context());
    if pod_bad {
        first = Some(pod.sc_path().keys("windowsOptions.hostProcess"));
    }
    Some(Violation {
        reason: "hostProcess".into(),
        detail: format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters(pod_bad, &bad).join(" and ")
        ),
        path: first?,
    })
}
