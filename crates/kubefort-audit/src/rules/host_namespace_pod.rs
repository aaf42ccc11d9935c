use kubefort_core::{RuleMeta, Severity};

use super::{report_workload, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-host-namespace-pod",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A pod or workload sharing the node's network, PID or IPC namespace was created or changed",
        remediation: "Find out why the workload shares the node's namespaces; delete it unless it is a reviewed node agent, and enforce Pod Security `baseline` on the namespace.",
        docs: r#"## What it does
Runs kubefort's `host-network`, `host-pid` and `host-ipc` rules on every
created, updated or patched pod or workload.

## Why it matters
`hostNetwork` sees the node's traffic and reaches services bound to
localhost (the kubelet, cloud metadata); `hostPID` sees and signals every
process of the node and reads their environment; `hostIPC` reads other
processes' shared memory.

## How to respond
Check the identity and the image; not a node agent: delete it and look at
what it could reach on the node.

## False positives
CNI plugins, kube-proxy, node exporters. Exception by namespace or name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://attack.mitre.org/techniques/T1611/",
        ],
        default_enabled: true,
    },
    mitre: &["T1611"],
    falco: &["Create HostNetwork Pod", "Create HostPid Pod", "Create HostIPC Pod"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    report_workload(
        ctx,
        &["host-network", "host-pid", "host-ipc"],
        "sharing the node's namespaces",
    );
}
