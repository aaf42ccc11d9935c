//! PSS baseline control "/proc Mount Type" (upstream check `procMount`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "procMount",
    rule: "pss-proc-mount",
    level: Level::Baseline,
    title: "/proc Mount Type",
    allowed: "undefined/null, Default (any value when spec.hostUsers is false, v1.35+)",
    versions: &[
        Versioned {
            since: 0,
            check: proc_mount_1_0,
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
        name: "pss-proc-mount",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: a container unmasks /proc",
        remediation: "Remove `securityContext.procMount` or set it to `Default`.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **/proc Mount Type** (baseline)
as the Pod Security Admission controller does: every container's
`securityContext.procMount`, when set, must be `Default`. From policy
version v1.35, a pod that runs in its own user namespace
(`spec.hostUsers: false`) may use any value.

## Why it matters
The default /proc mount masks and makes read-only paths such as
`/proc/sys`, `/proc/sysrq-trigger` and `/proc/kcore`. `Unmasked` exposes
them: in the host's user namespace that lets a container reconfigure or
crash the node.

## Example
```yaml
securityContext:
  procMount: Unmasked   # forbidden unless hostUsers: false (v1.35+)
```

## How to fix
Remove `procMount`; if nested containers need an unmasked /proc, run the pod
with `hostUsers: false`.

## Versions
v1.0–v1.34: only `Default` is allowed. From v1.35: any value when
`spec.hostUsers` is `false`. At the restricted level from v1.35 the
restricted /proc Mount Type control (`pss-proc-mount-restricted`) replaces
it and allows only `Default` whatever `hostUsers` says.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

/// Only `Default` (or unset) is allowed.
pub(crate) fn proc_mount_1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut kinds = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let Some(pm) = c.sc().and_then(|sc| set(sc, "procMount")) else {
            continue;
        };
        let v = pm.as_str().unwrap_or("");
        if v != "Default" {
            bad.push(c.name);
            kinds.push(v.to_string());
            first.get_or_insert_with(|| c.sc_path().key("procMount"));
        }
    }
    Some(Violation {
        reason: "procMount".into(),
        detail: format!(
            "{} {} must not set securityContext.procMount to {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            join_quote(&sorted_set(kinds))
        ),
        path: first?,
    })
}

fn v1_35(pod: &Pod<'_>) -> Option<Violation> {
    if pod.in_user_namespace() {
        return None;
    }
    proc_mount_1_0(pod)
}
