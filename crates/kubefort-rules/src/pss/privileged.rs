//! PSS baseline control "Privileged Containers" (upstream check `privileged`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "privileged",
    rule: "pss-privileged",
    level: Level::Baseline,
    title: "Privileged Containers",
    allowed: "undefined/null, false",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-privileged",
        severity: Severity::Critical,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: a container runs privileged",
        remediation: "Remove `securityContext.privileged: true`; add only the capabilities the container needs.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Privileged Containers**
(baseline) as the Pod Security Admission controller does: no container,
init container or ephemeral container may set
`securityContext.privileged: true`.

## Why it matters
A privileged container has every capability and every host device, and runs
unconfined by seccomp and AppArmor: escaping to the node takes one command.

## Example
```yaml
containers:
- name: app
  securityContext:
    privileged: true   # forbidden
```

## How to fix
Remove `privileged: true`; if the workload needs one kernel facility, add
only that capability.

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
    let mut bad = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        if c.sc()
            .is_some_and(|sc| opt_bool(sc, "privileged") == Some(true))
        {
            bad.push(c.name);
            first.get_or_insert_with(|| c.sc_path().key("privileged"));
        }
    }
    Some(Violation {
        reason: "privileged".into(),
        detail: format!(
            "{} {} must not set securityContext.privileged=true",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad)
        ),
        path: first?,
    })
}
