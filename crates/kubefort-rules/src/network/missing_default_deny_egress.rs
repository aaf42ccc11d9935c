//! A namespace without a default-deny egress policy.

use kubefort_core::rule::{Check, InventoryCtx, Rule, RuleMeta};
use kubefort_core::Severity;
use kubefort_netpol::Direction;

use super::{check_default_deny, RETAIN};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        name: "missing-default-deny-egress",
        severity: Severity::Low,
        groups: &["network"],
        summary: "A namespace has no default-deny egress NetworkPolicy",
        remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Egress]` to the namespace, allowing DNS and each destination its workloads need.",
        docs: r#"## What it does
Flags each namespace that the scanned inputs declare (a `Namespace`
object) or hold workloads of, when none of its NetworkPolicies selects
every pod (`podSelector: {}`) for egress without allowing everything. The
finding is on the `Namespace` object, or, when the inputs do not declare
the namespace, on its first workload.

Like `missing-default-deny-ingress`, the rule speaks when the inputs hold
at least one NetworkPolicy, or when it is selected explicitly.

## Why it matters
A compromised pod without egress restrictions can reach every other pod,
the API server, the cloud provider's metadata service (and the node
credentials it hands out), and any address on the internet to exfiltrate
data or fetch tools. Egress isolation confines it to the destinations its
workload needs.

## Example
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-egress
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
```

## How to fix
Add a default-deny egress policy that still allows DNS, then one policy
per destination the workloads need.
"#,
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic",
        ],
        default_enabled: true,
    },
    check: Check::Inventory {
        retain: RETAIN,
        check,
    },
};

fn check(ctx: &mut InventoryCtx<'_>) {
    check_default_deny(ctx, Direction::Egress);
}
