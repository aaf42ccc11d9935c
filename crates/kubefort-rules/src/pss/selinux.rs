//! PSS baseline control "SELinux" (upstream check `seLinuxOptions`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "seLinuxOptions",
    rule: "pss-selinux",
    level: Level::Baseline,
    title: "SELinux",
    allowed: "type undefined/\"\", container_t, container_init_t, container_kvm_t, container_engine_t (v1.31+); user and role undefined/\"\"",
    versions: &[
        Versioned {
            since: 0,
            check: v1_0,
            overrides: &[],
        },
        Versioned {
            since: 31,
            check: v1_31,
            overrides: &[],
        },
    ],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-selinux",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: a custom SELinux type, user or role is set",
        remediation:
            "Remove `seLinuxOptions.user` and `role`, and use an allowed SELinux type or none.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **SELinux** (baseline) as the
Pod Security Admission controller does, for the pod's and every container's
`securityContext.seLinuxOptions`:

* `type` must be empty, `container_t`, `container_init_t` or
  `container_kvm_t` (and, from policy version v1.31, `container_engine_t`);
* `user` and `role` must be empty.

## Why it matters
The SELinux type decides what a process may touch on the node. Choosing an
unconfined type such as `spc_t` lifts the container out of SELinux
confinement, much as `privileged` does.

## Example
```yaml
securityContext:
  seLinuxOptions:
    type: spc_t   # forbidden
```

## How to fix
Remove the custom options, or keep only `level` (MCS labels are allowed)
and an allowed `type`.

## Versions
v1.0–v1.30: allowed types `container_t`, `container_init_t`,
`container_kvm_t`. From v1.31: also `container_engine_t`.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

const TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    selinux(pod, TYPES_1_0)
}

fn v1_31(pod: &Pod<'_>) -> Option<Violation> {
    selinux(pod, TYPES_1_31)
}

fn selinux(pod: &Pod<'_>, allowed: &[&str]) -> Option<Violation> {
    let mut types = Vec::new();
    let mut set_user = false;
    let mut set_role = false;
    let mut first = None;
    let mut valid = |opts: &Node, path: FieldPath| {
        let mut ok = true;
        let t = string(opts, "type");
        if !allowed.contains(&t) {
            ok = false;
            types.push(t.to_string());
            first.get_or_insert_with(|| path.key("type"));
        }
        if !string(opts, "user").is_empty() {
            ok = false;
            set_user = true;
            first.get_or_insert_with(|| path.key("user"));
        }
        if !string(opts, "role").is_empty() {
            ok = false;
            set_role = true;
            first.get_or_insert_with(|| path.key("role"));
        }
        ok
    };
    let pod_bad = match pod
        .security_context()
        .and_then(|sc| set(sc, "seLinuxOptions"))
    {
        Some(o) => !valid(o, pod.sc_path().key("seLinuxOptions")),
        None => false,
    };
    let mut bad = Vec::new();
    for c in &pod.containers {
        if let Some(o) = c.sc().and_then(|sc| set(sc, "seLinuxOptions")) {
            if !valid(o, c.sc_path().key("seLinuxOptions")) {
                bad.push(c.name);
            }
        }
    }
    let who = setters(pod_bad, &bad);
    if who.is_empty() {
        return None;
    }
    let types = sorted_set(types);
    let mut data = Vec::new();
    if !types.is_empty() {
        data.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    Some(Violation {
        reason: "seLinuxOptions".into(),
        detail: format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            who.join(" and "),
            data.join("; ")
        ),
        path: first?,
    })
}
