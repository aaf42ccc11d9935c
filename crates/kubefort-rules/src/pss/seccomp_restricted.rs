//! PSS restricted control "Seccomp" (upstream check `seccompProfile_restricted`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::seccomp_baseline::valid_type;
use super::*;

pub static CONTROL: Control = Control {
    id: "seccompProfile_restricted",
    rule: "pss-seccomp-restricted",
    level: Level::Restricted,
    title: "Seccomp",
    allowed:
        "RuntimeDefault, Localhost (container fields may be undefined/null when the pod sets one)",
    versions: &[
        Versioned {
            since: 19,
            check: v1_19,
            overrides: &["seccompProfile_baseline"],
        },
        Versioned {
            since: 25,
            check: v1_25,
            overrides: &["seccompProfile_baseline"],
        },
    ],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-seccomp-restricted",
        severity: Severity::Medium,
        groups: RESTRICTED_GROUPS,
        summary: "Pod Security restricted (v1.19+): no seccomp profile is set",
        remediation: "Set `spec.securityContext.seccompProfile.type: RuntimeDefault` (or `Localhost` with a profile).",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Seccomp** (restricted, from
policy version v1.19) as the Pod Security Admission controller does: a
seccomp profile of type `RuntimeDefault` or `Localhost` must apply to every
container, set on the pod (`spec.securityContext.seccompProfile`) or on each
container, and nothing may set another type. From v1.25, pods with
`spec.os.name: windows` are exempt.

## Why it matters
Without a profile, containers run `Unconfined` on most runtimes: every
system call is available, including those that recent container escapes
used.

## Example
```yaml
spec:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
```

## How to fix
Set the pod-level profile to `RuntimeDefault`.

## Versions
Before v1.19 the restricted level only applies the baseline Seccomp
control. From v1.19 this control replaces it; from v1.25 Windows pods are
exempt.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
            "https://kubernetes.io/docs/tutorials/security/seccomp/",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_19(pod: &Pod<'_>) -> Option<Violation> {
    let mut values = Vec::new();
    let mut first = None;
    let mut pod_bad = false;
    let mut pod_set = false;
    if let Some(p) = pod
        .security_context()
        .and_then(|sc| set(sc, "seccompProfile"))
    {
        let t = string(p, "type");
        if valid_type(t) {
            pod_set = true;
        } else {
            pod_bad = true;
            values.push(t.to_string());
            first = Some(pod.sc_path().keys("seccompProfile.type"));
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut first_implicit = None;
    for c in &pod.containers {
        match c.sc().and_then(|sc| set(sc, "seccompProfile")) {
            Some(p) => {
                let t = string(p, "type");
                if !valid_type(t) {
                    explicit.push(c.name);
                    values.push(t.to_string());
                    first.get_or_insert_with(|| c.sc_path().keys("seccompProfile.type"));
                }
            }
            None => {
                if !pod_set {
                    implicit.push(c.name);
                    first_implicit.get_or_insert_with(|| c.sc_path().key("seccompProfile"));
                }
            }
        }
    }
    let who = setters(pod_bad, &explicit);
    if !who.is_empty() {
        return Some(Violation {
            reason: "seccompProfile".into(),
            detail: format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                who.join(" and "),
                join_quote(&sorted_set(values))
            ),
            path: first?,
        });
    }
    if !implicit.is_empty() {
        return Some(Violation {
            reason: "seccompProfile".into(),
            detail: format!(
                "pod or {} {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                pluralize("container", "containers", implicit.len()),
                join_quote(&implicit)
            ),
            path: first_implicit?,
        });
    }
    None
}

fn v1_25(pod: &Pod<'_>) -> Option<Violation> {
    if pod.is_windows() {
        return None;
    }
    v1_19(pod)
}
