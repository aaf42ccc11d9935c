use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, resource_name, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-pod-create",
        severity: Severity::Medium,
        groups: &["rbac"],
        summary: "A role creates pods or workload controllers, which run as any service account of the namespace",
        remediation: "Keep workload creation to deployment pipelines, in namespaces whose service accounts hold no more than the pipeline itself.",
        docs: r#"## What it does
Flags rule entries that allow `create` on pods, or `create`, `update` or
`patch` on the controllers that make pods (Deployments, ReplicaSets,
StatefulSets, DaemonSets, Jobs, CronJobs, ReplicationControllers). A
ClusterRole rule is high when a ClusterRoleBinding grants it (every
namespace); others are medium.

## Why it matters
A pod names its service account and mounts its token, and any Secret or
ConfigMap of its namespace. Whoever creates pods in a namespace holds the
permissions of every service account there, and, where Pod Security does not
enforce `baseline`, can run a privileged pod and take over the node.

## Example
```yaml
kind: Role
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [create, update]   # flagged
```

## How to fix
Grant workload creation only to deployment pipelines, keep powerful service
accounts out of the namespaces they deploy to, and enforce Pod Security
`restricted` there. `kubefort rbac paths` shows where this leads.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
            "https://attack.mitre.org/techniques/T1610/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

const WORKLOADS: &[(&str, &str, &[&str])] = &[
    ("", "pods", &["create"]),
    ("apps", "deployments", &["create", "update", "patch"]),
    ("apps", "replicasets", &["create", "update", "patch"]),
    ("apps", "statefulsets", &["create", "update", "patch"]),
    ("apps", "daemonsets", &["create", "update", "patch"]),
    ("batch", "jobs", &["create"]),
    ("batch", "cronjobs", &["create", "update", "patch"]),
    ("", "replicationcontrollers", &["create", "update", "patch"]),
];

fn check(ctx: &mut InventoryCtx<'_>) {
    check_rules(ctx, |rb, role, rule| {
        let mut hits = Vec::new();
        for (group, res, verbs) in WORKLOADS {
            if let Some((v, _)) = allowed_verbs(rule, verbs, group, res, "") {
                hits.push(format!("{} {}", v.join("/"), resource_name(group, res)));
            }
        }
        if hits.is_empty() {
            return None;
        }
        let severity = if rb.is_cluster_role(role) && rb.bound_cluster_wide(role) {
            Severity::High
        } else {
            Severity::Medium
        };
        Some((
            severity,
            format!(
                "can {}: the pods run as any service account of their namespace",
                hits.join(", ")
            ),
        ))
    });
}
