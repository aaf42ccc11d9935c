//! A workload that no NetworkPolicy selects for ingress.

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::{FieldPath, Severity};
use kubefort_netpol::Direction;

use super::{coverage_applies, Net, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "workload-without-network-policy",
        severity: Severity::Medium,
        groups: &["network"],
        summary: "No NetworkPolicy selects a workload's pods for ingress",
        remediation: "Select the workload's pods with a NetworkPolicy (or a default deny for its namespace) that allows only the sources and ports it serves.",
        docs: r#"## What it does
Flags each workload (Pod, Deployment, StatefulSet, DaemonSet, Job,
CronJob, ReplicaSet, ReplicationController) whose pods no NetworkPolicy
of the scanned inputs selects for ingress, and says whether egress is
restricted. Policies select pods by the labels of the pod template, in
the workload's namespace (`default` when the object has none).

Like the default-deny rules, it speaks when the inputs hold at least one
NetworkPolicy, or when it is selected explicitly (`--select network`).

## Why it matters
Without a policy selecting it, a pod accepts connections from every pod of
every namespace and from every address that routes to it, on every port:
an attacker who compromises any pod can move to it. `kubefort netpol`
lists what can reach it.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}      # no NetworkPolicy of shop selects app=api: flagged
```

## How to fix
Add a policy that selects the pods and allows only their clients:

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 8080}]
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation",
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
    if !coverage_applies(ctx, net) {
        return;
    }
    for (i, w) in net.cluster.workloads.iter().enumerate() {
        if !net.cluster.selecting(Direction::Ingress, i).is_empty() {
            continue;
        }
        let egress = net.cluster.selecting(Direction::Egress, i);
        let egress_text = match egress {
            [] => "; its egress is not restricted either".to_string(),
            [p] => format!(
                "; its egress is restricted by {}",
                net.cluster.policies[*p].id()
            ),
            [p, rest @ ..] => format!(
                "; its egress is restricted by {} and {} more",
                net.cluster.policies[*p].id(),
                rest.len()
            ),
        };
        ctx.report_object(
            net.object(&w.source),
            FieldPath::root().keys("metadata.name"),
            format!(
                "no NetworkPolicy in the scanned inputs selects the pods of {} for ingress: every pod of the cluster and every address can connect to them on any port{egress_text}",
                w.id()
            ),
        );
    }
}
