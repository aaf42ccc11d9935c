//! PSS baseline control "Seccomp" (upstream check `seccompProfile_baseline`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "seccompProfile_baseline",
    rule: "pss-seccomp-baseline",
    level: Level::Baseline,
    title: "Seccomp",
    allowed: "v1.0–v1.18: annotations undefined, runtime/default, docker/default or localhost/*; v1.19+: seccompProfile.type undefined/null, RuntimeDefault or Localhost",
    versions: &[
        Versioned {
            since: 0,
            check: v1_0,
            overrides: &[],
        },
        Versioned {
            since: 19,
            check: v1_19,
            overrides: &[],
        },
    ],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-seccomp-baseline",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: seccomp is explicitly disabled",
        remediation: "Remove `seccompProfile.type: Unconfined`; use `RuntimeDefault` or a `Localhost` profile.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Seccomp** (baseline) as the
Pod Security Admission controller does:

* policy versions v1.0–v1.18 read the legacy annotations
  `seccomp.security.alpha.kubernetes.io/pod` and
  `container.seccomp.security.alpha.kubernetes.io/<container>`, which must be
  `runtime/default`, `docker/default` or `localhost/<profile>` when present;
* from v1.19, `securityContext.seccompProfile.type` of the pod and of every
  container, when set, must be `RuntimeDefault` or `Localhost`.

## Why it matters
Seccomp filters the system calls a container may make; `Unconfined` opens
the whole kernel interface, including the calls most container escapes
rely on.

## Example
```yaml
securityContext:
  seccompProfile:
    type: Unconfined   # forbidden
```

## How to fix
Set `RuntimeDefault` (or a `Localhost` profile) or remove the override.

## Versions
v1.0–v1.18: annotations. From v1.19: fields. At the restricted level from
v1.19 the restricted Seccomp control (`pss-seccomp-restricted`) replaces it.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://kubernetes.io/docs/tutorials/security/seccomp/",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

pub(crate) const ANNOTATION_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
pub(crate) const ANNOTATION_CONTAINER: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

pub(crate) fn valid_type(t: &str) -> bool {
    matches!(t, "Localhost" | "RuntimeDefault")
}

fn valid_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let annotations = pod.annotations();
    let mut forbidden = Vec::new();
    let mut first: Option<FieldPath> = None;
    let mut check = |key: &str| {
        if let Some((k, v, path)) = annotations.iter().find(|(k, _, _)| *k == key) {
            if !valid_annotation(v) {
                forbidden.push(format!("{k}={}", go_quote(v)));
                first.get_or_insert_with(|| path.clone());
            }
        }
    };
    check(ANNOTATION_POD);
    for c in &pod.containers {
        check(&format!("{ANNOTATION_CONTAINER}{}", c.name));
    }
    let forbidden = sorted_set(forbidden);
    Some(Violation {
        reason: "seccompProfile".into(),
        detail: format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", forbidden.len()),
            forbidden.join(", ")
        ),
        path: first?,
    })
}

fn v1_19(pod: &Pod<'_>) -> Option<Violation> {
    let mut values = Vec::new();
    let mut first = None;
    let mut pod_bad = false;
    if let Some(p) = pod
        .security_context()
        .and_then(|sc| set(sc, "seccompProfile"))
    {
        let t = string(p, "type");
        if !valid_type(t) {
            pod_bad = true;
            values.push(t.to_string());
            first = Some(pod.sc_path().keys("seccompProfile.type"));
        }
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if let Some(p) = c.sc().and_then(|sc| set(sc, "seccompProfile")) {
            let t = string(p, "type");
            if !valid_type(t) {
                bad.push(c.name);
                values.push(t.to_string());
                first.get_or_insert_with(|| c.sc_path().keys("seccompProfile.type"));
            }
        }
    }
    Some(Violation {
        reason: "seccompProfile".into(),
        detail: format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters(pod_bad, &bad).join(" and "),
            join_quote(&sorted_set(values))
        ),
        path: first?,
    })
}
