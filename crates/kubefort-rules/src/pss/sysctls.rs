//! PSS baseline control "Sysctls" (upstream check `sysctls`).

use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

use super::*;

pub static CONTROL: Control = Control {
    id: "sysctls",
    rule: "pss-sysctls",
    level: Level::Baseline,
    title: "Sysctls",
    allowed: "undefined/empty, or the safe set of the policy version",
    versions: &[
        Versioned {
            since: 0,
            check: v1_0,
            overrides: &[],
        },
        Versioned {
            since: 27,
            check: v1_27,
            overrides: &[],
        },
        Versioned {
            since: 29,
            check: v1_29,
            overrides: &[],
        },
        Versioned {
            since: 32,
            check: v1_32,
            overrides: &[],
        },
        Versioned {
            since: 37,
            check: v1_37,
            overrides: &[],
        },
    ],
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "pss-sysctls",
        severity: Severity::Medium,
        groups: BASELINE_GROUPS,
        summary: "Pod Security baseline: the pod sets a sysctl outside the safe set",
        remediation: "Remove sysctls outside the safe set from `spec.securityContext.sysctls`.",
        docs: r#"## What it does
Evaluates the Pod Security Standards control **Sysctls** (baseline) as the
Pod Security Admission controller does: every name in
`spec.securityContext.sysctls` must be in the safe set of the policy
version.

| from version | sysctls added to the safe set |
|---|---|
| v1.0 | `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start` |
| v1.27 | `net.ipv4.ip_local_reserved_ports` |
| v1.29 | `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes` |
| v1.32 | `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem` |
| v1.37 | `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat` |

Names are compared exactly (`net/ipv4/tcp_syncookies` is not in the set).

## Why it matters
Sysctls outside the safe set are not isolated per pod: they change kernel
behaviour for every workload on the node, or disable protections.

## Example
```yaml
securityContext:
  sysctls:
  - name: kernel.msgmax   # forbidden
    value: "65536"
```

## How to fix
Remove the sysctl, or run the workload on dedicated nodes configured for it.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/",
        ],
        default_enabled: true,
    },
    check: Check::Namespaced(check),
};

const SAFE_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SAFE_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SAFE_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SAFE_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SAFE_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn check(ctx: &mut ObjectCtx<'_>) {
    run_rule(ctx, &CONTROL)
}

fn v1_0(pod: &Pod<'_>) -> Option<Violation> {
    sysctls(pod, &[SAFE_1_0])
}

fn v1_27(pod: &Pod<'_>) -> Option<Violation> {
    sysctls(pod, &[SAFE_1_0, SAFE_1_27])
}

fn v1_29(pod: &Pod<'_>) -> Option<Violation> {
    sysctls(pod, &[SAFE_1_0, SAFE_1_27, SAFE_1_29])
}

fn v1_32(pod: &Pod<'_>) -> Option<Violation> {
    sysctls(pod, &[SAFE_1_0, SAFE_1_27, SAFE_1_29, SAFE_1_32])
}

fn v1_37(pod: &Pod<'_>) -> Option<Violation> {
    sysctls(pod, &[SAFE_1_0, SAFE_1_27, SAFE_1_29, SAFE_1_32, SAFE_1_37])
}

fn sysctls(pod: &Pod<'_>, safe: &[&[&str]]) -> Option<Violation> {
    let sc = pod.security_context()?;
    let mut forbidden = Vec::new();
    let mut first = None;
    for (i, s) in list(sc, "sysctls").iter().enumerate() {
        let name = string(s, "name");
        if !safe.iter().any(|set| set.contains(&name)) {
            forbidden.push(name);
            first.get_or_insert_with(|| pod.sc_path().key("sysctls").index(i).key("name"));
        }
    }
    Some(Violation {
        reason: "forbidden sysctls".into(),
        detail: forbidden.join(", "),
        path: first?,
    })
}
