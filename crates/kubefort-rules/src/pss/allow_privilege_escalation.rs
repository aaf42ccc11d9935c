//! PSS restricted control "Privilege Escalation" (upstream check
//! `allowPrivilegeEscalation`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "allowPrivilegeEscalation",
    rule: "pss-privilege-escalation",
    level: Level::Restricted,
    title: "Privilege Escalation",
    allowed: "false",
    versions: &[
        Versioned {
            since: 8,
            check: v1_8,
            overrides: &[],
        },
        Versioned {
            since: 25,
            check: v1_25,
            overrides: &[],
        },
    ],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-privilege-escalation",
        severity: Severity::Medium,
        groups: RESTRICTED_GROUPS,
        summary:
            "Pod Security restricted: a container does not set allowPrivilegeEscalation: false",
        remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Privilege Escalation**
(restricted) as the Pod Security Admission controller does: every container,
init container and ephemeral container must set
`securityContext.allowPrivilegeEscalation: false` explicitly (unset counts
as allowed, because the kernel default is to allow it).

## Why it matters
With privilege escalation allowed, a process can gain more privileges than
its parent through set-user-ID binaries or file capabilities: a foothold as
an unprivileged user becomes root inside the container.

## Example
```yaml
containers:
- name: app
  securityContext:
    allowPrivilegeEscalation: false
```

## How to fix
Add `allowPrivilegeEscalation: false` to every container's securityContext.

## Versions
Not checked before v1.8 (the field did not exist). From v1.25, pods with
`spec.os.name: windows` are exempt.
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

fn v1_8(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let ape = c
            .sc()
            .and_then(|sc| opt_bool(sc, "allowPrivilegeEscalation"));
        if ape != Some(false) {
            bad.push(c.name);
            first.get_or_insert_with(|| c.sc_path().key("allowPrivilegeEscalation"));
        }
    }
    Some(Violation {
        reason: "allowPrivilegeEscalation != false".into(),
        detail: format!(
            "{} {} must set securityContext.allowPrivilegeEscalation=false",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad)
        ),
        path: first?,
    })
}

fn v1_25(pod: &Pod<'_>) -> Option<Violation> {
    if pod.is_windows() {
        return None;
    }
    v1_8(pod)
}
