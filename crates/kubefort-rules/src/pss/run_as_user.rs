//! PSS restricted control "Running as Non-root user" (upstream check
//! `runAsUser`, v1.23+).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "runAsUser",
    rule: "pss-run-as-user",
    level: Level::Restricted,
    title: "Running as Non-root user",
    allowed: "undefined/null, non-zero values; any value when spec.hostUsers is false (v1.35+)",
    versions: &[
        Versioned {
            since: 23,
            check: v1_23,
            overrides: &[],
        },
        Versioned {
            since: 35,
            check: v1_35,
            overrides: &[],
        },
    ],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-run-as-user",
        severity: Severity::Medium,
        groups: RESTRICTED_GROUPS,
        summary: "Pod Security restricted (v1.23+): the pod or a container sets runAsUser: 0",
        remediation: "Remove `runAsUser: 0`; run as a non-zero UID.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Running as Non-root user**
(restricted, from policy version v1.23) as the Pod Security Admission
controller does: neither `spec.securityContext.runAsUser` nor any
container's `securityContext.runAsUser` may be `0`. From v1.35, pods that run
in their own user namespace (`spec.hostUsers: false`) are exempt.

## Why it matters
UID 0 is root: it owns every file the container can see and, with any
mounted host path or kernel bug, the node.

## Example
```yaml
securityContext:
  runAsUser: 0   # forbidden
```

## How to fix
Use a non-zero UID (and build the image to work with it).

## Versions
Not checked before v1.23. From v1.35: any value when `spec.hostUsers` is
`false`.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn is_root(sc: Option<&Node>) -> bool {
    sc.and_then(|sc| sc.get("runAsUser"))
        .and_then(Node::as_i64)
        .is_some_and(|u| u == 0)
}

fn v1_23(pod: &Pod<'_>) -> Option<Violation> {
    let mut first = None;
    let pod_bad = is_root(pod.security_context());
    if pod_bad {
        first = Some(pod.sc_path().key("runAsUser"));
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if is_root(c.sc()) {
            bad.push(c.name);
            first.get_or_insert_with(|| c.sc_path().key("runAsUser"));
        }
    }
    Some(Violation {
        reason: "runAsUser=0".into(),
        detail: format!(
            "{} must not set runAsUser=0",
            setters(pod_bad, &bad).join(" and ")
        ),
        path: first?,
    })
}

fn v1_35(pod: &Pod<'_>) -> Option<Violation> {
    if pod.in_user_namespace() {
        return None;
    }
    v1_23(pod)
}
