//! PSS baseline control "Capabilities" (upstream check `capabilities_baseline`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "capabilities_baseline",
    rule: "pss-capabilities-baseline",
    level: Level::Baseline,
    title: "Capabilities",
    allowed: "undefined/empty, AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT",
    versions: &[Versioned {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-capabilities-baseline",
        severity: Severity::High,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: a container adds a capability beyond the default set",
        remediation: "Remove capabilities outside the container runtime's default set from `securityContext.capabilities.add`.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Capabilities** (baseline) as
the Pod Security Admission controller does: `securityContext.capabilities.add`
of every container may only list capabilities of the default set
`AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`,
`NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`, `SYS_CHROOT`.
Names are compared exactly: `CAP_SYS_ADMIN` or `sys_admin` are not in the set
and are forbidden too.

## Why it matters
Capabilities such as `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE` or `NET_RAW` give
a container kernel powers that break isolation: mounting file systems,
reconfiguring the node's network, tracing other processes, spoofing packets.

## Example
```yaml
securityContext:
  capabilities:
    add: [SYS_ADMIN]   # forbidden
```

## How to fix
Remove the capability; find the narrower mechanism the workload needs.

## Versions
Unchanged since v1.0. At the restricted level from v1.22 on, the stricter
restricted Capabilities control (`pss-capabilities-restricted`) replaces it.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

const ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut caps = Vec::new();
    let mut first = None;
    for c in &pod.containers {
        let Some(capabilities) = c.sc().and_then(|sc| set(sc, "capabilities")) else {
            continue;
        };
        let mut valid = true;
        for (i, cap) in list(capabilities, "add").iter().enumerate() {
            let cap = cap.as_str().unwrap_or("");
            if !ALLOWED.contains(&cap) {
                valid = false;
                caps.push(cap.to_string());
                first.get_or_insert_with(|| c.sc_path().keys("capabilities.add").index(i));
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    Some(Violation {
        reason: "non-default capabilities".into(),
        detail: format!(
            "{} {} must not include {} in securityContext.capabilities.add",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            join_quote(&sorted_set(caps))
        ),
        path: first?,
    })
}
