use kubefort_core::{RuleMeta, Severity};

use super::{report_workload, AuditRule, Ctx};

pub static RULE: AuditRule = AuditRule {
    meta: RuleMeta {
        name: "audit-privileged-pod",
        severity: Severity::High,
        groups: &["audit"],
        summary: "A pod or workload with a privileged container or dangerous capabilities was created or changed",
        remediation: "Find out who needs the privileged container; delete it unless it is a reviewed node agent, and enforce Pod Security `baseline` on the namespace.",
        docs: r#"## What it does
Runs kubefort's `privileged-container` and `dangerous-capabilities` rules
on the object of every create, update or patch of a pod or workload
(Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob,
ReplicationController, PodTemplate): the request body for creates and
updates, the stored object for patches. Needs the `Request` or
`RequestResponse` audit level for these resources (the policy in
`deploy/audit-policy.yaml` sets it). Pods that controllers create from a
template are not reported again: the template's author was.

## Why it matters
A privileged container, or one with `SYS_ADMIN`, `NET_ADMIN` or similar,
is root on the node: it mounts the host's disks, loads kernel modules and
escapes the container in one command. Creating one is the classic first
step of a cluster takeover.

## How to respond
Check who created it, from where, and the image. Not a known node agent:
delete it, then look for what it did on its node (new containers, files in
`/etc`, kubelet credentials read).

## False positives
CNI, CSI and monitoring DaemonSets installed by administrators. Add an
exception by namespace (`kube-system`, `monitoring`) or by name.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
            "https://attack.mitre.org/techniques/T1611/",
        ],
        default_enabled: true,
    },
    mitre: &["T1611", "T1610"],
    falco: &["Create Privileged Pod"],
    check,
};

fn check(ctx: &mut Ctx<'_>) {
    report_workload(
        ctx,
        &["privileged-container", "dangerous-capabilities"],
        "with root-equivalent privileges on its node",
    );
}
