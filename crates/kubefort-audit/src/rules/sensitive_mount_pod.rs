use kubefort_core::{RuleMeta, Severity};

use super::{report_workload, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-sensitive-mount-pod",
        severity: Severity::Medium,
        groups: &["audit"],
        summary: "A pod or workload mounting a path of the node (hostPath) was created or changed",
        remediation: "Find out why the workload needs the node's files; delete it unless it is a reviewed node agent, and enforce Pod Security `baseline` on the namespace.",
        docs: r#"## What it does
Runs kubefort's `host-path-volume` rule on every created, updated or
patched pod or workload. The node's root, `/etc`, `/root`, `/proc`,
`/var/lib/kubelet` and the container runtime sockets are high; other
paths are medium.

## Why it matters
The runtime socket starts privileged containers on the node; `/etc` and
`/root` hold credentials; `/var/lib/kubelet` holds every pod's tokens. A
hostPath mount is an escape to the node.

## How to respond
Check the path and the image. A runtime socket or the node's root in an
application namespace is an intrusion: delete the pod and examine the
node.

## False positives
Log shippers, CNI and CSI node plugins. Exception by namespace or name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            "https://attack.mitre.org/techniques/T1611/",
        ],
        default_enabled: true,
    },
    mitre: &["T1611"],
    falco: &["Create Sensitive Mount Pod"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    report_workload(
        ctx,
        &["host-path-volume"],
        "mounting the node's file system",
    );
}
