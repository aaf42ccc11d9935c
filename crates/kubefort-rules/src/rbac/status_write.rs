use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;

use super::{allowed_verbs, check_rules, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "rbac-status-write",
        severity: Severity::Medium,
        groups: &["rbac"],
        summary: "A role writes the status of nodes, pods or services, which controllers and kubelets own",
        remediation: "Leave status writes to the kubelet and controllers; grant users the main resource only.",
        docs: r#"## What it does
Flags rule entries that allow `update` or `patch` on `nodes/status`,
`pods/status` or `services/status` (or `*/status`).

## Why it matters
Status is what the control plane believes about the world. A forged node
status changes the node's addresses (the API server then sends kubelet
traffic, with its credentials, elsewhere) and its conditions; a forged
`services/status` load-balancer IP redirects cluster traffic
(CVE-2020-8554); a forged pod IP redirects a Service's endpoints.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [""]
    resources: [nodes/status]
    verbs: [patch]     # flagged
```

## How to fix
Remove the status subresources; only the kubelet (through the Node
authorizer) and controllers should write them.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalation-paths",
            "https://attack.mitre.org/techniques/T1557/",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    check_rules(ctx, |rb, role, rule| {
        let mut hits = Vec::new();
        for res in ["nodes", "pods", "services"] {
            if res == "nodes" && !rb.is_cluster_role(role) {
                continue;
            }
            if let Some((v, _)) = allowed_verbs(rule, &["update", "patch"], "", res, "status") {
                hits.push(format!("{} {res}/status", v.join("/")));
            }
        }
        (!hits.is_empty()).then(|| {
            (
                Severity::Medium,
                format!(
                    "can {}: forged status redirects traffic or misleads controllers",
                    hits.join(", ")
                ),
            )
        })
    });
}
