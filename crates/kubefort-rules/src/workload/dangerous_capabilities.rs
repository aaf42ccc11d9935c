use kubefort_core::rule::{Check, Rule, RuleMeta};
use kubefort_core::{ObjectCtx, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "dangerous-capabilities",
        severity: Severity::High,
        groups: &["security"],
        summary: "A container adds a Linux capability that breaks container isolation",
        remediation: "Remove the capability from `securityContext.capabilities.add`, drop `ALL`, and add back only narrow ones such as `NET_BIND_SERVICE`.",
        docs: r#"## What it does
Flags containers, init containers and ephemeral containers whose
`securityContext.capabilities.add` lists a capability that lets a process
escape or weaken its container: `ALL` and `SYS_ADMIN` (critical), and
`SYS_MODULE`, `SYS_PTRACE`, `SYS_RAWIO`, `SYS_BOOT`, `DAC_READ_SEARCH`,
`NET_ADMIN`, `NET_RAW`, `BPF`, `PERFMON`, `SYS_TIME`, `MAC_ADMIN`,
`MAC_OVERRIDE`, `SYSLOG`, `SYS_RESOURCE` and `LINUX_IMMUTABLE` (high).
Capabilities of the runtime's default set (`CHOWN`, `SETUID`, …) are left
to the Pod Security rules (`pss-capabilities-baseline`,
`pss-capabilities-restricted`). Names are matched as container runtimes
read them: with or without the `CAP_` prefix, in any case.

## Why it matters
`SYS_ADMIN` is "the new root": mounting file systems, namespaces and cgroup
tricks behind most container escapes. `SYS_MODULE` loads kernel modules,
`SYS_PTRACE` reads other processes' memory, `DAC_READ_SEARCH` opens any file
by handle (the "shocker" escape), `NET_ADMIN` and `NET_RAW` reconfigure or
spoof the node's network, `BPF` and `PERFMON` load kernel programs.

## Example
```yaml
securityContext:
  capabilities:
    add: ["SYS_ADMIN"]   # critical
```

## How to fix
Drop `ALL` and add back only what the process needs; most applications
need nothing, and servers on ports below 1024 need `NET_BIND_SERVICE`.
"#,
        references: &[
            "https://man7.org/linux/man-pages/man7/capabilities.7.html",
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            "https://attack.mitre.org/techniques/T1611/",
        ],
        default_enabled: true,
    },
    check: Check::Object(check),
};

const CRITICAL: &[&str] = &["ALL", "SYS_ADMIN"];
const HIGH: &[&str] = &[
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "DAC_READ_SEARCH",
    "NET_ADMIN",
    "NET_RAW",
    "BPF",
    "PERFMON",
    "SYS_TIME",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
    "SYS_RESOURCE",
    "LINUX_IMMUTABLE",
];

/// The capability as runtimes read it: upper case, without `CAP_`.
fn canonical(cap: &str) -> String {
    let up = cap.trim().to_ascii_uppercase();
    up.strip_prefix("CAP_").unwrap_or(&up).to_string()
}

fn check(ctx: &mut ObjectCtx<'_>) {
    for spec in ctx.pod_specs() {
        for c in spec.all_containers() {
            let Some(add) = c
                .node
                .get_path(&["securityContext", "capabilities", "add"])
                .and_then(|a| a.as_seq())
            else {
                continue;
            };
            for (i, cap) in add.iter().enumerate() {
                let Some(raw) = cap.as_str() else { continue };
                let name = canonical(raw);
                let path = c.path.keys("securityContext.capabilities.add").index(i);
                if CRITICAL.contains(&name.as_str()) {
                    ctx.report_with(
                        Severity::Critical,
                        path,
                        format!(
                            "{} adds capability {raw}: with it a process can leave its container",
                            c.describe()
                        ),
                    );
                } else if HIGH.contains(&name.as_str()) {
                    ctx.report(
                        path,
                        format!(
                            "{} adds capability {raw}, which weakens the isolation between the container and its node",
                            c.describe()
                        ),
                    );
                }
            }
        }
    }
}
