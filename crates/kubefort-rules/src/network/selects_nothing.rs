//! A NetworkPolicy whose podSelector matches no scanned workload.

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::{FieldPath, Severity};

use super::{Net, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "network-policy-selects-nothing",
        severity: Severity::Low,
        groups: &["network"],
        summary: "A NetworkPolicy's podSelector matches none of the workloads of its namespace",
        remediation: "Fix the podSelector (labels of the pod template, not of the Deployment) or the policy's namespace, or delete the policy.",
        docs: r#"## What it does
Flags NetworkPolicies whose `spec.podSelector` matches none of the scanned
workloads of the policy's namespace (`default` when the policy has none).
Policies of namespaces without any scanned workload are not judged: their
workloads may be defined elsewhere.

## Why it matters
A policy that selects nothing protects nothing, and usually means a typo
in a label, labels copied from the Deployment's `metadata` instead of its
pod template, or a policy in the wrong namespace. The pods it was written
for remain open.

## Example
```yaml
kind: Deployment
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  template:
    metadata:
      labels: {app: shop-api}
---
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: api}   # flagged: the pods are labelled app=shop-api
```

## How to fix
Select the labels of the pod template (`spec.template.metadata.labels`),
in the namespace the pods run in.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    let net = Net::of(ctx.inventory);
    for (pi, p) in net.cluster.policies.iter().enumerate() {
        let candidates = net.cluster.workloads_in(&p.namespace).len();
        if candidates == 0 || !net.cluster.selected_by(pi).is_empty() {
            continue;
        }
        ctx.report_object(
            net.object(&p.source),
            FieldPath::root().keys("spec.podSelector"),
            format!(
                "NetworkPolicy {} selects no pod: its podSelector ({}) {} of namespace {:?} in the scanned inputs",
                p.id(),
                p.pod_selector,
                if candidates == 1 {
                    "does not match the only workload".to_string()
                } else {
                    format!("matches none of the {candidates} workloads")
                },
                p.namespace
            ),
        );
    }
}
