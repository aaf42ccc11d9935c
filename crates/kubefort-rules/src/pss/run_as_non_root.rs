//! PSS restricted control "Running as Non-root" (upstream check `runAsNonRoot`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "runAsNonRoot",
    rule: "pss-run-as-non-root",
    level: Level::Restricted,
    title: "Running as Non-root",
    allowed: "true; undefined/null on a container when the pod sets true; any value when spec.hostUsers is false (v1.35+)",
    versions: &[
        Versioned {
            since: 0,
            check: v1_0,
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
        name: "pss-run-as-non-root",
        severity: Severity::Medium,
        groups: RESTRICTED_GROUPS,
        summary: "Pod Security restricted: containers are not required to run as non-root",
        remediation: "Set `securityContext.runAsNonRoot: true` on the pod (and never `false` on a container).",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Running as Non-root**
(restricted) as the Pod Security Admission controller does:
`runAsNonRoot` must be `true` for every container, either on the container
or inherited from `spec.securityContext`, and neither the pod nor any
container may set it to `false`. From policy version v1.35, pods that run in
their own user namespace (`spec.hostUsers: false`) are exempt.

## Why it matters
`runAsNonRoot: true` makes the kubelet refuse to start a container whose
image would run as UID 0. Root in a container is one kernel bug or one
misconfigured mount away from root on the node.

## Example
```yaml
spec:
  securityContext:
    runAsNonRoot: true
```

## How to fix
Set `runAsNonRoot: true` at pod level; build images with a non-root `USER`
(or set `runAsUser`).

## Versions
v1.0–v1.34: as above. From v1.35: any value when `spec.hostUsers` is
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

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut pod_bad = false;
    let mut pod_ok = false;
    let mut first = None;
    if let Some(v) = pod
        .security_context()
        .and_then(|sc| opt_bool(sc, "runAsNonRoot"))
    {
        if v {
            pod_ok = true;
        } else {
            pod_bad = true;
            first = Some(pod.sc_path().key("runAsNonRoot"));
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut first_implicit = None;
    for c in &pod.containers {
        match c.sc().and_then(|sc| opt_bool(sc, "runAsNonRoot")) {
            Some(false) => {
                explicit.push(c.name);
                first.get_or_insert_with(|| c.sc_path().key("runAsNonRoot"));
            }
            Some(true) => {}
            None => {
                if !pod_ok {
                    implicit.push(c.name);
                    first_implicit.get_or_insert_with(|| c.sc_path().key("runAsNonRoot"));
                }
            }
        }
    }
    let who = setters(pod_bad, &explicit);
    if !who.is_empty() {
        return Some(Violation {
            reason: "runAsNonRoot != true".into(),
            detail: format!(
                "{} must not set securityContext.runAsNonRoot=false",
                who.join(" and ")
            ),
            path: first?,
        });
    }
    if !implicit.is_empty() {
        return Some(Violation {
            reason: "runAsNonRoot != true".into(),
            detail: format!(
                "pod or {} {} must set securityContext.runAsNonRoot=true",
                pluralize("container", "containers", implicit.len()),
                join_quote(&implicit)
            ),
            path: first_implicit?,
        });
    }
    None
}

fn v1_35(pod: &Pod<'_>) -> Option<Violation> {
    if pod.in_user_namespace() {
        return None;
    }
    v1_0(pod)
}
