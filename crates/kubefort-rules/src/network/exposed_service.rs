//! NodePort and LoadBalancer Services in front of pods without ingress policy.

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::{FieldPath, Severity};
use kubefort_netpol::Direction;

use super::{Net, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "exposed-service-without-ingress-policy",
        severity: Severity::High,
        groups: &["network"],
        summary: "A NodePort or LoadBalancer Service exposes pods that no ingress NetworkPolicy restricts",
        remediation: "Select the Service's pods with an ingress NetworkPolicy that allows the Service's target ports (from the sources that should reach them) and nothing else.",
        docs: r#"## What it does
Flags Services of type `NodePort` or `LoadBalancer` whose `selector`
matches scanned workloads of the Service's namespace that no
NetworkPolicy selects for ingress. Services without a selector, and
Services whose pods are not in the scanned inputs, are not judged.

## Why it matters
Such a Service makes the pods reachable from outside the cluster (every
node's port, or a cloud load balancer). With no ingress policy, the pods
also accept every other connection on every port, from every pod and
every address that routes to them: debug endpoints, metrics, admin ports
and sidecars included, not only the port the Service forwards.

## Example
```yaml
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer            # flagged: app=web has no ingress policy
  selector: {app: web}
  ports: [{port: 443, targetPort: 8443}]
```

## How to fix
Add an ingress policy for the pods that allows only the target port:

```yaml
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 8443}]
```
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/service/#type-loadbalancer",
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
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
    let cl = &net.cluster;
    for svc in &net.services {
        let Some(spec) = svc.root.get("spec") else {
            continue;
        };
        let kind = spec.str_at("type").unwrap_or("ClusterIP");
        if kind != "NodePort" && kind != "LoadBalancer" {
            continue;
        }
        let Some(selector) = spec.get("selector").and_then(|s| s.as_map()) else {
            continue;
        };
        let wanted: Vec<(&str, &str)> = selector
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?)))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let ns = svc.id.namespace.as_deref().unwrap_or("default");
        let open: Vec<usize> = cl
            .workloads_in(ns)
            .iter()
            .copied()
            .filter(|&w| {
                let labels = &cl.workloads[w].labels;
                wanted
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
            })
            .filter(|&w| cl.selecting(Direction::Ingress, w).is_empty())
            .collect();
        if open.is_empty() {
            continue;
        }
        ctx.report_object(
            svc,
            FieldPath::root().keys("spec.type"),
            format!(
                "Service {ns}/{} of type {kind} exposes {}, which no NetworkPolicy in the scanned inputs selects for ingress: its pods accept every connection on every port, from outside the cluster and from every pod",
                svc.id.name.as_deref().unwrap_or("<unnamed>"),
                net.some_workloads(&open)
            ),
        );
    }
}
